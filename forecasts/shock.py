"""A shock shared by every council in a simulated path: one multiplier per month on all councils' entries (or exit
rates) at once.

Councils' own month-to-month noise cancels out in the region's total, so a simulation whose only randomness is
per council (and per child) gives the total intervals far narrower than its errors: nationally the backtest's
p10-p90 held the total 58-71% of the time. What moves every council together shows in the fit's residuals as
their covariance across councils: with r[c, t] = observed - expected, the sum over pairs of different councils
of r[c, t] * r[c', t] has expectation sigma^2 * (sum over the same pairs of expected[c, t] * expected[c', t]) for
a common multiplicative shock of variance sigma^2, and none from noise each council has alone, whatever its
dispersion. Its lag-one counterpart gives the shock's month-to-month autocorrelation, so a shock that persists
(an AR(1) across months) widens the 12-month band more than the 3-month one.

Effects fitted to every council together absorb the common shock in their directions (the entries model's shared
month-of-year effects take 11 of a 24-month window's months), so the sum of cross-products is scaled up by
months / (months - those effects), as a variance's denominator is by its degrees of freedom.

Leavers have a month-of-year pattern the chain's rates (constant through the year) leave in the residuals, common
to every council (entries are seasonal, and many stays are short). It comes back every year and cancels over
one, so it is no shock: `calendar` takes it out first. (Forecasting it instead, from two years of a region's
leavers shrunk towards none by their noise, made the embedded region's backtest less accurate.)

The estimate is unbiased but noisy, and more so than its many council-months suggest: a few councils give few pairs,
and a persistent shock is seen in only a few independent stretches of a 24-month window (with autocorrelation rho,
months / ((1 + rho^2) / (1 - rho^2)) of them, a quarter of the months at rho = 0.8), so a shift that happened once
in the window reads as a shock that comes back. Asked to (`shrink`), the variance forecast with is the estimate
shrunk by its own sampling uncertainty, empirical-Bayes fashion: the estimate v is the true variance plus an error
of variance se^2 (worked out under the fitted model itself: the shock's own sampling over its autocorrelated months,
its cross-products with councils' noise, and the noise's between councils); with a normal prior around no shock
whose spread A is taken from v itself by moments (E[v^2] = A + se^2), the posterior mean is v * A / (A + se^2) = v *
(1 - se^2 / v^2), none once v is within one standard error of none. The autocorrelation is left as estimated: the
shrinkage already grows with it, through the fewer independent months.

By default the estimate is drawn as it is. Shrunk, it was none at nearly every backtest origin, nationally too: a
shock of 1-2% to exit rates (England's) is within a standard error of none in a 24-month window, however many
councils share it, and the national total's p10-p90 held 58-71% of outcomes, as without a shock. Unshrunk, it held
71-75%, each council's as before, and over four Greater Manchester regions the total's 79-87% (forecast.toml has
the figures).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# The most month-to-month autocorrelation believed: nearer 1 the AR(1) is a random walk, whose variance the few
# months of a fitting window cannot pin down.
MOST_AUTOCORRELATION = 0.9


@dataclass(frozen=True)
class SharedShock:
    """A multiplicative shock common to every council: relative standard deviation of a month's multiplier and
    its autocorrelation from one month to the next (AR(1) on the log scale). `estimated_sd` is the sd the
    residuals gave before shrinkage by its sampling uncertainty (see the module's docstring); `sd` is drawn."""
    sd: float = 0.0
    autocorrelation: float = 0.0
    estimated_sd: float = 0.0

    def draw(self, rng: np.random.Generator, paths: int, horizon: int) -> np.ndarray:
        """(path, month ahead) multipliers with mean 1 and relative standard deviation `sd`; all ones (and no
        random numbers used) when there is no shock."""
        if self.sd <= 0 or horizon == 0:
            return np.ones((paths, horizon))
        log_var = np.log1p(self.sd ** 2)  # a lognormal multiplier with relative sd `sd`
        rho = self.autocorrelation
        # Month by month, so a shorter horizon draws the same first months.
        innovations = rng.standard_normal((horizon, paths)).T * np.sqrt(log_var)
        z = np.empty((paths, horizon))
        # The shock's state at the origin is left unknown: it starts from its stationary distribution. (Starting
        # it where the last months' residuals put it, by the Kalman filter, made the embedded region's backtest
        # less accurate: the shifts it carried forward did not happen.)
        z[:, 0] = innovations[:, 0]
        for h in range(1, horizon):
            z[:, h] = rho * z[:, h - 1] + np.sqrt(1 - rho ** 2) * innovations[:, h]
        return np.exp(z - log_var / 2)


def estimate_shock(observed: np.ndarray, expected: np.ndarray, shared_effects: int = 0,
                   calendar: np.ndarray | None = None, shrink: bool = False) -> SharedShock:
    """The common shock in counts `observed` (council, month) against the fit's `expected` (same shape), with
    `shared_effects` parameters fitted to every council together (see the module's docstring). With `calendar`
    (each month's month of the year), a common month-of-year pattern the fit left in the residuals is taken out
    first, as one more shared effect a month: it comes back every year and cancels over one, where a shock does
    not. No evidence of a common shock (cross-products summing to less than nothing, or fewer than two
    councils) gives none. The estimate is drawn as it is (unbiased) unless `shrink` asks for it shrunk towards
    none by its standard error."""
    observed, expected = np.asarray(observed, float), np.asarray(expected, float)
    months = observed.shape[1]
    if observed.shape[0] < 2:
        return SharedShock()
    r, own, kept = observed - expected, 0.0, (months - shared_effects) / max(months, 1)
    if calendar is not None:  # the months of the year take the place of the other shared effects
        calendar = np.asarray(calendar)
        r, own, kept = _without_season(r, expected, calendar)
    if kept <= 1 / max(months, 1):
        return SharedShock()
    lag0 = (_cross(r, r) - own) / max(_cross(expected, expected), 1e-300)
    variance = lag0 / kept
    if not variance > 0:
        return SharedShock()
    lag1 = _cross(r[:, 1:], r[:, :-1]) / max(_cross(expected[:, 1:], expected[:, :-1]), 1e-300)
    autocorrelation = float(np.clip(lag1 / lag0, 0.0, MOST_AUTOCORRELATION))
    # lag0 and the variance differ by a constant factor, so their relative standard errors are the same.
    kept_share = max(0.0, 1.0 - (_standard_error(r, expected, lag0, autocorrelation) / lag0) ** 2) if shrink else 1.0
    return SharedShock(sd=float(np.sqrt(variance * kept_share)), autocorrelation=autocorrelation,
                       estimated_sd=float(np.sqrt(variance)))


def _standard_error(r: np.ndarray, expected: np.ndarray, lag0: float, rho: float) -> float:
    """Standard error of lag0 (sum of the residuals' cross-products between councils over that of the expected
    counts) under the fitted model: r[c, t] = expected[c, t] * s[t] + u[c, t], s an AR(1) of variance lag0 and
    autocorrelation rho, u each council's own noise, independent, of variance r^2 less the shock's share. The
    sum of cross-products is s^2 P + 2 s (sum over c of u[c] (E - expected[c])) + (sum over pairs of u u'), P
    and E the month's sums over pairs and councils of expected counts; the three terms are uncorrelated, and
    Cov(s[t]^2, s[t']^2) = 2 lag0^2 rho^(2 |t - t'|) for a normal s."""
    months = r.shape[1]
    pairs = expected.sum(axis=0) ** 2 - np.sum(expected ** 2, axis=0)  # P, a month
    lags = np.abs(np.subtract.outer(np.arange(months), np.arange(months)))
    shock = 2 * lag0 ** 2 * pairs @ (rho ** (2 * lags)) @ pairs
    noise = np.maximum(r ** 2 - lag0 * expected ** 2, 0.0)
    cross = 4 * lag0 * np.sum(noise * (expected.sum(axis=0) - expected) ** 2)
    own = 2 * np.sum(noise.sum(axis=0) ** 2 - np.sum(noise ** 2, axis=0))
    return float(np.sqrt(shock + cross + own) / max(pairs.sum(), 1e-300))


def _without_season(r: np.ndarray, expected: np.ndarray,
                    calendar: np.ndarray) -> tuple[np.ndarray, float, float]:
    """Residuals less each calendar month's common share above expectation (its months pooled) times the expected
    counts; what the councils' own noise, which is in those shares too, adds to the residuals' sum of
    cross-products between councils in expectation (each council's variance taken as its squared residual); and
    the share of a common month-to-month shock's cross-products the residuals keep (a month weighs in its
    calendar month's share by its expected count, so months unlike in size keep less than half of two)."""
    out, own = r.copy(), 0.0
    noise = r ** 2
    pairs = expected.sum(axis=0) ** 2 - np.sum(expected ** 2, axis=0)  # cross-products' weight of each month
    kept = 0.0
    for month in np.unique(calendar):
        at = calendar == month
        total = expected[:, at].sum()
        if not total > 0:  # nobody expected to leave in that month of the year: no share to take out, no weight
            continue
        out[:, at] -= r[:, at].sum() / total * expected[:, at]
        e, v = expected[:, at], noise[:, at]
        # Cov(r[c, t], share) = v[c, t] / total, Var(share) = (sum of v) / total^2
        own += np.sum(-2 * (v.sum(axis=0) * e.sum(axis=0) - np.sum(v * e, axis=0)) / total
                      + (e.sum(axis=0) ** 2 - np.sum(e ** 2, axis=0)) * v.sum() / total / total)
        # A shock x[t] leaves x[t] - sum of w[t'] x[t'] (w: the months' weights in the share): variance
        # 1 - 2 w[t] + sum of w^2 times the shock's.
        w = e.sum(axis=0) / total
        kept += np.sum(pairs[at] * (1 - 2 * w + np.sum(w ** 2)))
    return out, float(own), float(kept / max(pairs.sum(), 1e-300))


def _cross(a: np.ndarray, b: np.ndarray) -> float:
    """Sum over months of the products a[c, t] * b[c', t] over pairs of different councils c != c'."""
    return float(np.sum(a.sum(axis=0) * b.sum(axis=0) - np.sum(a * b, axis=0)))
