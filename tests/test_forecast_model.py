"""The chain and entries recover the rates a history was simulated with; intervals cover as they claim."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from data.load import load_region
from forecasts.backtest import backtest
from forecasts.demand import prepared_history
from forecasts.entries import fit_entries
from forecasts.groups import MONTHS_16_TO_18, TOP_BAND
from forecasts.markov import fit_chain
from forecasts.params import BacktestParams, ForecastParams
from forecasts.scenarios import RateEdit, Scenario
from forecasts.simulate import PATH_BLOCK, demand_table, fit, path_quantiles, simulate
from tests.forecast_history import SEASON, KnownRates, simulate_903, write_history_region

KNOWN = KnownRates()
# Counts are 300-600 events per group, so 15% is about three standard errors.
EXIT_TOLERANCE = 0.15
MOVE_TOLERANCE = 0.25


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    folder = write_history_region(tmp_path_factory.mktemp("known") / "region", simulate_903(seed=11))
    return prepared_history(load_region(folder), ForecastParams())[1]


def test_exit_rates_are_recovered_within_tolerance(history):
    """Each group's monthly exit rate, estimated over five years, is within 15% of the rate simulated."""
    rates = fit_chain(history, len(history.months) - 1, ForecastParams(reference_months=60)).table()
    exits = rates[rates["rate"] == "exit"].groupby("group")[["events", "exposure"]].sum()
    for group, known in KNOWN.exit.items():
        estimate = exits.loc[group, "events"] / exits.loc[group, "exposure"]
        assert estimate == pytest.approx(known, rel=EXIT_TOLERANCE), group


def test_move_rates_are_recovered_within_tolerance(history):
    """Each simulated move between groups is recovered within 25% (moves are rarer than exits)."""
    rates = fit_chain(history, len(history.months) - 1, ForecastParams(reference_months=60)).table()
    moves = rates[rates["rate"] == "move"]
    stayers = rates[(rates["rate"] == "move")].drop_duplicates(["la_code", "group", "age_band"]).groupby(
        "group")["exposure"].sum()
    events = moves.groupby(["group", "to_group"])["events"].sum()
    for (src, dst), known in KNOWN.move.items():
        assert events[(src, dst)] / stayers[src] == pytest.approx(known, rel=MOVE_TOLERANCE), (src, dst)
    unknown = events.drop(list(KNOWN.move))
    assert unknown.sum() == 0


def test_council_rates_are_shrunk_towards_the_regional_rate(history):
    """A council's rate is (shrinkage x regional + events) / (shrinkage + exposure): small counts lean regional."""
    params = ForecastParams(shrinkage=120.0)
    rates = fit_chain(history, len(history.months) - 1, params).table()
    exits = rates[(rates["rate"] == "exit") & (rates["exposure"] > 0)]
    expected = (120.0 * exits["regional"] + exits["events"]) / (120.0 + exits["exposure"])
    assert np.allclose(exits["mean"], expected)
    small = exits.nsmallest(5, "exposure")
    raw = small["events"] / small["exposure"]
    assert ((small["mean"] - small["regional"]).abs() <= (raw - small["regional"]).abs() + 1e-12).all()


def test_leaving_care_at_18_follows_dates_of_birth_exactly(history, tmp_path):
    """With no other exits, no entries and no ageing into the band, the 16-18 stock a year on is the origin's
    16-18 stock less exactly the children whose 18th birthday falls within the year."""
    origin = len(history.months) - 13
    model = fit(history, origin, ForecastParams())
    frozen = Scenario(edits=(RateEdit("exit", multiply=0.0), RateEdit("entry", multiply=0.0),
                             RateEdit("ageing", multiply=0.0)))
    later = simulate(model, 12, 20, seed=0, scenario=frozen).stock[-1, :, :, :, -1].sum(axis=(1, 2))
    states = history.stock[:, origin, :, TOP_BAND:].sum(axis=(0, 1))  # by months left before 18: 24 down to 1
    assert (later == states[:MONTHS_16_TO_18 - 12].sum()).all()


