"""A folder of published data, read whole: every Ofsted provider list in `ofsted/`, the DfE's LA tables in `dfe/`,
ONS boundaries and populations in `ons/` (the layout of ../shared/public-data, or a folder of newer downloads).

Files are recognised by what is in them, not by their names, so a newer year dropped into the folder is read
with the rest. Two files describing the same date (a year's CSV and its workbook) are both read and the fuller
one is kept. Every problem found is in one issues table, file by file.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from data.problems import Problems
from data.public.dfe import DfeSeries, read_dfe
from data.public.ofsted import OfstedProviders, read_ofsted
from data.public.ons import read_boundaries, read_population
from data.public.tabular import WORKBOOK_SUFFIXES

TABULAR_SUFFIXES = (".csv", *WORKBOOK_SUFFIXES)
BOUNDARY_SUFFIXES = (".geojson", ".gpkg", ".json")


@dataclass(frozen=True)
class PublicData:
    folder: Path
    ofsted: tuple[OfstedProviders, ...]  # one per date, oldest first
    dfe: DfeSeries | None
    boundaries: object | None  # geopandas GeoDataFrame: la_code, la_name, geometry (WGS84)
    population: pd.DataFrame | None  # la_code, year, population_0_17
    issues: pd.DataFrame
    timings: dict

    @property
    def latest_ofsted(self) -> OfstedProviders | None:
        return self.ofsted[-1] if self.ofsted else None

    def sources(self) -> dict[str, list[str]]:
        """Which file each publication was read from (named beside every figure rcc shows)."""
        return {"ofsted": [f"{o.file} (at {o.as_of.isoformat()})" for o in self.ofsted],
                "dfe": list(self.dfe.files) if self.dfe else [],
                "ons": [p for p in (self._boundary_file, self._population_file) if p]}

    _boundary_file: str = ""
    _population_file: str = ""


def read_public_data(folder: str | Path, ofsted_file: str | Path | None = None, latest_only: bool = False,
                     progress: Callable[[str], None] = lambda message: None, series_only: bool = False) -> PublicData:
    """Read every publication in `folder`. `ofsted_file` reads that one provider list instead of `ofsted/`;
    `latest_only` reads only the newest provider list (enough for a region's supply); `series_only` reads only the
    DfE's tables and the child population (what the yearly forecast needs)."""
    folder = Path(folder)
    problems = Problems()
    timings = {}
    clock = time.perf_counter()
    if not folder.is_dir():
        problems.add(str(folder), None, "", "", "not a folder: give the folder holding ofsted/, dfe/ and ons/")
        return PublicData(folder, (), None, None, None, problems.table(), timings)

    if not series_only:
        progress("Reading Ofsted's provider lists")
    ofsted = () if series_only else _read_ofsted_folder(folder / "ofsted", ofsted_file, latest_only, problems)
    timings["ofsted_s"] = round(time.perf_counter() - clock, 3)
    clock = time.perf_counter()

    progress("Reading the DfE's local-authority tables")
    dfe = read_dfe(folder / "dfe", problems) if (folder / "dfe").is_dir() else None
    if dfe is None:
        problems.add(str(folder / "dfe"), None, "", "", "no dfe/ folder: children looked after per council are "
                     "unknown", severity="warning")
    timings["dfe_s"] = round(time.perf_counter() - clock, 3)
    clock = time.perf_counter()

    progress("Reading ONS boundaries and populations")
    boundary_file = None if series_only else _first(folder / "ons", BOUNDARY_SUFFIXES)
    boundaries = read_boundaries(boundary_file, problems) if boundary_file else None
    population_file = _population_file(folder / "ons")
    population = read_population(population_file, problems) if population_file else None
    for what, found in (("council boundaries (GeoJSON or GeoPackage)", boundary_file),
                        ("population aged 0-17 by council", population_file)):
        if not found and not (series_only and what.startswith("council boundaries")):
            problems.add(str(folder / "ons"), None, "", "", f"no {what} found in ons/", severity="warning")
    timings["ons_s"] = round(time.perf_counter() - clock, 3)
    return PublicData(folder, ofsted, dfe, boundaries, population, problems.table(), timings,
                      _boundary_file=boundary_file.name if boundary_file else "",
                      _population_file=population_file.name if population_file else "")


def _read_ofsted_folder(folder: Path, ofsted_file, latest_only: bool, problems: Problems) -> tuple:
    if ofsted_file is not None:
        read = read_ofsted(ofsted_file, problems=problems)
        return (read,) if read.summary.get("read", True) else ()
    files = sorted(p for p in folder.glob("*") if p.suffix.lower() in TABULAR_SUFFIXES) if folder.is_dir() else []
    if not files:
        problems.add(str(folder), None, "", "", "no Ofsted provider list (CSV, XLSX or ODS) found", "warning")
        return ()
    if latest_only:
        files = _newest_first(files)[:2]  # the newest year's CSV and its workbook, when both are there
    by_date: dict = {}
    for path in files:
        scratch = Problems()  # a file that is not a provider list is left out quietly; a broken one is reported
        read = read_ofsted(path, problems=scratch)
        if not read.summary.get("read", True):
            if not _only_not_a_provider_list(scratch):
                problems.extend(scratch)
            continue
        problems.extend(scratch)
        best = by_date.get(read.as_of)
        if best is None or len(read.table) > len(best.table):
            by_date[read.as_of] = read
    chosen = tuple(by_date[d] for d in sorted(by_date))
    return chosen[-1:] if latest_only else chosen


def _newest_first(files: list[Path]) -> list[Path]:
    from data.public.tabular import year_in
    return sorted(files, key=lambda p: (year_in(p.name) or 0, p.suffix.lower() != ".csv"), reverse=True)


def _only_not_a_provider_list(problems: Problems) -> bool:
    rules = problems.table()["rule"]
    return len(rules) > 0 and rules.str.startswith("no header row with Ofsted's provider columns").all()


def _first(folder: Path, suffixes: tuple[str, ...]) -> Path | None:
    if not folder.is_dir():
        return None
    return next((p for p in sorted(folder.glob("*")) if p.suffix.lower() in suffixes), None)


def _population_file(folder: Path) -> Path | None:
    if not folder.is_dir():
        return None
    for path in sorted(folder.glob("*.csv")):
        head = path.read_bytes()[:2000].decode("utf-8", errors="replace").lower()
        if "population" in head and ("la_code" in head or "time_period" in head):
            return path
    return None
