"""Demand: forecasts per council x placement group with p10-p90 bands, backtest accuracy beside each chart, the
DfE's yearly figures with their own forecast and the extract's check against them, and scenario levers that
re-run the forecast and can be saved."""

import pandas as pd
import streamlit as st

from app.dashboard import audit, charts, loaders, ui
from app.dashboard.figures import (
    backtest_for,
    council_group_forecast,
    council_group_history,
    forecast_accuracy_words,
    yearly_accuracy_words,
    yearly_series,
)
from data.vocabulary import DEMAND_GROUP_LABELS, DEMAND_GROUPS, PUBLIC_GROUP_LABELS, PUBLIC_GROUPS
from forecasts.scenarios import Levers, Scenario

SCENARIO_KEY = "demand_scenario"

who = ui.user()
ui.header("Demand", who)
run_id = ui.chosen_run()
forecast = loaders.table(who, run_id, "forecast")
if forecast is None:
    st.info("This run has no forecast (its forecast stage did not run).")
    st.stop()
backtest = loaders.table(who, run_id, "backtest")
backtest_forecasts = loaders.table(who, run_id, "backtest_forecasts")
stocks = loaders.table(who, run_id, "history_stocks")

councils = sorted(forecast["la_code"].unique())
left, right = st.columns(2)
la_code = left.selectbox("Council", councils, format_func=ui.council, disabled=len(councils) == 1)
groups = [g for g in DEMAND_GROUPS if g in set(forecast["group"])]
group = right.selectbox("Placement group", groups, format_func=DEMAND_GROUP_LABELS.get,
                        index=groups.index("childrens_home") if "childrens_home" in groups else 0)

series = council_group_forecast(forecast, la_code, group)
# the last three years counted, so the fan starts from where the children are
counted = council_group_history(stocks, la_code, group).tail(36) if stocks is not None else None
chart_col, accuracy_col = st.columns([1, 1])
with chart_col:
    st.altair_chart(charts.forecast_band(series, f"{ui.council(la_code)}: children in {DEMAND_GROUP_LABELS[group]}",
                                         counted), width="stretch")
    last = series.iloc[-1]
    st.caption(f"By {pd.Timestamp(last['month']):%B %Y}: {last['mean']:.0f} children expected (p10-p90 "
               f"{last['p10']:.0f} to {last['p90']:.0f}), costing £{last['weekly_cost']:,.0f} a week. The band "
               "adds the age bands' p10 and p90, so it is a little wider than the true 80% interval. The black line "
               "is the children counted in the SSDA903 history.")
with accuracy_col:
    st.markdown("**How accurate this forecast has been** (backtest)")
    if backtest is None:
        st.info("This run has no backtest.")
    else:
        if backtest_forecasts is not None:
            for sentence in forecast_accuracy_words(backtest_forecasts, la_code, group):
                st.markdown(f"- {sentence}")
        accuracy = backtest_for(backtest, la_code, group)
        st.dataframe(accuracy, hide_index=True, width="stretch", column_config={
            "horizon": st.column_config.NumberColumn("months ahead"),
            "mase": st.column_config.NumberColumn("error (MASE)", format="%.2f",
                                                  help="below 1: better than 'same as a year ago'"),
            "yardstick_mase": st.column_config.NumberColumn("best yardstick", format="%.2f",
                                                            help="the better of seasonal naive and ETS"),
            "bias": st.column_config.NumberColumn("bias", format="%.2f",
                                                  help="average error as a share of the actual: 0.05 is 5% high"),
            "coverage_80": st.column_config.NumberColumn("inside band", format="%.2f",
                                                         help="share of actuals inside p10-p90: 0.80 is right")})
        st.caption("Error is MASE: below 1 beats 'same as a year ago'; lower than the yardstick means rcc's model "
                   "beats the simple methods. 'Inside band' should be near 0.80.")
ui.source(run_id, "forecast", "backtest")

