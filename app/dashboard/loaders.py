"""The only place the dashboard reads the run store, the region and the pipeline. Everything is cached, and every
function that returns rows about children takes the user and applies the role filter (access.scope) before the
rows leave this module, so a council officer's session never receives another council's children.

Where things are (environment variables, for tests and deployments):
  RCC_REGION       region folder or workbook (default: the embedded Greater Manchester)
  RCC_OUT          output folder holding OUT/<month>/ and the run store (default out)
  RCC_STORE        run store (default RCC_OUT/runs.duckdb)
  RCC_PUBLIC_DATA  folder of Ofsted, DfE and ONS files for England's market (default: ../shared/public-data when
                   it is there, else the embedded Greater Manchester extract)
  RCC_SWEEP        the output folder of a sweep (`rcc sweep SPEC --out FOLDER`; default RCC_OUT/sweep)
"""

from __future__ import annotations

import dataclasses
import io
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from app.dashboard import audit
from app.dashboard.access import child_councils, referral_councils, scope
from app.dashboard.auth import User
from app.dashboard.geography import AreaSource, coarse_settings, council_areas
from app.outputs import CHILD_LEVEL_TABLES
from data import EMBEDDED_REGION
from data.region import Region

CONTROL_COLUMNS = ["referral_id", "action", "setting_id", "provider_id", "note"]


@dataclass(frozen=True)
class Paths:
    region: Path
    out: Path
    store: Path | str  # a DuckDB file, or a PostgreSQL URL
    public_data: Path
    sweep: Path


def paths() -> Paths:
    from app.history.store import DEFAULT_OUT, configured_store
    from data.public import default_public_data

    out = Path(os.environ.get("RCC_OUT", DEFAULT_OUT))
    return Paths(region=Path(os.environ.get("RCC_REGION", EMBEDDED_REGION)), out=out,
                 store=configured_store(out), public_data=default_public_data(),
                 sweep=Path(os.environ.get("RCC_SWEEP", out / "sweep")))


def store_name() -> str:
    """The run store as a page may name it (a PostgreSQL URL without its password)."""
    from app.history.store import shown

    return shown(paths().store)


# --- England's market (published data: no child's record, the same for every user) ---------------------------

@st.cache_resource(show_spinner="Reading Ofsted's, the DfE's and ONS's files (a few seconds, once)")
def _market(folder: str):
    from app.jobs.public import public_market

    return public_market(folder)


def market():
    """England's market picture from the published files (app/jobs/public.py): the same for every role."""
    return _market(str(paths().public_data))


# --- a sweep (commissioners only) --------------------------------------------------------------------------------

@st.cache_data(ttl=60, show_spinner=False)
def _sweep(folder: str):
    from app.sweep.compare import stored_comparison

    return stored_comparison(Path(folder))


def sweep(user: User) -> tuple[pd.DataFrame, dict] | None:
    """The last sweep in the sweep folder: one row per cell (region, job, what it set, the headline figures) and
    its record; None when there is none. Commissioners only: a sweep compares whole regions' plans, not one
    council's part of them."""
    if not user.sees_all_councils:
        raise PermissionError("sweeps compare whole regions' plans and costs: for regional commissioners")
    return _sweep(str(paths().sweep))


def sweep_figures() -> dict[str, str]:
    """The headline figures a sweep compares: name -> what it is."""
    from app.sweep.cells import HEADLINE

    return dict(HEADLINE)


# --- the region ------------------------------------------------------------------------------------------------

@st.cache_resource(show_spinner="Loading the region's data")
def _region(path: str) -> Region:
    from app.jobs.validate import validate
    from data.problems import ValidationError

    loaded, issues = validate(path)  # the history checks too, so the Data page lists what the forecast will say
    if loaded is None:
        raise ValidationError(path, issues)
    return loaded


def region() -> Region:
    """The validated region the runs were made from (shared by every session: never handed to a page whole)."""
    return _region(str(paths().region))


def supply() -> pd.DataFrame:
    """The region's settings with their provider and owning group: setting_id, setting_type, registration_status,
    la_code, places, provider_name, owner (no children: the same for every role)."""
    r = region()
    providers = r.providers[["provider_id", "provider_name", "parent_group"]]
    s = r.settings[["setting_id", "provider_id", "setting_type", "registration_status", "la_code", "places"]].merge(
        providers, on="provider_id", how="left")
    group = s["parent_group"].fillna("").astype(str).str.strip()
    return s.assign(owner=group.where(group.ne(""), s["provider_name"].fillna(s["provider_id"])))


