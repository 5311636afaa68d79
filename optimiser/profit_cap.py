"""What a profit cap would do (the Bill's power to cap providers' profits): how much the region would save, and
which providers might leave, with their children and where the region could re-house them.

The cap is on each owner's operating margin (a parent group's companies' accounts added up, else the company's own:
the CMA measured margins, and the Bill's oversight works, at group level). An owner earning more than the cap gives
the excess back as lower fees: the fee cut x that brings its margin down to the cap, (P - x) / (R - x) = cap, is
x = (P - cap * R) / (1 - cap), a fraction x / R of every fee it charges; the region's share of it is that fraction of
what the region pays the owner's companies, so in proportion to the owner's revenue from the region. A company in
the group whose own margin is thinner than the group's takes the same cut, and its margin after,
(m - x/R) / (1 - x/R), may fall below the exit margin: such a company is assumed at risk of leaving the market, and
the regional match (the stress test's, optimiser.flags.stress) re-houses its children where it can. Companies
without accounts are not capped; a company already below the exit margin that the cap does not touch is not the
cap's doing and is not counted.

With an exit spread (the probability mode) leaving is a chance rather than a certainty: nil at a margin after the
cap of exit margin + spread or more, one half at the exit margin, certain at exit margin - spread or less, in a
straight line between. Every company with a chance above nil is taken out of the match (its children's homes are
what is at stake); the expected figures weight each company's children, re-housed children and saving by it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from data.region import Region
from data.vocabulary import PLACEMENT_GROUP_OF_SETTING_TYPE
from optimiser.flags.common import WEEKS_PER_YEAR, council, owners, placements
from optimiser.flags.concentration import supply
from optimiser.flags.stress import DISPLACED_COLUMNS, providers_exit
from optimiser.match.params import MatchParams

PROVIDER_COLUMNS = ["provider_id", "provider_name", "owner", "owner_name", "revenue", "operating_profit", "margin",
                    "owner_margin", "fee_cut", "margin_after", "exit_chance", "at_risk", "children", "weekly_spend",
                    "weekly_saving", "places_in_region"]
AREA_COLUMNS = ["la_code", "la_name", "market", "placements", "weekly_spend", "weekly_saving", "yearly_saving",
                "places_at_risk", "children_at_risk", "rehoused", "not_rehoused"]
SWEEP_COLUMNS = ["cap", "exit_margin", "owners_capped", "weekly_saving", "yearly_saving", "weekly_saving_if_none_leave",
                 "providers_at_risk", "places_at_risk", "children_at_risk", "rehoused", "not_rehoused",
                 "rehoused_weekly_cost_change", "expected_weekly_saving", "expected_children_leaving",
                 "expected_rehoused"]


@dataclass(frozen=True)
class CapParams:
    cap: float = 0.10
    exit_margin: float = 0.03
    exit_spread: float = 0.0  # 0: below the exit margin a company leaves; above 0: the chance rises as margin falls

    def __post_init__(self) -> None:
        if not 0 <= self.exit_spread < 1:
            raise ValueError(f"the exit spread is a margin such as 0.02, from 0 to below 1 (got {self.exit_spread})")
        if not 0 < self.cap < 1:
            raise ValueError(f"the cap is a margin such as 0.10 for 10%, above 0 and below 1 (got {self.cap})")
        if not 0 <= self.exit_margin < 1:
            raise ValueError(f"the exit margin is a margin such as 0.03 for 3%, from 0 to below 1 "
                             f"(got {self.exit_margin})")


@dataclass(frozen=True)
class CapResult:
    params: CapParams
    providers: pd.DataFrame  # PROVIDER_COLUMNS: each company with accounts, its cut and margin after
    children: pd.DataFrame  # DISPLACED_COLUMNS: the children of companies at risk and where they could go
    areas: pd.DataFrame  # AREA_COLUMNS: per council (the children's own) x kind of home, and the region
    summary: dict  # one row of SWEEP_COLUMNS


def capped(region: Region, placed: pd.DataFrame, params: CapParams) -> pd.DataFrame:
    """Each independent company with accounts: its owner's margin, the fee cut the cap imposes, its margin after,
    whether it is at risk of leaving, and the region's spend and saving with it."""
    p = region.providers.drop_duplicates("provider_id")
    p = p[p["sector"].ne("local_authority") & p["revenue"].notna() & p["operating_profit"].notna()
          & (p["revenue"] > 0)]
    owner = owners(region.providers.drop_duplicates("provider_id"))
    table = pd.DataFrame({"provider_id": p["provider_id"].to_numpy(), "provider_name": p["provider_name"].to_numpy(),
                          "revenue": p["revenue"].to_numpy(dtype=float),
                          "operating_profit": p["operating_profit"].to_numpy(dtype=float)})
    table["owner"] = table["provider_id"].map(owner["owner"])
    table["owner_name"] = table["provider_id"].map(owner["owner_name"])
    table["margin"] = table["operating_profit"] / table["revenue"]
    table = cut(table, params)
    spend = placed.groupby("provider_id")["weekly_cost"].agg(["size", "sum"])
    table["children"] = table["provider_id"].map(spend["size"]).fillna(0).astype(int)
    table["weekly_spend"] = table["provider_id"].map(spend["sum"]).fillna(0.0)
    table["weekly_saving"] = table["weekly_spend"] * table["fee_cut"]
    places = supply(region).groupby("provider_id")["places"].sum()
    table["places_in_region"] = table["provider_id"].map(places).fillna(0).astype(int)
    return table[PROVIDER_COLUMNS].sort_values("provider_id", ignore_index=True)


