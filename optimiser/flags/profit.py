"""Profit outliers: each company's operating margin against its peers and the CMA's benchmark, and each parent
group's margin (its companies' profit over their revenue) against the same benchmark.

Peers are companies mainly running the same setting type (most places) in the same sector; their centre is the
median and their spread the median absolute deviation (x 1.4826, a robust standard deviation), so the outliers
being judged cannot drag the yardstick towards themselves. Councils publish no company accounts: their services
are not judged.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.region import Region
from data.vocabulary import SECTOR_LABELS
from optimiser.flags.common import (
    empty_flags,
    exposure,
    exposure_text,
    flag_frame,
    money,
    pct,
    plural,
    points,
    types_name,
)
from optimiser.flags.params import ProfitParams

MAD_TO_SD = 1.4826
MARGIN_COLUMNS = ["level", "id", "name", "companies", "sector", "main_type", "revenue", "operating_profit", "margin",
                  "peer_group", "peers", "peer_median", "robust_sd", "robust_z", "over_benchmark", "flagged",
                  "children", "weekly_spend"]


def margins(region: Region, placed: pd.DataFrame, params: ProfitParams) -> pd.DataFrame:
    """One row per company with accounts (level company) and per parent group (level group): margin, peers, the
    robust z, points over the benchmark, whether flagged, and the region's children and weekly spend there."""
    companies = _companies(region, params)
    if companies.empty:
        return pd.DataFrame(columns=MARGIN_COLUMNS)
    _peer_statistics(companies, params)
    companies["over_benchmark"] = companies["margin"] - params.benchmark_margin
    far_from_peers = ((companies["robust_z"] >= params.robust_z)
                      & (companies["margin"] - companies["peer_median"] >= params.min_points_over_peers / 100))
    companies["flagged"] = far_from_peers | (companies["over_benchmark"] >= params.company_points_over_benchmark / 100)
    spend = exposure(placed, "provider_id")
    companies["children"] = companies["id"].map(spend["children"]).fillna(0).astype(int)
    companies["weekly_spend"] = companies["id"].map(spend["weekly_spend"]).fillna(0.0)
    groups = _groups(companies, placed, params)
    return pd.concat([companies.assign(level="company", companies=1), groups], ignore_index=True)[MARGIN_COLUMNS]


def _companies(region: Region, params: ProfitParams) -> pd.DataFrame:
    p = region.providers.drop_duplicates("provider_id")
    has_accounts = (p["sector"].ne("local_authority") & p["revenue"].notna() & p["operating_profit"].notna()
                    & (p["revenue"] > 0) & (p["revenue"] >= params.min_revenue))
    p = p[has_accounts]
    places = region.settings.groupby(["provider_id", "setting_type"])["places"].sum().reset_index()
    main = (places.sort_values(["places", "setting_type"], ascending=[False, True])
            .drop_duplicates("provider_id").set_index("provider_id")["setting_type"])
    return pd.DataFrame({
        "id": p["provider_id"].to_numpy(), "name": p["provider_name"].to_numpy(), "sector": p["sector"].to_numpy(),
        "parent_group": p["parent_group"].fillna("").to_numpy(),
        "main_type": p["provider_id"].map(main).fillna("settings not in the data").to_numpy(),
        "revenue": p["revenue"].to_numpy(dtype=float), "operating_profit": p["operating_profit"].to_numpy(dtype=float),
        "margin": (p["operating_profit"] / p["revenue"]).to_numpy(dtype=float)})


def _peer_statistics(companies: pd.DataFrame, params: ProfitParams) -> None:
    """Each company's peer group (same main type and sector; else same sector; else all), with its median and
    robust standard deviation, and the company's robust z against them."""
    floor = params.mad_floor_points / 100
    labels, medians, sds, counts = [], [], [], []
    for row in companies.itertuples(index=False):
        for label, mask in (
                (f"{SECTOR_LABELS.get(row.sector, row.sector)} providers mainly running "
                 f"{types_name(row.main_type)}", (companies["main_type"].eq(row.main_type)
                                                  & companies["sector"].eq(row.sector))),
                (f"all {SECTOR_LABELS.get(row.sector, row.sector)} providers", companies["sector"].eq(row.sector)),
                ("all providers with accounts", pd.Series(True, index=companies.index))):
            if mask.sum() >= params.min_peers or label.startswith("all providers"):
                break
        values = companies.loc[mask, "margin"].to_numpy()
        median = float(np.median(values))
        labels.append(label)
        medians.append(median)
        sds.append(max(MAD_TO_SD * float(np.median(np.abs(values - median))), floor))
        counts.append(int(mask.sum()))
    companies["peer_group"], companies["peers"] = labels, counts
    companies["peer_median"], companies["robust_sd"] = medians, sds
    companies["robust_z"] = (companies["margin"] - companies["peer_median"]) / companies["robust_sd"]


