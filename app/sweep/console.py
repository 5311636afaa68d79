"""A sweep at a terminal: one progress bar (cells done, running, failed, reused), each failed cell on its own line
with its error as it happens, every message in a log file under OUT/logs/, then the comparison written (sweep.xlsx,
sweep_cells.csv, sweep_run.json)."""

from __future__ import annotations

import traceback
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from app.runlog import run_log
from app.sweep.compare import SweepResult, sweep_result
from app.sweep.run import Progress as Counts
from app.sweep.run import SweepRun, run_sweep
from app.sweep.spec import Spec


def executor_for(workers: int | None, scheduler: str | None):
    from app.executors import DaskExecutor, InlineExecutor

    if workers == 0 and not scheduler:
        return InlineExecutor()
    return DaskExecutor(workers=workers, scheduler=scheduler)


def run_with_progress(spec: Spec, out: Path, workers: int | None, scheduler: str | None,
                      monthly_out: Path | None = None) -> tuple[SweepRun, SweepResult, Path]:
    """(the run, its comparison, the log file). Raises what run_sweep raises (a busy store, a bad region)."""
    from app.outputs import write_result

    console = Console(stderr=True)
    with run_log(out, "sweep") as (write_log, log_path):
        with Progress(TextColumn("cells"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.description}"),
                      TimeElapsedColumn(), console=console, transient=False) as bar:
            task = bar.add_task("starting the workers", total=None)

            def progress(message: str) -> None:
                write_log(message)
                bar.console.log(message)

            def on_progress(state: Counts) -> None:
                bar.update(task, total=state.total, completed=state.done + state.failed + state.reused,
                           description=f"done {state.done}, running {state.running}, failed {state.failed}, "
                                       f"reused {state.reused}, waiting {state.waiting}")

            def on_cell(cell, outcome) -> None:
                where = f"{cell.region.name} / {cell.job} / {cell.label}"
                if outcome.status == "ok":
                    write_log(f"cell {cell.cell_id} ({where}) done in {outcome.seconds:.1f} s on {outcome.worker}")
                else:
                    progress(f"FAILED cell {cell.cell_id} ({where}): {outcome.error}")
                    if outcome.traceback:
                        write_log(outcome.traceback)

            made = []

            def executor():
                where = scheduler or f"{workers or 'one per core'} local worker process(es)"
                progress("Starting " + ("a serial run in this process" if workers == 0 and not scheduler else
                                        f"Dask: {where}"))
                made.append(executor_for(workers, scheduler))
                return made[0]

            try:
                run = run_sweep(spec, out, executor, progress, on_progress, on_cell, monthly_out=monthly_out)
            except Exception:
                write_log("failure:\n" + traceback.format_exc())
                raise
            finally:
                for each in made:
                    each.shutdown()
        result = sweep_result(run)
        written = write_result(result, out)
        write_log("wrote " + ", ".join(str(p) for p in written.values()))
    return run, result, log_path
