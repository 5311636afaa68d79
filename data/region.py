"""The Region: a region's validated tables, typed by data/schema.py and treated as immutable.

Jobs never change a Region in place; a what-if (a veto, an extra home, a scenario) is a new Region made with
`.replace()`, so two results can always be traced to the exact data each was run on.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pandas as pd

# The supply tables each job needs (a region may hold only the SSDA903 history: validate and forecast need no more).
SUPPLY_NEEDED = {
    "match": ("providers", "settings", "children", "referrals"),
    "flags": ("providers", "settings", "children"),
    "strategy": ("providers", "settings"),
    "monthly": ("providers", "settings", "children", "referrals"),
}
JOB_WORDS = {"match": "match", "flags": "flags", "strategy": "strategy", "monthly": "monthly batch"}


class MissingData(ValueError):
    """The region lacks what a job needs (no child to match, no history to forecast): an input problem."""


@dataclass(frozen=True)
class Region:
    authorities: pd.DataFrame
    providers: pd.DataFrame
    settings: pd.DataFrame
    children: pd.DataFrame
    referrals: pd.DataFrame
    header: pd.DataFrame
    episodes: pd.DataFrame
    uasc: pd.DataFrame
    controls: pd.DataFrame = field(default_factory=pd.DataFrame)
    options: pd.DataFrame = field(default_factory=pd.DataFrame)
    cla_annual: pd.DataFrame = field(default_factory=pd.DataFrame)  # published yearly figures (public regions)
    dol_orders: pd.DataFrame = field(default_factory=pd.DataFrame)  # SSDA903 deprivation-of-liberty orders (DoLo)
    members: pd.DataFrame = field(default_factory=pd.DataFrame)  # RCC membership (optimiser/match/membership.py)
    source: str = ""
    input_hash: str = ""
    issues: pd.DataFrame = field(default_factory=pd.DataFrame)
    absent: tuple[str, ...] = ()  # tables whose file the region does not have (asked for by the jobs needing them)
    # file, row, CHILD of every SSDA903 record read: the child a problem on a record is about (forecasts/sound.py)
    record_children: pd.DataFrame = field(default_factory=pd.DataFrame)
    history_read: bool = True  # False: loaded for matching, the SSDA903 history hashed but not read (data/load.py)

    def replace(self, **changes) -> Region:
        """A new Region with some tables swapped (the old one is untouched)."""
        return dataclasses.replace(self, **changes)

    @property
    def is_public(self) -> bool:
        """Built from published data alone (`rcc public region`): supply and yearly figures, no child's record."""
        return (self.children.empty and self.referrals.empty and self.episodes.empty
                and not self.cla_annual.empty)

    def missing_for(self, job: str) -> str:
        """'' when the region has what `job` needs; else what is missing and what to add, in words."""
        supply = [t for t in SUPPLY_NEEDED.get(job, ()) if t in self.absent]
        if supply:
            return (", ".join(f"{t}.csv" for t in supply) + (" is" if len(supply) == 1 else " are")
                    + f" not in the region, and the {JOB_WORDS.get(job, job)} needs "
                    + ("it" if len(supply) == 1 else "them") + ": add " + ("it" if len(supply) == 1 else "them")
                    + " beside the history (`rcc template DIR` writes each with its columns; validating and "
                    "forecasting need only the SSDA903 history)")
        needs = {
            "match": (self.referrals.empty and self.children.empty,
                      "there is no child to match: referrals.csv (children who need a home now) and children.csv "
                      "are empty"),
            "forecast": (self.episodes.empty, "there is no SSDA903 history to forecast from: header.csv and "
                                              "episodes.csv are missing or empty" if self.history_read else
                         "the SSDA903 history was not read (the region was loaded for matching only): load it "
                         "again with its history"),
        }
        needs["monthly"] = needs["forecast"]
        missing, text = needs.get(job, (False, ""))
        if not missing:
            return ""
        if self.is_public:
            text += (". This is a region built from published data (rcc public region): it has the councils' "
                     "registered homes and the DfE's yearly figures (cla_annual.csv), but no child's record. Add "
                     + ("referrals.csv, and the vacancies of the settings in settings.csv" if job == "match" else
                        "the councils' SSDA903 returns (header.csv and episodes.csv; `rcc template DIR` shows the "
                        "columns)"))
        return text

    def require(self, job: str) -> None:
        """MissingData saying what is missing when the region lacks what `job` needs."""
        missing = self.missing_for(job)
        if missing:
            verb = {"monthly": "run the monthly batch"}.get(job, job)
            raise MissingData(f"{self.source}: cannot {verb}: {missing}")

    @property
    def la_codes(self) -> list[str]:
        return self.authorities["la_code"].tolist()

    def summary(self) -> dict[str, int | str]:
        return {
            "councils": len(self.authorities),
            "providers": len(self.providers),
            "settings": len(self.settings),
            "places": _total(self.settings["places"]),
            "vacancies": _total(self.settings["vacancies"]),
            "children": len(self.children),
            "referrals": len(self.referrals),
            "ssda903_children": len(self.header),
            "ssda903_episodes": len(self.episodes),
        }


def _total(counts: pd.Series) -> int | str:
    """A column's sum, or what is known of it when some cells are blank (not published, never zero)."""
    unknown = int(counts.isna().sum())
    if unknown == len(counts) and unknown:
        return "not known"
    total = int(counts.sum())
    return f"{total} (not known for {unknown} settings)" if unknown else total
