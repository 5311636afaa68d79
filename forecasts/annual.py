"""Children looked after at 31 March, per council and placement group, forecast from the DfE's published yearly
series and backtested on the real years.

Annual series are short (15 points at most) and noisy, and "same as last year" is hard to beat. The model
borrows strength across councils instead of trusting one series:

- **pooled growth**: per group and horizon, the log growth from the origin year is regressed, over every
  council and the last `window` origins, on where the council stands against its own last four years (a
  council well above its recent level tends to fall back) and its rate per 10,000 children against the median
  council's (high rates drift down, low rates up). The intercept is the growth all councils shared lately.
  With `population=True` the regression is on the rate per 10,000 and the count follows the child population,
  projected from its own trend up to the origin (never read beyond it).
- **groups reconciled to the total**: each group is forecast the same way; their means are then scaled to add
  up to the council's `all`, which is forecast better than any of its parts.
- **intervals calibrated on the backtest**: p10, p50 and p90 are the point forecast moved by the quantiles of
  the same model's own past errors (log scale, per group, horizon and size of council), learned only from
  forecasts whose year had been published by the origin.

Published cells that are missing or suppressed are never read as zero. Where a council publishes its total but
not a group's figure (a suppressed 1-5, or the three groups the DfE did not publish for 2018-2020), the group is
imputed from what the same year's other figures leave over, split by the groups' last published shares; a
suppressed cell is at least one child. Imputed cells are used as history, never scored as actuals.

The yardsticks run through the same backtest: naive (last value), drift (the series' average change), and a
damped-trend ETS per series (statsmodels, its own intervals, as such a model would be used).
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

from data.authorities import register
from data.vocabulary import PUBLIC_GROUPS
from forecasts.baselines import INTERVAL_ALPHA

TOTAL = "all"
PARTS = tuple(g for g in PUBLIC_GROUPS if g != TOTAL)
SMALL_COUNTS = ("c", "x")  # a suppressed council figure is 1 to 5 children (or the next smallest): never zero
MODELS = ("pooled", "naive", "drift", "ets")
QUICK_MODELS = ("pooled", "naive", "drift")  # without the slow ETS yardstick: the forecast and the monthly batch
MODEL_LABELS = {"pooled": "rcc pooled growth", "naive": "naive (same as last year)",
                "drift": "drift (average change)", "ets": "damped-trend ETS per series"}
ETS_GROUPS = ("all", "foster", "childrens_home")  # the yardstick's fits are the slow part: the groups that matter
SIZE_BANDS = (30.0, 150.0)  # children: a small, middling or large series has its own error spread
MIN_ERRORS = 40  # fewer past errors than this in a band: the band borrows the group's whole spread


def _quiet(function):
    """Missing figures are NaN on purpose (a mean over no published year is unknown, not a fault): numpy's
    warnings about them are silenced here, and nowhere else."""
    @functools.wraps(function)
    def wrapped(*args, **kwargs):
        with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return function(*args, **kwargs)
    return wrapped


@dataclass(frozen=True)
class AnnualParams:
    horizon: int = 3
    first_scored: int = 2015  # first origin the backtest scores (earlier origins only calibrate later ones)
    window: int = 6  # origins the pooled regression learns from: recent years' shared growth matters most
    calibration_window: int = 8  # origins whose errors set an origin's intervals
    coverage: float = 0.8  # p10-p90
    population: bool = False  # regress rates per 10,000 and follow the projected child population
    ridge: float = 1.0  # keeps the regression's slopes modest when few origins are behind it


@dataclass(frozen=True)
class Panel:
    """The published series as arrays: value[council, group, year] after imputation, `published` where the
    value is the DfE's own figure, and the child population (NaN where unknown)."""

    councils: tuple[str, ...]
    years: np.ndarray
    value: np.ndarray
    published: np.ndarray
    population: np.ndarray

    def upto(self, year: int) -> Panel:
        keep = self.years <= year
        return Panel(self.councils, self.years[keep], self.value[:, :, keep], self.published[:, :, keep],
                     self.population[:, keep])


