"""Scenarios: TOML round trip, levers that move the right flows, rate edits that keep probabilities valid."""

from __future__ import annotations

import numpy as np
import pytest

from data.vocabulary import PLACEMENT_GROUPS
from forecasts.groups import AGE_BANDS, AGE_STATES, GROUP_INDEX
from forecasts.markov import ChainDraws
from forecasts.scenarios import Levers, RateEdit, Scenario, apply, renormalise

COUNCILS = ("E08000003", "E08000006")
PATHS = 3


def draws(stay=0.97):
    """Every path and council: 1% exit, 1% ageing, and 3% chance of moving, spread over the other groups."""
    shape = (PATHS, len(COUNCILS), len(PLACEMENT_GROUPS), len(AGE_BANDS))
    move = np.full((*shape, len(PLACEMENT_GROUPS)), (1 - stay) / (len(PLACEMENT_GROUPS) - 1))
    eye = np.eye(len(PLACEMENT_GROUPS), dtype=bool)[:, None, :]
    move = np.where(eye, stay, move)
    return ChainDraws(exit=np.full(shape, 0.01), ageing=np.full(shape, 0.01), move=move)


def adjusted(scenario, uasc=0.2):
    mix = np.full((PATHS, len(COUNCILS), len(PLACEMENT_GROUPS), AGE_STATES), 1 / (len(PLACEMENT_GROUPS) * AGE_STATES))
    uasc_share = np.full((len(COUNCILS), len(PLACEMENT_GROUPS), len(AGE_BANDS)), uasc)
    regional_move = draws().move[0, 0]
    return apply(scenario, COUNCILS, draws(), mix, uasc_share, regional_move)


def test_scenario_round_trips_through_toml(tmp_path):
    """A scenario saved as TOML loads back equal, levers and edits included."""
    scenario = Scenario(name="test", description='a "quoted" description',
                        levers=Levers(fgdm_diversion=0.052, step_down_per_year=0.1, uasc_change=-0.3,
                                      foster_recruitment=0.05),
                        edits=(RateEdit("move", multiply=1.5, la_code="E08000003", group="childrens_home",
                                        to_group="foster_ifa", age_band="10-16"),
                               RateEdit("entry", add=2.0, group="secure")))
    assert Scenario.from_toml(scenario.save(tmp_path / "s.toml")) == scenario


def test_example_scenario_file_loads():
    """The documented example scenario shipped with rcc is valid."""
    from pathlib import Path

    import forecasts
    example = Scenario.from_toml(Path(forecasts.__file__).parent / "scenarios" / "example.toml")
    assert example.levers.fgdm_diversion == pytest.approx(0.052)


@pytest.mark.parametrize("text, words", [
    ("[levers]\nfgdm_diversion = 1.5\n", "fgdm_diversion"),
    ("[[edits]]\nrate = \"exits\"\n", "rate must be one of"),
    ("[[edits]]\nrate = \"move\"\ngroup = \"fostering\"\n", "fostering"),
    ("[[edits]]\nrate = \"exit\"\nto_group = \"kinship\"\n", "to_group only applies"),
    ("colour = \"red\"\n", "colour"),
])
def test_invalid_scenarios_are_refused_with_the_reason(tmp_path, text, words):
    """A bad lever value, rate, group or key names itself in the error (with the file)."""
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match=words):
        Scenario.from_toml(path)


def test_edit_naming_a_council_outside_the_region_is_an_error():
    """A rate edit for a council that is not in the region is refused rather than silently ignored."""
    with pytest.raises(ValueError, match="E09000001"):
        adjusted(Scenario(edits=(RateEdit("exit", multiply=2, la_code="E09000001"),)))


def test_huge_move_multiplier_is_renormalised_so_outflows_never_exceed_one():
    """Multiplying moves 100-fold scales them back to sum to 1 (nobody stays), and nothing goes negative."""
    result = adjusted(Scenario(edits=(RateEdit("move", multiply=100.0, group="childrens_home"),)))
    move = result.chain.move
    assert np.allclose(move.sum(axis=-1), 1) and (move >= 0).all()
    home = GROUP_INDEX["childrens_home"]
    assert np.allclose(move[:, :, home, :, home], 0)
    assert result.renormalised == PATHS * len(COUNCILS) * len(AGE_BANDS)


