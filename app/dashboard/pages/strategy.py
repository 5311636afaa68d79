"""Strategy: is the plan enough? Places planned per quarter by source against demand at the service level, the
actions as sentences, the plan's cost against doing nothing and its risk; then the tables and the downloads."""

import streamlit as st

from app.dashboard import audit, charts, loaders, ui
from app.dashboard.figures import plan_costs, plan_risk, strategy_demand_line
from app.reports.readable import council_name, money
from app.reports.strategy_tables import action_sentences, strategy_plan_sources
from data.vocabulary import HOME_KIND_LABELS, HOME_KINDS

PLAN_TABLES = {
    "strategy_actions": "What to commission",
    "strategy_balance": "Places needed against places planned",
    "strategy_risk": "Risk: how the plan holds if demand runs high",
    "planning_gap": "The planning gap: homes the forecast needs that the region does not have",
}

who = ui.user()
ui.header("Strategy", who)
run_id = ui.chosen_run()
record = loaders.run_record(run_id)
month = record["month"]
present = {name: title for name, title in PLAN_TABLES.items() if loaders.table(who, run_id, name) is not None}
if not present:
    st.info(f"The run for {month} has no commissioning strategy yet. The plan is made by `rcc strategy` (it writes "
            "strategy.xlsx and strategy.html); once the monthly run includes it, it appears here.")
names = loaders.council_names()
summary = (record.get("summary") or {}).get("strategy") or {}
plan = summary.get("plan", "quantile")

balance = loaders.table(who, run_id, "strategy_balance")
actions = loaders.table(who, run_id, "strategy_actions")
if balance is not None and len(balance):
    st.subheader("Is the plan enough? Places planned against demand, quarter by quarter")
    areas = list(dict.fromkeys(balance["la_code"]))
    left, right = st.columns(2)
    area = left.selectbox("Council", areas, format_func=lambda c: council_name(c, names), key="strategy_area")
    kinds = [k for k in HOME_KINDS if k in set(balance.loc[balance["la_code"] == area, "group"])]
    kind = right.selectbox("Kind of home", kinds, format_func=HOME_KIND_LABELS.get, key="strategy_kind")
    sources = strategy_plan_sources(balance, actions, area, kind)
    st.altair_chart(charts.plan_stack(sources, strategy_demand_line(balance, area, kind),
                                      f"{council_name(area, names)}: {HOME_KIND_LABELS[kind]}"), width="stretch")
    st.caption("Bars: where the plan's children live each quarter in the mean future (the councils' own places, "
               "places the plan commissions by kind of action, spot purchases, and those left without a suitable "
               "home). The solid line is demand at the service level the plan is costed to meet; the dashed line "
               "mean demand. Step-downs to foster families are counted where the children move to.")
    ui.source(run_id, "strategy_balance", "strategy_actions")

if actions is not None:
    st.subheader("What to commission")
    sentences = action_sentences(actions, names)
    if sentences:
        st.markdown("\n".join(f"- {s}" for s in sentences))
    else:
        st.write("The plan commissions nothing new: the councils' own places and the spot market cover demand at "
                 "the service level at least cost.")
    with st.expander("The actions as a table"):
        ui.table(actions, ["la_code", "group", "kind", "action", "decide_by", "places_from", "places",
                           "capital_cost", "running_cost", "weekly_cost_per_place"])
    ui.source(run_id, "strategy_actions")

comparison = loaders.table(who, run_id, "strategy_comparison")
if comparison is not None and len(comparison) and summary:
    st.subheader("What the plan costs against doing nothing")
    a, b, c = st.columns(3)
    a.metric("Expected cost of the plan", money(summary.get("expected_cash_cost")))
    b.metric("Expected cost of doing nothing", money(summary.get("do_nothing_expected_cash_cost")))
    c.metric("Expected saving", money(summary.get("expected_saving")),
             f"{summary.get('expected_saving_share', 0):.1%} of doing nothing's cost", delta_arrow="off")
    st.altair_chart(charts.cost_bars(plan_costs(comparison, plan)), width="stretch")
    st.caption("The whole region's cash cost over the plan's horizon, by cost line, at today's prices. Doing "
               "nothing buys every extra place on the spot market at today's fees; children for whom there is none "
               "are costed at an unregistered placement's fee.")
    ui.source(run_id, "strategy_comparison")

risk = loaders.table(who, run_id, "strategy_risk")
if risk is not None and len(risk):
    st.subheader("Risk: how likely is a child to be left without a suitable home?")
    st.altair_chart(charts.risk_dots(plan_risk(risk, plan, names)), width="stretch")
    st.caption("Each council and kind of home: the chance, over the simulated futures, that some child has no "
               "suitable home in the worst quarter, under the plan and doing nothing. Hover for the expected "
               "child-weeks without one.")
    ui.source(run_id, "strategy_risk")

for name, title in present.items():
    with st.expander(f"Table: {title}"):
        ui.table(loaders.table(who, run_id, name))

st.subheader("Downloads")
if not who.sees_all_councils:
    st.caption(f"strategy.xlsx and strategy.html set out every council's part of the plan, so only regional "
               f"commissioners download them; the charts and tables above are {ui.council(who.la_code)}'s part.")
    st.stop()
files = loaders.strategy_files(who, run_id)
if not files:
    st.write(f"No strategy.xlsx or strategy.html in OUT/{month}/ yet.")
for label, (file_name, content, mime) in files.items():
    st.download_button(label, content, file_name, mime, on_click=audit.download_callback(who, file_name, run_id))
