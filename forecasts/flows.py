"""Monthly stocks and flows per council x placement group x age state, from prepared spells.

A child is counted in the stock at a month end if a spell covers that day (start <= day < end). Flows compare
consecutive month ends: a child in care at both is a stayer (who may have changed group or age band), one in
care only at the later is an entry, one only at the earlier an exit (with the reason group of the period's end,
or aged_18 if the child turned 18). Counting between month ends is what the Markov model steps, so the model and
its data agree exactly; a child who came and went within one month is in neither.

Ages are the chain's age states (groups.AGE_STATES): the bands below 16, then months left before the 18th
birthday. Tables for people sum them back into the five age bands.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.vocabulary import PLACEMENT_GROUPS
from forecasts.groups import (
    AGE_BANDS,
    AGE_STATES,
    AGED_18,
    BAND_OF_STATE,
    EXIT_REASONS,
    MONTHS_16_TO_18,
    TOP_BAND,
    birthday,
)

FLOW_COLUMNS = ["la_code", "month", "kind", "group", "age_band", "to_group", "to_age_band", "reason", "children"]
STOCK_COLUMNS = ["la_code", "group", "age_band", "month", "stock"]
OPEN_END = np.datetime64("9999-12-31")


@dataclass(frozen=True)
class History:
    """Dense monthly counts and the labels of each axis. Axes: c council, t month, g group, s age state (the
    chain's), a age band (what rates are estimated by).

    stock[c, t, g, s]: children at the end of month t. For the step from month t to t + 1 (t < T - 1):
    exits[c, t, g, a, r] by reason group; moves[c, t, g, a, g2] for stayers (g2 == g: no group change);
    aged[c, t, g, a] for stayers whose age band went up. entries[c, t, g, s, u] arrived during month t (t >= 1),
    u = 1 for unaccompanied children.
    """
    la_codes: tuple[str, ...]
    months: pd.DatetimeIndex
    stock: np.ndarray
    exits: np.ndarray
    moves: np.ndarray
    aged: np.ndarray
    entries: np.ndarray

    def window(self, end: int, length: int) -> slice:
        """Steps (t -> t + 1) of the `length` months ending with the step into month `end`."""
        return slice(max(end - length, 0), end)

    def band_stock(self) -> np.ndarray:
        """stock[c, t, g, a] with age bands."""
        return band_sum(self.stock, axis=3)

    def stocks_table(self) -> pd.DataFrame:
        stock = self.band_stock()
        c, t, g, a = np.indices(stock.shape).reshape(4, -1)
        return pd.DataFrame({
            "la_code": np.asarray(self.la_codes, dtype=object)[c],
            "group": np.asarray(PLACEMENT_GROUPS, dtype=object)[g],
            "age_band": np.asarray(AGE_BANDS, dtype=object)[a], "month": self.months[t],
            "stock": stock.reshape(-1)})[STOCK_COLUMNS]

    def flows_table(self) -> pd.DataFrame:
        """Every non-zero flow, labelled with the month it happened in."""
        groups, bands = np.asarray(PLACEMENT_GROUPS, dtype=object), np.asarray(AGE_BANDS + ("18",), dtype=object)
        la = np.asarray(self.la_codes, dtype=object)
        frames = []

        def add(kind, counts, c, t, group, band, to_group="", to_band="", reason=""):
            frames.append(pd.DataFrame({
                "la_code": la[c], "month": self.months[t], "kind": kind, "group": group, "age_band": band,
                "to_group": to_group, "to_age_band": to_band, "reason": reason, "children": counts}))

        entries = band_sum(self.entries, axis=3)
        c, t, g, a, u = np.nonzero(entries)
        add("entry", entries[c, t, g, a, u], c, t, groups[g], bands[a], reason=np.where(u, "uasc", ""))
        exits = self.exits
        c, t, g, a, r = np.nonzero(exits)
        add("exit", exits[c, t, g, a, r], c, t + 1, groups[g], bands[a],
            reason=np.asarray(EXIT_REASONS, dtype=object)[r])
        changed = ~np.eye(len(PLACEMENT_GROUPS), dtype=bool)[:, None, :]
        moves = self.moves * changed
        c, t, g, a, g2 = np.nonzero(moves)
        add("move", moves[c, t, g, a, g2], c, t + 1, groups[g], bands[a], to_group=groups[g2])
        aged = self.aged
        c, t, g, a = np.nonzero(aged)
        add("ageing", aged[c, t, g, a], c, t + 1, groups[g], bands[a], to_band=bands[a + 1])
        out = pd.concat(frames, ignore_index=True)
        return out.sort_values(["la_code", "month", "kind", "group", "age_band"], kind="stable",
                               ignore_index=True)[FLOW_COLUMNS]


def band_sum(array: np.ndarray, axis: int) -> np.ndarray:
    """Sum an age-state axis into the five age bands."""
    moved = np.moveaxis(array, axis, 0)
    out = np.zeros((len(AGE_BANDS), *moved.shape[1:]), array.dtype)
    np.add.at(out, BAND_OF_STATE, moved)
    return np.moveaxis(out, 0, axis)


def month_ends(first: pd.Timestamp, last: pd.Timestamp) -> np.ndarray:
    """Last days of the months from `first`'s month to the last month that has ended by `last`."""
    months = np.arange(np.datetime64(first, "M"), np.datetime64(last + pd.Timedelta(days=1), "M"))
    return (months + 1).astype("datetime64[D]") - 1


def age_state(band: np.ndarray, adult: np.ndarray, month_end: np.ndarray) -> np.ndarray:
    """The chain's age state: the band below 16; from 16, TOP_BAND + 24 - (months until the month end at which
    the child is 18), so the state rises by one each month and passes the last state at 18."""
    months_left = (adult.astype("datetime64[M]").astype(np.int64) - month_end.astype("datetime64[M]").astype(np.int64))
    countdown = TOP_BAND + MONTHS_16_TO_18 - np.clip(months_left, 1, MONTHS_16_TO_18)
    return np.where(band < TOP_BAND, band, countdown)


def history(spells: pd.DataFrame, first_month: pd.Timestamp, as_of: pd.Timestamp,
            la_codes: list[str] | None = None) -> History:
    """Monthly stocks and flows from prepared spells, from `first_month` to the last month ended by `as_of`."""
    la_codes = tuple(la_codes if la_codes is not None else sorted(spells["la_code"].unique()))
    ends = month_ends(first_month, as_of)
    n_c, n_t, n_g = len(la_codes), len(ends), len(PLACEMENT_GROUPS)
    la = pd.Categorical(spells["la_code"], categories=la_codes).codes.astype(np.int64)
    if (la < 0).any():  # copying every column of 1.4 million national spells is not free
        spells = spells[la >= 0]
        la = la[la >= 0]
    child = pd.factorize(spells["child"])[0].astype(np.int64)
    group = pd.Categorical(spells["group"], categories=PLACEMENT_GROUPS).codes.astype(np.int64)
    band = pd.Categorical(spells["age_band"], categories=AGE_BANDS).codes.astype(np.int64)
    start = spells["start"].to_numpy("datetime64[D]")
    end = np.where(spells["end"].notna(), spells["end"].to_numpy("datetime64[D]"), OPEN_END)
    reason = pd.Categorical(spells["exit_reason"], categories=EXIT_REASONS).codes.astype(np.int64)
    adult = birthday(spells["dob"].to_numpy("datetime64[D]"), 18)
    uasc = spells["uasc"].to_numpy(bool)

    # One row per child x month end in care.
    first = np.searchsorted(ends, start, side="left")
    n = np.maximum(np.searchsorted(ends, end, side="left") - first, 0)
    row = np.repeat(np.arange(len(spells)), n)
    t = np.repeat(first, n) + np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
    key = child[row] * n_t + t
    if len(key) > 1 and (key[1:] < key[:-1]).any():  # prepared spells come in child and date order already
        order = np.argsort(key, kind="stable")
        row, t, key = row[order], t[order], key[order]
    unique = np.r_[True, key[1:] != key[:-1]][:len(key)]
    if not unique.all():
        row, t, key = row[unique], t[unique], key[unique]
    c, g, a = la[row], group[row], band[row]
    # Nationally there are 6 million child-months: dates become months per spell and per month end, not per row.
    s = age_state(a, adult.astype("datetime64[M]")[row], ends.astype("datetime64[M]")[t])

    # Keys are sorted and unique, so a child's next month end in care, if any, is the next row.
    followed = np.r_[key[1:] == key[:-1] + 1, False]
    stays = followed & (t < n_t - 1)
    leaves = ~followed & (t < n_t - 1)
    following = np.flatnonzero(stays) + 1
    left = row[leaves]
    why = np.where(adult[left] <= ends[t[leaves] + 1], AGED_18,
                   np.where(reason[left] >= 0, reason[left], EXIT_REASONS.index("other")))
    arrived = (t > 0) & ~np.r_[False, key[1:] == key[:-1] + 1]
    here = (c[stays], t[stays], g[stays], a[stays])
    by_state, by_band = _Counter((n_c, n_t, n_g, AGE_STATES)), _Counter((n_c, n_t, n_g, len(AGE_BANDS)))
    return History(
        la_codes=la_codes, months=pd.DatetimeIndex(ends.astype("datetime64[M]").astype("datetime64[ns]")),
        stock=by_state.count((c, t, g, s)),
        exits=by_band.count((c[leaves], t[leaves], g[leaves], a[leaves]), why, len(EXIT_REASONS)),
        moves=by_band.count(here, g[following], n_g),
        aged=by_band.count(here, weights=(a[following] > a[stays])),
        entries=by_state.count((c[arrived], t[arrived], g[arrived], s[arrived]), uasc[row[arrived]].astype(np.int64),
                               2))


@dataclass(frozen=True)
class _Counter:
    """Counts of rows per cell of a dense (council, month, group, age state[, extra]) array, by bincount."""
    shape: tuple[int, ...]

    def count(self, index: tuple[np.ndarray, ...], extra: np.ndarray | None = None, extra_size: int = 1,
              weights: np.ndarray | None = None) -> np.ndarray:
        shape = self.shape if extra is None else (*self.shape, extra_size)
        index = index if extra is None else (*index, extra)
        flat = np.ravel_multi_index(index, shape) if len(index[0]) else np.zeros(0, np.int64)
        counted = np.bincount(flat, weights=None if weights is None else weights.astype(np.int64),
                              minlength=int(np.prod(shape)))
        return counted.astype(np.int64).reshape(shape)
