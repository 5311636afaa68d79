"""The one `match` call (optimiser.match.match): the same tables as its pieces called one by one."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pandas as pd
import pytest

from optimiser.match import match
from optimiser.match.allocation import allocation_table, match_region
from optimiser.match.baseline import SHORTAGE_BASELINE, compare_outcomes, la_by_la_baseline
from optimiser.match.explain import explanations, sufficiency_gap
from optimiser.match.lookahead import match_with_lookahead
from optimiser.match.params import MatchParams
from optimiser.match.stepdown import with_step_down_referrals
from optimiser.match.verify import great_circle_km, verify_allocation
from tests.builders import AUTHORITY, SETTING_DEFAULTS, demand_table, make_region, random_instance
from tests.match_brute_force import allocation_cost

RUN_DATE = date(2026, 11, 22)
UNREGISTERED = {"setting_type": "childrens_home", "registration_status": "unregistered", "places": 1,
                "vacancies": 0}
RISING = [(AUTHORITY["la_code"], group, band, [2.0, 3.4, 3.4], None)
          for group in ("foster_ifa", "childrens_home") for band in ("10-16", "16-18")]


def region_with_a_child_to_step_down(folder, seed: int):
    """A random small region plus an unregistered home with a 15-year-old living in it."""
    tables = random_instance(seed)
    settings = tables["settings"]
    unlawful = {"setting_id": f"S{len(settings) + 1}", **SETTING_DEFAULTS, **UNREGISTERED}
    child = {"child_id": "LIVING-UNLAWFULLY", "age": 15, "current_setting_id": unlawful["setting_id"],
             "home_lat": 53.46, "home_lon": -2.25}
    return make_region(folder, settings=[*settings, unlawful], referrals=tables["referrals"],
                       children=[*tables["children"], child])


def by_hand(region, params: MatchParams, demand: pd.DataFrame | None) -> dict:
    """The sequence `rcc match` used to run in app/pipeline.py, one piece at a time."""
    region, step_down = with_step_down_referrals(region, RUN_DATE)
    if demand is None:
        result, lookahead = match_region(region, params, RUN_DATE), None
    else:
        result, lookahead = match_with_lookahead(region, demand, params, RUN_DATE)
    chosen = la_by_la_baseline(region, result.candidates).set_index("referral_id")["setting_id"]
    baseline = allocation_table(region, result.candidates, chosen, shortage=SHORTAGE_BASELINE)
    broken = verify_allocation(region, baseline, params)
    return {"region": region, "step_down": len(step_down), "result": result, "lookahead": lookahead,
            "baseline": baseline,
            "comparison": compare_outcomes(result.allocations, baseline, {"regional": 0, "la_by_la": len(broken)}),
            "explanations": explanations(region, result.allocations, params, RUN_DATE),
            "gap": sufficiency_gap(region, result.allocations)}


def summary_by_hand(region, allocations: pd.DataFrame) -> dict:
    """The summary's figures counted from the allocation's ids and statuses and the region's raw rows: distances
    from the family home (the council's centre when none is given) and fees from settings.csv."""
    referrals = region.referrals.set_index("referral_id")
    settings = region.settings.set_index("setting_id")
    centres = region.authorities.set_index("la_code")
    matched = allocations[allocations["status"] == "matched"]
    km = []
    for row in matched.itertuples():
        child, home = referrals.loc[row.referral_id], settings.loc[row.setting_id]
        origin = ((child["family_lat"], child["family_lon"]) if pd.notna(child["family_lat"])
                  else (centres.at[child["la_code"], "lat"], centres.at[child["la_code"], "lon"]))
        km.append(great_circle_km(*origin, home["lat"], home["lon"]))
    reasons = Counter(allocations.loc[allocations["status"] == "unmatched", "reason_code"])
    return {"referrals": len(referrals), "matched": len(matched), "unmatched": len(referrals) - len(matched),
            "unmatched_by_reason": dict(sorted(reasons.items())),
            "mean_distance_km": round(sum(km) / len(km), 1) if km else None,
            "share_over_20_miles": round(sum(k > 20 * 1.609344 for k in km) / len(km), 3) if km else None,
            "total_weekly_cost": round(float(settings.loc[matched["setting_id"], "weekly_fee"].sum()), 2)}


@pytest.mark.parametrize("with_forecast", [False, True], ids=["without look-ahead", "with look-ahead"])
@pytest.mark.parametrize("seed", [0, 3])
def test_match_returns_what_its_pieces_make_one_by_one(seed, with_forecast, tmp_path):
    """match() gives the same allocation, baseline, comparison, explanations, gap and held places as the pieces."""
    region = region_with_a_child_to_step_down(tmp_path / "r", seed)
    params = MatchParams()
    demand = demand_table(RISING) if with_forecast else None
    made = match(region, params, RUN_DATE, demand)
    expected = by_hand(region, params, demand)
    assert made.step_down_referrals_added == expected["step_down"] >= 1
    pd.testing.assert_frame_equal(made.region.referrals, expected["region"].referrals)
    pd.testing.assert_frame_equal(made.result.allocations, expected["result"].allocations)
    assert made.result.objective == pytest.approx(expected["result"].objective)
    for table in ("baseline", "comparison", "explanations", "gap"):
        pd.testing.assert_frame_equal(getattr(made, table), expected[table], obj=table)
    assert made.violations.empty
    added = {"step_down_referrals_added": expected["step_down"]}
    solved = {"solver_status": "optimal", "solver_gap": 0.0, "gap_too_wide": False}  # a small instance, proven
    assert expected["result"].status == "optimal"
    assert made.summary == summary_by_hand(made.region, made.result.allocations) | added | solved
    if not with_forecast:  # with the look-ahead the objective also prices the places held back
        assert made.result.objective == pytest.approx(allocation_cost(made.region, made.result.allocations, params))
    if with_forecast:
        pd.testing.assert_frame_equal(made.lookahead.held_back, expected["lookahead"].held_back)
        pd.testing.assert_frame_equal(made.lookahead.allocations, expected["lookahead"].allocations)
        assert len(made.lookahead.holds) > 0 and made.demand is not None
    else:
        assert made.lookahead is None and made.demand is None


def test_a_broken_hard_rule_stops_the_match(tmp_path, monkeypatch):
    """An answer the independent verifier refuses raises RuntimeError instead of being handed on."""
    from optimiser.match import verify

    region = region_with_a_child_to_step_down(tmp_path / "r", 0)
    planted = pd.DataFrame([{"referral_id": "R1", "setting_id": "S1", "rule": "capacity", "detail": "planted"}])
    monkeypatch.setattr(verify, "verify_allocation", lambda *args, **kwargs: planted)
    with pytest.raises(RuntimeError, match="breaks hard rules"):
        match(region, MatchParams(), RUN_DATE)


def test_progress_reports_the_step_down_referrals(tmp_path):
    """The step-down referrals are announced through the progress callback, as the command line shows them."""
    messages = []
    match(region_with_a_child_to_step_down(tmp_path / "r", 0), MatchParams(), RUN_DATE, progress=messages.append)
    assert messages[0] == "Added 1 step-down referral(s) for children living in unlawful settings"
    assert any(m.startswith("Matching ") for m in messages)
