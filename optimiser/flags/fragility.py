"""Financial fragility: how close each company with accounts, and each parent group (its companies' accounts
added up), is to failing, as a score that adds a weight for each sign of strain, with the reason for each.

The signs are the ones a lender or the DfE's oversight would read first in a set of accounts: a thin margin or a
loss, a second year of losses, a margin falling fast, most revenue from one council, a small turnover, heavy debt,
and profit that barely covers the interest. A sign whose figures are not given (no prior year, no debt) scores
nothing: fragility is never inferred from a blank. An owner that is fragile and difficult to replace is the top
risk (top_market_risk), with the children and councils exposed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.region import Region
from optimiser.flags.common import (
    WEEKS_PER_YEAR,
    council,
    empty_flags,
    exposure_text,
    flag_frame,
    money,
    pct,
    plural,
    points,
)
from optimiser.flags.params import FragilityParams

ACCOUNTS = ("revenue", "operating_profit", "prior_revenue", "prior_operating_profit", "debt", "interest")
FRAGILITY_COLUMNS = ["level", "id", "name", "companies", *ACCOUNTS, "margin", "prior_margin", "top_council",
                     "top_council_share", "score", "severity", "reasons", "children", "weekly_spend"]


def fragility(region: Region, placed: pd.DataFrame, params: FragilityParams) -> pd.DataFrame:
    """One row per independent company with accounts (level company) and per parent group (level group): the
    accounts, the margin now and the year before, the council paying the largest share of its revenue, the score
    and its reasons."""
    p = region.providers.drop_duplicates("provider_id")
    p = p[p["sector"].ne("local_authority") & p["revenue"].notna() & p["operating_profit"].notna()
          & (p["revenue"] > 0)]
    if p.empty:
        return pd.DataFrame(columns=FRAGILITY_COLUMNS)
    companies = pd.DataFrame({"level": "company", "id": p["provider_id"].to_numpy(),
                              "name": p["provider_name"].to_numpy(), "companies": 1,
                              "group": p["parent_group"].fillna("").to_numpy()})
    for column in ACCOUNTS:
        companies[column] = p[column].to_numpy(dtype=float)
    companies = _with_council_share(companies, placed, "provider_id")
    grouped = companies[companies["group"].ne("")]
    groups = pd.DataFrame([{"level": "group", "id": group, "name": group, "companies": len(members), "group": group,
                            # a figure one company leaves blank is unknown for the group (a partial sum would
                            # make a trend or a debt ratio out of half the accounts)
                            **{c: (members[c].sum() if members[c].notna().all() else np.nan) for c in ACCOUNTS}}
                           for group, members in grouped.groupby("group", sort=True)])
    if len(groups):
        groups = _with_council_share(groups, placed, "owner")
    table = pd.concat([companies, groups], ignore_index=True)
    table["margin"] = table["operating_profit"] / table["revenue"]
    table["prior_margin"] = table["prior_operating_profit"] / table["prior_revenue"].where(table["prior_revenue"] > 0)
    table["top_council"] = [council(region, c) if c else "" for c in table["top_council"]]
    scored = [score(r, params) for r in table.itertuples(index=False)]
    table["score"] = [s for s, _ in scored]
    table["reasons"] = ["; ".join(reasons) for _, reasons in scored]
    table["severity"] = np.select([table["score"] >= params.high_score, table["score"] >= params.medium_score],
                                  ["high", "medium"], "")
    return table[FRAGILITY_COLUMNS]


def _with_council_share(table: pd.DataFrame, placed: pd.DataFrame, key: str) -> pd.DataFrame:
    """The council (by the children's own council) paying the most for the region's placements with each row's
    company or group, a year, and that as a share of the row's revenue (at most 1: the accounts may be older)."""
    yearly = placed.groupby([key, "la_code"])["weekly_cost"].sum().mul(WEEKS_PER_YEAR).reset_index()
    top = yearly.sort_values(["weekly_cost", "la_code"], ascending=[False, True]).drop_duplicates(key)
    top = top.set_index(key)
    spend, children = placed.groupby(key)["weekly_cost"].sum(), placed.groupby(key).size()
    return table.assign(top_council=table["id"].map(top["la_code"]).fillna(""),
                        top_council_share=(table["id"].map(top["weekly_cost"]) / table["revenue"]).clip(upper=1.0),
                        children=table["id"].map(children).fillna(0).astype(int),
                        weekly_spend=table["id"].map(spend).fillna(0.0))


def score(r, params: FragilityParams) -> tuple[int, list[str]]:
    """(score, reasons) of one row of accounts: each sign of strain adds its weight and says why."""
    total, reasons = 0, []

    def add(weight: int, reason: str) -> None:
        nonlocal total
        total += weight
        reasons.append(f"{reason} (+{weight})")

    if r.operating_profit < 0:
        add(params.score_loss, f"a loss of {money(-r.operating_profit)} on {money(r.revenue)} revenue")
    elif r.margin < params.thin_margin:
        add(params.score_thin_margin, f"a thin margin of {pct(r.margin)} (under {pct(params.thin_margin, 0)})")
    if pd.notna(r.prior_operating_profit) and r.prior_operating_profit < 0 and r.operating_profit < 0:
        add(params.score_loss_before, f"a loss the year before too ({money(-r.prior_operating_profit)})")
    if pd.notna(r.prior_margin) and r.prior_margin - r.margin >= params.margin_drop_points / 100:
        add(params.score_margin_drop, f"the margin fell {points(r.prior_margin - r.margin)} in a year, from "
                                      f"{pct(r.prior_margin)} to {pct(r.margin)}")
    if pd.notna(r.top_council_share) and r.top_council_share >= params.council_revenue_share:
        add(params.score_one_council, f"one council, {r.top_council}, pays {pct(r.top_council_share, 0)} of its "
                                      "revenue")
    if r.revenue < params.small_revenue:
        add(params.score_small, f"a small turnover ({money(r.revenue)} a year, under {money(params.small_revenue)})")
    if pd.notna(r.debt) and r.debt >= params.debt_to_revenue * r.revenue:
        add(params.score_debt, f"debt of {money(r.debt)}, {r.debt / r.revenue:.1f} times a year's revenue")
    if pd.notna(r.interest) and r.interest > 0 and r.operating_profit < params.interest_cover * r.interest:
        add(params.score_interest, f"operating profit of {money(r.operating_profit)} covers the year's interest "
                                   f"({money(r.interest)}) {max(r.operating_profit, 0) / r.interest:.1f} times "
                                   f"(under {params.interest_cover:g})")
    return total, reasons


def fragility_flags(table: pd.DataFrame) -> pd.DataFrame:
    """financial_fragility rows: every company and group scoring at least the medium score, with its reasons."""
    flagged = table[table["severity"].ne("")]
    frames = []
    for level, subject in (("company", "provider"), ("group", "parent_group")):
        rows = flagged[flagged["level"].eq(level)]
        if rows.empty:
            continue
        evidence = [
            (f"{r.name}" + (f" (a parent group of {plural(int(r.companies), 'company', 'companies')}, accounts "
                            "added up)" if level == "group" else "")
             + f" scores {int(r.score)} for financial fragility: {r.reasons}. "
             + exposure_text(int(r.children), r.weekly_spend))
            for r in rows.itertuples(index=False)]
        action = ("Ask for its latest management accounts and its plan if income falls; avoid new block contracts "
                  "that deepen the region's reliance on it until they are seen; list where its children could go.")
        frames.append(flag_frame("financial_fragility", subject, rows["id"].tolist(), rows["severity"].tolist(),
                                 evidence, action))
    return pd.concat(frames, ignore_index=True) if frames else empty_flags()


def top_risk_flags(region: Region, placed: pd.DataFrame, replace: pd.DataFrame, fragile: pd.DataFrame,
                   params: FragilityParams) -> pd.DataFrame:
    """top_market_risk rows: owners designated difficult to replace (by the rule or the input) whose own score
    (the group's, or a company's without a group) is high, with the children and councils exposed."""
    owner_score = fragile[fragile["level"].eq("group") | ~fragile["id"].isin(
        region.providers.loc[region.providers["parent_group"].fillna("").ne(""), "provider_id"])]
    owner_score = owner_score.drop_duplicates("id").set_index("id")
    rows = []
    for r in replace[replace["designated"].astype(bool)].itertuples(index=False):
        if r.owner not in owner_score.index or owner_score.loc[r.owner, "score"] < params.high_score:
            continue
        f = owner_score.loc[r.owner]
        kids = placed[placed["owner"].eq(r.owner)]
        per_council = kids.groupby("la_code").agg(children=("child_id", "size"), weekly=("weekly_cost", "sum"))
        per_council = per_council.sort_values(["children", "weekly"], ascending=False)
        # counts only: a council's officer sees this row, and another council's one child's fee would describe it
        councils = ", ".join(f"{council(region, la)} {int(c.children):,}" for la, c in per_council.iterrows())
        unhoused = (f" The region could not re-house {int(r.unhoused):,} of them if it failed."
                    if r.tested and pd.notna(r.unhoused) else "")
        evidence = (f"{r.owner_name} is both difficult to replace and financially fragile. Fragility score "
                    f"{int(f.score)}: {f.reasons}. {exposure_text(int(r.children), r.weekly_spend)}{unhoused} "
                    f"Children by council: {councils or 'none'}.")
        action = (f"Top market risk: agree a contingency plan for {r.owner_name} with the councils exposed and the "
                  "DfE's oversight now; find where each child would go and commission the places the region lacks.")
        rows.append((r.subject_type, r.owner, evidence, action))
    if not rows:
        return empty_flags()
    frames = [flag_frame("top_market_risk", kind, [o for k, o, _, _ in rows if k == kind], "high",
                         [e for k, _, e, _ in rows if k == kind], [a for k, _, _, a in rows if k == kind])
              for kind in ("parent_group", "provider") if any(k == kind for k, *_ in rows)]
    return pd.concat(frames, ignore_index=True)
