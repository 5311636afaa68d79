"""Match parameters: documented defaults in match.toml agree with the dataclass; bad values are refused."""

from __future__ import annotations

import pytest

from optimiser.match.params import DEFAULTS_FILE, MatchParams


def test_defaults_file_matches_dataclass_defaults():
    """The documented match.toml is exactly the defaults the code uses."""
    assert MatchParams.from_toml(DEFAULTS_FILE) == MatchParams()


@pytest.mark.parametrize("bad, words", [
    ({"cost_per_km": -1}, "cost_per_km"), ({"solver": "gurobi"}, "solver"),
    ({"time_limit_s": 0}, "time_limit_s"), ({"relative_gap": 1.5}, "relative_gap"),
])
def test_invalid_values_are_refused_with_the_name(bad, words):
    """An invalid parameter raises an error naming it."""
    with pytest.raises(ValueError, match=words):
        MatchParams(**bad)


def test_unknown_key_in_toml_is_an_error(tmp_path):
    """A typo in a parameters file is reported, not silently ignored."""
    path = tmp_path / "p.toml"
    path.write_text("cost_per_kn = 3\n")
    with pytest.raises(ValueError, match="cost_per_kn"):
        MatchParams.from_toml(path)


def test_a_file_that_is_not_toml_names_the_file(tmp_path):
    """A broken parameters file is one clear error naming the file, not a parser traceback."""
    path = tmp_path / "broken.toml"
    path.write_text("cost_per_km = = 3\n")
    with pytest.raises(ValueError, match="broken.toml: not valid TOML"):
        MatchParams.from_toml(path)


def test_nested_sections_are_checked_like_the_top_level():
    """Every parameters class builds through one builder: a typo inside a section is named with its section, and a
    section that is not a table is refused."""
    from forecasts.params import ForecastParams
    from optimiser.flags import FlagParams

    with pytest.raises(ValueError, match=r"unknown parameter\(s\) backtest\.orgins; known: backtest\.horizons"):
        ForecastParams.from_dict({"backtest": {"orgins": 3}})
    with pytest.raises(ValueError, match=r"\[stress\] must be a table of parameters"):
        FlagParams.from_dict({"stress": 3})
    assert FlagParams.from_dict({"stress": {"run": False}}).stress.run is False
