"""The words rcc prints about a result: one place for the text the command line shows and the dashboard reuses."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from data.authorities import register
from data.schema import SETTING_TYPE_LABELS


def _count(value) -> str:
    return "not published" if value is None or pd.isna(value) else f"{value:,.0f}"


def _share(value, digits: int = 0) -> str:
    return "not published" if value is None or pd.isna(value) else f"{value:.{digits}%}"


def _ratio(value) -> str:
    return "not published" if value is None or pd.isna(value) else f"{value:.2f}"


def public_region_text(result, folder) -> str:
    a = result.region.about
    by_type = ", ".join(f"{v['settings']} {SETTING_TYPE_LABELS.get(k, k)} ({v['places']:,} places)"
                        for k, v in a["by_type"].items())
    years = a["cla_annual_years"]
    lines = [
        f"Public region {a['region']}: {a['councils']} council(s), supply from Ofsted at {a['supply_as_of']}",
        f"  settings             {a['settings']:,} with {a['places']:,} places: {by_type or 'none'}",
        f"  fostering agencies   {a['fostering_agencies']} based in these councils (providers; households are not "
        "published)",
        f"  left out             {a['left_out']['short_breaks_only_homes']} short-break-only homes, "
        f"{a['left_out']['not_commissioned']} providers rcc does not commission (schools, colleges, adoption "
        "agencies, family centres, holiday schemes)",
        f"  children looked after (DfE) {years[0]}-{years[-1]}" if years else "  children looked after (DfE) none",
        "  not published        vacancies and fees (left blank: unknown, never zero); no children or referrals",
        f"  boundaries           {'real council boundaries (ONS)' if a['boundaries'] else 'none: maps approximate'}",
        f"  reading issues       {result.record['issues']['error']} error(s), {result.record['issues']['warning']} "
        "warning(s) (public_issues.csv)",
        f"Region folder: {folder} (rcc validate {folder}; rcc flags {folder} --out OUT)",
    ]
    return "\n".join(lines)


def market_text(result, highlight: Sequence[str] = (), name: str = "") -> str:
    """One screen: England's market in the latest year, and the highlighted councils beside it."""
    m = result.market
    areas, councils = m.areas, m.councils
    latest = int(councils["year"].max())
    first = int(councils["year"].min())
    england = areas[areas["level"].eq("england")].set_index("year")
    source = councils.loc[councils["year"].eq(latest), "source"].iloc[0]
    lines = [f"The market in children's homes: {source}"]
    if latest not in england.index:
        lines.append(f"  (the files in {result.record['data_dir']} cover some councils only, so "
                     "England's figures are not shown; point rcc at a folder of the whole publications)")
    else:
        now, then = england.loc[latest], england.loc[first] if first in england.index else None
        lines.append(_area_lines(f"England (DfE {_year(now['children_in_homes_year'])})", now, then, first))
    owned = england[england["owners_known"]] if latest in england.index else england.iloc[:0]
    if len(owned):
        now = england.loc[latest]
        start = owned.index.min()
        lines.append(f"  owners               {_count(now['owners'])} own the independent places; HHI "
                     f"{_count(now['hhi'])} (from {_count(england.loc[start, 'hhi'])} in {start}); top three "
                     f"{_share(now['top3_share'])}; largest {now['top_owner_name']} ({_share(now['top_share'], 1)})")
    changes = m.changes[m.changes["level"].eq("england")]
    if len(changes) and latest in england.index:
        lines.append(f"  joined and left      {int(changes['homes_joined'].sum()):,} homes joined and "
                     f"{int(changes['homes_left'].sum()):,} left between {first} and {latest} "
                     f"({int(changes['private_joined'].sum()):,} of the joiners private)")
    if highlight:
        part = councils[councils["year"].eq(latest) & councils["la_code"].isin(highlight)]
        here = areas[areas["year"].eq(latest) & areas["area_name"].eq(name)] if name else pd.DataFrame()
        title = name or ", ".join(register().name(c) for c in highlight)
        if len(here):
            lines.append(_area_lines(title, here.iloc[0], _earlier(areas, name, first), first))
            lines.append(f"  owners               HHI {_count(here.iloc[0]['hhi'])}; top three "
                         f"{_share(here.iloc[0]['top3_share'])}; largest {here.iloc[0]['top_owner_name']}")
        lowest = part.dropna(subset=["sufficiency_ratio"]).nsmallest(3, "sufficiency_ratio")
        if len(lowest):
            lines.append("  lowest sufficiency   " + ", ".join(
                f"{r.la_name} {r.sufficiency_ratio:.2f} ({r.places:.0f} places, {r.children_in_homes:.0f} children)"
                for r in lowest.itertuples()))
    if latest in england.index:
        national = councils[councils["year"].eq(latest)].dropna(subset=["sufficiency_ratio"])
        none = national[national["places"].eq(0)]
        lowest = national[national["places"].gt(0)].nsmallest(3, "sufficiency_ratio")
        lines.append(f"  lowest in England    {len(none)} councils have no children's home"
                     + (f" ({', '.join(none['la_name'].head(4))}{', ...' if len(none) > 4 else ''})" if len(none)
                        else "") + "; then " + ", ".join(f"{r.la_name} {r.sufficiency_ratio:.2f}"
                                                        for r in lowest.itertuples()))
    return "\n".join(lines)


def _year(value) -> str:
    return "year not published" if value is None or pd.isna(value) else f"{int(value)}"


def _earlier(areas: pd.DataFrame, name: str, year: int):
    rows = areas[areas["area_name"].eq(name) & areas["year"].eq(year)]
    return rows.iloc[0] if len(rows) else None


def _area_lines(title: str, now, then, first: int) -> str:
    growth = ""
    if then is not None and then["places"]:
        growth = f"; {first}: {then['homes']:,.0f} homes, {then['places']:,.0f} places, {_share(then['private_share'])} private"
    return "\n".join([
        f"{title}",
        f"  children's homes     {now['homes']:,.0f} homes, {now['places']:,.0f} places, {_share(now['private_share'])} "
        f"private{growth}",
        f"  places per 10,000    {_ratio(now['places_per_10k'])} children aged 0-17",
        f"  sufficiency ratio    {_ratio(now['sufficiency_ratio'])} places per child looked after in a children's "
        f"home ({_count(now['children_in_homes'])} children)",
        f"  away from home       {_share(now['outside_la_share'])} of children looked after placed outside their "
        f"council, {_share(now['over_20_miles_share'])} more than 20 miles away",
    ])

