"""The strategy plans places able to meet deprivation-of-liberty orders apart from other children's homes (and from
secure homes): demand on the DoL line is met only by DoL places, and children's-home demand only by homes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from optimiser.strategy import plan_strategy
from tests.builders import make_region, referral_rows, settings_rows
from tests.test_strategy import HOME, LA, NO_GAP, paths, tiny_params

DOL_HOME = {"option_id": "L1", "kind": "new_home", "la_code": LA, "group": "dol", "places": 1,
            "capital_cost": 50_000, "weekly_cost": 8_000, "lead_time_quarters": 0, "max_units": 2}


def dol_region(tmp_path):
    """Two children in an ordinary private home (S1), one child on a DoL order alone in a private home able to meet
    orders (S2); options: a new ordinary home and a new DoL home."""
    children = [{"child_id": f"K{i}", "current_setting_id": "S1", "weekly_cost": 6_000, "home_lat": 53.451,
                 "home_lon": -2.233, "age": 14} for i in range(2)]
    children.append({"child_id": "K9", "current_setting_id": "S2", "weekly_cost": 9_000, "home_lat": 53.451,
                     "home_lon": -2.233, "age": 15, "dol_order": True})
    settings = settings_rows({"places": 6, "vacancies": 0}, {"places": 2, "vacancies": 0, "dol_capable": True})
    return make_region(tmp_path / "region", settings=settings, referrals=referral_rows({}), children=children,
                       options=[HOME, DOL_HOME])


def both_lines(home: int, dol: int) -> pd.DataFrame:
    return pd.concat([paths(np.full((4, 1), home)), paths(np.full((4, 1), dol), group="dol")], ignore_index=True)


def test_dol_demand_beyond_todays_places_opens_a_dol_home_not_an_ordinary_one(tmp_path):
    """Children's-home demand of 2 is met by the spot places it has; DoL demand of 3 against 1 place today opens
    two one-place DoL homes, and no ordinary home, which could not take a child on an order."""
    s = plan_strategy(dol_region(tmp_path), NO_GAP, tiny_params(), paths=both_lines(2, 3))
    assert s.actions.groupby("option_id")["units"].sum().to_dict() == {"L1": 2}
    balance = s.balance.set_index("group")
    assert balance.at["dol", "demand_mean"] == 3 and balance.at["childrens_home", "demand_mean"] == 2


def test_childrens_home_demand_is_not_met_by_dol_places(tmp_path):
    """The other way round: children's-home demand of 4 opens the ordinary home, and DoL demand of 1 (met today)
    opens nothing on the DoL line."""
    s = plan_strategy(dol_region(tmp_path), NO_GAP, tiny_params(), paths=both_lines(4, 1))
    assert s.actions.groupby("option_id")["units"].sum().to_dict() == {"H1": 1}