yearly = loaders.table(who, run_id, "yearly_forecast")
if yearly is not None and la_code in set(yearly["la_code"]):
    st.subheader("What the DfE publishes: children looked after at 31 March")
    yearly_history = loaders.table(who, run_id, "yearly_history")
    yearly_backtest = loaders.table(who, run_id, "yearly_backtest")
    public_groups = [g for g in PUBLIC_GROUPS if g in set(yearly["group"])]
    public_group = st.selectbox("Published group", public_groups, format_func=PUBLIC_GROUP_LABELS.get,
                                key="yearly_group")
    chart_col, words_col = st.columns([3, 2])
    with chart_col:
        st.altair_chart(charts.yearly_band(yearly_series(yearly_history, yearly, la_code, public_group),
                                           f"{ui.council(la_code)}: {PUBLIC_GROUP_LABELS[public_group]}"),
                        width="stretch")
    with words_col:
        st.markdown(yearly_accuracy_words(yearly_backtest, la_code, public_group))
        st.caption("A second forecast, from the DfE's yearly tables for every English council (rcc public "
                   "forecast): it learns the growth councils share and how far a council drifts back to its own "
                   "level, and its band comes from its own past errors on the real years. Hollow dots are years the "
                   "DfE did not publish this group (imputed from the year's total).")
    bridge = loaders.table(who, run_id, "yearly_bridge")
    if bridge is not None:
        own = bridge[bridge["la_code"] == la_code]
        checks = own[own["kind"] == "history"]
        far = checks[checks["warning"].fillna("") != ""]
        if len(far):
            st.warning(f"{ui.council(la_code)}'s SSDA903 extract is more than 5% from its own published figure in "
                       f"{len(far)} of {len(checks)} years: check it holds every episode before trusting its "
                       "forecast.")
        shown = own.assign(kind=own["kind"].map({"history": "31 March, from the extract",
                                                 "forecast": "31 March, forecast"}))
        st.dataframe(shown[["year", "kind", "monthly", "yearly", "share"]], hide_index=True, width="stretch",
                     column_config={
                         "year": st.column_config.NumberColumn("31 March of", format="%d"),
                         "kind": st.column_config.TextColumn("what"),
                         "monthly": st.column_config.NumberColumn("monthly model (SSDA903)", format="%.0f"),
                         "yearly": st.column_config.NumberColumn("DfE published / yearly forecast", format="%.0f"),
                         "share": st.column_config.NumberColumn("difference", format="percent")})
    ui.source(run_id, "yearly_forecast", "yearly_history", "yearly_backtest", "yearly_bridge")

st.subheader("Scenarios: what if policy changes?")
st.write("Move the levers and re-run the forecast (the same model as the monthly run, about 5 seconds).")
with st.form("scenario"):
    name = st.text_input("Scenario name", "my-scenario")
    a, b = st.columns(2)
    fgdm = a.slider("Entries diverted by family group decision making (share)", 0.0, 0.3, 0.0, 0.01,
                    help="DfE's impact assessment implies about 0.052 (5.2% of entries)")
    step_down = b.slider("Children's-home children stepping down to foster care each year (share)", 0.0, 0.5,
                         0.0, 0.01)
    uasc = a.slider("Change in unaccompanied children arriving (relative)", -0.5, 1.0, 0.0, 0.05)
    recruit = b.slider("Change in flows into council foster care (relative)", -0.5, 1.0, 0.0, 0.05)
    rerun = st.form_submit_button("Re-run the forecast", type="primary")
if rerun:
    try:
        st.session_state[SCENARIO_KEY] = Scenario(name=name.strip() or "scenario", levers=Levers(
            fgdm_diversion=fgdm, step_down_per_year=step_down, uasc_change=uasc, foster_recruitment=recruit))
    except ValueError as error:
        st.error(str(error))
scenario = st.session_state.get(SCENARIO_KEY)
if scenario is not None:
    horizon = forecast["month"].nunique()
    changed = loaders.scenario_forecast(who, run_id, scenario, horizon)
    scenario_series = council_group_forecast(changed, la_code, group)
    st.altair_chart(charts.forecast_band(series, f"Scenario '{scenario.name}' (dashed) over the run's forecast: "
                                         f"{ui.council(la_code)}, {DEMAND_GROUP_LABELS[group]}", counted,
                                         scenario=scenario_series), width="stretch")
    base_total, new_total = series.iloc[-1], scenario_series.iloc[-1]
    a, b = st.columns(2)
    a.metric(f"Children expected by {pd.Timestamp(new_total['month']):%B %Y}", f"{new_total['mean']:.0f} children",
             f"{new_total['mean'] - base_total['mean']:+.1f} children vs the run", delta_color="inverse")
    b.metric("Weekly cost then", f"£{new_total['weekly_cost']:,.0f} a week",
             f"£{new_total['weekly_cost'] - base_total['weekly_cost']:+,.0f} a week vs the run", delta_color="inverse")
    st.caption("Scenario forecast from the region's SSDA903 history with these levers (rcc forecast --scenario); "
               "compared with the run's forecast table. Simulation noise alone moves small series by a child or two.")
    if st.button("Save this scenario"):
        path = loaders.save_scenario(scenario)
        st.success(f"Saved to {path}: run it any time with `rcc forecast --scenario {path}`.")
    st.download_button("Download the scenario (TOML)", scenario.to_toml(), f"{scenario.name}.toml", "text/plain",
                       on_click=audit.download_callback(who, f"{scenario.name}.toml", run_id))
