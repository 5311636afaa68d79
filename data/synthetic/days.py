"""Dates as whole days since 1970-01-01 (int64), so whole populations can be handled as numpy arrays."""

from __future__ import annotations

from datetime import date

import numpy as np

from data import vocabulary
from data.synthetic import facts

DAYS_PER_YEAR = 365.25


def day(value: date | str) -> int:
    return int(np.datetime64(value, "D").astype(np.int64))


SNAPSHOT = day(facts.SNAPSHOT)
HISTORY_START = day(facts.HISTORY_START)
LAST_YEAR = day(date(facts.SNAPSHOT.year - 1, facts.SNAPSHOT.month, facts.SNAPSHOT.day))  # first day of the last year
K3_FROM = day(vocabulary.K3_FROM)  # registered supported accommodation (K3) replaces H5/P2 from 2025-26


def birthday(dob, years: int) -> np.ndarray:
    """The day a child born on `dob` turns `years` (29 February birthdays fall on 1 March)."""
    births = np.asarray(dob, dtype=np.int64).astype("datetime64[D]")
    month = births.astype("datetime64[M]")
    into_month = births - month.astype("datetime64[D]")
    return ((month + 12 * np.asarray(years)).astype("datetime64[D]") + into_month).astype(np.int64)


def whole_years(dob, on: int) -> np.ndarray:
    """Age in completed years on day `on`."""
    dob = np.asarray(dob, dtype=np.int64)
    guess = ((on - dob) // 365.25).astype(np.int64)
    return np.where(birthday(dob, guess + 1) <= on, guess + 1, np.where(birthday(dob, guess) > on, guess - 1, guess))


def iso(days) -> np.ndarray:
    """ISO date strings, '' where the day is negative (no date)."""
    distinct, where = np.unique(np.asarray(days, dtype=np.int64), return_inverse=True)
    text = np.datetime_as_string(np.maximum(distinct, 0).astype("datetime64[D]"), unit="D").astype(object)
    text[distinct < 0] = ""
    return text[where.reshape(-1)]
