"""The Region: a region's validated tables, typed by data/schema.py and treated as immutable.

Jobs never change a Region in place; a what-if (a veto, an extra home, a scenario) is a new Region made with
`.replace()`, so two results can always be traced to the exact data each was run on.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import pandas as pd


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
    source: str = ""
    input_hash: str = ""
    issues: pd.DataFrame = field(default_factory=pd.DataFrame)

    def replace(self, **changes) -> Region:
        """A new Region with some tables swapped (the old one is untouched)."""
        return dataclasses.replace(self, **changes)

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
