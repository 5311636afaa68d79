"""Every dashboard page under Streamlit's AppTest, as each role, on a real monthly run of the embedded region; and
the proof that a council officer's session never receives another council's children."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app.dashboard.auth import User
from tests.dashboard_run import EARLIER_CHILDREN_IN_CARE_DROP, dashboard_on_session_run, open_page

BOLTON, MANCHESTER = "E08000001", "E08000003"
COMMISSIONER = User("commissioner", "commissioner", display_name="Test commissioner")
OFFICER = User("bolton", "council_officer", BOLTON, "Test Bolton officer")
PAGES = ("overview", "demand", "matching", "market", "england", "strategy", "runs", "data_upload")
TITLES = {"data_upload": "Data", "england": "England's market"}


@pytest.fixture(scope="module", autouse=True)
def run_store():
    """Point the dashboard at the session's monthly run (the real batch on the embedded region)."""
    with dashboard_on_session_run() as run:
        yield run


def texts(at: AppTest) -> list[str]:
    return [e.value for kind in ("markdown", "caption", "info", "success", "warning", "error") for e in
            getattr(at, kind)] + [f"{m.label} {m.value}" for m in at.metric]


@pytest.mark.parametrize("user", [COMMISSIONER, OFFICER], ids=["commissioner", "council_officer"])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_for_each_role(page, user):
    """Each page runs without an exception, shows its title and says who is signed in and what they see."""
    at = open_page(user, page)
    assert at.title[0].value == TITLES.get(page, page.capitalize())
    assert "Signed in as " + user.display_name in at.caption[0].value
    assert ("every council" in at.caption[0].value) == user.sees_all_councils


RAW_COUNCIL_CODE = re.compile(r"\bE[01]\d{7}\b")  # an ONS council code: E06/E08/E09 unitaries, E10 counties
NOT_A_VALUE = re.compile(r"\b(None|nan|NaN|NaT)\b")


def readable_texts(at: AppTest) -> list[str]:
    """Everything a person reads on the page outside charts: titles, headings, text, metrics, expander labels,
    select-box options as shown, and every table's headings and cells."""
    words = texts(at) + [e.value for kind in ("title", "subheader", "header") for e in getattr(at, kind)]
    words += [f"{m.delta}" for m in at.metric if m.delta]
    words += [e.label for e in at.expander] + [o for box in at.selectbox for o in box.options]
    for element in at.dataframe:
        frame = element.value
        words += [str(c) for c in frame.columns] + [str(v) for v in frame.astype(str).to_numpy().ravel()]
    return words


@pytest.mark.parametrize("user", [COMMISSIONER, OFFICER], ids=["commissioner", "council_officer"])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_draws_a_chart_and_reads_in_words(page, user):
    """Each page draws at least one chart, and nothing a person reads on it (text, metric, option, table heading
    or cell) holds a raw council code or a None/nan where a value should be."""
    at = open_page(user, page)
    assert at.get("vega_lite_chart"), f"{page}: no chart"
    for text in readable_texts(at):
        assert not RAW_COUNCIL_CODE.search(text), f"{page}: {text[:120]!r}"
        assert not NOT_A_VALUE.search(text), f"{page}: {text[:120]!r}"


def test_overview_shows_key_figures_with_change_since_last_month(run_store):
    """The key figures come from the run summary, with the change against the earlier month's run."""
    at = open_page(COMMISSIONER, "overview")
    figures = {m.label: m for m in at.metric}
    assert {"Children in care", "Left unmatched", "Weekly cost of the matched placements"} <= set(figures)
    assert figures["Children in care"].delta == f"+{EARLIER_CHILDREN_IN_CARE_DROP} children"
    assert figures["Left unmatched"].delta == "no change"
    assert any(run_store.earlier_run_id in t for t in texts(at))
    specs = [chart.proto.spec for chart in at.get("vega_lite_chart")]
    places = [spec for spec in specs if "registered (active)" in spec]
    assert len(places) == 1 and "geoshape" in places[0] and "Bolton" in places[0]