def cut(table: pd.DataFrame, params: CapParams) -> pd.DataFrame:
    """The cap on a table of companies (owner, revenue, operating_profit, margin), each owner's companies added up:
    adds owner_margin, fee_cut (a fraction of every fee), margin_after, exit_chance and at_risk."""
    table = table.copy()
    sums = table.groupby("owner")[["revenue", "operating_profit"]].transform("sum")
    table["owner_margin"] = sums["operating_profit"] / sums["revenue"]
    excess = np.maximum(sums["operating_profit"] - params.cap * sums["revenue"], 0) / (1 - params.cap)
    table["fee_cut"] = excess / sums["revenue"]
    table["margin_after"] = (table["margin"] - table["fee_cut"]) / (1 - table["fee_cut"])
    if params.exit_spread:
        chance = np.clip((params.exit_margin + params.exit_spread - table["margin_after"]) / (2 * params.exit_spread),
                         0, 1)
    else:
        chance = (table["margin_after"] < params.exit_margin).astype(float)
    table["exit_chance"] = np.where(table["fee_cut"] > 0, chance, 0.0)
    table["at_risk"] = table["exit_chance"] > 0
    return table


def profit_cap(region: Region, params: CapParams, run_date: date, match_params: MatchParams | None = None,
               base_allocations: pd.DataFrame | None = None, placed: pd.DataFrame | None = None) -> CapResult:
    """The cap's saving and its exits on the region on `run_date`: the companies at risk leave and the region is
    matched again (the match runs only when some company is at risk)."""
    placed = placements(region, run_date) if placed is None else placed
    table = capped(region, placed, params)
    leaving = set(table.loc[table["at_risk"], "provider_id"])
    children = (providers_exit(region, placed, leaving, match_params or MatchParams(), run_date,
                               base_allocations).displaced if leaving else pd.DataFrame(columns=DISPLACED_COLUMNS))
    chance = placed.set_index("child_id")["provider_id"].map(table.set_index("provider_id")["exit_chance"])
    children = children.assign(exit_chance=children["child_id"].map(chance).fillna(0.0).to_numpy(dtype=float))
    return CapResult(params, table, children, _areas(region, placed, table, children),
                     cap_summary(table, params, children))


def cap_summary(table: pd.DataFrame, params: CapParams, children: pd.DataFrame | None = None) -> dict:
    """One row of SWEEP_COLUMNS from `capped`'s table and the children re-matched; without them (None: the match
    not run) the children at risk are counted from the table and re-housed and not re-housed are None."""
    staying = table[~table["at_risk"]]
    expected = {"expected_weekly_saving": round(float((table["weekly_saving"] * (1 - table["exit_chance"])).sum()), 2),
                "expected_children_leaving": round(float((table["children"] * table["exit_chance"]).sum()), 4)}
    if children is None:
        return _summary_row(table, staying, params) | {
            "children_at_risk": int(table.loc[table["at_risk"], "children"].sum()), "rehoused": None,
            "not_rehoused": None, "rehoused_weekly_cost_change": None} | expected | {"expected_rehoused": None}
    matched = children[children["status"].eq("matched")]
    return _summary_row(table, staying, params) | {
        "children_at_risk": len(children), "rehoused": len(matched), "not_rehoused": len(children) - len(matched),
        "rehoused_weekly_cost_change": round(float(matched["weekly_fee_after"].astype(float).sum()
                                                   - matched["weekly_cost_before"].astype(float).sum()), 2)} | \
        expected | {"expected_rehoused": round(float(matched["exit_chance"].sum()), 4)}


