"""The shock shared by every council in a path (forecasts/shock.py): its estimate from residuals, and what it does
to the simulated paths of the region's total and of each council.

Histories here are built month by month from known counts, not through SSDA903 files: each council's children are
in one group and age band, leave with a known chance and arrive around a known level, season and trend, with a
common multiplier of known spread on every council's entries (or exit chances) in a month and noise of each
council's own on top."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from data.vocabulary import PLACEMENT_GROUPS
from forecasts.entries import fit_entries
from forecasts.flows import History
from forecasts.groups import AGE_BANDS, AGE_STATES, EXIT_REASONS
from forecasts.markov import fit_chain
from forecasts.params import ForecastParams
from forecasts.shock import SharedShock, estimate_shock
from forecasts.simulate import fit, simulate
from tests.forecast_history import SEASON

GROUP = PLACEMENT_GROUPS.index("foster_inhouse")
HOME = EXIT_REASONS.index("home")
REPLICATES = 30
SHOCK = ForecastParams(shared_shock=True)


def _history(rng: np.random.Generator, councils: int = 60, months: int = 25, entries: float = 100.0,
             stock: int = 500, exit_chance: float = 0.03, entry_shock: float = 0.0, exit_shock: float = 0.0,
             own_dispersion: float = 2.0, exit_season: np.ndarray | None = None) -> History:
    """A history of `months` month ends. Entries per council and month: `entries` times the season and 5% a year
    of growth, times the month's common lognormal multiplier (relative sd `entry_shock`), then gamma-mixed
    Poisson with variance `own_dispersion` times the mean (noise of the council's own, wider than Poisson).
    Leavers: binomial with chance `exit_chance` times the month's common multiplier (sd `exit_shock`), and times
    `exit_season` (12, January first) for the month of the year they leave in."""
    shape = (councils, months, len(PLACEMENT_GROUPS), AGE_STATES)
    band_shape = (councils, months, len(PLACEMENT_GROUPS), len(AGE_BANDS))
    history = History(
        la_codes=tuple(f"E{c:08d}" for c in range(councils)),
        months=pd.date_range("2022-01-01", periods=months, freq="MS"),
        stock=np.zeros(shape, np.int64), exits=np.zeros((*band_shape, len(EXIT_REASONS)), np.int64),
        moves=np.zeros((*band_shape, len(PLACEMENT_GROUPS)), np.int64), aged=np.zeros(band_shape, np.int64),
        entries=np.zeros((*shape, 2), np.int64))
    level = entries * rng.uniform(0.5, 1.5, councils)
    in_care = np.full(councils, stock)
    history.stock[:, 0, GROUP, 0] = in_care
    for t in range(1, months):
        mean = level * SEASON[history.months[t].month - 1] * 1.05 ** (t / 12) * _multiplier(rng, entry_shock)
        shape_k = mean / (own_dispersion - 1)
        arrived = rng.poisson(rng.gamma(shape_k, mean / shape_k))
        season = 1.0 if exit_season is None else exit_season[history.months[t].month - 1]
        left = rng.binomial(in_care, min(exit_chance * season * _multiplier(rng, exit_shock), 1.0))
        history.exits[:, t - 1, GROUP, 0, HOME] = left
        history.moves[:, t - 1, GROUP, 0, GROUP] = in_care - left
        history.entries[:, t, GROUP, 0, 0] = arrived
        in_care = in_care - left + arrived
        history.stock[:, t, GROUP, 0] = in_care
    return history


def _multiplier(rng: np.random.Generator, sd: float) -> float:
    """A lognormal multiplier with mean 1 and relative standard deviation `sd`."""
    log_var = np.log1p(sd ** 2)
    return float(np.exp(rng.normal(-log_var / 2, np.sqrt(log_var))))


def _mean_variance(shocks: list[SharedShock], raw: bool = False) -> float:
    """Mean variance of the shocks drawn (or, `raw`, of the estimates before their shrinkage)."""
    return float(np.mean([(s.estimated_sd if raw else s.sd) ** 2 for s in shocks]))


def _shocked_counts(rng: np.random.Generator, councils: int, months: int, sd: float, rho: float = 0.0,
                    level: tuple[float, float] = (20, 80)) -> tuple[np.ndarray, np.ndarray]:
    """Poisson counts (council, month) around known means times a common multiplier, an AR(1) on the log scale
    with autocorrelation `rho` and relative sd `sd`; and the means."""
    log_var = np.log1p(sd ** 2)
    z = np.empty(months)
    z[0] = rng.normal(0, np.sqrt(log_var))
    for t in range(1, months):
        z[t] = rho * z[t - 1] + np.sqrt(1 - rho ** 2) * rng.normal(0, np.sqrt(log_var))
    expected = rng.uniform(*level, (councils, 1)) * np.ones((1, months))
    return rng.poisson(expected * np.exp(z - log_var / 2)[None, :]), expected


def test_a_common_shock_to_entries_is_recovered_from_the_entries_fit():
    """Over 30 histories of 60 councils with a common 5% shock to a month's entries, the variance the entries fit
    estimates (before its shrinkage) averages within 30% of 0.05^2 (three standard errors of that average): the
    shared month-of-year effects, which take 11 of the window's 24 months of common variation, are allowed
    for."""
    rng = np.random.default_rng(1)
    params = SHOCK
    shocks = [fit_entries(history, 24, params).shock
              for history in (_history(rng, entry_shock=0.05) for _ in range(REPLICATES))]
    assert _mean_variance(shocks, raw=True) == pytest.approx(0.05 ** 2, rel=0.3)


def test_noise_of_each_council_own_is_not_taken_for_a_common_shock():
    """The same histories with no common shock, each council's entries twice as variable as Poisson: the
    estimate is near none (its variance under a twentieth of the 5% shock's)."""
    rng = np.random.default_rng(2)
    params = SHOCK
    shocks = [fit_entries(history, 24, params).shock for history in (_history(rng) for _ in range(REPLICATES))]
    assert _mean_variance(shocks) < 0.05 ** 2 / 20


def test_a_common_shock_to_exit_rates_is_recovered_from_the_chain_fit():
    """A common 10% shock to a month's chance of leaving care: the chain's estimate (before its shrinkage), over
    24 months of 60 councils' leavers, averages within 25% of 0.1^2 over 30 histories; with none it is near
    none."""
    rng = np.random.default_rng(3)
    params = SHOCK
    shocked = [fit_chain(_history(rng, exit_shock=0.1), 24, params).exit_shock for _ in range(REPLICATES)]
    calm = [fit_chain(_history(rng), 24, params).exit_shock for _ in range(REPLICATES)]
    assert _mean_variance(shocked, raw=True) == pytest.approx(0.1 ** 2, rel=0.25)
    assert _mean_variance(calm) < 0.1 ** 2 / 20


def test_a_persistent_shock_has_its_autocorrelation_recovered():
    """600 months of 40 councils' counts around known means, the common multiplier an AR(1) with autocorrelation
    0.6 and sd 8%: both are recovered (0.6 within 0.1, the sd within 15%)."""
    rng = np.random.default_rng(4)
    rho, sd = 0.6, 0.08
    shock = estimate_shock(*_shocked_counts(rng, 40, 600, sd, rho))
    assert shock.autocorrelation == pytest.approx(rho, abs=0.1)
    assert shock.sd == pytest.approx(sd, rel=0.15)


def test_with_few_councils_and_no_shock_the_shrunk_estimate_is_near_none():
    """10 councils' counts of about 10 a month, 24 months, no common shock, 30 times: their raw cross-council
    covariance reads as a shock of some 3% on average (its positive part), all sampling noise; shrunk by its
    standard error it is none in most windows and its mean variance under a tenth of the raw one's."""
    rng = np.random.default_rng(10)
    windows = [_shocked_counts(rng, 10, 24, 0.0, level=(5, 15)) for _ in range(REPLICATES)]
    shocks = [estimate_shock(*window, shrink=True) for window in windows]
    assert all(s.sd <= s.estimated_sd for s in shocks)
    # unshrunk (the default), the same windows' estimates are drawn whole
    assert [estimate_shock(*window).sd for window in windows] == [s.estimated_sd for s in shocks]
    assert np.mean([s.sd == 0 for s in shocks]) >= 0.5
    assert _mean_variance(shocks) < _mean_variance(shocks, raw=True) / 10


def test_with_many_councils_a_known_shock_survives_the_shrinkage():
    """150 councils' counts of about 10 a month over 24 months with a common 10% shock, 30 times: the shrunk
    variance averages within 20% of 0.1^2 and keeps over 80% of the raw estimate's, where 10 councils (the
    embedded region's count) keep less of it."""
    rng = np.random.default_rng(11)
    many = [estimate_shock(*_shocked_counts(rng, 150, 24, 0.1, level=(5, 15)), shrink=True) for _ in range(REPLICATES)]
    few = [estimate_shock(*_shocked_counts(rng, 10, 24, 0.1, level=(5, 15)), shrink=True) for _ in range(REPLICATES)]
    assert _mean_variance(many) == pytest.approx(0.1 ** 2, rel=0.2)
    kept = _mean_variance(many) / _mean_variance(many, raw=True)
    assert kept > 0.8
    assert _mean_variance(few) / _mean_variance(few, raw=True) < kept


def test_draws_of_the_shock_have_mean_one_and_the_spread_asked_for():
    """Multipliers drawn for 20,000 paths: mean 1, relative sd as given, month-to-month correlation as given
    (each within sampling error); no shock draws nothing and is all ones."""
    rng = np.random.default_rng(5)
    draws = SharedShock(sd=0.1, autocorrelation=0.5).draw(rng, 20_000, 6)
    assert draws.mean(axis=0) == pytest.approx(np.ones(6), abs=0.004)
    assert draws.std(axis=0) == pytest.approx(np.full(6, 0.1), rel=0.05)
    assert np.corrcoef(np.log(draws[:, 2]), np.log(draws[:, 3]))[0, 1] == pytest.approx(0.5, abs=0.03)
    state = rng.bit_generator.state
    assert (SharedShock().draw(rng, 10, 6) == 1).all()
    assert rng.bit_generator.state == state


def test_the_shock_widens_the_region_total_and_leaves_each_council_much_as_it_was():
    """40 councils of about 500 children, 12 months ahead over 400 paths, with a 10% shock (autocorrelation 0.5)
    on entries and on exit rates against none. Each adds at least (sd x the region's monthly flow)^2 a month
    to the total's variance, over twice what the rates' uncertainty and every council's own noise give it, and
    a fortieth of that to a council's: the region's p10-p90 is at least 1.5 times as wide, each council's
    spread (standard deviation) on median within 10% of what it was, and the mean total unchanged within four
    standard errors."""
    history = _history(np.random.default_rng(6), councils=40, months=30, entries=15.0)
    calm = fit(history, 29, ForecastParams())
    shock = SharedShock(sd=0.1, autocorrelation=0.5)
    shocked = dataclasses.replace(calm, entries=dataclasses.replace(calm.entries, shock=shock),
                                  rates=dataclasses.replace(calm.rates, exit_shock=shock))
    paths = 400
    without = simulate(calm, 12, paths, seed=7, months_ahead=(12,)).stock[0].sum(axis=(2, 3))  # (path, council)
    with_shock = simulate(shocked, 12, paths, seed=7, months_ahead=(12,)).stock[0].sum(axis=(2, 3))

    def width(total):
        return np.quantile(total, 0.9) - np.quantile(total, 0.1)

    assert width(with_shock.sum(axis=1)) >= 1.5 * width(without.sum(axis=1))
    assert np.median(with_shock.std(axis=0) / without.std(axis=0)) == pytest.approx(1.0, abs=0.1)
    error = np.sqrt((with_shock.sum(axis=1).var() + without.sum(axis=1).var()) / paths)
    assert abs(with_shock.sum(axis=1).mean() - without.sum(axis=1).mean()) <= 4 * error


def test_a_month_of_year_pattern_in_exits_is_not_taken_for_a_shock():
    """Leavers 10% above the fitted rates in March and 10% below in August, every year, in 60 councils, and no
    common shock: the chain's estimate of one is near none (variance under a twentieth of a 10% shock's)."""
    rng = np.random.default_rng(9)
    pattern = np.ones(12)
    pattern[2], pattern[7] = 1.1, 0.9
    shocks = [fit_chain(_history(rng, exit_season=pattern), 24, SHOCK).exit_shock
              for _ in range(REPLICATES)]
    assert _mean_variance(shocks) < 0.1 ** 2 / 20


def test_a_region_too_small_for_a_shock_gives_none_without_a_warning():
    """One council (no pairs of councils to see a shock in), and two whose expected leavers are none in some
    months of the year and vanishingly few in the others (a region of one or two children): no shock, and no
    division by nothing (the suite turns warnings into errors)."""
    calendar = np.tile(np.arange(1, 13), 2)
    one = estimate_shock(np.ones((1, 24)), np.full((1, 24), 0.5), calendar=calendar)
    expected = np.where(calendar % 2 == 0, 0.0, 1e-200)[None, :] * np.ones((2, 1))
    observed = np.zeros((2, 24))
    observed[0, 3] = 1
    two = estimate_shock(observed, expected, calendar=calendar)
    assert one == SharedShock() and two.sd == 0 and np.isfinite(two.estimated_sd)
