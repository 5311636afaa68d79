"""Commissioning options: the region's options.csv, or defaults generated from its providers, settings and fees;
and the decision table the model chooses from (one row per option and quarter it could start).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.region import Region
from data.schema import OPTIONS
from optimiser.strategy.inputs import kind_of_settings
from optimiser.strategy.params import REGION_AREA, WEEKS_PER_QUARTER, StrategyParams

KIND_TEXT = {"block_contract": "block-contract beds", "new_home": "open a new home",
             "foster_recruitment": "recruit foster households"}
DECISION_COLUMNS = ["option_id", "kind", "provider_id", "la_code", "area", "group", "start", "available", "unit_places",
                    "upper", "capital_per_unit", "running_per_unit", "committed_quarters_after_horizon"]


def region_options(region: Region, cells: pd.DataFrame, params: StrategyParams) -> tuple[pd.DataFrame, str]:
    """The options to plan with and where they came from ("options.csv" or "generated")."""
    if len(region.options):
        return region.options[OPTIONS.column_names].reset_index(drop=True), "options.csv"
    return default_options(region, cells, params), "generated"


def default_options(region: Region, cells: pd.DataFrame, params: StrategyParams) -> pd.DataFrame:
    """Block contracts with every independent provider's active places (per council and kind of home), new
    children's homes, homes able to meet deprivation-of-liberty orders and supported accommodation per council, and
    foster recruitment per council, costed from the region's own fees where it has them."""
    d = params.options
    councils = region.authorities["la_code"].tolist()
    settings = region.settings[region.settings["registration_status"].eq("active")
                               & region.settings["la_code"].isin(councils)
                               & ~region.settings["block_contract"].astype(bool)]
    sectors = region.providers.drop_duplicates("provider_id").set_index("provider_id")["sector"]
    independent = settings[settings["provider_id"].map(sectors).isin(["private", "voluntary"])]
    independent = independent.assign(group=kind_of_settings(independent))
    independent = independent.dropna(subset=["group"])
    block = independent.groupby(["provider_id", "la_code", "group"], as_index=False).agg(
        total=("places", "sum"), fee=("weekly_fee", "median"))
    block["places"] = np.floor(block["total"] * d.block_share_of_places)
    block = block[(block["places"] >= d.block_min_beds) & block["fee"].notna()]
    frames = [pd.DataFrame({
        "option_id": "B-" + block["provider_id"] + "-" + block["la_code"] + "-" + block["group"],
        "kind": "block_contract", "provider_id": block["provider_id"], "la_code": block["la_code"],
        "group": block["group"], "places": block["places"], "capital_cost": 0.0,
        "weekly_cost": (block["fee"] * (1 - d.block_discount)).round(2),
        "lead_time_quarters": d.block_lead_time_quarters, "min_term_quarters": d.block_min_term_quarters,
        "max_units": 1,
        "note": [f"{int(p)} of the provider's {int(t)} active places in the council, at its median list fee "
                 f"£{f:,.0f} less {d.block_discount:.0%}" for p, t, f in zip(block["places"], block["total"],
                                                                          block["fee"])]})]
    frames.append(_new_homes(councils, "S", "supported", d.supported_home_places, d.supported_home_capital_cost,
                             d.supported_home_weekly_cost, d.supported_home_lead_time_quarters,
                             d.supported_homes_per_council,
                             "registered supported accommodation run for the RCC (figures are assumptions)"))
    frames.append(_new_homes(councils, "L", "dol", d.dol_home_places, d.dol_home_capital_cost,
                             d.dol_home_weekly_cost, d.dol_home_lead_time_quarters, d.dol_homes_per_council,
                             "a council-run home able to meet deprivation-of-liberty orders (figures are assumptions)"))
    in_house = cells[cells["group"].eq("foster")].set_index("la_code")["base_weekly_cost"]
    frames.append(_new_homes(councils, "H", "childrens_home", d.new_home_places, d.new_home_capital_cost,
                             d.new_home_weekly_cost, d.new_home_lead_time_quarters, d.new_homes_per_council,
                             "a council-run home: capital from the DfE's £60m for 200 places, running cost PSSRU"))
    frames.append(pd.DataFrame({
        "option_id": [f"F-{la}" for la in councils], "kind": "foster_recruitment", "provider_id": "",
        "la_code": councils, "group": "foster", "places": d.foster_children_per_household,
        "capital_cost": d.foster_cost_per_approval,
        "weekly_cost": [round(float(in_house.get(la, np.nan)), 2) for la in councils],
        "lead_time_quarters": d.foster_lead_time_quarters, "min_term_quarters": 0,
        "max_units": d.foster_households_per_quarter,
        "note": "in-house carers recruited through the regional hub, paid the council's median in-house fee"}))
    # a frame with no rows (no provider to block-contract with) or no known cost would fix the columns' types on
    # its own: only the options that can be costed are kept
    frames = [f[f["weekly_cost"].notna()] for f in frames]
    options = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) else \
        pd.DataFrame(columns=OPTIONS.column_names)
    return options.reset_index(drop=True)[OPTIONS.column_names]