def test_demand_council_choice_and_scenario_change_the_result(run_store):
    """Picking another council changes the forecast shown; a scenario re-runs the forecast, shows its effect and
    saves as TOML."""
    at = open_page(COMMISSIONER, "demand")
    before = next(c.value for c in at.caption if c.value.startswith("By "))
    next(s for s in at.selectbox if s.label == "Council").select_index(2).run()
    after = next(c.value for c in at.caption if c.value.startswith("By "))
    assert before != after
    import tomllib

    from tests.dashboard_run import FAST_PARAMS

    horizons = tomllib.loads(FAST_PARAMS.read_text())["forecast"]["backtest"]["horizons"]
    assert at.dataframe[0].value["horizon"].tolist() == horizons  # the accuracy at each horizon backtested
    at.slider[0].set_value(0.2)
    at.button[0].click().run()  # the form's submit
    assert not at.exception
    effect = [m for m in at.metric if m.label.startswith("Children expected by")]
    assert effect and "vs the run" in effect[0].delta
    next(b for b in at.button if b.label == "Save this scenario").click().run()
    saved = run_store.out / "scenarios" / "my-scenario.toml"
    assert saved.exists() and "fgdm_diversion = 0.2" in saved.read_text()


def test_demand_fan_starts_from_the_children_counted_and_says_its_accuracy_in_words(run_store):
    """The fan chart carries the history counted (the store's history_stocks, added up here by hand for the first
    council's children's homes), one accuracy sentence per horizon backtested, and after a scenario the run's
    forecast with the scenario drawn over it in one chart."""
    import tomllib

    import duckdb

    from tests.dashboard_run import FAST_PARAMS

    with duckdb.connect(str(run_store.store), read_only=True) as con:
        council, month, counted = con.execute(
            "select la_code, month, sum(stock) from history_stocks where run_id = ? and \"group\" = 'childrens_home' "
            "group by la_code, month order by la_code, month desc limit 1", [run_store.run_id]).fetchone()
    at = open_page(COMMISSIONER, "demand")
    assert next(s for s in at.selectbox if s.label == "Council").value == council
    spec, frames = chart_data(at)[0]
    history = next(f for f in frames if "children" in f.columns)
    assert '"counted"' in spec and history["children"].iloc[-1] == counted and len(history) == 36
    assert pd.Timestamp(history["month"].iloc[-1]).strftime("%Y-%m") == pd.Timestamp(str(month)).strftime("%Y-%m")
    horizons = tomllib.loads(FAST_PARAMS.read_text())["forecast"]["backtest"]["horizons"]
    sentences = [m.value for m in at.markdown if "forecast" in m.value and "ahead:" in m.value]
    assert [s.split(" ")[1] for s in sentences] == [str(h) for h in horizons]
    at.slider[0].set_value(0.2)
    at.button[0].click().run()
    overlaid = [spec for spec, _ in chart_data(at) if "over the run's forecast" in spec]
    assert len(overlaid) == 1 and '"scenario"' in overlaid[0] and '"counted"' in overlaid[0]


def test_matching_veto_changes_the_allocation():
    """Vetoing the home a child was given and re-solving moves that child elsewhere, and the page says so."""
    at = open_page(COMMISSIONER, "matching")
    allocations = next(d.value for d in at.dataframe if "status" in d.value.columns)
    matched = allocations[allocations["status"] == "matched"].iloc[0]
    referral, home = matched["referral"], matched["home"]
    next(s for s in at.selectbox if s.label == "Referral").select(referral)
    next(r for r in at.radio if r.label == "Action").set_value("veto")
    at.text_input[0].input(home)
    at.text_input[2].input("test veto")
    next(b for b in at.button if b.label == "Add this control").click().run()
    next(b for b in at.button if b.label == "Re-solve the match with these controls").click().run()
    assert not at.exception
    assert "Re-solved with 1 control(s)" in at.success[0].value
    outcome = at.session_state["match_outcome"]
    row = outcome.allocations.set_index("referral_id").loc[referral]
    assert row["setting_id"] != home


