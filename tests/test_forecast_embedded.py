"""The acceptance check of issue 3 on the embedded Greater Manchester region's backtest."""

from __future__ import annotations

import dataclasses

from data import EMBEDDED_REGION
from data.load import load_region
from forecasts.demand import backtest_region
from forecasts.params import BacktestParams, ForecastParams


def test_markov_beats_seasonal_naive_with_calibrated_intervals_on_the_embedded_region():
    """On the whole region's stock, the chain's MASE is below 1 at 6 and 12 months and its p10-p90 interval
    covers 70-90% of outcomes (ETS is left out here only to keep the test quick)."""
    params = dataclasses.replace(ForecastParams(),
                                 backtest=BacktestParams(models=("markov", "seasonal_naive")))
    result, _ = backtest_region(load_region(EMBEDDED_REGION), params)
    regional = result.regional().set_index(["model", "horizon"])
    for horizon in (6, 12):
        markov = regional.loc[("markov", horizon)]
        assert markov["mase"] < 1, (horizon, markov["mase"])
        assert 0.7 <= markov["coverage_80"] <= 0.9, (horizon, markov["coverage_80"])
