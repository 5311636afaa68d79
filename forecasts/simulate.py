"""Monte Carlo simulation of the chain: many paths of monthly stocks, each with its own draw of every rate.

Within a path children move as individuals would: leaving care, changing group and ageing are binomial draws
on each month's counts (and a mover's new group a draw from their state's move probabilities), and each council's
entries are a count with the spread its history showed, each entrant placed by a draw from the entry mix.
Quantiles across paths therefore carry both kinds of uncertainty, process and parameter, and are asymmetric and
never negative, as counts of children are. Only occupied cells are drawn: most council x group x age states are
empty in any month. Children of 16 and 17, spread thin over the months left before 18, are followed one by one
(the same chances, drawn per child). Paths are simulated in blocks, each with its own seed, which worker
processes can share.

Each path's rates are drawn with numpy; the month's step, a loop over cells and children with a few draws each,
is compiled with numba: numpy's passes over whole arrays, each reading and writing every cell for a handful of
draws, made the national benchmark's backtest and forecast a quarter slower (53 s against 42 s)."""

from __future__ import annotations

import mmap
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numba
import numpy as np
import pandas as pd

from data.vocabulary import PLACEMENT_GROUPS
from forecasts.entries import EntryModel, draw_entries, fit_entries
from forecasts.flows import History
from forecasts.groups import AGE_BANDS, AGE_STATES, MONTHS_16_TO_18, TOP_BAND
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
    shape = (len(kept), paths, len(model.rates.la_codes), len(PLACEMENT_GROUPS), len(AGE_BANDS))
    processes = min(processes, len(blocks))
    if processes > 1:
        compile_simulation()
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


def compile_simulation() -> None:
    """Compile the month's step (numba; about 6 s the first time on a machine, then loaded from its cache in
    __pycache__ in well under a second), so that worker processes forked afterwards share it rather than each
    compiling or loading their own. `make` runs this once after installing."""
    unit, state = np.zeros(1, np.int32), np.zeros(1, np.int8)
    rates = np.zeros(len(AGE_BANDS))
    _month(np.random.default_rng(0), np.zeros(TOP_BAND, np.int32), rates, rates, rates, np.ones(1),
           np.ones((len(AGE_BANDS), len(PLACEMENT_GROUPS))), unit, state, 0, np.zeros(1, np.int32), np.ones((1, 1)))


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
    # Each shared shock has a stream of its own, so every draw is the same whatever the horizon.
    entry_rng, exit_rng = (np.random.default_rng(np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, k)))
                           for k in range(2))
    entry_mean *= model.entries.shock.draw(entry_rng, paths, horizon)[:, None, :]
    exit_scale = model.rates.exit_shock.draw(exit_rng, paths, horizon)  # (path, month ahead)
    adjusted = apply(scenario, model.rates.la_codes, chain, entry_mix, model.entries.uasc_share,
                     model.rates.regional_move)
    # Rates stay per age band (one row per path, council, group and band) and are looked up by row number.
    exit = adjusted.chain.exit.reshape(-1)
    move = adjusted.chain.move  # (path, council, group, band, to group)
    stay = np.einsum("pcgag->pcga", move)  # a view of the diagonal: staying in the group
    leave = (1 - stay).reshape(-1)
    # Rates per row, and the chance of leaving the group, from which _month works out each month's chances under
    # the path's shared shock to exit rates.
    ageing = np.ascontiguousarray(adjusted.chain.ageing).reshape(-1)
    entry_add, renormalised = adjusted.entry_add, adjusted.renormalised
    entry_total = adjusted.entry_share.sum(axis=(2, 3))  # (path, council): share of the month's entries kept
    stay[...] = 0  # a mover's new group is drawn from the other groups
    move_cdf = _row_cdf(move.reshape(-1, len(PLACEMENT_GROUPS)))  # (rate row, to group)
    entry_cdf = _row_cdf(adjusted.entry_share.reshape(entry_total.size, -1))  # (path x council, group x state)
    del chain, entry_mix, adjusted, move, stay
    units = (paths, *model.start.shape[:2])  # (path, council, group)
    n_units = int(np.prod(units))
    # Children under 16 are counted per cell (int32 holds any count and halves what a month reads); those of 16
    # and 17 are followed one by one: spread over 24 months of age per group they are about two to an occupied
    # cell, so a uniform number each costs less than a binomial draw per cell.
    young = np.array(np.broadcast_to(model.start[..., :TOP_BAND], (*units, TOP_BAND)), dtype=np.int32, order="C")
    older = _Individuals(*_individuals(np.broadcast_to(model.start[..., TOP_BAND:], (*units, MONTHS_16_TO_18))))
    for h in range(horizon):
        arrivals = _entrants(rng, entry_mean[:, :, h] * entry_total, model.entries.dispersion).astype(np.int32)
        # Room for everyone who can turn 16 or arrive at 16 or 17 this month: the 10-15s now (changing group keeps
        # a child's band) and every entrant.
        older.reserve(int(young[..., -1].sum()) + int(arrivals.sum()))
        older.count = _month(rng, young.reshape(-1), exit, leave, ageing, exit_scale[:, h].copy(), move_cdf,
                             older.unit, older.state, older.count, arrivals.reshape(-1), entry_cdf)
        if entry_add.any():
            added = rng.poisson(np.broadcast_to(entry_add, (*units, AGE_STATES)))
            young += added[..., :TOP_BAND].astype(np.int32)
            older.append(*_individuals(added[..., TOP_BAND:]))
        if h in slot:
            out[slot[h], ..., :TOP_BAND] = young
            out[slot[h], ..., TOP_BAND] = np.bincount(older.unit[:older.count], minlength=n_units).reshape(units)
    return renormalised


