"""One way to run jobs in parallel: `concurrent.futures.Executor`. `submit(fn, *args, **kwargs)` returns a
`concurrent.futures.Future`; `fn` must be importable by name (a module-level function) and its arguments and
result picklable, since every executor but the inline one runs it in another process.

- `InlineExecutor`: runs each job at once, in this process (the serial reference a sweep is checked against, and
  what the monthly batch uses inside a sweep's cell, where the cluster's workers already fill the cores).
- `DaskExecutor`: dask.distributed, on a LocalCluster of N worker processes (one thread each) or on an existing
  scheduler's address (`dask scheduler`, dask-kubernetes, dask-jobqueue): what `rcc sweep` runs its cells on.
- `app.batch.beside.Beside`: the monthly batch's second process (one job at a time, a fresh interpreter, killed
  with the batch); see its docstring for why it is not a one-worker Dask cluster.

Every executor also says how many jobs are running now (`running()`) and how many it runs at once (`slots`), so
one progress display serves them all.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import os
import time
from typing import Any, Callable

DEFAULT_RETRIES = 0  # a cell's own failure is deterministic: retrying it would fail again (worker deaths are
#                      rescheduled by Dask anyway, up to distributed.scheduler.allowed-failures times)


def timed_call(job: Callable, *args: Any, **kwargs: Any) -> tuple[Any, float]:
    """The job's value and the seconds it ran, measured where it ran (so queueing and transfer are not counted)."""
    clock = time.perf_counter()
    return job(*args, **kwargs), time.perf_counter() - clock


class InlineExecutor(cf.Executor):
    """Runs each job when it is submitted, in the calling thread; the future comes back already done."""

    slots = 1

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> cf.Future:
        future: cf.Future = cf.Future()
        future.set_running_or_notify_cancel()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to whoever reads the future, as any executor does
            future.set_exception(exc)
        return future

    def running(self) -> int:
        return 0

    def describe(self) -> str:
        return "serial, in this process"


try:
    from distributed.diagnostics.plugin import WorkerPlugin
except ImportError:  # without distributed only the inline executor and the batch's second process exist
    WorkerPlugin = object


class OneCoreEach(WorkerPlugin):
    """Each Dask worker solves with one HiGHS thread: a worker is one process per core already, and HiGHS sizes
    its thread pool by the cores the process may use (optimiser/highs.py), so two workers on two cores would run
    four spinning solver threads (measured: each cell about 3 times slower). Set when the worker starts, before
    any cell imports the solvers, and again on a worker the nanny restarts."""

    def setup(self, worker) -> None:
        import optimiser.highs

        optimiser.highs.HIGHS_THREADS = 1


class DaskExecutor(cf.Executor):
    """dask.distributed behind the Executor interface. `workers` processes on this machine (a LocalCluster,
    processes=True, threads_per_worker=1: rcc's solvers and numba hold the GIL or their own threads, so one job per
    process), or the cluster whose scheduler listens at `scheduler` (tcp://HOST:8786). Jobs are submitted impure
    (each call runs), under `key` when given, so the scheduler's view names each cell."""

    def __init__(self, workers: int | None = None, scheduler: str | None = None, retries: int = DEFAULT_RETRIES,
                 quiet: bool = True):
        from distributed import Client, LocalCluster

        self.retries = retries
        self.cluster = None
        if scheduler:
            self.client = Client(scheduler)
        else:
            # Dask spawns its workers (a fork would copy this process's solver threads: app/batch/beside.py), and
            # spawning imports the caller's main script in each worker: a script that starts a sweep keeps its work
            # under `if __name__ == "__main__":`, as `rcc` does.
            workers = workers or max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                                     else os.cpu_count() or 1)
            # No dashboard; the scheduler's own HTTP routes (health, metrics) still listen, and on a port the
            # system picks, not dask's default 8787, which another sweep or program on the machine may hold.
            self.cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                        dashboard_address=None, scheduler_kwargs={"dashboard_address": ":0"},
                                        silence_logs=logging.ERROR if quiet else logging.INFO)
            self.client = Client(self.cluster)
        self.client.register_plugin(OneCoreEach(), name="rcc-one-core-each")

    @property
    def slots(self) -> int:
        return max(1, sum(self.client.nthreads().values()))

    def submit(self, fn: Callable, /, *args: Any, key: str | None = None, **kwargs: Any) -> cf.Future:
        remote = self.client.submit(fn, *args, key=key, pure=False, retries=self.retries, **kwargs)
        future: cf.Future = cf.Future()
        future.set_running_or_notify_cancel()
        future.dask_future = remote  # for cancelling, and for tests that look at the scheduler

        def settle(done) -> None:
            try:
                future.set_result(done.result())
            except BaseException as exc:  # noqa: BLE001 - a failed job, a lost worker, a cancelled future
                future.set_exception(exc)

        remote.add_done_callback(settle)
        return future

    def running(self) -> int:
        """Jobs a worker is computing now (the scheduler may have handed a worker one more to start next)."""
        try:
            threads = self.client.nthreads()
            return sum(min(len(keys), threads.get(worker, 1)) for worker, keys in self.client.processing().items())
        except Exception:  # noqa: BLE001 - a progress figure only: a busy or reconnecting scheduler says nothing
            return 0

    def worker_pids(self) -> dict[str, int]:
        """Each worker's address and process id (a test kills one by its pid)."""
        return self.client.run(os.getpid)

    def describe(self) -> str:
        workers = len(self.client.nthreads())
        where = f"scheduler {self.client.scheduler.address}" if self.cluster is None else "a LocalCluster"
        return f"dask.distributed, {workers} worker(s) on {where}"

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