@_quiet
def build_panel(annual: pd.DataFrame, population: pd.DataFrame | None, until: int | None = None,
                councils=None) -> Panel:
    """The looked-after series of `annual` (CLA_ANNUAL's columns) up to `until`, with suppressed and unpublished
    group figures imputed from the same year's total. Rows after `until` are dropped before anything is
    computed, so they cannot reach a forecast."""
    rows = annual[annual["measure"].eq("looked_after") & annual["group"].isin(PUBLIC_GROUPS)]
    if until is not None:
        rows = rows[rows["year"] <= until]
    codes = tuple(sorted(set(rows["la_code"]) if councils is None else set(councils) & set(rows["la_code"])))
    years = np.arange(int(rows["year"].min()), int(rows["year"].max()) + 1) if len(rows) else np.arange(0)
    shape = (len(codes), len(PUBLIC_GROUPS), len(years))
    value = np.full(shape, np.nan)
    small = np.zeros(shape, bool)
    c_index = {c: i for i, c in enumerate(codes)}
    rows = rows[rows["la_code"].isin(c_index)]
    ci = rows["la_code"].map(c_index).to_numpy()
    gi = rows["group"].map({g: i for i, g in enumerate(PUBLIC_GROUPS)}).to_numpy()
    ti = (rows["year"].to_numpy() - (years[0] if len(years) else 0)).astype(int)
    value[ci, gi, ti] = pd.to_numeric(rows["value"], errors="coerce").to_numpy(float)
    small[ci, gi, ti] = rows["status"].fillna("").isin(SMALL_COUNTS).to_numpy()
    published = np.isfinite(value)
    _impute_parts(value, small)
    pop = np.full((len(codes), len(years)), np.nan)
    if population is not None and len(population) and len(years):
        p = population[population["la_code"].isin(c_index) & population["year"].between(years[0], years[-1])]
        pop[p["la_code"].map(c_index).to_numpy(), (p["year"].to_numpy() - years[0]).astype(int)] = (
            p["population_0_17"].to_numpy(float))
    return Panel(codes, years, value, published, pop)


def _impute_parts(value: np.ndarray, small: np.ndarray) -> None:
    """Fill each unknown group figure from what the year's total leaves after the known groups, shared by the
    unknown groups' last published shares (equal shares before any); in place."""
    total = value[:, 0, :]
    parts = value[:, 1:, :]
    known_share = np.where(np.isfinite(parts) & (total[:, None, :] > 0), parts / total[:, None, :], np.nan)
    last_share = pd.DataFrame(known_share.reshape(-1, known_share.shape[2])).ffill(axis=1).bfill(axis=1)
    last_share = last_share.to_numpy().reshape(known_share.shape)
    last_share = np.where(np.isfinite(last_share), last_share, 1.0 / parts.shape[1])
    unknown = ~np.isfinite(parts) & np.isfinite(total)[:, None, :]
    left = np.clip(total - np.nansum(np.where(unknown, 0, parts), axis=1), 0, None)
    weights = np.where(unknown, np.maximum(last_share, 1e-3), 0)
    split = left[:, None, :] * weights / np.maximum(weights.sum(axis=1, keepdims=True), 1e-12)
    floor = np.where(small[:, 1:, :], 1.0, 0.0)
    parts[unknown] = np.maximum(split, floor)[unknown]


# --- the models ------------------------------------------------------------------------------------------

def _log(x: np.ndarray) -> np.ndarray:
    return np.log1p(np.clip(x, 0, None))


def _projected_population(pop: np.ndarray, years_ahead: int) -> np.ndarray:
    """Each council's child population `years_ahead` after the panel's last year, from the log-linear trend of
    its last five known years (all at or before that year)."""
    out = np.full(pop.shape[0], np.nan)
    for c in range(pop.shape[0]):
        known = np.flatnonzero(np.isfinite(pop[c]) & (pop[c] > 0))[-5:]
        if len(known) == 0:
            continue
        if len(known) == 1:
            out[c] = pop[c, known[-1]]
            continue
        slope, intercept = np.polyfit(known, np.log(pop[c, known]), 1)
        out[c] = np.exp(intercept + slope * (pop.shape[1] - 1 + years_ahead))
    return out


def _filled_population(pop: np.ndarray) -> np.ndarray:
    """Population for every year of the panel: years before the first estimate take the first (the rate
    feature needs a denominator; ONS's series starts later than the DfE's)."""
    return pd.DataFrame(pop).ffill(axis=1).bfill(axis=1).to_numpy()


