"""One function per job, no UI: the CLI (and later the dashboard and the monthly batch) only call these."""

from __future__ import annotations

import json
import platform
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import pandas as pd

from data.geo import TWENTY_MILES_KM
from data.load import load_region
from optimiser.baseline import compare_outcomes, la_by_la_baseline
from optimiser.matching import MatchResult, allocation_table, match_region, weekly_spend
from optimiser.params import MatchParams
from optimiser.verify import verify_allocation


SHORTAGE_BASELINE = "other councils' children had already taken those places when this council searched"


@dataclass(frozen=True)
class MatchRun:
    result: MatchResult
    summary: dict
    comparison: pd.DataFrame  # measure x approach (regional, la_by_la)
    outputs: dict[str, Path]


def run_match(region_dir: Path, out_dir: Path, params: MatchParams | None = None,
              progress=lambda message: None) -> MatchRun:
    """Load and validate a region, match it, check the answer independently, and write the outputs."""
    params = params or MatchParams()
    started = datetime.now(timezone.utc)
    progress(f"Loading and validating {region_dir}")
    region = load_region(region_dir)
    progress(f"Matching {len(region.referrals)} referrals against {len(region.settings)} settings "
             f"({params.solver}, time limit {params.time_limit_s:g} s)")
    result = match_region(region, params)
    violations = verify_allocation(region, result.allocations, params)
    if not violations.empty:
        # A broken hard rule is a bug in rcc, never something to hand to a commissioner.
        raise RuntimeError("the allocation breaks hard rules (this is a bug in rcc):\n" + violations.to_string())
    progress("Comparing with today's practice (each council searching alone, first come first served)")
    baseline = allocation_table(region, result.candidates,
                                la_by_la_baseline(region, result.candidates).set_index("referral_id")["setting_id"],
                                shortage=SHORTAGE_BASELINE)
    baseline_violations = verify_allocation(region, baseline, params)
    comparison = compare_outcomes(result.allocations, baseline,
                                  {"regional": 0, "la_by_la": len(baseline_violations)})
    summary = match_summary(result.allocations)
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = {"allocations": out_dir / "allocations.csv", "baseline": out_dir / "baseline_allocations.csv",
               "comparison": out_dir / "comparison.csv", "run": out_dir / "run.json"}
    result.allocations.to_csv(outputs["allocations"], index=False, float_format="%.2f")
    baseline.to_csv(outputs["baseline"], index=False, float_format="%.2f")
    comparison.to_csv(outputs["comparison"], index_label="measure", float_format="%.3f")
    record = {
        "job": "match",
        "started_at": started.isoformat(timespec="seconds"),
        "rcc_version": metadata.version("rcc"),
        "python": platform.python_version(),
        "input": {"source": str(region_dir), "input_hash": region.input_hash,
                  "warnings": int((region.issues["severity"] == "warning").sum()),
                  "flags": int((region.issues["severity"] == "flag").sum())},
        "parameters": params.to_dict(),
        "solver": result.solver,
        "status": result.status,
        "message": result.message,
        "objective": result.objective,
        "bound": result.bound,
        "gap": result.gap,
        "model": {"units": result.units, "pairs": result.pairs},
        "timings": {k: round(v, 3) for k, v in result.timings.items()},
        "verification": {"violations": 0},
        "summary": summary,
        "comparison": {approach: {k: (None if pd.isna(v) else v) for k, v in column.items()}
                       for approach, column in comparison.items()},
    }
    outputs["run"].write_text(json.dumps(record, indent=2, default=str) + "\n")
    return MatchRun(result=result, summary=summary, comparison=comparison, outputs=outputs)


def match_summary(allocations: pd.DataFrame) -> dict:
    matched = allocations[allocations["status"] == "matched"]
    unmatched = allocations[allocations["status"] == "unmatched"]
    distance = matched["distance_km"]
    return {
        "referrals": len(allocations),
        "matched": len(matched),
        "unmatched": len(unmatched),
        "unmatched_by_reason": {k: int(v) for k, v in unmatched["reason_code"].value_counts().sort_index().items()},
        "mean_distance_km": round(float(distance.mean()), 1) if len(matched) else None,
        "share_over_20_miles": round(float((distance > TWENTY_MILES_KM).mean()), 3) if len(matched) else None,
        "total_weekly_cost": round(weekly_spend(allocations), 2),
    }
