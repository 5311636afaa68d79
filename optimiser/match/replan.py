"""What if every child in care were placed by regional matching? The counterfactual behind the RCC policy.

Every child in the children table (not only this month's referrals) gets a home search, built as a step-down
referral is, and the whole region is matched at once against the settings with each child's own place freed. A
child may stay where they live: staying costs what the placement costs, and going anywhere else costs
`move_threshold` (£ a week) more, so no child is moved for a smaller gain (the stability cost). A child living
somewhere that breaks a hard rule (an unregistered setting, under 16 in supported accommodation) has no pair to
stay in and is moved if any registered setting can take them. The independent verifier checks the answer.

Compared against where they live today, per council and nationally: weekly cost, share placed over 20 miles from
home, children moved out of unlawful settings, children who would move, children no registered place was found
for. With `membership` (la_code -> rcc), each RCC is matched alone on the supply it could use: the settings in its
councils' areas, and elsewhere only the places its own children free.
"""

from __future__ import annotations

import concurrent.futures as cf
import ctypes
import dataclasses
import gc
import socket
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from data.geo import TWENTY_MILES_KM, haversine_km
from data.region import Region
from data.toml_files import ParameterError
from optimiser.match.allocation import allocation_table, assignment_from_units, weekly_fees
from optimiser.match.candidates import Candidates, build_candidates, may_stay
from optimiser.match.params import MatchParams
from optimiser.match.solvers import SolveReport, solve
from optimiser.match.stepdown import children_needing_step_down, referrals_for_children
from optimiser.match.verify import verify_allocation

REPLAN_PREFIX = "REPLAN-"
NATIONAL = "all"  # the la_code of the councils' total row
COUNCIL_COLUMNS = [
    "la_code", "rcc", "children", "weekly_cost_today", "weekly_cost_replan", "weekly_saving",
    "share_over_20_miles_today", "share_over_20_miles_replan", "in_unlawful_settings_today",
    "moved_out_of_unlawful_settings", "children_moved", "children_unplaced", "better_off", "worse_off"]


@dataclass(frozen=True)
class Replan:
    children: pd.DataFrame  # one row per child: today and in the replan (see CHILD_COLUMNS)
    councils: pd.DataFrame  # COUNCIL_COLUMNS, one row per council and a total row (la_code "all")
    areas: pd.DataFrame  # one row per area matched (the whole region, or each RCC): status, objective, bound, gap
    timings: dict[str, float]

    @property
    def gap(self) -> float:
        """The widest proven gap of the areas matched (each area's objective against its own bound)."""
        return float(self.areas["gap"].max()) if len(self.areas) else 0.0


def replan(region: Region, params: MatchParams, move_threshold: float, run_date: date,
           membership: pd.Series | None = None, progress=lambda message: None, executor=None,
           source: Path | None = None) -> Replan:
    """Re-match every child in care (as one region, or per RCC when `membership` maps la_code -> rcc), saying
    to `progress` as each area is done. With `executor` (app.executors) the areas run as its jobs, the largest
    first, each loading the region from `source` (the folder or workbook `region` was loaded from) or, without
    it, sent the region; without an executor, one after another in this process."""
    if move_threshold < 0:
        raise ValueError(f"move_threshold must be zero or more (got {move_threshold})")
    started = time.perf_counter()
    rcc = (membership.reindex(region.authorities["la_code"]).fillna("").to_numpy() if membership is not None
           else np.full(len(region.authorities), ""))
    rcc_of = pd.Series(rcc, index=region.authorities["la_code"].to_numpy())
    names = sorted(set(rcc_of))
    councils_of = {name: set(rcc_of.index[rcc_of.eq(name)]) for name in names}
    whole = membership is None
    done: dict[str, AreaResult] = {}

    def finished(name: str, result: AreaResult) -> None:
        done[name] = result
        area = result.area
        progress(f"{name or 'the region'} ({len(done)} of {len(names)}): {area['children']:,} children, "
                 f"{area['pairs']:,} pairs, {area['status']} (gap {area['gap']:.2%}) in "
                 f"{sum(result.timings.values()):.0f} s")

    if executor is None or len(names) == 1:
        for name in names:
            finished(name, replan_area(region, councils_of[name], name, params, move_threshold, run_date, whole))
    else:
        children = region.children["la_code"].value_counts()
        largest_first = sorted(names, key=lambda name: -children.reindex(list(councils_of[name])).fillna(0).sum())
        futures = {executor.submit(replan_area, str(source) if source else region, councils_of[name], name, params,
                                   move_threshold, run_date, whole): name for name in largest_first}
        for future in cf.as_completed(futures):
            finished(futures[future], future.result())
    results = [done[name] for name in names]
    timings: dict[str, float] = {}
    for result in results:
        for stage, seconds in result.timings.items():
            timings[stage] = timings.get(stage, 0.0) + seconds
    rows = [table for result in results for table in result.children if len(table)]
    children = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=CHILD_COLUMNS)
    return Replan(children=children, councils=council_table(children),
                  areas=pd.DataFrame([result.area for result in results]),
                  timings=timings | {"total_s": time.perf_counter() - started})


