"""The profit cap what-if: the saving on a tiny market, a company pushed below the exit margin leaving and its
children re-housed or reported unhoused, the sweep and the command."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from app.cli import main
from optimiser.profit_cap import CapParams, parse_sweep, profit_cap
from tests.builders import AUTHORITY, SECOND_AUTHORITY, make_region, settings_rows, write_region

RUN_DATE = date(2026, 11, 22)
HOME = {"home_lat": AUTHORITY["lat"], "home_lon": AUTHORITY["lon"], "placement_start": "2026-01-05", "age": 14}


def provider(pid: str, name: str, revenue: float, profit: float, group: str = "") -> dict:
    return {"provider_id": pid, "provider_name": name, "sector": "private", "parent_group": group,
            "revenue": revenue, "operating_profit": profit}


def market() -> dict:
    """High Ltd 30% on £1m, two children at £5,000; Group G: G1 40% on £1m (one child at £4,000) and G2 4% on £1m
    (two children at £5,000, one from Salford); Spare Ltd 5% on £2m with the region's only free place."""
    providers = [provider("H", "High Ltd", 1_000_000, 300_000), provider("G1", "G One Ltd", 1_000_000, 400_000, "G"),
                 provider("G2", "G Two Ltd", 1_000_000, 40_000, "G"), provider("X", "Spare Ltd", 2_000_000, 100_000)]
    settings = settings_rows({"provider_id": "H", "places": 2, "vacancies": 0},
                             {"provider_id": "G1", "places": 1, "vacancies": 0},
                             {"provider_id": "G2", "places": 2, "vacancies": 0},
                             {"provider_id": "X", "places": 3, "vacancies": 1})
    children = [{"child_id": "K1", "current_setting_id": "S1", "weekly_cost": 5000, **HOME},
                {"child_id": "K2", "current_setting_id": "S1", "weekly_cost": 5000, **HOME},
                {"child_id": "K3", "current_setting_id": "S2", "weekly_cost": 4000, **HOME},
                {"child_id": "K4", "current_setting_id": "S3", "weekly_cost": 5000, **HOME},
                {"child_id": "K5", "current_setting_id": "S3", "weekly_cost": 5000, **HOME,
                 "la_code": SECOND_AUTHORITY["la_code"]},
                {"child_id": "K6", "current_setting_id": "S4", "weekly_cost": 3000, **HOME}]
    return {"settings": settings, "children": children, "referrals": [], "providers": providers}


@pytest.fixture(scope="module")
def at_ten(tmp_path_factory):
    return profit_cap(make_region(tmp_path_factory.mktemp("cap"), **market()), CapParams(0.10, 0.03), RUN_DATE)


def test_the_cap_saving_by_hand(at_ten):
    """High: cut x = (300k - 0.1 x 1m) / 0.9 = £222,222, 22.2% of its fees, on the region's £10,000 a week. G: its
    group margin 22% on £2m, x = (440k - 200k) / 0.9 = £266,667, 13.3% of every fee; G1's child £4,000 a week.
    Spare (5%) is under the cap. G2 leaves (below), so the saving on its children is not counted."""
    high = 10_000 * (300_000 - 100_000) / 0.9 / 1_000_000
    group_rate = (440_000 - 200_000) / 0.9 / 2_000_000
    weekly = high + 4_000 * group_rate
    s = at_ten.summary
    assert s["weekly_saving"] == pytest.approx(weekly, abs=0.01)
    assert s["yearly_saving"] == pytest.approx(weekly * 52, abs=0.5)
    assert s["weekly_saving_if_none_leave"] == pytest.approx(weekly + 10_000 * group_rate, abs=0.01)
    assert s["owners_capped"] == 2
    cut = at_ten.providers.set_index("provider_id")["fee_cut"]
    assert cut["X"] == 0 and cut["G1"] == pytest.approx(group_rate) and cut["G2"] == pytest.approx(group_rate)


def test_a_company_pushed_below_the_exit_margin_leaves_and_its_children_are_rehoused_or_not(at_ten):
    """G2's margin after the group's cut: (4% - 13.3%) / (1 - 13.3%) = -10.8%, under 3%: it is at risk, its 2
    places with it; of its 2 children the one free place (Spare's) re-houses 1, the other has nowhere to go."""
    rows = at_ten.providers.set_index("provider_id")
    rate = (440_000 - 200_000) / 0.9 / 2_000_000
    assert rows.loc["G2", "margin_after"] == pytest.approx((0.04 - rate) / (1 - rate))
    assert rows["at_risk"].to_dict() == {"G1": False, "G2": True, "H": False, "X": False}
    s = at_ten.summary
    assert (s["providers_at_risk"], s["places_at_risk"], s["children_at_risk"], s["rehoused"], s["not_rehoused"]) \
        == (1, 2, 2, 1, 1)
    children = at_ten.children.set_index("child_id")
    assert set(children.index) == {"K4", "K5"} and set(children["status"]) == {"matched", "unmatched"}
    assert children.loc[children["status"].eq("matched"), "new_setting_id"].tolist() == ["S4"]


