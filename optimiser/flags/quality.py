"""Group-level quality: the spread of Ofsted grades across each owner's registered homes (children's homes, secure
homes, residential special schools: the settings Ofsted grades one by one) and how it changed since each home's
inspection before (settings.previous_ofsted_grade). The Bill lets Ofsted require an improvement plan of a provider
group, so a group whose homes are falling behind is worth seeing as a group, not home by home.
"""

from __future__ import annotations

import pandas as pd

from data.region import Region
from optimiser.flags.common import empty_flags, exposure, exposure_text, flag_frame, owners, pct, plural
from optimiser.flags.params import QualityParams

HOME_TYPES = ("childrens_home", "secure_childrens_home", "residential_special_school")
GRADED = ("outstanding", "good", "requires_improvement", "inadequate")  # best first; not_inspected is no grade
WEAK = ("requires_improvement", "inadequate")
QUALITY_COLUMNS = ["owner", "owner_name", "subject_type", "homes", "graded", *[f"now_{g}" for g in GRADED],
                   *[f"before_{g}" for g in GRADED], "weak_share", "graded_twice", "declined", "improved",
                   "declined_share", "assessed", "flagged", "children", "weekly_spend"]


def group_quality(region: Region, placed: pd.DataFrame) -> pd.DataFrame:
    """One row per independent owner with registered homes anywhere in the data: homes, grades now and before, the
    share requiring improvement or inadequate, and homes that fell or rose a grade or more."""
    providers = region.providers.drop_duplicates("provider_id")
    independent = providers.loc[providers["sector"].ne("local_authority"), "provider_id"]
    homes = region.settings.drop_duplicates("setting_id")
    homes = homes[homes["setting_type"].isin(HOME_TYPES) & homes["registration_status"].eq("active")
                  & homes["provider_id"].isin(independent)].copy()
    if homes.empty:
        return pd.DataFrame(columns=QUALITY_COLUMNS)
    owner = owners(providers)
    homes["owner"] = homes["provider_id"].map(owner["owner"])
    homes["owner_name"] = homes["provider_id"].map(owner["owner_name"])
    rank = {g: i for i, g in enumerate(GRADED)}
    now, before = homes["ofsted_grade"].map(rank), homes["previous_ofsted_grade"].map(rank)
    homes["declined"], homes["improved"] = now > before, now < before  # a larger rank is a worse grade
    homes["graded_twice"] = now.notna() & before.notna()
    rows = []
    for key, mine in homes.groupby("owner", sort=True):
        row = {"owner": key, "owner_name": mine["owner_name"].iloc[0], "homes": len(mine),
               "graded": int(mine["ofsted_grade"].isin(GRADED).sum())}
        row |= {f"now_{g}": int(mine["ofsted_grade"].eq(g).sum()) for g in GRADED}
        row |= {f"before_{g}": int(mine["previous_ofsted_grade"].eq(g).sum()) for g in GRADED}
        row["weak_share"] = (int(mine["ofsted_grade"].isin(WEAK).sum()) / row["graded"]) if row["graded"] else 0.0
        row["graded_twice"] = int(mine["graded_twice"].sum())
        row["declined"], row["improved"] = int(mine["declined"].sum()), int(mine["improved"].sum())
        row["declined_share"] = row["declined"] / row["graded_twice"] if row["graded_twice"] else 0.0
        rows.append(row)
    table = pd.DataFrame(rows)
    groups = set(providers["parent_group"].fillna(""))
    table["subject_type"] = ["parent_group" if o in groups else "provider" for o in table["owner"]]
    spend = exposure(placed, "owner")
    table["children"] = table["owner"].map(spend["children"]).fillna(0).astype(int)
    table["weekly_spend"] = table["owner"].map(spend["weekly_spend"]).fillna(0.0)
    return table


def judged(table: pd.DataFrame, params: QualityParams) -> pd.DataFrame:
    """The table with `assessed` (enough graded homes) and `flagged` (weak or declining) by the thresholds."""
    if table.empty:
        return pd.DataFrame(columns=QUALITY_COLUMNS)
    assessed = table["graded"] >= params.min_homes
    flagged = assessed & ((table["weak_share"] >= params.weak_share) | (
        (table["graded_twice"] > 0) & (table["declined_share"] >= params.declined_share)))
    return table.assign(assessed=assessed, flagged=flagged)[QUALITY_COLUMNS]


def spread_text(r, when: str) -> str:
    counts = [(g, int(getattr(r, f"{when}_{g}"))) for g in GRADED]
    return ", ".join(f"{n:,} {g.replace('_', ' ')}" for g, n in counts if n) or "none graded"


def quality_flags(table: pd.DataFrame, params: QualityParams) -> pd.DataFrame:
    """group_quality rows: owners with enough graded homes whose homes are weak or falling behind; high when both,
    or when any home is inadequate."""
    flagged = table[table["flagged"].astype(bool)] if len(table) else table
    if flagged.empty:
        return empty_flags()
    evidence, severity = [], []
    for r in flagged.itertuples(index=False):
        weak, falling = r.weak_share >= params.weak_share, r.graded_twice and r.declined_share >= params.declined_share
        evidence.append(
            f"{r.owner_name}'s {plural(int(r.graded), 'graded home')}: {spread_text(r, 'now')} now; at the "
            f"inspection before, {spread_text(r, 'before')}. {pct(r.weak_share, 0)} require improvement or are "
            f"inadequate (the line: {pct(params.weak_share, 0)}); of the {plural(int(r.graded_twice), 'home')} "
            f"graded both times, {int(r.declined):,} fell and {int(r.improved):,} rose a grade or more. "
            + exposure_text(int(r.children), r.weekly_spend))
        severity.append("high" if (weak and falling) or r.now_inadequate else "medium")
    action = ("Raise the group's homes with Ofsted as a group (the Bill's group improvement plans); review the "
              "region's children in its weaker homes at their next placement review.")
    frames = [flag_frame("group_quality", kind, flagged.loc[mask, "owner"].tolist(),
                         [s for s, m in zip(severity, mask) if m], [e for e, m in zip(evidence, mask) if m], action)
              for kind in ("parent_group", "provider") if (mask := flagged["subject_type"].eq(kind)).any()]
    return pd.concat(frames, ignore_index=True)
