"""The replan job (`rcc what-if replan`): every child in care re-matched by the regional match, against where they
live today (optimiser.match.replan), as one region or per RCC."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd

from app.jobs.common import loaded, run_header
from data.region import Region
from optimiser.match.params import MatchParams
from optimiser.match.replan import Replan, replan


@dataclass(frozen=True)
class ReplanJob:
    replan: Replan
    record: dict
    job: str = field(default="replan", init=False)

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"replan_children": self.replan.children, "replan_councils": self.replan.councils,
                "replan_areas": self.replan.areas}


def english_regions(region: Region) -> pd.Series:
    """la_code -> the council's ONS English region, from the register of councils: the RCCs when no table says."""
    from data.authorities import register

    table = register().table.drop_duplicates("la_code").set_index("la_code")
    return region.authorities["la_code"].map(table["region_name"]).set_axis(region.authorities["la_code"])


def read_membership(path: Path) -> pd.Series:
    """la_code -> rcc from a CSV with those two columns (one row per council)."""
    table = pd.read_csv(path, dtype=str)
    missing = {"la_code", "rcc"} - set(table.columns)
    if missing:
        raise ValueError(f"{path}: the RCC membership table needs columns la_code and rcc (missing "
                         f"{', '.join(sorted(missing))})")
    repeated = table["la_code"][table["la_code"].duplicated()].unique()
    if len(repeated):
        raise ValueError(f"{path}: a council belongs to one RCC; listed more than once: {', '.join(repeated[:5])}")
    return table.set_index("la_code")["rcc"].str.strip()


def run_replan(source: Path | Region, params: MatchParams, move_threshold: float, membership: pd.Series | None = None,
               progress=lambda message: None, run_date: date | None = None, executor=None,
               folder: Path | None = None) -> ReplanJob:
    """Re-match every child in the children table (per RCC with `membership`), verified, against today. With
    `executor`, the areas run as its jobs, each loading the region from `folder` (or sent it)."""
    started = datetime.now(UTC)
    run_date = run_date or started.date()
    region = loaded(source, progress, run_date, job="match")
    areas = "one region" if membership is None else f"{membership.nunique()} RCCs"
    progress(f"Re-matching all {len(region.children):,} children in care as {areas} against {len(region.settings):,} "
             f"settings (a move must save £{move_threshold:,.0f} a week; {params.solver}, time limit "
             f"{params.time_limit_s:g} s per area)")
    result = replan(region, params, move_threshold, run_date, membership, progress, executor,
                    folder or (source if isinstance(source, Path) else None))
    total = result.councils.set_index("la_code").iloc[-1]
    record = {
        **run_header("replan", started, region), "run_date": run_date.isoformat(),
        "parameters": params.to_dict() | {"move_threshold": move_threshold, "by": "one region" if membership is None
                                          else "rcc"},
        "areas": result.areas.to_dict("records"), "gap": result.gap,
        "timings": {k: round(v, 3) for k, v in result.timings.items()},
        "verification": {"violations": 0},
        "summary": {k: (v.item() if hasattr(v, "item") else v) for k, v in total.items() if k != "rcc"},
    }
    return ReplanJob(result, record)
