"""Look-ahead: places held back for the emergencies a forecast expects before the next run."""

from __future__ import annotations

import dataclasses
import json
from datetime import date

import pandas as pd
import pytest

from app.cli import main
from optimiser.match.allocation import match_region
from optimiser.match.demand import read_demand, stock_rise
from optimiser.match.lookahead import match_with_lookahead, places_to_hold
from optimiser.match.params import MatchParams
from optimiser.match.verify import verify_allocation
from tests.builders import (
    AUTHORITY,
    demand_table,
    make_region,
    random_instance,
    referral_rows,
    settings_rows,
    write_region,
)

RUN_DATE = date(2026, 11, 22)
COUNCIL = AUTHORITY["la_code"]
SECURE_BED = {"setting_type": "secure_childrens_home", "places": 1, "vacancies": 1, "weekly_fee": 10_000,
              "age_min": 10, "age_max": 17}
SECURE_CHILD = {"secure_order": True, "residential_suitability": "preferred", "foster_suitability": "unsuitable",
                "needed_by": "2026-12-15"}


SECURE_EMERGENCY_FORECAST = [(COUNCIL, "secure", "10-16", [1.0, 2.0, 2.0], [1.0, 2.0, 3.0])]


@pytest.fixture
def secure_region(tmp_path):
    return make_region(tmp_path / "r", settings=settings_rows(SECURE_BED), referrals=referral_rows(SECURE_CHILD))


@pytest.mark.parametrize("solver", ["fast", "pyomo"])
def test_last_secure_bed_is_held_from_a_child_who_can_wait(secure_region, solver):
    """A forecast secure emergency keeps the region's one secure bed from a child not due for three weeks."""
    params = MatchParams(solver=solver)
    result, lookahead = match_with_lookahead(secure_region, demand_table(SECURE_EMERGENCY_FORECAST), params,
                                             RUN_DATE)
    child = result.allocations.set_index("referral_id").loc["R1"]
    assert child["status"] == "unmatched" and child["reason_code"] == "held_back"
    assert "S1" in child["reason"]
    held = lookahead.held_back.iloc[0]
    assert (held["la_code"], held["group"], held["places_expected"], held["places_held"], held["setting_ids"]) == (
        COUNCIL, "secure", 1, 1, "S1")
    assert verify_allocation(lookahead.region, lookahead.allocations, params).empty
    assert verify_allocation(secure_region, result.allocations, params).empty
    # the waiting child's penalty plus the bed's fee for the placeholder (it is at the council's centroid: 0 km)
    assert result.objective == pytest.approx(params.unmatched_penalty + SECURE_BED["weekly_fee"])


def test_without_a_forecast_rise_the_bed_is_given(secure_region):
    """When the forecast expects no more secure children, nothing is held and the child gets the bed."""
    flat = demand_table([(COUNCIL, "secure", "10-16", [1.0, 1.0, 1.0], None)])
    result, lookahead = match_with_lookahead(secure_region, flat, MatchParams(), RUN_DATE)
    assert lookahead.held_back.empty and lookahead.holds.empty
    assert result.allocations.set_index("referral_id").loc["R1", "setting_id"] == "S1"
    plain = match_region(secure_region, MatchParams(), RUN_DATE)
    pd.testing.assert_frame_equal(result.allocations, plain.allocations)


def test_an_emergency_in_hand_gets_the_held_bed(tmp_path):
    """The hold is soft: a real emergency is worth more than one that may come, and the table says why."""
    region = make_region(tmp_path / "r", settings=settings_rows(SECURE_BED),
                         referrals=referral_rows({**SECURE_CHILD, "emergency": True}))
    result, lookahead = match_with_lookahead(region, demand_table(SECURE_EMERGENCY_FORECAST), MatchParams(),
                                             RUN_DATE)
    assert result.allocations.loc[0, "setting_id"] == "S1"
    held = lookahead.held_back.iloc[0]
    assert held["places_held"] == 0 and "1 could not be held" in held["why"]
    assert verify_allocation(lookahead.region, lookahead.allocations, MatchParams()).empty


def test_a_hold_below_the_unmatched_penalty_never_leaves_a_child_without_a_home(secure_region):
    """With hold_value under unmatched_penalty the hold only steers: the waiting child still gets the only bed."""
    params = MatchParams(hold_value=500_000.0)
    result, _ = match_with_lookahead(secure_region, demand_table(SECURE_EMERGENCY_FORECAST), params, RUN_DATE)
    assert result.allocations.loc[0, "setting_id"] == "S1"


def test_places_are_the_rise_of_the_chosen_column_summed_over_age_bands():
    """Children ageing from one band into the next are no rise; p90 rises where the mean does not."""
    demand = demand_table([
        (COUNCIL, "childrens_home", "10-16", [10.0, 9.0, 9.0], [12.0, 12.0, 12.0]),
        (COUNCIL, "childrens_home", "16-18", [5.0, 6.0, 6.0], [6.0, 8.0, 8.0]),
        (COUNCIL, "foster_inhouse", "5-10", [3.0, 3.4, 4.0], None),
        (COUNCIL, "foster_ifa", "5-10", [2.0, 2.2, 2.0], None),
        (COUNCIL, "kinship", "5-10", [2.0, 9.0, 9.0], None),
    ])
    mean = places_to_hold(demand, RUN_DATE, MatchParams(lookahead_column="mean"))
    assert mean[["group", "places"]].values.tolist() == [["foster", 1]]  # 0.4 + 0.2 in-house and agency together
    high = places_to_hold(demand, RUN_DATE, MatchParams(lookahead_column="p90"))
    assert high.set_index("group")["places"].to_dict() == {"childrens_home": 2, "foster": 1}
    rise = stock_rise(demand, RUN_DATE, "mean").set_index("group")
    assert rise.loc["childrens_home", "rise"] == 0.0 and "kinship" not in rise.index