def test_matching_rejects_a_control_with_an_unknown_home():
    """A veto of a home that does not exist is reported row by row and nothing is re-solved."""
    at = open_page(COMMISSIONER, "matching")
    referral_box = next(s for s in at.selectbox if s.label == "Referral")
    referral_box.select_index(0)
    at.text_input[0].input("NO-SUCH-HOME")
    next(b for b in at.button if b.label == "Add this control").click().run()
    next(b for b in at.button if b.label == "Re-solve the match with these controls").click().run()
    assert "not re-solved" in at.error[0].value
    issues = next(d.value for d in at.dataframe if {"rule", "value"} <= set(d.value.columns))
    assert "NO-SUCH-HOME" in issues["value"].tolist()


def test_strategy_page_says_plainly_when_a_run_has_no_plan(run_store, tmp_path, monkeypatch):
    """A run made without the strategy stage (its tables without any strategy_* or planning_gap table, and no
    strategy files published): the page says the month has no commissioning strategy yet and that there are no
    files to download, and shows no table and no download button. The same page on the session's run, which has a
    plan, shows its tables and both downloads, so the two branches differ."""
    from app.history.store import RunStore

    with RunStore(run_store.store, read_only=True) as s:
        record = s.run(run_store.run_id)
        tables = {name: s.table(run_store.run_id, name) for name in record["tables"]
                  if not name.startswith("strategy_") and name != "planning_gap"}
    assert "strategy_actions" in record["tables"] and "validation" in tables
    store = tmp_path / "out" / "runs.duckdb"
    store.parent.mkdir()
    with RunStore(store) as s:
        s.write_run(dict(record, run_id="no-plan"), tables)
    with_plan = open_page(COMMISSIONER, "strategy")
    assert len(with_plan.dataframe) >= 3 and len(with_plan.download_button) == 2
    monkeypatch.setenv("RCC_OUT", str(store.parent))
    monkeypatch.setenv("RCC_STORE", str(store))
    at = open_page(COMMISSIONER, "strategy")
    month = record["month"]
    assert [i.value for i in at.info] == [
        f"The run for {month} has no commissioning strategy yet. The plan is made by `rcc strategy` (it writes "
        "strategy.xlsx and strategy.html); once the monthly run includes it, it appears here."]
    assert f"No strategy.xlsx or strategy.html in OUT/{month}/ yet." in [m.value for m in at.markdown]
    assert len(at.dataframe) == 0 and len(at.download_button) == 0
    assert [h.value for h in at.subheader] == ["Downloads"]


def test_runs_page_lists_runs_and_compares_them(run_store):
    """Both runs are listed and the comparison shows the change in children in care between them."""
    at = open_page(COMMISSIONER, "runs")
    listed = at.dataframe[0].value
    assert set(listed["run"]) == {run_store.run_id, run_store.earlier_run_id}
    figures = at.dataframe[1].value.set_index("figure")
    assert figures.loc["Children in care", "change"] == f"+{EARLIER_CHILDREN_IN_CARE_DROP} children"


def test_data_page_validates_an_upload_and_lists_every_problem():
    """An uploaded settings file with a bad value comes back as rows of the validation table."""
    from app.dashboard import loaders

    files = [(p.name, p.read_bytes()) for p in sorted(Path(loaders.EMBEDDED_REGION).glob("*.csv"))]
    broken = [(name, content.replace(b",childrens_home,", b",castle,", 1) if name == "settings.csv" else content)
              for name, content in files]
    issues, counts = loaders.validate_upload(COMMISSIONER, broken)
    assert counts is None
    bad = issues[(issues["severity"] == "error") & (issues["value"] == "castle")]
    assert len(bad) == 1 and bad.iloc[0]["file"] == "settings.csv"
    at = open_page(COMMISSIONER, "data_upload")
    assert [m.label for m in at.metric] == ["Errors", "Warnings", "Flags (facts to act on)"]


# --- role isolation ---------------------------------------------------------------------------------------------

def _other_councils_ids(run_store) -> set[str]:
    """Every child and referral id that belongs to a council other than Bolton, in the region and in the run."""
    from app.dashboard import loaders
    from app.history.store import RunStore

    region = loaders.region()
    with RunStore(run_store.store, read_only=True) as s:
        allocations = s.table(run_store.run_id, "allocations")
    frames = [region.children[["child_id", "la_code"]], region.referrals[["child_id", "la_code"]],
              allocations[["child_id", "la_code"]]]
    children = pd.concat(frames)
    ids = set(children.loc[children["la_code"] != BOLTON, "child_id"])
    referrals = pd.concat([region.referrals[["referral_id", "la_code"]], allocations[["referral_id", "la_code"]]])
    ids |= set(referrals.loc[referrals["la_code"] != BOLTON, "referral_id"])
    return ids - set(children.loc[children["la_code"] == BOLTON, "child_id"])


