"""The monthly batch: every job on one month's extract, recorded as one run in the DuckDB run store.

Stages: validate -> forecast -> backtest -> match (with step-down referrals and the baseline comparison) -> flags
(the match's allocations are the step-down proposals, so the region is not solved twice) -> strategy (on the
month's forecast paths, the match's gap and the flags) -> store. The backtest and the flags need nothing the
stages after them wait for at once, so they run on an executor (app/executors.py) while the main line goes on: the
backtest beside the forecast and the match, the flags beside the strategy's plan. The executor is a second process
(app/batch/beside.py) by default; a sweep's cell passes an InlineExecutor, since the sweep's workers fill the cores.

Nothing is half-written, and one batch writes a store at a time. A batch takes the store's lock file for the
whole run (a second batch waits or stops with RunInProgress, writing nothing); the jobs write into a staging
folder of this process's own; the store takes the run (its tables and the bytes of every file) in one
transaction; only then is OUT/<month> pointed at the run's folder, atomically (app/batch/publish.py). A kill at
any moment leaves the store as it was or with the whole run, and OUT/<month>/ the previous run's files or the new
run's, never a mix; the next run of the month publishes a committed run the kill kept from being published, byte
for byte from the store. The store is opened for writing only for the commit, so a reader (the dashboard, a
`duckdb` shell) never blocks the batch for longer than it holds the file, and the batch says so while it waits.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Callable

import pandas as pd

from app.batch.beside import Beside
from app.batch.publish import (
    RUNS_FOLDER,
    discard,
    folder_files,
    publish,
    publish_from_store,
    published_run_id,
    run_folder,
    seal,
    staging_folder,
    tidy,
)
from app.executors import timed_call
from app.history.retention import parse_age, purge
from app.history.store import (
    DEFAULT_OUT,
    RunStore,
    ServerLock,
    default_store,
    is_server,
    open_store,
    shown,
    store_exists,
    store_location,
)
from app.jobs.flags import run_flags
from app.jobs.forecast import run_backtest, run_forecast
from app.jobs.match import run_match
from app.jobs.public import run_yearly
from app.jobs.strategy import run_strategy
from app.outputs import RECORD_FILES, stored_tables, write_result
from data.load import load_region
from data.problems import format_problem
from data.region import Region
from data.toml_files import load_toml
from data.validate import IMPLAUSIBLE
from forecasts.params import ForecastParams
from optimiser.flags import FlagParams
from optimiser.match.params import MatchParams
from optimiser.strategy import StrategyParams

STAGES = ("validate", "forecast", "backtest", "match", "flags", "strategy", "yearly", "store")
BESIDE_STAGES = ("backtest", "flags")  # run in the second process, overlapping the others
RUN_RECORD = RECORD_FILES["monthly"]
STORE_WAIT_S = 30.0  # how long the batch waits for another program (a duckdb shell, the dashboard) to let go


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
    yearly: bool = True  # the councils' DfE yearly series, forecast and backtested, beside the monthly forecast
    # After committing its run, the batch purges the children's rows of runs older than this (app/history/
    # retention.py: months or days, e.g. 24m, 90d; "" keeps everything). How long data is kept does not change
    # what a run computes, so it is left out of the run id.
    retention: str = "24m"
    forecast: ForecastParams = field(default_factory=lambda: monthly_forecast_defaults(ForecastParams()))
    match: MatchParams = field(default_factory=MatchParams)
    flags: FlagParams = field(default_factory=FlagParams)
    strategy: StrategyParams = field(default_factory=lambda: StrategyParams(**MONTHLY_STRATEGY))

    def __post_init__(self):
        if self.retention:
            parse_age(self.retention)
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
        extra = sorted(set(own) - {"horizon_months", "backtest", "strategy_plan", "yearly", "retention"})
        if extra:
            raise ValueError(f"unknown parameter(s) monthly.{', monthly.'.join(extra)}; "
                             "known: monthly.horizon_months, monthly.backtest, monthly.strategy_plan, "
                             "monthly.yearly, monthly.retention")
        forecast = values.get("forecast", {})
        defaults = monthly_forecast_defaults(ForecastParams()).to_dict()["backtest"]
        forecast = forecast | {"backtest": {k: defaults[k] for k in MONTHLY_BACKTEST} | forecast.get("backtest", {})}
        return cls(**own, forecast=ForecastParams.from_dict(forecast),
                   match=MatchParams.from_dict(values.get("match", {})),
                   flags=FlagParams.from_dict(values.get("flags", {})),
                   strategy=StrategyParams.from_dict(MONTHLY_STRATEGY | values.get("strategy", {})))

    def to_dict(self) -> dict:
        return {"monthly": {"horizon_months": self.horizon_months, "backtest": self.backtest,
                            "strategy_plan": self.strategy_plan, "yearly": self.yearly,
                            "retention": self.retention},
                "forecast": self.forecast.to_dict(), "match": self.match.to_dict(), "flags": self.flags.to_dict(),
                "strategy": self.strategy.to_dict()}

    def digest(self) -> str:
        values = self.to_dict()
        del values["monthly"]["retention"]  # what is kept, not what is computed
        return hashlib.sha256(json.dumps(values, sort_keys=True, default=str).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class MonthlyRun:
    run_id: str
    month: str  # YYYY-MM
    reused: bool  # the same month, inputs and parameters were already in the store: nothing was recomputed
    out_dir: Path  # OUT/<month>/
    store_path: Path | str  # a DuckDB file, or a PostgreSQL URL
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
    """Same region, month, inputs (the published yearly figures among them), parameters and rcc version: same id,
    so a repeated run is recognised."""
    key = json.dumps([region_name, month, input_hash, params.digest(), _code_version()]
                     + ([_public_fingerprint()] if params.yearly else []))
    return hashlib.sha256(key.encode()).hexdigest()[:12]


def run_monthly(source: Path | Region, month: str | None = None, store_path: Path | None = None,
                out_dir: Path = DEFAULT_OUT, params: MonthlyParams | None = None,
                progress: Callable[[str], None] = lambda message: None,
                on_stage: Callable[[str, str, float], None] = lambda stage, status, seconds: None,
                wait_s: float = 0.0, accept_warnings: bool = False, executor=None) -> MonthlyRun:
    """Run the month. `on_stage(stage, "started" | "done" | "reused", seconds)` drives a progress display.
    `executor` (a concurrent.futures.Executor) runs the stages beside the main line: default a fresh Beside, a
    second process started for this run and stopped with it.
    Raises data.problems.ValidationError for invalid input (nothing written) and MonthError for a month the
    extract does not cover; any other exception means nothing was written either."""
    params = params or MonthlyParams()
    out_dir = Path(out_dir)
    store_path = store_location(store_path) if store_path else default_store(out_dir)
    started, clock = datetime.now(timezone.utc), time.perf_counter()
    timings: dict[str, float] = {}

    def stage(name: str):
        return _Stage(name, timings, on_stage)

    with stage("validate"):
        region = source if isinstance(source, Region) else _load(source, progress)
        month, as_of = run_month(region, month)
        _check_plausible(region, accept_warnings)
        region_name = _region_name(region)
        run_id = run_id_for(region_name, month, region.input_hash, params)
    month_dir = out_dir / month
    with BatchLock(store_path, wait_s, progress):
        reused = _reused(store_path, run_id, month, month_dir, progress)
        if reused is not None:
            for name in STAGES[1:]:
                on_stage(name, "reused", 0.0)
            return reused
        _clear_stale_staging(out_dir, month)
        staging = staging_folder(out_dir, month, run_id)
        staging.mkdir(parents=True)
        try:
            summary, tables = _run_jobs(region, params, as_of, month, run_id, staging, stage, timings, on_stage,
                                        progress, executor)
            record = {"run_id": run_id, "month": month, "region": region_name, "source": region.source,
                      "input_hash": region.input_hash, "params_hash": params.digest(),
                      "code_version": _code_version(), "started_at": started.replace(tzinfo=None), "status": "ok",
                      "summary": summary | {"as_of": as_of.isoformat()}, "parameters": params.to_dict()}
            with stage("store"):
                record["finished_at"] = datetime.now(timezone.utc).replace(tzinfo=None)
                record["stages"] = dict(timings)
                (staging / RUN_RECORD).write_text(json.dumps(record, indent=2, default=str) + "\n")
                folder = seal(staging, run_folder(out_dir, month, run_id))
                progress(f"the run's files are complete in {folder}")
                # committed first, published after: a published folder is always a stored run, and a kill in
                # between is repaired by the next run of the month, which publishes it from the store
                with open_store(store_path, wait_s=STORE_WAIT_S, progress=progress) as store:
                    store.write_run(record, tables, folder_files(folder), progress)
                    _apply_retention(store, params.retention, as_of, run_id, progress)
                publish(folder, month_dir, progress)
        except BaseException:
            # after the worker beside has been stopped (leaving the `with`), so nothing writes into staging any more
            discard(staging)
            raise
        summary = record["summary"]
    timings["total_s"] = round(time.perf_counter() - clock, 3)  # wall clock: stages beside overlap others
    return MonthlyRun(run_id=run_id, month=month, reused=False, out_dir=month_dir, store_path=store_path,
                      summary=summary, timings=timings)


def _run_jobs(region: Region, params: MonthlyParams, as_of: date, month: str, run_id: str, staging: Path, stage,
              timings: dict, on_stage, progress, executor=None) -> tuple[dict, dict[str, pd.DataFrame]]:
    """Every job of the month, their files into `staging`: (the run's summary, the tables the store keeps)."""
    tables = {"validation": region.issues}

    def keep(result) -> None:
        """A job's files into staging, and what the store keeps of it: one writer, no re-reading."""
        write_result(result, staging)
        tables.update(stored_tables(result.job, result.tables()))

    # The backtest and the flags run beside the main line (forecast, match, strategy), in a second process unless
    # another executor is given; each is collected before the stage that needs it.
    with (Beside() if executor is None else contextlib.nullcontext(executor)) as side:
        beside = _BesideStages(side, timings, on_stage, progress)
        if params.backtest:
            beside.start("backtest", run_backtest, region, params.forecast, processes=1)
        with stage("forecast"):
            forecast = run_forecast(region, params.horizon_months, params.forecast, progress=progress)
            keep(forecast)
        with stage("match"):
            # the month's forecast holds places back for the emergencies it expects before the next run
            match = run_match(region, params.match, progress=progress, run_date=as_of,
                              demand=forecast.forecast.demand)
            keep(match)
        backtest = beside.finish("backtest") if params.backtest else None
        beside.start("flags", run_flags, region, params.flags, params.match, run_date=as_of, match=match)
        strategy = None
        if params.strategy_plan:
            with stage("strategy"):
                strategy = run_strategy(region, params.strategy, params.forecast, progress=progress,
                                        forecast=forecast.forecast, match=match, run_date=as_of,
                                        flags_table=lambda: beside.finish("flags").flags.table)
                keep(strategy)
        yearly = None
        if params.yearly:
            with stage("yearly"):
                # the DfE's published figures for these councils: a forecast tested on real years, and a check
                # of the extract's level against each council's own published total
                yearly = run_yearly(region, forecast.forecast, progress=progress)
                if yearly is not None:
                    keep(yearly)
        flags = beside.finish("flags")
        for result in (backtest, flags):
            if result is not None:
                keep(result)
    return monthly_summary(month, run_id, forecast, match, flags, backtest, strategy, yearly), tables


def _reused(store_path: Path, run_id: str, month: str, month_dir: Path, progress) -> MonthlyRun | None:
    """The run when the store already has it (published again from the store if OUT/<month>/ is not it)."""
    if not store_exists(store_path):
        return None
    with open_store(store_path, read_only=True, wait_s=STORE_WAIT_S, progress=progress) as store:
        if not store.has_run(run_id):
            return None
        progress(f"Run {run_id} ({month}, same inputs and parameters) is already in {shown(store_path)}: reused")
        if published_run_id(month_dir) != run_id:
            publish_from_store(store, run_id, month_dir, progress)
        else:
            tidy(month_dir)  # a kill after publishing may have left the month's earlier run folder
        record = store.run(run_id)
    return MonthlyRun(run_id=run_id, month=month, reused=True, out_dir=month_dir, store_path=store_path,
                      summary=record["summary"], timings={"total_s": 0.0})


def _apply_retention(store: RunStore, older_than: str, as_of: date, run_id: str, progress) -> None:
    """Purge older runs' children's rows, ages counted from this run's extract date (so re-running an old month
    purges relative to that month, never this run itself)."""
    if not older_than:
        return
    for purged in purge(store, older_than, as_of=as_of, keep=(run_id,)):
        progress(f"Retention ({older_than}): purged the children's rows of run {purged['run_id']} "
                 f"({purged['month']})")


def _clear_stale_staging(out_dir: Path, month: str) -> None:
    """Staging folders a killed batch left: under the batch lock no other batch is writing one."""
    for path in (out_dir / RUNS_FOLDER).glob(f"{month}.*.partial-*"):
        discard(path)


class Implausible(ValueError):
    """The month's inputs are valid but implausible (validation's IMPLAUSIBLE warnings) and were not accepted."""


def _check_plausible(region: Region, accept_warnings: bool) -> None:
    issues = region.issues
    found = issues[issues["severity"].eq("warning") & issues["rule"].str.startswith(IMPLAUSIBLE)]
    if len(found) and not accept_warnings:
        raise Implausible("the month's inputs are valid but implausible, so nothing was run:\n"
                          + "\n".join(f"  {format_problem(p)}" for p in found.itertuples(index=False))
                          + "\nFix them, or run with --accept-warnings if they are right.")


class RunInProgress(RuntimeError):
    """Another monthly batch holds this run store."""


class BatchLock:
    """One monthly batch per run store at a time: a lock file beside a DuckDB store, an advisory lock in a
    PostgreSQL one (app/history/store.py's ServerLock), held for the whole run. A second batch waits `wait_s`
    seconds (saying so) and then stops with RunInProgress, writing nothing; when it gets the lock, the run it
    waited for is in the store and is reused."""

    def __init__(self, store_path: Path | str, wait_s: float, progress):
        from filelock import FileLock

        self.wait_s, self.progress = wait_s, progress
        if is_server(store_path):
            self.path, self.lock = f"the advisory lock of {shown(store_path)}", ServerLock(str(store_path))
        else:
            store_path.parent.mkdir(parents=True, exist_ok=True)
            self.path = store_path.with_name(store_path.name + ".lock")
            self.lock = _FileLock(FileLock(self.path))

    def __enter__(self):
        if self.lock.acquire(0):
            return self
        if self.wait_s <= 0:
            self.lock.release_unheld()
            raise RunInProgress(f"another monthly run is in progress on this run store ({self.path} is "
                                "held): wait for it to finish, or run with --wait SECONDS")
        self.progress(f"another monthly run is in progress on this run store: waiting up to {self.wait_s:.0f} s")
        if not self.lock.acquire(self.wait_s):
            self.lock.release_unheld()
            raise RunInProgress(f"another monthly run was still in progress on this run store after "
                                f"{self.wait_s:.0f} s ({self.path} is held)")
        return self

    def __exit__(self, *exc) -> None:
        self.lock.release()


class _FileLock:
    """filelock's lock with ServerLock's two calls."""

    def __init__(self, lock):
        self.lock = lock

    def acquire(self, timeout: float) -> bool:
        from filelock import Timeout

        try:
            self.lock.acquire(timeout=timeout)
            return True
        except Timeout:
            return False

    def release(self) -> None:
        self.lock.release()

    def release_unheld(self) -> None:
        pass


def monthly_summary(month: str, run_id: str, forecast, match, flags, backtest, strategy=None, yearly=None) -> dict:
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
        "liberty": flags.summary["liberty"],
    }
    if strategy is not None:
        summary["strategy"] = strategy.summary
    if yearly is not None:
        summary["yearly"] = yearly_summary(yearly)
    if backtest is not None:
        # The regional total at each horizon, for the chain rcc forecasts with: the accuracy the batch promises.
        regional = backtest.backtest.regional()
        chain = regional[regional["model"] == "markov"]
        summary["backtest"] = {f"h{int(row.horizon)}": {"mase": round(float(row.mase), 3),
                                                        "coverage_80": round(float(row.coverage_80), 3)}
                               for row in chain.itertuples()}
    return summary


