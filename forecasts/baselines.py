"""Statistical baselines on one monthly series: seasonal naive and ETS (statsmodels), with 80% intervals.

Both forecast from the series alone, so a backtest can tell whether the chain's structure earns its keep.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.exponential_smoothing.ets import ETSModel

SEASON = 12
INTERVAL_ALPHA = 0.2  # p10-p90


@dataclass(frozen=True)
class PointAndInterval:
    """Forecasts at horizons 1..H: mean, p10, p90 (arrays of length H, or H x series)."""
    mean: np.ndarray
    p10: np.ndarray
    p90: np.ndarray


def seasonal_naive(y: np.ndarray, horizon: int) -> PointAndInterval:
    """Same month last year; the interval is the spread of the series' own year-on-year changes, widened by
    the square root of the number of years ahead (as for a seasonal random walk). `y` is one series, or many
    side by side (month, series), as a backtest scores about 1,500 national series at each origin."""
    y = np.asarray(y, float)
    h = np.arange(1, horizon + 1)
    point = y[len(y) - SEASON + (h - 1) % SEASON]
    changes = y[SEASON:] - y[:-SEASON]
    low, high = np.quantile(changes, [INTERVAL_ALPHA / 2, 1 - INTERVAL_ALPHA / 2], axis=0)
    years = np.sqrt((h - 1) // SEASON + 1).reshape(-1, *[1] * (y.ndim - 1))
    return PointAndInterval(mean=point, p10=np.maximum(point + low * years, 0), p90=np.maximum(point + high * years, 0))


def mase_scale(y: np.ndarray) -> float | np.ndarray:
    """Mean absolute year-on-year change: the in-sample error of seasonal naive, MASE's denominator (per series
    for series side by side)."""
    y = np.asarray(y, float)
    return np.mean(np.abs(y[SEASON:] - y[:-SEASON]), axis=0)


class Ets:
    """Additive-error, damped additive trend ETS for one series. Parameters are estimated once, on the first
    data given; later calls re-run the filter through the longer series with those parameters, as a rolling
    evaluation with a fixed model does."""

    def __init__(self) -> None:
        self.params: np.ndarray | None = None

    def forecast(self, y: np.ndarray, start: pd.Timestamp, horizon: int) -> PointAndInterval:
        y = np.asarray(y, float)
        if np.ptp(y) == 0:  # a constant series (often all zero): ETS is undefined, and the forecast obvious
            flat = np.full(horizon, y[-1])
            return PointAndInterval(mean=flat, p10=flat, p90=flat)
        series = pd.Series(y, index=pd.period_range(start, periods=len(y), freq="M"))
        model = ETSModel(series, error="add", trend="add", damped_trend=True)
        if self.params is None:
            with warnings.catch_warnings():
                # Short, smooth count series often stop the optimiser at its iteration limit; the estimate it
                # reached is still a fair baseline, and the alternative is no baseline at all.
                warnings.simplefilter("ignore", ConvergenceWarning)
                result = model.fit(disp=False)
            self.params = np.asarray(result.params)
        else:
            result = model.smooth(self.params)
        frame = result.get_prediction(start=len(y), end=len(y) + horizon - 1).summary_frame(alpha=INTERVAL_ALPHA)
        return PointAndInterval(mean=frame["mean"].to_numpy(), p10=np.maximum(frame["pi_lower"].to_numpy(), 0),
                                p90=np.maximum(frame["pi_upper"].to_numpy(), 0))
