"""Random draws shared by the generator's steps, all from explicit numpy Generators."""

from __future__ import annotations

import zlib

import numpy as np


def stream(seed: int, name: str) -> np.random.Generator:
    """An independent generator per step, so changing one step never reshuffles the others."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def whole_shares(shares, total: int) -> np.ndarray:
    """Whole numbers in proportion to `shares` that add up to `total` (largest remainders)."""
    shares = np.asarray(shares, dtype=float)
    exact = shares / shares.sum() * total
    counts = np.floor(exact).astype(int)
    counts[np.argsort(-(exact - counts), kind="stable")[: total - counts.sum()]] += 1
    return counts


def categorical(rng: np.random.Generator, weights: np.ndarray) -> np.ndarray:
    """One index per row of a (rows x options) weight matrix, drawn in proportion to the row's weights."""
    cumulative = np.cumsum(weights, axis=1)
    u = rng.random(weights.shape[0]) * cumulative[:, -1]
    return np.minimum((u[:, None] >= cumulative).sum(axis=1), weights.shape[1] - 1)


def pick(rng: np.random.Generator, options, shares, size: int) -> np.ndarray:
    """`size` draws from `options` with the given shares (normalised)."""
    shares = np.asarray(shares, dtype=float)
    return np.asarray(options, dtype=object)[rng.choice(len(shares), size=size, p=shares / shares.sum())]


def top_k(rng: np.random.Generator, weights: np.ndarray, k: int) -> np.ndarray:
    """Indices of k items drawn without replacement in proportion to `weights` (zero weight: never drawn)."""
    keys = np.where(weights > 0, np.log(np.maximum(weights, 1e-300)) + rng.gumbel(size=weights.size), -np.inf)
    k = min(k, int((weights > 0).sum()))
    return np.argsort(-keys, kind="stable")[:k]


def unique_numbers(rng: np.random.Generator, size: int, digits: int = 6) -> np.ndarray:
    """`size` distinct random numbers of exactly `digits` digits."""
    low = 10 ** (digits - 1)
    return rng.choice(9 * low, size=size, replace=False) + low