def decision_table(options: pd.DataFrame, params: StrategyParams, horizon: int) -> tuple[pd.DataFrame, np.ndarray]:
    """One row per option and quarter it could be decided in (so that its places arrive within the horizon), with
    what one unit gives and costs; and the (row x quarter) places one unit provides each quarter.

    A unit is a bed (block contract: running from when it is available to the end of the horizon, and paid for at
    least the minimum term), a home (new home: capital when decided, running cost from opening), or a household
    (foster recruitment: the approval cost when decided, the fee for its places, which shrink as carers leave).
    """
    rows = []
    for o in options.itertuples(index=False):
        lead = int(o.lead_time_quarters)
        block = o.kind == "block_contract"
        area = REGION_AREA if o.group in params.regional_groups else o.la_code
        for start in range(1, horizon - lead + 1):
            if block and (start - 1) % params.procurement_round_quarters:
                continue
            rows.append({"option_id": o.option_id, "kind": o.kind, "provider_id": o.provider_id or "",
                         "la_code": o.la_code, "area": area, "group": o.group, "start": start,
                         "available": start + lead,
                         "unit_places": 1.0 if block else float(o.places),
                         "upper": float(np.floor(o.places)) if block else float(o.max_units),
                         "capital_per_unit": float(o.capital_cost or 0.0), "weekly_cost": float(o.weekly_cost),
                         "min_term": int(o.min_term_quarters)})
    table = pd.DataFrame(rows)
    if table.empty:
        return pd.DataFrame(columns=[*DECISION_COLUMNS, "weekly_cost"]), np.zeros((0, horizon))
    quarters = np.arange(1, horizon + 1)
    active = quarters[None, :] >= table["available"].to_numpy()[:, None]
    retention = params.carer_retention_per_year ** 0.25
    age = np.clip(quarters[None, :] - table["available"].to_numpy()[:, None], 0, None)
    decay = np.where(table["kind"].eq("foster_recruitment").to_numpy()[:, None], retention ** age, 1.0)
    places = active * decay * table["unit_places"].to_numpy()[:, None]
    in_horizon = horizon - table["available"] + 1
    table["committed_quarters_after_horizon"] = (table["min_term"] - in_horizon).clip(lower=0).where(
        table["kind"].eq("block_contract"), 0)
    weekly = table["weekly_cost"].to_numpy()
    table["running_per_unit"] = WEEKS_PER_QUARTER * weekly * (
        places.sum(axis=1) + table["committed_quarters_after_horizon"].to_numpy() * table["unit_places"].to_numpy())
    return table[DECISION_COLUMNS + ["weekly_cost"]], places


def _new_homes(councils: list[str], prefix: str, group: str, places: int, capital_cost: float, weekly_cost: float,
               lead_time_quarters: int, per_council: int, note: str) -> pd.DataFrame:
    """One option per council to open homes of a kind, run for the RCC."""
    return pd.DataFrame({
        "option_id": [f"{prefix}-{la}" for la in councils], "kind": "new_home", "provider_id": "", "la_code": councils,
        "group": group, "places": float(places), "capital_cost": capital_cost, "weekly_cost": weekly_cost,
        "lead_time_quarters": lead_time_quarters, "min_term_quarters": 0, "max_units": per_council, "note": note})