def _features(logv: np.ndarray, lograte: np.ndarray, t: int) -> np.ndarray:
    """Per council at year index t: 1, distance above its own last four years, rate above the median council."""
    recent = logv[:, max(0, t - 3):t + 1]
    above_own = logv[:, t] - np.nanmean(recent, axis=1)
    rate = lograte[:, t]
    above_median = rate - np.nanmedian(rate) if np.isfinite(rate).any() else np.zeros_like(rate)
    return np.column_stack([np.ones(len(logv)), above_own, np.nan_to_num(above_median)])


def pooled_point(panel: Panel, group: int, horizon: int, params: AnnualParams) -> np.ndarray:
    """Point forecasts (councils x horizons) from the panel's last year, for one group."""
    v = panel.value[:, group, :]
    T = v.shape[1] - 1
    pop = _filled_population(panel.population)
    have_pop = np.isfinite(pop).all(axis=1)
    logv = _log(v)
    logpop = np.where(have_pop[:, None], np.log(np.where(have_pop[:, None], pop, 1.0)), np.nan)
    lograte = logv - logpop
    use_pop = params.population and have_pop.any()
    target = np.where(have_pop[:, None], lograte, logv) if use_pop else logv
    out = np.full((len(v), horizon), np.nan)
    x_now = _features(logv, lograte, T)
    for h in range(1, horizon + 1):
        xs, ys = [], []
        for t in range(max(1, T - h - params.window + 1), T - h + 1):
            x = _features(logv, lograte, t)
            y = target[:, t + h] - target[:, t]
            ok = np.isfinite(y) & np.isfinite(x).all(axis=1)
            xs.append(x[ok])
            ys.append(y[ok])
        growth = np.zeros(len(v))
        if xs and sum(len(y) for y in ys) > 3:
            x, y = np.vstack(xs), np.concatenate(ys)
            penalty = params.ridge * np.diag([0.0, 1.0, 1.0])  # the shared growth is not shrunk, the slopes are
            beta = np.linalg.solve(x.T @ x + penalty + 1e-9 * np.eye(3), x.T @ y)
            growth = x_now @ beta
        level = target[:, T] + growth
        if use_pop:
            projected = _projected_population(panel.population, h)
            counted = np.exp(level + np.log(np.where(np.isfinite(projected), projected, 1.0))) - 1
            plain = np.exp(logv[:, T] + growth) - 1
            out[:, h - 1] = np.where(have_pop & np.isfinite(projected), counted, plain)
        else:
            out[:, h - 1] = np.exp(level) - 1
    return np.clip(out, 0, None)


def naive_point(panel: Panel, group: int, horizon: int) -> np.ndarray:
    v = panel.value[:, group, :]
    return np.repeat(v[:, -1:], horizon, axis=1)


def drift_point(panel: Panel, group: int, horizon: int) -> np.ndarray:
    v = panel.value[:, group, :]
    out = np.full((len(v), horizon), np.nan)
    for c in range(len(v)):
        known = np.flatnonzero(np.isfinite(v[c]))
        if len(known) == 0 or known[-1] != v.shape[1] - 1:
            continue
        step = (v[c, known[-1]] - v[c, known[0]]) / (known[-1] - known[0]) if len(known) > 1 else 0.0
        out[c] = v[c, known[-1]] + step * np.arange(1, horizon + 1)
    return np.clip(out, 0, None)


def reconcile(means: np.ndarray) -> np.ndarray:
    """means[council, group, horizon] with the groups scaled to add up to the total (group 0)."""
    parts = means[:, 1:, :]
    total = np.nansum(parts, axis=1, keepdims=True)
    factor = np.where(total > 0, means[:, :1, :] / np.where(total > 0, total, 1), 1.0)
    out = means.copy()
    out[:, 1:, :] = parts * factor
    return out


# --- the backtest -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AnnualResult:
    forecast: pd.DataFrame  # la_code, group, year, mean, p10, p50, p90
    backtest: pd.DataFrame  # every scored forecast: model, la_code, group, origin, horizon, year, actual, ...
    summary: pd.DataFrame  # model x group x horizon: mase, relative_mae, bias, coverage, forecasts
    history: pd.DataFrame  # la_code, group, year, value, published (the series the forecasts start from)
    until: int
    notes: tuple[str, ...]


