"""The dashboard's audit trail: every audited action writes exactly one row of the store's audit table (counted
with plain SQL), a rerun of the same page writes none, and the Audit page shows a commissioner every event and an
officer their own."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from app.dashboard.auth import User, add_user
from tests.dashboard_run import ENTRY, dashboard_on_session_run, open_page

BOLTON = "E08000001"
COMMISSIONER = User("commissioner", "commissioner", display_name="Test commissioner")
OFFICER = User("bolton", "council_officer", BOLTON, "Test Bolton officer")


@pytest.fixture(scope="module")
def run_store():
    """The session's monthly run of the embedded region (tests/dashboard_run.py), the dashboard pointed at it."""
    with dashboard_on_session_run() as run:
        yield run


def rows(store: Path, where: str = "true") -> list[tuple]:
    """The audit table's rows read straight from the DuckDB file, oldest first."""
    with duckdb.connect(str(store), read_only=True) as con:
        return con.execute(f"select who, role, council, action, page, run_id, detail from audit where {where} "
                           "order by happened_at").fetchall()


def test_a_sign_in_and_a_refused_one_write_one_row_each(tmp_path, monkeypatch):
    """A refused sign-in is one row naming the name typed; a successful one is one row with the role and council."""
    monkeypatch.setenv("RCC_OUT", str(tmp_path))
    monkeypatch.delenv("RCC_STORE", raising=False)
    users = tmp_path / "users.toml"
    add_user(users, "bolton", "council_officer", "right-password", la_code=BOLTON)
    monkeypatch.setenv("RCC_USERS", str(users))
    at = AppTest.from_file(ENTRY, default_timeout=60).run()
    at.text_input[0].input("bolton")
    at.text_input[1].input("wrong-password")
    at.button[0].click().run()
    store = tmp_path / "runs.duckdb"
    assert rows(store) == [("bolton", "", "", "sign_in_failed", "Log in", "", "")]
    at.text_input[1].input("right-password")
    at.button[0].click().run()
    assert not at.exception
    assert rows(store)[1:] == [("bolton", "council_officer", BOLTON, "sign_in", "Log in", "", "")]


def test_a_page_of_childrens_rows_is_one_row_per_table_per_visit(run_store):
    """Opening Matching as an officer writes one view row for each child-level table it shows (their council, the
    page); clicking on the same page writes none; coming back to it is a new visit."""
    before = len(rows(run_store.store))
    at = open_page(OFFICER, "matching")  # the app opens on the Overview first, a visit of its own
    views = [r for r in rows(run_store.store)[before:] if r[4] == "Matching"]
    run_id = run_store.run_id
    assert sorted((r[0], r[2], r[3], r[4], r[5], r[6].split(":")[0]) for r in views) == [
        ("bolton", BOLTON, "view", "Matching", "", "referrals"),
        ("bolton", BOLTON, "view", "Matching", run_id, "allocations"),
        ("bolton", BOLTON, "view", "Matching", run_id, "baseline_allocations"),
        ("bolton", BOLTON, "view", "Matching", run_id, "explanations"),
    ]
    allocations = next(d.value for d in at.dataframe if "status" in d.value.columns)
    assert f"allocations: {len(allocations)} rows" in [r[6] for r in views]
    opened = len(rows(run_store.store))
    next(r for r in at.radio if r.label == "Show").set_value("unmatched only").run()
    assert len(rows(run_store.store)) == opened
    at.switch_page("dashboard/pages/overview.py").run()
    after_overview = len(rows(run_store.store))
    at.switch_page("dashboard/pages/matching.py").run()
    assert len(rows(run_store.store)) == after_overview + 4


def test_a_control_change_and_a_resolve_write_one_row_each(run_store):
    """Adding a veto is one 'controls' row naming it; re-solving is one 'resolve' row and nothing else."""
    at = open_page(COMMISSIONER, "matching")
    with duckdb.connect(str(run_store.store), read_only=True) as con:  # the codes, as the page's table shows words
        matched = con.execute("select referral_id, setting_id from allocations where run_id = ? and status = "
                              "'matched' order by referral_id limit 1", [run_store.run_id]).df().iloc[0]
    next(s for s in at.selectbox if s.label == "Referral").select(matched["referral_id"])
    next(r for r in at.radio if r.label == "Action").set_value("veto")
    at.text_input[0].input(matched["setting_id"])
    before = len(rows(run_store.store))
    next(b for b in at.button if b.label == "Add this control").click().run()
    added = rows(run_store.store)[before:]
    assert [(r[0], r[3], r[5]) for r in added] == [("commissioner", "controls", run_store.run_id)]
    assert added[0][6] == f"added {matched['referral_id']} veto {matched['setting_id']}"
    next(b for b in at.button if b.label == "Re-solve the match with these controls").click().run()
    assert not at.exception
    resolved = rows(run_store.store)[before + 1:]
    assert [(r[0], r[3], r[5], r[6]) for r in resolved] == [("commissioner", "resolve", run_store.run_id,
                                                             "1 controls")]


def test_an_upload_and_a_download_write_one_row_each(run_store):
    """Validating an upload is one row naming its files; a download button's callback is one row naming the file."""
    from app.dashboard import audit, loaders

    before = len(rows(run_store.store))
    upload = b"setting_id\nS1\n"
    loaders.validate_upload(OFFICER, [("settings.csv", upload)])
    audit.download_callback(OFFICER, "controls.csv", run_store.run_id)()
    assert [(r[0], r[3], r[6]) for r in rows(run_store.store)[before:]] == [
        ("bolton", "upload", f"settings.csv ({len(upload)} bytes)"), ("bolton", "download", "controls.csv")]


def test_the_audit_page_shows_a_commissioner_everything_and_an_officer_their_own(run_store):
    """The commissioner's Audit page lists every event in the table; an officer's only their own; both export."""
    open_page(OFFICER, "overview")
    every = rows(run_store.store)
    everyone = open_page(COMMISSIONER, "audit")
    shown = everyone.dataframe[0].value
    assert len(shown) >= len(every) and {"bolton", "commissioner"} <= set(shown["who"])
    own = open_page(OFFICER, "audit").dataframe[0].value
    assert set(own["who"]) == {"bolton"}
    assert len(own) == len(rows(run_store.store, "who = 'bolton'"))
    assert [b.label for b in everyone.get("download_button")] == ["Download audit.csv"]


def test_the_board_pack_is_audited_as_its_readers_download_not_as_views_by_no_one(run_store):
    """Making the pack reads child-level tables for the reader's scope: no audit row may name anyone but a person
    (before, its reads were logged as viewed by 'board-pack'); the download itself is one row under the reader."""
    import streamlit as st

    from app.dashboard import audit, loaders

    st.cache_data.clear()  # the pack is made afresh, as in a new server process
    before = len(rows(run_store.store))
    name, _ = loaders.board_pack_file(OFFICER, run_store.run_id)
    assert rows(run_store.store)[before:] == []
    audit.download_callback(OFFICER, name, run_store.run_id)()
    assert [(r[0], r[3], r[6]) for r in rows(run_store.store)[before:]] == [("bolton", "download", name)]
