"""The forecasting job end to end: SSDA903 history in, the Demand table (and what stands behind it) out."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass

import pandas as pd

from data.region import Region
from forecasts.backtest import Backtest, backtest
from forecasts.costs import cost_projection, with_weekly_cost
from forecasts.flows import History, history
from forecasts.liberty import SHARE_COLUMNS, dol_shares, on_orders_at_origin, with_dol_line
from forecasts.params import ForecastParams
from forecasts.prepare import Preparation, prepare
from forecasts.scenarios import Scenario
from forecasts.simulate import FittedModel, Simulation, demand_table, fit, simulate, total_table, usable_cores
from forecasts.sound import sound_region

MIN_HISTORY_MONTHS = 24


@dataclass(frozen=True)
class Forecast:
    demand: pd.DataFrame  # la_code, group, age_band, month, mean, p10, p50, p90, weekly_cost
    regional: pd.DataFrame  # month, mean, p10, p50, p90: children in care in the whole region
    costs: pd.DataFrame  # la_code, group, year, months, unit_weekly_cost, children, weekly_cost, annual_cost
    model: FittedModel
    preparation: Preparation
    history: History
    scenario: Scenario
    renormalised: int
    timings: dict[str, float]
    simulation: Simulation | None = None  # the sample paths behind the quantiles (forecasts.simulate.path_table)
    # the deprivation-of-liberty cohort's share of each council x group at the origin (forecasts/liberty.py): the
    # "dol" rows of `demand` were carved out with it, and a consumer of the paths carves them the same way
    dol_shares: pd.DataFrame = dataclasses.field(default_factory=lambda: pd.DataFrame(columns=SHARE_COLUMNS))
    dol_source: str = ""


def prepared_history(region: Region, params: ForecastParams) -> tuple[Preparation, History]:
    """Clean the SSDA903 tables and count monthly stocks and flows for every council of the region, from the
    children whose records are sound (forecasts/sound.py: the others are left out, and said so in
    `preparation.excluded`, up to params.max_excluded_share of them)."""
    _, preparation, exclusion = sound_region(region, params.max_excluded_share, prepare)
    preparation = dataclasses.replace(preparation, excluded=exclusion)
    councils = sorted(set(region.authorities["la_code"]) & set(preparation.spells["la_code"]))
    months = history(preparation.spells, preparation.first_month, preparation.as_of, councils)
    if len(months.months) < MIN_HISTORY_MONTHS:
        raise ValueError(f"the SSDA903 history covers {len(months.months)} whole months "
                         f"({months.months[0]:%Y-%m} to {months.months[-1]:%Y-%m}); forecasting needs at least "
                         f"{MIN_HISTORY_MONTHS}")
    return preparation, months


def population(region: Region) -> pd.Series | None:
    """Children aged 0-17 per council where authorities.csv gives it (for entries per 10,000 children)."""
    pop = region.authorities.set_index("la_code")["population_0_17"]
    return pop.astype(float) if pop.notna().any() else None


def forecast(region: Region, params: ForecastParams, horizon: int, scenario: Scenario | None = None,
             progress: Callable[[str], None] = lambda message: None) -> Forecast:
    """Forecast children in care per council x group x age band for `horizon` months after the last full month."""
    if horizon < 1:
        raise ValueError(f"horizon must be at least 1 month (got {horizon})")
    scenario = scenario or Scenario()
    timings = {}
    started = time.perf_counter()
    progress("Preparing the SSDA903 history")
    preparation, months = prepared_history(region, params)
    timings["prepare_s"] = time.perf_counter() - started
    origin = len(months.months) - 1
    progress(f"Fitting the chain on {months.months[0]:%Y-%m} to {months.months[origin]:%Y-%m} "
             f"({len(months.la_codes)} councils)")
    mark = time.perf_counter()
    model = fit(months, origin, params, population(region))
    timings["fit_s"] = time.perf_counter() - mark
    progress(f"Simulating {params.paths} paths {horizon} months ahead (scenario: {scenario.name})")
    mark = time.perf_counter()
    sim = simulate(model, horizon, params.paths, params.seed, scenario, processes=usable_cores())
    demand = with_weekly_cost(demand_table(sim), params.costs, model.origin_month)
    regional = total_table(sim)
    costs = cost_projection(demand, params.costs, model.origin_month)
    on_orders, dol_source = on_orders_at_origin(region, preparation.spells, preparation.as_of)
    shares = dol_shares(on_orders, months.la_codes, months.stock[:, origin].sum(axis=2))
    demand = with_dol_line(demand, shares, ["mean", "p10", "p50", "p90", "weekly_cost"])
    timings["simulate_s"] = time.perf_counter() - mark
    timings["total_s"] = time.perf_counter() - started
    return Forecast(demand=demand, regional=regional, costs=costs, model=model, preparation=preparation, history=months,
                    scenario=scenario, renormalised=sim.renormalised, timings=timings, simulation=sim,
                    dol_shares=shares, dol_source=dol_source)


def backtest_region(region: Region, params: ForecastParams,
                    progress: Callable[[str], None] = lambda message: None,
                    processes: int | None = None) -> tuple[Backtest, Preparation]:
    progress("Preparing the SSDA903 history")
    preparation, months = prepared_history(region, params)
    return backtest(months, params, population(region), progress, processes), preparation
