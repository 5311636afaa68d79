"""The strategy model on tiny regions whose optimal plans are known by hand or by enumerating every plan."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from data.load import read_region
from optimiser.strategy import StrategyParams, plan_strategy
from optimiser.strategy.model import Solution
from optimiser.strategy.params import DEFAULTS_FILE, WEEKS_PER_QUARTER
from optimiser.strategy.results import coefficients, outcome
from tests.builders import make_region, referral_rows, settings_rows, write_region

LA = "E08000003"
W = WEEKS_PER_QUARTER
NO_GAP = pd.DataFrame(columns=["la_code", "group", "children"])
HOME = {"option_id": "H1", "kind": "new_home", "la_code": LA, "group": "childrens_home", "places": 3,
        "capital_cost": 50_000, "weekly_cost": 4_000, "lead_time_quarters": 0, "max_units": 1}


def tiny_params(**changes) -> StrategyParams:
    """Parameters that keep hand calculations simple: no market headroom, no step-downs, exact solves."""
    base = dict(horizon_quarters=1, samples=10, spot_market_headroom=0.0, family_suitable_share=0.0,
                regional_groups=(), relative_gap=1e-9, procurement_round_quarters=1)
    return StrategyParams(**(base | changes))


def tiny_region(tmp_path, options: list[dict], spot_children: int = 2, fee: float = 6_000.0):
    """One council with `spot_children` children in a private children's home at `fee` a week, living where their
    families do (no distance), and the given options.csv."""
    children = [{"child_id": f"K{i}", "current_setting_id": "S1", "weekly_cost": fee, "home_lat": 53.451,
                 "home_lon": -2.233, "age": 14} for i in range(spot_children)]
    return make_region(tmp_path / "region", settings=settings_rows({"places": 6, "vacancies": 0}),
                       referrals=referral_rows({}), children=children, options=options)


def paths(values: np.ndarray, group: str = "childrens_home", months_per_step: int = 3) -> pd.DataFrame:
    """Sample paths (path x step) of one council and group, each step repeated for a quarter's months."""
    values = np.atleast_2d(values)
    rows = []
    for path, series in enumerate(values):
        for step, children in enumerate(series):
            for m in range(months_per_step):
                month = pd.Timestamp("2027-01-01") + pd.DateOffset(months=step * months_per_step + m)
                rows.append({"path": path, "la_code": LA, "group": group, "month": f"{month:%Y-%m-%d}",
                             "children": children})
    return pd.DataFrame(rows)


def test_a_home_is_opened_when_spot_places_cannot_meet_demand(tmp_path):
    """Demand of 3 against 2 spot places: the only option, a 3-place home, is opened, and the costs and saving are
    exactly the hand-computed ones."""
    region = tiny_region(tmp_path, [HOME])
    s = plan_strategy(region, NO_GAP, tiny_params(), paths=paths(np.full((4, 1), 3)))
    assert s.actions["option_id"].tolist() == ["H1"] and s.actions["units"].tolist() == [1]
    plan, nothing = s.outcomes["two_stage"].costs, s.outcomes["do_nothing"].costs
    assert plan["cash"] == pytest.approx(50_000 + 4_000 * 3 * W)
    assert nothing["cash"] == pytest.approx((2 * 6_000 + 1 * 15_000) * W)
    assert s.summary()["expected_saving"] == pytest.approx((2 * 6_000 + 1 * 15_000) * W - (50_000 + 4_000 * 3 * W),
                                                           abs=0.01)
    assert s.summary()["shortfall_probability"] == 0 and s.summary()["do_nothing_shortfall_probability"] == 1


@pytest.mark.parametrize("min_term, beds", [(0, 2), (8, 0)])
def test_block_beds_are_bought_only_when_the_minimum_term_pays(tmp_path, min_term, beds):
    """Two children for two quarters: block beds at £5,000 beat spot at £6,000 unless the contract must run for
    8 quarters (6 paid after the plan ends), when spot is cheaper."""
    block = {"option_id": "B1", "kind": "block_contract", "provider_id": "P1", "la_code": LA,
             "group": "childrens_home", "places": 2, "weekly_cost": 5_000, "lead_time_quarters": 0,
             "min_term_quarters": min_term}
    region = tiny_region(tmp_path, [block])
    s = plan_strategy(region, NO_GAP, tiny_params(horizon_quarters=2), paths=paths(np.full((3, 2), 2)))
    assert s.actions.loc[s.actions["kind"].eq("block_contract"), "places"].sum() == beds
    expected = 2 * 5_000 * max(min_term, 2) * W if beds else 2 * 6_000 * 2 * W
    assert s.outcomes["two_stage"].costs["cash"] == pytest.approx(expected)


