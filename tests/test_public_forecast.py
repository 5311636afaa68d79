"""The yearly forecast from the DfE's published series (forecasts/annual.py, `rcc public forecast`): hand-built
series with known answers, and the real series with later rows altered to prove nothing after --until is read."""

from __future__ import annotations

import csv
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from data.public.dfe import read_dfe
from data.public.ons import read_population
from data.vocabulary import PUBLIC_GROUPS
from forecasts.annual import AnnualParams, build_panel, run_annual
from tests.public_raw import PUBLIC

YEARS = list(range(2010, 2025))
GM = ["E08000001", "E08000002", "E08000003", "E08000004", "E08000005", "E08000006", "E08000007", "E08000008",
      "E08000009", "E08000010"]


def _table(series: dict[tuple[str, str], list[float | None]], statuses: dict | None = None) -> pd.DataFrame:
    """CLA_ANNUAL rows for hand-made series {(la_code, group): value per year 2010-2024 (None: not published)}."""
    statuses = statuses or {}
    rows = []
    for (code, group), values in series.items():
        for year, value in zip(YEARS, values):
            rows.append({"la_code": code, "year": year, "measure": "looked_after", "group": group,
                         "value": np.nan if value is None else float(value),
                         "status": statuses.get((code, group, year), "" if value is not None else "x"),
                         "source": "hand-made"})
    return pd.DataFrame(rows)


def _trend_region(councils: int = 40, growth: float = 0.04, seed: int = 3):
    """Councils whose total grows by `growth` a year with small noise; groups are fixed shares of it."""
    rng = np.random.default_rng(seed)
    series, truth = {}, {}
    shares = {"foster": 0.7, "childrens_home": 0.12, "independent_living": 0.08, "with_parents": 0.06, "other": 0.04}
    for i in range(councils):
        code = f"E0800{i:04d}"
        start = rng.uniform(150, 900)
        years = np.arange(len(YEARS) + 3)
        level = start * (1 + growth) ** years
        noisy = np.round(level * np.exp(rng.normal(0, 0.01, len(years))))
        series[(code, "all")] = list(noisy[:len(YEARS)])
        truth[code] = level[len(YEARS):]
        for group, share in shares.items():
            series[(code, group)] = list(np.round(noisy[:len(YEARS)] * share))
        # the groups' rounding must add up, as the DfE's council figures do
        parts = sum(np.array(series[(code, g)]) for g in shares)
        series[(code, "other")] = list(np.array(series[(code, "other")]) + noisy[:len(YEARS)] - parts)
    return _table(series), truth


def test_known_trend_is_forecast_within_its_interval():
    """A total growing 4% a year (1% noise) is forecast within p10-p90 three years ahead, near the truth."""
    annual, truth = _trend_region()
    result = run_annual(annual, None, params=AnnualParams(horizon=3), models=("pooled", "naive"))
    f = result.forecast[result.forecast["group"] == "all"].set_index(["la_code", "year"])
    inside = 0
    for code, levels in truth.items():
        for k, expected in enumerate(levels):
            row = f.loc[(code, 2025 + k)]
            inside += row["p10"] <= expected <= row["p90"]
            assert abs(row["mean"] - expected) / expected < 0.05, (code, 2025 + k, row["mean"], expected)
    assert inside / (3 * len(truth)) >= 0.8
    # and the trend is what beats naive: naive misses by the growth, every year
    s = result.summary.set_index(["model", "group", "horizon"])
    assert s.loc[("pooled", "all", 2), "relative_mae"] < 0.5


def test_groups_add_up_to_the_total():
    """Each council's groups add up to its `all` in the mean, every year ahead (real series)."""
    result = _real_result()
    f = result.forecast.pivot_table(index=["la_code", "year"], columns="group", values="mean")
    parts = f[[g for g in PUBLIC_GROUPS if g != "all"]].sum(axis=1)
    assert len(f) > 400
    np.testing.assert_allclose(parts.to_numpy(), f["all"].to_numpy(), rtol=1e-9)
    assert list(result.forecast.columns) == ["la_code", "group", "year", "mean", "p10", "p50", "p90"]
    assert (result.forecast["p10"] <= result.forecast["p50"]).all()
    assert (result.forecast["p50"] <= result.forecast["p90"]).all()