def test_children_a_scenario_adds_arrive_each_month_and_age_to_18(history):
    """A scenario adding children each month, with no other exits, entries or ageing: a band under 16 gains the
    monthly number each month, and the 16-18 band gains it less those added at 17 who turn 18 before the end
    (spread evenly over its 24 months of age, a child added in month k of 3 stays if 3 - k more months leave
    them under 18). Means over paths agree within four standard errors."""
    origin = len(history.months) - 13
    model = fit(history, origin, ForecastParams())
    council, per_month, paths = model.rates.la_codes[0], 2.0, 400
    adding = Scenario(edits=(RateEdit("exit", multiply=0.0), RateEdit("entry", multiply=0.0),
                             RateEdit("ageing", multiply=0.0),
                             RateEdit("entry", add=per_month, la_code=council, group="foster_inhouse", age_band="5-10"),
                             RateEdit("entry", add=per_month, la_code=council, group="supported", age_band="16-18")))
    later = simulate(model, 3, paths, seed=4, scenario=adding).stock[-1].sum(axis=(1, 2))  # (path, age band)
    start = history.stock[:, origin].sum(axis=(0, 1))  # by age state
    states_16_18 = start[TOP_BAND:]  # by months left before 18: 24 down to 1
    expected = {2: start[2] + 3 * per_month,
                TOP_BAND: states_16_18[:MONTHS_16_TO_18 - 3].sum() + per_month * (22 + 23 + 24) / 24}
    for band, mean in expected.items():
        error = np.sqrt(later[:, band].var() / paths) + 1e-9
        assert abs(later[:, band].mean() - mean) <= 4 * error + 0.05, (band, later[:, band].mean(), mean)


def test_entry_trend_level_and_seasonality_are_recovered(history):
    """The entries GLM finds the simulated 5% a year growth, the level at the origin and the seasonal swing."""
    origin = len(history.months) - 1
    model = fit_entries(history, origin, ForecastParams(entry_months=60))
    n_c = len(history.la_codes)
    trend = model.coef[n_c:2 * n_c]
    assert trend == pytest.approx(np.full(n_c, np.log(1 + KNOWN.growth_per_year)), abs=0.04)
    season = np.r_[0.0, model.coef[2 * n_c:]]  # January is the reference month
    known = np.log(SEASON / SEASON[0])
    # Fifty entries a month swing +-8% with the seasons against +-14% of Poisson noise: the shape shows, roughly.
    assert np.corrcoef(season, known)[0, 1] > 0.5
    month = history.months[origin]
    level = KNOWN.entries_per_month * (1 + KNOWN.growth_per_year) ** (origin / 12) * SEASON[month.month - 1]
    assert model.mean(np.array([0]))[0, :, 0] == pytest.approx(np.full(n_c, level), rel=0.12)


def test_entries_fit_agrees_with_statsmodels_glm(history):
    """The entries model's own IRLS gives statsmodels' quasi-Poisson GLM: coefficients, covariance, dispersion,
    from a cold start and from a neighbouring origin's fit."""
    import statsmodels.api as sm

    from forecasts.entries import _design

    params = ForecastParams()
    origin = len(history.months) - 1
    counts = history.entries[:, origin - params.entry_months + 1:origin + 1].sum(axis=(2, 3, 4)).astype(float)
    active = counts.sum(axis=1) > 0
    x = _design(len(history.la_codes), active, np.arange(-params.entry_months + 1, 1), history.months[origin],
                True)[active].reshape(-1, 2 * active.sum() + 11)
    glm = sm.GLM(counts[active].reshape(-1), x, family=sm.families.Poisson()).fit(scale="X2")
    cold = fit_entries(history, origin, params)
    warm = fit_entries(history, origin, params, previous=fit_entries(history, origin - 1, params))
    for model in (cold, warm):
        assert np.allclose(model.coef, glm.params, rtol=0, atol=1e-8)
        assert np.allclose(model.cov, glm.cov_params(), rtol=1e-6, atol=0)
        assert model.dispersion == pytest.approx(glm.scale, rel=1e-8)


