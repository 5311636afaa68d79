"""Monte Carlo simulation of the chain: many paths of monthly stocks, each with its own draw of every rate.

Within a path children move as individuals would: leaving care, changing group and ageing are binomial draws
on each month's counts (and a mover's new group a draw from their state's move probabilities), and each council's
entries are a count with the spread its history showed, each entrant placed by a draw from the entry mix.
Quantiles across paths therefore carry both kinds of uncertainty, process and parameter, and are asymmetric and
never negative, as counts of children are. Only occupied cells are drawn: most council x group x age states are
empty in any month. Children of 16 and 17, spread thin over the months left before 18, are followed one by one
(the same chances, drawn per child). Paths are simulated in blocks, each with its own seed, which worker
processes can share.
"""

from __future__ import annotations

import mmap
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
import pandas as pd

from forecasts.entries import EntryModel, draw_entries, fit_entries
from forecasts.flows import History
from forecasts.groups import AGE_BANDS, AGE_STATES, GROUPS, MONTHS_16_TO_18, TOP_BAND
from forecasts.markov import ChainRates, draw_chain, fit_chain
from forecasts.params import ForecastParams
from forecasts.scenarios import Scenario, apply

QUANTILES = (0.1, 0.5, 0.9)
PATH_BLOCK = 25
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


def simulate(model: FittedModel, horizon: int, paths: int, seed: int, scenario: Scenario | None = None,
             processes: int = 1, months_ahead: tuple[int, ...] | None = None) -> Simulation:
    """`paths` simulated futures of `horizon` months from the model's origin, under the scenario's rates, with
    the blocks of paths shared among `processes` worker processes (the same answer whatever their number).
    The stock is kept for every month, or only for `months_ahead` (1 is the first month; a backtest scores a
    few horizons)."""
    scenario = scenario or Scenario()
    blocks = _blocks(paths, seed)
    kept = np.arange(horizon) if months_ahead is None else np.asarray(sorted(months_ahead)) - 1
    if len(kept) and not 0 <= kept[0] <= kept[-1] < horizon:
        raise ValueError(f"months ahead {months_ahead} are not within the horizon of {horizon} months")
    shape = (len(kept), paths, len(model.rates.la_codes), len(GROUPS), len(AGE_BANDS))
    processes = min(processes, len(blocks))
    if processes > 1:
        # Workers are forked with the model and write their paths straight into memory shared with this process
        # (nationally the stock of 500 paths is 330 MB, which pickling back would copy twice).
        stock = np.frombuffer(mmap.mmap(-1, int(np.prod(shape)) * 4), np.int32).reshape(shape)
        with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork"), initializer=_worker_input,
                                 initargs=(model, scenario, kept, stock)) as pool:
            renormalised = sum(pool.map(_worker_blocks, np.array_split(np.arange(len(blocks)), processes),
                                        [blocks] * processes))
    else:
        stock = np.empty(shape, np.int32)
        renormalised = _simulate_blocks(model, scenario, kept, stock, blocks, range(len(blocks)))
    months = pd.date_range(model.origin_month + pd.offsets.MonthBegin(1), periods=horizon, freq="MS")[kept]
    return Simulation(stock=stock, months=months, la_codes=model.rates.la_codes, renormalised=renormalised)


def usable_cores() -> int:
    """The cores this process may run on (the default number of worker processes)."""
    return len(os.sched_getaffinity(0))


def _blocks(paths: int, seed: int) -> list[tuple[int, int, np.random.SeedSequence]]:
    """(first path, paths, seed) of each block of paths simulated together. A month's scattered reads and writes
    then stay within a few MB (nationally a path is 38,000 cells), and each block having its own seed makes the
    answer for a seed independent of how the blocks are shared out."""
    starts = range(0, paths, PATH_BLOCK)
    seeds = np.random.SeedSequence(seed).spawn(len(starts))
    return [(start, min(PATH_BLOCK, paths - start), block_seed) for start, block_seed in zip(starts, seeds)]