def test_per_council_and_kind_of_home(at_ten):
    """Manchester and Salford each have one of G2's children at risk; the region's row adds them up, and its
    saving is the summary's."""
    areas = at_ten.areas.set_index(["la_code", "market"])
    assert areas.loc[(AUTHORITY["la_code"], "childrens_home"), "children_at_risk"] == 1
    assert areas.loc[(SECOND_AUTHORITY["la_code"], "childrens_home"), "children_at_risk"] == 1
    region = areas.loc[("region", "all")]
    assert (region["children_at_risk"], region["rehoused"], region["not_rehoused"], region["places_at_risk"]) == \
        (2, 1, 1, 2)
    assert region["weekly_saving"] == pytest.approx(at_ten.summary["weekly_saving"], abs=0.01)


def test_a_gentle_cap_pushes_nobody_out(tmp_path):
    """At 20% the group's cut is (440k - 400k) / 0.8 / 2m = 2.5%: G2 keeps (4% - 2.5%) / 97.5% = 1.5%, above an
    exit margin of 1%: nobody leaves and no match is needed."""
    result = profit_cap(make_region(tmp_path, **market()), CapParams(0.20, 0.01), RUN_DATE)
    g2 = result.providers.set_index("provider_id").loc["G2"]
    assert g2["margin_after"] == pytest.approx((0.04 - 0.025) / 0.975) and not g2["at_risk"]
    assert result.summary["children_at_risk"] == 0 and result.children.empty


def test_probability_mode_weights_by_the_chance_of_leaving(tmp_path):
    """Cap 20%, exit margin 3%, spread 2%: G2 keeps (4% - 2.5%) / 97.5% = 1.54%, a chance of leaving of
    (5% - 1.54%) / 4% = 86.5%; G1 (38.5%) and High (20%) none. Expected: 2 x 86.5% children need a new home,
    86.5% of the one re-housed; saving High £10,000 x 12.5% + G1 £4,000 x 2.5% + G2 £10,000 x 2.5% x 13.5%."""
    result = profit_cap(make_region(tmp_path, **market()), CapParams(0.20, 0.03, exit_spread=0.02), RUN_DATE)
    chance = (0.05 - (0.04 - 0.025) / 0.975) / 0.04
    rows = result.providers.set_index("provider_id")
    assert rows["exit_chance"].to_dict() == pytest.approx({"G1": 0.0, "G2": chance, "H": 0.0, "X": 0.0})
    s = result.summary
    assert s["expected_children_leaving"] == pytest.approx(2 * chance, abs=1e-4)
    assert (s["children_at_risk"], s["rehoused"]) == (2, 1)
    assert s["expected_rehoused"] == pytest.approx(chance, abs=1e-4)
    saving = 10_000 * (300_000 - 200_000) / 0.8 / 1_000_000 + 4_000 * 0.025 + 10_000 * 0.025 * (1 - chance)
    assert s["expected_weekly_saving"] == pytest.approx(saving, abs=0.01)
    assert s["weekly_saving"] == pytest.approx(1_250 + 100, abs=0.01)


def test_sweep_ranges_and_bad_values():
    """start:stop:step includes the stop; a cap outside (0, 1) or a malformed sweep is refused."""
    assert parse_sweep("0.05:0.25:0.05") == [0.05, 0.1, 0.15, 0.2, 0.25]
    with pytest.raises(ValueError, match="start:stop:step"):
        parse_sweep("0.05-0.25")
    with pytest.raises(ValueError, match="cap"):
        CapParams(cap=10)


def test_the_command_writes_the_sweep_table_and_chart(tmp_path, capsys):
    """`rcc what-if profit-cap --sweep` writes the tables, the sweep as CSV, PNG and HTML, and prints each cap."""
    folder = write_region(tmp_path / "region", **market())
    out = tmp_path / "out"
    code = main(["what-if", "profit-cap", str(folder), "--cap", "0.10", "--sweep", "0.1:0.2:0.1", "--out", str(out),
                 "--run-date", RUN_DATE.isoformat()])
    assert code == 0
    sweep = pd.read_csv(out / "profit_cap_sweep.csv")
    assert sweep["cap"].tolist() == [0.1, 0.2] and sweep["children_at_risk"].tolist() == [2, 2]
    assert (out / "profit_cap_sweep.png").read_bytes()[:4] == b"\x89PNG"
    assert "What a profit cap would do" in (out / "profit_cap_sweep.html").read_text()
    assert "cap 20%" in capsys.readouterr().out
    assert main(["what-if", "profit-cap", str(folder), "--cap", "1.5", "--out", str(out)]) == 2
