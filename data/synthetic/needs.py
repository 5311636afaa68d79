"""Needs (DATA.md's vocabulary) held as one boolean column per need, `need_<name>`, until written out."""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.schema import NEEDS

COLUMNS = [f"need_{n}" for n in NEEDS]


def draw(rng: np.random.Generator, n: int, rates: dict[str, float], breadth_sd: float = 0.0) -> pd.DataFrame:
    """Need flags at the given rates. A shared `breadth` per row (log-odds, sd `breadth_sd`) makes some settings
    broad and some narrow, as real statements of purpose are, without changing each need's overall rate."""
    breadth = rng.normal(0.0, 1.0, n)
    flags = {}
    for need, column in zip(NEEDS, COLUMNS):
        p = min(max(rates.get(need, 0.0), 0.0), 1.0)
        if p in (0.0, 1.0):
            flags[column] = np.full(n, p == 1.0)
            continue
        odds = _log_odds_for_rate(p, breadth_sd) + breadth_sd * breadth
        flags[column] = rng.random(n) < 1 / (1 + np.exp(-odds))
    return pd.DataFrame(flags)


def _log_odds_for_rate(p: float, sd: float) -> float:
    """The centre c with E[logistic(c + sd Z)] = p for standard normal Z (bisection over Gauss-Hermite nodes)."""
    nodes, weights = np.polynomial.hermite_e.hermegauss(24)
    weights = weights / weights.sum()
    low, high = -20.0, 20.0
    for _ in range(60):
        mid = (low + high) / 2
        if np.dot(weights, 1 / (1 + np.exp(-(mid + sd * nodes)))) < p:
            low = mid
        else:
            high = mid
    return (low + high) / 2


def as_text(frame: pd.DataFrame) -> pd.Series:
    """The ';'-separated list DATA.md asks for, in vocabulary order."""
    values = frame[COLUMNS].to_numpy()
    names = np.asarray(NEEDS, dtype=object)
    return pd.Series([";".join(names[row]) for row in values], index=frame.index, dtype=object)