def _simulate_blocks(model: FittedModel, scenario: Scenario, kept: np.ndarray, stock: np.ndarray, blocks: list,
                     which) -> int:
    """Simulate the blocks numbered `which` into their paths of `stock` (the `kept` months); the rows
    renormalised."""
    renormalised = 0
    for start, size, block_seed in (blocks[i] for i in which):
        renormalised += _simulate_block(model, block_seed, scenario, kept, stock[:, start:start + size])
    return renormalised


_WORKER_INPUT: tuple = ()


def _worker_input(model: FittedModel, scenario: Scenario, kept: np.ndarray, stock: np.ndarray) -> None:
    global _WORKER_INPUT
    _WORKER_INPUT = (model, scenario, kept, stock)


def _worker_blocks(which: np.ndarray, blocks: list) -> int:
    return _simulate_blocks(*_WORKER_INPUT, blocks, which)


def _simulate_block(model: FittedModel, seed: np.random.SeedSequence, scenario: Scenario, kept: np.ndarray,
                    out: np.ndarray) -> int:
    """Fill `out` (kept month, path, council, group, age band) with simulated paths up to the last kept month;
    the rows renormalised."""
    paths = out.shape[1]
    horizon = int(kept[-1]) + 1 if len(kept) else 0
    slot = dict(zip(kept.tolist(), range(len(kept))))
    rng = np.random.default_rng(seed)
    chain = draw_chain(model.rates, paths, rng)
    entry_mean, entry_mix = draw_entries(model.entries, horizon, paths, rng)
    adjusted = apply(scenario, model.rates.la_codes, chain, entry_mix, model.entries.uasc_share,
                     model.rates.regional_move)
    # Rates stay per age band (one row per path, council, group and band) and are looked up by row number.
    exit = adjusted.chain.exit.reshape(-1)
    move = adjusted.chain.move  # (path, council, group, band, to group)
    stay = np.einsum("pcgag->pcga", move)  # a view of the diagonal: staying in the group
    leave = (1 - stay).reshape(-1)
    # The chance of leaving the cell at all (care, or the group), then of that being leaving care.
    out_of_cell = exit + (1 - exit) * leave
    exit_given_out = np.divide(exit, out_of_cell, out=np.zeros_like(exit), where=out_of_cell > 0)
    # Under 16 a child who stays in the cell may move up a band; one draw per cell finds everyone to whom
    # anything happened (left the cell, or aged), then the few who did are split between the two.
    ageing = adjusted.chain.ageing.reshape(-1)
    event = out_of_cell + (1 - out_of_cell) * ageing
    out_given_event = np.divide(out_of_cell, event, out=np.zeros_like(event), where=event > 0)
    entry_add, renormalised = adjusted.entry_add, adjusted.renormalised
    entry_total = adjusted.entry_share.sum(axis=(2, 3))  # (path, council): share of the month's entries kept
    stay[...] = 0
    # Column by column (to group, rate row): a mover's destination is then a few comparisons with contiguous
    # columns rather than a gather of their whole row.
    move_cdf = np.ascontiguousarray(_row_cdf(move.reshape(-1, len(GROUPS))).T)
    entry_cdf = _stacked_cdf(adjusted.entry_share.reshape(entry_total.size, -1))
    del chain, entry_mix, adjusted, move, stay
    units = (paths, *model.start.shape[:2])  # (path, council, group)
    n_units = int(np.prod(units))
    # Children under 16 are counted per cell; int32 holds any count and halves what the month's passes read.
    young = np.array(np.broadcast_to(model.start[..., :TOP_BAND], (*units, TOP_BAND)), dtype=np.int32, order="C")
    young_flat = young.reshape(-1)  # a view: the month's draws update the counts in place
    # The rate row of every cell under 16, looked up once rather than divided out each month.
    row_of_young = (np.arange(n_units, dtype=np.int32)[:, None] * len(AGE_BANDS)
                    + np.arange(TOP_BAND, dtype=np.int32)).reshape(-1)
    older = _Older(np.broadcast_to(model.start[..., TOP_BAND:], (*units, MONTHS_16_TO_18)),
                   exit.reshape(n_units, -1)[:, TOP_BAND], out_of_cell.reshape(n_units, -1)[:, TOP_BAND])
    for h in range(horizon):
        # Something happening to a child (leaving care, changing group, moving up a band), drawn only for the
        # occupied cells; then, for the few cells where it did, what it was.
        cells = np.flatnonzero(young_flat)
        n = young_flat[cells]
        row = row_of_young[cells]
        changed = rng.binomial(n, event[row])
        young_flat[cells] = n - changed
        hit = np.flatnonzero(changed)
        cells, row, changed = cells[hit], row[hit], changed[hit]
        gone = rng.binomial(changed, out_given_event[row])
        movers = gone - rng.binomial(gone, exit_given_out[row])
        # Those who stayed in their group and aged go up a band (from 10-15, to the 16+).
        up = _counts(cells, young_flat.size, changed - gone)
        # A mover takes their new group's chance of moving up a band this month.
        mover = np.repeat(np.arange(cells.size), movers)
        group = cells[mover] // TOP_BAND % len(GROUPS)
        to_cell = cells[mover] + (_destination(rng, move_cdf, row[mover]) - group) * TOP_BAND
        aged = rng.random(to_cell.size) < ageing[row_of_young[to_cell]]
        young_flat += _counts(to_cell[~aged], young_flat.size)
        up += _counts(to_cell[aged], young_flat.size)
        up = up.reshape(young.shape)
        young[..., 1:] += up[..., :-1]
        arrivals = _entrants(rng, entry_mean[:, :, h] * entry_total, model.entries.dispersion)
        owner, category = _categorical(rng, arrivals.reshape(-1), entry_cdf)
        # Each (path, council) row of the entry mix spans that council's (group, age state) cells.
        unit, state = owner * len(GROUPS) + category // AGE_STATES, category % AGE_STATES
        below = state < TOP_BAND
        young_flat += _counts(unit[below] * TOP_BAND + state[below], young_flat.size)
        joining = [(np.repeat(np.arange(n_units, dtype=np.int32), up[..., -1].reshape(-1)), TOP_BAND),
                   (unit[~below], state[~below])]
        if entry_add.any():
            added = rng.poisson(np.broadcast_to(entry_add, (*units, AGE_STATES)))
            young += added[..., :TOP_BAND]
            joining.append(_individuals(added[..., TOP_BAND:]))
        older.step(rng, move_cdf, joining)
        if h in slot:
            out[slot[h], ..., :TOP_BAND] = young
            out[slot[h], ..., TOP_BAND] = np.bincount(older.unit, minlength=n_units).reshape(units)
    return renormalised


