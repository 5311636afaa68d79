"""A worker process that runs one stage at a time beside the monthly batch's main line, so both cores work.

The worker is a fresh interpreter (`python -m app.batch.beside`), not a fork: a fork copies the parent's memory but not
its threads, and HiGHS keeps a pool of threads once it has solved anything, so a process forked from one that had
solved a model (the dashboard, a test session, a second run in one process) spun forever in its first solve. Nor is
it multiprocessing's "spawn", which re-runs the caller's main script in the worker (an analyst's script without an
`if __name__ == "__main__"` guard would fail). Jobs and their results cross a pipe by pickle. A job is sent from a
thread, so the main line goes on while the worker is still starting (its imports take a few seconds) and reading
it. One job at a time: the main line collects a job's result before it hands over the next, so neither side can
block the other on a full pipe.

The worker dies with the batch (Linux's parent-death signal): a batch killed at any moment leaves nothing running
that could still write into its staging folder.

It is an executor like every other in rcc (app/executors.py: `submit(fn, ...)` returns a concurrent.futures
Future), so the monthly batch runs its stages beside on whichever executor it is given: this one by default, an
InlineExecutor inside a sweep's cell. It is not a one-worker Dask LocalCluster because, measured on the embedded
region's monthly batch (README, "Sweeps"), a LocalCluster takes longer to start than this worker (and blocks the
batch while it does, where this one starts behind the main line), adds a scheduler, a nanny and their threads to a
batch whose target is 30 s on 2 cores, and leaves the clean-up of a killed batch's workers to their own watch of
the parent rather than the kernel's parent-death signal.
"""

from __future__ import annotations

import concurrent.futures as cf
import ctypes
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from multiprocessing.connection import Connection, Pipe
from typing import Any, Callable

PR_SET_PDEATHSIG = 1  # prctl option: the signal this process gets when its parent dies


class Beside(cf.Executor):
    """Usage: `with Beside() as side: side.start(fn, *args); ...; value, seconds = side.result()`, or as any
    executor: `future = side.submit(fn, *args)`; `future.result()`. `fn` must be importable by name (a module-level
    function), and its arguments and result picklable. One job at a time."""

    slots = 1

    def __init__(self) -> None:
        self._connection, child = Pipe()
        # the worker imports what this process can: the job's function is pickled by module and name
        paths = [os.path.abspath(p or os.curdir) for p in sys.path]
        self._process = subprocess.Popen(
            [sys.executable, "-m", "app.batch.beside", str(child.fileno()), str(os.getpid())],
            pass_fds=(child.fileno(),), env=os.environ | {"PYTHONPATH": os.pathsep.join(paths)})
        child.close()
        self._sender: threading.Thread | None = None
        self._send_error: BaseException | None = None

    def start(self, job: Callable, *args: Any, **kwargs: Any) -> None:
        if self._sender is not None:
            raise RuntimeError("the worker beside the main line takes one job at a time: collect the last result")
        self._send_error = None
        self._sender = threading.Thread(target=self._send, args=((job, args, kwargs),), daemon=True)
        self._sender.start()

    def _send(self, message: tuple) -> None:
        try:
            self._connection.send(message)
        except BaseException as exc:  # noqa: BLE001 - raised in the main line by result()
            self._send_error = exc

    def submit(self, fn: Callable, /, *args: Any, **kwargs: Any) -> cf.Future:
        """The job as a future: its value (the seconds it ran are left out, as every executor's), or its exception.
        A thread collects the answer, so the future is done when the worker has answered."""
        self.start(fn, *args, **kwargs)
        future: cf.Future = cf.Future()
        future.set_running_or_notify_cancel()

        def collect() -> None:
            try:
                future.set_result(self.result()[0])
            except BaseException as exc:  # noqa: BLE001 - raised by future.result() in the caller
                future.set_exception(exc)

        threading.Thread(target=collect, daemon=True).start()
        return future

    def running(self) -> int:
        return int(self._sender is not None)

    def describe(self) -> str:
        return "one worker process beside this one"

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self.close()

    def result(self) -> tuple[Any, float]:
        """The job's return value and the seconds it ran; its exception, raised here, if it failed."""
        if self._sender is None:
            raise RuntimeError("no job was started beside the main line")
        self._sender.join()
        self._sender = None
        if self._send_error is not None:
            raise RuntimeError("the job could not be handed to the worker beside the main line") from self._send_error
        try:
            ok, value, seconds, remote_traceback = self._connection.recv()
        except EOFError:
            raise RuntimeError("the worker process beside the main line ended without an answer (exit code "
                               f"{self._process.wait()})") from None
        if not ok:
            raise value from _RemoteTraceback(remote_traceback)
        return value, seconds

    def close(self) -> None:
        """Stop the worker, whatever it is doing: on failure the batch's staging folder is about to be deleted."""
        if self._process is not None:
            self._process.kill()  # a no-op on a process that has ended
            self._process.wait()
            self._connection.close()
            self._process = None

    def __enter__(self) -> Beside:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class _RemoteTraceback(Exception):
    def __init__(self, text: str):
        super().__init__(f"\n\nin the worker process beside the main line:\n{text}")


def _serve(connection, parent: int) -> None:
    _die_with_parent(parent)
    while True:
        try:
            job, args, kwargs = connection.recv()
        except EOFError:  # the batch closed its end: finished
            return
        clock = time.perf_counter()
        try:
            outcome = (True, job(*args, **kwargs), time.perf_counter() - clock, "")
        except Exception as exc:  # noqa: BLE001 - handed to the main line, which decides
            outcome = (False, exc, time.perf_counter() - clock, traceback.format_exc())
        try:
            connection.send(outcome)
        except Exception as exc:  # noqa: BLE001 - a result or exception that cannot be pickled
            connection.send((False, RuntimeError(f"{type(exc).__name__}: {exc}"), outcome[2], outcome[3]))


def _die_with_parent(parent: int) -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError, TypeError):  # not Linux: the worker ends when the batch closes its pipe
        return
    if os.getppid() != parent:  # the batch died before the signal was asked for
        os._exit(1)


if __name__ == "__main__":
    _serve(Connection(int(sys.argv[1])), int(sys.argv[2]))
