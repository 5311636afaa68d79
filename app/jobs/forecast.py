"""The forecast and backtest jobs: children in care per council x placement group x age band from the SSDA903
history, and how well that forecast did from past months."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from app.jobs.common import loaded, run_header
from data.region import Region
from forecasts.backtest import Backtest
from forecasts.demand import Forecast, backtest_region, forecast
from forecasts.params import ForecastParams
from forecasts.scenarios import Scenario


@dataclass(frozen=True)
class ForecastResult:
    forecast: Forecast
    record: dict
    job: str = field(default="forecast", init=False)

    def tables(self) -> dict[str, pd.DataFrame]:
        f = self.forecast
        return {"forecast": f.demand, "forecast_costs": f.costs, "forecast_rates": f.model.rates.table(),
                "forecast_entries": f.model.entries.fitted, "history_stocks": f.history.stocks_table(),
                "history_flows": f.history.flows_table(), "preparation_issues": f.preparation.issues}


def run_forecast(source: Path | Region, horizon: int = 24, params: ForecastParams | None = None,
                 scenario: Scenario | None = None, progress=lambda message: None) -> ForecastResult:
    """Forecast children in care from the region's SSDA903 history: the Demand table, the costs, the rates and
    entries behind it, the monthly stocks and flows it was fitted on and the preparation's issues."""
    params = params or ForecastParams()
    started = datetime.now(UTC)
    region = loaded(source, progress, job="forecast")
    result = forecast(region, params, horizon, scenario, progress)
    return ForecastResult(result, _forecast_record(result, region, params, horizon, started))


def _forecast_record(result: Forecast, region: Region, params: ForecastParams, horizon: int,
                     started: datetime) -> dict:
    model, prep = result.model, result.preparation
    first_month = pd.Timestamp(result.demand["month"].min())
    weekly = result.demand.groupby("month")["weekly_cost"].sum()
    return {
        **run_header("forecast", started, region),
        "parameters": params.to_dict(),
        "scenario": result.scenario.to_dict(),
        "horizon_months": horizon,
        "history": {"first_month": f"{result.history.months[0]:%Y-%m}", "as_of": f"{prep.as_of:%Y-%m-%d}",
                    "councils": list(result.history.la_codes)},
        "origin_month": f"{model.origin_month:%Y-%m}",
        "forecast_months": [f"{first_month:%Y-%m}", f"{pd.Timestamp(result.demand['month'].max()):%Y-%m}"],
        "reference_window": [f"{model.rates.window[0]:%Y-%m}", f"{model.rates.window[1]:%Y-%m}"],
        "entry_window": [f"{model.entries.fitted['month'].min():%Y-%m}",
                         f"{model.entries.fitted['month'].max():%Y-%m}"],
        "entry_dispersion": round(model.entries.dispersion, 4),
        "shared_shock": {name: {"sd": round(shock.sd, 4), "estimated_sd": round(shock.estimated_sd, 4),
                                "autocorrelation": round(shock.autocorrelation, 3)}
                         for name, shock in (("entries", model.entries.shock), ("exit_rates", model.rates.exit_shock))},
        "preparation": {row.rule: int(row.rows) for row in prep.report.itertuples()},
        "preparation_warnings": int((prep.issues["severity"] == "warning").sum()),
        "excluded": prep.excluded.record() if prep.excluded is not None else {},
        "entries_model": ("level per council only: too few entries for a season and a trend" if model.entries.thin
                          else "level and trend per council, shared month-of-year effects"),
        "renormalised_rows": result.renormalised,
        "timings": {k: round(v, 3) for k, v in result.timings.items()},
        "summary": {"children_now": int(result.history.stock[:, -1].sum()),
                    "children_at_horizon": {k: round(float(result.regional[k].iloc[-1]), 1)
                                            for k in ("mean", "p10", "p50", "p90")},
                    "weekly_cost_first_month": round(float(weekly.iloc[0]), 2),
                    "weekly_cost_last_month": round(float(weekly.iloc[-1]), 2)},
    }


@dataclass(frozen=True)
class BacktestResult:
    backtest: Backtest
    record: dict
    job: str = field(default="backtest", init=False)

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"backtest": self.backtest.table, "backtest_forecasts": self.backtest.forecasts}


def run_backtest(source: Path | Region, params: ForecastParams | None = None, progress=lambda message: None,
                 processes: int | None = None) -> BacktestResult:
    """Rolling-origin backtest of the chain and the baselines (MASE, bias, p10-p90 coverage per series, horizon and
    model, and every forecast scored). The chain's origins are shared among `processes` (default: every core this
    process may use)."""
    params = params or ForecastParams()
    started = datetime.now(UTC)
    region = loaded(source, progress, job="forecast")
    clock = time.perf_counter()
    result, preparation = backtest_region(region, params, progress, processes)
    record = {
        **run_header("backtest", started, region),
        "parameters": params.to_dict(),
        "origins": [f"{m:%Y-%m}" for m in result.origins],
        "preparation": {row.rule: int(row.rows) for row in preparation.report.itertuples()},
        "excluded": preparation.excluded.record() if preparation.excluded is not None else {},
        "regional": result.regional().to_dict(orient="records"),
        "timings": {"total_s": round(time.perf_counter() - clock, 3)},
    }
    return BacktestResult(result, record)
