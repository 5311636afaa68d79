"""One function per job, no UI: the CLI, the monthly batch and the dashboard only call these."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import platform
import time
from dataclasses import dataclass
from datetime import date, datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Callable

import pandas as pd

from app.export import write_strategy_report, write_strategy_workbook
from data.load import load_region
from data.region import Region
from data.vocabulary import PLACEMENT_GROUPS
from forecasts.backtest import Backtest
from forecasts.demand import Forecast, backtest_region, forecast
from forecasts.params import ForecastParams
from forecasts.scenarios import Scenario
from forecasts.simulate import path_table
from optimiser.flags import FlagParams, Flags, find_flags
from optimiser.flags.unlawful import Proposals
from optimiser.match import match, match_summary
from optimiser.match.allocation import MatchResult, match_region
from optimiser.match.lookahead import Lookahead
from optimiser.match.params import MatchParams
from optimiser.match.planning import Planning, plan
from optimiser.match.stepdown import with_step_down_referrals
from optimiser.match.verify import verify_allocation
from optimiser.strategy import Strategy, StrategyParams, plan_strategy, unmatched_by_group
from optimiser.strategy.renegotiate import providers_to_renegotiate


@dataclass(frozen=True)
class MatchRun:
    region: Region  # as matched: with the step-down referrals rcc added
    result: MatchResult
    summary: dict
    comparison: pd.DataFrame  # measure x approach (regional, la_by_la)
    outputs: dict[str, Path]
    lookahead: Lookahead | None = None  # what was held back, when the match had a forecast


def run_match(source: Path | Region, out_dir: Path, params: MatchParams | None = None,
              progress=lambda message: None, run_date: date | None = None,
              demand: pd.DataFrame | None = None) -> MatchRun:
    """Load and validate a region (or take one already loaded), match it (optimiser.match.match: step-down
    referrals, the match, the independent check, today's practice, explanations) and write the outputs. With a
    forecast's Demand table (`demand`), places are held back for the emergencies it expects before the next run
    (optimiser/match/lookahead.py) and held_back.csv is written too."""
    params = params or MatchParams()
    started = datetime.now(timezone.utc)
    region = _loaded(source, progress, run_date, job="match")
    made = match(region, params, run_date or started.date(), demand, progress)
    result, lookahead = made.result, made.lookahead
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = {"allocations": out_dir / "allocations.csv", "explanations": out_dir / "explanations.csv",
               "gap": out_dir / "gap.csv", "baseline": out_dir / "baseline_allocations.csv",
               "comparison": out_dir / "comparison.csv", "run": out_dir / "run.json"}
    made.explanations.to_csv(outputs["explanations"], index=False)
    made.gap.to_csv(outputs["gap"], index=False)
    result.allocations.to_csv(outputs["allocations"], index=False, float_format="%.2f")
    made.baseline.to_csv(outputs["baseline"], index=False, float_format="%.2f")
    made.comparison.to_csv(outputs["comparison"], index_label="measure", float_format="%.4f")
    if lookahead is not None:
        outputs = {"held_back": out_dir / "held_back.csv", **outputs}
        lookahead.held_back.to_csv(outputs["held_back"], index=False)
    record = {
        **_run_header("match", started, made.region),
        "parameters": params.to_dict(),
        "solver": result.solver,
        "status": result.status,
        "message": result.message,
        "objective": result.objective,
        "bound": result.bound,
        "gap": result.gap,
        "model": {"units": result.units, "pairs": result.pairs},
        "timings": {k: round(v, 3) for k, v in result.timings.items()},
        "verification": {"violations": len(made.violations)},
        "summary": made.summary,
        "comparison": {approach: {k: (None if pd.isna(v) else v) for k, v in column.items()}
                       for approach, column in made.comparison.items()},
    }
    if lookahead is not None:
        record["lookahead"] = {
            "forecast": demand_record(made.demand), "forecast_column": params.lookahead_column,
            "hold_value": params.hold_value, **lookahead.summary(),
            "children_held_back": int(result.allocations["reason_code"].eq("held_back").sum()),
            "objective_note": "objective and bound include the value of the places held"}
    outputs["run"].write_text(json.dumps(record, indent=2, default=str) + "\n")
    return MatchRun(region=made.region, result=result, summary=made.summary, comparison=made.comparison,
                    outputs=outputs, lookahead=lookahead)


@dataclass(frozen=True)
class ForecastRun:
    forecast: Forecast
    outputs: dict[str, Path]


def run_forecast(source: Path | Region, out_dir: Path, horizon: int = 24, params: ForecastParams | None = None,
                 scenario: Scenario | None = None, progress=lambda message: None) -> ForecastRun:
    """Load and validate a region, forecast children in care from its SSDA903 history, and write forecast.csv
    (the Demand table), forecast_costs.csv, the rates behind it, the monthly stocks and flows it was fitted on,
    the preparation's issues and forecast_run.json."""
    params = params or ForecastParams()
    started = datetime.now(timezone.utc)
    region = _loaded(source, progress, job="forecast")
    result = forecast(region, params, horizon, scenario, progress)
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = {name: out_dir / file for name, file in (
        ("forecast", "forecast.csv"), ("costs", "forecast_costs.csv"), ("rates", "forecast_rates.csv"),
        ("entries", "forecast_entries.csv"),
        ("stocks", "history_stocks.csv"), ("flows", "history_flows.csv"),
        ("preparation", "preparation_issues.csv"), ("run", "forecast_run.json"))}
    result.demand.to_csv(outputs["forecast"], index=False, float_format="%.2f")
    result.costs.to_csv(outputs["costs"], index=False, float_format="%.2f")
    result.model.rates.table().to_csv(outputs["rates"], index=False, float_format="%.6g")
    result.model.entries.fitted.to_csv(outputs["entries"], index=False, float_format="%.3f", date_format="%Y-%m-%d")
    result.history.stocks_table().to_csv(outputs["stocks"], index=False, date_format="%Y-%m-%d")
    result.history.flows_table().to_csv(outputs["flows"], index=False, date_format="%Y-%m-%d")
    result.preparation.issues.to_csv(outputs["preparation"], index=False)
    model, prep = result.model, result.preparation
    first_month = pd.Timestamp(result.demand["month"].min())
    weekly = result.demand.groupby("month")["weekly_cost"].sum()
    record = {
        **_run_header("forecast", started, region),
        "parameters": params.to_dict(),
        "scenario": result.scenario.to_dict(),
        "horizon_months": horizon,
        "history": {"first_month": f"{result.history.months[0]:%Y-%m}", "as_of": f"{prep.as_of:%Y-%m-%d}",
                    "councils": list(result.history.la_codes)},
        "origin_month": f"{model.origin_month:%Y-%m}",
        "forecast_months": [f"{first_month:%Y-%m}", f"{pd.Timestamp(result.demand['month'].max()):%Y-%m}"],
        "reference_window": [f"{model.rates.window[0]:%Y-%m}", f"{model.rates.window[1]:%Y-%m}"],
        "entry_window": [f"{model.entries.fitted['month'].min():%Y-%m}", f"{model.entries.fitted['month'].max():%Y-%m}"],
        "entry_dispersion": round(model.entries.dispersion, 4),
        "preparation": {row.rule: int(row.rows) for row in prep.report.itertuples()},
        "preparation_warnings": int((prep.issues["severity"] == "warning").sum()),
        "renormalised_rows": result.renormalised,
        "timings": {k: round(v, 3) for k, v in result.timings.items()},
        "summary": {"children_now": int(result.history.stock[:, -1].sum()),
                    "children_at_horizon": {k: round(float(result.regional[k].iloc[-1]), 1)
                                            for k in ("mean", "p10", "p50", "p90")},
                    "weekly_cost_first_month": round(float(weekly.iloc[0]), 2),
                    "weekly_cost_last_month": round(float(weekly.iloc[-1]), 2)},
    }
    outputs["run"].write_text(json.dumps(record, indent=2, default=str) + "\n")
    return ForecastRun(forecast=result, outputs=outputs)


@dataclass(frozen=True)
class BacktestRun:
    backtest: Backtest
    outputs: dict[str, Path]


def run_backtest(source: Path | Region, out_dir: Path, params: ForecastParams | None = None,
                 progress=lambda message: None, processes: int | None = None) -> BacktestRun:
    """Rolling-origin backtest of the chain and the baselines: write backtest.csv (la_code, group, horizon, model,
    mase, bias, coverage_80), backtest_forecasts.csv (every forecast scored) and backtest_run.json. The chain's
    origins are shared among `processes` (default: every core this process may use)."""
    params = params or ForecastParams()
    started = datetime.now(timezone.utc)
    region = _loaded(source, progress, job="forecast")
    clock = time.perf_counter()
    result, preparation = backtest_region(region, params, progress, processes)
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = {"backtest": out_dir / "backtest.csv", "forecasts": out_dir / "backtest_forecasts.csv",
               "run": out_dir / "backtest_run.json"}
    result.table.to_csv(outputs["backtest"], index=False, float_format="%.4f")
    result.forecasts.to_csv(outputs["forecasts"], index=False, float_format="%.2f", date_format="%Y-%m")
    record = {
        **_run_header("backtest", started, region),
        "parameters": params.to_dict(),
        "origins": [f"{m:%Y-%m}" for m in result.origins],
        "preparation": {row.rule: int(row.rows) for row in preparation.report.itertuples()},
        "regional": result.regional().to_dict(orient="records"),
        "timings": {"total_s": round(time.perf_counter() - clock, 3)},
    }
    outputs["run"].write_text(json.dumps(record, indent=2, default=str) + "\n")
    return BacktestRun(backtest=result, outputs=outputs)


def _loaded(source: Path | Region, progress, today: date | None = None, job: str = "") -> Region:
    """The jobs take a folder (the CLI) or a Region already loaded (the monthly batch and the dashboard, which load
    once and run several jobs, or edit controls before re-solving). A region without what the job needs (no
    child to match, no history to forecast) stops here with what to add."""
    if not isinstance(source, Region):
        progress(f"Loading and validating {source}")
        source = load_region(source, today=today)
    source.require(job)
    return source


def _run_header(job: str, started: datetime, region: Region) -> dict:
    """What every run record starts with: the job, when, which code, and exactly which input."""
    return {"job": job, "started_at": started.isoformat(timespec="seconds"), "rcc_version": metadata.version("rcc"),
            "python": platform.python_version(),
            "input": {"source": region.source, "input_hash": region.input_hash,
                      "warnings": int((region.issues["severity"] == "warning").sum()),
                      "flags": int((region.issues["severity"] == "flag").sum())}}


@dataclass(frozen=True)
class FlagsRun:
    flags: Flags
    summary: dict
    outputs: dict[str, Path]


def run_flags(source: Path | Region, out_dir: Path, params: FlagParams | None = None,
              match_params: MatchParams | None = None, run_date: date | None = None,
              progress=lambda message: None, match_run: MatchRun | None = None) -> FlagsRun:
    """Load and validate a region, find every market flag (unlawful placements with step-down proposals, profit and
    fee outliers, concentration, the stress test), write flags.csv, the evidence tables and flags_run.json.
    `match_run` is this month's regional match when already made: its allocations are the step-down proposals."""
    params = params or FlagParams()
    started = datetime.now(timezone.utc)
    run_date = run_date or started.date()
    region = _loaded(source, progress, run_date)
    proposals = None if match_run is None else Proposals(
        allocations=match_run.result.allocations, result=match_run.result,
        step_down_added=match_run.summary["step_down_referrals_added"])
    flags = find_flags(region, params, run_date, match_params, progress, proposals)
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = {"flags": out_dir / "flags.csv", "unregistered": out_dir / "unregistered_summary.csv",
               "margins": out_dir / "margins.csv", "fees": out_dir / "fees.csv",
               "concentration": out_dir / "concentration.csv", "stress": out_dir / "stress_test.csv",
               "run": out_dir / "flags_run.json"}
    flags.table.to_csv(outputs["flags"], index=False)
    flags.unregistered_summary.to_csv(outputs["unregistered"], index=False, float_format="%.2f")
    flags.margins.to_csv(outputs["margins"], index=False, float_format="%.4f")
    flags.fees.table.to_csv(outputs["fees"], index=False, float_format="%.3f")
    flags.markets.to_csv(outputs["concentration"], index=False, float_format="%.3f")
    if flags.stress is not None:
        flags.stress.displaced.to_csv(outputs["stress"], index=False, float_format="%.2f")
    else:
        outputs.pop("stress")
    summary = flags.summary()
    record = {
        **_run_header("flags", started, region),
        "run_date": run_date.isoformat(),
        "parameters": params.to_dict(),
        "match_parameters": (match_params or MatchParams()).to_dict(),
        "timings": flags.timings,
        "summary": summary,
    }
    outputs["run"].write_text(json.dumps(record, indent=2, default=str) + "\n")
    return FlagsRun(flags=flags, summary=summary, outputs=outputs)


@dataclass(frozen=True)
class PlanningRun:
    planning: Planning
    summary: dict
    outputs: dict[str, Path]


def run_planning(source: Path | Region, out_dir: Path, demand: pd.DataFrame, horizon: int,
                 params: MatchParams | None = None, progress=lambda message: None, run_date: date | None = None,
                 seed: int = 0) -> PlanningRun:
    """Planning mode (`rcc match DIR --forecast FILE --horizon N`): draw the children the forecast expects over the
    next `horizon` months, match them to the supply left after today's referrals, check the answer independently,
    and write planning_gap.csv, planning_allocations.csv, planning_cohort.csv and planning_run.json.

    planning_gap.csv, the evidence base of a sufficiency strategy, has one row per council x kind of home x need x
    month: la_code; group (foster | childrens_home | secure | supported, as in gap.csv); need (a child with two
    needs counts under each, one with none under "none recorded"); month (YYYY-MM, when the children need a
    place); children_drawn (children of the forecast's cohort); children_unmet (of those, the supply as it stands
    could not take). Sum over months for the whole horizon; over needs only for children with one need.
    """
    params = params or MatchParams()
    started = datetime.now(timezone.utc)
    run_date = run_date or started.date()
    region = _loaded(source, progress, run_date, job="match")
    region, step_down = with_step_down_referrals(region, run_date)
    progress(f"Drawing the children the forecast expects over {horizon} months (seed {seed}), matching today's "
             f"{len(region.referrals)} referrals first, then them against what is left")
    planning = plan(region, demand, horizon, params, run_date, seed)
    for name, matched_in, allocations in (("today's match", region, planning.today.allocations),
                                          ("the planning match", planning.supply, planning.result.allocations)):
        violations = verify_allocation(matched_in, allocations, params)
        if not violations.empty:
            raise RuntimeError(f"{name} breaks hard rules (this is a bug in rcc):\n" + violations.to_string())
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = {"gap": out_dir / "planning_gap.csv", "allocations": out_dir / "planning_allocations.csv",
               "cohort": out_dir / "planning_cohort.csv", "run": out_dir / "planning_run.json"}
    planning.gap.to_csv(outputs["gap"], index=False)
    planning.allocations.to_csv(outputs["allocations"], index=False, float_format="%.2f")
    cohort = planning.cohort.assign(needs=planning.cohort["needs"].map(";".join))
    cohort.to_csv(outputs["cohort"], index=False, date_format="%Y-%m-%d")
    allocations = planning.allocations
    unmet = allocations[allocations["status"].eq("unmatched")]
    summary = {
        "horizon_months": horizon, "seed": seed,
        "months": [allocations["month"].min(), allocations["month"].max()] if len(allocations) else [],
        "children_expected": round(float(planning.expected["expected"].sum()), 1),
        "children_drawn": len(planning.cohort),
        "sibling_groups_drawn": planning.cohort.loc[planning.cohort["sibling_group"].ne(""), "sibling_group"].nunique(),
        "children_unmet": len(unmet),
        "drawn_by_group": {g: int(n) for g, n in allocations.groupby("group").size().items()},
        "unmet_by_group": {g: int(n) for g, n in unmet.groupby("group").size().items()},
        "unmet_by_reason": {k: int(v) for k, v in unmet["reason_code"].value_counts().sort_index().items()},
        "today": match_summary(planning.today.allocations) | {"step_down_referrals_added": len(step_down)},
    }
    record = {
        **_run_header("planning", started, region),
        "run_date": run_date.isoformat(),
        "forecast": demand_record(demand),
        "parameters": params.to_dict(),
        "status": {"today": planning.today.status, "planning": planning.result.status},
        "objective": {"today": planning.today.objective, "planning": planning.result.objective},
        "gap": {"today": planning.today.gap, "planning": planning.result.gap},
        "verification": {"violations": 0},
        "summary": summary,
    }
    outputs["run"].write_text(json.dumps(record, indent=2, default=str) + "\n")
    return PlanningRun(planning=planning, summary=summary, outputs=outputs)


def demand_record(demand: pd.DataFrame) -> dict:
    """Which forecast a run used: its months, councils and a hash of its rows (the same table, the same hash)."""
    digest = hashlib.sha256(pd.util.hash_pandas_object(demand, index=False).to_numpy().tobytes()).hexdigest()
    return {"months": [f"{demand['month'].min():%Y-%m}", f"{demand['month'].max():%Y-%m}"],
            "councils": int(demand["la_code"].nunique()), "rows": len(demand), "hash": digest[:16]}


@dataclass(frozen=True)
class StrategyRun:
    strategy: Strategy
    renegotiate: pd.DataFrame  # providers to renegotiate with (from the market flags)
    gap: pd.DataFrame  # the starting evidence: children without a home per council x group
    summary: dict
    outputs: dict[str, Path]


def starting_gap(region: Region, match_run: MatchRun | None = None, run_date: date | None = None,
                 progress=lambda message: None) -> pd.DataFrame:
    """Children the match cannot place today per council x kind of home (la_code, group, children): the evidence
    the strategy starts from. Today the current match's; the matcher's planning mode can replace this step."""
    if match_run is not None:
        return unmatched_by_group(match_run.region, match_run.result.allocations)
    progress("Matching today's referrals for the starting sufficiency gap")
    region, _ = with_step_down_referrals(region, run_date or date.today())
    return unmatched_by_group(region, match_region(region, MatchParams(), run_date).allocations)


def run_strategy(source: Path | Region, out_dir: Path, params: StrategyParams | None = None,
                 forecast_params: ForecastParams | None = None, progress=lambda message: None,
                 forecast: Forecast | None = None, match_run: MatchRun | None = None,
                 gap: pd.DataFrame | None = None, run_date: date | None = None,
                 flags_table: pd.DataFrame | Callable[[], pd.DataFrame] | None = None) -> StrategyRun:
    """Plan commissioning under forecast uncertainty: forecast (or take a forecast), take the starting gap (the
    current match's unless `gap` is given), solve the quantile and two-stage plans, compare them with doing
    nothing, find the providers to renegotiate with, and write strategy.xlsx, strategy.html, the plan's tables
    (strategy_actions.csv, strategy_balance.csv, strategy_risk.csv, strategy_comparison.csv, strategy_options.csv,
    strategy_renegotiate.csv) and strategy_run.json."""
    from forecasts.demand import forecast as make_forecast

    params = params or StrategyParams()
    forecast_params = forecast_params or ForecastParams()
    started = datetime.now(timezone.utc)
    run_date = run_date or started.date()
    region = _loaded(source, progress, run_date, job="forecast" if forecast is None else "")
    clock, timings = time.perf_counter(), {}
    if forecast is None:
        progress(f"Forecasting {3 * params.horizon_quarters} months ahead")
        forecast = make_forecast(region, forecast_params, 3 * params.horizon_quarters, progress=progress)
    timings["forecast_s"] = time.perf_counter() - clock
    if gap is None:
        gap = starting_gap(region, match_run, run_date, progress)
    timings["gap_s"] = time.perf_counter() - clock - timings["forecast_s"]
    history = forecast.history
    now = history.stock[:, -1]  # (council, group, age state) at the end of the last full month
    current = pd.DataFrame([(la, group, float(now[c, g].sum())) for c, la in enumerate(history.la_codes)
                            for g, group in enumerate(PLACEMENT_GROUPS)], columns=["la_code", "group", "children"])
    paths = path_table(forecast.simulation) if forecast.simulation is not None else None
    strategy = plan_strategy(region, gap, params, paths=paths, demand=forecast.demand, current=current,
                             progress=progress)
    progress("Market flags: providers to renegotiate with")
    if callable(flags_table):  # the monthly batch finds them beside the plan: wait for them only now
        flags_table = flags_table()
    if flags_table is None:  # alone, the flags without the matcher suffice
        quiet = FlagParams()
        quiet = dataclasses.replace(quiet, stress=dataclasses.replace(quiet.stress, run=False),
                                    unlawful=dataclasses.replace(quiet.unlawful, propose_alternatives=False))
        flags_table = find_flags(region, quiet, run_date).table
    renegotiate = providers_to_renegotiate(region, flags_table, strategy.actions)
    summary = strategy.summary() | {"providers_to_renegotiate": len(renegotiate)}
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = {name: out_dir / file for name, file in (
        ("workbook", "strategy.xlsx"), ("report", "strategy.html"), ("actions", "strategy_actions.csv"),
        ("balance", "strategy_balance.csv"), ("risk", "strategy_risk.csv"),
        ("comparison", "strategy_comparison.csv"), ("options", "strategy_options.csv"),
        ("renegotiate", "strategy_renegotiate.csv"), ("run", "strategy_run.json"))}
    strategy.actions.to_csv(outputs["actions"], index=False, float_format="%.2f")
    strategy.balance.to_csv(outputs["balance"], index=False, float_format="%.3f")
    strategy.risk.to_csv(outputs["risk"], index=False, float_format="%.4f")
    strategy.comparison.to_csv(outputs["comparison"], index_label="cost", float_format="%.2f")
    strategy.options.to_csv(outputs["options"], index=False)
    renegotiate.to_csv(outputs["renegotiate"], index=False)
    header = _run_header("strategy", started, region)
    names = dict(zip(region.authorities["la_code"], region.authorities["la_name"]))
    write_strategy_workbook(outputs["workbook"], strategy, renegotiate, gap, header, names)
    write_strategy_report(outputs["report"], strategy, renegotiate, gap, header, names)
    timings.update({f"strategy_{k}": v for k, v in strategy.timings.items()})
    timings["total_s"] = time.perf_counter() - clock
    record = {
        **header,
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
    outputs["run"].write_text(json.dumps(record, indent=2, default=str) + "\n")
    return StrategyRun(strategy=strategy, renegotiate=renegotiate, gap=gap, summary=summary, outputs=outputs)