def test_intervals_reach_their_nominal_coverage(history):
    """Over rolling origins, actual stocks per council x group fall inside p10-p90 about 80% of the time."""
    params = ForecastParams(backtest=BacktestParams(origins=12, origin_step=2, paths=200, models=("markov",)))
    table = backtest(history, params).table
    series = table[(table["la_code"] != "region") & (table["group"] != "all")].dropna(subset=["mase"])
    assert 0.7 <= series["coverage_80"].mean() <= 0.9


def test_simulation_agrees_with_counting_every_age_state_per_cell(history):
    """The simulation (children of 16+ followed one by one, paths in blocks) gives the same distribution of
    stocks per age band as the plain way: counts in every council x group x age state cell, exits and moves as
    binomial and multinomial draws, ageing, then entrants. Means agree within four standard errors, and spreads
    within 20%."""
    model = fit(history, len(history.months) - 13, ForecastParams())
    paths, horizon = 600, 12
    fast = simulate(model, horizon, paths, seed=2).stock
    plain = _counted_per_cell(model, horizon, paths, seed=3)
    for month in (2, 5, 11):
        a, b = fast[month].sum(axis=(1, 2)), plain[month].sum(axis=(1, 2))  # (path, age band)
        error = np.sqrt((a.var(axis=0) + b.var(axis=0)) / paths)
        assert (np.abs(a.mean(axis=0) - b.mean(axis=0)) <= 4 * error + 0.05).all(), month
        assert a.std(axis=0) == pytest.approx(b.std(axis=0), rel=0.2, abs=0.5), month


def _counted_per_cell(model, horizon: int, paths: int, seed: int) -> np.ndarray:
    """Stock (month, path, council, group, age band) from the chain stepped as counts in every age state."""
    from forecasts.entries import draw_entries
    from forecasts.flows import band_sum
    from forecasts.groups import BAND_OF_STATE
    from forecasts.markov import draw_chain
    from forecasts.simulate import _entrants

    rng = np.random.default_rng(seed)
    chain = draw_chain(model.rates, paths, rng)
    entry_mean, mix = draw_entries(model.entries, horizon, paths, rng)
    stay_in_care = 1 - chain.exit[..., BAND_OF_STATE]  # (path, council, group, state)
    move = chain.move[..., BAND_OF_STATE, :]
    count = np.array(np.broadcast_to(model.start, (paths, *model.start.shape)), dtype=np.int64)
    out = []
    for h in range(horizon):
        moved = rng.multinomial(rng.binomial(count, stay_in_care), move)  # (path, council, from, state, to)
        count = moved.sum(axis=2).transpose(0, 1, 3, 2)
        up = rng.binomial(count[..., :TOP_BAND], chain.ageing[..., :TOP_BAND])
        count[..., TOP_BAND + 1:] = count[..., TOP_BAND:-1].copy()
        count[..., TOP_BAND] = up[..., -1]
        count[..., :TOP_BAND] -= up
        count[..., 1:TOP_BAND] += up[..., :-1]
        arrivals = _entrants(rng, entry_mean[:, :, h], model.entries.dispersion)
        count += rng.multinomial(arrivals, mix.reshape(*arrivals.shape, -1)).reshape(count.shape)
        out.append(band_sum(count, axis=3))
    return np.stack(out)


def test_demand_intervals_are_never_negative_and_can_be_asymmetric(history):
    """p10 <= p50 <= p90, none negative, and small counts give lopsided intervals (not a symmetric +-2 sigma)."""
    model = fit(history, len(history.months) - 1, ForecastParams())
    demand = demand_table(simulate(model, 12, 300, seed=1))
    assert (demand["p10"] >= 0).all()
    assert ((demand["p10"] <= demand["p50"]) & (demand["p50"] <= demand["p90"])).all()
    upper, lower = demand["p90"] - demand["p50"], demand["p50"] - demand["p10"]
    assert ((upper - lower).abs() > 0.5).any()