def _instance(tmp_path, seed: int, **changes):
    """Three kinds of option over two quarters and noisy demand: small enough to enumerate every plan."""
    options = [HOME | {"capital_cost": 40_000, "weekly_cost": 5_200},
               {"option_id": "B1", "kind": "block_contract", "provider_id": "P1", "la_code": LA,
                "group": "childrens_home", "places": 2, "weekly_cost": 5_500, "min_term_quarters": 3},
               {"option_id": "F1", "kind": "foster_recruitment", "la_code": LA, "group": "foster",
                "places": 1.0, "capital_cost": 8_000, "weekly_cost": 500, "max_units": 2}]
    folder = write_region(tmp_path / "region", settings=settings_rows({"places": 6, "vacancies": 0},
                                                                      {"setting_type": "foster_ifa", "places": 3,
                                                                       "vacancies": 0, "weekly_fee": 800}),
                          referrals=referral_rows({}), options=options,
                          children=[{"child_id": f"K{i}", "current_setting_id": "S1" if i < 2 else "S2",
                                     "weekly_cost": 6_000 if i < 2 else 800, "home_lat": 53.451, "home_lon": -2.233}
                                    for i in range(4)])
    region, issues = read_region(folder)
    assert region is not None, issues
    rng = np.random.default_rng(seed)
    home = paths(rng.poisson(3, size=(40, 2)))
    foster = paths(rng.poisson(3, size=(40, 2)), group="foster_ifa")
    params = tiny_params(horizon_quarters=2, samples=40, **changes)
    return plan_strategy(region, NO_GAP, params, paths=pd.concat([home, foster], ignore_index=True))


def _enumerate(s) -> tuple[float, np.ndarray]:
    """The best expected objective over every integer plan that respects the option limits and budgets, each
    costed by the exact second stage on the two-stage model's own futures (found without the solver)."""
    data, params = s.data, s.params
    sample = s.planned_futures
    d = data.decisions
    all_places, block_places = coefficients(data), coefficients(data, ("block_contract",))
    target = np.minimum(data.rows["at_quantile"].to_numpy(), data.reachable())
    best, best_units = np.inf, None
    for units in itertools.product(*(range(int(u) + 1) for u in d["upper"])):
        units = np.array(units, dtype=float)
        per_option = pd.Series(units).groupby(d["option_id"]).sum()
        limits = d.groupby("option_id")["upper"].first()
        capped = d.groupby("option_id")["kind"].first().ne("foster_recruitment")
        if (per_option[capped] > limits[capped]).any():
            continue
        if d["capital_per_unit"].to_numpy() @ units > params.capital_budget:
            continue
        running = W * (d["weekly_cost"].to_numpy()[:, None] * data.places * units[:, None]).sum(axis=0)
        if (running > params.running_budget_per_year / 4 + 1e-6).any():
            continue
        blocked = block_places @ units
        if (blocked > data.rows["spot_places"].to_numpy() + 1e-9).any():
            continue
        supply = (all_places @ units + data.rows["base_places"].to_numpy() + data.rows["spot_places"].to_numpy()
                  - blocked)
        slack = np.clip(target - supply, 0, None)
        plan = Solution("enumerated", units, s.solutions["two_stage"].step_down.assign(children=0.0), slack, "given",
                        np.nan, np.nan, np.nan, 0.0)
        value = outcome(data, plan, sample, params, all_places, block_places).costs["objective"]
        if value < best:
            best, best_units = value, units
    return best, best_units


@pytest.mark.parametrize("seed", [1, 2])
def test_two_stage_plan_is_the_best_of_every_plan_enumerated(tmp_path, seed):
    """On a tiny instance the two-stage model's plan has the lowest expected objective of every integer plan,
    each costed by an exact second stage computed without the solver, and the model's own objective equals it."""
    s = _instance(tmp_path, seed, capital_budget=60_000)
    best, _ = _enumerate(s)
    assert s.in_sample["two_stage"] == pytest.approx(best, rel=1e-7)
    assert s.solutions["two_stage"].objective == pytest.approx(s.in_sample["two_stage"], rel=1e-7)


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_two_stage_never_does_worse_than_the_quantile_plan_on_its_futures(tmp_path, seed):
    """The quantile plan is one of the plans the two-stage model may choose, so on the two-stage model's futures
    its expected cost is never lower than the two-stage plan's; by default the plan recommended is the one with the
    lower expected cost on every future."""
    s = _instance(tmp_path, seed)
    assert s.in_sample["two_stage"] <= s.in_sample["quantile"] * (1 + 1e-9)
    assert s.in_sample["two_stage"] <= s.in_sample["do_nothing"]
    recommended = s.outcomes[s.chosen].costs["objective"]
    assert recommended == min(s.outcomes[n].costs["objective"] for n in ("quantile", "two_stage"))


