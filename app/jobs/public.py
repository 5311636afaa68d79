"""The public-data jobs: a region folder for any councils, England's market picture, and every council's
children looked after forecast from the DfE's yearly series. Each reads a folder of
published files and returns a result holding every table it made and its run record; it writes nothing (the
writers below, and app/outputs.py, do)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import pandas as pd

from data.public.read import PublicData, read_public_data
from data.public.region import PublicRegion, build_public_region
from forecasts.annual import (
    QUICK_MODELS,
    AnnualParams,
    AnnualResult,
    bridge,
    disagreements,
    run_annual,
    summarise,
)
from optimiser.market import Market, market_picture


@dataclass(frozen=True)
class PublicRegionResult:
    region: PublicRegion
    issues: pd.DataFrame
    record: dict


@dataclass(frozen=True)
class MarketResult:
    market: Market
    issues: pd.DataFrame
    record: dict
    boundaries: object | None = None  # the councils' boundaries (GeoDataFrame) the report's maps draw
    highlight: tuple[str, ...] = ()  # the reader's own councils, drawn out against the rest
    job: str = field(default="public_market", init=False)

    def tables(self) -> dict[str, pd.DataFrame]:
        m = self.market
        return {"councils": m.councils, "areas": m.areas, "owners": m.owners, "changes": m.changes,
                "national_difficult_to_replace": m.difficult_to_replace, "issues": self.issues}


def public_region(data_dir: str | Path, codes: Sequence[str], name: str, ofsted_file: str | Path | None = None,
                  progress: Callable[[str], None] = lambda message: None) -> PublicRegionResult:
    started, clock = datetime.now(timezone.utc), time.perf_counter()
    public = read_public_data(data_dir, ofsted_file=ofsted_file, latest_only=True, progress=progress)
    progress(f"Building {name} ({len(codes)} councils) from {public.latest_ofsted.file if public.ofsted else '-'}")
    region = build_public_region(public, codes, name)
    record = _record("public_region", started, clock, public) | {"region": name, "about": region.about}
    return PublicRegionResult(region, public.issues, record)


def public_market(data_dir: str | Path, progress: Callable[[str], None] = lambda message: None,
                  public: PublicData | None = None, highlight: Sequence[str] = ()) -> MarketResult:
    started, clock = datetime.now(timezone.utc), time.perf_counter()
    public = public or read_public_data(data_dir, progress=progress)
    progress(f"England's market over {len(public.ofsted)} Ofsted list(s)")
    market = market_picture(public)
    record = _record("public_market", started, clock, public) | {"notes": list(market.notes)}
    return MarketResult(market, public.issues, record, public.boundaries, tuple(highlight))


def _record(job: str, started: datetime, clock: float, public: PublicData) -> dict:
    return {"job": job, "rcc_version": metadata.version("rcc"), "started_at": started.isoformat(timespec="seconds"),
            "data_dir": str(public.folder), "sources": public.sources(),
            "timings": {**public.timings, "total_s": round(time.perf_counter() - clock, 3)},
            "issues": {s: int((public.issues["severity"] == s).sum()) for s in ("error", "warning")}}


@dataclass(frozen=True)
class PublicForecastResult:
    annual: AnnualResult
    issues: pd.DataFrame
    record: dict
    job: str = field(default="public_forecast", init=False)

    def tables(self) -> dict[str, pd.DataFrame]:
        a = self.annual
        return {"public_forecast": a.forecast, "public_backtest": a.backtest,
                "public_backtest_summary": a.summary, "public_history": a.history, "public_issues": self.issues}


def public_forecast(data_dir: str | Path, until: int | None = None, horizon: int = 3, councils: Sequence[str] = (),
                    models: Sequence[str] = QUICK_MODELS, progress: Callable[[str], None] = lambda message: None,
                    public: PublicData | None = None) -> PublicForecastResult:
    """Every council's children looked after at 31 March, forecast `horizon` years on from `until` from the DfE's
    yearly series (pooled over every council in the data, whichever are reported), with the rolling-origin
    backtest of rcc's model and its yardsticks."""
    started, clock = datetime.now(timezone.utc), time.perf_counter()
    public = public or read_public_data(data_dir, progress=progress, series_only=True)
    if public.dfe is None or public.dfe.table.empty:
        raise ValueError(f"{data_dir}: no DfE local-authority tables in dfe/, so no yearly series to forecast")
    table = public.dfe.table
    annual = table[table["level"].eq("la")].rename(columns={"area_code": "la_code"})
    last = int(annual.loc[annual["measure"].eq("looked_after"), "year"].max())
    if until is not None and not int(annual["year"].min()) + 3 <= until <= last:
        raise ValueError(f"--until {until}: the DfE's series here runs {int(annual['year'].min())}-{last}, and a "
                         "forecast needs four years behind it")
    params = AnnualParams(horizon=horizon)
    progress(f"Backtesting {len(models)} models on {annual['la_code'].nunique()} councils' yearly series")
    result = run_annual(annual, public.population, until, params, models=tuple(models), progress=progress)
    if councils:
        wanted = set(councils)
        result = dataclasses.replace(
            result, forecast=result.forecast[result.forecast["la_code"].isin(wanted)].reset_index(drop=True),
            backtest=result.backtest[result.backtest["la_code"].isin(wanted)].reset_index(drop=True),
            history=result.history[result.history["la_code"].isin(wanted)].reset_index(drop=True))
    record = _record("public_forecast", started, clock, public) | {
        "until": result.until, "horizon_years": horizon, "models": list(models), "councils": list(councils),
        "parameters": dataclasses.asdict(params), "notes": list(result.notes),
        "backtest": result.summary.round(4).to_dict(orient="records")}
    return PublicForecastResult(result, public.issues, record)


