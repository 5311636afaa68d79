"""The dashboard's audit trail: every sign-in, view of children's rows, change of locks or vetoes, re-solve, upload
and download is one row of the run store's audit table (app/history/store.py), written by `record` and nothing
else. Councils' information governance asks who looked at which child's record and when: this is the answer.

A Streamlit page runs again on every click, so a view is recorded once per visit of a page (per run and table),
not once per rerun: the header every page draws (ui.header) starts a visit, `viewed` records what it shows.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pandas as pd
import streamlit as st

from app.dashboard.auth import User

ACTIONS = ("sign_in", "sign_in_failed", "view", "controls", "resolve", "upload", "download")
CONTROLS_KEY = "audit_controls"  # session state: the locks and vetoes as last seen
VISIT_KEY = "audit_visit"  # session state: {"page": title, "seen": {(run_id, table), ...}}
# The store waits this long for a monthly batch's commit before an event is written (the batch holds the DuckDB
# file only while it commits, a second or two).
WAIT_S = 30.0


def record(user: User | str, action: str, page: str = "", run_id: str = "", detail: str = "") -> None:
    """One audit row. `user` is the signed-in user, or the name typed at a refused sign-in."""
    from app.dashboard.loaders import paths
    from app.history.store import open_store

    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}; known: {', '.join(ACTIONS)}")
    known = isinstance(user, User)
    event = {"happened_at": datetime.now(timezone.utc).replace(tzinfo=None), "who": user.name if known else str(user),
             "role": user.role if known else "", "council": (user.la_code or "all") if known else "",
             "action": action, "page": page or current_page(), "run_id": run_id or "", "detail": detail}
    with open_store(paths().store, wait_s=WAIT_S) as store:
        store.record_event(event)


def sign_in(name: str, user: User | None) -> None:
    """A sign-in attempt: the user when it succeeded, else the name typed."""
    record(user if user is not None else name.strip(), "sign_in" if user is not None else "sign_in_failed",
           page="Log in")


def visit(page: str) -> None:
    """A page is being drawn: a new visit when it is not the page drawn last in this session."""
    if st.session_state.get(VISIT_KEY, {}).get("page") != page:
        st.session_state[VISIT_KEY] = {"page": page, "seen": set()}


def current_page() -> str:
    return st.session_state.get(VISIT_KEY, {}).get("page", "")


def viewed(user: User, run_id: str | None, table: str, rows: pd.DataFrame | None) -> None:
    """Children's rows of `table` were handed to this user's page: recorded once per visit."""
    if rows is None:
        return
    state = st.session_state.setdefault(VISIT_KEY, {"page": "", "seen": set()})
    key = (run_id or "", table)
    if key in state["seen"]:
        return
    state["seen"].add(key)
    record(user, "view", run_id=run_id or "", detail=f"{table}: {len(rows)} rows")


def controls_changed(user: User, run_id: str, edited: pd.DataFrame) -> None:
    """The matching page's locks and vetoes as they stand after this rerun: recorded when they differ from those
    of the rerun before (the first rerun of a session only remembers them: they are the region's own)."""
    from app.dashboard.loaders import clean_controls

    new = set(clean_controls(edited).itertuples(index=False, name=None))
    old = st.session_state.get(CONTROLS_KEY)
    st.session_state[CONTROLS_KEY] = new
    if old is None or old == new:
        return
    added, removed = sorted(new - old), sorted(old - new)
    record(user, "controls", run_id=run_id,
           detail="; ".join([f"added {' '.join(filter(None, row))}" for row in added]
                            + [f"removed {' '.join(filter(None, row))}" for row in removed]))


def download_callback(user: User, file_name: str, run_id: str = ""):
    """A download_button's on_click: `on_click=audit.download_callback(who, "controls.csv", run_id)`."""
    return lambda: record(user, "download", run_id=run_id, detail=file_name)


def events(user: User) -> pd.DataFrame:
    """The audit trail this user may read: every event for a commissioner, their own for an officer."""
    from app.dashboard.loaders import paths
    from app.history.store import RunStore, store_exists

    if not store_exists(paths().store):
        return pd.DataFrame()
    with RunStore(paths().store, read_only=True) as store:
        return store.audit(None if user.sees_all_councils else user.name)