@dataclass(frozen=True)
class AreaResult:
    """What one area's replan hands back (small enough to come back from another process)."""

    children: tuple[pd.DataFrame, ...]  # the area's children, re-matched and in no setting (CHILD_COLUMNS)
    area: dict  # the row of Replan.areas
    timings: dict[str, float]  # build_s, solve_s, verify_s, tables_s


def replan_area(source: Region | str, councils: set[str], name: str, params: MatchParams, move_threshold: float,
                run_date: date, whole: bool) -> AreaResult:
    """One area (an RCC, or the whole region) re-matched, as its children's rows and its row of the areas table.
    `source` is the region, or the folder or workbook it is loaded from (a job in another process loads it, as a
    match does: without the SSDA903 history)."""
    if isinstance(source, str):
        from data.load import load_region

        if not Path(source).exists():  # a cluster's worker on another machine
            raise ParameterError(f"{source}: not found on the Dask worker at {socket.gethostname()}: give the "
                                 "region's folder as a path every worker can read (a shared file system)")
        region = load_region(Path(source), history=False)
    else:
        region = source
    matched = match_area(region, councils, params, move_threshold, run_date, whole=whole)
    tables_started = time.perf_counter()
    children = (_children_table(region, matched.area, matched.allocations, name),
                _not_in_a_setting(region, councils, name))
    report = matched.report
    timings = matched.timings | {"tables_s": time.perf_counter() - tables_started}
    area = {"rcc": name or "(one region)", "children": len(matched.area.referrals),
            "pairs": len(matched.candidates.pairs), "status": report.status, "objective": report.objective,
            "bound": report.bound, "gap": report.gap, "solver": report.solver,
            **{stage: round(s, 2) for stage, s in timings.items()}}
    del matched
    _give_back_freed_memory()
    return AreaResult(children, area, timings)


# glibc's mallopt parameters (malloc.h)
M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4
_reusing_freed_memory = False


def reuse_freed_memory() -> None:
    """Have this process keep the memory it frees for its own next allocations, for a replan run by a process
    that exits when it is done (`rcc what-if replan`).

    By default glibc maps each large array (over 32 MB) afresh and unmaps it when it is freed, and the replan
    trimmed the heap after each area: every page of every table was faulted in anew, many times over. On the
    2-core machine the benchmarks run on a fresh page costs about 15 microseconds (the host backs it on first
    touch), and England's replan per RCC spent 77 s of its 179 s in the kernel. Served from the heap and never
    handed back, each page is faulted in once: 19 s of 113 s, with a peak of 4.9 GB against 4.7 GB (the heap
    holds what its largest area needed, and a little more). Not for a long-running server (the dashboard, a
    Dask worker): it keeps its high-water mark until it exits."""
    global _reusing_freed_memory
    try:
        libc = ctypes.CDLL(None)
        # -1 is read as the largest size: the heap is never trimmed
        _reusing_freed_memory = bool(libc.mallopt(M_MMAP_MAX, 0)) & bool(libc.mallopt(M_TRIM_THRESHOLD, -1))
    except (OSError, AttributeError):  # not glibc: its own allocator decides
        pass


def _give_back_freed_memory() -> None:
    """Hand the memory an area's pair tables used back to the system before the next area is built, unless this
    process keeps it for reuse (reuse_freed_memory): on a Dask worker, which lives on after the replan, glibc's
    default keeps part of it, and the areas' tables come in different sizes (England's replan once held 8.0 GB at
    its peak so, where its largest area alone needed 6.4 GB)."""
    gc.collect()
    if _reusing_freed_memory:
        return
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to give back this way
        pass


@dataclass(frozen=True)
class AreaMatch:
    area: Region  # the area as matched (replan_region)
    candidates: Candidates  # with the stability cost on every move
    report: SolveReport
    allocations: pd.DataFrame
    timings: dict[str, float]  # build_s, solve_s, verify_s


