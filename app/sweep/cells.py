"""One cell of a sweep, computed where a worker runs it: the region's files and the cell's parameters in, the
result tables (as the run store keeps them) and the headline figures out. Nothing here writes a file, but for
the monthly job, which is the whole monthly batch of the region and publishes as `rcc monthly` does.

A cell never raises: a failure comes back as a failed outcome with its error and traceback, so one bad cell is
reported and the others go on.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
import traceback
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from app.sweep.spec import Cell

# The figures the comparison table, sweep.xlsx and the dashboard show per cell (a job leaves blank what it does
# not make): (name, what it is).
HEADLINE = (
    ("children_in_care_end", "children in care expected at the forecast's last month (mean)"),
    ("forecast_weekly_cost_end", "weekly cost of care expected at the forecast's last month (£)"),
    ("weekly_cost", "weekly cost of the matched placements (£)"),
    ("children_unmatched", "children left without a home by the match (planning: expected children the supply "
                           "cannot take)"),
    ("over_20_miles", "children matched more than 20 miles from home"),
    ("share_over_20_miles", "share of matched children more than 20 miles from home"),
    ("plan_cost", "the strategy's expected cash cost over its horizon (£)"),
    ("shortfall_risk", "the strategy's chance that some council x kind of home is short"),
    ("savings", "the strategy's expected saving against doing nothing (£)"),
)


@dataclass
class CellOutcome:
    cell_id: str
    status: str  # "ok" or "failed"
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    headline: dict = field(default_factory=dict)
    summaries: dict = field(default_factory=dict)  # each job's summary, as its run record has it
    started_at: datetime | None = None
    finished_at: datetime | None = None
    seconds: float = 0.0  # computing, on the worker (loading the region included)
    load_seconds: float = 0.0  # of which loading the region (0 when this worker had it already)
    worker: str = ""  # host:pid
    error: str = ""
    traceback: str = ""


def run_cell(cell: Cell) -> CellOutcome:
    """Compute one cell. Pure but for the monthly job: the same cell gives the same tables in any process."""
    started, clock = datetime.now(UTC), time.perf_counter()
    outcome = CellOutcome(cell.cell_id, "ok", started_at=started.replace(tzinfo=None),
                          worker=f"{socket.gethostname()}:{os.getpid()}")
    try:
        with _one_process():
            _compute(cell, outcome)
    except Exception as exc:  # noqa: BLE001 - reported with the cell, the other cells go on
        outcome.status, outcome.error = "failed", f"{type(exc).__name__}: {exc}"
        outcome.traceback = traceback.format_exc()
        outcome.tables, outcome.headline = {}, {}
    outcome.finished_at = datetime.now(UTC).replace(tzinfo=None)
    outcome.seconds = time.perf_counter() - clock
    return outcome


def _compute(cell: Cell, outcome: CellOutcome) -> None:
    params = cell.job_parameters()
    if cell.job == "monthly":
        outcome.headline, outcome.summaries = _monthly(cell, params["monthly"])
        return
    loading = time.perf_counter()
    region, fresh = _region(cell.region.path, cell.region.digest)
    outcome.load_seconds = time.perf_counter() - loading if fresh else 0.0
    run_date = date.fromisoformat(cell.run_date) if cell.run_date else _extract_date(region)
    results = JOBS[cell.job](region, params, run_date)
    outcome.tables = _stored(results)
    outcome.headline = headline(results)
    outcome.summaries = {r.job: _summary(r) for r in results}


@contextlib.contextmanager
def _one_process():
    """A cell is one process: a sweep has one worker per core already, and a Dask worker may not start processes
    of its own. The forecast shares its simulated paths among every core its process may use
    (forecasts.demand.forecast calls forecasts.simulate.usable_cores), with the same answer for any number of
    processes; within a cell it uses this process alone. Restored after the cell, so a serial sweep run inside
    another program leaves it as it was."""
    import forecasts.demand

    before = forecasts.demand.usable_cores
    forecasts.demand.usable_cores = lambda: 1
    try:
        yield
    finally:
        forecasts.demand.usable_cores = before


_REGIONS: OrderedDict[tuple[str, str], object] = OrderedDict()  # this worker's regions, most recent last
KEEP_REGIONS = 12


def _region(path: str, digest: str):
    """The region, loaded once per worker process (cells of one region share it); (region, loaded now)."""
    key = (path, digest)
    if key in _REGIONS:
        _REGIONS.move_to_end(key)
        return _REGIONS[key], False
    from app.sweep.regions import folder_digest
    from data.load import load_region

    found = folder_digest(Path(path))
    if found != digest:
        raise RuntimeError(f"{path} changed since the sweep started (its files' hash is {found}, not {digest}): "
                           "run the sweep again")
    _REGIONS[key] = load_region(path)
    while len(_REGIONS) > KEEP_REGIONS:
        _REGIONS.popitem(last=False)
    return _REGIONS[key], True


def _extract_date(region) -> date:
    from app.batch.monthly import extract_date

    return extract_date(region)


# --- the jobs: each returns the job results (app/jobs) it made ------------------------------------------------

def _forecast(region, p: dict, run_date: date) -> list:
    from app.jobs.forecast import run_forecast

    return [run_forecast(region, p["horizon_months"], p["forecast"], p["scenario"])]


def _match(region, p: dict, run_date: date) -> list:
    from app.jobs.match import run_match

    return [run_match(region, p["match"], run_date=run_date)]


def _planning(region, p: dict, run_date: date) -> list:
    from app.jobs.forecast import run_forecast
    from app.jobs.match import run_planning

    forecast = run_forecast(region, p["horizon_months"], p["forecast"], p["scenario"])
    return [forecast, run_planning(region, forecast.forecast.demand, p["horizon_months"], p["match"],
                                   run_date=run_date, seed=p["planning_seed"])]


def _flags(region, p: dict, run_date: date) -> list:
    from app.jobs.flags import run_flags

    return [run_flags(region, p["flags"], p["match"], run_date)]


def _strategy(region, p: dict, run_date: date) -> list:
    """The plan on a forecast made under the cell's scenario, from the cell's match's gap."""
    from app.jobs.forecast import run_forecast
    from app.jobs.match import run_match
    from app.jobs.strategy import run_strategy

    strategy = p["strategy"]
    forecast = run_forecast(region, 3 * strategy.horizon_quarters, p["forecast"], p["scenario"])
    match = run_match(region, p["match"], run_date=run_date)
    return [forecast, match, run_strategy(region, strategy, p["forecast"], forecast=forecast.forecast, match=match,
                                          run_date=run_date)]


