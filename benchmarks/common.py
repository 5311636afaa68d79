"""What every benchmark needs: the region to run on (the embedded one, or synthesised on the fly) and memory."""

from __future__ import annotations

import resource
import time
from pathlib import Path

from data import EMBEDDED_REGION as EMBEDDED


def region_folder(name: str, seed: int, workdir: Path, verbose: bool = True) -> Path:
    """The embedded region for greater-manchester seed 7 (identical by test), else a freshly written synthetic one."""
    if name == "greater-manchester" and seed == 7:
        return EMBEDDED
    from data.synthetic import generate, write

    started = time.perf_counter()
    folder = workdir / f"{name}-{seed}"
    progress = (lambda m: print(f"  synth: {m}", flush=True)) if verbose else None
    write(generate(name, seed, progress=progress), folder)
    if verbose:
        print(f"synthesised {name} (seed {seed}) in {time.perf_counter() - started:.1f} s", flush=True)
    return folder


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
