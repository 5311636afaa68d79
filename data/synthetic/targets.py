"""Per-council targets: children looked after, starts, ceased, UASC and out-of-area shares, child population.

Greater Manchester's and the South East's figures are DfE's own; every other council gets a rate per 10,000 for
its English region, scaled so that England adds up to DfE's national totals.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.synthetic import facts
from data.synthetic.places import councils, region_codes, ring_codes
from data.synthetic.sampling import whole_shares


def council_targets(region: str) -> pd.DataFrame:
    """One row per council the region needs: its members (role "member") then the councils around it that host
    its children ("near", "far"). Columns: places.councils() plus cla, starts, ceased, population_0_17,
    outside_share, uasc_start_share, role."""
    table = _england_targets(councils())
    members = region_codes(region, table)
    near, far = ring_codes(members, table)
    role = pd.Series(pd.NA, index=table.index, dtype="object")
    role[table["la_code"].isin(members)] = "member"
    role[table["la_code"].isin(near)] = "near"
    role[table["la_code"].isin(far)] = "far"
    table["role"] = role
    order = table["role"].map({"member": 0, "near": 1, "far": 2})
    return (table[role.notna()].assign(_order=order).sort_values(["_order", "la_code"], kind="stable")
            .drop(columns="_order").reset_index(drop=True))


def _england_targets(table: pd.DataFrame) -> pd.DataFrame:
    gm = pd.DataFrame.from_dict(facts.GREATER_MANCHESTER, orient="index",
                                columns=["cla", "rate", "starts", "ceased", "outside"])
    child_pop = table["population_k"] * 1000 * facts.CHILD_POPULATION_SHARE
    modelled = child_pop * table["region9"].map(facts.REGIONAL_CLA_RATE) / 10_000
    fixed = table["la_code"].map(gm["cla"]).fillna(table["la_code"].map(facts.SOUTH_EAST_CLA))
    table["cla"] = _scaled_counts(modelled, fixed, facts.ENGLAND_CLA)
    table["population_0_17"] = np.where(
        table["la_code"].isin(gm.index),
        (table["la_code"].map(gm["cla"]) / table["la_code"].map(gm["rate"]) * 10_000).round(),
        child_pop.round()).astype(int)
    kent = np.where(table["la_code"].eq(facts.KENT), facts.KENT_START_MULTIPLIER, 1.0)
    table["starts"] = _scaled_counts(table["cla"] * kent, table["la_code"].map(gm["starts"]), facts.ENGLAND_STARTS)
    table["ceased"] = _scaled_counts(table["cla"] * kent, table["la_code"].map(gm["ceased"]), facts.ENGLAND_CEASED)
    table["outside_share"] = (table["la_code"].map(gm["outside"] / gm["cla"])
                              .fillna(facts.OUTSIDE_LA_SHARE))
    table["uasc_start_share"] = np.where(table["la_code"].eq(facts.KENT), facts.KENT_UASC_START_SHARE,
                                         facts.UASC_START_SHARE)
    return table


def _scaled_counts(weights: pd.Series, fixed: pd.Series, total: int) -> pd.Series:
    """Whole numbers summing to `total`: `fixed` where known, the rest shared out in proportion to `weights`."""
    free = fixed.isna().to_numpy()
    counts = np.where(free, 0, fixed.fillna(0).to_numpy()).astype(int)
    counts[free] = whole_shares(weights.to_numpy()[free], total - counts[~free].sum())
    return pd.Series(counts, index=weights.index)