def test_suppressed_cells_never_become_zeros():
    """A group the DfE suppressed ('x', 1 to 5 children) or did not publish is imputed from the year's total,
    never read as zero, and never scored as an actual."""
    values = {("E08000001", "all"): [100] * 15, ("E08000001", "foster"): [70] * 15,
              ("E08000001", "childrens_home"): [20] * 15, ("E08000001", "independent_living"): [5] * 15,
              ("E08000001", "with_parents"): [3] * 15, ("E08000001", "other"): [2] * 15}
    values[("E08000001", "other")] = [2] * 10 + [None] * 5  # suppressed from 2020
    values[("E08000001", "with_parents")] = [3] * 8 + [None, None, None] + [3] * 4  # not published 2018-2020
    panel = build_panel(_table(values), None)
    g_other, g_parents = PUBLIC_GROUPS.index("other"), PUBLIC_GROUPS.index("with_parents")
    # 2020-2024: total 100 less the published 95 (or 92 when with_parents is missing too) leaves 5 (or 8)
    assert panel.value[0, g_other, 10:].min() >= 1
    assert not panel.published[0, g_other, 10:].any()
    np.testing.assert_allclose(panel.value[0, g_other, 11:], 2.0)  # 100 - 70 - 20 - 5 - 3
    np.testing.assert_allclose(panel.value[0, g_parents, 8:10] + panel.value[0, g_other, 8:10], 5.0)
    # even where the published groups already make up the total, a suppressed cell is at least one child
    tight = dict(values)
    tight[("E08000001", "foster")] = [70] * 10 + [72] * 5
    assert build_panel(_table(tight), None).value[0, g_other, 10:].min() == 1.0
    result = run_annual(_table(values), None, models=("naive",))
    scored_other = result.backtest[result.backtest["group"] == "other"]
    assert scored_other["year"].max() <= 2019  # suppressed years are never actuals


def test_mase_of_one_series_equals_a_hand_computation():
    """The backtest's MASE, bias and MAE against naive for one series match a by-hand computation (naive and
    drift, whose forecasts are written down from their definitions)."""
    series = [50, 54, 53, 60, 62, 61, 66, 70, 69, 75, 80, 78, 83, 85, 90]
    values = {("E09000001", "all"): series}
    result = run_annual(_table(values), None, params=AnnualParams(horizon=2, first_scored=2015),
                        models=("naive", "drift"))
    for model in ("naive", "drift"):
        for h in (1, 2):
            scaled, errors, naive_errors, signed, actual = [], [], [], [], []
            for origin in range(2015, 2025 - h):
                i = origin - 2010
                history = series[:i + 1]
                if model == "naive":
                    forecast = history[-1]
                else:
                    forecast = history[-1] + h * (history[-1] - history[0]) / (len(history) - 1)
                truth = series[i + h]
                changes = [abs(b - a) for a, b in zip(history, history[1:])]
                scaled.append(abs(forecast - truth) / (sum(changes) / len(changes)))
                errors.append(abs(forecast - truth))
                naive_errors.append(abs(history[-1] - truth))
                signed.append(forecast)
                actual.append(truth)
            row = result.summary[(result.summary["model"] == model) & (result.summary["horizon"] == h)
                                 & (result.summary["group"] == "all")].iloc[0]
            assert row["forecasts"] == len(scaled)
            assert row["mase"] == pytest.approx(sum(scaled) / len(scaled))
            assert row["relative_mae"] == pytest.approx(sum(errors) / sum(naive_errors))
            assert row["bias"] == pytest.approx((sum(signed) - sum(actual)) / sum(actual))


@pytest.fixture(scope="module")
def real_inputs():
    series = read_dfe(PUBLIC / "dfe").table
    annual = series[series["level"] == "la"].rename(columns={"area_code": "la_code"})
    population = read_population(PUBLIC / "ons" / "population_0_17_by_la_2012_2024.csv")
    return annual, population


_CACHE = {}


def _real_result():
    if "r" not in _CACHE:
        series = read_dfe(PUBLIC / "dfe").table
        annual = series[series["level"] == "la"].rename(columns={"area_code": "la_code"})
        _CACHE["r"] = run_annual(annual, None, until=2021, models=("pooled", "naive"))
    return _CACHE["r"]


