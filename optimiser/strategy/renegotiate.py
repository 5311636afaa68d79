"""Providers to renegotiate with: those the market flags found earning far above their peers or the CMA benchmark,
or charging far above what similar placements cost, with the beds the plan would block-contract from each."""

from __future__ import annotations

import pandas as pd

from data.region import Region

RENEGOTIATE_COLUMNS = ["provider_id", "provider_name", "parent_group", "profit_flag", "fee_outlier_placements",
                       "high_cost_placements", "beds_in_plan", "priority", "evidence", "action"]
PROFIT_FLAGS = ("profit_outlier", "group_profit_outlier")
FEE_FLAGS = ("fee_outlier", "high_cost_placement")


def providers_to_renegotiate(region: Region, flags: pd.DataFrame, actions: pd.DataFrame) -> pd.DataFrame:
    """One row per provider with a profit or fee flag: what was found, how many beds the plan would buy from it,
    and what to do. Providers the plan buys from come first."""
    providers = region.providers.drop_duplicates("provider_id").set_index("provider_id")
    settings = region.settings.drop_duplicates("setting_id").set_index("setting_id")
    child_provider = region.children.set_index("child_id")["current_setting_id"].map(settings["provider_id"])
    rows: dict[str, dict] = {}

    def entry(pid: str) -> dict:
        return rows.setdefault(pid, {"provider_id": pid, "profit_flag": "", "fee_outlier_placements": 0,
                                     "high_cost_placements": 0, "evidence": []})

    for flag in flags[flags["flag"].isin(PROFIT_FLAGS)].itertuples(index=False):
        members = ([flag.subject_id] if flag.subject_type == "provider" else
                   providers.index[providers["parent_group"].fillna("").eq(flag.subject_id)].tolist())
        for pid in members:
            e = entry(pid)
            e["profit_flag"] = e["profit_flag"] or flag.flag
            e["evidence"].append(flag.evidence)
    for flag in flags[flags["flag"].isin(FEE_FLAGS)].itertuples(index=False):
        pid = child_provider.get(flag.subject_id)
        if isinstance(pid, str):
            e = entry(pid)
            e["fee_outlier_placements" if flag.flag == "fee_outlier" else "high_cost_placements"] += 1
    if not rows:
        return pd.DataFrame(columns=RENEGOTIATE_COLUMNS)
    table = pd.DataFrame(list(rows.values()))
    block = actions[actions["kind"].eq("block_contract")].groupby("provider_id")["places"].sum()
    table["beds_in_plan"] = table["provider_id"].map(block).fillna(0).astype(int)
    table["provider_name"] = table["provider_id"].map(providers["provider_name"]).fillna("")
    table["parent_group"] = table["provider_id"].map(providers["parent_group"]).fillna("")
    table["evidence"] = table["evidence"].map(lambda items: " | ".join(dict.fromkeys(items)))
    table["priority"] = [("high" if beds and (profit or fees) else "medium" if profit else "low")
                         for beds, profit, fees in zip(table["beds_in_plan"], table["profit_flag"].ne(""),
                                                       table["fee_outlier_placements"] > 0)]
    table["action"] = [_action(r) for r in table.itertuples(index=False)]
    order = {"high": 0, "medium": 1, "low": 2}
    return (table.sort_values(["priority", "beds_in_plan", "provider_id"], ascending=[True, False, True],
                              key=lambda c: c.map(order) if c.name == "priority" else c)
            [RENEGOTIATE_COLUMNS].reset_index(drop=True))


def _action(r) -> str:
    found = []
    if r.profit_flag:
        found.append("margins far above peers or the CMA benchmark")
    if r.fee_outlier_placements:
        found.append(f"{r.fee_outlier_placements} placement(s) priced far above similar ones")
    if r.high_cost_placements:
        found.append(f"{r.high_cost_placements} placement(s) over the high-cost line")
    text = "; ".join(found)
    if r.beds_in_plan:
        return (f"Negotiate the price of the {r.beds_in_plan} block bed(s) the plan buys here against its "
                f"{text}, before signing")
    return f"Review spot prices at the next placement review: {text}"
