"""Audit: who signed in, viewed children's rows, changed locks or vetoes, re-solved, uploaded or downloaded, and when.
A regional commissioner sees every event; a council officer their own."""

import streamlit as st

from app.dashboard import audit, ui

who = ui.user()
ui.header("Audit", who)
events = audit.events(who)
if events.empty:
    st.info("No events recorded yet.")
    st.stop()
st.dataframe(events, hide_index=True, width="stretch")
st.caption(f"{len(events):,} events, newest first, from the run store's audit table"
           + ("" if who.sees_all_councils else ": your own only") + ".")
st.download_button("Download audit.csv", events.to_csv(index=False), "audit.csv", "text/csv",
                   on_click=audit.download_callback(who, "audit.csv"))
