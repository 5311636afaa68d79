"""The log file a long command keeps under OUT/logs/ (the monthly batch, a sweep): one timestamped line per
message, flushed as it is written, so a run that is killed still leaves what it got to."""

from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator


@contextmanager
def run_log(out: Path, kind: str) -> Iterator[tuple[Callable[[str], None], Path]]:
    """(write a line, the log's path) for OUT/logs/KIND-<time>.log, open for the block."""
    log_path = out / "logs" / f"{kind}-{time.strftime('%Y%m%dT%H%M%S')}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        def write_log(message: str) -> None:
            log.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {message}\n")
            log.flush()

        yield write_log, log_path
