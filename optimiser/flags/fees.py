"""Fee outliers: each placement's weekly fee against the fee expected for placements like it, and every placement
over £10,000 a week.

The expected fee comes from a median (quantile) regression of log weekly fee, fitted on the region's own
placements in registered settings: setting type x sector, the setting's staffing ratio (per setting type), a
single-child home, the child's needs and the area (the setting's council, or outside the region). A median fit
is not pulled up by the very fees it is meant to judge. How far a fee sits above expectation is measured in
robust standard deviations of the residuals of its own setting type, since foster fees hardly vary and
children's home fees vary a lot.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.regression.quantile_regression import QuantReg
from threadpoolctl import threadpool_limits

from data.region import Region
from data.vocabulary import NEEDS, SECTOR_LABELS
from optimiser.flags.common import (
    WEEKS_PER_YEAR,
    aged,
    council,
    empty_flags,
    flag_frame,
    money,
    needs_text,
    plural,
    type_name,
    types_name,
)
from optimiser.flags.params import FeeParams

MAD_TO_SD = 1.4826
MIN_ROWS_FOR_OWN_SCALE = 5
OUTSIDE = "outside the region"
FEE_COLUMNS = ["child_id", "la_code", "setting_id", "provider_id", "setting_type", "sector", "max_ratio", "solo_only",
               "area", "weekly_cost", "weekly_fee", "list_ratio", "expected_fee", "ratio", "gap", "robust_z",
               "peer_median", "peers", "fitted", "fee_outlier", "high_cost"]


@dataclass(frozen=True)
class FeeModel:
    table: pd.DataFrame  # one row per placement with a cost: expected fee, ratio, gap, robust z, verdicts
    fitted_on: int  # placements the regression was fitted on
    terms: tuple[str, ...]  # design columns kept
    converged: bool
    note: str = ""


def fee_model(region: Region, placed: pd.DataFrame, params: FeeParams) -> FeeModel:
    """Fit the expected-fee model on registered placements and judge every placement with a cost."""
    rows = placed[placed["weekly_cost"].notna() & (placed["weekly_cost"] > 0)].reset_index(drop=True).copy()
    members = set(region.authorities["la_code"])
    rows["area"] = np.where(rows["setting_la_code"].isin(members), rows["setting_la_code"], OUTSIDE)
    rows["fitted"] = (rows["known"] & rows["registration_status"].eq("active")).to_numpy(dtype=bool)
    rows["high_cost"] = rows["weekly_cost"] > params.high_cost
    for column in ("expected_fee", "ratio", "gap", "robust_z", "peer_median", "list_ratio"):
        rows[column] = np.nan
    rows["peers"] = 0
    rows["fee_outlier"] = False
    fit = rows[rows["fitted"]]
    if len(fit) < params.min_placements:
        return FeeModel(rows[FEE_COLUMNS], len(fit), (), False,
                        f"only {len(fit)} placements in registered settings: no fee model, only the high-cost rule")
    design, known = _design(rows, fit.index)
    keep = _independent_columns(design.loc[fit.index].to_numpy(dtype=float))
    design = design.iloc[:, keep]
    y = np.log(rows["weekly_cost"].to_numpy(dtype=float))
    # The fit makes ~100 small matrix products; a multi-threaded BLAS on a busy machine makes each of them up to a
    # hundred times slower (measured: 17 s against 0.25 s on two shared cores), so the fit runs on one thread.
    with warnings.catch_warnings(record=True) as caught, threadpool_limits(limits=1, user_api="blas"):
        warnings.simplefilter("always")
        result = QuantReg(y[fit.index], design.loc[fit.index].to_numpy(dtype=float)).fit(
            q=params.quantile, max_iter=5000)
    converged = not any("iteration" in str(w.message).lower() or "converge" in str(w.message).lower()
                        for w in caught)
    predicted = design.to_numpy(dtype=float) @ np.asarray(result.params)
    residual = np.where(known, y - predicted, np.nan)
    scale = _scales(rows, residual, params)
    rows["expected_fee"] = np.where(known, np.exp(predicted), np.nan)
    rows["ratio"] = rows["weekly_cost"] / rows["expected_fee"]
    rows["gap"] = rows["weekly_cost"] - rows["expected_fee"]
    rows["robust_z"] = residual / scale
    rows["list_ratio"] = rows["weekly_cost"] / rows["weekly_fee"].where(rows["weekly_fee"] > 0)
    over_model = (rows["robust_z"] >= params.robust_z) & (rows["ratio"] >= params.min_ratio) & (
        rows["gap"] >= params.min_gap)
    over_list = (rows["list_ratio"] >= params.list_fee_ratio) & (
        rows["weekly_cost"] - rows["weekly_fee"] >= params.min_gap)
    rows["fee_outlier"] = rows["fitted"] & (over_model | over_list)
    _peer_medians(rows)
    return FeeModel(rows[FEE_COLUMNS], len(fit), tuple(design.columns), converged,
                    "" if converged else "the quantile regression stopped at its iteration limit")


def _design(rows: pd.DataFrame, fit_index: pd.Index) -> tuple[pd.DataFrame, np.ndarray]:
    """Design matrix (intercept, dummies, needs) and which rows it can predict (categories seen in the fit)."""
    type_sector = rows["setting_type"].fillna("?") + " / " + rows["sector"].fillna("?")
    ratio = np.where(rows["max_ratio"].fillna("standard").eq("standard"), "",
                     rows["setting_type"].fillna("?") + " at " + rows["max_ratio"].fillna("?"))
    categories = {"type": type_sector, "ratio": pd.Series(ratio, index=rows.index), "area": rows["area"]}
    columns = {"intercept": np.ones(len(rows))}
    known = np.ones(len(rows), dtype=bool)
    for prefix, values in categories.items():
        seen = values.loc[fit_index].value_counts()
        reference = "" if prefix == "ratio" else seen.index[0]
        known &= values.isin(seen.index).to_numpy() | values.eq("").to_numpy()
        for level in sorted(seen.index):
            if level != reference:
                columns[f"{prefix}: {level}"] = values.eq(level).to_numpy(dtype=float)
    columns["single-child home"] = rows["solo_only"].fillna(False).astype(bool).to_numpy(dtype=float)
    for need in NEEDS:
        columns[f"need: {need}"] = rows["needs"].map(lambda items, n=need: n in (items or ())).to_numpy(dtype=float)
    known &= rows["setting_type"].notna().to_numpy()
    return pd.DataFrame(columns, index=rows.index), known


def _independent_columns(x: np.ndarray, tolerance: float = 1e-9) -> list[int]:
    """Columns that vary (or the intercept) and are not combinations of earlier ones, in order: collinear dummies
    would make the fit arbitrary. Gram-Schmidt on the small cross-product matrix x'x."""
    gram = x.T @ x
    kept: list[int] = []
    for j in range(x.shape[1]):
        if j and np.ptp(x[:, j]) == 0:
            continue
        if kept:
            g = gram[np.ix_(kept, kept)]
            b = gram[kept, j]
            left = gram[j, j] - b @ np.linalg.solve(g, b)
        else:
            left = gram[j, j]
        if left > tolerance * max(gram[j, j], 1.0):
            kept.append(j)
    return kept


