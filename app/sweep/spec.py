"""A sweep's spec (one TOML file) and the cells it expands to.

    name = "policy grid"
    jobs = ["forecast", "match", "strategy"]     # any of JOBS
    run_date = "2026-10-31"                       # optional: the day the match counts ages and waiting from
                                                  # (default: each region's extract date, as the monthly batch)
    [regions]
    folders = ["../data/regions/greater-manchester"]   # region folders or workbooks, relative to this file
    england = { seed = 1, only = ["north-west"] }      # and/or England's nine regions cut from the national
                                                       # synthetic region (app/sweep/regions.py); `only` optional
    [base]                                        # what every cell starts from: the sections of the TOML files
    horizon_months = 12                           # rcc reads (forecasts/forecast.toml, a scenario file,
    forecast = { paths = 100 }                    # optimiser/match/match.toml, optimiser/strategy.toml,
    strategy = { horizon_quarters = 4 }           # optimiser/flags.toml, [monthly]); a section may also be the
    scenario = "../forecasts/scenarios/example.toml"   # path of such a file
    [grid]                                        # every combination of these values (dotted names)
    "scenario.levers.fgdm_diversion" = [0.0, 0.052]
    "strategy.quantile" = [0.8, 0.9]
    [[cells]]                                     # and/or cells listed one by one, each on the base
    name = "distance cap"
    "match.max_distance_km" = 50

A cell is one region x one job x one set of parameters. Its key is the region's name and the hash of its files,
the job, and the hash of the parameters *that job reads* (a forecast reads no match parameter): a grid over the
match's parameters runs each region's forecast once, and a re-run finds every cell it has already stored.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from data.toml_files import ParameterError

JOBS = ("forecast", "match", "planning", "flags", "strategy", "monthly")
# The parameter sections each job reads (a cell's key hashes only these).
READS = {
    "forecast": ("horizon_months", "forecast", "scenario"),
    "match": ("match",),
    "planning": ("horizon_months", "forecast", "scenario", "match", "planning_seed"),
    "flags": ("flags", "match"),
    "strategy": ("forecast", "scenario", "match", "strategy"),
    "monthly": ("horizon_months", "monthly", "forecast", "match", "flags", "strategy"),
}
SECTIONS = ("forecast", "scenario", "match", "strategy", "flags", "monthly")
SCALARS = {"horizon_months": 24, "planning_seed": 0}
SPEC_KEYS = {"name", "jobs", "run_date", "regions", "base", "grid", "cells"}


@dataclass(frozen=True)
class RegionSource:
    name: str
    path: str  # the folder or workbook, absolute
    digest: str  # app.sweep.regions.folder_digest


@dataclass(frozen=True)
class Cell:
    """One unit of work: pure (its region's files and its parameters in, result tables out), but for the monthly
    job, which publishes into `monthly_out` as `rcc monthly` does."""
    cell_id: str
    region: RegionSource
    job: str
    label: str  # the cell's name in the spec, or its overrides in words
    overrides: dict  # the dotted parameters this cell sets, of those its job reads
    params: dict  # every parameter its job reads, resolved (defaults filled in): what is hashed
    params_hash: str
    run_date: str  # ISO date, or "" for the region's extract date
    monthly_out: str = ""

    def job_parameters(self):
        """The job's parameter objects, built (and so checked) from `params`."""
        return build_parameters(self.job, self.params)


@dataclass(frozen=True)
class Spec:
    name: str
    path: Path
    jobs: tuple[str, ...]
    run_date: str
    folders: tuple[Path, ...]
    england: dict | None
    variants: tuple[tuple[str, dict, dict], ...]  # (name or "", the dotted overrides as given, nested and read)
    base: dict = field(default_factory=dict)


def _fail(path: Path | str, message: str) -> ParameterError:
    return ParameterError(f"{path}: {message}")


def read_spec(path: Path) -> Spec:
    """The spec file read and checked; anything wrong is one ParameterError naming the file and the key."""
    path = Path(path)
    try:
        values = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise _fail(path, f"cannot read the sweep spec ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise _fail(path, f"not valid TOML: {exc}") from None
    return spec_from_dict(values, path)


def spec_from_dict(values: dict, path: Path) -> Spec:
    path = Path(path)
    here = path.resolve().parent
    unknown = sorted(set(values) - SPEC_KEYS)
    if unknown:
        raise _fail(path, f"unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(SPEC_KEYS))}")
    jobs = values.get("jobs", [])
    if isinstance(jobs, str):
        jobs = [jobs]
    bad = [j for j in jobs if j not in JOBS]
    if not jobs or bad:
        raise _fail(path, f"jobs must be a list of some of {', '.join(JOBS)} (got {jobs!r})")
    run_date = values.get("run_date", "")
    if isinstance(run_date, date):
        run_date = run_date.isoformat()
    if run_date:
        try:
            run_date = date.fromisoformat(str(run_date)).isoformat()
        except ValueError:
            raise _fail(path, f"run_date {run_date!r} is not a date: write it as YYYY-MM-DD") from None
    regions = values.get("regions", {})
    if not isinstance(regions, dict) or set(regions) - {"folders", "england"}:
        raise _fail(path, "[regions] takes folders = [...] and/or england = { seed = 1, only = [...] }")
    folders = tuple((here / Path(f)).resolve() for f in regions.get("folders", []))
    missing = [str(f) for f in folders if not f.exists()]
    if missing:
        raise _fail(path, f"region folder(s) not found: {', '.join(missing)}")
    england = regions.get("england")
    if england is not None and (not isinstance(england, dict) or set(england) - {"seed", "only"}):
        raise _fail(path, "regions.england takes seed (default 1) and only (a list of regions' names)")
    if not folders and england is None:
        raise _fail(path, "no regions: give [regions] folders = [...] or england = { seed = 1 }")
    base = _files_read(values.get("base", {}), here, path, "base")
    variants = _variants(values.get("grid", {}), values.get("cells", []), here, path)
    spec = Spec(name=str(values.get("name", path.stem)), path=path, jobs=tuple(dict.fromkeys(jobs)),
                run_date=run_date, folders=folders, england=england, variants=variants, base=base)
    for label, dotted, overrides in variants:  # every cell's parameters must build: bad values stop it at once
        label = label or _label(dotted) or "base"
        for job in spec.jobs:
            try:
                build_parameters(job, resolved(job, _merge(base, overrides)))
            except ParameterError as exc:
                raise _fail(path, f"cell {label!r}, job {job}: {exc}") from None
            except (ValueError, TypeError) as exc:
                raise _fail(path, f"cell {label!r}, job {job}: {exc}") from None
    return spec


def _variants(grid: dict, cells: list, here: Path, path: Path) -> tuple[tuple[str, dict, dict], ...]:
    if not isinstance(grid, dict) or any(not isinstance(v, list) or not v for v in grid.values()):
        raise _fail(path, "[grid] maps dotted parameter names to lists of values, e.g. "
                          "\"strategy.quantile\" = [0.8, 0.9]")
    found = []
    if grid:
        names = list(grid)
        for combination in itertools.product(*(grid[n] for n in names)):
            dotted = dict(zip(names, combination))
            found.append(("", dotted, _files_read(_nested(dotted, path), here, path, "grid")))
    for i, entry in enumerate(cells):
        if not isinstance(entry, dict):
            raise _fail(path, "[[cells]] entries are tables of dotted parameter names and values")
        entry = dict(entry)
        name = str(entry.pop("name", ""))
        found.append((name, entry, _files_read(_nested(entry, path), here, path, "cells")))
    return tuple(found) or (("", {}, {}),)


def _label(dotted: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in dotted.items())


def _nested(dotted: dict, path: Path) -> dict:
    """{"a.b.c": 1} -> {"a": {"b": {"c": 1}}}; the first part must be a section or a scalar setting."""
    out: dict = {}
    for key, value in dotted.items():
        parts = key.split(".")
        if parts[0] not in SECTIONS and parts[0] not in SCALARS:
            raise _fail(path, f"{key!r}: parameters start with one of {', '.join(SECTIONS + tuple(SCALARS))}")
        if parts[0] in SCALARS and len(parts) > 1:
            raise _fail(path, f"{key!r}: {parts[0]} is a single value")
        node = out
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


def _files_read(values: dict, here: Path, path: Path, where: str) -> dict:
    """A section given as a file name (a scenario, a parameters file) is that file's contents."""
    if not isinstance(values, dict):
        raise _fail(path, f"[{where}] must be a table of sections")
    out = {}
    for key, value in values.items():
        if key not in SECTIONS and key not in SCALARS:
            raise _fail(path, f"[{where}] {key!r}: known are {', '.join(SECTIONS + tuple(SCALARS))}")
        if key in SECTIONS and isinstance(value, str):
            file = (here / value).resolve()
            try:
                value = tomllib.loads(file.read_text(encoding="utf-8"))
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise _fail(path, f"[{where}] {key} = {value!r}: cannot read {file} ({exc})") from None
        out[key] = value
    return out


def _merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for key, value in over.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out


def resolved(job: str, values: dict) -> dict:
    """Every parameter `job` reads, defaults filled in, as plain JSON-able values (what a cell's key hashes)."""
    from forecasts.params import ForecastParams
    from forecasts.scenarios import Scenario
    from optimiser.flags import FlagParams
    from optimiser.match.params import MatchParams
    from optimiser.strategy import StrategyParams

    builders = {"forecast": ForecastParams.from_dict, "scenario": Scenario.from_dict, "match": MatchParams.from_dict,
                "strategy": StrategyParams.from_dict, "flags": FlagParams.from_dict}
    out = {}
    for key in READS[job]:
        if key in SCALARS:
            out[key] = int(values.get(key, SCALARS[key]))
        elif job == "monthly":
            continue
        else:
            out[key] = _plain(builders[key](values.get(key, {})).to_dict())
    if job == "monthly":
        from app.batch.monthly import MonthlyParams

        own = {"horizon_months": int(values.get("horizon_months", 36))} | dict(values.get("monthly", {}))
        sections = {k: values[k] for k in ("forecast", "match", "flags", "strategy") if k in values}
        out = _plain(MonthlyParams.from_dict({"monthly": own, **sections}).to_dict())
    return out


def build_parameters(job: str, params: dict) -> dict:
    """The parameter objects of a job from a resolved dict (as `resolved` returns)."""
    from forecasts.params import ForecastParams
    from forecasts.scenarios import Scenario
    from optimiser.flags import FlagParams
    from optimiser.match.params import MatchParams
    from optimiser.strategy import StrategyParams

    if job == "monthly":
        from app.batch.monthly import MonthlyParams

        return {"monthly": MonthlyParams.from_dict(params)}
    builders = {"forecast": ForecastParams.from_dict, "scenario": Scenario.from_dict, "match": MatchParams.from_dict,
                "strategy": StrategyParams.from_dict, "flags": FlagParams.from_dict}
    return {key: (params[key] if key in SCALARS else builders[key](params[key])) for key in READS[job]}


def _plain(value):
    """JSON's view of a value (tuples as lists), so a hash is the same however the value was made."""
    return json.loads(json.dumps(value, default=str, sort_keys=True))


def digest(value) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]


def cells(spec: Spec, regions: list[RegionSource], monthly_out: Path | None = None) -> list[Cell]:
    """Every cell of the sweep, in order (region, then job, then variant), each once."""
    from app.batch.monthly import _code_version

    found: dict[str, Cell] = {}
    for region in regions:
        for job in spec.jobs:
            for name, dotted, overrides in spec.variants:
                values = _merge(spec.base, overrides)
                params = resolved(job, values)
                params_hash = digest(params)
                key = [region.name, region.digest, job, params_hash, spec.run_date, _code_version()]
                cell_id = hashlib.sha256(json.dumps(key).encode()).hexdigest()[:12]
                if cell_id in found:
                    continue
                reads = {k: v for k, v in dotted.items() if k.split(".")[0] in _reads(job)}
                found[cell_id] = Cell(
                    cell_id=cell_id, region=region, job=job, label=(name if reads else "") or _label(reads) or "base",
                    overrides=reads, params=params, params_hash=params_hash, run_date=spec.run_date,
                    monthly_out=str(Path(monthly_out) / region.name) if job == "monthly" and monthly_out else "")
    return list(found.values())


def _reads(job: str) -> tuple[str, ...]:
    return READS[job] + (("monthly",) if job == "monthly" else ())


def with_regions(spec: Spec, folders: list[Path]) -> Spec:
    return dataclasses.replace(spec, folders=tuple(folders), england=None)


def _is_region(path: Path) -> bool:
    from data.load import XLSX_SUFFIXES

    return (path.is_dir() and (path / "settings.csv").exists()) or (path.is_file()
                                                                    and path.suffix.lower() in XLSX_SUFFIXES)


def monthly_preset(folder: Path, params_file: Path | None = None, england_seed: int | None = None) -> Spec:
    """Every region's monthly batch as one sweep: the regions in `folder` (or `folder` itself when it is one),
    and England's nine regions cut from the national synthetic region at `england_seed` when given; the monthly
    parameters from `params_file` ([monthly], [forecast], [match], [flags], [strategy], as `rcc monthly --params`)."""
    folder = Path(folder).resolve()
    if not folder.exists():
        raise ParameterError(f"{folder}: not found")
    folders = [folder] if _is_region(folder) else sorted(p for p in folder.iterdir() if _is_region(p))
    if not folders and england_seed is None:
        raise ParameterError(f"{folder} holds no region folder (one with settings.csv) or workbook")
    base: dict = {}
    if params_file:
        try:
            base = tomllib.loads(Path(params_file).read_text(encoding="utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ParameterError(f"{params_file}: {exc}") from None
        unknown = sorted(set(base) - {"monthly", "forecast", "match", "flags", "strategy"})
        if unknown:
            raise ParameterError(f"{params_file}: unknown section(s) {', '.join(unknown)}; known: monthly, forecast, "
                                 "match, flags, strategy")
    spec = Spec(name="monthly, every region", path=folder, jobs=("monthly",), run_date="", folders=tuple(folders),
                england=None if england_seed is None else {"seed": england_seed}, variants=(("", {}, {}),),
                base=base)
    try:
        build_parameters("monthly", resolved("monthly", base))
    except (ValueError, TypeError) as exc:
        raise ParameterError(f"{params_file}: {exc}") from None
    return spec
