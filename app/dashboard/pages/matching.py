"""Matching: where children are placed from where they come from, this month's allocation (per referral the chosen
home, distance, cost and why), unmatched children with reasons in words, the regional plan against each council
alone; below them, the locks and vetoes to re-solve it with."""

import pandas as pd
import streamlit as st

from app.dashboard import audit, charts, loaders, ui
from app.dashboard.accounts_section import council_accounts_section
from app.dashboard.figures import placement_flows, plan_against_alone
from app.reports.readable import in_words
from app.summaries import COMPARISON_ROWS
from optimiser.match.allocation import REASON_SUMMARY

OUTCOME_KEY = "match_outcome"
CONTROLS_KEY = "match_controls"
ALLOCATION_VIEW = ["referral_id", "child_id", "la_code", "status", "setting_id", "setting_type", "distance_km",
                   "weekly_fee", "total_cost", "distance_from", "reason"]


def referral_label(referrals: pd.DataFrame, referral_id: str) -> str:
    row = referrals[referrals["referral_id"] == referral_id].iloc[0]
    return f"{referral_id}: child {row['child_id']}, {ui.council(row['la_code'])}, age {row['age']}"


who = ui.user()
ui.header("Matching", who)
run_id = ui.chosen_run()
results = st.container()

st.subheader("Locks and vetoes")
st.write("Lock a child to a named home, or veto a home or a whole provider for a child, then re-solve the "
         "region's match." + ("" if who.sees_all_councils else f" You can edit {ui.council(who.la_code)}'s "
                                                                 "referrals only."))
if CONTROLS_KEY not in st.session_state:
    st.session_state[CONTROLS_KEY] = loaders.controls(who)
visible_referrals = loaders.referrals(who)
with st.form("add_control", clear_on_submit=True):
    a, b = st.columns([2, 1])
    referral = a.selectbox("Referral", visible_referrals["referral_id"].tolist(), index=None,
                           placeholder="Choose a referral",
                           format_func=lambda r: referral_label(visible_referrals, r))
    action = b.radio("Action", ["veto", "lock"], horizontal=True)
    a, b, c = st.columns(3)
    setting_id = a.text_input("Home (setting id)")
    provider_id = b.text_input("Provider id (veto a whole provider)")
    note = c.text_input("Why (kept for audit)")
    if st.form_submit_button("Add this control") and referral:
        row = {"referral_id": referral, "action": action, "setting_id": setting_id.strip(),
               "provider_id": provider_id.strip(), "note": note.strip()}
        st.session_state[CONTROLS_KEY] = pd.concat([st.session_state[CONTROLS_KEY], pd.DataFrame([row])],
                                                   ignore_index=True)
edited = st.data_editor(st.session_state[CONTROLS_KEY], num_rows="dynamic", hide_index=True,
                        key=f"controls_editor_{len(st.session_state[CONTROLS_KEY])}",
                        width="stretch", column_config={
                            "action": st.column_config.SelectboxColumn("action", options=["lock", "veto"],
                                                                       required=True),
                            "referral_id": st.column_config.TextColumn("referral", required=True),
                            "setting_id": st.column_config.TextColumn("home (setting id)"),
                            "provider_id": st.column_config.TextColumn("provider (veto only)"),
                            "note": st.column_config.TextColumn("why (kept for audit)")})
# Keep grid edits when the form adds a row (the editor's key changes with the row count, so edits are not
# applied twice).
audit.controls_changed(who, run_id, edited)
st.session_state[CONTROLS_KEY] = edited.reset_index(drop=True)
st.caption("Edit or delete controls in the table; add them with the form above.")
left, middle, right = st.columns(3)
if left.button("Re-solve the match with these controls", type="primary"):
    try:
        st.session_state[OUTCOME_KEY] = loaders.solve(who, run_id, edited)
    except PermissionError as error:
        st.error(str(error))
if st.session_state.get(OUTCOME_KEY) is not None and middle.button("Back to this month's run"):
    st.session_state[OUTCOME_KEY] = None
right.download_button("Download controls.csv", loaders.clean_controls(edited).to_csv(index=False),
                      "controls.csv", "text/csv",
                      help="Put it in the region's folder so next month's run keeps these controls",
                      on_click=audit.download_callback(who, "controls.csv", run_id))

outcome = st.session_state.get(OUTCOME_KEY)
if outcome is not None and (outcome.issues["severity"] == "error").any():
    st.error("The controls have problems, so the match was not re-solved. Fix these rows:")
    ui.table(outcome.issues)
    outcome = None
