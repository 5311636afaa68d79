"""Publishing a month's files so that no kill, at any instant, leaves OUT/<month>/ half one run and half another.

Each run's files are written to a folder of their own, `OUT/.runs/<month>.<run id>/`, which is complete before
anything points at it (it is a staging folder renamed when every file is in). `OUT/<month>` is a symbolic link to
the published run's folder, and publishing replaces the link in one rename, which the operating system does
atomically: a reader sees the old run's folder or the new one, never a mix, and never nothing. The batch commits
the run to the store first and publishes after, so a published folder is always a committed run; a kill between
the two leaves the previous month folder as it was, and the next run of the month, finding the run in the store,
publishes it from the bytes the store keeps of every file.

A month folder from before runs had folders of their own (a plain folder) is exchanged with the link in one step
where the system can (Linux's renameat2); elsewhere it is moved aside and the link renamed in, and a kill between
the two is repaired on the next run.

Where symbolic links cannot be made (Windows without the privilege), OUT/<month>/ is a plain folder: the run's files
are copied beside it, then two renames put the old one aside and the copy in its place; a kill between the two
leaves the old one whole beside the month's name, and the next run puts it back before publishing.
"""

from __future__ import annotations

import ctypes
import errno
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
    link = month_dir.parent / f".{month_dir.name}.link-{os.getpid()}"
    try:
        _remove(link)
        link.symlink_to(Path(RUNS_FOLDER) / folder.name, target_is_directory=True)
    except (OSError, NotImplementedError):
        _swap_folders(folder, month_dir)
    else:
        if month_dir.is_dir() and not month_dir.is_symlink():
            _replace_folder_with_link(month_dir, link)
        else:
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


def tidy(month_dir: Path) -> None:
    """What a kill after publishing left (the month's earlier run folders, stray links): cleared, keeping the
    folder OUT/<month> is."""
    if month_dir.is_symlink():
        _clear_others(month_dir, month_dir.resolve())


def _clear_others(month_dir: Path, kept: Path) -> None:
    """The month's other run folders and anything a killed batch left (its links, copies, staging folders). Best
    effort: the month is published already, and a file a reader holds open (Windows) is left for next time."""
    runs = month_dir.parent / RUNS_FOLDER
    leftovers = [path for path in runs.glob(f"{month_dir.name}.*") if path != kept and ".partial-" not in path.name]
    for pattern in (".link-*", ".incoming-*"):
        leftovers += month_dir.parent.glob(f".{month_dir.name}{pattern}")
    for path in leftovers:
        try:
            _remove(path)
        except OSError:
            pass


def _remove(path: Path) -> None:
    """A file, a link (never what it points at) or a folder, whichever `path` is; nothing if it is not there."""
    if path.is_symlink() or path.is_file():
        path.unlink(missing_ok=True)
    elif path.is_dir():
        shutil.rmtree(path)


def _replace_folder_with_link(month_dir: Path, link: Path) -> None:
    """A month folder from before runs had folders of their own gives way to the link. In one step where the
    system can exchange two names (the old folder then sits at the link's name until the clean-up removes it);
    elsewhere in two, moved aside into OUT/.runs/<month>.earlier and the link renamed in (_repair_half_swap puts
    it back if a kill comes between)."""
    if _exchange(link, month_dir):
        return
    earlier = month_dir.parent / RUNS_FOLDER / f"{month_dir.name}.earlier"
    _remove(earlier)
    month_dir.rename(earlier)
    os.replace(link, month_dir)


AT_FDCWD, RENAME_EXCHANGE = -100, 2  # Linux's renameat2: relative to the working folder; swap the two names


def _exchange(a: Path, b: Path) -> bool:
    """Swap the two names in one atomic step; False where the system cannot (not Linux, an old kernel or C
    library, a file system without it)."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError, TypeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(a), None, str(b))


def _swap_folders(folder: Path, month_dir: Path) -> None:
    """Without symbolic links: the run's files copied beside OUT/<month>, then two renames, the old folder aside
    and the copy in; a kill between them leaves the old one whole at .<month>.previous for _repair_half_swap."""
    incoming = month_dir.parent / f".{month_dir.name}.incoming-{os.getpid()}"
    previous = month_dir.parent / f".{month_dir.name}.previous"
    _remove(incoming)
    shutil.copytree(folder, incoming)
    _remove(previous)
    if os.path.lexists(month_dir):
        month_dir.rename(previous)
    incoming.rename(month_dir)
    _remove(previous)


def _repair_half_swap(month_dir: Path) -> None:
    """A kill between two renames left the old month folder aside (without symbolic links, or where a plain month
    folder could not be exchanged with the link in one step): put it back."""
    for aside in (month_dir.parent / f".{month_dir.name}.previous",
                  month_dir.parent / RUNS_FOLDER / f"{month_dir.name}.earlier"):
        if aside.is_dir() and not aside.is_symlink() and not os.path.lexists(month_dir):
            aside.rename(month_dir)