JOBS = {"forecast": _forecast, "match": _match, "planning": _planning, "flags": _flags, "strategy": _strategy}


def _monthly(cell: Cell, params) -> tuple[dict, dict]:
    """The region's whole monthly batch into its own run store and month folder (OUT/monthly/<region>/), with
    the stages beside run inline: the sweep's workers already fill the cores."""
    from app.batch.monthly import run_monthly
    from app.executors import InlineExecutor

    run = run_monthly(Path(cell.region.path), store_path=None, out_dir=Path(cell.monthly_out), params=params,
                      executor=InlineExecutor())
    s = run.summary
    match, strategy = s.get("match", {}), s.get("strategy", {})
    figures = _match_figures(match) | _strategy_figures(strategy) | {
        "children_in_care_end": s.get("forecast_12_months", {}).get("mean")}
    return figures, {"monthly": {"run_id": run.run_id, "month": run.month, "reused": run.reused,
                                 "out_dir": str(run.out_dir), "summary": s}}


# --- what is kept ----------------------------------------------------------------------------------------------

def _stored(results: list) -> dict[str, pd.DataFrame]:
    from app.outputs import stored_tables

    tables: dict[str, pd.DataFrame] = {}
    for result in results:
        tables.update(stored_tables(result.job, result.tables()))
    return tables


def _summary(result) -> dict:
    return result.record.get("summary", {}) if result.job != "planning" else result.summary


def headline(results: list) -> dict:
    """The headline figures of a cell's results (None where a job does not make one)."""
    figures = {name: None for name, _ in HEADLINE}
    for result in results:
        if result.job == "forecast":
            s = result.record["summary"]
            figures["children_in_care_end"] = s["children_at_horizon"]["mean"]
            figures["forecast_weekly_cost_end"] = s["weekly_cost_last_month"]
        elif result.job == "match":
            figures |= _match_figures(result.summary)
            allocations = result.result.allocations
            from data.geo import TWENTY_MILES_KM

            matched = allocations[allocations["status"].eq("matched")]
            figures["over_20_miles"] = int((matched["distance_km"] > TWENTY_MILES_KM).sum())
        elif result.job == "planning":
            figures["children_unmatched"] = result.summary["children_unmet"]
        elif result.job == "strategy":
            figures |= _strategy_figures(result.summary)
    return figures


def _match_figures(s: dict) -> dict:
    if not s:
        return {}
    share, matched = s.get("share_over_20_miles"), s.get("matched")
    return {"weekly_cost": s.get("total_weekly_cost"), "children_unmatched": s.get("unmatched"),
            "share_over_20_miles": share,
            "over_20_miles": None if share is None or matched is None else int(round(share * matched))}


def _strategy_figures(s: dict) -> dict:
    if not s:
        return {}
    return {"plan_cost": s.get("expected_cash_cost"), "shortfall_risk": s.get("shortfall_probability"),
            "savings": s.get("expected_saving")}