def _cells(frame: pd.DataFrame) -> set[str]:
    return set(frame.astype(str).to_numpy().ravel())


@pytest.fixture
def served(monkeypatch) -> list:
    """The file store behind every AppTest run from here on, newest last: what st.download_button serves, byte
    for byte (AppTest drops it when the run ends)."""
    import streamlit.testing.v1.app_test as app_test_module
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    storages = []

    class Recording(MemoryMediaFileStorage):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            storages.append(self)

    monkeypatch.setattr(app_test_module, "MemoryMediaFileStorage", Recording)
    return storages


def download_payloads(at: AppTest, served: list) -> dict[str, bytes]:
    """Every download button's label and the bytes it would hand over."""
    files = served[-1]._files_by_id
    payloads = {}
    for button in at.download_button:
        assert button.proto.url, f"{button.label}: its bytes are made on click, which this test cannot read"
        payloads[button.label] = files[Path(button.proto.url).stem].content
    return payloads


def readable(content: bytes) -> str:
    """A payload as text: a workbook (a zip of XML) as all its members' text, anything else as UTF-8."""
    import io
    import zipfile

    if zipfile.is_zipfile(io.BytesIO(content)):
        with zipfile.ZipFile(io.BytesIO(content)) as book:
            return "\n".join(book.read(name).decode("utf-8") for name in book.namelist())
    return content.decode("utf-8")


def chart_data(at: AppTest) -> list[tuple[str, list[pd.DataFrame]]]:
    """Every chart's specification (JSON text) and the data sets sent with it."""
    import pyarrow as pa

    charts = []
    for chart in at.get("vega_lite_chart"):
        blobs = [d.data.data for d in chart.proto.datasets] + [chart.proto.data.data]
        charts.append((chart.proto.spec, [pa.ipc.open_stream(b).read_pandas() for b in blobs if b]))
    return charts


def state_leaves(value, texts: list[str] | None = None, frames: list[pd.DataFrame] | None = None):
    """A session-state value taken apart: (every string outside a table, every table), through dataclass fields,
    mappings and sequences, down to the leaves."""
    import dataclasses

    texts = [] if texts is None else texts
    frames = [] if frames is None else frames
    if isinstance(value, (pd.DataFrame, pd.Series)):
        frames.append(value.to_frame() if isinstance(value, pd.Series) else value)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            state_leaves(getattr(value, field.name), texts, frames)
    elif isinstance(value, dict):
        for k, v in value.items():
            state_leaves(k, texts, frames)
            state_leaves(v, texts, frames)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            state_leaves(item, texts, frames)
    else:
        texts.append(str(value))
    return texts, frames


LA_CODE = re.compile(r"\bE\d{8}\b")


