"""The flags job: unlawful placements with step-down proposals, profit and fee outliers, concentration and the
provider-exit stress test, with their evidence tables."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from app.jobs.common import loaded, run_header
from data.region import Region
from optimiser.flags import FlagParams, Flags, find_flags
from optimiser.flags.unlawful import Proposals
from optimiser.match.params import MatchParams


@dataclass(frozen=True)
class FlagsResult:
    flags: Flags
    summary: dict
    record: dict
    job: str = field(default="flags", init=False)

    def tables(self) -> dict[str, pd.DataFrame]:
        f = self.flags
        tables = {"flags": f.table, "unregistered_summary": f.unregistered_summary,
                  "liberty_summary": f.liberty_summary, "margins": f.margins,
                  "fees": f.fees.table, "concentration": f.markets, "difficult_to_replace": f.replace,
                  "fragility": f.fragility, "group_quality": f.quality}
        if f.stress is not None:
            tables["stress_test"] = f.stress.displaced
        return tables


def run_flags(source: Path | Region, params: FlagParams | None = None, match_params: MatchParams | None = None,
              run_date: date | None = None, progress=lambda message: None, match=None) -> FlagsResult:
    """Every market flag of the region on `run_date`. `match` is this month's regional match when already made
    (its allocations are the step-down proposals, so the region is not solved twice)."""
    params = params or FlagParams()
    started = datetime.now(UTC)
    run_date = run_date or started.date()
    region = loaded(source, progress, run_date, job="flags")
    proposals = None if match is None else Proposals(
        allocations=match.result.allocations, result=match.result,
        step_down_added=match.summary["step_down_referrals_added"])
    flags = find_flags(region, params, run_date, match_params, progress, proposals)
    summary = flags.summary()
    record = {
        **run_header("flags", started, region),
        "run_date": run_date.isoformat(),
        "parameters": params.to_dict(),
        "match_parameters": (match_params or MatchParams()).to_dict(),
        "timings": flags.timings,
        "summary": summary,
    }
    return FlagsResult(flags, summary, record)
