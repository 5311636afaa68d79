"""Planning mode: the forecast's cohort drawn reproducibly, matched to the supply left, and the gap it leaves."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
import pytest

from app.cli import main
from optimiser.match.demand import new_demand
from optimiser.match.params import MatchParams
from optimiser.match.planning import draw_cohort, plan
from optimiser.match.verify import verify_allocation
from tests.builders import (
    AUTHORITY,
    SECOND_AUTHORITY,
    demand_table,
    make_region,
    referral_rows,
    settings_rows,
    write_region,
)

RUN_DATE = date(2026, 11, 22)
COUNCIL, SECOND = AUTHORITY["la_code"], SECOND_AUTHORITY["la_code"]
HOME = {"setting_type": "childrens_home", "places": 3, "vacancies": 2, "weekly_fee": 5000,
        "needs_met": "emotional_behavioural"}
HOME_CHILD = {"residential_suitability": "preferred", "foster_suitability": "unsuitable",
              "needs": "emotional_behavioural", "age": 14}


def test_new_demand_counts_each_rise_once_and_splits_it_by_age_band():
    """A rise, a dip and a recovery, and a fall: children are drawn only past the highest rise so far."""
    demand = demand_table([
        (COUNCIL, "childrens_home", "10-16", [3.0, 4.5, 4.5, 6.0, 7.5], None),   # +1.5 then 0 then +1.5 ...
        (COUNCIL, "childrens_home", "16-18", [1.0, 1.5, 0.5, 1.0, 1.5], None),   # ... with this band: 4 6 5 7 9
        (SECOND, "supported", "16-18", [5.0, 4.0, 3.0, 2.0, 1.0], None),          # falling: nobody
    ])
    expected = new_demand(demand, RUN_DATE, horizon=4)
    per_month = expected.groupby("month")["expected"].sum()
    assert per_month.round(6).to_dict() == {pd.Timestamp("2026-12-01"): 2.0, pd.Timestamp("2027-02-01"): 1.0,
                                            pd.Timestamp("2027-03-01"): 2.0}
    december = expected[expected["month"].eq("2026-12-01")].set_index("age_band")["expected"]
    assert december.to_dict() == pytest.approx({"10-16": 1.5, "16-18": 0.5})  # the month's stock is 4.5 : 1.5
    assert set(expected["la_code"]) == {COUNCIL}


@pytest.fixture
def profiled_region(tmp_path):
    """Referrals to draw from: children's homes with and without siblings, foster, one secure child."""
    return make_region(tmp_path / "r", settings=settings_rows(HOME), referrals=referral_rows(
        HOME_CHILD, {**HOME_CHILD, "age": 12, "needs": "mental_health"},
        {**HOME_CHILD, "sibling_group": "G1", "age": 13}, {**HOME_CHILD, "sibling_group": "G1", "age": 15},
        {"foster_suitability": "preferred", "age": 6},
        {"secure_order": True, "residential_suitability": "suitable", "age": 15}))


EXPECTED = pd.DataFrame({"la_code": [COUNCIL, SECOND, COUNCIL, SECOND],
                         "group": ["childrens_home"] * 2 + ["foster"] * 2,
                         "age_band": ["10-16", "10-16", "5-10", "5-10"],
                         "month": pd.to_datetime(["2026-12-01"] * 4), "expected": [6.4, 3.3, 4.7, 2.9]})


def test_cohort_is_reproducible_with_a_seed_and_anonymous(profiled_region):
    """The same seed draws the same cohort; another seed another; ids are F-..., no real child's places copied."""
    first, again = draw_cohort(profiled_region, EXPECTED, seed=3), draw_cohort(profiled_region, EXPECTED, seed=3)
    pd.testing.assert_frame_equal(first, again)
    others = [draw_cohort(profiled_region, EXPECTED, seed=s) for s in range(4, 10)]
    assert any(len(o) != len(first) or not o["age"].equals(first["age"]) for o in others)
    assert first["referral_id"].str.startswith("F-R").all() and first["child_id"].str.startswith("F-C").all()
    assert (first["sibling_group"].eq("") | first["sibling_group"].str.startswith("F-G")).all()
    assert first["family_lat"].isna().all() and first["avoid_lat"].isna().all() and not first["keep_school"].any()
    homes = first[first["group"].eq("childrens_home")]
    # drawn from the children's home referrals: their needs and suitability, never the foster or secure child's
    assert set(homes["residential_suitability"]) == {"preferred"} and not homes["secure_order"].any()
    assert set(first.loc[first["group"].eq("foster"), "foster_suitability"]) == {"preferred"}