def _ets(y: np.ndarray, horizon: int, start=None) -> tuple:
    """A damped additive-trend ETS fitted to one (log) series: (mean, p10, p90) from its own Gaussian intervals,
    and its parameters. Refitted at every origin (parameters estimated on five points would freeze an early
    guess), starting from the previous origin's estimate, which is what keeps the refits affordable."""
    if np.ptp(y) == 0:
        flat = np.full(horizon, y[-1])
        return (flat, flat, flat), None
    with warnings.catch_warnings():
        # Short smooth series often stop the optimiser at its iteration limit; its estimate is still the yardstick.
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        model = ETSModel(pd.Series(y), error="add", trend="add", damped_trend=True)
        fitted = model.fit(disp=False, start_params=start)
        frame = fitted.get_prediction(start=len(y), end=len(y) + horizon - 1).summary_frame(alpha=INTERVAL_ALPHA)
    return (frame["mean"].to_numpy(), frame["pi_lower"].to_numpy(), frame["pi_upper"].to_numpy()), fitted.params


def _point_forecasts(panel: Panel, model: str, horizon: int, params: AnnualParams) -> np.ndarray:
    """means[council, group, horizon] from the panel's last year."""
    mean = np.full((len(panel.councils), len(PUBLIC_GROUPS), horizon), np.nan)
    for g in range(len(PUBLIC_GROUPS)):
        if model == "pooled":
            mean[:, g] = pooled_point(panel, g, horizon, params)
        elif model == "naive":
            mean[:, g] = naive_point(panel, g, horizon)
        else:
            mean[:, g] = drift_point(panel, g, horizon)
    return reconcile(mean) if model == "pooled" else mean


def _ets_series(task: tuple) -> list[tuple]:
    """One series' ETS forecasts from each origin: (origin, mean, p10, p90) arrays on the count scale."""
    values, years, origins, horizon = task
    out, start = [], None
    for origin in origins:
        y = values[years <= origin]
        if not np.isfinite(y[-1]) or np.isfinite(y).sum() < 5:
            continue
        y = _log(pd.Series(y).interpolate(limit_area="inside").to_numpy())
        (mean, low, high), params = _ets(y[np.isfinite(y)], horizon, start)
        start = params if params is not None else start
        out.append((origin, np.expm1(mean), np.expm1(low), np.expm1(high)))
    return out


def _ets_backtest(panel: Panel, origins: list[int], horizon: int) -> pd.DataFrame:
    """The ETS yardstick from every origin, for the groups that matter, fitted in parallel (the slow part)."""
    shape = (len(panel.councils), len(PUBLIC_GROUPS), horizon)
    arrays = {origin: tuple(np.full(shape, np.nan) for _ in range(3)) for origin in origins}
    keys = [(c, g) for g, group in enumerate(PUBLIC_GROUPS) if group in ETS_GROUPS for c in range(shape[0])]
    tasks = [(panel.value[c, g], panel.years, origins, horizon) for c, g in keys]
    with ProcessPoolExecutor(max(1, min(len(os.sched_getaffinity(0)), 8)),
                             mp_context=multiprocessing.get_context("fork")) as pool:
        for (c, g), results in zip(keys, pool.map(_ets_series, tasks, chunksize=16)):
            for origin, mean, low, high in results:
                for array, value in zip(arrays[origin], (mean, low, high)):
                    array[c, g] = value
    return pd.concat([_long(*arrays[o], panel, "ets", o) for o in origins], ignore_index=True)