def _scales(rows: pd.DataFrame, residual: np.ndarray, params: FeeParams) -> np.ndarray:
    """Robust standard deviation of fitted residuals per setting type (pooled where a type has few placements)."""
    fitted = rows["fitted"].to_numpy() & ~np.isnan(residual)
    pooled = max(MAD_TO_SD * _mad(residual[fitted]), params.min_log_scale)
    scale = np.full(len(rows), pooled)
    for setting_type, index in rows.groupby("setting_type").indices.items():
        mine = index[fitted[index]]
        if mine.size >= MIN_ROWS_FOR_OWN_SCALE:
            scale[index] = max(MAD_TO_SD * _mad(residual[mine]), params.min_log_scale)
    return scale


def _mad(values: np.ndarray) -> float:
    return float(np.median(np.abs(values - np.median(values)))) if values.size else 0.0


def _peer_medians(rows: pd.DataFrame) -> None:
    """Median cost of registered placements of the same setting type, staffing and single-child-ness."""
    key = [rows["setting_type"].fillna("?"), rows["max_ratio"].fillna("?"), rows["solo_only"].fillna(False)]
    fitted = rows[rows["fitted"]]
    stats = fitted.groupby([k[rows["fitted"]] for k in key])["weekly_cost"].agg(["median", "size"])
    index = pd.MultiIndex.from_arrays(key)
    rows["peer_median"] = stats["median"].reindex(index).to_numpy()
    rows["peers"] = stats["size"].reindex(index).fillna(0).astype(int).to_numpy()


