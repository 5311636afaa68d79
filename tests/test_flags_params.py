"""Flag thresholds: the documented flags.toml agrees with the dataclasses; bad values and typos are refused."""

from __future__ import annotations

import pytest

from optimiser.flags import DEFAULTS_FILE, FlagParams
from optimiser.flags.params import ConcentrationParams, FeeParams, ProfitParams, StressParams, UnlawfulParams


def test_defaults_file_matches_dataclass_defaults():
    """optimiser/flags.toml holds exactly the defaults the code uses."""
    assert FlagParams.from_toml(DEFAULTS_FILE) == FlagParams()


@pytest.mark.parametrize("make, words", [
    (lambda: ProfitParams(benchmark_margin=22.6), "benchmark_margin"),
    (lambda: ProfitParams(min_peers=2), "min_peers"),
    (lambda: FeeParams(min_ratio=0.5), "min_ratio"),
    (lambda: FeeParams(quantile=1.0), "quantile"),
    (lambda: ConcentrationParams(hhi_moderate=3000, hhi_high=2500), "hhi_moderate"),
    (lambda: ConcentrationParams(council_markets=("kinship",)), "council_markets"),
    (lambda: StressParams(largest_by="revenue"), "largest_by"),
    (lambda: UnlawfulParams(secure_lawful_types=("foster_ifa",)), "secure_lawful_types"),
])
def test_invalid_values_are_refused_with_the_name(make, words):
    """An invalid threshold raises an error naming it."""
    with pytest.raises(ValueError, match=words):
        make()


def test_unknown_keys_and_sections_are_errors(tmp_path):
    """A typo in a key or a section name is reported, not silently ignored; other keys keep their defaults."""
    path = tmp_path / "flags.toml"
    path.write_text("[fees]\nhigh_cots = 9000\n")
    with pytest.raises(ValueError, match="fees.high_cots"):
        FlagParams.from_toml(path)
    path.write_text("[fee]\nhigh_cost = 9000\n")
    with pytest.raises(ValueError, match="fee"):
        FlagParams.from_toml(path)
    path.write_text("[fees]\nhigh_cost = 9000\n")
    params = FlagParams.from_toml(path)
    assert params.fees.high_cost == 9000 and params.profit == ProfitParams()