@dataclass(frozen=True)
class YearlyResult:
    """A region's councils in the DfE's yearly series: their forecast from it, its backtest (England's and these
    councils'), and the bridge to the monthly model (the SSDA903 extract against the published figures)."""

    forecast: pd.DataFrame
    history: pd.DataFrame
    backtest: pd.DataFrame
    bridge: pd.DataFrame
    record: dict
    job: str = field(default="yearly", init=False)

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"yearly_forecast": self.forecast, "yearly_history": self.history, "yearly_backtest": self.backtest,
                "yearly_bridge": self.bridge}

    @property
    def warnings(self) -> list[str]:
        return disagreements(self.bridge)


def run_yearly(region, forecast, data_dir: str | Path | None = None,
               progress: Callable[[str], None] = lambda message: None) -> YearlyResult | None:
    """The yearly view of a region whose councils the DfE publishes (None, said in `progress`, when the public
    data is not there or names none of them). `forecast` is the monthly forecast (forecasts.demand.Forecast)."""
    from data.public import default_public_data

    started, clock = datetime.now(timezone.utc), time.perf_counter()
    folder = Path(data_dir) if data_dir else default_public_data()
    if not (folder / "dfe").is_dir():
        progress(f"Yearly figures: no DfE tables in {folder / 'dfe'}, so no yearly forecast")
        return None
    public = read_public_data(folder, series_only=True)
    codes = sorted(set(region.authorities["la_code"]))
    published = set(public.dfe.table["area_code"]) if public.dfe is not None else set()
    ours = [code for code in codes if code in published]
    if not ours:
        progress(f"Yearly figures: the DfE's tables in {folder} name none of this region's councils")
        return None
    result = public_forecast(folder, councils=ours, models=("pooled", "naive"), public=public, progress=progress)
    a = result.annual
    scored = a.backtest
    per_council = [summarise(rows).assign(scope=code) for code, rows in scored.groupby("la_code")]
    backtest = pd.concat([a.summary.assign(scope="England"), summarise(scored).assign(scope="these councils"),
                          *per_council], ignore_index=True)
    annual = public.dfe.table.rename(columns={"area_code": "la_code"})
    annual = annual[annual["level"].eq("la") & annual["la_code"].isin(ours)]
    links = bridge(forecast.history.stocks_table(), forecast.demand, annual, a.forecast)
    record = {"job": "yearly", "started_at": started.isoformat(timespec="seconds"), "data_dir": str(folder),
              "councils": ours, "until": a.until, "sources": public.sources(),
              "disagreements": int(links["warning"].ne("").sum()),
              "timings": {"total_s": round(time.perf_counter() - clock, 3)}}
    return YearlyResult(a.forecast, a.history, backtest, links, record)
