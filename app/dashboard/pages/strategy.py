"""Strategy: the commissioning plan, its cost, saving and risk; download strategy.xlsx and the report."""

import streamlit as st

from app.dashboard import audit, loaders, ui

PLAN_TABLES = {
    "strategy_actions": "What to commission",
    "strategy_balance": "Places needed against places planned",
    "strategy_risk": "Risk: how the plan holds if demand runs high",
    "planning_gap": "The planning gap: homes the forecast needs that the region does not have",
}

who = ui.user()
ui.header("Strategy", who)
run_id = ui.chosen_run()
month = loaders.run_record(run_id)["month"]
present = {name: title for name, title in PLAN_TABLES.items() if loaders.table(who, run_id, name) is not None}
if not present:
    st.info(f"The run for {month} has no commissioning strategy yet. The plan is made by `rcc strategy` (it writes "
            "strategy.xlsx and strategy.html); once the monthly run includes it, it appears here.")
for name, title in present.items():
    st.subheader(title)
    st.dataframe(loaders.table(who, run_id, name), hide_index=True, width="stretch")
    ui.source(run_id, name)

st.subheader("Downloads")
if not who.sees_all_councils:
    st.caption(f"strategy.xlsx and strategy.html set out every council's part of the plan, so only regional "
               f"commissioners download them; the tables above are {ui.council(who.la_code)}'s part.")
    st.stop()
files = loaders.strategy_files(who, run_id)
if not files:
    st.write(f"No strategy.xlsx or strategy.html in OUT/{month}/ yet.")
for label, (file_name, content, mime) in files.items():
    st.download_button(label, content, file_name, mime, on_click=audit.download_callback(who, file_name, run_id))