def yearly_summary(yearly) -> dict:
    """The yearly view's headline: the councils, the years ahead, the backtest of the councils' totals one and two
    years ahead, and the extract's disagreements with the published figures."""
    b = yearly.backtest
    own = b[b["scope"].eq("these councils") & b["model"].eq("pooled") & b["group"].eq("all")]
    ahead = yearly.forecast[yearly.forecast["group"].eq("all")]
    return {"councils": len(yearly.record["councils"]), "until": yearly.record["until"],
            "total": {int(year): round(float(rows["mean"].sum()), 1) for year, rows in ahead.groupby("year")},
            "backtest": {f"h{int(r.horizon)}": {"relative_mae": round(float(r.relative_mae), 3),
                                                "coverage_80": round(float(r.coverage), 3)}
                         for r in own.itertuples() if r.horizon <= 2},
            "disagreements": yearly.warnings}


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
    """Stages run on the executor beside the main line: announced when started, timed where they run, collected
    once."""

    def __init__(self, side, timings: dict, on_stage, progress):
        self.side, self.timings, self.on_stage, self.progress = side, timings, on_stage, progress
        self.running: str | None = None
        self.future = None
        self.results: dict[str, object] = {}

    def start(self, name: str, job: Callable, *args, **kwargs) -> None:
        self.on_stage(name, "started", 0.0)
        where = self.side.describe() if hasattr(self.side, "describe") else type(self.side).__name__
        self.progress(f"{name.capitalize()}: running beside the other stages ({where})")
        self.running = name
        try:
            self.future = self.side.submit(timed_call, job, *args, **kwargs)
        except BaseException:
            self.on_stage(name, "failed", 0.0)
            raise

    def finish(self, name: str):
        if name not in self.results:
            assert self.running == name, f"{name} was not started beside the main line"
            self.running = None
            try:
                value, seconds = self.future.result()
            except BaseException:
                self.on_stage(name, "failed", 0.0)
                raise
            self.timings[f"{name}_s"] = round(seconds, 3)
            self.on_stage(name, "done", round(seconds, 3))
            self.results[name] = value
        return self.results[name]


