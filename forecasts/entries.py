"""Entries to care: a Poisson GLM on month of year and a trend per council, and where entrants go (placement
group x age state).

All councils are fitted together: each has its own level and trend, and the seasonal pattern is shared, as
twelve monthly effects are too many to learn well from one council's few hundred entries a year. The fit is
quasi-Poisson (standard errors scaled by the Pearson dispersion). For each path the coefficients are drawn
from their estimated sampling distribution, and each month's count around that path's mean with the variance
the data showed: wider than Poisson (gamma-mixed) when entries vary more, narrower (thinned binomial) when they
vary less, as when a council's entries are steadier than chance alone.

Each council has its own level, so a population offset would change nothing but the level's units: the
children's population (authorities.csv, where given) turns fitted entries into rates per 10,000 children for
reports, and is left out of the fit itself, which converges far faster without it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
from scipy import sparse

from forecasts.flows import History, band_sum
from forecasts.markov import gammas
from forecasts.params import ForecastParams
from forecasts.shock import SharedShock, estimate_shock

ENTRY_RATE_COLUMNS = ["la_code", "month", "observed", "fitted", "per_10000"]
MONTHS_PER_YEAR = 12


@dataclass(frozen=True)
class EntryModel:
    la_codes: tuple[str, ...]
    coef: np.ndarray
    cov: np.ndarray
    dispersion: float  # variance / mean of monthly entries (Pearson): above 1 over-, below 1 under-dispersed
    origin_month: pd.Timestamp
    fitted: pd.DataFrame  # la_code, month, observed, fitted, per_10000 over the fitting window
    active: np.ndarray  # councils with any entries in the window (others are forecast to have none)
    trend: bool
    mix: np.ndarray  # (council, group, age state): where entrants go, shrunk towards the region's mix
    mix_concentration: np.ndarray  # per council: entrants of evidence after discounting
    uasc_share: np.ndarray  # (council, group, age band): share of entrants there who are unaccompanied
    thin: bool = False  # entries too few for a season and a trend: both held near none (see _fit_entry_glm)
    shock: SharedShock = SharedShock()  # moves every council's entries together, month by month (forecasts.shock)

    @cached_property
    def cov_factor(self) -> np.ndarray:
        """Cholesky factor of `cov`, as rng.multivariate_normal uses it: factorised once, not for every block of
        simulated paths."""
        try:
            return np.linalg.cholesky(self.cov)
        except np.linalg.LinAlgError:
            # not positive definite in floating point (entries so few the dispersion is nil or the effects are
            # held by the ridge): the symmetric square root of its non-negative part draws the same distribution
            values, vectors = np.linalg.eigh((self.cov + self.cov.T) / 2)
            return vectors * np.sqrt(np.clip(values, 0.0, None))

    def mean(self, months_ahead: np.ndarray, coef: np.ndarray | None = None) -> np.ndarray:
        """Expected entries (paths or 1, council, month ahead) for coefficient draws (paths, p) or the estimate."""
        coef = self.coef[None] if coef is None else coef
        design = _design(len(self.la_codes), self.active, months_ahead, self.origin_month, self.trend)
        eta = np.einsum("cmp,sp->scm", design, coef)
        return np.where(self.active[None, :, None], np.exp(eta), 0.0)


def fit_entries(history: History, origin: int, params: ForecastParams, population: pd.Series | None = None,
                previous: EntryModel | None = None) -> EntryModel:
    """Fit on the `params.entry_months` months up to month index `origin`. A `previous` fit with the same
    councils (a backtest's last origin) starts the iterations near the answer."""
    first = max(origin - params.entry_months + 1, 1)  # month 0 has no entries (nothing before it to compare)
    counts = history.entries[:, first:origin + 1].sum(axis=(2, 3, 4)).astype(float)  # (council, month)
    n_c, n_m = counts.shape
    active = counts.sum(axis=1) > 0
    per_10000 = np.full(n_c, np.nan)
    if population is not None:
        pop = population.reindex(list(history.la_codes)).to_numpy(float)
        per_10000 = np.where(pop > 0, 1e4 / np.where(pop > 0, pop, 1.0), np.nan)
    ahead = np.arange(first, origin + 1) - origin  # months relative to the origin (<= 0)
    design = _design(n_c, active, ahead, history.months[origin], params.entry_trend)
    rows = np.flatnonzero(np.repeat(active, n_m))
    x = design.reshape(-1, design.shape[-1])[rows]
    y = counts.reshape(-1)[rows]
    start = previous.coef if previous is not None and np.array_equal(previous.active, active) \
        and previous.trend == params.entry_trend else None
    if not len(y):  # no council had an entry in the window: none is expected; nothing to fit
        k = x.shape[1]
        coef, cov, dispersion, mu, thin = np.zeros(k), np.zeros((k, k)), 1.0, np.zeros(0), False
    else:
        coef, cov, dispersion, mu, thin = _fit_entry_glm(x, y, start, int(active.sum()))

    fitted = np.zeros(n_c * n_m)
    fitted[rows] = mu
    la = np.repeat(np.asarray(history.la_codes, dtype=object), n_m)
    table = pd.DataFrame({"la_code": la, "month": np.tile(history.months[first:origin + 1], n_c),
                          "observed": counts.reshape(-1), "fitted": fitted,
                          "per_10000": fitted * np.repeat(per_10000, n_m)})
    mix, mix_conc, uasc = _mix(history, first, origin, params)
    # The shared month-of-year effects, and the councils' levels and trends on average, take the common shock's
    # variation in their directions out of the residuals.
    shared_effects = MONTHS_PER_YEAR - 1 + 1 + int(params.entry_trend)
    shock = estimate_shock(counts[active], fitted.reshape(n_c, n_m)[active], shared_effects,
                           shrink=params.shrink_shared_shock) \
        if params.shared_shock else SharedShock()
    return EntryModel(la_codes=history.la_codes, coef=coef, cov=cov, dispersion=dispersion,
                      origin_month=history.months[origin],
                      fitted=table[ENTRY_RATE_COLUMNS],
                      active=active, trend=params.entry_trend, mix=mix,
                      mix_concentration=mix_conc, uasc_share=uasc, thin=thin, shock=shock)


# The largest month-of-year or trend effect, and its standard error, a fit is believed (log scale): beyond them the
# effect is not estimated but running off towards minus infinity, as for a month of the year with no entry at all.
# Entries ten times higher or lower in one calendar month than the rest are already far beyond any seen.
MOST_EFFECT = np.log(10.0)
MOST_EFFECT_SE = 5.0


def _fit_entry_glm(x: np.ndarray, y: np.ndarray, start: np.ndarray | None, levels: int):
    """The quasi-Poisson fit; when the entries are too few to fit a season and a trend (a region of one child; a
    small council's one entry a month, with some month of the year having none), the maximum-likelihood effects
    run off to minus infinity, with standard errors in the thousands, and the simulation's draws of them overflow.
    Those are held near zero (no season, no trend) by a ridge of one on the log scale; the councils' levels stay
    free. Which was used is `thin` in the result (said in the forecast's record)."""
    penalty = np.r_[np.zeros(levels), np.ones(x.shape[1] - levels)]
    effects = slice(levels, None)
    season = slice(x.shape[1] - (MONTHS_PER_YEAR - 1), None)  # the month-of-year indicators come last
    season_seen = np.asarray(sparse.csr_array(x)[:, season].T @ y).ravel()
    if np.all(season_seen > 0):
        try:
            coef, cov, dispersion, mu = _quasi_poisson(x, y, start)
            se = np.sqrt(np.clip(np.diag(cov), 0, None))
            if np.all(np.abs(coef[effects]) <= MOST_EFFECT) and np.all(se[effects] <= MOST_EFFECT_SE):
                return coef, cov, dispersion, mu, False
        except np.linalg.LinAlgError:
            pass
    return (*_quasi_poisson(x, y, None, penalty=penalty), True)


def _quasi_poisson(x: np.ndarray, y: np.ndarray, start: np.ndarray | None, tol: float = 1e-10, max_iter: int = 100,
                   penalty: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, float, np.ndarray]:
    """Poisson GLM (log link) by iteratively reweighted least squares: (coefficients, their covariance scaled by
    the Pearson dispersion, that dispersion, fitted means). statsmodels' GLM gives the same answer, but solves
    each step by SVD of the whole design (two councils' worth of columns per council) and took 1.4 s of a
    national fit's 1.5 s; the normal equations here are a few hundred columns square, and well conditioned
    because every column is an indicator or a short trend. Each row of the design has three non-zero values
    (level, trend, month), so it is held sparse: dense, the normal equations' product was most of a backtest
    origin's fit. Starts from `start`, else from the data, as statsmodels does. `penalty` (per coefficient) adds
    a ridge: the penalised likelihood's answer, for data too thin to identify every effect."""
    x = sparse.csr_array(x)
    ridge = np.diag(penalty) if penalty is not None else 0.0
    if start is None:
        eta = np.log((y + y.mean()) / 2)
    else:
        eta = x @ start
    deviance = np.inf
    for _ in range(max_iter):
        mu = np.exp(eta)
        z = eta + (y - mu) / mu
        information = _information(x, mu) + ridge
        coef = np.linalg.solve(information, x.T @ (mu * z))
        if not np.isfinite(coef).all():
            raise np.linalg.LinAlgError("the entries model did not converge")
        eta = x @ coef
        mu = np.exp(eta)
        previous, deviance = deviance, 2 * np.sum(np.where(y > 0, y * np.log(np.where(y > 0, y, 1) / mu), 0) - (y - mu))
        if abs(deviance - previous) <= tol * (abs(deviance) + tol):
            break
    dispersion = float(np.sum((y - mu) ** 2 / mu) / max(len(y) - x.shape[1], 1))
    cov = dispersion * np.linalg.inv(_information(x, mu) + ridge)
    return coef, cov, dispersion, mu


def _information(x: sparse.csr_array, mu: np.ndarray) -> np.ndarray:
    """X' W X, the Poisson GLM's Fisher information at means `mu`, as a dense matrix."""
    return (x.T @ (x * mu[:, None])).toarray()


def _design(n_c: int, active: np.ndarray, ahead: np.ndarray, origin_month: pd.Timestamp,
            trend: bool) -> np.ndarray:
    """(council, month, parameter): a level per active council, a trend per active council (per year from the
    origin), and eleven month-of-year effects (January is the reference)."""
    councils = np.flatnonzero(active)
    calendar = (origin_month.month - 1 + ahead) % MONTHS_PER_YEAR
    n_m = len(ahead)
    columns = [np.broadcast_to((np.arange(n_c)[:, None] == councils[None, :])[:, None, :],
                               (n_c, n_m, len(councils)))]
    if trend:
        years = (ahead / MONTHS_PER_YEAR)[None, :, None]
        columns.append(columns[0] * years)
    season = (calendar[:, None] == np.arange(1, MONTHS_PER_YEAR)[None, :]).astype(float)
    columns.append(np.broadcast_to(season[None], (n_c, n_m, MONTHS_PER_YEAR - 1)))
    return np.concatenate([np.asarray(c, dtype=float) for c in columns], axis=-1)


def _mix(history: History, first: int, origin: int, params: ForecastParams):
    """Where entrants go (council, group, age state) and the share of them unaccompanied (council, group, band),
    each council's shrunk towards the region's."""
    arrivals = history.entries[:, first:origin + 1].sum(axis=1).astype(float)  # (council, group, state, uasc)
    by_state = arrivals.sum(axis=-1)
    regional = by_state.sum(axis=0) / max(by_state.sum(), 1.0)
    kappa = params.entry_mix_shrinkage
    total = by_state.sum(axis=(1, 2))
    mix = (kappa * regional[None] + by_state) / (kappa + total)[:, None, None]
    uasc, everyone = band_sum(arrivals[..., 1], axis=2), band_sum(by_state, axis=2)
    regional_uasc = (uasc.sum(axis=0) + 0.5) / (everyone.sum(axis=0) + 1.0)
    share = (kappa * regional_uasc[None] + uasc) / (kappa + everyone)
    return mix, params.evidence_discount * (kappa + total), share


def draw_entries(model: EntryModel, horizon: int, paths: int, rng: np.random.Generator):
    """(mean entries per path x council x month ahead, entry mix per path x council x group x age state)."""
    coef = model.coef + rng.standard_normal((paths, model.coef.size)) @ model.cov_factor.T
    mean = model.mean(np.arange(1, horizon + 1), coef)
    conc = model.mix_concentration[None, :, None, None]
    draws = gammas(rng, np.broadcast_to(model.mix * conc, (paths, *model.mix.shape)))
    total = draws.sum(axis=(2, 3), keepdims=True)
    mix = np.divide(draws, total, out=np.broadcast_to(model.mix, draws.shape).copy(), where=total > 0)
    return mean, mix