def council_centroids() -> pd.DataFrame:
    """The region's councils' centres (la_code, la_name, lat, lon): the only points the flow map draws."""
    return region().authorities[["la_code", "la_name", "lat", "lon"]]


def council_names() -> dict[str, str]:
    authorities = region().authorities
    return dict(zip(authorities["la_code"], authorities["la_name"]))


def _child_map(run_id: str | None) -> tuple[pd.Series, pd.Series]:
    """Who is responsible for each child and referral: the region's tables plus the run's own referrals (the
    step-down referrals a run adds exist only there)."""
    r = region()
    extra = [_raw_table(str(paths().store), run_id, "allocations")] if run_id and _has(run_id, "allocations") else []
    return (child_councils(r.children, r.referrals, *extra), referral_councils(r.referrals, *extra))


def scoped(frame: pd.DataFrame, user: User, run_id: str | None = None) -> pd.DataFrame:
    if user.sees_all_councils:
        return frame
    children, referrals = _child_map(run_id)
    return scope(frame, user, children, referrals)


# --- the run store -----------------------------------------------------------------------------------------------

@st.cache_data(ttl=60, show_spinner=False)
def _runs(store: str) -> pd.DataFrame:
    from app.history.store import RunStore, store_exists

    if not store_exists(store):
        return pd.DataFrame()
    with RunStore(store, read_only=True) as s:
        return s.runs()


def runs() -> pd.DataFrame:
    """One row per run, newest first (no child rows: safe for every role)."""
    return _runs(str(paths().store))


def latest_run_id() -> str | None:
    table = runs()
    return None if table.empty else str(table.iloc[0]["run_id"])


@st.cache_data(show_spinner=False)
def _run_record(store: str, run_id: str) -> dict:
    from app.history.store import RunStore

    with RunStore(store, read_only=True) as s:
        return s.run(run_id)


def run_record(run_id: str) -> dict:
    """The run's row with its summary, stages and parameters decoded: regional aggregates only."""
    return _run_record(str(paths().store), run_id)


def previous_run_id(run_id: str) -> str | None:
    """The run of the month before (same region), for month-on-month changes."""
    table = runs()
    this = table[table["run_id"] == run_id]
    if this.empty:
        return None
    earlier = table[(table["region"] == this.iloc[0]["region"]) & (table["month"] < this.iloc[0]["month"])]
    return None if earlier.empty else str(earlier.iloc[0]["run_id"])


def _has(run_id: str, name: str) -> bool:
    return name in (run_record(run_id).get("tables") or [])


@st.cache_data(show_spinner=False, max_entries=64)
def _raw_table(store: str, run_id: str, name: str) -> pd.DataFrame:
    from app.history.store import RunStore

    with RunStore(store, read_only=True) as s:
        return s.table(run_id, name)


# Tables whose rows the role filter cannot attribute to a council, so officers are refused them whole.
COMMISSIONERS_ONLY = {"validation": "its rows quote cells from every council's files"}


def table(user: User, run_id: str, name: str, audited: bool = True) -> pd.DataFrame | None:
    """A run's result table as this user may see it; None when the run has no such table. `audited` False is
    for a file made from it (the board pack): the person is recorded when they download it, not the making."""
    if not _has(run_id, name):
        return None
    if name in COMMISSIONERS_ONLY and not user.sees_all_councils:
        raise PermissionError(f"the run's {name} table is for regional commissioners: {COMMISSIONERS_ONLY[name]}")
    frame = scoped(_raw_table(str(paths().store), run_id, name), user, run_id)
    frame = _setting_flags_for(user, frame) if name == "flags" else frame
    if name in CHILD_LEVEL_TABLES and audited:
        audit.viewed(user, run_id, name, frame)
    return frame


def _setting_flags_for(user: User, flags: pd.DataFrame) -> pd.DataFrame:
    """A setting's flag counts the children of every council who live there, with their cost and how long they
    have been there: for one child of another council that describes the child. An officer sees the setting's
    finding and their own council's children there, nothing of the other councils'."""
    if user.sees_all_councils or flags.empty:
        return flags
    children = region().children
    here = children[children["current_setting_id"].fillna("").ne("")]
    own = here[here["la_code"].eq(user.la_code)].groupby("current_setting_id").size()
    others = here[here["la_code"].ne(user.la_code)].groupby("current_setting_id").size()
    about = flags["subject_type"].eq("setting") & flags["subject_id"].isin(others.index)
    if not about.any():
        return flags
    flags = flags.copy()
    council = council_names().get(user.la_code, user.la_code)
    finding = flags.loc[about, "evidence"].str.split(": ", n=1).str[0]
    mine = flags.loc[about, "subject_id"].map(own).fillna(0).astype(int)
    flags.loc[about, "evidence"] = (finding + ": " + mine.astype(str) + f" of {council}'s children live there; "
                                    "other councils' children there are not shown to you.")
    return flags