def _placement_text(region: Region, r) -> str:
    staffing = "standard staffing" if r.max_ratio == "standard" else f"{r.max_ratio} staffing"
    alone = "a single-child home" if r.solo_only else "shared with other children"
    sector = SECTOR_LABELS.get(r.sector, r.sector)
    return (f"{r.setting_id}, a {sector} {type_name(r.setting_type)} in {council(region, r.setting_la_code)} "
            f"({staffing}, {alone})")


def fee_flags(region: Region, model: FeeModel, placed: pd.DataFrame, params: FeeParams,
              unlawful_ids: set[str] = frozenset()) -> pd.DataFrame:
    """fee_outlier rows (far above the expected fee) and high_cost_placement rows (every placement over the
    high-cost line)."""
    table = model.table.merge(placed[["child_id", "age", "needs", "setting_la_code", "provider_name", "known"]],
                              on="child_id", how="left")
    frames = []
    outliers = table[table["fee_outlier"]]
    if len(outliers):
        evidence, severity, action = [], [], []
        for r in outliers.itertuples(index=False):
            evidence.append(
                f"Child {r.child_id} ({council(region, r.la_code)}, {aged(r.age)}) lives in "
                f"{_placement_text(region, r)} at {money(r.weekly_cost)} a week. For this setting type and "
                f"sector, staffing, the child's needs ({needs_text(r.needs)}) and area, the fee model fitted on "
                f"the region's {plural(model.fitted_on, 'placement')} in registered settings expects "
                f"{money(r.expected_fee)} a week: this is {r.ratio:.1f} times that, {money(r.gap)} a week "
                f"({money(r.gap * WEEKS_PER_YEAR)} a year) above it, {r.robust_z:.1f} robust standard deviations. "
                + _peer_text(r) + _list_text(r, params))
            severity.append("high" if (r.ratio >= 3 or r.gap >= 5_000 or r.list_ratio >= 2) else "medium")
            action.append(f"Challenge the fee with {r.provider_name}: ask what the extra {money(r.gap)} a week buys, "
                          f"and at the next review negotiate towards the expected {money(r.expected_fee)} or "
                          "look for a regional alternative.")
        frames.append(flag_frame("fee_outlier", "child", outliers["child_id"].tolist(), severity, evidence, action))
    high = table[table["high_cost"]]
    if len(high):
        evidence, severity = [], []
        for r in high.itertuples(index=False):
            where = (_placement_text(region, r) if r.known else f"setting {r.setting_id} (in no settings table)")
            text = (f"Child {r.child_id} ({council(region, r.la_code)}, {aged(r.age)}) costs {money(r.weekly_cost)} a "
                    f"week ({money(r.weekly_cost * WEEKS_PER_YEAR)} a year) in {where}: over the "
                    f"{money(params.high_cost)} a week the LGA counts as a high-cost placement (about 1,510 in "
                    "England in 2022/23).")
            if pd.notna(r.expected_fee):
                basis = "such a placement" if r.fitted else "a registered setting of this kind"
                text += f" The fee model expects {money(r.expected_fee)} a week for {basis} ({r.ratio:.1f} times)."
            if r.child_id in unlawful_ids:
                text += " The child is also flagged as unlawfully placed."
            evidence.append(text)
            severity.append("high" if (r.fee_outlier or r.child_id in unlawful_ids) else
                            "medium" if (pd.notna(r.ratio) and r.ratio >= 1.25) else "low")
        action = ("Review at the council's high-cost panel: is this level of support still needed, and could a "
                  "step-down, a block-contract place or a regional alternative meet the need for less?")
        frames.append(flag_frame("high_cost_placement", "child", high["child_id"].tolist(), severity, evidence, action))
    return pd.concat(frames, ignore_index=True) if frames else empty_flags()


def _peer_text(r) -> str:
    if not r.peers or pd.isna(r.peer_median):
        return ""
    staffing = "standard staffing" if r.max_ratio == "standard" else f"{r.max_ratio} staffing"
    alone = "single-child" if r.solo_only else "shared"
    return (f"Similar placements ({types_name(r.setting_type)}, {staffing}, {alone}) have a median of "
            f"{money(r.peer_median)} a week ({plural(int(r.peers), 'placement')}).")


def _list_text(r, params: FeeParams) -> str:
    if pd.isna(r.list_ratio) or r.list_ratio < params.list_fee_ratio:
        return ""
    return (f" The setting's own list fee is {money(r.weekly_fee)} a week: the council pays {r.list_ratio:.1f} times "
            f"it, {money(r.weekly_cost - r.weekly_fee)} a week more.")
