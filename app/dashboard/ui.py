"""What every page shares: the signed-in user, the run being looked at, and where each figure comes from."""

from __future__ import annotations

import logging

import streamlit as st

from app.dashboard import audit, loaders
from app.dashboard.auth import User, read_access, user_from_claims

LOG = logging.getLogger("rcc.dashboard")
USER_KEY = "user"
SSO_REFUSED_KEY = "sso_refused"  # why the identity provider's account has no role here, for the login page
RUN_KEY = "run_id"

MONEY = st.column_config.NumberColumn(format="£%.0f")
KM = st.column_config.NumberColumn(format="%.1f km")
SHARE = st.column_config.NumberColumn(format="percent")


def current_user() -> User | None:
    """The session's user: signed in with the login form, or by single sign-on (mapped once per session)."""
    if USER_KEY not in st.session_state and SSO_REFUSED_KEY not in st.session_state and sso_configured():
        if st.user.is_logged_in:
            result = user_from_claims(st.user.to_dict(), read_access().sso)
            name = result.user.name if result.user is not None else str(st.user.get("email") or st.user.get("sub"))
            audit.sign_in(name, result.user)
            if result.user is not None:
                st.session_state[USER_KEY] = result.user
            else:
                st.session_state[SSO_REFUSED_KEY] = result.message
    return st.session_state.get(USER_KEY)


def sso_configured() -> bool:
    """Single sign-on is on when the access file maps groups and Streamlit's secrets name a provider ([auth])."""
    return read_access().sso.enabled and st.secrets.load_if_toml_exists() and "auth" in st.secrets


def user() -> User:
    """The signed-in user; a page reached without signing in stops here."""
    signed_in = current_user()
    if signed_in is None:
        st.warning("Please log in.")
        st.stop()
    return signed_in


def scope_note(who: User) -> str:
    if who.sees_all_councils:
        return f"Signed in as {who.display_name} (regional commissioner): every council."
    council = loaders.council_names().get(who.la_code, who.la_code)
    return (f"Signed in as {who.display_name} (council officer, {council}): children's rows are {council}'s "
            "only; regional figures are totals.")


def header(title: str, who: User) -> None:
    audit.visit(title)
    st.title(title)
    st.caption(scope_note(who))


def chosen_run() -> str:
    """The run this page shows: the latest by default, or one picked in the sidebar. Stops with a plain message
    when the store holds no run yet."""
    runs = loaders.runs()
    if runs.empty:
        st.info("No monthly run yet. Start the dashboard with `rcc app` (it creates this month's run), or run "
                "`rcc monthly` and reload.")
        st.stop()
    labels = {row.run_id: f"{row.month} (run {row.run_id})" for row in runs.itertuples()}
    current = st.session_state.get(RUN_KEY)
    index = list(labels).index(current) if current in labels else 0
    picked = st.sidebar.selectbox("Monthly run", list(labels), index=index, format_func=labels.get,
                                  key="run_picker")
    st.session_state[RUN_KEY] = picked
    return picked


def source(run_id: str, *tables: str) -> None:
    """Say where the figures above come from, so anyone can trace them in the run store."""
    month = loaders.run_record(run_id)["month"]
    st.caption(f"Source: monthly run {run_id} ({month}), table{'s' if len(tables) > 1 else ''} "
               f"{', '.join(tables)} in the run store (also OUT/{month}/{tables[0]}.csv).")


def council(la_code: str) -> str:
    return loaders.council_names().get(la_code, la_code)


def table(frame, columns=None, labels=None, group_labels=None, **options) -> None:
    """A table as a person reads it (app/reports/readable.py: plain headings, names not codes, £ with separators,
    no None or nan), full width, without the index."""
    from app.reports.readable import readable

    st.dataframe(readable(frame, loaders.council_names(), columns, labels, group_labels), hide_index=True,
                 width="stretch", **options)


PAGE_FAILED = ("This page could not be shown: something went wrong in rcc. Try again, or another page; whoever runs "
               "the dashboard can find the details in its log.")


def friendly_error(exc: BaseException, message: str = PAGE_FAILED) -> bool:
    """A plain message in the browser and the traceback in the server's log: a traceback shows the code, file
    paths and sometimes a child's data to whoever is looking. True: Streamlit shows nothing more."""
    LOG.error("dashboard failure shown as %r", message, exc_info=exc)
    st.error(message)
    return True
