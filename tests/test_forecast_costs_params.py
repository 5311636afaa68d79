"""Costs with inflation and council overrides; forecast parameters and their documented defaults."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from forecasts.baselines import Ets, mase_scale, seasonal_naive
from forecasts.costs import WEEKS_PER_YEAR, cost_projection, with_weekly_cost
from forecasts.params import DEFAULTS_FILE, BacktestParams, CostParams, ForecastParams

ORIGIN = pd.Timestamp("2026-10-01")


def demand(months=24, children=10.0):
    month = pd.date_range("2026-11-01", periods=months, freq="MS").strftime("%Y-%m-%d")
    rows = [{"la_code": la, "group": group, "age_band": "10-16", "month": m, "mean": children, "p10": 8.0,
             "p50": 10.0, "p90": 12.0} for la in ("E08000003", "E08000006") for group in ("childrens_home", "kinship")
            for m in month]
    return pd.DataFrame(rows)


def test_weekly_cost_rises_with_annual_inflation():
    """Twelve months after the origin a unit costs (1 + inflation) times as much; the first month 1/12 of that."""
    costs = CostParams(inflation=0.05)
    out = with_weekly_cost(demand(), costs, ORIGIN).set_index(["la_code", "group", "month"])["weekly_cost"]
    home = out.loc[("E08000003", "childrens_home")]
    assert home["2026-11-01"] == pytest.approx(10 * 6100 * 1.05 ** (1 / 12))
    assert home["2027-10-01"] == pytest.approx(10 * 6100 * 1.05)
    assert (out.loc[("E08000003", "kinship")] == 0).all()


def test_a_council_can_set_its_own_unit_costs():
    """A council's own unit cost replaces the default for that council only."""
    costs = CostParams(inflation=0.0, councils={"E08000006": {"childrens_home": 5000.0}})
    out = with_weekly_cost(demand(1), costs, ORIGIN).set_index(["la_code", "group"])["weekly_cost"]
    assert out[("E08000006", "childrens_home")] == pytest.approx(50_000)
    assert out[("E08000003", "childrens_home")] == pytest.approx(61_000)


def test_annual_projection_sums_the_year_at_inflated_prices():
    """Year 1 costs the average weekly cost over its 12 months times 52.18 weeks; year 2 is dearer by inflation."""
    costs = CostParams(inflation=0.04)
    projection = cost_projection(with_weekly_cost(demand(), costs, ORIGIN), costs, ORIGIN)
    home = projection[(projection["la_code"] == "E08000003") & (projection["group"] == "childrens_home")]
    year1, year2 = home.set_index("year")["annual_cost"]
    index = 1.04 ** (np.arange(1, 13) / 12)
    assert year1 == pytest.approx(10 * 6100 * index.mean() * WEEKS_PER_YEAR)
    assert year2 / year1 == pytest.approx(1.04)
    assert home["months"].tolist() == [12, 12] and home["children"].tolist() == [10.0, 10.0]


def test_defaults_file_matches_dataclass_defaults():
    """The documented forecast.toml is exactly the defaults the code uses."""
    assert ForecastParams.from_toml(DEFAULTS_FILE) == ForecastParams()


@pytest.mark.parametrize("make, words", [
    (lambda: ForecastParams(reference_months=1), "reference_months"),
    (lambda: ForecastParams(entry_months=12), "entry_months"),
    (lambda: ForecastParams(evidence_discount=0), "evidence_discount"),
    (lambda: ForecastParams(paths=5), "paths"),
    (lambda: BacktestParams(models=("markov", "arima")), "models"),
    (lambda: BacktestParams(horizons=(0, 6)), "horizons"),
    (lambda: CostParams(unit_weekly={"castle": 1.0}), "castle"),
    (lambda: CostParams(councils={"E08000003": {"secure": -5.0}}), "negative"),
    (lambda: CostParams(inflation=2.0), "inflation"),
])
def test_invalid_parameters_are_refused_with_the_name(make, words):
    """An invalid parameter raises an error naming it."""
    with pytest.raises(ValueError, match=words):
        make()


def test_backtest_horizons_are_scored_in_order_once_each():
    """Horizons given in any order, or twice, are scored once each from the shortest (the chain keeps only those
    months, in order)."""
    assert BacktestParams(horizons=(12, 3, 12, 6)).horizons == (3, 6, 12)


def test_unknown_keys_in_parameter_files_are_errors(tmp_path):
    """A typo in a parameters file, at the top or in a section, is reported with the file name."""
    path = tmp_path / "p.toml"
    path.write_text("[backtest]\norigns = 3\n")
    with pytest.raises(ValueError, match="backtest.origns"):
        ForecastParams.from_toml(path)


def test_seasonal_naive_repeats_last_year_with_an_interval_from_past_changes():
    """Seasonal naive forecasts last year's same month; its interval widens in the second year ahead."""
    y = np.tile(np.arange(12.0), 3) + np.repeat([0.0, 2.0, 4.0], 12)
    forecast = seasonal_naive(y, 24)
    assert forecast.mean[:12].tolist() == y[-12:].tolist()
    assert (forecast.p90[12:] - forecast.mean[12:] > forecast.p90[:12] - forecast.mean[:12]).all()
    assert mase_scale(y) == pytest.approx(2.0)


def test_ets_forecasts_a_trending_series_and_reuses_its_parameters():
    """ETS follows a trend, gives a p10-p90 interval, and keeps its first estimates when refiltering."""
    rng = np.random.default_rng(0)
    y = 100 + np.arange(48) * 2.0 + rng.normal(0, 1, 48)
    ets = Ets()
    first = ets.forecast(y[:36], pd.Timestamp("2020-01-01"), 12)
    params = ets.params.copy()
    later = ets.forecast(y, pd.Timestamp("2020-01-01"), 12)
    assert np.array_equal(ets.params, params)
    assert first.mean[-1] > y[35] and later.mean[0] > y[-1] - 5
    assert (later.p10 < later.mean).all() and (later.mean < later.p90).all()
    flat = Ets().forecast(np.zeros(30), pd.Timestamp("2020-01-01"), 3)
    assert flat.mean.tolist() == [0.0, 0.0, 0.0]
