"""The match job: step-down referrals, the regional match (holding places for the forecast's emergencies when it
has a forecast), the independent check, today's-practice baseline and the explanations (optimiser.match); and
planning mode."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from app.jobs.common import demand_record, loaded, run_header
from data.region import Region
from optimiser.match import Match, match, match_summary
from optimiser.match.accounts import accounts_summary
from optimiser.match.demand import check_demand
from optimiser.match.params import MatchParams
from optimiser.match.planning import Planning, plan
from optimiser.match.stepdown import with_step_down_referrals
from optimiser.match.verify import verify_allocation


@dataclass(frozen=True)
class MatchJob:
    match: Match  # everything the match made
    record: dict
    job: str = field(default="match", init=False)

    # what the batch, the flags, the strategy and the dashboard read of it
    region = property(lambda self: self.match.region)
    result = property(lambda self: self.match.result)
    lookahead = property(lambda self: self.match.lookahead)
    comparison = property(lambda self: self.match.comparison)
    explanations = property(lambda self: self.match.explanations)
    summary = property(lambda self: self.match.summary)

    def tables(self) -> dict[str, pd.DataFrame]:
        m = self.match
        held = {"held_back": m.lookahead.held_back} if m.lookahead is not None else {}
        held |= {"fairness": m.fairness.table} if m.fairness is not None else {}
        return held | {"allocations": m.result.allocations, "explanations": m.explanations, "gap": m.gap,
                       "baseline_allocations": m.baseline,
                       "comparison": m.comparison.rename_axis("measure").reset_index(),
                       "council_accounts": m.accounts}


def run_match(source: Path | Region, params: MatchParams | None = None, progress=lambda message: None,
              run_date: date | None = None, demand: pd.DataFrame | None = None) -> MatchJob:
    """Match every referral of the region (with a step-down referral for each child in an unlawful setting),
    check the answer independently, compare it with today's practice and explain who is left. With a forecast's
    Demand table, hold places back for the emergencies it expects before the next run."""
    params = params or MatchParams()
    started = datetime.now(UTC)
    region = loaded(source, progress, run_date, job="match")
    result = match(region, params, run_date or started.date(), demand, progress)
    return MatchJob(result, _match_record(result, params, started))


def _match_record(m: Match, params: MatchParams, started: datetime) -> dict:
    result = m.result
    record = {
        **run_header("match", started, m.region),
        "parameters": params.to_dict(),
        "solver": result.solver,
        "status": result.status,
        "message": result.message,
        "objective": result.objective,
        "bound": result.bound,
        "gap": result.gap,
        "model": {"units": result.units, "pairs": result.pairs},
        "timings": {k: round(v, 3) for k, v in result.timings.items()},
        "verification": {"violations": len(m.violations)},
        "summary": m.summary,
        "comparison": {approach: {k: (None if pd.isna(v) else v) for k, v in column.items()}
                       for approach, column in m.comparison.items()},
        "accounts": accounts_summary(m.accounts),
    }
    if m.fairness is not None:
        record["fairness"] = m.fairness.record
    if m.membership:
        record["membership"] = m.membership
    if m.lookahead is not None:
        record["lookahead"] = {
            "forecast": demand_record(m.demand), "forecast_column": params.lookahead_column,
            "hold_value": params.hold_value, **m.lookahead.summary(),
            "children_held_back": int(result.allocations["reason_code"].eq("held_back").sum()),
            "objective_note": "objective and bound include the value of the places held"}
    return record


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
