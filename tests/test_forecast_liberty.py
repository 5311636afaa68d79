"""The deprivation-of-liberty cohort as its own demand line: who is on an order at the origin (the DoLO table where
the region has it, else children.csv), each council x group's share, and the carve that leaves totals unchanged."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from data.vocabulary import PLACEMENT_GROUPS
from forecasts.liberty import dol_shares, on_orders_at_origin, with_dol_line
from tests.builders import make_region, referral_rows, settings_rows

LA, SALFORD = "E08000003", "E08000006"
HOME, SUPPORTED = PLACEMENT_GROUPS.index("childrens_home"), PLACEMENT_GROUPS.index("supported")


def test_children_on_orders_from_children_csv_are_in_their_settings_groups(tmp_path):
    """Two on orders in a children's home, one in supported accommodation, one at home with parents (P1); a child
    in the same home without an order is not counted."""
    region = make_region(tmp_path / "r", settings=settings_rows(
        {"places": 6, "vacancies": 0}, {"setting_type": "supported_accommodation", "age_min": 16, "vacancies": 0}),
        referrals=referral_rows({}), children=[
            {"child_id": "K1", "age": 15, "current_setting_id": "S1", "dol_order": True},
            {"child_id": "K2", "age": 15, "current_setting_id": "S1", "dol_order": True, "la_code": SALFORD},
            {"child_id": "K3", "age": 15, "current_setting_id": "S1"},
            {"child_id": "K4", "age": 16, "current_setting_id": "S2", "dol_order": True},
            {"child_id": "K5", "age": 12, "place": "P1", "dol_order": True}])
    found, source = on_orders_at_origin(region, pd.DataFrame(), pd.Timestamp("2026-10-31"))
    assert source == "children.csv"
    assert sorted(map(tuple, found.to_numpy())) == [(LA, "childrens_home"), (LA, "supported"),
                                                    (LA, "with_parents"), (SALFORD, "childrens_home")]


def test_children_on_orders_from_the_dolo_table_are_those_open_at_the_origin():
    """Orders open on the origin date count, in the group of the child's spell open then; an order that ended, one
    not yet made, and one whose child has no open spell do not."""
    orders = pd.DataFrame({"CHILD": ["A", "B", "C", "D"], "DOB": pd.NaT,
                           "DOLO_START": pd.to_datetime(["2026-01-01", "2026-02-01", "2026-11-15", "2026-03-01"]),
                           "DOLO_END": pd.to_datetime([None, "2026-06-30", None, None])})
    spells = pd.DataFrame({"child": ["A", "A", "B", "C"], "la_code": LA,
                           "group": ["foster_ifa", "childrens_home", "childrens_home", "other"],
                           "start": pd.to_datetime(["2025-01-01", "2026-01-01", "2025-01-01", "2025-01-01"]),
                           "end": pd.to_datetime(["2026-01-01", None, None, None])})
    found, source = on_orders_at_origin(SimpleNamespace(dol_orders=orders), spells, pd.Timestamp("2026-10-31"))
    assert source == "the DoLO table" and found.to_numpy().tolist() == [[LA, "childrens_home"]]


def test_shares_are_children_on_orders_over_the_groups_stock():
    """3 of 30 children in Manchester's homes (10%); 1 of 0 in supported (nothing to carve); a council outside the
    forecast is left out."""
    found = pd.DataFrame({"la_code": [LA, LA, LA, LA, "E08000010"],
                          "group": ["childrens_home"] * 3 + ["supported", "childrens_home"]})
    stock = np.zeros((1, len(PLACEMENT_GROUPS)))
    stock[0, HOME] = 30
    shares = dol_shares(found, (LA,), stock)
    assert shares[["la_code", "group", "children", "stock"]].to_numpy().tolist() == [[LA, "childrens_home", 3, 30.0]]
    assert shares["share"].iloc[0] == pytest.approx(0.1)


def test_the_carve_moves_each_share_to_the_dol_line_and_keeps_totals():
    """10% of Manchester's homes rows and 50% of its supported rows become one "dol" row per age band and month,
    summing both; foster rows are untouched; every column's total is what it was."""
    demand = pd.DataFrame({"la_code": LA, "group": ["childrens_home", "supported", "foster_ifa"] * 2,
                           "age_band": ["10-16"] * 3 + ["16-18"] * 3, "month": "2026-12-01",
                           "mean": [20.0, 4.0, 50.0, 10.0, 8.0, 30.0], "p90": [30.0, 6.0, 60.0, 14.0, 10.0, 40.0]})
    shares = pd.DataFrame({"la_code": LA, "group": ["childrens_home", "supported"], "children": [2, 2],
                           "stock": [20.0, 4.0], "share": [0.1, 0.5]})
    out = with_dol_line(demand, shares, ["mean", "p90"])
    dol = out[out["group"].eq("dol")].set_index("age_band")
    assert dol.at["10-16", "mean"] == pytest.approx(0.1 * 20 + 0.5 * 4)
    assert dol.at["16-18", "p90"] == pytest.approx(0.1 * 14 + 0.5 * 10)
    home = out[out["group"].eq("childrens_home")].set_index("age_band")
    assert home.at["10-16", "mean"] == pytest.approx(18.0)
    assert out.loc[out["group"].eq("foster_ifa"), "mean"].tolist() == [50.0, 30.0]
    assert out[["mean", "p90"]].sum().tolist() == pytest.approx(demand[["mean", "p90"]].sum().tolist())


def test_embedded_forecast_has_a_dol_line_carved_from_its_children_on_orders():
    """The embedded region's forecast has "dol" rows; at the first month they hold about the 48 children on orders
    today (each council and group's share of the forecast stock), and the whole forecast's total is unchanged."""
    from data import EMBEDDED_REGION
    from data.load import load_region
    from forecasts.demand import forecast
    from forecasts.params import ForecastParams

    region = load_region(EMBEDDED_REGION, today=date(2026, 11, 22))
    result = forecast(region, ForecastParams(paths=40), 2)
    assert result.dol_source == "children.csv" and result.dol_shares["children"].sum() == 48
    first = result.demand[result.demand["month"].eq(result.demand["month"].min())]
    assert 40 <= first.loc[first["group"].eq("dol"), "mean"].sum() <= 56
    total = first["mean"].sum()
    assert total == pytest.approx(float(result.regional.iloc[0]["mean"]), rel=1e-9)