class _Older:
    """Children of 16 and 17, one entry each: their (path, council, group) unit and age state. Spread over 24
    states per group they are about two to an occupied cell, so following each child (a uniform number a month)
    costs less than counting them (a binomial draw per occupied cell, and a pass over every state to age them).
    `exit` and `out_of_cell` are the 16+ band's rates per unit."""

    def __init__(self, counts: np.ndarray, exit: np.ndarray, out_of_cell: np.ndarray) -> None:
        self.unit, self.state = _individuals(counts)
        # In single precision, with uniform numbers to match, which are drawn twice as fast: a rate needs no more
        # than seven significant figures.
        self.exit, self.out_of_cell = exit.astype(np.float32), out_of_cell.astype(np.float32)

    def step(self, rng: np.random.Generator, move_cdf: np.ndarray,
             joining: list[tuple[np.ndarray, np.ndarray | int]]) -> None:
        """A month: each child leaves care at their unit's exit rate or else changes group with its chance of
        moving (one uniform decides both, as exit <= out_of_cell); then everyone is a month older, those in the
        last state leave care at 18, and the `joining` (unit, state) children arrive."""
        chance = rng.random(self.unit.size, dtype=np.float32)
        stays = chance >= self.exit[self.unit]
        moving = np.flatnonzero(stays & (chance < self.out_of_cell[self.unit]))
        group = self.unit[moving] % len(GROUPS)
        row = self.unit[moving] * len(AGE_BANDS) + TOP_BAND
        self.unit[moving] += _destination(rng, move_cdf, row) - group
        stays &= self.state < AGE_STATES - 1
        self.unit = np.concatenate([self.unit[stays], *(unit for unit, _ in joining)], dtype=np.int32)
        self.state = np.concatenate([self.state[stays] + 1, *(np.broadcast_to(np.asarray(state, np.int8), unit.shape)
                                                           for unit, state in joining)], dtype=np.int8)


