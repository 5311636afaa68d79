"""The regional match: every referral in the region to at most one registered setting, as one region.

Rooms, in the order a match goes through them: stepdown (children living somewhere unlawful get a referral),
candidates (the eligible child x setting pairs and their costs), solvers (the model, and the backends that solve
it), allocation (the choice as one row per referral, with the reason for every child left unmatched), lookahead
(places held back for the emergencies a forecast expects, from the Demand table read in demand), verify (an
independent check of the hard rules), baseline (today's practice on the same referrals), explain (why children
were not matched, and the sufficiency gap). planning matches the children a forecast expects over months to come;
params holds MatchParams and its documented defaults (match.toml).

`match` goes through them all and returns a Match holding every table one match makes. The rooms are imported when
a match runs rather than with the package: the command line imports params at start-up to list the solvers, and
loading the solvers' libraries takes about 2 s.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Callable

import pandas as pd

from data.geo import TWENTY_MILES_KM

if TYPE_CHECKING:
    from data.region import Region
    from optimiser.match.allocation import MatchResult
    from optimiser.match.fairness import Fairness
    from optimiser.match.lookahead import Lookahead
    from optimiser.match.params import MatchParams

__all__ = ["Match", "match", "match_summary"]


@dataclass(frozen=True)
class Match:
    """Everything one match makes, as tables: nothing here is written to a file."""

    region: Region  # as matched: with the step-down referrals rcc added, members' referrals only
    result: MatchResult  # the solver's answer; result.allocations is the allocation table (one row per referral)
    lookahead: Lookahead | None  # what was held back, when the match had a forecast
    demand: pd.DataFrame | None  # the Demand table the look-ahead used, checked (months as dates)
    baseline: pd.DataFrame  # today's practice on the same referrals, as an allocation table
    comparison: pd.DataFrame  # measure x approach (regional, la_by_la)
    explanations: pd.DataFrame  # per unmatched referral and rule: explain.EXPLANATION_COLUMNS
    gap: pd.DataFrame  # the sufficiency gap: explain.GAP_COLUMNS
    step_down_referrals_added: int
    violations: pd.DataFrame  # hard rules the answer breaks (verify.py): empty, since match raises on any
    baseline_violations: pd.DataFrame  # hard rules today's practice breaks (siblings split though one home fits)
    accounts: pd.DataFrame  # each council's account, regional against alone: accounts.ACCOUNT_COLUMNS
    fairness: Fairness | None  # the fairness rule's outcome (price, councils not held), unless fairness is none
    membership: dict  # what leaving non-members out changed (membership.with_membership); empty when all are members
    summary: dict  # match_summary of the allocations, with step_down_referrals_added


def match(region: Region, params: MatchParams | None = None, run_date: date | None = None,
          demand: pd.DataFrame | None = None, progress: Callable[[str], None] = lambda message: None) -> Match:
    """Match a region as `rcc match` does: a step-down referral for each child living somewhere unlawful, the
    regional match (holding places back for the emergencies `demand`, a forecast's Demand table, expects before
    the next run), the independent check, today's practice on the same referrals, and why children are left
    unmatched. `run_date` (default today) is the day referrals are matched on. A broken hard rule raises
    RuntimeError: it is a bug in rcc, never something to hand to a commissioner."""
    from optimiser.match.accounts import council_accounts
    from optimiser.match.demand import check_demand
    from optimiser.match.explain import explanations, sufficiency_gap
    from optimiser.match.membership import with_membership
    from optimiser.match.params import MatchParams
    from optimiser.match.reservations import Reservations
    from optimiser.match.stepdown import with_step_down_referrals

    params = params or MatchParams()
    run_date = run_date or date.today()
    if demand is not None:
        demand = check_demand(demand)  # a forecast made in this process has its months as dates, a file as text
    region, step_down = with_step_down_referrals(region, run_date)
    if len(step_down):
        progress(f"Added {len(step_down)} step-down referral(s) for children living in unlawful settings")
    region, membership = with_membership(region, params, run_date)
    if membership:
        progress(f"Members only: {membership['referrals_left_out']} referral(s) of non-member councils left out; "
                 f"{membership['vacancies_counted']} of the {membership['vacancies_in_non_member_areas']} vacancies "
                 "in their areas counted on")
    fairness, reservations = None, Reservations.for_region(region)
    if params.fairness != "none":
        from optimiser.match.fairness import Fairness

        progress(f"Fairness rule {params.fairness}: each council's stand-alone result (today's practice)")
        fairness = Fairness.for_region(region, params, run_date)
        fairness.reservations = reservations
    solve_with = fairness.solve if fairness is not None else None if reservations is None else reservations.solve
    result, lookahead, violations = _regional_match(region, params, run_date, demand, progress, solve_with)
    progress("Comparing with today's practice (each council searching alone, first come first served)")
    baseline, baseline_violations, comparison = _todays_practice(region, result, params)
    accounts = council_accounts(region, result.candidates, result.allocations, baseline, params,
                                {} if reservations is None else reservations.costs)
    progress("Explaining unmatched referrals and the sufficiency gap")
    return Match(region=region, result=result, lookahead=lookahead, demand=demand, baseline=baseline,
                 comparison=comparison, accounts=accounts, fairness=fairness, membership=membership,
                 explanations=explanations(region, result.allocations, params, run_date),
                 gap=sufficiency_gap(region, result.allocations), step_down_referrals_added=len(step_down),
                 violations=violations, baseline_violations=baseline_violations,
                 summary=match_summary(result.allocations) | {"step_down_referrals_added": len(step_down)}
                 | solve_quality(result, params))


def solve_quality(result: MatchResult, params: MatchParams) -> dict:
    """How sure the answer is: the solver's status and proven gap, and whether the gap is wider than
    `gap_warning` (a time limit stopped the solver far from the best possible)."""
    gap = None if pd.isna(result.gap) else float(result.gap)
    return {"solver_status": result.status, "solver_gap": None if gap is None else round(gap, 6),
            "gap_too_wide": bool(gap is not None and gap > params.gap_warning)}


def _regional_match(region: Region, params: MatchParams, run_date: date, demand: pd.DataFrame | None,
                    progress: Callable[[str], None],
                    solve_with: Callable | None = None) -> tuple[MatchResult, Lookahead | None, pd.DataFrame]:
    """The regional optimum (with the look-ahead when there is a forecast), checked by the independent verifier."""
    from optimiser.match.allocation import match_region
    from optimiser.match.lookahead import match_with_lookahead
    from optimiser.match.verify import verify_allocation

    progress(f"Matching {len(region.referrals)} referrals against {len(region.settings)} settings "
             f"({params.solver}, time limit {params.time_limit_s:g} s)"
             + ("" if solve_with is None else "; with fairness or reserved places: HiGHS on the whole model"))
    if demand is None:
        result, lookahead = match_region(region, params, run_date, solve_with), None
        violations = verify_allocation(region, result.allocations, params)
    else:
        progress(f"Holding places back for the emergencies the forecast ({params.lookahead_column}) expects before "
                 "the next run")
        result, lookahead = match_with_lookahead(region, demand, params, run_date, solve_with)
        # the held places are checked with the children: they must fit the vacancies and the rules together
        violations = verify_allocation(lookahead.region, lookahead.allocations, params)
    if not violations.empty:
        raise RuntimeError("the allocation breaks hard rules (this is a bug in rcc):\n" + violations.to_string())
    return result, lookahead, violations


def _todays_practice(region: Region, result: MatchResult,
                     params: MatchParams) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Today's practice on the same candidate pairs, the hard rules it breaks, and its comparison with the optimum."""
    from optimiser.match.allocation import allocation_table
    from optimiser.match.baseline import SHORTAGE_BASELINE, compare_outcomes, la_by_la_baseline
    from optimiser.match.verify import verify_allocation

    chosen = la_by_la_baseline(region, result.candidates).set_index("referral_id")["setting_id"]
    baseline = allocation_table(region, result.candidates, chosen, shortage=SHORTAGE_BASELINE)
    broken = verify_allocation(region, baseline, params)
    comparison = compare_outcomes(result.allocations, baseline, {"regional": 0, "la_by_la": len(broken)})
    return baseline, broken, comparison


def match_summary(allocations: pd.DataFrame) -> dict:
    """The allocation in a few numbers (the run record's summary): referrals, matched, unmatched by reason, mean
    distance, share placed over 20 miles from home and the weekly cost."""
    from optimiser.match.allocation import weekly_spend

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