def match_area(region: Region, councils: set[str], params: MatchParams, move_threshold: float, run_date: date,
               whole: bool = True) -> AreaMatch:
    """One area's replan: its referrals and supply, the pairs with the stability cost, the solve, the verifier."""
    started = time.perf_counter()
    area = replan_region(region, councils, run_date, whole=whole)
    stuck = _kept_where_they_are(area, params, run_date)
    if stuck:  # their places must not be offered to others while they may be left there
        area = replan_region(region, councils, run_date, whole=whole, keep=stuck)
    candidates = with_stability(build_candidates(area, params, run_date=run_date), move_threshold)
    built = time.perf_counter()
    chosen, report = solve(candidates, params)
    solved = time.perf_counter()
    allocations = allocation_table(area, candidates, assignment_from_units(candidates, chosen))
    violations = verify_allocation(area, allocations, params)
    if not violations.empty:
        raise RuntimeError("the replan breaks hard rules (this is a bug in rcc):\n" + violations.to_string())
    return AreaMatch(area, candidates, report, allocations,
                     {"build_s": built - started, "solve_s": solved - built,
                      "verify_s": time.perf_counter() - solved})


def replan_region(region: Region, councils: set[str], run_date: date, whole: bool = True,
                  keep: set[str] = frozenset()) -> Region:
    """The region as the replan matches it: a referral for each of the councils' children living in a setting (a
    child living in a secure children's home is there on a secure order and keeps it), nobody left living anywhere
    (each child's place is freed, but for the children in `keep`; places others fill stay taken), and the supply
    the area may use (all of it when `whole`; else the settings in its councils' areas, and elsewhere only the
    places its own children free). A child in `keep` is re-matched but their place is not freed. Children in no
    setting (with parents, family and friends, placed for adoption) are not the match's to place: left out."""
    children = region.children[region.children["la_code"].isin(councils)
                               & region.children["current_setting_id"].fillna("").ne("")]
    referrals = referrals_for_children(children.reset_index(drop=True), run_date, REPLAN_PREFIX)
    setting_type = referrals["current_setting_id"].map(region.settings.set_index("setting_id")["setting_type"])
    referrals["secure_order"] = setting_type.eq("secure_childrens_home").to_numpy()
    freed = children.loc[~children["child_id"].isin(keep), "current_setting_id"].value_counts()
    settings = region.settings.copy()
    own = settings["setting_id"].map(freed).fillna(0).astype(int)
    in_area = settings["la_code"].isin(councils) | whole
    # a blank vacancy count is not known: only the places this area's children free are known to be there
    vacancies = settings["vacancies"].where(in_area, 0)
    settings["vacancies"] = vacancies.where(vacancies.notna() | own.eq(0), 0) + own
    settings = settings[in_area | own.gt(0)].reset_index(drop=True)
    return region.replace(referrals=referrals, settings=settings, children=region.children.iloc[:0],
                          controls=region.controls.iloc[:0])


def _kept_where_they_are(area: Region, params: MatchParams, run_date: date) -> set[str]:
    """Children living in an active setting whom no rule lets stay there (under 16 in supported accommodation, a
    home not listing their needs): if no other place were found for them they would still be there, so their
    place must not go to another child."""
    referrals = area.referrals
    active = set(area.settings.loc[area.settings["registration_status"].eq("active"), "setting_id"])
    stuck = referrals["current_setting_id"].isin(active).to_numpy() & ~may_stay(area, params, run_date)
    return set(referrals.loc[stuck, "child_id"])


def with_stability(candidates: Candidates, move_threshold: float) -> Candidates:
    """Every pair but the one where the child lives today costs `move_threshold` more in the model (not in the
    allocation's cost terms: it is no money anyone pays), so a child moves only to save more than that."""
    current = candidates.referrals.set_index("unit_id")["current_setting_id"].fillna("")
    moves = candidates.pairs["setting_id"].ne(candidates.pairs["unit_id"].map(current)).to_numpy()
    # a shallow copy with its own cost column: the other columns are shared, not copied (nationally 600 MB)
    pairs = candidates.pairs.copy(deep=False)
    pairs["cost"] = candidates.pairs["cost"].to_numpy() + move_threshold * moves
    return dataclasses.replace(candidates, pairs=pairs)


CHILD_COLUMNS = [
    "child_id", "la_code", "rcc", "setting_today", "setting_replan", "status", "moved", "unlawful_today",
    "weekly_cost_today", "weekly_cost_replan", "distance_km_today", "distance_km_replan", "reason"]