def _summary_row(table: pd.DataFrame, staying: pd.DataFrame, params: CapParams) -> dict:
    return {"cap": params.cap, "exit_margin": params.exit_margin,
            "owners_capped": int(table.loc[table["fee_cut"] > 0, "owner"].nunique()),
            "weekly_saving": round(float(staying["weekly_saving"].sum()), 2),
            "yearly_saving": round(float(staying["weekly_saving"].sum()) * WEEKS_PER_YEAR, 2),
            "weekly_saving_if_none_leave": round(float(table["weekly_saving"].sum()), 2),
            "providers_at_risk": int(table["at_risk"].sum()),
            "places_at_risk": int(table.loc[table["at_risk"], "places_in_region"].sum())}


def _areas(region: Region, placed: pd.DataFrame, table: pd.DataFrame, children: pd.DataFrame) -> pd.DataFrame:
    """Per council x kind of home (DATA.md's placement groups), then the region: the saving on placements with
    companies that stay (by the child's council), places at risk (by the setting's council), children at risk and
    re-housed (by the child's council)."""
    cut = table.set_index("provider_id")
    stays = ~placed["provider_id"].isin(set(table.loc[table["at_risk"], "provider_id"]))
    kids = placed.assign(market=placed["setting_type"].map(PLACEMENT_GROUP_OF_SETTING_TYPE).fillna("other"),
                         saving=placed["weekly_cost"] * placed["provider_id"].map(cut["fee_cut"]).fillna(0.0)
                         * stays)
    keys = ["la_code", "market"]
    out = kids.groupby(keys).agg(placements=("child_id", "size"), weekly_spend=("weekly_cost", "sum"),
                                 weekly_saving=("saving", "sum"))
    s = supply(region)
    at_risk_places = s[s["provider_id"].isin(table.loc[table["at_risk"], "provider_id"])]
    out = out.join(at_risk_places.groupby(keys)["places"].sum().rename("places_at_risk"), how="outer")
    moved = children.assign(market=children["setting_type"].map(PLACEMENT_GROUP_OF_SETTING_TYPE).fillna("other"),
                            matched=children["status"].eq("matched"))
    out = out.join(moved.groupby(keys).agg(children_at_risk=("child_id", "size"), rehoused=("matched", "sum")),
                   how="outer").fillna(0)
    out["not_rehoused"] = out["children_at_risk"] - out["rehoused"]
    out = out.reset_index()
    total = out.drop(columns=keys).sum().to_frame().T.assign(la_code="region", market="all")
    out = pd.concat([out, total], ignore_index=True)
    out["yearly_saving"] = out["weekly_saving"] * WEEKS_PER_YEAR
    out["la_name"] = [("the region" if la == "region" else council(region, la)) for la in out["la_code"]]
    for column in ("placements", "places_at_risk", "children_at_risk", "rehoused", "not_rehoused"):
        out[column] = out[column].astype(int)
    return out[AREA_COLUMNS]


def cap_sweep(region: Region, caps: list[float], exit_margin: float, run_date: date,
              match_params: MatchParams | None = None, exit_spread: float = 0.0) -> pd.DataFrame:
    """The summary of each cap (SWEEP_COLUMNS), the region's ordinary match made once for all of them."""
    from optimiser.flags.unlawful import match_or_nothing
    from optimiser.match.stepdown import with_step_down_referrals

    match_params = match_params or MatchParams()
    placed = placements(region, run_date)
    base, _ = match_or_nothing(with_step_down_referrals(region, run_date)[0], match_params, run_date)
    rows = [profit_cap(region, CapParams(cap, exit_margin, exit_spread), run_date, match_params, base, placed).summary
            for cap in caps]
    return pd.DataFrame(rows, columns=SWEEP_COLUMNS)


def parse_sweep(text: str) -> list[float]:
    """'0.05:0.25:0.05' -> [0.05, 0.10, 0.15, 0.20, 0.25] (start:stop:step, the stop included)."""
    try:
        start, stop, step = (float(x) for x in text.split(":"))
    except ValueError:
        raise ValueError(f"--sweep is start:stop:step, e.g. 0.05:0.25:0.05 (got {text!r})") from None
    if not (0 < start <= stop < 1 and step > 0):
        raise ValueError(f"--sweep needs 0 < start <= stop < 1 and a positive step (got {text!r})")
    count = int(np.floor((stop - start) / step + 1e-9)) + 1
    return [round(start + k * step, 6) for k in range(count)]
