"""What every job shares: the region it works on (a folder loaded and validated, or a Region already loaded) and
the header every run record starts with."""

from __future__ import annotations

import hashlib
import platform
from datetime import date, datetime
from importlib import metadata
from pathlib import Path

import pandas as pd

from data.load import load_region
from data.region import Region


def loaded(source: Path | Region, progress, today: date | None = None, job: str = "") -> Region:
    """The jobs take a folder (the CLI) or a Region already loaded (the monthly batch and the dashboard, which load
    once and run several jobs, or edit controls before re-solving). A region without what the job needs (no child
    to match, no history to forecast) stops here with what to add."""
    if not isinstance(source, Region):
        progress(f"Loading and validating {source}")
        # a match needs no SSDA903 history; nationally reading it is most of the load
        source = load_region(source, today=today, history=job != "match")
    source.require(job)
    return source


def run_header(job: str, started: datetime, region: Region) -> dict:
    """What every run record starts with: the job, when, which code, and exactly which input."""
    return {"job": job, "started_at": started.isoformat(timespec="seconds"), "rcc_version": metadata.version("rcc"),
            "python": platform.python_version(),
            "input": {"source": region.source, "input_hash": region.input_hash,
                      "warnings": int((region.issues["severity"] == "warning").sum()),
                      "flags": int((region.issues["severity"] == "flag").sum()),
                      **({} if region.history_read else
                         {"ssda903_history": "not read (a match needs none): its checks are not in these counts"})}}


def demand_record(demand: pd.DataFrame) -> dict:
    """Which forecast a run used: its months, councils and a hash of its rows (the same table, the same hash)."""
    digest = hashlib.sha256(pd.util.hash_pandas_object(demand, index=False).to_numpy().tobytes()).hexdigest()
    return {"months": [f"{demand['month'].min():%Y-%m}", f"{demand['month'].max():%Y-%m}"],
            "councils": int(demand["la_code"].nunique()), "rows": len(demand), "hash": digest[:16]}
