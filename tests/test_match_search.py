"""The home-search standard's fuller referral: each hard rule decides where only it differs, each cost term steers
the choice with its reason in allocations.csv, the verifier catches each planted break, and files without the new
columns load as before."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from data.load import read_region
from data.schema import docs_markdown
from optimiser.match.allocation import match_region
from optimiser.match.params import MatchParams
from optimiser.match.verify import verify_allocation
from tests.builders import make_region, referral_rows, settings_rows, write_region

RUN_DATE = date(2026, 11, 22)
CHEAP, DEAR = {"weekly_fee": 4000}, {"weekly_fee": 5000}  # S1 is £1,000 a week cheaper than S2


def placed(region):
    allocations = match_region(region, run_date=RUN_DATE).allocations
    assert verify_allocation(region, allocations).empty
    return allocations.set_index("referral_id").loc["R1"]


@pytest.mark.parametrize(("referral", "cheap_home", "rule"), [
    ({"risks": "fire_setting"}, {"risks_managed": "going_missing;self_harm"}, "risks"),
    ({"pets": "no_pets_in_home"}, {"pets_in_home": True}, "pets"),
    ({"adaptations": "wheelchair_access;hoist"}, {"adaptations": "wheelchair_access"}, "adaptations"),
    ({"education_provision": "on_site"}, {"education_provision": "mainstream"}, "education"),
])
def test_each_hard_rule_rules_out_the_cheaper_home(tmp_path, referral, cheap_home, rule):
    """The child goes to the dearer home, because the cheap one breaks the rule; alone, the cheap one leaves the
    child unmatched with that rule as the reason; the verifier refuses the cheap one under the rule."""
    dear_home = {"risks_managed": "fire_setting", "adaptations": "wheelchair_access;hoist",
                 "education_provision": "on_site"}
    region = make_region(tmp_path / "r", settings=settings_rows({**CHEAP, **cheap_home}, {**DEAR, **dear_home}),
                         referrals=referral_rows(referral))
    assert placed(region)["setting_id"] == "S2"
    planted = pd.DataFrame({"referral_id": ["R1"], "setting_id": ["S1"], "status": ["matched"]})
    assert rule in set(verify_allocation(region, planted)["rule"])
    alone = make_region(tmp_path / "a", settings=settings_rows({**CHEAP, **cheap_home}),
                        referrals=referral_rows(referral))
    row = placed(alone)
    assert row["status"] == "unmatched" and row["reason_code"] == rule


def test_a_home_stating_no_risks_is_allowed_at_a_cost(tmp_path):
    """A home that lists no risks is not ruled out for a child with two risks: it costs 2 x risk_unstated_cost."""
    region = make_region(tmp_path / "r", settings=settings_rows(CHEAP),
                         referrals=referral_rows({"risks": "going_missing;violence"}))
    row = placed(region)
    assert row["setting_id"] == "S1" and row["risk_cost"] == 2 * MatchParams().risk_unstated_cost
    assert row["cost_reasons"] == "the home states no risks it manages; the child brings going missing, violence"


@pytest.mark.parametrize(("referral", "dear_home", "term", "reason"), [
    ({"pets": "bringing_a_pet"}, {"pets_accepted": True}, "pet_cost", "the child's pet cannot come"),
    ({"language": "Polish"}, {"languages": "polish;urdu"}, "language_cost",
     "nobody in the home is listed as speaking Polish"),
    ({"religion": "Muslim", "culture": "Somali"}, {"religions": "muslim", "cultures": "Somali"}, "culture_cost",
     "the home does not list the child's religion (Muslim) or culture (Somali)"),
    ({"education_provision": "special_school"}, {"education_provision": "special_school"}, "education_cost",
     "the home is not listed as having a special school within reach"),
])
def test_each_cost_term_steers_the_child_when_it_outweighs_the_fee_gap(tmp_path, referral, dear_home, term, reason):
    """With the cost set above the £1,000 fee gap (£1,500) the child goes to the dearer home that meets the wish;
    with it below, to the cheaper one, where allocations.csv carries the term and its reason."""
    region = make_region(tmp_path / "r", settings=settings_rows(CHEAP, {**DEAR, **dear_home}),
                         referrals=referral_rows(referral))
    high = MatchParams(**{term: 1500.0})
    allocations = match_region(region, high, run_date=RUN_DATE).allocations.set_index("referral_id")
    assert allocations.at["R1", "setting_id"] == "S2" and allocations.at["R1", term] == 0
    low = MatchParams(**{term: 200.0})
    row = match_region(region, low, run_date=RUN_DATE).allocations.set_index("referral_id").loc["R1"]
    expected = 200.0 * (2 if term == "culture_cost" else 1)
    assert row["setting_id"] == "S1" and row[term] == expected and row["cost_reasons"] == reason


def test_files_without_the_new_columns_load_with_safe_defaults(tmp_path):
    """A region written without any of the fuller referral's columns loads clean and matches as before."""
    folder = write_region(tmp_path / "r", settings=settings_rows(CHEAP), referrals=referral_rows({}))
    region, issues = read_region(folder, today=RUN_DATE)
    assert issues.empty
    r = region.referrals.iloc[0]
    assert (r["risks"], r["pets"], r["language"], r["adaptations"], r["education_provision"]) == (
        (), "no_preference", "", (), "not_specified")
    row = placed(region)
    assert row["setting_id"] == "S1" and row["cost_reasons"] == ""


def test_schema_docs_say_which_fields_are_hard_rules_and_which_cost_terms():
    """`rcc schema` documents each new field as a hard rule, a cost term, or both."""
    docs = docs_markdown()
    for column in ("risks", "pets", "adaptations", "education_provision"):
        assert f"| `{column}` |" in docs
    for line in docs.splitlines():
        if any(line.startswith(f"| `{c}` |") for c in ("risks", "pets", "language", "religion", "culture",
                                                          "adaptations")) and "referrals" not in line:
            assert "Hard rule" in line or "Cost term" in line, line