def test_cohort_size_matches_the_forecast_on_average(profiled_region):
    """Over many seeds the cohort's mean size is the forecast's expected total, sibling groups included."""
    sizes = np.array([len(draw_cohort(profiled_region, EXPECTED, seed=s)) for s in range(60)])
    assert sizes.mean() == pytest.approx(EXPECTED["expected"].sum(), rel=0.05)
    with_siblings = [draw_cohort(profiled_region, EXPECTED, seed=s)["sibling_group"].ne("").mean() for s in range(60)]
    assert 0 < np.mean(with_siblings) < 1


def test_planning_gap_on_a_region_small_enough_to_check_by_hand(tmp_path):
    """Two free places; today's child takes one; December's forecast child the other; January's goes unmet."""
    region = make_region(tmp_path / "r", settings=settings_rows(HOME), referrals=referral_rows(HOME_CHILD))
    demand = demand_table([(COUNCIL, "childrens_home", "10-16", [10.0, 11.0, 12.0], None)])
    params = MatchParams()
    planning = plan(region, demand, horizon=2, params=params, run_date=RUN_DATE, seed=0)
    assert planning.today.allocations.loc[0, "setting_id"] == "S1"
    assert planning.supply.settings.loc[0, "vacancies"] == 1
    assert planning.gap.values.tolist() == [
        [COUNCIL, "childrens_home", "emotional_behavioural", "2026-12", 1, 0],
        [COUNCIL, "childrens_home", "emotional_behavioural", "2027-01", 1, 1]]
    unmet = planning.allocations.set_index("month").loc["2027-01"]
    assert unmet["status"] == "unmatched" and unmet["reason_code"] == "capacity"
    assert verify_allocation(planning.supply, planning.result.allocations, params).empty
    assert verify_allocation(region, planning.today.allocations, params).empty


def test_cli_planning_mode_writes_the_gap_and_run_record(tmp_path, capsys):
    """`rcc match DIR --forecast F --horizon 2` writes planning_gap.csv, the allocations and planning_run.json."""
    today = date.today()
    folder = write_region(tmp_path / "r", settings=settings_rows(HOME), referrals=referral_rows(HOME_CHILD))
    forecast = tmp_path / "forecast.csv"
    demand_table([(COUNCIL, "childrens_home", "10-16", [10.0, 11.0, 12.0], None)],
                 first_month=today.replace(day=1)).to_csv(forecast, index=False)
    out = tmp_path / "out"
    assert main(["match", str(folder), "--out", str(out), "--forecast", str(forecast), "--horizon", "2",
                 "--seed", "5"]) == 0
    gap = pd.read_csv(out / "planning_gap.csv")
    assert gap.columns.tolist() == ["la_code", "group", "need", "month", "children_drawn", "children_unmet"]
    assert gap[["children_drawn", "children_unmet"]].sum().tolist() == [2, 1]
    assert pd.read_csv(out / "planning_allocations.csv")["referral_id"].str.startswith("F-").all()
    record = json.loads((out / "planning_run.json").read_text())
    assert record["job"] == "planning" and record["summary"]["seed"] == 5
    assert record["summary"]["children_drawn"] == 2 and record["verification"]["violations"] == 0
    assert record["forecast"]["rows"] == 3 and len(record["forecast"]["hash"]) == 16
    assert "could not be placed  1" in capsys.readouterr().out
    assert not (out / "allocations.csv").exists()


def test_a_forecast_with_no_rise_draws_nobody_and_leaves_no_gap(tmp_path):
    """A falling forecast expects no new children: the cohort is empty and so is the gap, without error."""
    region = make_region(tmp_path / "r", settings=settings_rows(HOME), referrals=referral_rows(HOME_CHILD))
    demand = demand_table([(COUNCIL, "childrens_home", "10-16", [10.0, 9.0, 8.0], None)])
    planning = plan(region, demand, horizon=2, params=MatchParams(), run_date=RUN_DATE)
    assert planning.cohort.empty and planning.gap.empty and planning.allocations.empty


def test_a_forecast_of_another_region_is_refused(tmp_path):
    """A forecast whose councils are none of the region's is an error that names both."""
    region = make_region(tmp_path / "r", settings=settings_rows(HOME), referrals=referral_rows(HOME_CHILD))
    demand = demand_table([("E06000001", "childrens_home", "10-16", [1.0, 2.0, 3.0], None)])
    with pytest.raises(ValueError, match="E06000001.*authorities.csv"):
        plan(region, demand, horizon=2, params=MatchParams(), run_date=RUN_DATE)
