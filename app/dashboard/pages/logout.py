"""Log out: forget the user and everything this session was shown (and, after single sign-on, the identity
cookie too, or the next page would sign them straight back in)."""

import streamlit as st

from app.dashboard.ui import sso_configured

st.session_state.clear()
if sso_configured() and st.user.is_logged_in:
    st.logout()
    # no rerun: it could overtake the redirect to the provider's sign-out, which comes back as a new session
    st.stop()
st.rerun()