if outcome is not None:
    allocations, explanations, comparison = outcome.allocations, outcome.explanations, outcome.comparison
    st.success(f"Re-solved with {len(loaders.clean_controls(edited))} control(s) of yours: showing the new "
               "allocation (not saved to the run store; download controls.csv to keep the controls).")
    origin = "the re-solve just now (rcc match on the region with your controls)"
else:
    allocations = loaders.table(who, run_id, "allocations")
    explanations = loaders.table(who, run_id, "explanations")
    comparison = loaders.table(who, run_id, "comparison")
    if allocations is None:
        st.info("This run has no allocation (its match stage did not run).")
        st.stop()
    origin = f"monthly run {run_id}"

with results:  # drawn above the locks and vetoes: the picture first, the controls after
    st.subheader("The allocation")
    matched = allocations[allocations["status"] == "matched"]
    unmatched = allocations[allocations["status"] == "unmatched"]
    a, b, c, d = st.columns(4)
    a.metric("Referrals", f"{len(allocations):,} referrals")
    b.metric("Matched", f"{len(matched):,} children")
    c.metric("Unmatched", f"{len(unmatched):,} children")
    d.metric("Fees of the matches (£ a week)", f"£{matched['weekly_fee'].sum():,.0f}")
    st.caption(f"From {origin}, table allocations"
               + ("" if who.sees_all_councils else f" ({ui.council(who.la_code)}'s referrals only)") + ".")

    st.subheader("Where children are placed, from where they come from")
    areas, _, area_source = loaders.map_data()
    flows, outside = placement_flows(allocations, loaders.council_centroids())
    st.altair_chart(charts.flow_map(areas, flows), width="stretch")
    st.caption("Each line runs from the centre of the council responsible for the children to the centre of the "
               "council their new home is in, as wide as the children; circles are children matched within their own "
               "council. No home is drawn at its own address."
               + (f" {outside} matched children go to homes in councils outside the region (not drawn)." if outside
                  else "") + " " + area_source.caption())

    view = st.radio("Show", ["all referrals", "unmatched only"], horizontal=True)
    shown = unmatched if view == "unmatched only" else allocations
    ui.table(shown, [c for c in ALLOCATION_VIEW if c in shown.columns])
    st.caption("Why this home: the plan chooses, for the whole region at once, the homes that keep the total of "
               "fees and the money-equivalent of distance, fit, Ofsted grade and siblings apart lowest, within the "
               "hard rules (needs, age, registration, locks and vetoes). Each cost term is in allocations.csv.")

    if len(unmatched):
        st.subheader("Why children were not matched")
        names = loaders.council_names()
        for row in unmatched.itertuples(index=False):
            st.markdown(f"- **{row.referral_id}** (child {row.child_id}, {ui.council(row.la_code)}): "
                        f"{REASON_SUMMARY.get(row.reason_code, in_words(row.reason_code, names))}. "
                        f"{in_words(row.reason, names)[:1].upper()}{in_words(row.reason, names)[1:]}.")
        pick = st.selectbox("The rules that ruled homes out, for a referral", unmatched["referral_id"].tolist())
        rules = explanations[explanations["referral_id"] == pick] if explanations is not None else pd.DataFrame()
        if len(rules):
            ui.table(rules, ["rule", "settings_failing", "binding_settings", "nearest_binding_km", "explanation"])
        st.caption(f"From {origin}, tables allocations and explanations.")

    held = loaders.table(who, run_id, "held_back") if outcome is None else None
    if held is not None and len(held):
        st.subheader("Places held back for the emergencies the forecast expects")
        ui.table(held)
        ui.source(run_id, "held_back")

    st.subheader("The regional plan against each council searching alone")
    baseline = loaders.table(who, run_id, "baseline_allocations") if outcome is None else None
    if baseline is not None and len(baseline):
        per_council = plan_against_alone(allocations, baseline).assign(council=lambda t: t["la_code"].map(ui.council))
        measure = st.radio("Compare", ["children matched", "placed over 20 miles", "fees (£ a week)"], horizontal=True,
                           key="approach_measure")
        st.altair_chart(charts.approach_bars(per_council, measure), width="stretch")
        st.caption(f"Per council, from {origin}, tables allocations and baseline_allocations (today's practice: each "
                   "council in turn, first come first served, on the same referrals).")
    if comparison is not None and len(comparison):
        table = comparison.set_index("measure")
        rows = [{"measure": label, "regional plan": fmt.format(table.at[m, "regional"]),
                 "each council alone": fmt.format(table.at[m, "la_by_la"])}
                for m, (label, fmt) in COMPARISON_ROWS.items() if m in table.index]
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
        st.caption(f"Whole-region totals from {origin}, table comparison. 'Each council alone' replays today's "
                   "practice on the same referrals: each council in turn, first come first served.")

    council_accounts_section(who, run_id)
