"""The rcc dashboard: this file only declares who can reach which page. Start it with `rcc app`."""

import streamlit as st

from app.dashboard.ui import current_user, friendly_error

st.set_page_config(page_title="rcc: placement sufficiency", page_icon=":material/home_work:", layout="wide")

who = current_user()
if who is None:
    navigation = st.navigation([st.Page("dashboard/pages/login.py", title="Log in", icon=":material/login:")])
else:
    # a sweep compares whole regions' plans: the page is the commissioner's only (its loader refuses anyone else)
    sweep = ([st.Page("dashboard/pages/sweep.py", title="Sweep", icon=":material/grid_view:")]
             if who.sees_all_councils else [])
    navigation = st.navigation({
        "This month": [
            st.Page("dashboard/pages/overview.py", title="Overview", icon=":material/map:", default=True),
            st.Page("dashboard/pages/demand.py", title="Demand", icon=":material/trending_up:"),
            st.Page("dashboard/pages/matching.py", title="Matching", icon=":material/join_inner:"),
            st.Page("dashboard/pages/market.py", title="Market", icon=":material/storefront:"),
            st.Page("dashboard/pages/england.py", title="England's market", icon=":material/public:"),
            st.Page("dashboard/pages/strategy.py", title="Strategy", icon=":material/flag:"),
        ],
        "Runs and data": [
            st.Page("dashboard/pages/runs.py", title="Runs", icon=":material/history:"),
            *sweep,
            st.Page("dashboard/pages/data_upload.py", title="Data", icon=":material/upload_file:"),
            st.Page("dashboard/pages/audit.py", title="Audit", icon=":material/policy:"),
            st.Page("dashboard/pages/logout.py", title="Log out", icon=":material/logout:"),
        ],
    })
try:
    navigation.run()
except Exception as exc:  # noqa: BLE001  (any page's failure: a plain message, never a traceback in the browser)
    friendly_error(exc)