def _children_table(region: Region, area: Region, allocations: pd.DataFrame, rcc: str) -> pd.DataFrame:
    """Each child today and in the replan. A child staying, or for whom no registered place was found, costs what
    they cost today; a child moving costs the new setting's fee."""
    children = region.children.set_index("child_id").loc[allocations["child_id"]].reset_index()
    settings = region.settings.set_index("setting_id")
    today = children["current_setting_id"].fillna("")
    centroid = region.authorities.set_index("la_code")[["lat", "lon"]]
    home_lat = children["home_lat"].fillna(children["la_code"].map(centroid["lat"]))
    home_lon = children["home_lon"].fillna(children["la_code"].map(centroid["lon"]))
    distance_today = haversine_km(home_lat, home_lon, today.map(settings["lat"]), today.map(settings["lon"]))
    matched = allocations["status"].eq("matched").to_numpy()
    replanned = allocations["setting_id"].where(matched, today.to_numpy()).fillna("")
    moved = matched & replanned.ne(today).to_numpy()
    unlawful = set(children_needing_step_down(region)["child_id"])
    cost_today = children["weekly_cost"].astype(float).to_numpy()
    return pd.DataFrame({
        "child_id": children["child_id"], "la_code": children["la_code"], "rcc": rcc, "setting_today": today,
        "setting_replan": replanned.to_numpy(), "status": np.where(moved, "moves", np.where(matched, "stays",
                                                                                                  "no_place_found")),
        "moved": moved, "unlawful_today": children["child_id"].isin(unlawful).to_numpy(),
        "weekly_cost_today": cost_today,
        "weekly_cost_replan": np.where(moved, weekly_fees(allocations).to_numpy(), cost_today),
        "distance_km_today": distance_today,
        "distance_km_replan": np.where(moved, allocations["distance_km"].to_numpy(dtype=float), distance_today),
        "reason": allocations["reason"].fillna("").to_numpy(),
    })


def _not_in_a_setting(region: Region, councils: set[str], rcc: str) -> pd.DataFrame:
    """The councils' children in no setting, as they are: counted among the children in care, costing the same."""
    children = region.children[region.children["la_code"].isin(councils)
                               & region.children["current_setting_id"].fillna("").eq("")]
    cost = children["weekly_cost"].astype(float).to_numpy()
    return pd.DataFrame({
        "child_id": children["child_id"].to_numpy(), "la_code": children["la_code"].to_numpy(), "rcc": rcc,
        "setting_today": "", "setting_replan": "", "status": "not_in_a_setting", "moved": False,
        "unlawful_today": False, "weekly_cost_today": cost, "weekly_cost_replan": cost,
        "distance_km_today": np.nan, "distance_km_replan": np.nan,
        "reason": "in no setting (with parents, family or friends, placed for adoption): not the match's to place"})


def council_table(children: pd.DataFrame) -> pd.DataFrame:
    """Per council and in all, today against the replan; a council is better (worse) off when its weekly cost
    falls (rises) by a pound or more."""
    def measures(frame: pd.DataFrame) -> dict:
        known_today, known_replan = frame["distance_km_today"].notna(), frame["distance_km_replan"].notna()
        today, replanned = frame["weekly_cost_today"].sum(), frame["weekly_cost_replan"].sum()
        return {"children": len(frame), "weekly_cost_today": today, "weekly_cost_replan": replanned,
                "weekly_saving": today - replanned,
                "share_over_20_miles_today": float((frame.loc[known_today, "distance_km_today"]
                                                    > TWENTY_MILES_KM).mean()) if known_today.any() else np.nan,
                "share_over_20_miles_replan": float((frame.loc[known_replan, "distance_km_replan"]
                                                     > TWENTY_MILES_KM).mean()) if known_replan.any() else np.nan,
                "in_unlawful_settings_today": int(frame["unlawful_today"].sum()),
                "moved_out_of_unlawful_settings": int((frame["unlawful_today"] & frame["moved"]).sum()),
                "children_moved": int(frame["moved"].sum()),
                "children_unplaced": int(frame["status"].eq("no_place_found").sum())}

    rows = [{"la_code": la, "rcc": frame["rcc"].iloc[0], **measures(frame)}
            for la, frame in children.groupby("la_code", sort=True)]
    table = pd.DataFrame(rows, columns=[c for c in COUNCIL_COLUMNS if c not in ("better_off", "worse_off")])
    table["better_off"] = table["weekly_saving"] >= 1.0
    table["worse_off"] = table["weekly_saving"] <= -1.0
    total = {"la_code": NATIONAL, "rcc": "", **measures(children), "better_off": int(table["better_off"].sum()),
             "worse_off": int(table["worse_off"].sum())}
    return pd.concat([table, pd.DataFrame([total])], ignore_index=True)[COUNCIL_COLUMNS]
