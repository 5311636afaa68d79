"""Publishing a month's files so that no kill, at any instant, leaves OUT/<month>/ half one run and half another.

Each run's files are written to a folder of their own, `OUT/.runs/<month>.<run id>/`, which is complete before
anything points at it (it is a staging folder renamed when every file is in). `OUT/<month>` is a symbolic link to
the published run's folder, and publishing replaces the link in one rename, which the operating system does
atomically: a reader sees the old run's folder or the new one, never a mix, and never nothing. The batch commits
the run to the store first and publishes after, so a published folder is always a committed run; a kill between
the two leaves the previous month folder as it was, and the next run of the month, finding the run in the store,
publishes it from the bytes the store keeps of every file.

Where symbolic links cannot be made (Windows without the privilege), OUT/<month>/ is a plain folder replaced by
two renames; the old one is kept until the new is in place, and a half-done swap is repaired on the next run.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from app.history.store import RunStore
from app.outputs import RECORD_FILES, output

RUN_RECORD = RECORD_FILES["monthly"]
RUNS_FOLDER = ".runs"


def run_folder(out_dir: Path, month: str, run_id: str) -> Path:
    return out_dir / RUNS_FOLDER / f"{month}.{run_id}"


def staging_folder(out_dir: Path, month: str, run_id: str) -> Path:
    """Where one batch writes its files: this process's own, so two batches never share one."""
    return out_dir / RUNS_FOLDER / f"{month}.{run_id}.partial-{os.getpid()}"


def published_run_id(month_dir: Path) -> str | None:
    try:
        return json.loads((month_dir / RUN_RECORD).read_text())["run_id"]
    except (OSError, ValueError, KeyError):
        return None


def seal(staging: Path, folder: Path) -> Path:
    """The staging folder, every file in, becomes the run's folder (an earlier, killed attempt's goes first)."""
    if folder.exists():
        shutil.rmtree(folder)
    staging.rename(folder)
    return folder


def folder_files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


def publish(folder: Path, month_dir: Path, progress=lambda message: None) -> None:
    """Make OUT/<month> the run folder `folder`, in one atomic step; then clear the month's other run folders."""
    progress(f"publishing {month_dir.name}: pointing it at {folder.name}")
    _repair_half_swap(month_dir)
    if month_dir.exists() and not month_dir.is_symlink():
        # a month folder from before runs had folders of their own: it becomes one, then the link replaces it
        month_dir.rename(month_dir.parent / RUNS_FOLDER / f"{month_dir.name}.earlier")
    link = month_dir.parent / f".{month_dir.name}.link-{os.getpid()}"
    try:
        if link.is_symlink():
            link.unlink()
        link.symlink_to(Path(RUNS_FOLDER) / folder.name, target_is_directory=True)
    except (OSError, NotImplementedError):
        _swap_folders(folder, month_dir)
        return
    os.replace(link, month_dir)
    progress(f"published {month_dir.name}")
    _clear_others(month_dir, folder)


def publish_from_store(store: RunStore, run_id: str, month_dir: Path, progress=lambda message: None) -> None:
    """Rebuild OUT/<month>/ from the store (a run committed but killed before it was published, or files someone
    deleted): every file as the run published it, byte for byte; for a run stored before rcc kept its files, the
    stored tables as their registered files and the run record."""
    out_dir, month = month_dir.parent, month_dir.name
    staging = staging_folder(out_dir, month, run_id)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    files = store.files(run_id)
    if files:
        for name, content in files.items():
            (staging / name).write_bytes(content)
    else:
        for name in store.tables(run_id):
            store.table(run_id, name).to_csv(staging / output(name).file, index=False)
        (staging / RUN_RECORD).write_text(json.dumps(store.run(run_id), indent=2, default=str) + "\n")
    publish(seal(staging, run_folder(out_dir, month, run_id)), month_dir, progress)


def discard(staging: Path) -> None:
    shutil.rmtree(staging, ignore_errors=True)


def _clear_others(month_dir: Path, kept: Path) -> None:
    """The month's other run folders and anything a killed batch left (its links, its staging folders)."""
    runs = month_dir.parent / RUNS_FOLDER
    for path in runs.glob(f"{month_dir.name}.*"):
        if path != kept and ".partial-" not in path.name:
            shutil.rmtree(path, ignore_errors=True)
    for path in month_dir.parent.glob(f".{month_dir.name}.link-*"):
        path.unlink(missing_ok=True)


def _swap_folders(folder: Path, month_dir: Path) -> None:
    previous = month_dir.parent / f".{month_dir.name}.previous"
    shutil.rmtree(previous, ignore_errors=True)
    if month_dir.exists():
        month_dir.rename(previous)
    shutil.copytree(folder, month_dir)
    shutil.rmtree(previous, ignore_errors=True)


def _repair_half_swap(month_dir: Path) -> None:
    """Without symbolic links a kill between the two renames leaves the old folder aside: put it back."""
    previous = month_dir.parent / f".{month_dir.name}.previous"
    if previous.exists() and not month_dir.exists():
        previous.rename(month_dir)