@numba.njit(cache=True, nogil=True)
def _month(rng, young, exit, leave, ageing, exit_scale, move_cdf, older_unit, older_state, n_older, arrivals,
           entry_cdf):
    """One month of a block of paths, in place: children under 16 per cell (`young`, unit x band below 16),
    those of 16 and 17 one by one (the first `n_older` of `older_unit` and `older_state`, which have room for
    everyone who can join them this month), then the month's `arrivals` per path x council. Returns the number
    of children of 16 and 17 now. Rates are looked up by row: unit x age band; `leave` is the chance of
    changing group, and each path's exit rates are scaled by its month's `exit_scale` (the shared shock).

    Under 16, one binomial draw per occupied cell finds everyone to whom anything happened (left care, changed
    group, or moved up a band), then binomial splits of those few say what. A child who changed group takes
    their new group's chance of moving up a band. From 16, one uniform number decides leaving care or moving
    (exit <= out_of_cell); then the child is a month older, and leaves care at 18."""
    n_groups, n_bands = move_cdf.shape[1], TOP_BAND + 1
    units_per_path = young.size // TOP_BAND // exit_scale.size
    incoming = np.zeros_like(young)  # arrivals from other cells, which must not be drawn again this month
    up = np.zeros_like(young)
    for cell in range(young.size):
        n = young[cell]
        if n == 0:
            continue
        unit, band = divmod(cell, TOP_BAND)
        row = unit * n_bands + band
        exit_row = min(exit[row] * exit_scale[unit // units_per_path], 1.0)
        # The chance of leaving the cell at all (care, or the group), then of that being leaving care; and, as a
        # child who stays in the cell may move up a band, the chance that anything happens to a child.
        out_of_cell = exit_row + (1 - exit_row) * leave[row]
        event = out_of_cell + (1 - out_of_cell) * ageing[row]
        changed = rng.binomial(n, event)
        if changed == 0:
            continue
        young[cell] = n - changed
        gone = rng.binomial(changed, out_of_cell / event)
        up[cell] += changed - gone
        if gone == 0:
            continue
        group = unit % n_groups
        for _ in range(gone - rng.binomial(gone, exit_row / out_of_cell)):
            to = _destination(rng, move_cdf, row)
            to_cell = cell + (to - group) * TOP_BAND
            if rng.random() < ageing[row + (to - group) * n_bands]:
                up[to_cell] += 1
            else:
                incoming[to_cell] += 1
    young += incoming
    for cell in range(young.size):
        if cell % TOP_BAND < TOP_BAND - 1:
            young[cell + 1] += up[cell]

    kept = 0
    for child in range(n_older):
        unit = older_unit[child]
        row = unit * n_bands + TOP_BAND
        exit_row = min(exit[row] * exit_scale[unit // units_per_path], 1.0)
        chance = rng.random()
        if chance < exit_row:
            continue  # left care
        if chance < exit_row + (1 - exit_row) * leave[row]:
            unit += _destination(rng, move_cdf, row) - unit % n_groups
        if older_state[child] >= AGE_STATES - 1:
            continue  # 18
        older_unit[kept] = unit
        older_state[kept] = older_state[child] + 1
        kept += 1
    for cell in range(TOP_BAND - 1, young.size, TOP_BAND):  # up from 10-15: the first month of 16
        for _ in range(up[cell]):
            older_unit[kept] = cell // TOP_BAND
            older_state[kept] = TOP_BAND
            kept += 1

    n_categories = entry_cdf.shape[1]
    for owner in range(arrivals.size):  # each (path, council) row of the entry mix spans its (group, age state)
        for _ in range(arrivals[owner]):
            category = min(np.searchsorted(entry_cdf[owner], rng.random(), side="right"), n_categories - 1)
            unit = owner * n_groups + category // AGE_STATES
            state = category % AGE_STATES
            if state < TOP_BAND:
                young[unit * TOP_BAND + state] += 1
            else:
                older_unit[kept] = unit
                older_state[kept] = state
                kept += 1
    return kept


@numba.njit(cache=True, nogil=True)
def _destination(rng, move_cdf, row):
    """A mover's new group from their rate row's cumulative move probabilities (staying put has none)."""
    chance = rng.random()
    to = 0
    while to < move_cdf.shape[1] - 1 and move_cdf[row, to] <= chance:
        to += 1
    return to


class _Individuals:
    """Children of 16 and 17, one entry each: (path, council, group) unit and age state, in arrays with room to
    grow; the first `count` are in care."""

    def __init__(self, unit: np.ndarray, state: np.ndarray) -> None:
        self.unit, self.state, self.count = unit, state, len(unit)

    def reserve(self, joining: int) -> None:
        """Room for `joining` more children."""
        if self.count + joining > len(self.unit):
            size = max(2 * len(self.unit), self.count + joining)
            self.unit = np.concatenate([self.unit[:self.count], np.empty(size - self.count, np.int32)])
            self.state = np.concatenate([self.state[:self.count], np.empty(size - self.count, np.int8)])

    def append(self, unit: np.ndarray, state: np.ndarray) -> None:
        self.reserve(len(unit))
        self.unit[self.count:self.count + len(unit)] = unit
        self.state[self.count:self.count + len(unit)] = state
        self.count += len(unit)


def _individuals(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(unit, age state) of each child counted in `counts` (unit axes, then the states from TOP_BAND)."""
    index = np.repeat(np.arange(counts.size, dtype=np.int32), counts.reshape(-1))
    return index // MONTHS_16_TO_18, (index % MONTHS_16_TO_18 + TOP_BAND).astype(np.int8)


def _row_cdf(shares: np.ndarray) -> np.ndarray:
    """In place: cumulative shares of each row, scaled to end at exactly 1 (rows need not sum to 1; an empty row
    is all 0, then 1 at the end)."""
    cdf = np.cumsum(shares, axis=1, out=shares)
    total = cdf[:, -1:].copy()
    total[total <= 0] = 1.0
    cdf /= total
    cdf[:, -1] = 1.0  # rounding must not leave a gap
    return cdf


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
        "la_code": np.asarray(sim.la_codes, dtype=object)[c], "group": np.asarray(PLACEMENT_GROUPS, dtype=object)[g],
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
                         "group": np.asarray(PLACEMENT_GROUPS, dtype=object)[g],
                         "month": np.asarray(sim.months.strftime("%Y-%m-%d"), dtype=object)[h],  # each month once
                         "children": stock.reshape(-1)})
