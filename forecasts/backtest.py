"""Rolling-origin backtests: refit at each origin on the data up to it, forecast, compare with what happened.

Series are stocks per council x placement group (age bands summed), per council in total (group "all"), and the
same for the whole region (la_code "region"). For each series, horizon and model: MASE (mean absolute error over
the origins, each scaled by the in-sample mean absolute year-on-year change up to that origin, so 1 means as good
as last year's figure was in the past), bias (forecast minus actual, as a share of the actual), and the share of
origins whose actual fell inside the p10-p90 interval (nominally 0.8).
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import nullcontext
from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.vocabulary import PLACEMENT_GROUPS
from forecasts.baselines import SEASON, Ets, mase_scale, seasonal_naive
from forecasts.flows import History
from forecasts.params import BACKTEST_MODELS, ForecastParams
from forecasts.simulate import compile_simulation, fit, path_quantiles, simulate, usable_cores

BACKTEST_COLUMNS = ["la_code", "group", "horizon", "model", "mase", "bias", "coverage_80"]
REGION = "region"
ALL_GROUPS = "all"


@dataclass(frozen=True)
class Backtest:
    table: pd.DataFrame  # BACKTEST_COLUMNS
    forecasts: pd.DataFrame  # one row per series x origin x horizon x model: forecast, p10, p90, actual, scale
    origins: pd.DatetimeIndex

    def regional(self) -> pd.DataFrame:
        """The aggregated regional series' rows: every model at every horizon."""
        rows = self.table[(self.table["la_code"] == REGION) & (self.table["group"] == ALL_GROUPS)]
        return rows.sort_values(["horizon", "model"], ignore_index=True)


def series_labels(la_codes: tuple[str, ...]) -> pd.DataFrame:
    """la_code and group of each series, in the order `series` stacks them."""
    la = [*la_codes, REGION]
    groups = [*PLACEMENT_GROUPS, ALL_GROUPS]
    return pd.DataFrame({"la_code": np.repeat(la, len(groups)), "group": np.tile(groups, len(la))})


def series(stock: np.ndarray) -> np.ndarray:
    """Stack every series from an array whose last three axes are (council, group, age): (..., series)."""
    by_group = stock.sum(axis=-1)  # (..., council, group)
    with_total = np.concatenate([by_group, by_group.sum(axis=-1, keepdims=True)], axis=-1)
    with_region = np.concatenate([with_total, with_total.sum(axis=-2, keepdims=True)], axis=-2)
    return with_region.reshape(*with_region.shape[:-2], -1)


def origins_for(history: History, params: ForecastParams) -> list[int]:
    """Origin month indices, latest last, each leaving the longest horizon inside the data and enough history
    before it to fit the chain and the entries."""
    bt = params.backtest
    last = len(history.months) - 1 - max(bt.horizons)
    earliest = max(params.reference_months, SEASON * 2)
    origins = [last - k * bt.origin_step for k in range(bt.origins)]
    kept = sorted(o for o in origins if o >= earliest)
    if not kept:
        raise ValueError(f"the history has {len(history.months)} months: too short to backtest "
                         f"{max(bt.horizons)} months ahead after {earliest} months of fitting")
    return kept


def backtest(history: History, params: ForecastParams, population: pd.Series | None = None,
             progress: Callable[[str], None] = lambda message: None, processes: int | None = None) -> Backtest:
    """Score every model over the origins. The chain's origins are independent (each has its own seed), so they
    are shared among `processes` worker processes (default: the cores this process may use), while this process
    works through the baselines."""
    bt = params.backtest
    origins = origins_for(history, params)
    observed = series(history.stock.transpose(1, 0, 2, 3))  # (month, series)
    labels = series_labels(history.la_codes)
    processes = min(processes or usable_cores(), len(origins))
    chain = _Chain(history, params, population, origins, processes, progress) if "markov" in bt.models else None
    ets = [Ets() for _ in range(observed.shape[1])]
    horizon = max(bt.horizons)
    at = np.asarray(bt.horizons) - 1
    forecast = {}
    with chain or nullcontext():
        for i, origin in enumerate(origins):
            if i % 4 == 0 and bt.models != ("markov",):
                progress(f"Backtest baselines: origin {i + 1} of {len(origins)} ({history.months[origin]:%Y-%m})")
            train = observed[:origin + 1]
            if "seasonal_naive" in bt.models:
                naive = seasonal_naive(train, horizon)
                forecast[origin, "seasonal_naive"] = (naive.mean[at], naive.p10[at], naive.p90[at])
            if "ets" in bt.models:
                baseline = [ets[s].forecast(train[:, s], history.months[0], horizon) for s in range(observed.shape[1])]
                forecast[origin, "ets"] = tuple(np.stack([getattr(b, part)[at] for b in baseline], axis=1)
                                                for part in ("mean", "p10", "p90"))
        if chain:
            forecast.update({(origin, "markov"): f for origin, f in chain.results().items()})
    records = []
    for origin in origins:
        actual = observed[[origin + h for h in bt.horizons]]  # (horizon, series)
        scale = mase_scale(observed[:origin + 1])
        for name in bt.models:
            mean, low, high = forecast[origin, name]
            for k, h in enumerate(bt.horizons):
                records.append(pd.DataFrame({
                    "series": np.arange(observed.shape[1]), "origin": origin, "horizon": h, "model": name,
                    "forecast": mean[k], "p10": low[k], "p90": high[k], "actual": actual[k], "scale": scale}))
    forecasts = pd.concat(records, ignore_index=True)
    forecasts = labels.iloc[forecasts["series"]].reset_index(drop=True).join(forecasts.drop(columns="series"))
    forecasts["origin"] = history.months[forecasts["origin"]]
    return Backtest(table=score(forecasts), forecasts=forecasts, origins=history.months[origins])