@pytest.mark.parametrize("paths", [1, 2, 3, 7, 100, 101, 500])
def test_quantiles_across_paths_agree_with_numpy(paths):
    """The sort-based quantiles of counts are numpy's (linear interpolation), along any axis."""
    rng = np.random.default_rng(paths)
    counts = rng.poisson(rng.uniform(0, 30, (1, 4, 1)), (6, 4, paths)).astype(np.int32)
    for axis in (0, 2):
        expected = np.quantile(counts, (0.1, 0.5, 0.9), axis=axis)
        np.testing.assert_allclose(path_quantiles(counts, (0.1, 0.5, 0.9), axis=axis), expected, rtol=0, atol=1e-9)


def test_the_same_seed_gives_the_same_forecast(history):
    """Simulation is reproducible: one seed, one answer; another seed, another draw."""
    model = fit(history, len(history.months) - 1, ForecastParams())
    first, again, other = (demand_table(simulate(model, 6, 50, seed=s)) for s in (3, 3, 4))
    pd.testing.assert_frame_equal(first, again)
    assert not first["mean"].equals(other["mean"])


def test_worker_processes_give_the_same_forecast_as_one(history):
    """Blocks of paths have seeds of their own, so sharing them among processes changes nothing."""
    model = fit(history, len(history.months) - 1, ForecastParams())
    paths = PATH_BLOCK * 2 + 3
    alone, shared = (simulate(model, 4, paths, seed=5, processes=n) for n in (1, 2))
    assert np.array_equal(alone.stock, shared.stock)
    assert alone.stock.shape[1] == paths


def test_keeping_only_some_months_keeps_exactly_those(history):
    """A backtest keeps only the months it scores: the same paths as keeping every month, at those months."""
    model = fit(history, len(history.months) - 1, ForecastParams())
    every, some = (simulate(model, 7, 30, seed=8, months_ahead=kept) for kept in (None, (6, 2)))
    assert np.array_equal(some.stock, every.stock[[1, 5]])
    assert list(some.months) == [every.months[1], every.months[5]]
    with pytest.raises(ValueError, match="within the horizon"):
        simulate(model, 7, 30, seed=8, months_ahead=(8,))


def test_loading_the_compiled_step_covers_what_a_simulation_calls(history):
    """compile_simulation compiles the month step for the argument types a simulation passes, so workers forked
    after it share that code: a simulation (with or without a scenario adding children) adds no second
    compiled version."""
    from forecasts import simulate as simulation

    simulation.compile_simulation()
    model = fit(history, len(history.months) - 1, ForecastParams())
    adding = Scenario(edits=(RateEdit("entry", add=1.0, age_band="16-18"),))
    simulate(model, 2, 5, seed=1)
    simulate(model, 2, 5, seed=1, scenario=adding)
    assert len(simulation._month.signatures) == 1


def test_paths_keep_every_rate_a_probability(history):
    """Drawn rates stay in [0, 1] and every row of move probabilities sums to 1."""
    from forecasts.markov import draw_chain

    rates = fit_chain(history, len(history.months) - 1, dataclasses.replace(ForecastParams(), evidence_discount=0.1))
    draws = draw_chain(rates, 30, np.random.default_rng(0))
    for array in (draws.exit, draws.ageing, draws.move):
        assert ((array >= 0) & (array <= 1)).all()
    assert np.allclose(draws.move.sum(axis=-1), 1)


def test_the_backtest_scores_the_same_in_one_process_as_in_two(history):
    """The monthly batch backtests in its second process with one worker; the answer must not depend on it."""
    params = dataclasses.replace(ForecastParams(paths=20), backtest=BacktestParams(
        origins=2, paths=20, horizons=(1, 3), models=("markov", "seasonal_naive")))
    alone, shared = (backtest(history, params, processes=n) for n in (1, 2))
    pd.testing.assert_frame_equal(alone.table, shared.table)
    pd.testing.assert_frame_equal(alone.forecasts, shared.forecasts)