def test_renormalise_leaves_valid_rows_alone():
    """Rows whose outflows are already at most 1 keep them; only staying is recomputed."""
    move = draws().move
    again, count = renormalise(move)
    assert count == 0 and np.allclose(again, move)


def test_renormalised_rows_never_stay_below_zero_by_rounding():
    """Outflows scaled back to 1 often sum to a little over 1 in floating point; staying is then 0, not -4e-16
    (a national scenario multiplying kinship moves 30-fold failed in simulation on exactly this)."""
    groups = len(PLACEMENT_GROUPS)
    move = np.random.default_rng(0).random((2000, groups, 1, groups)) * 5  # (row, group, band, to)
    again, count = renormalise(move)
    stay = np.einsum("rgag->rga", again)
    assert count > 0 and (stay >= 0).all()


def test_exit_edits_add_and_are_capped_at_one():
    """exit multiply/add is applied where the edit matches, and capped to a probability."""
    result = adjusted(Scenario(edits=(RateEdit("exit", multiply=2.0, add=0.5, la_code="E08000006",
                                               age_band="16-18"),
                                      RateEdit("exit", add=5.0, group="secure"))))
    exit = result.chain.exit
    not_secure = [g for g in range(len(PLACEMENT_GROUPS)) if g != GROUP_INDEX["secure"]]
    assert np.allclose(exit[:, 1, :, -1][:, not_secure], 0.52)
    assert np.allclose(exit[:, 0, :, :-1][:, [GROUP_INDEX["kinship"]]], 0.01)
    assert np.allclose(exit[:, :, GROUP_INDEX["secure"]], 1.0)


def test_fgdm_diverts_only_non_uasc_entries_and_uasc_change_only_uasc():
    """FGDM at 10% cuts entries by 10% of the non-UASC share; +50% UASC raises them by half the UASC share."""
    base = adjusted(Scenario()).entry_share
    fgdm = adjusted(Scenario(levers=Levers(fgdm_diversion=0.1)), uasc=0.2).entry_share
    assert np.allclose(fgdm, base * (1 - 0.1 * 0.8))
    more = adjusted(Scenario(levers=Levers(uasc_change=0.5)), uasc=0.2).entry_share
    assert np.allclose(more, base * (1 + 0.5 * 0.2))


def test_step_down_moves_children_from_homes_to_foster_care():
    """Step-down of 10% a year adds 1-(0.9)^(1/12) a month to home-to-foster moves, split as moves already are."""
    result = adjusted(Scenario(levers=Levers(step_down_per_year=0.1)))
    home, inhouse, ifa = (GROUP_INDEX[g] for g in ("childrens_home", "foster_inhouse", "foster_ifa"))
    extra = 1 - 0.9 ** (1 / 12)
    before = draws().move
    to_foster = (..., home, slice(None), [inhouse, ifa])
    gained = result.chain.move[to_foster].sum(axis=0) - before[to_foster].sum(axis=0)
    assert np.allclose(gained, extra)
    assert np.allclose(result.chain.move[..., GROUP_INDEX["kinship"], :, :], before[..., GROUP_INDEX["kinship"], :, :])


def test_foster_recruitment_shifts_inflows_from_agencies_to_inhouse_carers():
    """+20% in-house recruitment moves entries and moves from IFAs to in-house carers; foster totals unchanged."""
    base = adjusted(Scenario())
    more = adjusted(Scenario(levers=Levers(foster_recruitment=0.2)))
    inhouse, ifa = GROUP_INDEX["foster_inhouse"], GROUP_INDEX["foster_ifa"]
    assert np.allclose(more.entry_share[:, :, inhouse], base.entry_share[:, :, inhouse] * 1.2)
    foster = [inhouse, ifa]
    assert np.allclose(more.entry_share[:, :, foster].sum(axis=2), base.entry_share[:, :, foster].sum(axis=2))
    kinship = GROUP_INDEX["kinship"]
    assert np.allclose(more.chain.move[:, :, kinship, :, inhouse], base.chain.move[:, :, kinship, :, inhouse] * 1.2)
