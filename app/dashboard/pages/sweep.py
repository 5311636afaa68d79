"""Sweep: a sweep's cells side by side (regional commissioners only): the headline figures per region x job x
parameters, one chosen figure charted."""

import streamlit as st

from app.dashboard import charts, loaders, ui

who = ui.user()
ui.header("Sweep", who)
if not who.sees_all_councils:
    st.warning("A sweep compares whole regions' plans and costs: it is for regional commissioners.")
    st.stop()
found = loaders.sweep(who)
if found is None:
    st.info(f"No sweep in {loaders.paths().sweep} yet. Run one with `rcc sweep SPEC.toml --out "
            f"{loaders.paths().sweep}` (see README, Sweeps), or point RCC_SWEEP at a sweep's folder.")
    st.stop()
cells, record = found
st.caption(f"Sweep {record['name']!r}: {record['cells']} cell(s), {len(record.get('failed', []))} failed, finished "
           f"{record['finished_at']} on {record['executor']}.")
figures = loaders.sweep_figures()
present = [name for name in figures if cells[name].notna().any()]
if present:
    figure = st.selectbox("Figure", present, format_func=figures.get)
    st.altair_chart(charts.sweep_bars(cells, figure, figures[figure]), width="stretch")
st.dataframe(cells, hide_index=True, width="stretch", column_config={
    "weekly_cost": ui.MONEY, "forecast_weekly_cost_end": ui.MONEY, "plan_cost": ui.MONEY, "savings": ui.MONEY,
    "share_over_20_miles": ui.SHARE, "shortfall_risk": ui.SHARE})
for failed in record.get("failed", []):
    st.error(f"{failed['region']} / {failed['job']} / {failed['cell']}: {failed['error']}")
st.caption(f"Source: {record['store']} (one run per cell, its tables under the cell's id) and "
           f"{loaders.paths().sweep / 'sweep_run.json'}; the same table is sweep_cells.csv and sweep.xlsx there.")