def test_council_officer_session_never_receives_another_councils_children(run_store, served):
    """Visit every page as Bolton's officer (re-solving the match and running a demand scenario on the way): no
    table, text, download's bytes, chart, select-box option or session-state value (tables in it included)
    carries a child or referral id of another council; no download, select box or session value outside a table
    names another council's code (nor a select box its name); every council column (la_code: the council
    responsible for the child) of a table, chart or session table is Bolton's or the region's, while a home's
    council or a council's own fostering service may be another's; the only charts naming other councils are
    maps of council areas; and the demand chart is Bolton's own forecast, as summed here from the stored rows."""
    from app.dashboard import loaders
    from app.history.store import RunStore

    foreign = _other_councils_ids(run_store)
    assert len(foreign) > 1000  # the check is about something: the other nine councils' children
    authorities = loaders.region().authorities
    other_codes = set(authorities["la_code"]) - {BOLTON}
    other_names = set(authorities["la_name"]) - {"Bolton"}
    assert len(other_codes) == 9
    id_pattern = re.compile(r"\b[A-Z]{1,3}[-0-9A-Z]*\d{4,}\b")

    def ids_in(text: str) -> set[str]:
        return (set(id_pattern.findall(text)) | {text}) & foreign

    with RunStore(run_store.store, read_only=True) as s:
        forecast = s.table(run_store.run_id, "forecast")
    seen = {"tables": 0, "downloads": set(), "charts": 0, "selectboxes": 0, "state": set()}
    for page in PAGES:
        at = open_page(OFFICER, page)
        if page == "matching":
            next(b for b in at.button if b.label == "Re-solve the match with these controls").click().run()
            assert not at.exception
            outcome = at.session_state["match_outcome"]
            for frame in (outcome.allocations, outcome.explanations):
                assert not _cells(frame) & foreign
            assert set(outcome.allocations["la_code"]) == {BOLTON}
        if page == "demand":
            at.slider[0].set_value(0.1)
            next(b for b in at.button if b.label == "Re-run the forecast").click().run()
            assert not at.exception
        for element in at.dataframe:
            frame = element.value
            seen["tables"] += 1
            leaked = _cells(frame) & foreign
            assert not leaked, f"{page}: {sorted(leaked)[:5]}"
            if "la_code" in frame.columns:
                assert set(frame["la_code"].astype(str)) <= {BOLTON, "region"}, page
        for text in texts(at):
            leaked = set(id_pattern.findall(text)) & foreign
            assert not leaked, f"{page}: {sorted(leaked)[:5]} in {text[:80]!r}"
        for label, content in download_payloads(at, served).items():
            seen["downloads"].add(label)
            text = readable(content)
            assert not ids_in(text), f"{page}, {label}: {sorted(ids_in(text))[:5]}"
            assert not set(LA_CODE.findall(text)) & other_codes, f"{page}, {label}"
        for spec, frames in chart_data(at):
            seen["charts"] += 1
            cells = [c for frame in frames for c in _cells(frame)]
            assert not ids_in(spec) and not {c for c in cells if ids_in(c)}, page
            for frame in frames:
                if "la_code" in frame.columns:
                    assert set(frame["la_code"].astype(str)) <= {BOLTON, "region"}, page
            if set(LA_CODE.findall(spec)) & other_codes:
                assert '"geoshape"' in spec, f"{page}: a chart other than a map of areas names other councils"
        for box in at.selectbox:
            seen["selectboxes"] += 1
            for option in box.options:
                assert not ids_in(option), f"{page}, {box.label}: {option}"
                assert not set(LA_CODE.findall(option)) & other_codes, f"{page}, {box.label}: {option}"
                assert not any(name in option for name in other_names), f"{page}, {box.label}: {option}"
        for key, value in at.session_state.to_dict().items():
            seen["state"].add(key)
            strings, frames = state_leaves(value)
            for frame in frames:
                leaked = _cells(frame) & foreign
                assert not leaked, f"{page}: session value {key!r} holds {sorted(leaked)[:5]}"
                if "la_code" in frame.columns:
                    assert set(frame["la_code"].astype(str)) <= {BOLTON, "region"}, f"{page}: {key!r}"
            for text in strings:
                assert not ids_in(text), f"{page}: session value {key!r} holds {sorted(ids_in(text))[:5]}"
                assert not set(LA_CODE.findall(text)) & other_codes, f"{page}: session value {key!r}: {text[:80]}"
        if page == "demand":
            box = next(b for b in at.selectbox if b.label == "Placement group")
            charts = chart_data(at)
            assert len(charts) == 3  # the run's forecast, the council's published yearly series, the scenario's
            shown = charts[0][1][0]
            months = pd.to_datetime(forecast["month"])
            own = forecast[(forecast["la_code"] == BOLTON) & (forecast["group"] == box.value)]
            by_month = own.groupby(months[own.index])[["mean", "p10", "p90"]].sum()
            assert len(shown) == len(by_month)
            for column in ("mean", "p10", "p90"):
                assert shown[column].tolist() == pytest.approx(by_month[column].tolist()), column
            for spec, _ in charts:
                title = json.loads(spec)["title"]
                title = title if isinstance(title, str) else title.get("text", "")
                assert "Bolton" in title and not any(name in title for name in other_names), title
    assert seen["tables"] >= 10 and seen["charts"] >= 4 and seen["selectboxes"] >= 8
    assert {"Download controls.csv", "Download the scenario (TOML)", "Download the board pack (HTML)"} <= seen[
        "downloads"]
    # the strategy files set out every council's plan: the commissioner's, not the officer's
    assert not {label for label in seen["downloads"] if "strategy" in label}
    with pytest.raises(PermissionError):
        loaders.strategy_files(OFFICER, run_store.run_id)
    assert set(loaders.strategy_files(COMMISSIONER, run_store.run_id)) == {
        "Download the plan (strategy.xlsx)", "Download the report (strategy.html)"}
    assert {"user", "match_outcome", "match_controls", "demand_scenario"} <= seen["state"]


