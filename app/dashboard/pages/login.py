"""Log in: the users and their roles are in the users file (see app/dashboard/auth.py)."""

import streamlit as st

from app.dashboard import audit
from app.dashboard.auth import authenticate, users_file
from app.dashboard.ui import USER_KEY

st.title("rcc: placement sufficiency for the Regional Care Co-operative")
st.write("Log in to see this month's forecasts, matches, market flags and plan. Regional commissioners see every "
         "council; council officers see their own council's children and the region's totals.")
with st.form("login"):
    name = st.text_input("User name")
    password = st.text_input("Password", type="password")
    submitted = st.form_submit_button("Log in", type="primary")
if submitted:
    user = authenticate(name, password)
    audit.sign_in(name, user)
    if user is None:
        st.error("That user name and password do not match a user in the users file.")
    else:
        st.session_state[USER_KEY] = user
        st.rerun()
st.caption(f"Users file: {users_file()}. Add users with `rcc users add NAME --role commissioner|council_officer "
           "[--la CODE]`.")
