"""The strategy job: a commissioning plan under forecast uncertainty, from the month's forecast (or a new one), the
match's starting gap and the market flags' providers to renegotiate with."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from app.jobs.common import loaded, run_header
from data.region import Region
from data.vocabulary import PLACEMENT_GROUPS
from forecasts.demand import Forecast
from forecasts.liberty import with_dol_line
from forecasts.params import ForecastParams
from forecasts.simulate import path_table
from optimiser.flags import FlagParams, find_flags
from optimiser.match import match as run_match_now
from optimiser.match.accounts import accounts_summary
from optimiser.match.params import MatchParams
from optimiser.strategy import Strategy, StrategyParams, plan_strategy, unmatched_by_group
from optimiser.strategy.renegotiate import providers_to_renegotiate
from optimiser.strategy.sharing import sharing_for


@dataclass(frozen=True)
class StrategyResult:
    strategy: Strategy
    renegotiate: pd.DataFrame  # providers to renegotiate with (from the market flags)
    gap: pd.DataFrame  # the starting evidence: children without a home per council x group
    summary: dict
    record: dict
    council_names: dict[str, str]
    accounts: pd.DataFrame | None = None  # each council's account of the starting match (accounts.py)
    sharing: pd.DataFrame | None = None  # who pays and saves what (optimiser/strategy/sharing.py)
    job: str = field(default="strategy", init=False)

    def tables(self) -> dict[str, pd.DataFrame]:
        s = self.strategy
        return {"strategy_actions": s.actions, "strategy_balance": s.balance, "strategy_risk": s.risk,
                "strategy_comparison": s.comparison.rename_axis("cost").reset_index(),
                "strategy_options": s.options, "strategy_renegotiate": self.renegotiate} | (
                    {"strategy_sharing": self.sharing} if self.sharing is not None else {})

    @property
    def header(self) -> dict:
        """The run record's header (job, time, code, input), which the board pack prints."""
        return {k: self.record[k] for k in ("job", "started_at", "rcc_version", "python", "input")}


def starting_match(region: Region, match=None, run_date: date | None = None, progress=lambda message: None):
    """The match the strategy starts from: the current match (a MatchJob) when there is one, else today's
    referrals matched now, with the baseline, so the board pack can show each council's account."""
    if match is not None:
        return match.match
    progress("Matching today's referrals for the starting sufficiency gap and each council's account")
    return run_match_now(region, MatchParams(), run_date or date.today())


def starting_gap(match) -> pd.DataFrame:
    """Children the match cannot place today per council x kind of home (la_code, group, children): the evidence
    the strategy starts from. Today the current match's; the matcher's planning mode can replace this step."""
    return unmatched_by_group(match.region, match.result.allocations)


def run_strategy(source: Path | Region, params: StrategyParams | None = None,
                 forecast_params: ForecastParams | None = None, progress=lambda message: None,
                 forecast: Forecast | None = None, match=None, gap: pd.DataFrame | None = None,
                 run_date: date | None = None,
                 flags_table: pd.DataFrame | Callable[[], pd.DataFrame] | None = None) -> StrategyResult:
    """Plan commissioning under forecast uncertainty: forecast (or take a forecast), take the starting gap (the
    current match's unless `gap` is given), solve the quantile and two-stage plans, compare them with doing
    nothing and find the providers to renegotiate with."""
    from forecasts.demand import forecast as make_forecast

    params = params or StrategyParams()
    forecast_params = forecast_params or ForecastParams()
    started = datetime.now(UTC)
    run_date = run_date or started.date()
    region = loaded(source, progress, run_date, job="forecast" if forecast is None else "")
    region.require("strategy")
    clock, timings = time.perf_counter(), {}
    if forecast is None:
        progress(f"Forecasting {3 * params.horizon_quarters} months ahead")
        forecast = make_forecast(region, forecast_params, 3 * params.horizon_quarters, progress=progress)
    timings["forecast_s"] = time.perf_counter() - clock
    start = starting_match(region, match, run_date, progress) if gap is None or match is not None else None
    if gap is None:
        gap = starting_gap(start)
    timings["gap_s"] = time.perf_counter() - clock - timings["forecast_s"]
    # the deprivation-of-liberty cohort is carved out of the paths and today's counts as out of the Demand table
    paths = (with_dol_line(path_table(forecast.simulation), forecast.dol_shares, ["children"])
             if forecast.simulation is not None else None)
    strategy = plan_strategy(region, gap, params, paths=paths, demand=forecast.demand,
                             current=with_dol_line(_children_now(forecast), forecast.dol_shares, ["children"]),
                             progress=progress)
    progress("Market flags: providers to renegotiate with")
    renegotiate = providers_to_renegotiate(region, _flags_table(flags_table, region, run_date), strategy.actions)
    summary = strategy.summary() | {"providers_to_renegotiate": len(renegotiate)}
    timings.update({f"strategy_{k}": v for k, v in strategy.timings.items()})
    timings["total_s"] = time.perf_counter() - clock
    record = {
        **run_header("strategy", started, region),
        "run_date": run_date.isoformat(),
        "parameters": params.to_dict(),
        "forecast_parameters": forecast_params.to_dict(),
        "forecast_origin": f"{forecast.model.origin_month:%Y-%m}",
        "quarters": strategy.quarters.to_dict(orient="records"),
        "starting_gap": gap.to_dict(orient="records"),
        "solvers": {name: {"status": s.status, "objective": s.objective, "bound": s.bound, "gap": s.gap,
                           "runtime_s": round(s.runtime_s, 3), "message": s.message}
                    for name, s in strategy.solutions.items() if name != "do_nothing"},
        "expected_costs": {name: {k: round(v, 2) for k, v in o.costs.items()}
                           for name, o in strategy.outcomes.items()},
        "in_sample_expected_objective": {k: round(v, 2) for k, v in strategy.in_sample.items()},
        "timings": {k: round(v, 3) for k, v in timings.items()},
        "summary": summary,
    }
    names = dict(zip(region.authorities["la_code"], region.authorities["la_name"]))
    accounts, sharing = (None, None) if start is None else (start.accounts, sharing_for(
        start, strategy.actions, params.sharing_rule, params.shapley_exact_up_to, params.shapley_samples,
        params.shapley_seed, progress))
    if accounts is not None:
        record["accounts"] = accounts_summary(accounts)
        record["sharing"] = sharing.record
    return StrategyResult(strategy, renegotiate, gap, summary, record, names, accounts,
                          None if sharing is None else sharing.table)


def _children_now(forecast: Forecast) -> pd.DataFrame:
    """Children in care per council x placement group at the end of the last full month of the history."""
    history = forecast.history
    now = history.stock[:, -1]  # (council, group, age state)
    return pd.DataFrame([(la, group, float(now[c, g].sum())) for c, la in enumerate(history.la_codes)
                         for g, group in enumerate(PLACEMENT_GROUPS)], columns=["la_code", "group", "children"])


def _flags_table(flags_table, region: Region, run_date: date) -> pd.DataFrame:
    if callable(flags_table):  # the monthly batch finds the flags beside the plan: wait for them only now
        return flags_table()
    if flags_table is not None:
        return flags_table
    # alone, the flags without the matcher suffice
    quiet = FlagParams()
    quiet = dataclasses.replace(quiet, stress=dataclasses.replace(quiet.stress, run=False),
                                unlawful=dataclasses.replace(quiet.unlawful, propose_alternatives=False))
    return find_flags(region, quiet, run_date).table
