"""Market oversight: owners difficult to replace (derived), financial fragility, the top risk, group quality."""

from __future__ import annotations

from datetime import date

import pytest

from optimiser.flags import FlagParams, find_flags
from optimiser.flags.common import placements
from optimiser.flags.fragility import fragility
from optimiser.flags.params import FragilityParams, QualityParams, ReplaceParams, StressParams, UnlawfulParams
from optimiser.flags.quality import group_quality, judged, quality_flags
from tests.builders import AUTHORITY, make_region, settings_rows

RUN_DATE = date(2026, 11, 22)
HOME = {"home_lat": AUTHORITY["lat"], "home_lon": AUTHORITY["lon"], "placement_start": "2026-01-05",
        "weekly_cost": 5000, "age": 14}
# tiny markets need tiny thresholds: half the region's places, two children, half of them with nowhere to go;
# council markets are left out (no council has 100 places)
RULE = ReplaceParams(region_share=0.5, council_share=1.0, min_council_places=100, min_children=2,
                     unhoused_share=0.5)


def provider(pid: str, name: str, group: str = "", dtr: bool = False, **accounts) -> dict:
    return {"provider_id": pid, "provider_name": name, "sector": "private", "parent_group": group,
            "difficult_to_replace": dtr, **accounts}


def replace_region(folder, other_places: int, dtr: bool = False):
    """Big Group's one home: 3 places, full, two of the region's children; Other Ltd's home: `other_places`
    places, one free. Big Group made a loss of £10,000 on £400,000: fragility 3 for the loss, 1 for the small
    turnover, 1 because Manchester pays all of it (2 x £5,000 x 52 = £520,000 a year)."""
    providers = [provider("B1", "Big One Ltd", "Big Group", dtr=dtr, revenue=400_000, operating_profit=-10_000),
                 provider("O", "Other Ltd", revenue=2_000_000, operating_profit=300_000)]
    settings = settings_rows({"provider_id": "B1", "places": 3, "vacancies": 0},
                             {"provider_id": "O", "places": other_places, "vacancies": 1})
    children = [{"child_id": f"K{i}", "current_setting_id": "S1", **HOME} for i in (1, 2)]
    return make_region(folder, settings=settings, children=children, referrals=[], providers=providers)


def oversight(region):
    # the stress test on: its match is the re-housing test's
    params = FlagParams(unlawful=UnlawfulParams(propose_alternatives=False), stress=StressParams(run=True),
                        replace=RULE)
    return find_flags(region, params, RUN_DATE)


@pytest.fixture(scope="module")
def meets(tmp_path_factory):
    """Big Group holds 3 of 6 independent places: 50%, the rule's share."""
    return oversight(replace_region(tmp_path_factory.mktemp("meets"), other_places=3))


@pytest.fixture(scope="module")
def twin(tmp_path_factory):
    """The same market but Other Ltd has 4 places: Big Group holds 3 of 7, 42.9%, just under the rule."""
    return oversight(replace_region(tmp_path_factory.mktemp("twin"), other_places=4))


def test_a_group_meeting_the_rule_is_designated(meets):
    """Big Group: 50% of the places, 2 children, one free place elsewhere: 1 re-housed, 1 (50%) with nowhere to
    go; every part of the rule holds, so it is designated (high), the evidence saying why in words."""
    row = meets.replace.set_index("owner").loc["Big Group"]
    assert row["region_share"] == pytest.approx(0.5) and row["children"] == 2
    assert row["tested"] and row["rehoused"] == 1 and row["unhoused"] == 1 and row["designated"]
    flag = meets.table[meets.table["flag"] == "difficult_to_replace_derived"].set_index("subject_id")
    assert list(flag.index) == ["Big Group"] and flag.loc["Big Group", "severity"] == "high"
    assert "50.0% of the region's independent places" in flag.loc["Big Group", "evidence"]
    assert "1 (50%) would have nowhere to go" in flag.loc["Big Group", "evidence"]
    oversight = meets.summary()["oversight"]
    assert oversight["designated_by_rule"] == ["Big Group"] and oversight["top_market_risks"] == ["Big Group"]


def test_its_twin_just_below_the_share_is_not(twin):
    """Twin: 3/7 = 42.9% of the places, under 50%: not designated, not even tested (no match run for it)."""
    row = twin.replace.set_index("owner").loc["Big Group"]
    assert row["region_share"] == pytest.approx(3 / 7)
    assert not row["market_test"] and not row["tested"] and not row["designated"]
    assert (twin.table["flag"] == "difficult_to_replace_derived").sum() == 0


def test_the_input_designation_overrides_the_data(tmp_path):
    """The twin with Big One Ltd designated in the input: its group is designated, medium (the data alone would
    not)."""
    flags = oversight(replace_region(tmp_path, other_places=4, dtr=True))
    flag = flags.table[flags.table["flag"] == "difficult_to_replace_derived"]
    assert list(flag["subject_id"]) == ["Big Group"] and list(flag["severity"]) == ["medium"]


def test_fragile_and_hard_to_replace_is_the_top_risk(meets, twin):
    """Big Group scores 5 (a loss 3, a small turnover 1, one council 1: high) and is designated: the top risk, naming
    Manchester's 2 children; its undesignated twin is fragile but no top risk."""
    top = meets.table[meets.table["flag"] == "top_market_risk"]
    assert list(top["subject_id"]) == ["Big Group"]
    assert "Children by council: Manchester 2." in top["evidence"].iloc[0]
    assert meets.fragility.set_index("id").loc["Big Group", "score"] == 5
    assert (twin.table["flag"] == "top_market_risk").sum() == 0
    assert "Big Group" in set(twin.table.loc[twin.table["flag"] == "financial_fragility", "subject_id"])


