"""All the market flags for a region, as one Flags result: the flags table (flags.csv) and the evidence tables
behind it."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pandas as pd

from data.region import Region
from optimiser.flags.common import FLAG_COLUMNS, SEVERITIES, placements
from optimiser.flags.concentration import concentration_flags, difficult_to_replace, markets
from optimiser.flags.fees import FeeModel, fee_flags, fee_model
from optimiser.flags.fragility import fragility, fragility_flags, top_risk_flags
from optimiser.flags.liberty import liberty_findings, liberty_flags, region_counts
from optimiser.flags.liberty import summary_table as liberty_summary_table
from optimiser.flags.params import FlagParams
from optimiser.flags.profit import margins, profit_flags
from optimiser.flags.quality import group_quality, judged, quality_flags
from optimiser.flags.replace import replace_flags, replaceability
from optimiser.flags.stress import StressTest, stress_flags, stress_test
from optimiser.flags.unlawful import (
    Proposals,
    child_flags,
    propose_alternatives,
    setting_flags,
    summary_table,
    unlawful_children,
    weekly_spend_unregistered,
)
from optimiser.match.params import MatchParams

FLAG_TYPES = {
    "unregistered_placement": "children in unregistered, cancelled, resigned, suspended or unknown settings",
    "under_16_supported": "children under 16 in supported accommodation",
    "secure_need_unmet": "children needing a secure placement living outside a secure or registered home",
    "unregistered_setting": "unlawful settings with the region's children in them",
    "dol_unregistered": "children on deprivation-of-liberty orders in unregistered settings (Ofsted deadline)",
    "dol_forbidden_setting": "children on deprivation-of-liberty orders where the rules forbid (secure home, "
                             "supported accommodation, parents, YOI)",
    "dol_review_due": "deprivation-of-liberty orders whose court review has passed or is near",
    "profit_outlier": "companies with margins far above peers or the CMA benchmark",
    "group_profit_outlier": "parent groups with margins above the CMA benchmark",
    "fee_outlier": "placements far above the expected fee",
    "high_cost_placement": "placements over the high-cost line",
    "market_concentration": "highly concentrated markets",
    "difficult_to_replace_exposure": "providers designated difficult to replace that the region relies on",
    "provider_exit_stress": "stress test: the largest provider group leaves",
    "difficult_to_replace_derived": "owners the region's data show to be difficult to replace (shares, children, "
                                    "re-housing), or designated in the input",
    "financial_fragility": "companies and groups whose accounts show signs of strain",
    "top_market_risk": "owners both difficult to replace and financially fragile",
    "group_quality": "owners whose homes' Ofsted grades are weak or falling",
}


@dataclass(frozen=True)
class Flags:
    table: pd.DataFrame  # flags.csv: flag, subject_type, subject_id, severity, evidence, action
    unlawful: pd.DataFrame  # one row per child and unlawful finding, with the placement's details
    unregistered_summary: pd.DataFrame  # per region, council and provider: children, settings, weekly spend
    liberty: pd.DataFrame  # one row per child on a deprivation-of-liberty order and finding (liberty.py)
    liberty_summary: pd.DataFrame  # per region and council: children on DoL orders and each finding's count
    margins: pd.DataFrame  # per company and parent group: margin, peers, robust z, benchmark gap
    fees: FeeModel  # the expected-fee model and its verdict on every placement
    markets: pd.DataFrame  # per market: places, HHI, top owner and shares
    proposals: Proposals | None  # the regional match with step-down referrals
    stress: StressTest | None
    replace: pd.DataFrame  # per owner: the derived difficult-to-replace designation's inputs and verdict
    fragility: pd.DataFrame  # per company and group: the financial fragility score and its reasons
    quality: pd.DataFrame  # per owner: Ofsted grades of its homes now and before
    timings: dict[str, float]

    def counts(self) -> dict[str, int]:
        counts = self.table["flag"].value_counts()
        return {flag: int(counts.get(flag, 0)) for flag in FLAG_TYPES}

    def summary(self) -> dict:
        weekly, children, settings = weekly_spend_unregistered(self.unlawful)
        return {"flags": len(self.table), "by_type": self.counts(),
                "by_severity": {s: int((self.table["severity"] == s).sum()) for s in SEVERITIES},
                "unregistered": {"children": children, "settings": settings, "weekly_spend": round(weekly, 2)},
                "liberty": region_counts(self.liberty_summary),
                "fee_model": {"fitted_on": self.fees.fitted_on, "converged": self.fees.converged,
                              "note": self.fees.note},
                "step_down_referrals_added": self.proposals.step_down_added if self.proposals else 0,
                "stress_test": self.stress.summary() if self.stress else None,
                "oversight": self.oversight_summary()}

    def oversight_summary(self) -> dict:
        """Who the market oversight flags name: owners designated (by the rule, and by the input only), the top
        market risks, and how many companies and groups score as fragile."""
        r = self.replace
        top = self.table.loc[self.table["flag"].eq("top_market_risk"), "subject_id"]
        return {"designated_by_rule": sorted(r.loc[r["by_rule"].astype(bool), "owner_name"]) if len(r) else [],
                "designated_by_input_only": sorted(r.loc[r["designated"].astype(bool) & ~r["by_rule"].astype(bool),
                                                         "owner_name"]) if len(r) else [],
                "top_market_risks": sorted(top),
                "fragile": {level: int((self.fragility["severity"] == level).sum()) for level in ("high", "medium")}}


def find_flags(region: Region, params: FlagParams | None = None, run_date: date | None = None,
               match_params: MatchParams | None = None,
               progress: Callable[[str], None] = lambda message: None,
               proposals: Proposals | None = None) -> Flags:
    """Every flag for the region on `run_date` (default today). The regional match runs once with step-down
    referrals (to propose registered homes) and once more for the stress test, each only when asked for.
    `proposals` is that first match when the caller has already run it (the monthly batch), so it is not solved
    twice."""
    params = params or FlagParams()
    match_params = match_params or MatchParams()
    run_date = run_date or date.today()
    clock, timings = time.perf_counter(), {}

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[f"{name}_s"] = round(now - clock, 3)
        clock = now

    placed = placements(region, run_date)
    found = unlawful_children(region, placed, params.unlawful)
    if proposals is None and (params.unlawful.propose_alternatives or params.stress.run):
        progress(f"Matching the region (this month's referrals, plus a step-down referral for any of the "
                 f"{found['child_id'].nunique()} children in unlawful settings who has none) to propose registered "
                 "homes")
        proposals = propose_alternatives(region, match_params, run_date)
    lap("match")
    parts = [child_flags(region, found, proposals if params.unlawful.propose_alternatives else None),
             setting_flags(region, found)]
    lap("unlawful")
    on_orders = liberty_findings(region, placed, params.liberty, run_date)
    parts.append(liberty_flags(region, on_orders, params.liberty, run_date))
    lap("liberty")
    progress("Operating margins against peers and the CMA benchmark")
    margin_table = margins(region, placed, params.profit)
    parts.append(profit_flags(region, margin_table, params.profit))
    lap("profit")
    progress("Fitting the expected-fee model on the region's placements")
    model = fee_model(region, placed, params.fees)
    parts.append(fee_flags(region, model, placed, params.fees, set(found["child_id"])))
    lap("fees")
    progress("Market concentration and providers difficult to replace")
    market_table = markets(region, params.concentration)
    parts += [concentration_flags(market_table, placed, params.concentration),
              difficult_to_replace(region, placed, params.concentration)]
    lap("concentration")
    stress = None
    if params.stress.run:
        progress("Stress test: removing the largest provider group and re-matching its children")
        stress = stress_test(region, placed, params.stress, match_params, run_date,
                             proposals.allocations if proposals else None)
        parts.append(stress_flags(stress))
    lap("stress")
    progress("Owners difficult to replace (re-matching the largest candidates' children), financial fragility and "
             "group quality")
    replace = replaceability(region, placed, params.replace, match_params, run_date,
                             proposals.allocations if proposals else None, stress, params.stress.run)
    fragile = fragility(region, placed, params.fragility)
    quality = judged(group_quality(region, placed), params.quality)
    parts += [replace_flags(replace), fragility_flags(fragile),
              top_risk_flags(region, placed, replace, fragile, params.fragility),
              quality_flags(quality, params.quality)]
    lap("market_oversight")
    table = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) else \
        pd.DataFrame(columns=FLAG_COLUMNS)
    order = {flag: i for i, flag in enumerate(FLAG_TYPES)}
    severity = {s: i for i, s in enumerate(SEVERITIES)}
    table = (table.assign(_f=table["flag"].map(order), _s=table["severity"].map(severity))
             .sort_values(["_f", "_s", "subject_id"], kind="stable").drop(columns=["_f", "_s"])
             .reset_index(drop=True))
    return Flags(table=table[FLAG_COLUMNS], unlawful=found, unregistered_summary=summary_table(region, found),
                 liberty=on_orders, liberty_summary=liberty_summary_table(region, placed, on_orders),
                 margins=margin_table, fees=model, markets=market_table, proposals=proposals, stress=stress,
                 replace=replace, fragility=fragile, quality=quality, timings=timings)