def _individuals(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(unit, age state) of each child counted in `counts` (unit axes, then the states from TOP_BAND)."""
    index = np.repeat(np.arange(counts.size, dtype=np.int32), counts.reshape(-1))
    return index // MONTHS_16_TO_18, (index % MONTHS_16_TO_18 + TOP_BAND).astype(np.int8)


def _counts(cells: np.ndarray, size: int, weights: np.ndarray | None = None) -> np.ndarray:
    """How many of `cells` name each cell of a block's counts, or the sum of their `weights` (a bincount:
    np.add.at took 20 times as long)."""
    return np.bincount(cells, weights, minlength=size).astype(np.int32)


def _destination(rng: np.random.Generator, move_cdf: np.ndarray, row: np.ndarray) -> np.ndarray:
    """A new group for each mover, drawn from their rate row of `move_cdf` (to group, row): the number of
    cumulative probabilities at or below a uniform number (the last is 1, which none reaches)."""
    chance = rng.random(row.size)
    to = np.zeros(row.size, np.int32)
    for column in move_cdf[:-1]:
        to += column[row] <= chance
    return to


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
    # Individuals are interchangeable, so their numbers are sorted (staying within their own row's span): a
    # search for ascending keys starts where the last one ended, a third quicker nationally.
    key = owner + rng.random(owner.size)
    key.sort()
    category = np.searchsorted(stacked.reshape(-1), key, side="right") - owner * n_categories
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
    q = np.stack([path_quantiles(month, QUANTILES) for month in stock], axis=1)  # (quantile, month, ...)
    mean = stock.mean(axis=1)
    h, c, g, a = np.indices(mean.shape).reshape(4, -1)
    return pd.DataFrame({
        "la_code": np.asarray(sim.la_codes, dtype=object)[c], "group": np.asarray(GROUPS, dtype=object)[g],
        "age_band": np.asarray(AGE_BANDS, dtype=object)[a], "month": sim.months[h].strftime("%Y-%m-%d"),
        "mean": mean.reshape(-1), "p10": q[0].reshape(-1), "p50": q[1].reshape(-1), "p90": q[2].reshape(-1),
    }).sort_values(["la_code", "group", "age_band", "month"], kind="stable", ignore_index=True)[DEMAND_COLUMNS]


def path_quantiles(counts: np.ndarray, quantiles: tuple[float, ...], axis: int = 0) -> np.ndarray:
    """np.quantile(counts, quantiles, axis) (its default, linear interpolation) for counts of children: one sort
    of the paths, which for integers is six times quicker than np.quantile's partitions, and then the order
    statistics each quantile lies between."""
    counts = np.moveaxis(counts, axis, 0)
    n = counts.shape[0]
    ordered = np.sort(counts.reshape(n, -1), axis=0)
    out = np.empty((len(quantiles), ordered.shape[1]))
    for i, q in enumerate(quantiles):
        position = n * q - q  # numpy's index for the linear method, as it computes it
        below = int(np.floor(position))
        weight = position - below
        low, high = ordered[min(below, n - 1)], ordered[min(below + 1, n - 1)]
        step = high - low.astype(float)
        # From the nearer end, as numpy interpolates.
        out[i] = low + step * weight if weight < 0.5 else high - step * (1 - weight)
    return out.reshape(len(quantiles), *counts.shape[1:])


def total_table(sim: Simulation) -> pd.DataFrame:
    """Children in care in the whole region per month: mean and p10 / p50 / p90 across paths (a quantile of the
    total, which the sum of the councils' quantiles is not)."""
    total = sim.stock.sum(axis=(2, 3, 4))
    q = path_quantiles(total, QUANTILES, axis=1)
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