def test_loader_tables_for_an_officer_hold_only_their_councils_children(run_store):
    """Every result table of the run, read through the loaders as Bolton's officer, has no other council's child."""
    from app.dashboard import loaders
    from app.history.store import RunStore

    foreign = _other_councils_ids(run_store)
    with RunStore(run_store.store, read_only=True) as s:
        names = s.tables(run_store.run_id)
    assert {"allocations", "flags", "fees", "explanations"} <= set(names)
    for name in names:
        if name == "validation":  # its rows are refused whole (test_an_officer_cannot_open_the_validation_rows)
            continue
        frame = loaders.table(OFFICER, run_store.run_id, name)
        assert not _cells(frame) & foreign, name
    full = loaders.table(COMMISSIONER, run_store.run_id, "allocations")
    mine = loaders.table(OFFICER, run_store.run_id, "allocations")
    assert 0 < len(mine) < len(full) and set(mine["la_code"]) == {BOLTON}


def test_an_officer_cannot_open_the_validation_rows(run_store):
    """The validation table quotes cells of every council's files (rows of children.csv about other councils'
    children, attributed here by row number to the region's children): a commissioner reads it from the region and
    from the run; Bolton's officer is refused both, and the Data page shows them counts and no table."""
    from app.dashboard import loaders

    children = loaders.region().children
    stored = loaders.table(COMMISSIONER, run_store.run_id, "validation")
    assert len(loaders.region_issues(COMMISSIONER)) >= len(stored) > 0
    about_children = stored[stored["file"] == "children.csv"]
    councils = set()
    for row in about_children.itertuples():
        child = children.iloc[int(row.row) - 2]  # as Excel numbers rows: the header is row 1
        assert str(child[row.column]) == row.value  # the row number does point at this child
        councils.add(child["la_code"])
    assert councils - {BOLTON}  # there are other councils' rows to withhold
    with pytest.raises(PermissionError):
        loaders.region_issues(OFFICER)
    with pytest.raises(PermissionError):
        loaders.table(OFFICER, run_store.run_id, "validation")
    at = open_page(OFFICER, "data_upload")
    assert len(at.dataframe) == 0
    assert [m.label for m in at.metric] == ["Errors", "Warnings", "Flags (facts to act on)"]
    assert any("only regional commissioners see it" in c.value for c in at.caption)


@pytest.fixture
def region_with_controls(run_store, tmp_path, monkeypatch) -> pd.DataFrame:
    """The embedded region with a controls.csv: one veto by Bolton and one by Manchester, each of the home the
    run gave that council's first matched child; the dashboard reads this region."""
    from app.history.store import RunStore
    from data import EMBEDDED_REGION
    from data.load import load_region

    folder = tmp_path / "greater-manchester"
    shutil.copytree(EMBEDDED_REGION, folder)
    referrals = set(load_region(EMBEDDED_REGION).referrals["referral_id"])
    with RunStore(run_store.store, read_only=True) as s:
        allocations = s.table(run_store.run_id, "allocations")
    matched = allocations[allocations["status"].eq("matched") & allocations["referral_id"].isin(referrals)]
    rows = [{"referral_id": matched.loc[matched["la_code"] == la, "referral_id"].iloc[0], "action": "veto",
             "setting_id": matched.loc[matched["la_code"] == la, "setting_id"].iloc[0], "provider_id": "",
             "note": f"{name}'s veto"} for la, name in ((BOLTON, "Bolton"), (MANCHESTER, "Manchester"))]
    controls = pd.DataFrame(rows, dtype=str)
    controls.to_csv(folder / "controls.csv", index=False)
    monkeypatch.setenv("RCC_REGION", str(folder))
    return controls


