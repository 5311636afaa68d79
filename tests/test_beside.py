"""The worker beside the monthly batch's main line: results and failures come back, and it dies with the batch."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from app.batch.beside import Beside

ROOT = Path(__file__).resolve().parent.parent


def whose_process(value):
    return os.getpid(), value * 2


def fails(message):
    raise ValueError(message)


def report_and_wait(path):
    Path(path).write_text(str(os.getpid()))
    time.sleep(60)


def test_jobs_run_in_another_process_one_at_a_time_and_return_their_values():
    with Beside() as side:
        side.start(whose_process, 21)
        with pytest.raises(RuntimeError, match="one job at a time"):
            side.start(whose_process, 1)
        (pid, doubled), _ = side.result()  # the seconds it ran are the summary's figure, not checked here
        assert pid != os.getpid() and doubled == 42
        side.start(whose_process, value=5)  # the same worker takes the next job
        (again, ten), _ = side.result()
        assert again == pid and ten == 10


def test_a_failure_beside_is_raised_with_the_worker_traceback():
    with Beside() as side:
        side.start(fails, "bad month")
        with pytest.raises(ValueError, match="bad month") as raised:
            side.result()
    assert "in the worker process beside the main line" in str(raised.value.__cause__)
    assert "fails" in str(raised.value.__cause__)


def test_closing_stops_a_running_job():
    side = Beside()
    side.start(time.sleep, 60)
    process = side._process
    side.close()
    assert process.poll() is not None


KILLED_BATCH = textwrap.dedent("""
    import os, signal, sys, time
    sys.path.insert(0, "tests")
    from app.batch.beside import Beside
    from test_beside import report_and_wait

    side = Beside()
    side.start(report_and_wait, sys.argv[1])
    while not os.path.exists(sys.argv[1]) or not open(sys.argv[1]).read():
        time.sleep(0.05)
    os.kill(os.getpid(), signal.SIGKILL)
""")


def test_the_worker_dies_when_the_batch_is_killed(tmp_path):
    """A batch killed mid-run must leave nothing running that could still write into its staging folder."""
    assert Path(f"/proc/{os.getpid()}/stat").is_file(), "this check reads /proc: without it, it cannot check"
    pid_file = tmp_path / "worker.pid"
    done = subprocess.run([sys.executable, "-c", KILLED_BATCH, str(pid_file)], cwd=ROOT, timeout=60)
    assert done.returncode == -signal.SIGKILL
    worker = int(pid_file.read_text())
    for _ in range(100):
        if not _alive(worker):
            break
        time.sleep(0.05)
    assert not _alive(worker), "the worker outlived the killed batch"


def test_the_liveness_check_sees_a_live_process_and_a_reaped_one():
    """The check the test above relies on says alive for a sleeping process and not alive once it is reaped, so
    the test above cannot pass because the check cannot see processes."""
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert _alive(sleeper.pid) and _alive(os.getpid())
    finally:
        sleeper.kill()
        sleeper.wait()
    assert not _alive(sleeper.pid)


def _alive(pid: int) -> bool:
    """Whether the process exists and has not ended. Only "no such process" means ended: any other failure to
    check (no /proc, no permission) raises, so a test that cannot check fails instead of passing."""
    try:
        os.kill(pid, 0)  # signal 0: existence only
    except ProcessLookupError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        if not Path("/proc/self/stat").is_file():
            raise
        return False  # it ended between the two checks
    state = stat.rsplit(")", 1)[1].split()[0]
    return state != "Z"  # a zombie has ended; it waits only for its (dead) parent's reaper
