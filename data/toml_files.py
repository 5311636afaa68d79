"""Parameter and scenario files: one way to read a TOML file into a validated object."""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")


class ParameterError(ValueError):
    """Parameters that cannot be used: a bad file, an unknown key, a value out of range, or values that cannot
    work with this region's data (a penalty below its costliest placement). The command line exits 2 for it."""


def load_toml(path: str | Path, build: Callable[[dict], T]) -> T:
    """Read a TOML file and build an object from its values; any problem is one ParameterError naming the file."""
    try:
        with open(path, "rb") as handle:
            values = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ParameterError(f"{path}: not valid TOML: {exc}") from None
    try:
        return build(values)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{path}: {exc}") from None


def check_parameters(name: str, checks: list[tuple[bool, str]]) -> None:
    """One ValueError listing every failed (ok, message) check of a parameters dataclass."""
    problems = [message for ok, message in checks if not ok]
    if problems:
        raise ValueError(f"invalid {name} parameters: " + "; ".join(problems))


def refuse_unknown(cls, values: dict, prefix: str = "") -> None:
    """A key in a parameters file that is no field of `cls` is a typo until proven otherwise: say which are known."""
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - known)
    if unknown:
        raise ValueError(f"unknown parameter(s) {', '.join(prefix + u for u in unknown)}; "
                         f"known: {', '.join(prefix + k for k in sorted(known))}")


def build_parameters(cls: type[T], values: dict, sections: dict[str, type] | None = None) -> T:
    """A parameters dataclass from a TOML table: unknown keys refused, naming the known ones; each nested
    [section] in `sections` built as its own dataclass, its keys checked the same way."""
    values = dict(values)
    refuse_unknown(cls, values)
    for name, section in (sections or {}).items():
        if name in values:
            if not isinstance(values[name], dict):
                raise ValueError(f"[{name}] must be a table of parameters")
            refuse_unknown(section, values[name], f"{name}.")
            values[name] = section(**values[name])
    return cls(**values)