def test_an_officer_cannot_see_or_edit_another_councils_controls(run_store, region_with_controls):
    """Bolton's officer is shown Bolton's control only (in the loader and in the Matching page's session); deleting
    it leaves Manchester's as written; and any edit naming a Manchester referral, to change Manchester's veto or
    to add one, is refused before anything is solved, in the loader and on the page."""
    from app.dashboard import loaders

    written = region_with_controls
    bolton, manchester = written.iloc[[0]].reset_index(drop=True), written.iloc[[1]].reset_index(drop=True)
    pd.testing.assert_frame_equal(loaders.controls(COMMISSIONER), written)
    pd.testing.assert_frame_equal(loaders.controls(OFFICER), bolton)
    pd.testing.assert_frame_equal(loaders._merged_controls(OFFICER, bolton.iloc[:0]), manchester)
    kept = loaders._merged_controls(OFFICER, bolton.assign(note="changed by Bolton"))
    assert kept["note"].tolist() == ["Manchester's veto", "changed by Bolton"]
    changed = manchester.assign(note="changed by Bolton")
    another_veto = manchester.assign(setting_id=written.at[0, "setting_id"], note="added by Bolton")
    for edit in (pd.concat([bolton, changed]), pd.concat([bolton, manchester, another_veto]), changed):
        with pytest.raises(PermissionError, match=manchester.at[0, "referral_id"]):
            loaders.solve(OFFICER, run_store.run_id, edit)

    at = open_page(OFFICER, "matching")
    pd.testing.assert_frame_equal(at.session_state["match_controls"].reset_index(drop=True), bolton)
    at.session_state["match_controls"] = pd.concat([bolton, changed], ignore_index=True)
    at.run()
    next(b for b in at.button if b.label == "Re-solve the match with these controls").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        f"you can lock or veto only your own council's referrals: {manchester.at[0, 'referral_id']}"]
    assert at.session_state.get("match_outcome") is None


def test_rcc_app_reuses_the_latest_run_when_the_store_has_one(run_store):
    """`rcc app` starts on the store's latest run of the region instead of running the batch again."""
    from app.batch.monthly import ensure_latest_run
    from data import EMBEDDED_REGION

    messages = []
    assert ensure_latest_run(EMBEDDED_REGION, run_store.out, run_store.store, messages.append) == run_store.run_id
    assert messages == []  # nothing was run


def test_resolving_without_controls_reproduces_the_runs_allocation(run_store):
    """A re-solve with no locks or vetoes uses the run's date and parameters, so it gives the run's allocation."""
    from app.dashboard import loaders

    outcome = loaders.solve(COMMISSIONER, run_store.run_id, pd.DataFrame(columns=loaders.CONTROL_COLUMNS))
    stored = loaders.table(COMMISSIONER, run_store.run_id, "allocations")
    assert outcome.issues.empty
    assert len(outcome.allocations) == len(stored)
    assert outcome.summary == loaders.run_record(run_store.run_id)["summary"]["match"]
    assert (outcome.allocations.set_index("referral_id")["status"]
            == stored.set_index("referral_id")["status"]).all()


def test_an_officer_sees_no_other_councils_children_in_setting_flags(run_store):
    """A setting's flag counts every council's children there with their cost and days: Bolton's officer reads the
    finding and Bolton's own children there only; the commissioner reads the whole evidence."""
    from app.dashboard import loaders
    from data import EMBEDDED_REGION
    from data.load import load_region

    children = load_region(EMBEDDED_REGION).children
    placed = children[children["current_setting_id"].fillna("").ne("")]
    shared = set(placed.loc[placed["la_code"].ne(BOLTON), "current_setting_id"])
    names = set(load_region(EMBEDDED_REGION).authorities["la_name"])
    officer = loaders.table(OFFICER, run_store.run_id, "flags")
    full = loaders.table(COMMISSIONER, run_store.run_id, "flags").set_index("subject_id")
    settings = officer[officer["subject_type"].eq("setting") & officer["subject_id"].isin(shared)]
    assert len(settings) > 0  # the embedded region has unlawful settings holding other councils' children
    for row in settings.itertuples():
        about_children = row.evidence.split(": ", 1)[1]
        own = int((placed["current_setting_id"].eq(row.subject_id) & placed["la_code"].eq(BOLTON)).sum())
        assert about_children.startswith(f"{own} of Bolton's children live there")
        assert "£" not in about_children and "day" not in about_children
        assert not any(name in about_children for name in names - {"Bolton"})
        assert "£" in full.at[row.subject_id, "evidence"]