@_quiet
def run_annual(annual: pd.DataFrame, population: pd.DataFrame | None, until: int | None = None,
               params: AnnualParams = AnnualParams(), councils=None, models=MODELS,
               progress=lambda message: None) -> AnnualResult:
    """The forecast from `until` (default: the last year published) and the rolling-origin backtest of every
    model over the origins before it. Nothing after `until` is read."""
    full = build_panel(annual, population, until, councils)
    if not len(full.years):
        raise ValueError("no children-looked-after figures to forecast from")
    until = int(full.years[-1]) if until is None else int(until)
    horizon = params.horizon
    first_origin = int(full.years[0]) + 3  # three years behind an origin at least (the level feature's span)
    rows = []
    for origin in range(first_origin, until + 1):
        sub = full.upto(origin)
        for model in models:
            if model != "ets":
                rows.append(_long(_point_forecasts(sub, model, horizon, params), None, None, full, model, origin))
    if "ets" in models:
        # ETS keeps its own intervals, so only the scored origins are needed
        scored_origins = list(range(max(first_origin, params.first_scored), until))
        progress(f"Fitting the ETS yardstick to {len(ETS_GROUPS)} groups x {len(full.councils)} councils from "
                 f"{len(scored_origins)} origins")
        rows.append(_ets_backtest(full, scored_origins, horizon))
    forecasts = pd.concat(rows, ignore_index=True)
    forecasts = _with_actuals(forecasts, full)
    forecasts = _calibrate(forecasts, params)
    scored = forecasts[forecasts["origin"].ge(params.first_scored) & forecasts["year"].le(until)
                       & forecasts["actual"].notna() & forecasts["mean"].notna()]
    forward = forecasts[(forecasts["model"] == "pooled") & (forecasts["origin"] == until)]
    forward = forward[forward["mean"].notna()][["la_code", "group", "year", "mean", "p10", "p50", "p90"]]
    notes = _notes(full, until)
    return AnnualResult(forward.reset_index(drop=True), scored.reset_index(drop=True), summarise(scored),
                        _history(full), until, notes)


def _long(mean, low, high, panel: Panel, model: str, origin: int) -> pd.DataFrame:
    c, g, h = np.meshgrid(np.arange(mean.shape[0]), np.arange(mean.shape[1]), np.arange(mean.shape[2]),
                          indexing="ij")
    frame = pd.DataFrame({"model": model, "la_code": np.asarray(panel.councils, object)[c.ravel()],
                          "group": np.asarray(PUBLIC_GROUPS, object)[g.ravel()], "origin": origin,
                          "horizon": h.ravel() + 1, "year": origin + h.ravel() + 1, "mean": mean.ravel()})
    frame["own_p10"] = low.ravel() if low is not None else np.nan
    frame["own_p90"] = high.ravel() if high is not None else np.nan
    # MASE's denominator: the series' mean absolute year-on-year change up to the origin (published years only)
    v = np.where(panel.published, panel.value, np.nan)[:, :, panel.years <= origin]
    change = np.abs(np.diff(v, axis=2))
    with np.errstate(invalid="ignore"):
        scale = np.where(np.isfinite(change).any(axis=2), np.nanmean(np.where(np.isfinite(change), change, np.nan),
                                                                        axis=2), np.nan) if change.size else (
            np.full(v.shape[:2], np.nan))
    frame["scale"] = scale[c.ravel(), g.ravel()]
    last = panel.value[:, :, list(panel.years).index(origin)]
    frame["last"] = last[c.ravel(), g.ravel()]
    return frame


def _with_actuals(forecasts: pd.DataFrame, panel: Panel) -> pd.DataFrame:
    c, g, t = np.nonzero(panel.published)
    actual = pd.DataFrame({"la_code": np.asarray(panel.councils, object)[c], "group": np.asarray(PUBLIC_GROUPS,
                           object)[g], "year": panel.years[t], "actual": panel.value[c, g, t]})
    return forecasts.merge(actual, on=["la_code", "group", "year"], how="left")


def _band(size: pd.Series) -> pd.Series:
    return pd.Series(np.digitize(size.fillna(0).to_numpy(), SIZE_BANDS), index=size.index)


