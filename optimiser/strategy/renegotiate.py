"""Providers to renegotiate with: those the market flags found earning far above their peers or the CMA benchmark,
or charging far above what similar placements cost, with the beds the plan would block-contract from each; and
those the market oversight flags found difficult to replace, financially fragile (both: the top market risk) or
with weak or falling Ofsted grades across their group, whose contracts need a contingency plan, care not to push
them out, or quality terms rather than only a price."""

from __future__ import annotations

import pandas as pd

from data.region import Region

RENEGOTIATE_COLUMNS = ["provider_id", "provider_name", "parent_group", "profit_flag", "fee_outlier_placements",
                       "high_cost_placements", "beds_in_plan", "priority", "evidence", "action", "oversight"]
PROFIT_FLAGS = ("profit_outlier", "group_profit_outlier")
FEE_FLAGS = ("fee_outlier", "high_cost_placement")
# the market oversight flags, in the order their words lead the action
OVERSIGHT_FLAGS = {"top_market_risk": "the top market risk (difficult to replace and financially fragile)",
                   "difficult_to_replace_derived": "difficult to replace",
                   "financial_fragility": "financially fragile",
                   "group_quality": "weak or falling Ofsted grades across its group"}


def providers_to_renegotiate(region: Region, flags: pd.DataFrame, actions: pd.DataFrame) -> pd.DataFrame:
    """One row per provider with a profit or fee flag: what was found, how many beds the plan would buy from it,
    and what to do. Providers the plan buys from come first."""
    providers = region.providers.drop_duplicates("provider_id").set_index("provider_id")
    settings = region.settings.drop_duplicates("setting_id").set_index("setting_id")
    child_provider = region.children.set_index("child_id")["current_setting_id"].map(settings["provider_id"])
    rows: dict[str, dict] = {}

    def entry(pid: str) -> dict:
        return rows.setdefault(pid, {"provider_id": pid, "profit_flag": "", "fee_outlier_placements": 0,
                                     "high_cost_placements": 0, "evidence": [], "oversight": []})

    def members(flag) -> list[str]:
        return ([flag.subject_id] if flag.subject_type == "provider" else
                providers.index[providers["parent_group"].fillna("").eq(flag.subject_id)].tolist())

    for flag in flags[flags["flag"].isin(PROFIT_FLAGS)].itertuples(index=False):
        for pid in members(flag):
            e = entry(pid)
            e["profit_flag"] = e["profit_flag"] or flag.flag
            e["evidence"].append(flag.evidence)
    for flag in flags[flags["flag"].isin(list(OVERSIGHT_FLAGS))].itertuples(index=False):
        for pid in members(flag):
            e = entry(pid)
            e["oversight"].append(flag.flag)
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
    table["oversight"] = table["oversight"].map(lambda found: "; ".join(f for f in OVERSIGHT_FLAGS if f in found))
    # the top market risk is high whatever the plan buys: its children need a contingency plan now
    table["priority"] = [("high" if (beds and (profit or fees)) or "top_market_risk" in oversight else
                          "medium" if profit or oversight else "low")
                         for beds, profit, fees, oversight in zip(table["beds_in_plan"], table["profit_flag"].ne(""),
                                                                  table["fee_outlier_placements"] > 0,
                                                                  table["oversight"])]
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
    care = _oversight_action(r.oversight)
    if not text:
        return care[:1].upper() + care[1:]
    if r.beds_in_plan:
        return (f"Negotiate the price of the {r.beds_in_plan} block bed(s) the plan buys here against its "
                f"{text}, before signing" + (f"; {care}" if care else ""))
    return f"Review spot prices at the next placement review: {text}" + (f"; {care}" if care else "")


def _oversight_action(oversight: str) -> str:
    """What the oversight findings add to a negotiation: a fragile provider squeezed on price may leave, one that
    is difficult to replace needs a contingency plan in the contract, a weak group needs quality terms."""
    found = oversight.split("; ") if oversight else []
    words = []
    if "top_market_risk" in found or "difficult_to_replace_derived" in found:
        words.append("it is " + OVERSIGHT_FLAGS["top_market_risk" if "top_market_risk" in found else
                                                "difficult_to_replace_derived"]
                     + ": write a contingency plan (notice, step-in, where its children would go) into the contract")
    if "financial_fragility" in found and "top_market_risk" not in found:
        words.append("it is financially fragile: ask for its accounts and do not push its fees below what keeps "
                     "it running")
    if "group_quality" in found:
        words.append("its group's homes have weak or falling Ofsted grades: tie fees to an improvement plan")
    return "; ".join(words)