def test_nothing_after_until_changes_the_forecast(real_inputs):
    """Tripling every published figure and population after 2019 leaves the 2019 forecast and its backtest
    exactly as they were."""
    annual, population = real_inputs
    params = AnnualParams(horizon=3)
    before = run_annual(annual, population, until=2019, params=params, models=("pooled", "naive", "drift"))
    altered = annual.copy()
    later = altered["year"] > 2019
    altered.loc[later, "value"] = altered.loc[later, "value"] * 3 + 7
    pop = population.copy()
    pop.loc[pop["year"] > 2019, "population_0_17"] *= 3
    after = run_annual(altered, pop, until=2019, params=params, models=("pooled", "naive", "drift"))
    assert before.forecast["year"].min() == 2020
    pd.testing.assert_frame_equal(before.forecast, after.forecast)
    pd.testing.assert_frame_equal(before.backtest, after.backtest)
    # and the change is one the forecast would see if it were allowed to: read up to 2020, it moves
    moved = run_annual(altered, pop, until=2020, params=params, models=("pooled",))
    assert not np.allclose(moved.forecast.query("group == 'all'")["mean"].sum(),
                           run_annual(annual, population, until=2020, params=params,
                                      models=("pooled",)).forecast.query("group == 'all'")["mean"].sum())


def test_command_writes_the_forecast_with_exactly_its_columns(tmp_path):
    """`rcc public forecast` on the embedded Greater Manchester extract writes public_forecast.csv with exactly
    la_code, group, year, mean, p10, p50, p90: six groups x three years for every council, Greater Manchester's
    ten among them."""
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "app.cli", "public", "forecast", "data/public_extract", "--out",
                           str(out), "--until", "2023"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    with open(out / "public_forecast.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["la_code", "group", "year", "mean", "p10", "p50", "p90"]
    per_council = pd.Series([r["la_code"] for r in rows]).value_counts()
    assert set(GM) <= set(per_council.index)
    assert (per_council == 6 * 3).all()
    assert {r["year"] for r in rows} == {"2024", "2025", "2026"}
    assert "Backtest on the real years" in done.stdout
    assert (out / "public_backtest.csv").exists() and (out / "public_forecast_run.json").exists()


def test_until_outside_the_series_is_a_clear_error(tmp_path):
    """--until beyond the data is one line naming the years the data holds, not a traceback."""
    done = subprocess.run([sys.executable, "-m", "app.cli", "public", "forecast", "data/public_extract", "--out",
                           str(tmp_path), "--until", "2030"], capture_output=True, text=True)
    assert done.returncode != 0
    assert "2010-2024" in done.stderr and "Traceback" not in done.stderr


def test_monthly_batch_forecasts_the_yearly_series_and_checks_the_extract(tmp_path):
    """The monthly batch, with its yearly stage, stores the councils' yearly forecast and backtest, and compares
    the extract's children at the end of March with each council's published figure (counted here from the
    DfE's headline table and the extract's episodes by hand)."""
    import dataclasses

    from app.batch.monthly import MonthlyParams, run_monthly
    from app.history.store import RunStore
    from tests.monthly_regions import COUNCILS, two_councils, write

    folder = write(two_councils(), tmp_path / "two")
    params = dataclasses.replace(MonthlyParams.from_toml("tests/fixtures/monthly-fast.toml"), yearly=True)
    run = run_monthly(folder, out_dir=tmp_path / "out", params=params)
    assert run.summary["yearly"]["councils"] == 2
    with RunStore(run.store_path, read_only=True) as store:
        bridge = store.table(run.run_id, "yearly_bridge")
        forecast = store.table(run.run_id, "yearly_forecast")
    assert set(forecast["la_code"]) == set(COUNCILS)
    episodes = pd.read_csv(folder / "episodes.csv", dtype=str)
    checked = bridge[bridge["kind"] == "history"]
    assert len(checked) >= 2
    with open(PUBLIC / "dfe" / "cla_number_and_rate_per_10k_children.csv", newline="", encoding="utf-8-sig") as f:
        headline = {(r["new_la_code"], int(r["time_period"])): float(r["children_count"]) for r in csv.DictReader(f)
                    if r["population_type"].startswith("Children looked after on 31") and r["new_la_code"] in COUNCILS}
    header = pd.read_csv(folder / "header.csv", dtype=str).set_index("CHILD")["LA"]
    for row in checked.itertuples():
        end = pd.Timestamp(f"{int(row.year)}-03-31")
        start = pd.to_datetime(episodes["DECOM"], format="mixed", dayfirst=True)
        stop = pd.to_datetime(episodes["DEC"], format="mixed", dayfirst=True)
        open_then = episodes[(start <= end) & (stop.isna() | (stop > end))]
        in_care = open_then[open_then["CHILD"].map(header).eq(row.la_code)]["CHILD"].nunique()
        assert row.monthly == in_care, (row.la_code, row.year)
        assert row.yearly == headline[(row.la_code, int(row.year))]
        far = abs(in_care - row.yearly) / row.yearly > 0.05
        assert (isinstance(row.warning, str) and row.warning != "") == far
