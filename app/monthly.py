"""The monthly batch: every job on one month's extract, recorded as one run in the DuckDB run store.

Stages: validate -> forecast -> backtest -> match (with step-down referrals and the baseline comparison) -> flags
(the match's allocations are the step-down proposals, so the region is not solved twice) -> strategy (on the
month's forecast paths, the match's gap and the flags) -> store. The backtest and the flags need nothing the
stages after them wait for at once, so they run in a second process (app/beside.py) while the main line goes on:
the backtest beside the forecast and the match, the flags beside the strategy's plan.

Nothing is half-written. The jobs write into a staging folder; the store takes the run in one transaction, and
the staging folder becomes OUT/<month>/ just before that transaction commits (the previous folder is put back if
the commit fails). A kill at any moment before the commit leaves the store as it was; OUT/<month>/ is always one
whole run's files. If OUT/<month>/ is lost or older than the store's run, running the month again re-exports it
from the store.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import shutil
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Callable

import pandas as pd

from app.beside import Beside
from app.pipeline import run_backtest, run_flags, run_forecast, run_match, run_strategy
from app.store import RESULT_TABLES, RunStore
from data.load import load_region
from data.region import Region
from data.toml_files import load_toml
from forecasts.params import ForecastParams
from optimiser.flags import FlagParams
from optimiser.match.params import MatchParams
from optimiser.strategy import StrategyParams

STAGES = ("validate", "forecast", "backtest", "match", "flags", "strategy", "store")
BESIDE_STAGES = ("backtest", "flags")  # run in the second process, overlapping the others
RUN_RECORD = "monthly_run.json"


# The monthly batch backtests the chain rcc forecasts with against the seasonal naive yardstick over the last year
# of origins; the ETS comparison and two years of origins stay in `rcc backtest`, where their minutes are wanted.
MONTHLY_BACKTEST = {"origins": 12, "models": ("markov", "seasonal_naive")}


# The strategy is re-planned every month, so each of its two solves gets a few seconds (a plan within a fraction of
# a percent of the best) rather than `rcc strategy`'s ten.
MONTHLY_STRATEGY = {"time_limit_s": 3.0}


def monthly_forecast_defaults(params: ForecastParams) -> ForecastParams:
    return dataclasses.replace(params, backtest=dataclasses.replace(params.backtest, **MONTHLY_BACKTEST))


@dataclass(frozen=True)
class MonthlyParams:
    """Everything that shapes a monthly run; its hash is part of the run id, so changing any of it makes a new
    run. Read from one TOML file with [monthly], [forecast], [match] and [flags] sections, each optional."""
    horizon_months: int = 36
    backtest: bool = True
    strategy_plan: bool = True
    forecast: ForecastParams = field(default_factory=lambda: monthly_forecast_defaults(ForecastParams()))
    match: MatchParams = field(default_factory=MatchParams)
    flags: FlagParams = field(default_factory=FlagParams)
    strategy: StrategyParams = field(default_factory=lambda: StrategyParams(**MONTHLY_STRATEGY))

    def __post_init__(self):
        if not 1 <= self.horizon_months <= 120:
            raise ValueError(f"monthly.horizon_months must be 1 to 120 months (got {self.horizon_months})")
        if self.strategy_plan and self.horizon_months < 3 * self.strategy.horizon_quarters:
            raise ValueError(f"monthly.horizon_months ({self.horizon_months}) must cover the strategy's "
                             f"{self.strategy.horizon_quarters} quarters ({3 * self.strategy.horizon_quarters} months):"
                             " the strategy plans on the month's forecast")

    @classmethod
    def from_toml(cls, path: str | Path) -> MonthlyParams:
        return load_toml(path, cls.from_dict)

    @classmethod
    def from_dict(cls, values: dict) -> MonthlyParams:
        unknown = sorted(set(values) - {"monthly", "forecast", "match", "flags", "strategy"})
        if unknown:
            raise ValueError(f"unknown section(s) {', '.join(unknown)}; known: monthly, forecast, match, flags, "
                             "strategy")
        own = dict(values.get("monthly", {}))
        extra = sorted(set(own) - {"horizon_months", "backtest", "strategy_plan"})
        if extra:
            raise ValueError(f"unknown parameter(s) monthly.{', monthly.'.join(extra)}; "
                             "known: monthly.horizon_months, monthly.backtest, monthly.strategy_plan")
        forecast = values.get("forecast", {})
        defaults = monthly_forecast_defaults(ForecastParams()).to_dict()["backtest"]
        forecast = forecast | {"backtest": {k: defaults[k] for k in MONTHLY_BACKTEST} | forecast.get("backtest", {})}
        return cls(**own, forecast=ForecastParams.from_dict(forecast),
                   match=MatchParams.from_dict(values.get("match", {})),
                   flags=FlagParams.from_dict(values.get("flags", {})),
                   strategy=StrategyParams.from_dict(MONTHLY_STRATEGY | values.get("strategy", {})))

    def to_dict(self) -> dict:
        return {"monthly": {"horizon_months": self.horizon_months, "backtest": self.backtest,
                            "strategy_plan": self.strategy_plan},
                "forecast": self.forecast.to_dict(), "match": self.match.to_dict(), "flags": self.flags.to_dict(),
                "strategy": self.strategy.to_dict()}

    def digest(self) -> str:
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True, default=str).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class MonthlyRun:
    run_id: str
    month: str  # YYYY-MM
    reused: bool  # the same month, inputs and parameters were already in the store: nothing was recomputed
    out_dir: Path  # OUT/<month>/
    store_path: Path
    summary: dict
    timings: dict[str, float]


class MonthError(ValueError):
    """The month asked for is not one this extract can be run for."""


def extract_date(region: Region) -> date:
    """The day the extract runs to: the latest episode start or end in the SSDA903 history (as the forecast uses)."""
    missing = region.missing_for("monthly")
    if missing:
        raise MonthError(f"{region.source}: cannot run the monthly batch: {missing}")
    episodes = region.episodes
    latest = pd.concat([episodes["DECOM"], episodes["DEC"]]).max()
    if pd.isna(latest):
        raise MonthError("the episodes table has no dates, so the month of this extract cannot be told")
    return pd.Timestamp(latest).date()


def run_month(region: Region, month: str | None) -> tuple[str, date]:
    """The month the run is for and the date its ages, waiting times and days in a setting are counted on.
    An extract taken on the first days of a month is often labelled with the month before, so either is accepted;
    anything else would run one month's data under another month's name."""
    as_of = extract_date(region)
    own = f"{as_of:%Y-%m}"
    previous = f"{pd.Period(as_of, freq='M') - 1}"
    if month is None:
        return own, as_of
    try:
        asked = str(pd.Period(month, freq='M'))
    except ValueError:
        raise MonthError(f"--month {month!r} is not a month; write it as YYYY-MM, e.g. {own}") from None
    if asked not in (own, previous):
        raise MonthError(f"--month {asked}: this extract runs to {as_of:%d %B %Y}, so it can be run as {own} "
                         f"(or {previous}); for {asked} use that month's extract")
    return asked, as_of


def run_id_for(region_name: str, month: str, input_hash: str, params: MonthlyParams) -> str:
    """Same region, month, inputs, parameters and rcc version: same id, so a repeated run is recognised."""
    key = json.dumps([region_name, month, input_hash, params.digest(), _code_version()])
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def run_monthly(source: Path | Region, month: str | None = None, store_path: Path | None = None,
                out_dir: Path = Path("out"), params: MonthlyParams | None = None,
                progress: Callable[[str], None] = lambda message: None,
                on_stage: Callable[[str, str, float], None] = lambda stage, status, seconds: None) -> MonthlyRun:
    """Run the month. `on_stage(stage, "started" | "done" | "reused", seconds)` drives a progress display.
    Raises data.problems.ValidationError for invalid input (nothing written) and MonthError for a month the
    extract does not cover; any other exception means nothing was written either."""
    params = params or MonthlyParams()
    out_dir = Path(out_dir)
    store_path = Path(store_path) if store_path else out_dir / "runs.duckdb"
    started, clock = datetime.now(timezone.utc), time.perf_counter()
    timings: dict[str, float] = {}

    def stage(name: str):
        return _Stage(name, timings, on_stage)

    with stage("validate"):
        region = source if isinstance(source, Region) else _load(source, progress)
        month, as_of = run_month(region, month)
        region_name = _region_name(region)
        run_id = run_id_for(region_name, month, region.input_hash, params)
    month_dir = out_dir / month
    with RunStore(store_path) as store:
        if store.has_run(run_id):
            for name in STAGES[1:]:
                on_stage(name, "reused", 0.0)
            progress(f"Run {run_id} ({month}, same inputs and parameters) is already in {store_path}: reused")
            if _published_run_id(month_dir) != run_id:
                _publish_from_store(store, run_id, month_dir)
            record = store.run(run_id)
            return MonthlyRun(run_id=run_id, month=month, reused=True, out_dir=month_dir, store_path=store_path,
                              summary=record["summary"], timings={"total_s": 0.0})

    staging = out_dir / f".{month}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        tables = {"validation": region.issues}
        # The backtest and the flags run in a second process beside the main line (forecast, match, strategy);
        # each is collected before the stage that needs it.
        with Beside() as side:
            beside = _BesideStages(side, timings, on_stage, progress)
            if params.backtest:
                beside.start("backtest", run_backtest, region, staging, params.forecast, processes=1)
            with stage("forecast"):
                forecast = run_forecast(region, staging, params.horizon_months, params.forecast, progress=progress)
                tables |= _stored(forecast.outputs)
            with stage("match"):
                # the month's forecast holds places back for the emergencies it expects before the next run
                match = run_match(region, staging, params.match, progress=progress, run_date=as_of,
                                  demand=forecast.forecast.demand)
                tables |= _stored(match.outputs)
            backtest = beside.finish("backtest") if params.backtest else None
            beside.start("flags", run_flags, region, staging, params.flags, params.match, run_date=as_of,
                         match_run=match)
            strategy = None
            if params.strategy_plan:
                with stage("strategy"):
                    strategy = run_strategy(region, staging, params.strategy, params.forecast, progress=progress,
                                            forecast=forecast.forecast, match_run=match, run_date=as_of,
                                            flags_table=lambda: beside.finish("flags").flags.table)
                    tables |= _stored(strategy.outputs)
            flags = beside.finish("flags")
            for run in (backtest, flags):
                if run is not None:
                    tables |= _stored(run.outputs)
        summary = monthly_summary(month, run_id, forecast, match, flags, backtest, strategy) | {
            "as_of": as_of.isoformat()}
        record = {"run_id": run_id, "month": month, "region": region_name, "source": region.source,
                  "input_hash": region.input_hash, "params_hash": params.digest(), "code_version": _code_version(),
                  "started_at": started.replace(tzinfo=None), "status": "ok", "summary": summary,
                  "parameters": params.to_dict()}
        with stage("store"):
            record["finished_at"] = datetime.now(timezone.utc).replace(tzinfo=None)
            record["stages"] = dict(timings)
            (staging / RUN_RECORD).write_text(json.dumps(record, indent=2, default=str) + "\n")
            swap = _FolderSwap(staging, month_dir)
            try:
                with RunStore(store_path) as store:
                    # The folder is swapped inside the transaction, just before the commit: a failure or a kill
                    # up to the commit leaves the store as it was (the next run of the month redoes it).
                    store.write_run(record, tables, progress,
                                    before_commit=swap.swap)
            except BaseException:
                swap.undo()
                raise
            swap.discard_previous()
    except BaseException:
        # after the worker beside has been stopped (leaving the `with`), so nothing writes into staging any more
        shutil.rmtree(staging, ignore_errors=True)
        raise
    timings["total_s"] = round(time.perf_counter() - clock, 3)  # wall clock: stages beside overlap others
    return MonthlyRun(run_id=run_id, month=month, reused=False, out_dir=month_dir, store_path=store_path,
                      summary=summary, timings=timings)


def monthly_summary(month: str, run_id: str, forecast, match, flags, backtest, strategy=None) -> dict:
    """The figures the one-screen summary, the run store and month-on-month diffs use."""
    regional = forecast.forecast.regional
    ahead = regional.iloc[min(11, len(regional) - 1)]
    summary = {
        "month": month, "run_id": run_id,
        "children_in_care": int(forecast.forecast.history.stock[:, -1].sum()),
        "forecast_12_months": {k: round(float(ahead[k]), 1) for k in ("mean", "p10", "p90")},
        "match": match.summary,
        "held_back": None if match.lookahead is None else match.lookahead.summary() | {
            "children_held_back": int(match.result.allocations["reason_code"].eq("held_back").sum())},
        "comparison": {approach: {k: (None if pd.isna(v) else v) for k, v in column.items()}
                       for approach, column in match.comparison.items()},
        "flags": flags.summary["by_type"],
        "unregistered": flags.summary["unregistered"],
    }
    if strategy is not None:
        summary["strategy"] = strategy.summary
    if backtest is not None:
        # The regional total at each horizon, for the chain rcc forecasts with: the accuracy the batch promises.
        regional = backtest.backtest.regional()
        chain = regional[regional["model"] == "markov"]
        summary["backtest"] = {f"h{int(row.horizon)}": {"mase": round(float(row.mase), 3),
                                                        "coverage_80": round(float(row.coverage_80), 3)}
                               for row in chain.itertuples()}
    return summary


class _Stage:
    def __init__(self, name: str, timings: dict, on_stage):
        self.name, self.timings, self.on_stage = name, timings, on_stage

    def __enter__(self):
        self.clock = time.perf_counter()
        self.on_stage(self.name, "started", 0.0)

    def __exit__(self, kind, value, tb):
        seconds = round(time.perf_counter() - self.clock, 3)
        self.timings[f"{self.name}_s"] = seconds
        self.on_stage(self.name, "failed" if kind else "done", seconds)
        return False


class _BesideStages:
    """Stages run by the worker beside the main line: announced when started, timed by the worker, collected once."""

    def __init__(self, side: Beside, timings: dict, on_stage, progress):
        self.side, self.timings, self.on_stage, self.progress = side, timings, on_stage, progress
        self.running: str | None = None
        self.results: dict[str, object] = {}

    def start(self, name: str, job: Callable, *args, **kwargs) -> None:
        self.on_stage(name, "started", 0.0)
        self.progress(f"{name.capitalize()}: running beside the other stages, in a second process")
        self.running = name
        try:
            self.side.start(job, *args, **kwargs)
        except BaseException:
            self.on_stage(name, "failed", 0.0)
            raise

    def finish(self, name: str):
        if name not in self.results:
            assert self.running == name, f"{name} was not started beside the main line"
            self.running = None
            try:
                value, seconds = self.side.result()
            except BaseException:
                self.on_stage(name, "failed", 0.0)
                raise
            self.timings[f"{name}_s"] = round(seconds, 3)
            self.on_stage(name, "done", round(seconds, 3))
            self.results[name] = value
        return self.results[name]


def _stored(outputs: dict[str, Path]) -> dict[str, pd.DataFrame]:
    """The job's CSV outputs that the run store keeps, by file stem, exactly as the month's folder has them."""
    return {path.stem: pd.read_csv(path) for path in outputs.values()
            if path.suffix == ".csv" and path.stem in RESULT_TABLES}


def _load(path: Path, progress) -> Region:
    progress(f"Loading and validating {path}")
    return load_region(path)


def _region_name(region: Region) -> str:
    source = Path(region.source)
    return source.stem if source.suffix else source.name


def _code_version() -> str:
    return f"rcc {metadata.version('rcc')}"


def _published_run_id(month_dir: Path) -> str | None:
    try:
        return json.loads((month_dir / RUN_RECORD).read_text())["run_id"]
    except (OSError, ValueError, KeyError):
        return None


def _publish_from_store(store: RunStore, run_id: str, month_dir: Path) -> None:
    """Rebuild OUT/<month>/ from the store (a run committed but killed before its files were published, or files
    someone deleted): the stored tables as CSV and the run record."""
    staging = month_dir.parent / f".{month_dir.name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name in store.tables(run_id):
        store.table(run_id, name).to_csv(staging / f"{name}.csv", index=False)
    (staging / RUN_RECORD).write_text(json.dumps(store.run(run_id), indent=2, default=str) + "\n")
    swap = _FolderSwap(staging, month_dir)
    swap.swap()
    swap.discard_previous()


class _FolderSwap:
    """Replace OUT/<month>/ by the staging folder, keeping the old folder until the run is committed."""

    def __init__(self, staging: Path, month_dir: Path):
        self.staging, self.month_dir = staging, month_dir
        self.previous = month_dir.parent / f".{month_dir.name}.previous"
        self.swapped = False

    def swap(self) -> None:
        shutil.rmtree(self.previous, ignore_errors=True)
        if self.month_dir.exists():
            self.month_dir.rename(self.previous)
        self.staging.rename(self.month_dir)
        self.swapped = True

    def undo(self) -> None:
        if self.swapped:
            shutil.rmtree(self.month_dir, ignore_errors=True)
            if self.previous.exists():
                self.previous.rename(self.month_dir)
            self.swapped = False

    def discard_previous(self) -> None:
        shutil.rmtree(self.previous, ignore_errors=True)