def _groups(companies: pd.DataFrame, placed: pd.DataFrame, params: ProfitParams) -> pd.DataFrame:
    """Parent groups: summed accounts of their companies, judged against the benchmark and the peers of their
    largest company's kind."""
    grouped = companies[companies["parent_group"].ne("")]
    if grouped.empty:
        return pd.DataFrame(columns=MARGIN_COLUMNS)
    rows = []
    for group, members in grouped.groupby("parent_group", sort=True):
        largest = members.sort_values("revenue", ascending=False).iloc[0]
        revenue, profit = members["revenue"].sum(), members["operating_profit"].sum()
        margin = profit / revenue
        z = (margin - largest["peer_median"]) / largest["robust_sd"]
        over = margin - params.benchmark_margin
        flagged = (over >= params.group_points_over_benchmark / 100) or (
            z >= params.robust_z and margin - largest["peer_median"] >= params.min_points_over_peers / 100)
        rows.append({"level": "group", "id": group, "name": group, "companies": len(members),
                     "sector": largest["sector"], "main_type": largest["main_type"], "revenue": revenue,
                     "operating_profit": profit, "margin": margin, "peer_group": largest["peer_group"],
                     "peers": largest["peers"], "peer_median": largest["peer_median"],
                     "robust_sd": largest["robust_sd"], "robust_z": z, "over_benchmark": over, "flagged": flagged})
    groups = pd.DataFrame(rows)
    spend = exposure(placed, "owner")
    groups["children"] = groups["id"].map(spend["children"]).fillna(0).astype(int)
    groups["weekly_spend"] = groups["id"].map(spend["weekly_spend"]).fillna(0.0)
    return groups


def profit_flags(region: Region, table: pd.DataFrame, params: ProfitParams) -> pd.DataFrame:
    """The flags table rows for flagged companies (profit_outlier) and groups (group_profit_outlier)."""
    flagged = table[table["flagged"].astype(bool)]
    if flagged.empty:
        return empty_flags()
    accounts = region.providers.set_index("provider_id")["financial_year_end"]
    frames = []
    for level, flag, subject in (("company", "profit_outlier", "provider"), ("group", "group_profit_outlier",
                                                                              "parent_group")):
        rows = flagged[flagged["level"].eq(level)]
        if rows.empty:
            continue
        evidence, severity = [], []
        for r in rows.itertuples(index=False):
            year = accounts.get(r.id) if level == "company" else None
            year_text = f", year to {pd.Timestamp(year):%d %B %Y}" if year is not None and pd.notna(year) else ""
            who = (f"{r.name} ({SECTOR_LABELS.get(r.sector, r.sector)}, mainly {types_name(r.main_type)})"
                   if level == "company" else
                   f"The parent group {r.name} ({plural(int(r.companies), 'company', 'companies')}, accounts added up)")
            above_peers = r.margin - r.peer_median
            evidence.append(
                f"{who} made an operating margin of {pct(r.margin)}: {money(r.operating_profit)} profit on "
                f"{money(r.revenue)} revenue{year_text}. Its peers ({r.peers} {r.peer_group}) have a median margin "
                f"of {pct(r.peer_median)}; this is {points(above_peers)} {'above' if above_peers >= 0 else 'below'} "
                f"it, {r.robust_z:.1f} robust standard deviations. It is {points(r.over_benchmark)} "
                f"{'above' if r.over_benchmark >= 0 else 'below'} the {pct(params.benchmark_margin)} the CMA found "
                f"for the 15 largest children's home providers (2016-20). {exposure_text(r.children, r.weekly_spend)}")
            both = (r.robust_z >= params.robust_z) and (
                r.over_benchmark >= (params.company_points_over_benchmark if level == "company"
                                     else params.group_points_over_benchmark) / 100)
            level_ = "high" if both else "medium"
            severity.append(level_ if r.children else {"high": "medium", "medium": "low"}[level_])
        action = ("Ask for open-book accounts before agreeing any fee uplift; use the region's joint spend to "
                  "negotiate; report to the DfE's financial oversight if the pattern persists.")
        frames.append(flag_frame(flag, subject, rows["id"].tolist(), severity, evidence, action))
    return pd.concat(frames, ignore_index=True)
