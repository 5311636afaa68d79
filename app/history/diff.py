"""What changed between two monthly runs: the month-on-month report analysts and the dashboard show.

Children are followed by child id (a child keeps it across months; a referral id may change). The forecast made
last month is scored against the stock this month's extract actually shows: the accuracy rcc promises.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CHILD_CHANGES = {
    ("unmatched", "matched"): "newly matched",
    ("unmatched", "unmatched"): "still waiting",
    ("matched", "unmatched"): "waiting again",
    ("matched", "matched"): "matched both months",
    ("absent", "matched"): "new referral, matched",
    ("absent", "unmatched"): "new referral, waiting",
    ("matched", "absent"): "no longer searching",
    ("unmatched", "absent"): "no longer searching",
}
HEADLINE = (("children in care", ("children_in_care",)), ("referrals", ("match", "referrals")),
            ("matched", ("match", "matched")), ("unmatched", ("match", "unmatched")),
            ("weekly cost of placements (£)", ("match", "total_weekly_cost")),
            ("mean distance from home (km)", ("match", "mean_distance_km")),
            ("children in unregistered settings", ("unregistered", "children")),
            ("weekly spend in unregistered settings (£)", ("unregistered", "weekly_spend")))


def diff_runs(store, run_a: str, run_b: str) -> dict[str, pd.DataFrame]:
    """Tables: headline (measure, run A, run B, change), children (child_id, la_code, status in A and B, change),
    flags (flag, subject, severity, change new | resolved | continuing), forecast_drift (la_code, group, month, mean
    in A and B, change) and forecast_accuracy (last month's forecast against this month's actual stock)."""
    a, b = store.run(run_a), store.run(run_b)
    return {
        "headline": _headline(a["summary"], b["summary"]),
        "children": _children(store.table(run_a, "allocations"), store.table(run_b, "allocations")),
        "flags": _flags(store.table(run_a, "flags"), store.table(run_b, "flags")),
        "forecast_drift": _forecast_drift(store.table(run_a, "forecast"), store.table(run_b, "forecast")),
        "forecast_accuracy": forecast_accuracy(store.table(run_a, "forecast"), store.table(run_b, "history_stocks")),
    }


def _headline(a: dict, b: dict) -> pd.DataFrame:
    def pick(summary: dict, path: tuple[str, ...]):
        for key in path:
            summary = summary.get(key) if isinstance(summary, dict) else None
        return summary

    rows = [(label, pick(a, path), pick(b, path)) for label, path in HEADLINE]
    out = pd.DataFrame(rows, columns=["measure", "run_a", "run_b"])
    out["change"] = pd.to_numeric(out["run_b"], errors="coerce") - pd.to_numeric(out["run_a"], errors="coerce")
    return out


def _children(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    columns = ["child_id", "la_code", "status", "setting_id", "reason_code"]
    merged = a[columns].merge(b[columns], on="child_id", how="outer", suffixes=("_a", "_b"))
    merged["la_code"] = merged["la_code_b"].fillna(merged["la_code_a"])
    for side in ("a", "b"):
        merged[f"status_{side}"] = merged[f"status_{side}"].fillna("absent")
    merged["change"] = [CHILD_CHANGES.get(pair, "other") for pair in zip(merged["status_a"], merged["status_b"])]
    order = {change: i for i, change in enumerate(CHILD_CHANGES.values())}
    return (merged.assign(_order=merged["change"].map(order))
            .sort_values(["_order", "la_code", "child_id"], kind="stable")
            [["child_id", "la_code", "change", "status_a", "setting_id_a", "status_b", "setting_id_b", "reason_code_b"]]
            .reset_index(drop=True))


def _flags(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    key = ["flag", "subject_type", "subject_id"]
    merged = a[key + ["severity"]].merge(b[key + ["severity", "evidence"]], on=key, how="outer",
                                         suffixes=("_a", "_b"), indicator=True)
    merged["change"] = merged["_merge"].map({"left_only": "resolved", "right_only": "new", "both": "continuing"})
    merged["severity"] = merged["severity_b"].fillna(merged["severity_a"])
    order = {"new": 0, "resolved": 1, "continuing": 2}
    return (merged.assign(_order=merged["change"].map(order)).sort_values(["_order", "flag", "subject_id"])
            [key + ["severity", "change", "evidence"]].reset_index(drop=True))


def _forecast_drift(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Both runs' forecast for the months they share, per council x group (age bands summed)."""
    key = ["la_code", "group", "month"]
    both = _by_group(a, "mean").merge(_by_group(b, "mean"), on=key, suffixes=("_a", "_b"))
    both["change"] = both["mean_b"] - both["mean_a"]
    return both.sort_values(key, ignore_index=True)


def forecast_accuracy(forecast_a: pd.DataFrame, stocks_b: pd.DataFrame) -> pd.DataFrame:
    """Run A's forecast for each month that run B's extract has since observed, against the observed stock, per
    council x group: error (forecast - actual) and whether the actual fell inside the p10-p90 band. The band of
    a sum is not the sum of bands, so the band is only judged per council x group x age band and counted."""
    key = ["la_code", "group", "age_band", "month"]
    observed = stocks_b.assign(month=pd.to_datetime(stocks_b["month"]))
    forecast = forecast_a.assign(month=pd.to_datetime(forecast_a["month"]))
    cells = forecast[key + ["mean", "p10", "p90"]].merge(observed[key + ["stock"]], on=key, how="inner")
    if cells.empty:
        return pd.DataFrame(columns=["la_code", "group", "month", "forecast", "actual", "error", "cells",
                                     "cells_inside_p10_p90"])
    cells["inside"] = (cells["stock"] >= cells["p10"]) & (cells["stock"] <= cells["p90"])
    out = cells.groupby(["la_code", "group", "month"], as_index=False).agg(
        forecast=("mean", "sum"), actual=("stock", "sum"), cells=("inside", "size"),
        cells_inside_p10_p90=("inside", "sum"))
    out["error"] = out["forecast"] - out["actual"]
    out["month"] = out["month"].dt.strftime("%Y-%m")
    return out[["la_code", "group", "month", "forecast", "actual", "error", "cells", "cells_inside_p10_p90"]]


def _by_group(forecast: pd.DataFrame, column: str) -> pd.DataFrame:
    out = forecast.groupby(["la_code", "group", "month"], as_index=False)[column].sum()
    out["month"] = pd.to_datetime(out["month"]).dt.strftime("%Y-%m")
    return out


def accuracy_summary(accuracy: pd.DataFrame) -> dict:
    if accuracy.empty:
        return {"months": 0}
    total = accuracy.groupby("month")[["forecast", "actual"]].sum()
    return {"months": len(total), "regional_forecast": round(float(total["forecast"].sum()), 1),
            "regional_actual": int(total["actual"].sum()),
            "mean_absolute_error_per_council_group": round(float(np.abs(accuracy["error"]).mean()), 2),
            "share_of_cells_inside_p10_p90": round(float(accuracy["cells_inside_p10_p90"].sum()
                                                         / accuracy["cells"].sum()), 3)}
