"""Parameter and scenario files: one way to read a TOML file into a validated object."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


def load_toml(path: str | Path, build: Callable[[dict], T]) -> T:
    """Read a TOML file and build an object from its values; any problem is one ValueError naming the file."""
    try:
        with open(path, "rb") as handle:
            values = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML: {exc}") from None
    try:
        return build(values)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{path}: {exc}") from None
