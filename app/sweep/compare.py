"""A sweep compared cell by cell: one row per cell (region, job, what it set, the headline figures, whether it was
computed now, reused from the store or failed, and why), as the job "sweep"'s result: app/outputs.py writes it as
sweep_cells.csv and sweep.xlsx (app/reports/sweep_workbook.py), and the dashboard's Sweep page shows it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import pandas as pd

from app.sweep.cells import HEADLINE
from app.sweep.run import STORE_FILE, SweepRun, read_cells

FIRST = ["region", "job", "cell", "status"]
LAST = ["seconds", "worker", "error", "cell_id"]


@dataclass(frozen=True)
class SweepResult:
    cells: pd.DataFrame
    record: dict
    job: str = field(default="sweep", init=False)

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"sweep_cells": self.cells}


def comparison(run: SweepRun) -> pd.DataFrame:
    """Every cell of the sweep in its order: stored cells from the store (computed now or reused), failed ones
    with their error."""
    ids = [c.cell_id for c in run.cells]
    stored = read_cells(run.store_path, ids)
    status = {i: "computed" for i in run.computed} | {i: "reused" for i in run.reused}
    if not stored.empty:
        stored["status"] = stored["cell_id"].map(status).fillna("stored")
    failed = pd.DataFrame([{"cell_id": c.cell_id, "region": c.region.name, "job": c.job, "cell": c.label,
                            "status": "failed", "error": run.failed[c.cell_id].error,
                            **{f"set {k}": v for k, v in c.overrides.items()},
                            "seconds": run.failed[c.cell_id].seconds or None,
                            "worker": run.failed[c.cell_id].worker}
                           for c in run.cells if c.cell_id in run.failed])
    table = pd.concat([t for t in (stored, failed) if not t.empty], ignore_index=True) if len(stored) + len(failed) \
        else pd.DataFrame(columns=FIRST + [n for n, _ in HEADLINE] + LAST)
    order = {cell_id: i for i, cell_id in enumerate(ids)}
    table = table.assign(_order=table["cell_id"].map(order)).sort_values("_order").drop(columns="_order")
    settings = sorted(c for c in table.columns if c.startswith("set "))
    columns = FIRST + [n for n, _ in HEADLINE] + settings + LAST
    for column in columns:
        if column not in table.columns:
            table[column] = None
    return table[columns].reset_index(drop=True)


def sweep_result(run: SweepRun) -> SweepResult:
    table = comparison(run)
    record = {"job": "sweep", "name": run.spec.name, "spec": str(run.spec.path),
              "finished_at": datetime.now(UTC).isoformat(timespec="seconds"), "rcc_version": metadata.version("rcc"),
              "executor": run.executor, "wall_s": round(run.wall_s, 3), "store": str(run.store_path),
              "cells": len(run.cells), "computed": len(run.computed), "reused": len(run.reused),
              "failed": [{"cell_id": c.cell_id, "region": c.region.name, "job": c.job, "cell": c.label,
                          "error": run.failed[c.cell_id].error} for c in run.cells if c.cell_id in run.failed],
              "cell_ids": [c.cell_id for c in run.cells],
              "headline": {name: about for name, about in HEADLINE}}
    return SweepResult(table, record)


def stored_comparison(folder: Path) -> tuple[pd.DataFrame, dict] | None:
    """The last sweep written into `folder` (its sweep_run.json names its cells), read back from its result store:
    (one row per cell, the sweep's record); None when no sweep has been written there."""
    record_file = Path(folder) / "sweep_run.json"
    if not record_file.exists():
        return None
    record = json.loads(record_file.read_text())
    table = read_cells(Path(record["store"]) if Path(record["store"]).exists() else Path(folder) / STORE_FILE,
                       record["cell_ids"])
    failed = pd.DataFrame([f | {"status": "failed"} for f in record.get("failed", [])])
    table = pd.concat([t for t in (table, failed) if not t.empty], ignore_index=True) if len(table) + len(failed) \
        else pd.DataFrame(columns=["cell_id"])
    order = {cell_id: i for i, cell_id in enumerate(record["cell_ids"])}
    table = table.assign(_order=table["cell_id"].map(order)).sort_values("_order").drop(columns="_order")
    table["status"] = table.get("status", pd.Series(dtype=object)).replace("ok", "stored")
    settings = sorted(c for c in table.columns if c.startswith("set "))
    columns = FIRST + [n for n, _ in HEADLINE] + settings + LAST
    for column in columns:
        if column not in table.columns:
            table[column] = None
    return table[columns].reset_index(drop=True), record
