"""Log out: forget the user and everything this session was shown."""

import streamlit as st

st.session_state.clear()
st.rerun()