def _calibrate(forecasts: pd.DataFrame, params: AnnualParams) -> pd.DataFrame:
    """p10, p50 and p90 for every forecast, from the same model's errors on years published by its origin
    (ETS keeps its own intervals: that is how the yardstick is used)."""
    low_q, high_q = (1 - params.coverage) / 2, 1 - (1 - params.coverage) / 2
    out = forecasts.copy()
    out["band"] = _band(out["mean"])
    out["log_error"] = _log(out["actual"].to_numpy()) - _log(out["mean"].to_numpy())
    for name in ("p10", "p50", "p90"):
        out[name] = np.nan
    for (model, group, horizon), part in out.groupby(["model", "group", "horizon"], sort=False):
        if model == "ets":
            continue
        known = part[part["log_error"].notna()]
        for origin in part["origin"].unique():
            past = known[(known["year"] <= origin) & (known["origin"] > origin - params.calibration_window - horizon)]
            if len(past) < MIN_ERRORS:
                continue
            now = part.index[part["origin"] == origin]
            q_all = np.quantile(past["log_error"], [low_q, 0.5, high_q])
            for band in out.loc[now, "band"].unique():
                errors = past.loc[past["band"] == band, "log_error"]
                q = np.quantile(errors, [low_q, 0.5, high_q]) if len(errors) >= MIN_ERRORS else q_all
                rows = now[out.loc[now, "band"].to_numpy() == band]
                base = _log(out.loc[rows, "mean"].to_numpy())
                for name, value in zip(("p10", "p50", "p90"), q):
                    out.loc[rows, name] = np.expm1(base + value)
    ets = out["model"] == "ets"
    out.loc[ets, "p10"], out.loc[ets, "p90"] = out.loc[ets, "own_p10"], out.loc[ets, "own_p90"]
    out.loc[ets, "p50"] = out.loc[ets, "mean"]
    for name in ("p10", "p50", "p90"):
        out[name] = out[name].clip(lower=0)
    return out.drop(columns=["own_p10", "own_p90", "band", "log_error"])


@_quiet
def summarise(scored: pd.DataFrame) -> pd.DataFrame:
    """Per model x group x horizon, over every council and scored origin: MASE (errors over the series' own mean
    year-on-year change), MAE relative to naive on the same forecasts (below 1 beats "same as last year"),
    bias (signed error as a share of the actual total), p10-p90 coverage, and the error 8 forecasts in 10 were
    within (children)."""
    if scored.empty:
        return pd.DataFrame(columns=["model", "group", "horizon", "forecasts", "mase", "relative_mae", "bias",
                                     "coverage", "error_p80"])
    s = scored.copy()
    s["abs_error"] = (s["mean"] - s["actual"]).abs()
    s["naive_error"] = (s["last"] - s["actual"]).abs()
    ok = s["scale"] > 0
    s["scaled"] = np.where(ok, s["abs_error"] / s["scale"].where(ok), np.nan)
    s["inside"] = np.where(s["p10"].notna() & s["p90"].notna(),
                           ((s["actual"] >= s["p10"]) & (s["actual"] <= s["p90"])).astype(float), np.nan)
    grouped = s.groupby(["model", "group", "horizon"], sort=False)
    summary = grouped.agg(forecasts=("actual", "size"), mase=("scaled", "mean"), abs_error=("abs_error", "sum"),
                          naive_error=("naive_error", "sum"), signed=("mean", "sum"), actual=("actual", "sum"),
                          coverage=("inside", "mean"),
                          error_p80=("abs_error", lambda e: float(np.quantile(e, 0.8)))).reset_index()
    summary["relative_mae"] = summary["abs_error"] / summary["naive_error"]
    summary["bias"] = (summary["signed"] - summary["actual"]) / summary["actual"]
    order = {m: i for i, m in enumerate(MODELS)}
    summary["_m"] = summary["model"].map(order)
    summary["_g"] = summary["group"].map({g: i for i, g in enumerate(PUBLIC_GROUPS)})
    summary = summary.sort_values(["_g", "horizon", "_m"])
    return summary[["model", "group", "horizon", "forecasts", "mase", "relative_mae", "bias", "coverage",
                    "error_p80"]].reset_index(drop=True)


def _history(panel: Panel) -> pd.DataFrame:
    c, g, t = np.nonzero(np.isfinite(panel.value))
    return pd.DataFrame({"la_code": np.asarray(panel.councils, object)[c],
                         "group": np.asarray(PUBLIC_GROUPS, object)[g], "year": panel.years[t],
                         "value": panel.value[c, g, t], "published": panel.published[c, g, t]})


