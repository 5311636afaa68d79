"""Monthly stocks and flows: hand-made histories counted child by child."""

from __future__ import annotations

import numpy as np
import pandas as pd

from forecasts.flows import age_state, history
from forecasts.groups import AGE_STATES, TOP_BAND

LA = "E08000003"


def spell(child, group, band, start, end, reason="", dob="2012-06-15", period=0):
    return {"child": child, "la_code": LA, "group": group, "age_band": band, "start": pd.Timestamp(start),
            "end": pd.Timestamp(end) if end else pd.NaT, "period": period, "exit_reason": reason, "uasc": False,
            "dob": pd.Timestamp(dob)}


def months_of(frame):
    return history(pd.DataFrame(frame), pd.Timestamp("2020-01-01"), pd.Timestamp("2020-06-30"))


def test_stock_entries_exits_and_moves_are_counted_between_month_ends():
    """One child enters in February, moves group in April and leaves in May; another is in care throughout."""
    h = months_of([spell("A", "foster_inhouse", "5-10", "2020-02-10", "2020-04-05", period=1),
                   spell("A", "childrens_home", "5-10", "2020-04-05", "2020-05-20", "home", period=1),
                   spell("B", "kinship", "5-10", "2019-01-01", None, period=2)])
    flows = h.flows_table()
    stock = h.stocks_table().groupby("month")["stock"].sum()
    assert stock.tolist() == [1, 2, 2, 2, 1, 1]  # month ends January to June
    kinds = flows.groupby("kind")["children"].sum().to_dict()
    assert kinds == {"entry": 1, "exit": 1, "move": 1}
    move = flows[flows["kind"] == "move"].iloc[0]
    assert (move["group"], move["to_group"], move["month"]) == ("foster_inhouse", "childrens_home",
                                                                pd.Timestamp("2020-04-01"))
    exit = flows[flows["kind"] == "exit"].iloc[0]
    assert (exit["reason"], exit["month"]) == ("home", pd.Timestamp("2020-05-01"))


def test_a_child_who_comes_and_goes_within_a_month_is_not_counted():
    """A stay that begins and ends between two month ends is in no stock and no flow."""
    h = months_of([spell("A", "foster_ifa", "5-10", "2020-03-03", "2020-03-20", "home")])
    assert h.stock.sum() == 0 and h.flows_table().empty


def test_turning_18_is_an_exit_of_its_own_and_bands_age_up():
    """A child turning 18 leaves with reason aged_18, whatever REC said; a 9-year-old turning 10 ages a band."""
    h = months_of([spell("A", "supported", "16-18", "2019-01-01", "2020-03-15", "independence", dob="2002-03-15"),
                   spell("B", "kinship", "5-10", "2019-01-01", "2020-04-02", dob="2010-04-02"),
                   spell("B", "kinship", "10-16", "2020-04-02", None, dob="2010-04-02")])
    flows = h.flows_table().set_index("kind")
    assert flows.loc["exit", "reason"] == "aged_18" and flows.loc["exit", "month"] == pd.Timestamp("2020-03-01")
    assert (flows.loc["ageing", "age_band"], flows.loc["ageing", "to_age_band"]) == ("5-10", "10-16")


def test_from_16_the_age_state_counts_down_the_months_to_18():
    """A 16-year-old's age state rises by one each month end and is last in the month before turning 18."""
    adult = np.array(["2022-03-15"] * 3, dtype="datetime64[D]")
    ends = np.array(["2020-03-31", "2020-04-30", "2022-02-28"], dtype="datetime64[D]")
    states = age_state(np.full(3, TOP_BAND), adult, ends)
    assert states.tolist() == [TOP_BAND, TOP_BAND + 1, AGE_STATES - 1]
    assert age_state(np.array([2]), adult[:1], ends[:1]).tolist() == [2]