def month_folder(run_id: str) -> Path:
    return paths().out / run_record(run_id)["month"]


@st.cache_data(ttl=60, show_spinner=False)
def _diff(store: str, run_a: str, run_b: str) -> dict[str, pd.DataFrame]:
    from app.history.store import RunStore

    with RunStore(store, read_only=True) as s:
        return s.diff(run_a, run_b)


def run_diff(user: User, run_a: str, run_b: str) -> dict[str, pd.DataFrame]:
    """What changed from run A to run B, each table filtered to what this user may see."""
    changes = {name: scoped(frame, user, run_b) for name, frame in _diff(str(paths().store), run_a, run_b).items()}
    audit.viewed(user, f"{run_a}..{run_b}", "children", changes.get("children"))
    return changes


# --- the map -------------------------------------------------------------------------------------------------------

@st.cache_data(show_spinner=False)
def _map_data(region_path: str, public_data: str) -> tuple[dict, pd.DataFrame, AreaSource]:
    r = _region(region_path)
    areas, source = council_areas(r, Path(region_path), Path(public_data))
    return areas, coarse_settings(r), source


def map_data() -> tuple[dict, pd.DataFrame, AreaSource]:
    """Council areas (GeoJSON), settings grouped on a coarse grid (never a home's own location), and where the
    areas come from (the region's boundary file, ONS's, or approximate cells around the councils' centres)."""
    return _map_data(str(paths().region), str(paths().public_data))


def children_placed(user: User) -> pd.DataFrame:
    """The children in care this user may see who live in a known setting: child_id, la_code and how far the
    setting is from the child's home (km). No location leaves this function."""
    from data.geo import haversine_km

    r = region()
    placed = r.children[r.children["current_setting_id"].fillna("").ne("")].merge(
        r.settings[["setting_id", "lat", "lon"]], left_on="current_setting_id", right_on="setting_id")
    known = placed["home_lat"].notna() & placed["lat"].notna()
    placed = placed[known]
    frame = pd.DataFrame({"child_id": placed["child_id"], "la_code": placed["la_code"],
                          "distance_km": haversine_km(placed["home_lat"].to_numpy(float),
                                                      placed["home_lon"].to_numpy(float),
                                                      placed["lat"].to_numpy(float), placed["lon"].to_numpy(float))})
    return scoped(frame.reset_index(drop=True), user)


# --- forecasts and scenarios -------------------------------------------------------------------------------------

@st.cache_data(show_spinner="Re-running the forecast with these levers (about 5 s)", max_entries=16)
def _scenario_forecast(region_path: str, scenario_json: str, horizon: int, params_json: str) -> pd.DataFrame:
    from app.jobs.forecast import run_forecast
    from forecasts.params import ForecastParams
    from forecasts.scenarios import Scenario

    scenario = Scenario.from_dict(json.loads(scenario_json))
    params = ForecastParams.from_dict(json.loads(params_json))
    return run_forecast(_region(region_path), horizon, params, scenario=scenario).forecast.demand


def _run_parameters(run_id: str, job: str) -> str:
    """The parameters the run used for a job (JSON), so a what-if differs from the run only in what was changed."""
    return json.dumps((run_record(run_id).get("parameters") or {}).get(job, {}), sort_keys=True)


def scenario_forecast(user: User, run_id: str, scenario, horizon: int) -> pd.DataFrame:
    """The forecast re-run under a scenario with the run's own forecast parameters (the same job as the monthly
    run), as this user may see it."""
    values = dataclasses.asdict(scenario)
    values["edits"] = list(values["edits"])
    return scoped(_scenario_forecast(str(paths().region), json.dumps(values, sort_keys=True), horizon,
                                     _run_parameters(run_id, "forecast")), user)


def save_scenario(scenario) -> Path:
    """Keep a scenario beside the runs, as the TOML `rcc forecast --scenario` reads."""
    folder = paths().out / "scenarios"
    folder.mkdir(parents=True, exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in scenario.name) or "scenario"
    return scenario.save(folder / f"{safe}.toml")


# --- matching: referrals, controls and re-solving ----------------------------------------------------------------

def referrals(user: User) -> pd.DataFrame:
    """The region's referrals this user may see (ids, council, age and needs: no family or school locations)."""
    columns = ["referral_id", "child_id", "la_code", "age", "sex", "needed_by", "emergency", "sibling_group", "needs"]
    rows = scoped(region().referrals[columns], user)
    audit.viewed(user, None, "referrals", rows)
    return rows