def _notes(panel: Panel, until: int) -> tuple[str, ...]:
    notes = []
    t = list(panel.years).index(until)
    missing = [code for code, v in zip(panel.councils, panel.value[:, 0, t]) if not np.isfinite(v)]
    if missing:
        reg = register()
        names = [f"{reg.name(code)} ({code})" for code in missing[:10]]
        notes.append(f"{len(missing)} council(s) have no published total for {until}, so no forecast (most are "
                     "councils since merged or split; their successors are forecast): " + ", ".join(names))
    imputed = int((~panel.published[:, 1:, :] & np.isfinite(panel.value[:, 1:, :])).sum())
    if imputed:
        notes.append(f"{imputed} group figures were not published (suppressed, or not in that year's tables): "
                     "each was taken from what the year's total leaves after the published groups")
    return tuple(notes)


# --- the bridge to the monthly model ---------------------------------------------------------------------------

DISAGREEMENT = 0.05  # an extract this far from the council's own published figure is a data-quality warning
BRIDGE_COLUMNS = ["la_code", "year", "kind", "monthly", "yearly", "difference", "share", "warning"]


def bridge(stocks: pd.DataFrame, demand: pd.DataFrame, annual: pd.DataFrame, yearly: pd.DataFrame,
           tolerance: float = DISAGREEMENT) -> pd.DataFrame:
    """The monthly model against the published yearly figures, per council and 31 March:

    - kind `history`: children in the SSDA903 extract at the end of March (rcc's monthly stock) against the
      DfE's published figure for that 31 March; a difference beyond `tolerance` carries a warning in words;
    - kind `forecast`: the monthly model's mean for the end of March against the yearly model's mean.

    `stocks` is the forecast's history_stocks table (la_code, month, stock), `demand` its Demand table
    (la_code, month, mean), `annual` CLA_ANNUAL rows, `yearly` the yearly forecast (la_code, group, year, mean).
    """
    def march(frame: pd.DataFrame, value: str) -> pd.DataFrame:
        month = pd.to_datetime(frame["month"])
        rows = frame[month.dt.month.eq(3).to_numpy()]
        years = pd.to_datetime(rows["month"]).dt.year
        return rows.assign(year=years.to_numpy()).groupby(["la_code", "year"], as_index=False)[value].sum()

    published = annual[annual["measure"].eq("looked_after") & annual["group"].eq(TOTAL) & annual["value"].notna()]
    published = published[["la_code", "year", "value"]].rename(columns={"value": "yearly"})
    history = march(stocks, "stock").rename(columns={"stock": "monthly"}).merge(published, on=["la_code", "year"])
    history["kind"] = "history"
    ahead = march(demand, "mean").rename(columns={"mean": "monthly"})
    ahead = ahead.merge(yearly[yearly["group"].eq(TOTAL)][["la_code", "year", "mean"]].rename(
        columns={"mean": "yearly"}), on=["la_code", "year"])
    ahead["kind"] = "forecast"
    out = pd.concat([history, ahead], ignore_index=True)
    out["difference"] = out["monthly"] - out["yearly"]
    out["share"] = out["difference"] / out["yearly"].where(out["yearly"] > 0)
    far = out["kind"].eq("history") & out["share"].abs().gt(tolerance)
    out["warning"] = ""
    reg = register()
    out.loc[far, "warning"] = [
        f"{reg.name(code)}: the SSDA903 extract has {m:,.0f} children looked after at 31 March {y}, the DfE "
        f"published {p:,.0f} ({s:+.0%})" for code, m, y, p, s in out.loc[far, ["la_code", "monthly", "year",
                                                                              "yearly", "share"]].itertuples(
            index=False)]
    return out[BRIDGE_COLUMNS].sort_values(["la_code", "kind", "year"], ignore_index=True)


def disagreements(links: pd.DataFrame, tolerance: float = DISAGREEMENT) -> list[str]:
    """One sentence per council whose extract is beyond `tolerance` of its own published figure in some year."""
    history = links[links["kind"].eq("history")]
    reg = register()
    out = []
    for code, rows in history.groupby("la_code", sort=True):
        far = rows[rows["warning"].ne("")]
        if far.empty:
            continue
        years = ", ".join(f"{y} {s:+.0%}" for y, s in zip(far["year"], far["share"]))
        out.append(f"{reg.name(code)}: the SSDA903 extract is more than {tolerance:.0%} from the DfE's published "
                   f"figure at 31 March in {len(far)} of {len(rows)} years ({years}); check it holds every episode "
                   "(the DfE leaves out children on a series of short breaks, V3/V4) before trusting its forecast")
    return out
