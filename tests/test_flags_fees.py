"""Fee outliers: the expected-fee model on the region's own placements, the list-fee premium, and the £10,000 line."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from optimiser.flags import FlagParams, find_flags
from optimiser.flags.params import StressParams, UnlawfulParams
from tests.builders import make_region, settings_rows

RUN_DATE = date(2026, 11, 22)
QUICK = FlagParams(unlawful=UnlawfulParams(propose_alternatives=False), stress=StressParams(run=False))
PROVIDERS = ({"provider_id": "P1", "provider_name": "Provider One", "sector": "private"},
             {"provider_id": "LA", "provider_name": "Salford Council", "sector": "local_authority"})


def fee_region(folder):
    """40 ordinary homes (fees spread +/-30% around £5,000), one charging £16,000, a child paid for at 1.6 times
    its home's list fee, and five secure homes at about £10,500 (high cost, as expected for secure)."""
    spread = np.exp(0.2 * np.linspace(-1.5, 1.5, 40))
    rows = [{"weekly_fee": round(5000 * f)} for f in spread]
    rows += [{"weekly_fee": 16000}]
    rows += [{"setting_type": "secure_childrens_home", "provider_id": "LA", "la_code": "E08000006",
              "weekly_fee": 10200 + 150 * i} for i in range(5)]
    settings = settings_rows(*rows)
    children = [{"child_id": f"K{i + 1}", "current_setting_id": s["setting_id"], "weekly_cost": s["weekly_fee"],
                 "placement_start": "2026-03-01", "age": 14} for i, s in enumerate(settings)]
    children[4]["weekly_cost"] = round(1.6 * settings[4]["weekly_fee"])
    return make_region(folder, settings=settings, children=children, referrals=[], providers=PROVIDERS)


@pytest.fixture(scope="module")
def flags(tmp_path_factory):
    return find_flags(fee_region(tmp_path_factory.mktemp("fees")), QUICK, RUN_DATE)


def of(flags, flag):
    return flags.table[flags.table["flag"] == flag].set_index("subject_id")


def test_fee_far_above_expected_is_flagged_and_ordinary_fees_are_not(flags):
    """The £16,000 home and the child paid 1.6 times the list fee are fee outliers; no ordinary placement is."""
    assert sorted(of(flags, "fee_outlier").index) == ["K41", "K5"]
    model = flags.fees
    assert model.converged and model.fitted_on == 46
    assert model.table.set_index("child_id").at["K41", "expected_fee"] == pytest.approx(5000, rel=0.05)


def test_fee_evidence_names_expected_fee_ratio_and_gap(flags):
    """The evidence gives the fee, the expected fee, how many times, the £ gap a week and a year, and peers."""
    row = flags.fees.table.set_index("child_id").loc["K41"]
    evidence = of(flags, "fee_outlier").at["K41", "evidence"]
    for words in ("at £16,000 a week", f"expects £{row['expected_fee']:,.0f} a week",
                  f"{row['ratio']:.1f} times that",
                  f"£{row['gap']:,.0f} a week (£{row['gap'] * 52:,.0f} a year) above it", "46 placements",
                  "Similar placements (children's homes, standard staffing, shared) have a median of"):
        assert words in evidence, words
    premium = of(flags, "fee_outlier").at["K5", "evidence"]
    assert "the council pays 1.6 times it" in premium


def test_every_placement_over_10000_is_flagged_high_cost(flags):
    """All six placements over £10,000 a week are flagged; the secure ones, as expected for secure, are low."""
    high = of(flags, "high_cost_placement")
    assert sorted(high.index) == sorted(["K41", "K42", "K43", "K44", "K45", "K46"])
    assert high.at["K41", "severity"] == "high"
    assert set(high.loc[["K42", "K43", "K44", "K45", "K46"], "severity"]) == {"low"}
    assert "over the £10,000 a week the LGA counts as a high-cost placement" in high.at["K43", "evidence"]
