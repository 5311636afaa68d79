"""The acceptance check of issue 3 on the embedded Greater Manchester region's backtest, and the regional total's
calibration over it and three regions generated with other seeds (issue 19: the shock shared by every council)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from data import EMBEDDED_REGION
from data.load import load_region
from data.synthetic import generate, write
from forecasts.demand import backtest_region
from forecasts.params import BacktestParams, ForecastParams

HORIZONS = (3, 6, 12)
OTHER_SEEDS = (1, 2, 3)


def _backtest(folder) -> tuple[pd.DataFrame, int]:
    """The region total's scores by model and horizon, with the default parameters, and the number of origins."""
    params = dataclasses.replace(ForecastParams(), backtest=BacktestParams(models=("markov", "seasonal_naive")))
    result, _ = backtest_region(load_region(folder), params)
    return result.regional().set_index(["model", "horizon"]), len(result.origins)


@pytest.fixture(scope="module")
def backtests(tmp_path_factory):
    """Backtests of the embedded region and of Greater Manchester generated with three other seeds (the same
    councils, other children and histories)."""
    folders = [EMBEDDED_REGION]
    for seed in OTHER_SEEDS:
        folder = tmp_path_factory.mktemp(f"greater-manchester-{seed}")
        write(generate("greater-manchester", seed), folder)
        folders.append(folder)
    return [_backtest(folder) for folder in folders]


def test_markov_beats_seasonal_naive_with_calibrated_intervals_on_the_embedded_region(backtests):
    """On the whole region's stock, the chain's MASE is below 1 at 6 and 12 months and its p10-p90 interval
    covers 70-90% of outcomes at 6 months and at least 70% at 12 (ETS is left out here only to keep the test
    quick). At 12 months the upper side is checked over four regions below: one region's 24 origins a month apart
    give only a few independent 12-month outcomes (the embedded region's p10-p90 holds 22 of them)."""
    regional, _ = backtests[0]
    for horizon in (6, 12):
        markov = regional.loc[("markov", horizon)]
        assert markov["mase"] < 1, (horizon, markov["mase"])
        assert 0.7 <= markov["coverage_80"] <= (0.9 if horizon == 6 else 1.0), (horizon, markov["coverage_80"])


def test_the_regional_total_is_calibrated_over_four_regions_with_the_shared_shock(backtests):
    """Over the embedded region and three others, the chain's p10-p90 for the region's total covers 70-90% of the
    outcomes at 3, 6 and 12 months, all origins pooled (85%, 87%, 79% when the shared shock became the default).
    Without the shock shared by every council it covered 77%, 81%, 69%: councils' own noise cancels out in the
    total, what moves them all at once does not."""
    origins = np.array([n for _, n in backtests])
    coverage = np.array([[regional.loc[("markov", h), "coverage_80"] for h in HORIZONS] for regional, _ in backtests])
    pooled = origins @ coverage / origins.sum()
    assert ((0.7 <= pooled) & (pooled <= 0.9)).all(), pooled
