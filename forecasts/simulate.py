"""Monte Carlo simulation of the chain: many paths of monthly stocks, each with its own draw of every rate.

Within a path children move as individuals would: leaving care, changing group and ageing are binomial draws
on each month's counts (and a mover's new group a draw from their state's move probabilities), and each council's
entries are a count with the spread its history showed, each entrant placed by a draw from the entry mix.
Quantiles across paths therefore carry both kinds of uncertainty, process and parameter, and are asymmetric and
never negative, as counts of children are. Only occupied cells are drawn: most council x group x age states are
empty in any month.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasts.entries import EntryModel, draw_entries, fit_entries
from forecasts.flows import History
from forecasts.groups import AGE_BANDS, BAND_OF_STATE, GROUPS, TOP_BAND
from forecasts.markov import ChainRates, draw_chain, fit_chain
from forecasts.params import ForecastParams
from forecasts.scenarios import Scenario, apply

QUANTILES = (0.1, 0.5, 0.9)
DEMAND_COLUMNS = ["la_code", "group", "age_band", "month", "mean", "p10", "p50", "p90"]


@dataclass(frozen=True)
class FittedModel:
    """Everything estimated at one origin (month index into the history): the chain, entries, starting stock."""
    rates: ChainRates
    entries: EntryModel
    origin: int
    origin_month: pd.Timestamp
    start: np.ndarray  # (council, group, age state): children in care at the end of the origin month


@dataclass(frozen=True)
class Simulation:
    stock: np.ndarray  # (month ahead, path, council, group, age band)
    months: pd.DatetimeIndex  # the forecast months (first of month)
    la_codes: tuple[str, ...]
    renormalised: int


def fit(history: History, origin: int, params: ForecastParams, population: pd.Series | None = None,
        previous: FittedModel | None = None) -> FittedModel:
    """Fit the chain and the entries on the history up to month index `origin` (a `previous` fit at a nearby
    origin speeds up the entries model's iterations)."""
    entries = fit_entries(history, origin, params, population, previous.entries if previous else None)
    return FittedModel(rates=fit_chain(history, origin, params), entries=entries, origin=origin,
                       origin_month=history.months[origin], start=history.stock[:, origin])


def simulate(model: FittedModel, horizon: int, paths: int, seed: int,
             scenario: Scenario | None = None) -> Simulation:
    """`paths` simulated futures of `horizon` months from the model's origin, under the scenario's rates."""
    rng = np.random.default_rng(seed)
    chain = draw_chain(model.rates, paths, rng)
    entry_mean, entry_mix = draw_entries(model.entries, horizon, paths, rng)
    adjusted = apply(scenario or Scenario(), model.rates.la_codes, chain, entry_mix, model.entries.uasc_share,
                     model.rates.regional_move)
    # Rates stay per age band (one row per path, council, group and band) and are looked up for the occupied
    # cells by row number: expanding them to all 28 age states took four float arrays the size of the state.
    exit = adjusted.chain.exit.reshape(-1)
    move = adjusted.chain.move  # (path, council, group, band, to group)
    stay = np.einsum("pcgag->pcga", move)  # a view of the diagonal: staying in the group
    leave = (1 - stay).reshape(-1)
    # The chance of leaving the cell at all (care, or the group), then of that being leaving care.
    out_of_cell = exit + (1 - exit) * leave
    exit_given_out = np.divide(exit, out_of_cell, out=np.zeros_like(exit), where=out_of_cell > 0)
    ageing = adjusted.chain.ageing[..., :TOP_BAND]
    entry_add, renormalised = adjusted.entry_add, adjusted.renormalised
    entry_total = adjusted.entry_share.sum(axis=(2, 3))  # (path, council): share of the month's entries kept
    # The draws of moves and of the entry mix become their cumulative distributions in place: nationally at 500
    # paths they are 250 and 150 MB, and nothing else needs them.
    stay[...] = 0
    move_cdf = _row_cdf(move.reshape(-1, len(GROUPS)))
    entry_cdf = _stacked_cdf(adjusted.entry_share.reshape(entry_total.size, -1))
    del chain, entry_mix, adjusted, move, stay
    # int32 holds any count of children and halves the memory the month's whole-state passes go through.
    count = np.array(np.broadcast_to(model.start, (paths, *model.start.shape)), dtype=np.int32, order="C")
    shape = count.shape
    flat = count.reshape(-1)  # a view: the month's draws update the counts in place
    # The rate row (path, council, group, band) of every cell, looked up once rather than divided out each month.
    row_of_cell = (np.arange(np.prod(shape[:3]), dtype=np.int32)[:, None] * len(AGE_BANDS)
                   + BAND_OF_STATE.astype(np.int32)).reshape(-1)
    out = np.empty((horizon, *shape[:3], len(AGE_BANDS)), np.int32)
    for h in range(horizon):
        # Leaving the cell (care, or the placement group), drawn only for the occupied cells (most are empty);
        # then, for the few who left, whether it was care.
        cells = np.flatnonzero(flat)
        n = flat[cells]
        row = row_of_cell[cells]
        gone = rng.binomial(n, out_of_cell[row])
        left = np.flatnonzero(gone)
        movers = gone[left] - rng.binomial(gone[left], exit_given_out[row[left]])
        flat[cells] = n - gone
        _settle(rng, flat, cells[left], movers, row[left], move_cdf, shape)
        # Below 16 a child moves up a band at the measured rate; from 16 every child is a month nearer 18, and
        # those in the last state leave care.
        up = rng.binomial(count[..., :TOP_BAND], ageing)
        count[..., TOP_BAND + 1:] = count[..., TOP_BAND:-1]
        count[..., TOP_BAND] = up[..., -1]
        count[..., :TOP_BAND] -= up
        count[..., 1:TOP_BAND] += up[..., :-1]
        arrivals = _entrants(rng, entry_mean[:, :, h] * entry_total, model.entries.dispersion)
        owner, state = _categorical(rng, arrivals.reshape(-1), entry_cdf)
        # Each (path, council) row of the entry mix spans that council's (group, state) cells in `flat`.
        np.add.at(flat, owner * entry_cdf.shape[1] + state, 1)
        if entry_add.any():
            count += rng.poisson(np.broadcast_to(entry_add, shape))
        out[h, ..., :TOP_BAND] = count[..., :TOP_BAND]
        out[h, ..., TOP_BAND] = count[..., TOP_BAND:].sum(axis=-1)
    months = pd.date_range(model.origin_month + pd.offsets.MonthBegin(1), periods=horizon, freq="MS")
    return Simulation(stock=out, months=months, la_codes=model.rates.la_codes, renormalised=renormalised)


def _settle(rng: np.random.Generator, flat: np.ndarray, moved_from: np.ndarray, movers: np.ndarray,
            row: np.ndarray, move_cdf: np.ndarray, shape: tuple[int, ...]) -> None:
    """In place: send every mover out of cell `moved_from[i]` of `flat` (a state of `shape`) to another group
    drawn from its rate row `row[i]` of `move_cdf`, keeping their age state."""
    n_states = shape[3]
    group = moved_from // n_states % shape[2]
    owner = np.repeat(np.arange(movers.size), movers)
    # A few hundred thousand movers a month nationally, each choosing among nine groups: comparing with their
    # own row's cumulative probabilities beats a search through every row's.
    to = np.minimum((move_cdf[row[owner]] <= rng.random(owner.size)[:, None]).sum(axis=1), len(GROUPS) - 1)
    np.add.at(flat, moved_from[owner] + (to - group[owner]) * n_states, 1)


def _row_cdf(shares: np.ndarray) -> np.ndarray:
    """In place: cumulative shares of each row, scaled to end at exactly 1 (rows need not sum to 1; an empty row
    is all 0, then 1 at the end)."""
    cdf = np.cumsum(shares, axis=1, out=shares)
    total = cdf[:, -1:].copy()
    total[total <= 0] = 1.0
    cdf /= total
    cdf[:, -1] = 1.0  # rounding must not leave a gap
    return cdf


def _stacked_cdf(shares: np.ndarray) -> np.ndarray:
    """In place: cumulative shares of each row (rows need not sum to 1), laid end to end on one sorted axis:
    row i spans [i, i + 1], so a single searchsorted draws a category for individuals of every row."""
    cdf = _row_cdf(shares)
    cdf += np.arange(len(shares), dtype=float)[:, None]
    return cdf


def _categorical(rng: np.random.Generator, counts: np.ndarray, stacked: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For `counts[i]` individuals of each row i of `stacked` (from _stacked_cdf), a category drawn from that row:
    (row, category) of every individual."""
    owner = np.repeat(np.arange(counts.size), counts)
    n_categories = stacked.shape[1]
    category = np.searchsorted(stacked.reshape(-1), owner + rng.random(owner.size), side="right") - owner * n_categories
    return owner, np.minimum(category, n_categories - 1)


def _entrants(rng: np.random.Generator, mean: np.ndarray, dispersion: float) -> np.ndarray:
    """Each (path, council)'s entries in a month, with variance `dispersion` times the mean: gamma-mixed Poisson
    above 1, thinned binomial below it (entries steadier than chance alone)."""
    if dispersion > 1:
        shape = mean / (dispersion - 1)
        return rng.poisson(np.where(mean > 0, rng.gamma(np.maximum(shape, 1e-12), 1 / np.maximum(shape, 1e-12))
                                    * mean, 0.0))
    keep = max(1 - dispersion, 1e-9)
    trials = mean / keep
    whole = np.floor(trials)
    return rng.binomial((whole + (rng.random(mean.shape) < trials - whole)).astype(np.int64), keep)


def demand_table(sim: Simulation) -> pd.DataFrame:
    """The Demand table: per council x group x age band x month, the mean and p10 / p50 / p90 of the stock."""
    stock = sim.stock
    # Month by month: np.quantile sorts a float copy of its input, which for all months at once was 8 bytes for
    # every path x month x cell (0.7 GB at 500 paths nationally).
    q = np.stack([np.quantile(month, QUANTILES, axis=0) for month in stock], axis=1)  # (quantile, month, ...)
    mean = stock.mean(axis=1)
    h, c, g, a = np.indices(mean.shape).reshape(4, -1)
    return pd.DataFrame({
        "la_code": np.asarray(sim.la_codes, dtype=object)[c], "group": np.asarray(GROUPS, dtype=object)[g],
        "age_band": np.asarray(AGE_BANDS, dtype=object)[a], "month": sim.months[h].strftime("%Y-%m-%d"),
        "mean": mean.reshape(-1), "p10": q[0].reshape(-1), "p50": q[1].reshape(-1), "p90": q[2].reshape(-1),
    }).sort_values(["la_code", "group", "age_band", "month"], kind="stable", ignore_index=True)[DEMAND_COLUMNS]


def total_table(sim: Simulation) -> pd.DataFrame:
    """Children in care in the whole region per month: mean and p10 / p50 / p90 across paths (a quantile of the
    total, which the sum of the councils' quantiles is not)."""
    total = sim.stock.sum(axis=(2, 3, 4))
    q = np.quantile(total, QUANTILES, axis=1)
    return pd.DataFrame({"month": sim.months.strftime("%Y-%m-%d"), "mean": total.mean(axis=1), "p10": q[0],
                         "p50": q[1], "p90": q[2]})


def path_table(sim: Simulation, paths: int | None = None) -> pd.DataFrame:
    """The simulated futures in long form, for planning under uncertainty: one row per path x council x group x
    month with the children in care (all age bands); the first `paths` paths (default all)."""
    stock = sim.stock[:, :paths].sum(axis=4)  # (month, path, council, group)
    h, p, c, g = np.indices(stock.shape).reshape(4, -1)
    return pd.DataFrame({"path": p, "la_code": np.asarray(sim.la_codes, dtype=object)[c],
                         "group": np.asarray(GROUPS, dtype=object)[g],
                         "month": np.asarray(sim.months.strftime("%Y-%m-%d"), dtype=object)[h],  # each month once
                         "children": stock.reshape(-1)})
