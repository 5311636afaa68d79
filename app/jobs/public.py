"""The public-data jobs: a region folder for any councils, and England's market picture. Each reads a folder of
published files and returns a result holding every table it made and its run record; it writes nothing (the
writers below, and app/outputs.py, do)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import pandas as pd

from data.public.read import PublicData, read_public_data
from data.public.region import PublicRegion, build_public_region
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
                "issues": self.issues}


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
