"""The dashboard's figures and the readable tables, on small tables built by hand (expected values worked out here
by hand, not by the code under test)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from app.dashboard.figures import council_measures, key_figures, placement_flows
from app.reports.readable import in_words, money_short, readable
from app.reports.strategy_tables import strategy_plan_sources

NAMES = {"E08000001": "Bolton", "E08000003": "Manchester"}


def _balance_row(quarter, own_used, commissioned, spot, short):
    return {"la_code": "E08000001", "group": "childrens_home", "quarter": quarter,
            "quarter_label": f"Q{quarter} label", "demand_mean": 0.0, "demand_at_service_level": 0.0,
            "step_down_shift": 0.0, "own_places_used": own_used, "commissioned_places": commissioned,
            "spot_used": spot, "shortfall_expected": short}


def test_commissioned_places_are_shared_out_by_the_actions_that_opened_them():
    """Quarter 1 has no commissioned place (the block contract's 3 beds count from quarter 1 but the balance says
    none are there); quarter 2 has 6, opened by a 3-bed block contract and a 6-place new home: 6 x 3/9 = 2 block
    beds and 6 x 6/9 = 4 new-home places; own, spot and short are the balance's own figures."""
    balance = pd.DataFrame([_balance_row(1, 5.0, 0.0, 3.0, 1.0), _balance_row(2, 5.0, 6.0, 1.0, 0.0)])
    actions = pd.DataFrame([
        {"la_code": "E08000001", "group": "childrens_home", "kind": "block_contract", "places": 3.0,
         "places_from": "Q1 label"},
        {"la_code": "E08000001", "group": "childrens_home", "kind": "new_home", "places": 6.0,
         "places_from": "Q2 label"},
        {"la_code": "E08000003", "group": "childrens_home", "kind": "new_home", "places": 50.0,
         "places_from": "Q1 label"}])
    got = strategy_plan_sources(balance, actions, "E08000001", "childrens_home").set_index(["quarter", "source"])
    children = got["children"]
    assert children[(1, "block contracts")] == 0 and children[(1, "new homes")] == 0
    assert children[(2, "block contracts")] == pytest.approx(2.0)
    assert children[(2, "new homes")] == pytest.approx(4.0)
    assert children[(2, "foster recruitment")] == 0
    assert children[(1, "councils' own places")] == 5 and children[(1, "spot purchases")] == 3
    assert children[(1, "short: no suitable home")] == 1
    assert children.groupby(level=0).sum().tolist() == pytest.approx([9.0, 12.0])


def test_council_measures_count_unmatched_and_over_twenty_miles():
    """Bolton: 3 referrals, one unmatched, one matched 40 km away (over 20 miles = 32.19 km), one 10 km; two
    children in care, one 33 km from home. Manchester: one referral matched 32 km away (under 20 miles)."""
    allocations = pd.DataFrame({"la_code": ["E08000001"] * 3 + ["E08000003"],
                                "status": ["unmatched", "matched", "matched", "matched"],
                                "distance_km": [math.nan, 40.0, 10.0, 32.0]})
    placed = pd.DataFrame({"child_id": ["C1", "C2"], "la_code": ["E08000001"] * 2, "distance_km": [33.0, 5.0]})
    got = council_measures(allocations, placed).set_index("la_code")
    assert got.loc["E08000001"].to_dict() == {"unmatched": 1, "matched_over_20_miles": 1, "placed_over_20_miles": 1}
    assert got.loc["E08000003"].to_dict() == {"unmatched": 0, "matched_over_20_miles": 0, "placed_over_20_miles": 0}


def test_flows_run_between_council_centres_and_count_homes_outside_the_region():
    """Two Bolton children placed in Manchester and one in Bolton are two flows at the councils' centres; a child
    placed in a council outside the region is counted, not drawn."""
    allocations = pd.DataFrame({"la_code": ["E08000001"] * 4, "status": ["matched"] * 4,
                                "setting_la_code": ["E08000003", "E08000003", "E08000001", "E06000007"]})
    centroids = pd.DataFrame({"la_code": ["E08000001", "E08000003"], "la_name": ["Bolton", "Manchester"],
                              "lat": [53.58, 53.48], "lon": [-2.47, -2.24]})
    flows, outside = placement_flows(allocations, centroids)
    assert outside == 1
    pair = flows.set_index(["la_from", "la_to"])
    assert pair.loc[("E08000001", "E08000003"), "children"] == 2
    assert pair.loc[("E08000001", "E08000003"), ["lat", "lon", "lat2", "lon2"]].tolist() == [53.58, -2.47, 53.48,
                                                                                             -2.24]
    assert pair.loc[("E08000001", "E08000001"), "children"] == 1


