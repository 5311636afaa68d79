"""The match job: step-down referrals, the regional match (holding places for the forecast's emergencies when it
has a forecast), the independent check, today's-practice baseline and the explanations; and planning mode."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from app.jobs.common import demand_record, loaded, run_header
from data.geo import TWENTY_MILES_KM
from data.region import Region
from optimiser.baseline import compare_outcomes, la_by_la_baseline
from optimiser.demand import check_demand
from optimiser.explain import explanations, sufficiency_gap
from optimiser.lookahead import Lookahead, match_with_lookahead
from optimiser.matching import MatchResult, allocation_table, match_region, weekly_spend
from optimiser.params import MatchParams
from optimiser.planning import Planning, plan
from optimiser.stepdown import with_step_down_referrals
from optimiser.verify import verify_allocation

SHORTAGE_BASELINE = "other councils' children had already taken those places when this council searched"


@dataclass(frozen=True)
class MatchJob:
    region: Region  # as matched: with the step-down referrals rcc added
    result: MatchResult
    baseline: pd.DataFrame  # today's practice on the same referrals
    comparison: pd.DataFrame  # measure x approach (regional, la_by_la)
    explanations: pd.DataFrame
    gap: pd.DataFrame
    summary: dict
    record: dict
    lookahead: Lookahead | None = None  # what was held back, when the match had a forecast
    job: str = field(default="match", init=False)

    def tables(self) -> dict[str, pd.DataFrame]:
        held = {"held_back": self.lookahead.held_back} if self.lookahead is not None else {}
        return held | {"allocations": self.result.allocations, "explanations": self.explanations, "gap": self.gap,
                       "baseline_allocations": self.baseline,
                       "comparison": self.comparison.rename_axis("measure").reset_index()}


def run_match(source: Path | Region, params: MatchParams | None = None, progress=lambda message: None,
              run_date: date | None = None, demand: pd.DataFrame | None = None) -> MatchJob:
    """Match every referral of the region (with a step-down referral for each child in an unlawful setting),
    check the answer independently, compare it with today's practice and explain who is left. With a forecast's
    Demand table, hold places back for the emergencies it expects before the next run."""
    params = params or MatchParams()
    started = datetime.now(UTC)
    region = loaded(source, progress, run_date, job="match")
    if demand is not None:
        demand = check_demand(demand)  # a forecast made in this process has its months as dates, a file as text
    region, step_down = with_step_down_referrals(region, run_date or started.date())
    if len(step_down):
        progress(f"Added {len(step_down)} step-down referral(s) for children living in unlawful settings")
    progress(f"Matching {len(region.referrals)} referrals against {len(region.settings)} settings "
             f"({params.solver}, time limit {params.time_limit_s:g} s)")
    lookahead = None
    if demand is None:
        result = match_region(region, params, run_date)
        violations = verify_allocation(region, result.allocations, params)
    else:
        progress(f"Holding places back for the emergencies the forecast ({params.lookahead_column}) expects before "
                 "the next run")
        result, lookahead = match_with_lookahead(region, demand, params, run_date or started.date())
        # the held places are checked with the children: they must fit the vacancies and the rules together
        violations = verify_allocation(lookahead.region, lookahead.allocations, params)
    if not violations.empty:
        # A broken hard rule is a bug in rcc, never something to hand to a commissioner.
        raise RuntimeError("the allocation breaks hard rules (this is a bug in rcc):\n" + violations.to_string())
    progress("Comparing with today's practice (each council searching alone, first come first served)")
    baseline = allocation_table(region, result.candidates,
                                la_by_la_baseline(region, result.candidates).set_index("referral_id")["setting_id"],
                                shortage=SHORTAGE_BASELINE)
    baseline_violations = verify_allocation(region, baseline, params)
    comparison = compare_outcomes(result.allocations, baseline,
                                  {"regional": 0, "la_by_la": len(baseline_violations)})
    progress("Explaining unmatched referrals and the sufficiency gap")
    why = explanations(region, result.allocations, params)
    gap = sufficiency_gap(region, result.allocations)
    summary = match_summary(result.allocations) | {"step_down_referrals_added": len(step_down)}
    record = _match_record(region, result, params, summary, comparison, lookahead, demand, started)
    return MatchJob(region, result, baseline, comparison, why, gap, summary, record, lookahead)


def _match_record(region, result, params, summary, comparison, lookahead, demand, started) -> dict:
    record = {
        **run_header("match", started, region),
        "parameters": params.to_dict(),
        "solver": result.solver,
        "status": result.status,
        "message": result.message,
        "objective": result.objective,
        "bound": result.bound,
        "gap": result.gap,
        "model": {"units": result.units, "pairs": result.pairs},
        "timings": {k: round(v, 3) for k, v in result.timings.items()},
        "verification": {"violations": 0},
        "summary": summary,
        "comparison": {approach: {k: (None if pd.isna(v) else v) for k, v in column.items()}
                       for approach, column in comparison.items()},
    }
    if lookahead is not None:
        record["lookahead"] = {
            "forecast": demand_record(demand), "forecast_column": params.lookahead_column,
            "hold_value": params.hold_value, **lookahead.summary(),
            "children_held_back": int(result.allocations["reason_code"].eq("held_back").sum()),
            "objective_note": "objective and bound include the value of the places held"}
    return record


def match_summary(allocations: pd.DataFrame) -> dict:
    matched = allocations[allocations["status"] == "matched"]
    unmatched = allocations[allocations["status"] == "unmatched"]
    distance = matched["distance_km"]
    return {
        "referrals": len(allocations),
        "matched": len(matched),
        "unmatched": len(unmatched),
        "unmatched_by_reason": {k: int(v) for k, v in unmatched["reason_code"].value_counts().sort_index().items()},
        "mean_distance_km": round(float(distance.mean()), 1) if len(matched) else None,
        "share_over_20_miles": round(float((distance > TWENTY_MILES_KM).mean()), 3) if len(matched) else None,
        "total_weekly_cost": round(weekly_spend(allocations), 2),
    }


@dataclass(frozen=True)
class PlanningJob:
    planning: Planning
    summary: dict
    record: dict
    job: str = field(default="planning", init=False)

    def tables(self) -> dict[str, pd.DataFrame]:
        p = self.planning
        return {"planning_gap": p.gap, "planning_allocations": p.allocations,
                "planning_cohort": p.cohort.assign(needs=p.cohort["needs"].map(";".join))}


def run_planning(source: Path | Region, demand: pd.DataFrame, horizon: int, params: MatchParams | None = None,
                 progress=lambda message: None, run_date: date | None = None, seed: int = 0) -> PlanningJob:
    """Planning mode: today's referrals first, then the children the forecast expects over `horizon` months drawn
    (seeded) and matched to what is left, earliest months first."""
    params = params or MatchParams()
    demand = check_demand(demand)
    started = datetime.now(UTC)
    run_date = run_date or started.date()
    region = loaded(source, progress, run_date, job="match")
    region, step_down = with_step_down_referrals(region, run_date)
    progress(f"Drawing the children the forecast expects over {horizon} months (seed {seed}), matching today's "
             f"{len(region.referrals)} referrals first, then them against what is left")
    planning = plan(region, demand, horizon, params, run_date, seed)
    for name, matched_in, allocations in (("today's match", region, planning.today.allocations),
                                          ("the planning match", planning.supply, planning.result.allocations)):
        violations = verify_allocation(matched_in, allocations, params)
        if not violations.empty:
            raise RuntimeError(f"{name} breaks hard rules (this is a bug in rcc):\n" + violations.to_string())
    summary = _planning_summary(planning, horizon, seed, step_down)
    record = {
        **run_header("planning", started, region),
        "run_date": run_date.isoformat(),
        "forecast": demand_record(demand),
        "parameters": params.to_dict(),
        "status": {"today": planning.today.status, "planning": planning.result.status},
        "objective": {"today": planning.today.objective, "planning": planning.result.objective},
        "gap": {"today": planning.today.gap, "planning": planning.result.gap},
        "verification": {"violations": 0},
        "summary": summary,
    }
    return PlanningJob(planning, summary, record)


def _planning_summary(planning: Planning, horizon: int, seed: int, step_down: pd.DataFrame) -> dict:
    allocations = planning.allocations
    unmet = allocations[allocations["status"].eq("unmatched")]
    return {
        "horizon_months": horizon, "seed": seed,
        "months": [allocations["month"].min(), allocations["month"].max()] if len(allocations) else [],
        "children_expected": round(float(planning.expected["expected"].sum()), 1),
        "children_drawn": len(planning.cohort),
        "sibling_groups_drawn": planning.cohort.loc[planning.cohort["sibling_group"].ne(""),
                                                    "sibling_group"].nunique(),
        "children_unmet": len(unmet),
        "drawn_by_group": {g: int(n) for g, n in allocations.groupby("group").size().items()},
        "unmet_by_group": {g: int(n) for g, n in unmet.groupby("group").size().items()},
        "unmet_by_reason": {k: int(v) for k, v in unmet["reason_code"].value_counts().sort_index().items()},
        "today": match_summary(planning.today.allocations) | {"step_down_referrals_added": len(step_down)},
    }