def controls(user: User) -> pd.DataFrame:
    """The region's current locks and vetoes this user may see and edit."""
    current = region().controls
    frame = current[CONTROL_COLUMNS] if len(current.columns) else pd.DataFrame(columns=CONTROL_COLUMNS)
    return scoped(frame.fillna("").astype(str), user)


@dataclass(frozen=True)
class MatchOutcome:
    allocations: pd.DataFrame
    explanations: pd.DataFrame
    comparison: pd.DataFrame
    summary: dict
    issues: pd.DataFrame  # problems with the edited controls; when there are errors nothing was solved


def clean_controls(edited: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame(edited, columns=CONTROL_COLUMNS).fillna("").astype(str)
    frame = frame.apply(lambda column: column.str.strip())
    return frame[frame.ne("").any(axis=1)].reset_index(drop=True)


def _merged_controls(user: User, edited: pd.DataFrame) -> pd.DataFrame:
    """An officer edits only their own council's controls; the other councils' stay exactly as they were."""
    edited = clean_controls(edited)
    if user.sees_all_councils:
        return edited
    mine = referral_councils(region().referrals)
    foreign = edited["referral_id"].map(mine).ne(user.la_code)
    if foreign.any():
        raise PermissionError("you can lock or veto only your own council's referrals: "
                              + ", ".join(edited.loc[foreign, "referral_id"]))
    current = region().controls
    others = (current[CONTROL_COLUMNS].fillna("").astype(str) if len(current.columns)
              else pd.DataFrame(columns=CONTROL_COLUMNS))
    others = others[others["referral_id"].map(mine).ne(user.la_code)]
    return pd.concat([others, edited], ignore_index=True)


@st.cache_data(show_spinner="Solving the regional match with your locks and vetoes (about 10 s)", max_entries=8)
def _solve(region_path: str, controls_csv: str, run_date: str | None, params_json: str,
           demand_from: tuple[str, str] | None) -> MatchOutcome:
    from datetime import date

    from app.jobs.match import run_match
    from data.validate import controls_issues
    from optimiser.match.params import MatchParams

    r = _region(region_path)
    edited = pd.read_csv(io.StringIO(controls_csv), dtype=str, keep_default_na=False)
    issues = controls_issues(r, edited)
    if (issues["severity"] == "error").any():
        empty = pd.DataFrame()
        return MatchOutcome(empty, empty, empty, {}, issues)
    demand = _raw_table(*demand_from, "forecast") if demand_from else None
    run = run_match(r.replace(controls=edited), MatchParams.from_dict(json.loads(params_json)),
                    run_date=date.fromisoformat(run_date) if run_date else None, demand=demand)
    return MatchOutcome(run.result.allocations, run.explanations, run.comparison.rename_axis("measure").reset_index(),
                        run.summary, issues)


def match_date() -> str | None:
    """The day the monthly run matched on (its extract's date), so a re-solve counts waiting days the same way."""
    from app.batch.monthly import extract_date

    return extract_date(region()).isoformat()


def solve(user: User, run_id: str, edited_controls: pd.DataFrame) -> MatchOutcome:
    """Re-solve the regional match with edited controls: the same run_match, date and parameters as the monthly
    run, so only the controls differ. The children's rows come back filtered to what this user may see; the
    regional totals are aggregates, shown to everyone."""
    merged = _merged_controls(user, edited_controls)
    # a run that held places back for expected emergencies matched against its forecast: so does the re-solve
    demand_from = (str(paths().store), run_id) if _has(run_id, "held_back") else None
    outcome = _solve(str(paths().region), merged.to_csv(index=False), match_date(), _run_parameters(run_id, "match"),
                     demand_from)
    audit.record(user, "resolve", run_id=run_id, detail=f"{len(merged)} controls")
    if user.sees_all_councils or outcome.allocations.empty:
        return outcome
    children, refs = _child_map(None)
    refs = pd.concat([refs, referral_councils(outcome.allocations)]).groupby(level=0).first()
    return dataclasses.replace(outcome, allocations=scope(outcome.allocations, user, children, refs),
                               explanations=scope(outcome.explanations, user, children, refs),
                               issues=scope(outcome.issues, user, children, refs))


# --- data upload ---------------------------------------------------------------------------------------------------

def validate_upload(user: User, files: list[tuple[str, bytes]]) -> tuple[pd.DataFrame, dict | None]:
    """Validate uploaded CSV files (one per table) or one workbook: the issues table, and the loaded region's
    counts when there are no errors. Not cached: each upload is new data. A name that is not a plain file name
    ('..', a path, a hidden file) is one error row, never written: the browser chooses the name, not the user."""
    from app.jobs.validate import validate
    from data.problems import Problems

    audit.record(user, "upload", detail=", ".join(f"{name} ({len(content):,} bytes)" for name, content in files))
    refused = Problems()
    for name, _ in files:
        if not _plain_file_name(name):
            refused.add(name, None, "", "", "not a file name rcc reads: upload the region's files by their own "
                                            "names (children.csv, ...) or one workbook")
    if len(refused.table()):
        return refused.table(), None
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for name, content in files:
            (folder / name).write_bytes(content)
        books = [name for name, _ in files if name.lower().endswith((".xlsx", ".xlsm"))]
        source = folder / books[0] if len(files) == 1 and books else folder
        loaded, issues = validate(source)
        # the temporary folder means nothing to the person who uploaded: say "the upload"
        issues["rule"] = issues["rule"].astype(str).str.replace(str(folder), "the upload", regex=False)
    return issues, (loaded.summary() if loaded is not None else None)


def _plain_file_name(name: str) -> bool:
    return bool(name) and Path(name).name == name and "\\" not in name and not name.startswith(".")


def region_issue_counts() -> dict[str, int]:
    """How many problems the loaded region has, by severity (counts only: the rows may name other councils'
    children)."""
    issues = region().issues
    return {severity: int((issues["severity"] == severity).sum()) for severity in ("error", "warning", "flag")}


def region_issues(user: User) -> pd.DataFrame:
    """The region's validation table (commissioners only: its rows quote cells from every council's files)."""
    if not user.sees_all_councils:
        raise PermissionError("the full validation table is for regional commissioners")
    audit.viewed(user, None, "region validation", region().issues)
    return region().issues


STRATEGY_FILES = {"Download the plan (strategy.xlsx)": ("strategy.xlsx", "application/vnd.openxmlformats-"
                                                                           "officedocument.spreadsheetml.sheet"),
                  "Download the report (strategy.html)": ("strategy.html", "text/html")}


def strategy_files(user: User, run_id: str) -> dict[str, tuple[str, bytes, str]]:
    """The run's strategy workbook and report, where the monthly run published them: commissioners only, since
    they set out every council's part of the plan (its actions, options and balance council by council, the rows
    the role filter keeps from an officer)."""
    if not user.sees_all_councils:
        raise PermissionError("strategy.xlsx and strategy.html cover every council: for regional commissioners")
    folder = month_folder(run_id)
    return {label: (name, (folder / name).read_bytes(), mime) for label, (name, mime) in STRATEGY_FILES.items()
            if (folder / name).exists()}


# --- the board pack ------------------------------------------------------------------------------------------------

@st.cache_data(show_spinner="Writing the board pack", max_entries=16)
def _board_pack(store: str, region_path: str, run_id: str, role: str, la_code: str) -> bytes:
    from app.dashboard.figures import key_figures
    from app.reports.board_pack import PackInput, board_pack

    # The reader's scope, so each scope is made once; the pack's reads are not views (its download is audited).
    reader = User("board-pack", role, la_code)
    record = run_record(run_id)
    previous = previous_run_id(run_id)
    names = council_names()
    council = names.get(la_code, la_code)
    allocations = table(reader, run_id, "allocations", audited=False)
    pack = PackInput(
        title=(f"{council}: board pack" if la_code else "The region's board pack"), month=record["month"],
        run_id=run_id, scope=(f"{council}'s children and referrals only, beside the region's totals" if la_code
                              else "every council of the region"),
        figures=key_figures(record["summary"], run_record(previous)["summary"] if previous else None),
        allocations=allocations if allocations is not None else pd.DataFrame(
            columns=["referral_id", "child_id", "la_code", "status", "reason"]),
        flags=table(reader, run_id, "flags", audited=False),
        balance=table(reader, run_id, "strategy_balance", audited=False),
        actions=table(reader, run_id, "strategy_actions", audited=False), names=names)
    return board_pack(pack).encode("utf-8")


def board_pack_file(user: User, run_id: str) -> tuple[str, bytes]:
    """The month's board pack for this user: a council officer's holds their council's children only and the
    region's totals, a commissioner's the whole region (file name, HTML bytes)."""
    la_code = "" if user.sees_all_councils else user.la_code
    month = run_record(run_id)["month"]
    name = f"board-pack-{month}-{la_code or 'region'}.html"
    return name, _board_pack(str(paths().store), str(paths().region), run_id, user.role, la_code)
