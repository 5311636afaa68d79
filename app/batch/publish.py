"""Publishing a month: OUT/<month>/ replaced by a run's staging folder, and rebuilt from the run store when it is
lost or older than the store's run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from app.history.store import RunStore
from app.outputs import RECORD_FILES, output

RUN_RECORD = RECORD_FILES["monthly"]


def published_run_id(month_dir: Path) -> str | None:
    try:
        return json.loads((month_dir / RUN_RECORD).read_text())["run_id"]
    except (OSError, ValueError, KeyError):
        return None


def publish_from_store(store: RunStore, run_id: str, month_dir: Path) -> None:
    """Rebuild OUT/<month>/ from the store (a run committed but killed before its files were published, or files
    someone deleted): the stored tables as their registered files and the run record."""
    staging = month_dir.parent / f".{month_dir.name}.partial"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name in store.tables(run_id):
        store.table(run_id, name).to_csv(staging / output(name).file, index=False)
    (staging / RUN_RECORD).write_text(json.dumps(store.run(run_id), indent=2, default=str) + "\n")
    swap = FolderSwap(staging, month_dir)
    swap.swap()
    swap.discard_previous()


class FolderSwap:
    """Replace OUT/<month>/ by the staging folder, keeping the old folder until the run is committed."""

    def __init__(self, staging: Path, month_dir: Path):
        self.staging, self.month_dir = staging, month_dir
        self.previous = month_dir.parent / f".{month_dir.name}.previous"
        self.swapped = False

    def swap(self) -> None:
        shutil.rmtree(self.previous, ignore_errors=True)
        if self.month_dir.exists():
            self.month_dir.rename(self.previous)
        self.staging.rename(self.month_dir)
        self.swapped = True

    def undo(self) -> None:
        if self.swapped:
            shutil.rmtree(self.month_dir, ignore_errors=True)
            if self.previous.exists():
                self.previous.rename(self.month_dir)
            self.swapped = False

    def discard_previous(self) -> None:
        shutil.rmtree(self.previous, ignore_errors=True)