def _published_looked_after(la_code: str) -> dict[int, float]:
    """Children looked after at 31 March as the DfE's headline table has them, read with the csv module."""
    import csv

    from tests.public_raw import PUBLIC

    with open(PUBLIC / "dfe" / "cla_number_and_rate_per_10k_children.csv", newline="", encoding="utf-8-sig") as f:
        return {int(r["time_period"]): float(r["children_count"]) for r in csv.DictReader(f)
                if r["new_la_code"] == la_code and r["population_type"].startswith("Children looked after on 31")
                and r["children_count"].isdigit()}


def test_demand_shows_the_published_yearly_series_and_its_accuracy(run_store):
    """Below the monthly forecast, the Demand page draws the council's published totals (the DfE's own figures,
    as its headline table has them) with the yearly forecast, says how accurate that forecast was in words, and
    checks the extract against the published totals."""
    at = open_page(COMMISSIONER, "demand")
    assert any(s.value == "What the DfE publishes: children looked after at 31 March" for s in at.subheader)
    frames = next(frames for spec, frames in chart_data(at) if "31 March of" in spec)
    rows = pd.concat(frames, ignore_index=True)
    published = rows[rows["kind"] == "published"].set_index("year")["value"].to_dict()
    expected = _published_looked_after("E08000001")  # Bolton, the first council
    assert {y: expected[y] for y in (2021, 2022, 2023, 2024)} == {y: published[y] for y in (2021, 2022, 2023, 2024)}
    assert set(rows.loc[rows["kind"] == "forecast", "year"]) >= {2025, 2026, 2027}
    words = [t for t in texts(at) if t.startswith("Over the last")]
    assert words and "8 times in 10" in words[0]
    assert at.dataframe[-1].value["year"].min() <= 2024  # the extract's check against the published years


def test_board_pack_holds_the_readers_children_only(run_store, served):
    """The Overview's board pack: Bolton's officer's lists every unmatched Bolton referral (counted here from the
    stored allocations) and no other council's child or referral id or code; the commissioner's lists the other
    councils' unmatched referrals too. Both carry the region's totals."""
    from app.dashboard import loaders
    from app.history.store import RunStore

    with RunStore(run_store.store, read_only=True) as s:
        allocations = s.table(run_store.run_id, "allocations")
    unmatched = allocations[allocations["status"] == "unmatched"]
    bolton = set(unmatched.loc[unmatched["la_code"] == BOLTON, "referral_id"])
    others = set(unmatched.loc[unmatched["la_code"] != BOLTON, "referral_id"])
    assert bolton and others
    foreign = _other_councils_ids(run_store)
    other_codes = set(loaders.region().authorities["la_code"]) - {BOLTON}
    id_pattern = re.compile(r"\b[A-Z]{1,3}[-0-9A-Z]*\d{4,}\b")
    packs = {}
    for user in (OFFICER, COMMISSIONER):
        at = open_page(user, "overview")
        packs[user.role] = download_payloads(at, served)["Download the board pack (HTML)"].decode("utf-8")
    officer, commissioner = packs["council_officer"], packs["commissioner"]
    assert all(r in officer for r in bolton) and not set(id_pattern.findall(officer)) & foreign
    assert not set(LA_CODE.findall(officer)) & other_codes and "Bolton: board pack" in officer
    assert all(r in commissioner for r in bolton | others)
    children = loaders.run_record(run_store.run_id)["summary"]["children_in_care"]
    for pack in (officer, commissioner):
        assert f"{children:,} children" in pack and not NOT_A_VALUE.search(pack)