# --- financial fragility on hand-made accounts -------------------------------------------------------------------

@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    providers = [
        # loss 3, margin -10% from 10% (20 points) 2, small 1, debt 1.5x revenue 2, profit under 1.5x interest 2
        provider("F_DEBT", "Debt Ltd", revenue=400_000, operating_profit=-40_000, prior_revenue=500_000,
                 prior_operating_profit=50_000, debt=600_000, interest=30_000),
        # loss 3, a loss the year before 1; margin -5% from -2.5%: 2.5 points, under the 5 that score
        provider("F_LOSS", "Loss Ltd", revenue=2_000_000, operating_profit=-100_000, prior_revenue=2_000_000,
                 prior_operating_profit=-50_000),
        # small 1; Manchester pays 2 x £5,000 x 52 = £520,000, all of its £450,000 revenue 1
        provider("F_ONE", "One Council Ltd", revenue=450_000, operating_profit=90_000),
        # thin margin 3% 1
        provider("F_THIN", "Thin Ltd", revenue=2_000_000, operating_profit=60_000),
        # 15% margin, debt a tenth of revenue, interest covered 22.5 times: 0
        provider("F_OK", "Healthy Ltd", revenue=3_000_000, operating_profit=450_000, debt=300_000, interest=20_000),
        # group: -£200,000 + £250,000 on £2m = 2.5% thin 1; G_B has no prior year, so the group's trend is
        # unknown (not half the accounts); G_A alone: loss 3, margin -20% from 10% 2 = 5
        provider("G_A", "Group A Ltd", "Grp", revenue=1_000_000, operating_profit=-200_000, prior_revenue=1_000_000,
                 prior_operating_profit=100_000),
        provider("G_B", "Group B Ltd", "Grp", revenue=1_000_000, operating_profit=250_000),
    ]
    settings = settings_rows(*({"provider_id": p["provider_id"]} for p in providers))
    children = [{"child_id": f"K{i}", "current_setting_id": "S3", **HOME} for i in (1, 2)]
    region = make_region(tmp_path_factory.mktemp("fragile"), settings=settings, children=children, referrals=[],
                         providers=providers)
    return fragility(region, placements(region, RUN_DATE), FragilityParams()).set_index("id")


def test_fragility_scores_and_their_order(scored):
    """The hand-added scores, in order: Debt 10 > Group A 5 > Loss 4 > One Council 2 > Thin 1 = Grp 1 > Healthy 0
    = Group B 0."""
    expected = {"F_DEBT": 10, "G_A": 5, "F_LOSS": 4, "F_ONE": 2, "F_THIN": 1, "Grp": 1, "F_OK": 0,
                "G_B": 0}
    assert scored["score"].to_dict() == expected
    assert scored.loc["F_DEBT", "severity"] == "high" and scored.loc["F_LOSS", "severity"] == "high"
    assert scored.loc["F_ONE", "severity"] == "" and scored.loc["F_OK", "reasons"] == ""


def test_each_high_score_says_why(scored):
    """Every sign is named with its figures: the fall in points, the debt multiple, the interest cover, the
    council."""
    reasons = scored.loc["F_DEBT", "reasons"]
    for words in ("a loss of £40,000 on £400,000 revenue (+3)", "fell 20.0 points in a year, from 10.0% to -10.0%",
                  "1.5 times a year's revenue", "covers the year's interest (£30,000) 0.0 times"):
        assert words in reasons
    assert "one council, Manchester, pays 100% of its revenue" in scored.loc["F_ONE", "reasons"]
    assert "a loss the year before too (£50,000) (+1)" in scored.loc["F_LOSS", "reasons"]


# --- group quality -------------------------------------------------------------------------------------------------

def test_group_quality_spread_and_change(tmp_path):
    """Q: 4 homes, 2 weak now (50%), 2 of the 3 graded twice fell: high (one inadequate). R: all good now, 1 of 3
    fell from outstanding (33%, over 25%): medium. T: 2 homes, too few to judge."""
    providers = [provider("Q1", "Q Homes Ltd", "Q Group"), provider("R", "R Homes Ltd"),
                 provider("T", "T Homes Ltd")]
    grades = [("Q1", "good", "good"), ("Q1", "requires_improvement", "good"), ("Q1", "inadequate", "good"),
              ("Q1", "good", "not_inspected"), ("R", "good", "outstanding"), ("R", "good", "good"),
              ("R", "good", "good"), ("T", "inadequate", "good"), ("T", "inadequate", "good")]
    settings = settings_rows(*({"provider_id": p, "ofsted_grade": now, "previous_ofsted_grade": before}
                               for p, now, before in grades))
    region = make_region(tmp_path, settings=settings, children=[], referrals=[], providers=providers)
    table = judged(group_quality(region, placements(region, RUN_DATE)), QualityParams()).set_index("owner")
    assert table.loc["Q Group", ["graded", "now_good", "now_inadequate", "graded_twice", "declined"]].tolist() == \
        [4, 2, 1, 3, 2]
    assert table.loc["Q Group", "weak_share"] == pytest.approx(0.5)
    assert table.loc["R", "declined_share"] == pytest.approx(1 / 3)
    assert not table.loc["T", "assessed"] and not table.loc["T", "flagged"]
    flags = quality_flags(table.reset_index(), QualityParams()).set_index("subject_id")
    assert flags["severity"].to_dict() == {"Q Group": "high", "R": "medium"}
    assert flags.loc["Q Group", "subject_type"] == "parent_group" and flags.loc["R", "subject_type"] == "provider"