@pytest.mark.parametrize("capital_budget, running_budget", [(0.0, 1e9), (45_000.0, 1e9), (1e9, 120_000.0),
                                                            (1e9, 1e9)])
def test_every_plan_keeps_to_the_budgets_and_the_service_level(tmp_path, capital_budget, running_budget):
    """Whatever the budgets, each plan's capital and each quarter's running cost stay within them; where the
    budgets allow it, supply covers demand at the service level in every cell and the plan's chance of a shortfall
    in any cell and quarter is at most 1 - quantile on the futures the quantile was taken from."""
    s = _instance(tmp_path, 7, capital_budget=capital_budget, running_budget_per_year=running_budget)
    d = s.data.decisions
    for name in ("quantile", "two_stage"):
        units = s.solutions[name].units
        assert d["capital_per_unit"].to_numpy() @ units <= capital_budget + 1e-6
        running = W * (d["weekly_cost"].to_numpy()[:, None] * s.data.places * units[:, None]).sum(axis=0)
        assert (running <= running_budget / 4 + 1e-6).all()
        o = s.outcomes[name]
        supply = (o.commissioned + s.data.rows["base_places"] + s.data.rows["spot_places"] - o.blocked).to_numpy()
        target = np.minimum(s.data.rows["at_quantile"].to_numpy(), s.data.reachable())
        assert (supply + s.solutions[name].slack >= target + o.shift - 1e-6).all()
        if capital_budget >= 1e9 and running_budget >= 1e9:
            assert s.solutions[name].slack.sum() == pytest.approx(0, abs=1e-9)
            reachable = target >= s.data.rows["at_quantile"].to_numpy()
            chance = (o.short > 1e-6).mean(axis=0)
            assert (chance[reachable] <= 1 - s.params.quantile + 1e-9).all()
    if capital_budget == 0:
        assert s.actions["capital_cost"].sum() == 0


def test_defaults_file_matches_the_dataclass():
    """optimiser/strategy.toml holds exactly the dataclass defaults (so the documented values are the real ones)."""
    assert StrategyParams.from_toml(DEFAULTS_FILE) == StrategyParams()


@pytest.mark.parametrize("text, message", [("quantile = 1.2\n", "quantile is a service level"),
                                           ("budget = 5\n", "unknown parameter(s) budget"),
                                           ("[options]\nblock_discount = 2.0\n", "block_discount"),
                                           ('plan = "cheapest"\n', "plan must be one of")])
def test_bad_parameters_name_the_file_and_the_key(tmp_path, text, message):
    """A parameters file with a bad value or an unknown key is one error naming the file and the problem."""
    path = tmp_path / "strategy.toml"
    path.write_text(text)
    with pytest.raises(ValueError, match="strategy.toml") as error:
        StrategyParams.from_toml(path)
    assert message in str(error.value)


def test_options_csv_errors_name_file_row_and_column(tmp_path):
    """A block contract without a provider, and an unknown kind, are errors pointing at options.csv's row and
    column."""
    folder = write_region(tmp_path / "region", settings=settings_rows({}), referrals=referral_rows({}),
                          options=[{"option_id": "B1", "kind": "block_contract", "la_code": LA,
                                    "group": "childrens_home", "places": 2, "weekly_cost": 5000},
                                   {"option_id": "X1", "kind": "lease", "la_code": LA, "group": "foster",
                                    "places": 1, "weekly_cost": 500}])
    region, issues = read_region(folder)
    assert region is None
    errors = issues[issues["severity"].eq("error")]
    assert ((errors["file"] == "options.csv") & (errors["row"] == 2) & (errors["column"] == "provider_id")).any()
    assert ((errors["file"] == "options.csv") & (errors["row"] == 3) & (errors["column"] == "kind")).any()


def test_generated_options_come_from_the_regions_providers_and_fees(tmp_path):
    """Without options.csv, block contracts are offered on half of each independent provider's places at its list
    fee less the discount, with a new home, supported accommodation and foster recruitment per council."""
    region = tiny_region(tmp_path, [])
    s = plan_strategy(region, NO_GAP, tiny_params(), paths=paths(np.full((2, 1), 3)))
    assert s.options_source == "generated"
    block = s.options[s.options["kind"].eq("block_contract")]
    assert block["provider_id"].tolist() == ["P1"] and block["places"].tolist() == [3]
    assert block["weekly_cost"].iloc[0] == pytest.approx(5_000 * (1 - s.params.options.block_discount))
    assert set(s.options.loc[s.options["kind"].eq("new_home"), "group"]) == {"childrens_home", "dol", "supported"}