def _load(path: Path, progress) -> Region:
    progress(f"Loading and validating {path}")
    return load_region(path)


def _region_name(region: Region) -> str:
    source = Path(region.source)
    return source.stem if source.suffix else source.name


def _public_fingerprint() -> str:
    """The published files the yearly stage reads (names and sizes): a newer DfE release is a new run."""
    from data.public import default_public_data

    folder = default_public_data()
    files = sorted((p.relative_to(folder).as_posix(), p.stat().st_size) for sub in ("dfe", "ons")
                   if (folder / sub).is_dir() for p in (folder / sub).rglob("*") if p.is_file())
    return hashlib.sha256(json.dumps([str(folder.name), files]).encode()).hexdigest()[:16]


def _code_version() -> str:
    return f"rcc {metadata.version('rcc')}"


def ensure_latest_run(region: Path, out: Path, store: Path, progress=lambda message: None) -> str:
    """The store's latest run of this region, made first (the whole monthly run) when the store has none."""
    if store_exists(store):
        with RunStore(store, read_only=True) as existing:
            latest = existing.latest_run_id(region.stem if region.suffix else region.name)
        if latest:
            return latest
    progress(f"No run of {region} in {store} yet: running this month's batch first (a few minutes)")
    return run_monthly(region, store_path=store, out_dir=out, progress=progress).run_id
