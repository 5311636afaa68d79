"""The Matching page's section on each council's account (optimiser/match/accounts.py): an officer sees their own
council's row (the role filter in loaders), a commissioner every council's; the region's totals are the page's
comparison above."""

from __future__ import annotations

import streamlit as st

from app.dashboard import loaders, ui
from app.reports.strategy_tables import council_accounts_table


def council_accounts_section(who, run_id: str) -> None:
    accounts = loaders.table(who, run_id, "council_accounts")
    if accounts is None or not len(accounts):
        return  # a run made before the accounts existed
    st.subheader("Each council's account: the regional plan against searching alone")
    st.dataframe(council_accounts_table(accounts), hide_index=True, width="stretch")
    worse = accounts.loc[accounts["gain"] < -1e-6, "la_name"].tolist()
    st.caption("Gain: the council's part of the plan's objective searching alone less in the regional plan "
               "(money, and the value put on distance, fit and waiting); positive means better off in the "
               "co-operative. " + ("Worse off than alone: " + ", ".join(worse) + "." if worse else
                                   "No council shown is worse off than alone."))
    ui.source(run_id, "council_accounts")
