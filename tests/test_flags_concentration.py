"""Market concentration (HHI and shares), providers difficult to replace, and the provider-exit stress test."""

from __future__ import annotations

from datetime import date

import pytest

from optimiser.flags import FlagParams, find_flags
from optimiser.flags.params import StressParams, UnlawfulParams
from tests.builders import make_region, settings_rows

RUN_DATE = date(2026, 11, 22)
SALFORD = "E08000006"


def provider(pid: str, name: str, group: str = "", sector: str = "private", dtr: bool = False) -> dict:
    return {"provider_id": pid, "provider_name": name, "sector": sector, "parent_group": group,
            "difficult_to_replace": dtr}


def market_region(folder):
    """Manchester's independent homes: Alpha Group 10 places (50%), Beta 6 (30%), Gamma 4 (20%), plus a council
    home; Salford's: ten owners with 2 places each, one place free. Three children live with Alpha, one with Beta."""
    providers = [provider("A1", "Alpha North Ltd", "Alpha Group", dtr=True), provider("A2", "Alpha South Ltd",
                 "Alpha Group"), provider("B", "Beta Homes Ltd"), provider("C", "Gamma Ltd"),
                 provider("LA", "Manchester Council", sector="local_authority")]
    providers += [provider(f"S{i}", f"Salford Small {i} Ltd") for i in range(10)]
    manchester = [("A1", 4), ("A1", 3), ("A2", 3), ("B", 3), ("B", 3), ("C", 4), ("LA", 5)]
    rows = [{"provider_id": p, "places": n, "vacancies": 0} for p, n in manchester]
    rows += [{"provider_id": f"S{i}", "places": 2, "vacancies": int(i == 0), "la_code": SALFORD} for i in range(10)]
    rows += [{"provider_id": "B", "setting_type": "supported_accommodation", "age_min": 16, "places": 3,
              "vacancies": 0}] * 2
    settings = settings_rows(*rows)
    children = [{"child_id": f"K{i}", "age": 14, "current_setting_id": s, "weekly_cost": 5000,
                 "placement_start": "2026-01-05"} for i, s in enumerate(["S1", "S2", "S3", "S4"], start=1)]
    return make_region(folder, settings=settings, children=children, referrals=[], providers=providers)


@pytest.fixture(scope="module")
def flags(tmp_path_factory):
    params = FlagParams(unlawful=UnlawfulParams(propose_alternatives=False))
    return find_flags(market_region(tmp_path_factory.mktemp("market")), params, RUN_DATE)


def test_hhi_and_shares_by_owner(flags):
    """Manchester's homes: HHI 50^2 + 30^2 + 20^2 = 3,800 over parent groups; Salford's 10 x 10^2 = 1,000."""
    markets = flags.markets.set_index(["area", "market"])
    manchester = markets.loc[("E08000003", "childrens_home")]
    assert manchester["hhi"] == pytest.approx(3800)
    assert manchester["top_owner"] == "Alpha Group" and manchester["top_share"] == pytest.approx(0.5)
    assert manchester["independent_places"] == 20 and manchester["council_share"] == pytest.approx(5 / 25)
    assert markets.loc[(SALFORD, "childrens_home"), "hhi"] == pytest.approx(1000)
    assert markets.loc[("region", "childrens_home"), "hhi"] == pytest.approx(25 ** 2 + 15 ** 2 + 10 ** 2 + 10 * 5 ** 2)


def test_only_the_concentrated_market_is_flagged(flags):
    """Manchester's homes are flagged (high: one owner holds half); Salford, the region and the two-setting
    supported market are not."""
    concentrated = flags.table[flags.table["flag"] == "market_concentration"]
    assert concentrated["subject_id"].tolist() == ["E08000003:childrens_home"]
    assert concentrated["severity"].tolist() == ["high"]
    evidence = concentrated["evidence"].iloc[0]
    for words in ("in Manchester", "3 owners hold the 20 independent places", "Alpha Group holds 50%",
                  "index is 3,800", "3 children with Alpha Group in this market at £15,000 a week"):
        assert words in evidence, words
    assert not flags.markets.set_index(["area", "market"]).at[("E08000003", "supported"), "assessed"]


def test_difficult_to_replace_provider_exposure(flags):
    """The designated provider is flagged with its share and the region's children and spend with it."""
    dtr = flags.table[flags.table["flag"] == "difficult_to_replace_exposure"].set_index("subject_id")
    assert list(dtr.index) == ["A1"] and dtr.at["A1", "severity"] == "high"
    assert "2 children there now at £10,000 a week" in dtr.at["A1", "evidence"]
    assert "looks after 50.0% of the region's children placed there" in dtr.at["A1", "evidence"]


def test_stress_test_removes_largest_group_and_rehouses_what_it_can(flags):
    """Alpha Group (most children) exits: 3 children need a home, Salford's one free place re-houses one."""
    stress = flags.stress
    assert stress.owner == "Alpha Group" and stress.companies == 2 and stress.settings == 3
    assert len(stress.displaced) == 3 and stress.rehoused == 1
    assert stress.displaced.loc[stress.displaced["status"] == "matched", "new_setting_id"].tolist() == ["S8"]
    row = flags.table[flags.table["flag"] == "provider_exit_stress"].iloc[0]
    assert row["subject_id"] == "Alpha Group" and row["severity"] == "high"
    for words in ("3 children of the region", "£15,000 a week now", "could re-house 1 of them (33%)",
                  "2 could not be placed"):
        assert words in row["evidence"], words


def test_stress_test_of_a_named_group(tmp_path):
    """stress.group names the group to remove; an unknown name is refused with the name."""
    region = market_region(tmp_path / "r")
    quick = FlagParams(unlawful=UnlawfulParams(propose_alternatives=False), stress=StressParams(group="B"))
    flags = find_flags(region, quick, RUN_DATE)
    assert flags.stress.owner == "B" and flags.stress.subject_type == "provider" and len(flags.stress.displaced) == 1
    with pytest.raises(ValueError, match="Nobody"):
        find_flags(region, FlagParams(stress=StressParams(group="Nobody")), RUN_DATE)
