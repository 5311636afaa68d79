"""What-if jobs: a profit cap on the region's providers (optimiser/profit_cap.py), at one cap and over a sweep, and
the same cap nationally on the public data (optimiser/national.py: Ofsted's owners, a margin table given)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path

import pandas as pd

from app.jobs.common import loaded, run_header
from data.public.margins import read_margins
from data.public.read import PublicData, read_public_data
from data.region import Region
from optimiser.match.params import MatchParams
from optimiser.national import NationalCap, england, independent_supply, national_cap
from optimiser.profit_cap import CapParams, CapResult, cap_sweep, profit_cap


@dataclass(frozen=True)
class ProfitCapResult:
    cap: CapResult
    sweep: pd.DataFrame | None  # one row per cap of the sweep (SWEEP_COLUMNS), when asked for
    record: dict
    job: str = field(default="profit_cap", init=False)

    @property
    def summary(self) -> dict:
        return self.cap.summary

    def tables(self) -> dict[str, pd.DataFrame]:
        tables = {"profit_cap_providers": self.cap.providers, "profit_cap_children": self.cap.children,
                  "profit_cap_areas": self.cap.areas}
        return tables | ({"profit_cap_sweep": self.sweep} if self.sweep is not None else {})


def run_profit_cap(source: Path | Region, params: CapParams, sweep: list[float] | None = None,
                   run_date: date | None = None, match_params: MatchParams | None = None,
                   progress=lambda message: None) -> ProfitCapResult:
    """The cap `params.cap` in detail, and each cap of `sweep` in one line."""
    started = datetime.now(UTC)
    run_date = run_date or started.date()
    match_params = match_params or MatchParams()
    region = loaded(source, progress, run_date, job="flags")
    progress(f"Capping margins at {params.cap:.0%}; companies pushed below {params.exit_margin:.0%} leave and the "
             "region is matched again")
    result = profit_cap(region, params, run_date, match_params)
    table = None
    if sweep:
        progress(f"Sweeping caps {', '.join(f'{c:.0%}' for c in sweep)}")
        table = cap_sweep(region, sweep, params.exit_margin, run_date, match_params, params.exit_spread)
    record = {**run_header("profit_cap", started, region), "run_date": run_date.isoformat(),
              "parameters": {"cap": params.cap, "exit_margin": params.exit_margin,
                             "exit_spread": params.exit_spread, "sweep": sweep or []},
              "match_parameters": match_params.to_dict(), "summary": result.summary,
              "sweep": table.to_dict("records") if table is not None else []}
    return ProfitCapResult(result, table, record)


@dataclass(frozen=True)
class NationalCapResult:
    cap: NationalCap
    sweep: pd.DataFrame | None  # one summary row per cap of the sweep, when asked for
    record: dict
    job: str = field(default="national_profit_cap", init=False)

    @property
    def summary(self) -> dict:
        return self.cap.summary

    def tables(self) -> dict[str, pd.DataFrame]:
        tables = {"national_cap_owners": self.cap.rows, "national_cap_areas": self.cap.areas}
        return tables | ({"national_cap_sweep": self.sweep} if self.sweep is not None else {})


def run_national_profit_cap(data_dir: Path, margins_file: Path, params: CapParams, sweep: list[float] | None = None,
                            public: PublicData | None = None, progress=lambda message: None) -> NationalCapResult:
    """The cap on England's owners in Ofsted's latest list with the margins and revenues of `margins_file`
    (data.public.margins; ValidationError listing every problem in it)."""
    started = datetime.now(UTC)
    public = public or read_public_data(data_dir, latest_only=True, progress=progress)
    if public.latest_ofsted is None:
        raise ValueError(f"{data_dir}: no Ofsted provider list in ofsted/, so no owners to cap")
    supply = independent_supply(england(public))
    as_of = public.latest_ofsted.as_of.isoformat()
    margins = read_margins(margins_file, supply, as_of)
    progress(f"Capping {len(margins)} margin rows at {params.cap:.0%} on Ofsted's owners at {as_of}")
    result = national_cap(supply, margins, params)
    table = None
    if sweep:
        table = pd.DataFrame([national_cap(supply, margins, CapParams(c, params.exit_margin, params.exit_spread))
                              .summary for c in sweep])
    record = {"job": "national_profit_cap", "rcc_version": metadata.version("rcc"),
              "started_at": started.isoformat(timespec="seconds"), "data_dir": str(public.folder),
              "sources": public.sources() | {"margins": [str(margins_file)]}, "supply_as_of": as_of,
              "parameters": {"cap": params.cap, "exit_margin": params.exit_margin,
                             "exit_spread": params.exit_spread, "sweep": sweep or []},
              "summary": result.summary, "notes": list(result.notes),
              "sweep": table.to_dict("records") if table is not None else []}
    return NationalCapResult(result, table, record)
