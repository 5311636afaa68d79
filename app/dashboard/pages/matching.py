"""Matching: open this month's allocation or re-solve it with edited locks and vetoes; per referral the chosen
home, distance, cost and why; unmatched children with reasons; the regional plan against each council alone."""

import pandas as pd
import streamlit as st

from app.dashboard import loaders, ui
from app.dashboard.accounts_section import council_accounts_section
from app.summaries import COMPARISON_ROWS
from data.vocabulary import SETTING_TYPE_LABELS
from optimiser.match.allocation import REASON_SUMMARY

OUTCOME_KEY = "match_outcome"
CONTROLS_KEY = "match_controls"
ALLOCATION_VIEW = {
    "referral_id": st.column_config.TextColumn("referral"),
    "child_id": st.column_config.TextColumn("child (pseudonym)"),
    "council": st.column_config.TextColumn("council"),
    "status": st.column_config.TextColumn("status"),
    "setting_id": st.column_config.TextColumn("chosen home"),
    "setting_type": st.column_config.TextColumn("type"),
    "distance_km": st.column_config.NumberColumn("distance from home", format="%.1f km"),
    "weekly_fee": st.column_config.NumberColumn("fee (£ a week)", format="£%.0f"),
    "total_cost": st.column_config.NumberColumn("model cost (£ a week equivalent)", format="£%.0f",
                                                help="fee plus the money-equivalent of distance, fit, Ofsted grade "
                                                     "and siblings apart: the plan minimises the region's total"),
    "distance_from": st.column_config.TextColumn("distance measured from"),
    "reason": st.column_config.TextColumn("why not matched", width="large"),
}



def referral_label(referrals: pd.DataFrame, referral_id: str) -> str:
    row = referrals[referrals["referral_id"] == referral_id].iloc[0]
    return f"{referral_id}: child {row['child_id']}, {ui.council(row['la_code'])}, age {row['age']}"


who = ui.user()
ui.header("Matching", who)
run_id = ui.chosen_run()

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
                      help="Put it in the region's folder so next month's run keeps these controls")

outcome = st.session_state.get(OUTCOME_KEY)
if outcome is not None and (outcome.issues["severity"] == "error").any():
    st.error("The controls have problems, so the match was not re-solved. Fix these rows:")
    st.dataframe(outcome.issues, hide_index=True, width="stretch")
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

view = st.radio("Show", ["all referrals", "unmatched only"], horizontal=True)
shown = (unmatched if view == "unmatched only" else allocations).assign(
    council=lambda t: t["la_code"].map(ui.council), setting_type=lambda t: t["setting_type"].map(SETTING_TYPE_LABELS))
st.dataframe(shown[[c for c in ALLOCATION_VIEW if c in shown.columns]], hide_index=True, width="stretch",
             column_config=ALLOCATION_VIEW)
st.caption("Why this home: the plan chooses, for the whole region at once, the homes that keep the total of fees "
           "and the money-equivalent of distance, fit, Ofsted grade and siblings apart lowest, within the hard rules "
           "(needs, age, registration, locks and vetoes). Each cost term is in allocations.csv.")

if len(unmatched):
    st.subheader("Why children were not matched")
    reasons = unmatched["reason_code"].map(lambda code: REASON_SUMMARY.get(code, code)).value_counts()
    st.dataframe(reasons.rename_axis("reason").reset_index(name="children"), hide_index=True)
    pick = st.selectbox("Explain a referral", unmatched["referral_id"].tolist())
    st.write(unmatched.loc[unmatched["referral_id"] == pick, "reason"].iloc[0])
    rules = explanations[explanations["referral_id"] == pick] if explanations is not None else pd.DataFrame()
    if len(rules):
        st.dataframe(rules[["rule", "settings_failing", "binding_settings", "nearest_binding_km", "explanation"]],
                     hide_index=True, width="stretch", column_config={
                         "settings_failing": st.column_config.NumberColumn("settings ruled out"),
                         "binding_settings": st.column_config.NumberColumn("ruled out by this rule alone"),
                         "nearest_binding_km": st.column_config.NumberColumn("nearest of those", format="%.1f km")})
    st.caption(f"From {origin}, tables allocations and explanations.")

held = loaders.table(who, run_id, "held_back") if outcome is None else None
if held is not None and len(held):
    st.subheader("Places held back for the emergencies the forecast expects")
    st.dataframe(held, hide_index=True, width="stretch")
    ui.source(run_id, "held_back")

st.subheader("The regional plan against each council searching alone")
if comparison is not None and len(comparison):
    table = comparison.set_index("measure")
    rows = [{"measure": label, "regional plan": fmt.format(table.at[m, "regional"]),
             "each council alone": fmt.format(table.at[m, "la_by_la"])}
            for m, (label, fmt) in COMPARISON_ROWS.items() if m in table.index]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    st.caption(f"Whole-region totals from {origin}, table comparison. 'Each council alone' replays today's "
               "practice on the same referrals: each council in turn, first come first served.")

council_accounts_section(who, run_id)