def test_a_forecast_that_ends_before_next_month_is_refused():
    """The look-ahead needs next month's forecast and says how to get it."""
    demand = demand_table([(COUNCIL, "secure", "10-16", [1.0], None)])
    with pytest.raises(ValueError, match="longer --horizon"):
        places_to_hold(demand, RUN_DATE, MatchParams())


def test_bad_forecast_files_name_the_column_or_row(tmp_path):
    """A Demand table without its columns, or with a word for a number, is refused with where the problem is."""
    path = tmp_path / "forecast.csv"
    path.write_text("la_code,group,month,mean\nE08000003,secure,2026-11-01,1\n")
    with pytest.raises(ValueError, match="missing column.*age_band"):
        read_demand(path)
    frame = demand_table(SECURE_EMERGENCY_FORECAST).astype({"p90": object})
    frame.loc[1, "p90"] = "lots"
    frame.to_csv(path, index=False)
    with pytest.raises(ValueError, match="row 3, column p90: 'lots'"):
        read_demand(path)


def test_cli_match_with_forecast_writes_held_back_and_records_it(tmp_path, capsys):
    """`rcc match DIR --forecast F` holds the bed, writes held_back.csv and records the look-ahead in run.json."""
    today = date.today()
    folder = write_region(tmp_path / "r", settings=settings_rows(SECURE_BED), referrals=referral_rows(
        {**SECURE_CHILD, "needed_by": (pd.Timestamp(today) + pd.Timedelta(days=20)).strftime("%Y-%m-%d")}))
    forecast = tmp_path / "forecast.csv"
    demand_table(SECURE_EMERGENCY_FORECAST, first_month=today.replace(day=1)).to_csv(forecast, index=False)
    out = tmp_path / "out"
    assert main(["match", str(folder), "--out", str(out), "--forecast", str(forecast)]) == 0
    held = pd.read_csv(out / "held_back.csv")
    assert held[["group", "places_held", "setting_ids"]].values.tolist() == [["secure", 1, "S1"]]
    record = json.loads((out / "run.json").read_text())
    assert record["lookahead"]["places_held"] == 1 and record["lookahead"]["children_held_back"] == 1
    assert record["parameters"]["lookahead_column"] == "mean"
    assert pd.read_csv(out / "allocations.csv")["referral_id"].tolist() == ["R1"]  # no placeholder in the output
    assert "held back" in capsys.readouterr().out


def test_cli_horizon_without_forecast_is_refused(tmp_path, capsys):
    """Planning mode needs a forecast: exit 2 and say which option is missing."""
    folder = write_region(tmp_path / "r", settings=settings_rows(SECURE_BED), referrals=referral_rows(SECURE_CHILD))
    assert main(["match", str(folder), "--out", str(tmp_path / "o"), "--horizon", "6"]) == 2
    assert "--forecast" in capsys.readouterr().err


def test_hold_value_must_be_positive():
    """A hold worth nothing would hold nothing: refused with the parameter's name."""
    with pytest.raises(ValueError, match="hold_value"):
        dataclasses.replace(MatchParams(), hold_value=0.0)


def test_a_place_far_from_the_council_is_not_held(tmp_path):
    """A foster home 50 km away is no place for a council's emergency: it is not held, and the table says why."""
    far = {"setting_type": "foster_ifa", "places": 1, "vacancies": 1, "weekly_fee": 900, "lat": 53.451 + 0.45}
    region = make_region(tmp_path / "r", settings=settings_rows(far), referrals=referral_rows(
        {"foster_suitability": "preferred", "needed_by": "2026-12-15"}))
    rising = demand_table([(COUNCIL, "foster_ifa", "5-10", [4.0, 5.0, 5.0], None)])
    result, lookahead = match_with_lookahead(region, rising, MatchParams(), RUN_DATE)
    assert result.allocations.loc[0, "setting_id"] == "S1"
    held = lookahead.held_back.iloc[0]
    assert (held["group"], held["places_expected"], held["places_held"]) == ("foster", 1, 0)
    assert "maximum distance" in held["why"]


RISING_EVERYWHERE = [(COUNCIL, group, band, [2.0, 3.4, 3.4], None)
                     for group in ("foster_ifa", "childrens_home", "secure", "supported")
                     for band in ("10-16", "16-18")]


@pytest.mark.parametrize("seed", [0, 3, 5, 8])
def test_every_backend_reaches_the_same_optimum_with_places_held(seed, tmp_path):
    """With placeholders in the model every backend finds the same objective, and each answer passes the verifier."""
    region = make_region(tmp_path / "r", **random_instance(seed))
    demand = demand_table(RISING_EVERYWHERE)
    objectives = {}
    for solver in ("fast", "pyomo", "highs", "scip", "cp-sat"):
        params = MatchParams(solver=solver)
        result, lookahead = match_with_lookahead(region, demand, params, RUN_DATE)
        assert result.status == "optimal", (solver, result.message)
        assert len(lookahead.holds) == 12  # 1.4 more children in each of 2 bands: 2.8, so 3 of each of 4 kinds
        assert verify_allocation(lookahead.region, lookahead.allocations, params).empty, solver
        objectives[solver] = result.objective
    assert max(objectives.values()) == pytest.approx(min(objectives.values()), rel=1e-7), objectives
