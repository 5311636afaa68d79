"""The monthly batch at a terminal: each stage's progress on stderr, every message in a log file under OUT/logs/,
and one exit code for how it ended (as the command line promises: 1 invalid input, 3 an internal failure, 4 another
run or program holds the store; in each case nothing was written)."""

from __future__ import annotations

import sys
import traceback
from pathlib import Path

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from app.batch.monthly import Implausible, MonthError, MonthlyParams, MonthlyRun, RunInProgress, run_monthly
from app.history.store import StoreBusy
from app.runlog import run_log
from data.problems import ValidationError
from data.region import MissingData

INVALID_INPUT, INTERNAL_FAILURE, BUSY = 1, 3, 4


def run_with_progress(source: Path, month: str | None, store: Path | None, out: Path, params: MonthlyParams,
                      wait_s: float = 0.0, accept_warnings: bool = False) -> tuple[MonthlyRun | None, Path, int]:
    """(the run or None, the log file, the exit code)."""
    console = Console(stderr=True)
    with run_log(out, "monthly") as (write_log, log_path):
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
                      transient=False) as bar:
            tasks = {}

            def on_stage(stage: str, status: str, seconds: float) -> None:
                write_log(f"stage {stage}: {status}" + (f" in {seconds:.1f} s" if status == "done" else ""))
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=1)
                mark = {"done": "done", "reused": "reused from the store", "failed": "FAILED"}.get(status)
                if mark:
                    bar.update(tasks[stage], completed=1, description=f"{stage}: {mark}")

            def progress(message: str) -> None:
                write_log(message)
                bar.console.log(message)

            try:
                run = run_monthly(source, month, store, out, params, progress, on_stage, wait_s=wait_s,
                                  accept_warnings=accept_warnings)
            except (RunInProgress, StoreBusy) as exc:
                write_log(f"busy: {exc}")
                bar.stop()
                print(f"{exc}\nNothing was written. Log: {log_path}", file=sys.stderr)
                return None, log_path, BUSY
            except (ValidationError, MonthError, MissingData, Implausible) as exc:
                write_log(f"invalid input: {exc}")
                bar.stop()
                print(exc, file=sys.stderr)
                print(f"Nothing was written. Log: {log_path}", file=sys.stderr)
                return None, log_path, INVALID_INPUT
            except Exception as exc:  # noqa: BLE001 - any other failure is ours: say so, keep the store as it was
                write_log("failure:\n" + traceback.format_exc())
                bar.stop()
                print(f"internal failure in the monthly run: {type(exc).__name__}: {exc}\n"
                      f"Nothing was written: the run store and the outputs are as they were. Details: {log_path}",
                      file=sys.stderr)
                return None, log_path, INTERNAL_FAILURE
        write_log(f"run {run.run_id} {'reused' if run.reused else 'stored'}")
    return run, log_path, 0
