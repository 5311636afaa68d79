"""Runs: every monthly run, and what changed from one to another."""

import pandas as pd
import streamlit as st

from app.dashboard import charts, loaders, ui
from app.dashboard.figures import key_figures, run_trend

who = ui.user()
ui.header("Runs", who)
runs = loaders.runs()
if runs.empty:
    st.info("No monthly run yet: start the dashboard with `rcc app` or run `rcc monthly`.")
    st.stop()

history = run_trend(runs, {r: loaders.run_record(r)["summary"] for r in runs["run_id"]})
st.altair_chart(charts.trend_lines(history))
if history["month"].nunique() < 2:
    st.caption("One month so far: the lines grow with each month's run.")
ui.table(runs, ["month", "run_id", "status", "started_at", "finished_at", "code_version", "input_hash",
                "params_hash"])
st.caption(f"Source: the runs table of the run store {loaders.store_name()}.")

if len(runs) < 2:
    st.info("Only one run so far: the month-on-month comparison appears after the next month's run.")
    st.stop()
labels = {row.run_id: f"{row.month} (run {row.run_id})" for row in runs.itertuples()}
left, right = st.columns(2)
before = left.selectbox("From (earlier run)", list(labels), index=1, format_func=labels.get)
after = right.selectbox("To (later run)", list(labels), index=0, format_func=labels.get)
if before == after:
    st.warning("Pick two different runs to compare.")
    st.stop()

figures = key_figures(loaders.run_record(after)["summary"], loaders.run_record(before)["summary"])
st.dataframe(pd.DataFrame([{"figure": f.label, labels[after]: f.value,
                            "change": "no change" if f.unchanged else f.delta} for f in figures]),
             hide_index=True, width="stretch")
st.caption("Regional totals from the two runs' summaries.")

try:
    changes = loaders.run_diff(who, before, after)
except Exception as error:  # an older store without the diff, or a run missing a table: say so, keep the page
    st.warning(f"The detailed comparison is not available for these runs: {error}")
    changes = {}
for name, frame in changes.items():
    with st.expander(f"{name.replace('_', ' ')}: {len(frame):,} rows"):
        ui.table(frame)
if changes:
    st.caption(f"From the run store's diff of run {before} against run {after}"
               + ("" if who.sees_all_councils else f"; children's rows are {ui.council(who.la_code)}'s only") + ".")