def test_readable_tables_name_councils_and_never_show_none_or_nan():
    """Headings from the label vocabulary, councils by name (the region's rows as Whole region), money with £ and
    thousands separators, blanks for missing values, and codes inside sentences in words."""
    frame = pd.DataFrame({"la_code": ["E08000001", "region", None], "weekly_fee": [12345.4, math.nan, -5.0],
                          "setting_type": ["childrens_home", None, "foster_ifa"],
                          "reason": ["needs (learning_disability) in E08000003", None, "nan"]})
    shown = readable(frame, NAMES)
    assert list(shown.columns) == ["council", "fee (£ a week)", "type of home", "why not matched"]
    assert shown["council"].tolist() == ["Bolton", "Whole region", ""]
    assert shown["fee (£ a week)"].tolist() == ["£12,345", "", "-£5"]
    assert shown["type of home"].tolist() == ["children's home", "", "agency foster household"]
    assert shown["why not matched"].tolist() == ["needs (learning disability) in Manchester", "", ""]
    assert in_words("E08000008:childrens_home", {}) == "Tameside, children's homes"


def test_forecast_accuracy_in_words_counts_the_backtest_by_hand():
    """Five forecasts 3 months ahead, off by 0.5, 1.2, 2, 3.7 and 10 children: the fourth smallest error (80% of
    five) is 3.7, so 'within ±4 children' holds for four of them; only the first actual (10 in 9-12) lies inside
    its band. The yardstick's rows and another council's are not counted."""
    from app.dashboard.figures import forecast_accuracy_words

    months = pd.period_range("2024-01", periods=5, freq="M").astype(str)
    ours = pd.DataFrame({"la_code": "E08000001", "group": "foster", "horizon": 3, "model": "markov",
                         "origin": months, "forecast": [10.5, 20.0, 30.0, 40.0, 50.0],
                         "actual": [10.0, 21.2, 28.0, 43.7, 60.0],
                         "p10": [9.0, 19.0, 29.0, 38.0, 45.0], "p90": [12.0, 21.0, 31.0, 42.0, 55.0]})
    noise = pd.concat([ours.assign(model="seasonal_naive", forecast=0.0), ours.assign(la_code="E08000002",
                                                                                      forecast=0.0)])
    words = forecast_accuracy_words(pd.concat([ours, noise], ignore_index=True), "E08000001", "foster")
    assert words == ["3 months ahead: of the 5 forecasts made from January 2024 to May 2024, 4 were within ±4 "
                     "children of what happened, and the p10-p90 band held what happened in 1 of them."]


def test_council_group_history_adds_the_age_bands_up():
    from app.dashboard.figures import council_group_history

    stocks = pd.DataFrame({"la_code": ["A", "A", "A", "A", "B"], "group": ["foster"] * 4 + ["foster"],
                           "age_band": ["0-4", "5-9", "0-4", "5-9", "0-4"],
                           "month": ["2026-01", "2026-01", "2026-02", "2026-02", "2026-01"],
                           "stock": [3, 4, 5, 6, 100]})
    out = council_group_history(stocks, "A", "foster")
    assert out["children"].tolist() == [7, 11]
    assert out["month"].dt.strftime("%Y-%m").tolist() == ["2026-01", "2026-02"]


def test_forecast_accuracy_in_words_says_one_in_the_singular():
    """One forecast a month ahead, off by one child: the sentence reads as English, not '1 months', '1 were'."""
    from app.dashboard.figures import forecast_accuracy_words

    one = pd.DataFrame({"la_code": "A", "group": "foster", "horizon": [1], "model": "markov", "origin": ["2024-01"],
                        "forecast": [1.0], "actual": [2.0], "p10": [0.0], "p90": [3.0]})
    assert forecast_accuracy_words(one, "A", "foster") == [
        "1 month ahead: of the 1 forecast made in January 2024, 1 was within ±1 child of what happened, and the "
        "p10-p90 band held what happened in 1 of them."]


def test_headline_money_is_in_millions_with_the_full_figure_kept_for_the_trace():
    """A board reads £7.29m, not £7,290,112; under a million stays in full; the change keeps its sign."""
    assert money_short(7_290_112) == "£7.29m"
    assert money_short(174_412_000) == "£174.4m"
    assert money_short(-1_250_000) == "-£1.25m"
    assert money_short(497_979) == "£497,979"
    summary = {"match": {"total_weekly_cost": 7_290_112.0}}
    previous = {"match": {"total_weekly_cost": 7_300_112.0}}
    cost = next(f for f in key_figures(summary, previous) if f.source == "summary.match.total_weekly_cost")
    assert (cost.value, cost.delta, cost.exact) == ("£7.29m a week", "-£10,000 a week", "£7,290,112 a week")
