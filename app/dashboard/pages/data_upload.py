"""Data: upload a region (CSV files or one workbook) and see every problem the validation finds."""

import streamlit as st

from app.dashboard import charts, loaders, ui

who = ui.user()
ui.header("Data", who)

st.subheader("Check a new extract")
st.write("Upload the region's CSV files (authorities, providers, settings, children, referrals, the SSDA903 header, "
         "episodes and uasc, and controls if you use it) or one Excel workbook with a sheet per table. rcc lists "
         "every problem at once: file, row (as Excel numbers it), column, value and the rule it breaks. Nothing "
         "uploaded is kept.")
uploads = st.file_uploader("Region files", type=["csv", "xlsx", "xlsm"], accept_multiple_files=True)
if uploads and st.button("Validate", type="primary"):
    try:
        issues, counts = loaders.validate_upload(who, [(f.name, f.getvalue()) for f in uploads])
    except Exception as exc:  # noqa: BLE001  (a file no reader expected: say so plainly and let them try again)
        ui.friendly_error(exc, "rcc could not read these files. Check they are the region's CSV files or one workbook "
                               "saved from Excel, and try again; whoever runs the dashboard can find the details "
                               "in its log.")
        st.stop()
    errors = int((issues["severity"] == "error").sum())
    if errors:
        st.error(f"{errors} error(s): fix them before this extract can be run.")
    else:
        st.success("No errors: this extract can be run. Loaded: "
                   + ", ".join(f"{v:,} {k.replace('_', ' ')}" for k, v in counts.items()))
    ui.table(issues)

st.subheader("The region the runs use")
counts = loaders.region_issue_counts()
a, b, c = st.columns(3)
a.metric("Errors", f"{counts['error']:,}")
b.metric("Warnings", f"{counts['warning']:,}")
c.metric("Flags (facts to act on)", f"{counts['flag']:,}")
st.altair_chart(charts.severity_bars(counts), width="stretch")
if who.sees_all_councils:
    ui.table(loaders.region_issues(who))
else:
    st.caption("The full table quotes cells from every council's files, so only regional commissioners see it.")
st.caption(f"Source: validation of {loaders.paths().region} (the same checks as `rcc validate`).")
