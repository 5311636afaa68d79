"""Log in: the users and their roles are in the users file (see app/dashboard/auth.py)."""

import streamlit as st

from app.dashboard import audit, loaders
from app.dashboard.auth import read_access, sign_in
from app.dashboard.ui import SSO_REFUSED_KEY, USER_KEY, sso_configured

st.title("rcc: placement sufficiency for the Regional Care Co-operative")
st.write("Log in to see this month's forecasts, matches, market flags and plan. Regional commissioners see every "
         "council; council officers see their own council's children and the region's totals.")
if sso_configured():
    sso = read_access().sso
    if SSO_REFUSED_KEY in st.session_state:
        st.error(st.session_state[SSO_REFUSED_KEY])
        st.button("Sign out of that account", on_click=st.logout)
    else:
        st.button(sso.label, type="primary", on_click=st.login, args=(sso.provider,) if sso.provider else ())
    st.caption("Or with a local account:")
with st.form("login"):
    name = st.text_input("User name")
    password = st.text_input("Password", type="password")
    submitted = st.form_submit_button("Log in", type="primary")
if submitted:
    result = sign_in(name, password, loaders.paths().region)
    audit.sign_in(name, result.user)
    if result.user is None:
        st.error(result.message)
    else:
        st.session_state[USER_KEY] = result.user
        st.rerun()
# No path here: where the users file lives is of use to an attacker, not to someone signing in.
st.caption("No account? Ask whoever runs this dashboard: accounts are added with `rcc users add`.")
