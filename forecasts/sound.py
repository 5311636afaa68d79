"""The children whose SSDA903 records are sound: a return with errors in some rows (real returns always have
some) is forecast from the rest, saying how many children and episodes were left out and why, unless they are
more than `max_excluded_share` of the children, when the forecast stops with that message.

A child is left out, with every record of theirs, when any of their records (header, episodes, UASC, DoL orders)
has an error: one found when the region was loaded (a date or code that cannot be read, a DfE rule broken, an
episode ending before it starts) or one the forecast's preparation finds (an episode before the child's birth).
Leaving out part of a child's history would count a stay that never ends, or an entry that never happened.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from data.problems import ValidationError
from data.region import Region

HISTORY_TABLES = ("header", "episodes", "uasc", "dol_orders")


@dataclass(frozen=True)
class Exclusion:
    """Children left out (CHILD, reasons: the rules their records break), with the totals."""
    children: pd.DataFrame
    total_children: int
    episodes: int  # episodes of the children left out

    @property
    def share(self) -> float:
        return len(self.children) / self.total_children if self.total_children else 0.0

    def text(self) -> str:
        if self.children.empty:
            return ""
        reasons = self.children["reason"].str.split(" \\| ").explode().value_counts()
        why = "; ".join(f"{rule} ({n})" for rule, n in reasons.head(5).items())
        return (f"{len(self.children):,} of {self.total_children:,} children ({self.share:.1%}), with "
                f"{self.episodes:,} episodes, left out: their SSDA903 records have errors ({why}"
                + ("; ..." if len(reasons) > 5 else "") + ")")

    def record(self) -> dict:
        return {"children": len(self.children), "of_children": self.total_children, "episodes": self.episodes,
                "share": round(self.share, 4),
                "reasons": self.children["reason"].str.split(" \\| ").explode().value_counts().to_dict()
                if len(self.children) else {}}


class TooManyExcluded(ValueError):
    """More children's records have errors than the forecast may leave out: the message says how many and why."""


NO_EXCLUSION = Exclusion(pd.DataFrame({"CHILD": pd.Series(dtype=object), "reason": pd.Series(dtype=object)}), 0, 0)


def children_with_errors(region: Region, issues: pd.DataFrame) -> pd.DataFrame:
    """CHILD and reason (the rules broken, ' | '-separated) of every child one of whose records has an error."""
    errors = issues[(issues["severity"] == "error") & issues["row"].notna()]
    lookup = region.record_children
    if errors.empty or lookup is None or lookup.empty:
        return NO_EXCLUSION.children
    hit = errors[["file", "row", "rule"]].astype({"row": "Int64"}).merge(lookup, on=["file", "row"], how="inner")
    hit = hit[hit["CHILD"].notna()]
    hit["rule"] = hit["rule"].str.replace(r"\s*\(.*$", "", regex=True).str.slice(0, 90)
    return hit.groupby("CHILD")["rule"].agg(lambda r: " | ".join(sorted(set(r)))).rename("reason").reset_index()


def leave_out(region: Region, children: pd.DataFrame) -> Region:
    """The region without these children's SSDA903 records (index labels kept: problems found later still name
    the region's own rows)."""
    gone = set(children["CHILD"])
    changes = {}
    for name in HISTORY_TABLES:
        frame = getattr(region, name)
        if len(frame) and "CHILD" in frame.columns:
            changes[name] = frame[~frame["CHILD"].isin(gone) & frame["CHILD"].notna()]
    return region.replace(**changes)


def sound_region(region: Region, max_share: float, prepare) -> tuple[Region, object, Exclusion]:
    """(the region with only the children whose records are sound, its preparation, what was left out); raises
    TooManyExcluded when more than `max_share` of the children would be left out."""
    total = len(set(region.header["CHILD"].dropna()) | set(region.episodes["CHILD"].dropna()))
    bad = children_with_errors(region, region.issues)
    sound = leave_out(region, bad) if len(bad) else region
    try:
        preparation = prepare(sound)
    except ValidationError as refused:
        more = children_with_errors(sound, refused.issues)
        if more.empty:
            raise
        bad = pd.concat([bad, more], ignore_index=True).groupby("CHILD")["reason"].agg(
            lambda r: " | ".join(sorted(set(" | ".join(r).split(" | "))))).reset_index()
        sound = leave_out(region, bad)
        preparation = prepare(sound)
    episodes = int(region.episodes["CHILD"].isin(set(bad["CHILD"])).sum())
    exclusion = Exclusion(bad, total, episodes)
    if len(bad) and exclusion.share > max_share:
        raise TooManyExcluded(
            f"{region.source}: the forecast stops: {exclusion.text().replace(', left out', ' would be left out')}, "
            f"more than max_excluded_share ({max_share:.0%}) allows. Fix them (`rcc validate {region.source}` lists "
            "every one, with its file and row) or raise max_excluded_share in the forecast parameters")
    return sound, preparation, exclusion