class _Chain:
    """The chain's backtest forecasts, (mean, p10, p90) at the scored horizons, (horizon, series) each, per origin.
    With more than one process they are computed in the background from entering the context; `results` waits."""

    def __init__(self, history: History, params: ForecastParams, population: pd.Series | None, origins: list[int],
                 processes: int, progress: Callable[[str], None]) -> None:
        self.input = (history, params, population)
        self.origins, self.processes, self.progress = origins, processes, progress
        self.pool, self.futures = None, []

    def __enter__(self) -> _Chain:
        if self.processes > 1:
            self.progress(f"Backtest: the chain at {len(self.origins)} origins, in {self.processes} processes")
            compile_simulation()
            # Forked workers are handed the history at start-up, sharing this process's memory, rather than each
            # receiving a pickled copy with its task (140 MB nationally).
            self.pool = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("fork"),
                                            initializer=_worker_input, initargs=self.input)
            # Consecutive origins per worker, so each fit starts from its neighbour's entries coefficients.
            self.futures = [self.pool.submit(_worker_chunk, [int(o) for o in chunk])
                            for chunk in np.array_split(self.origins, self.processes)]
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)

    def results(self) -> dict[int, tuple[np.ndarray, ...]]:
        if self.pool is None:
            self.progress(f"Backtest: the chain at {len(self.origins)} origins")
            return _markov_chunk(*self.input, self.origins)
        out = {}
        for done, future in enumerate(as_completed(self.futures), 1):
            out.update(future.result())
            self.progress(f"Backtest: the chain, {done} of {self.processes} processes done")
        return out


_WORKER_INPUT: tuple = ()


def _worker_input(history: History, params: ForecastParams, population: pd.Series | None) -> None:
    global _WORKER_INPUT
    _WORKER_INPUT = (history, params, population)


def _worker_chunk(origins: list[int]) -> dict[int, tuple[np.ndarray, ...]]:
    return _markov_chunk(*_WORKER_INPUT, origins)


def _markov_chunk(history: History, params: ForecastParams, population: pd.Series | None,
                  origins: list[int]) -> dict[int, tuple[np.ndarray, ...]]:
    bt = params.backtest
    out, model = {}, None
    for origin in origins:
        model = fit(history, origin, params, population, previous=model)
        sims = series(simulate(model, max(bt.horizons), bt.paths, params.seed + origin,
                               months_ahead=tuple(bt.horizons)).stock)  # (horizon, path, series)
        out[origin] = (sims.mean(axis=1), *path_quantiles(sims, (0.1, 0.9), axis=1))
    return out


def score(forecasts: pd.DataFrame) -> pd.DataFrame:
    """MASE, bias and 80% coverage per series x horizon x model."""
    f = forecasts.assign(
        scaled=np.abs(forecasts["forecast"] - forecasts["actual"]) / forecasts["scale"].where(forecasts["scale"] > 0),
        error=forecasts["forecast"] - forecasts["actual"],
        inside=((forecasts["actual"] >= forecasts["p10"]) & (forecasts["actual"] <= forecasts["p90"])).astype(float))
    out = f.groupby(["la_code", "group", "horizon", "model"], sort=False).agg(
        mase=("scaled", "mean"), error=("error", "sum"), actual=("actual", "sum"), coverage_80=("inside", "mean"))
    out["bias"] = out["error"] / out["actual"].where(out["actual"] > 0)
    out = out.reset_index()
    out["model"] = pd.Categorical(out["model"], categories=BACKTEST_MODELS)
    return out.sort_values(["la_code", "group", "horizon", "model"], ignore_index=True).assign(
        model=lambda d: d["model"].astype(str))[BACKTEST_COLUMNS]
