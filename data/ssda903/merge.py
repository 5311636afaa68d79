"""Yearly SSDA903 returns merged into one history, the way Data to Insight's demand model (the DfE-funded tool
councils use) merges them, in collection-year order and never in the order the files were given.

Each return covers a collection year (1 April to 31 March) and repeats every episode still open on 1 April, so
consecutive returns overlap. For each council and child:

1. Episodes starting the same day are one episode: the one with the latest end date is kept (an episode open at
   the end of one return and closed in the next is closed), then the newest return's. A repeated episode is
   counted once; an episode whose other fields differ between returns is a conflict, reported (a warning) on the
   kept record with the other return's file, row and values.
2. Episodes ending the same day in different returns, with different starts, are one episode whose start was
   corrected: the earlier start (the longer episode) is kept, as the demand model does, and the conflict reported.
3. An episode open at the end of one return that the next return (of a later collection year, for the same
   council) does not carry is reported (the DfE's rule 502 checks the same thing): the child was in care on
   1 April, so the next return should have the episode.

Overlaps left after merging (an episode ending after the next starts) are ended at the next start by the
forecast's preparation, as the demand model does, and reported there.

The header, UASC and DoL-order tables keep one record per child (per order for DoL orders) from the newest
return; a date of birth or sex that changed between returns is reported with the DfE's wording (rules 202, 203).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from data.problems import Problems

COMPARED = ("RNE", "LS", "CIN", "PLACE", "PLACE_PROVIDER", "DEC", "REC", "REASON_PLACE_CHANGE", "HOME_POST",
            "PL_POST", "URN")
YEAR = "RETURN_YEAR"  # the collection year (ending 31 March) of the return a record is from, kept in the history


@dataclass
class Return:
    """One council's (or a regional extract's) return of one collection year, parsed: each table has `_file` and
    `_row` (where each record is) and LA."""
    year: int  # the year its collection year ends (2018: 1 April 2017 to 31 March 2018)
    label: str
    tables: dict[str, pd.DataFrame]


@dataclass
class Merged:
    tables: dict[str, pd.DataFrame]
    counts: dict[str, int] = field(default_factory=dict)  # what merging did (repeated, closed, conflicts)


def collection_year(episodes: pd.DataFrame) -> int | None:
    """The collection year a return covers (the year of its closing 31 March): the one its latest start falls in,
    or its latest end when that is more than a month later (a return whose last entry was long before its end).
    None for a return without a dated episode."""
    starts, ends = episodes["DECOM"].dropna(), episodes["DEC"].dropna()
    if starts.empty:
        return None
    latest = starts.max()
    year = latest.year + (1 if latest.month > 3 else 0)
    if not ends.empty and ends.max() > pd.Timestamp(year, 3, 31) + pd.Timedelta(days=31):
        last = ends.max()
        year = last.year + (1 if last.month > 3 else 0)
    return int(year)


def merge_returns(returns: list[Return], problems: Problems) -> Merged:
    """One history from many returns (see the module's docstring)."""
    ordered = sorted(returns, key=lambda r: (r.year, r.label))
    counts = {"returns": len(ordered), "repeated": 0, "closed_by_next_return": 0, "conflicts": 0,
              "start_corrected": 0, "open_not_carried": 0}
    frames: dict[str, list[pd.DataFrame]] = {}
    for order, ret in enumerate(ordered):
        for name, frame in ret.tables.items():
            frames.setdefault(name, []).append(frame.assign(**{YEAR: ret.year, "_order": order}))
    tables = {}
    for name, parts in frames.items():
        frame = pd.concat(parts, ignore_index=True)
        if name == "episodes":
            frame = _episodes(frame, problems, counts)
        elif name == "dol_orders":
            frame = _same_start(frame, ["LA", "CHILD", "DOLO_START"], "DOLO_END", ("DOB", "DOLO_END"), problems,
                                counts, what="DoL order")
        else:
            frame = _one_per_child(frame, name, problems, counts)
        tables[name] = frame.drop(columns="_order").reset_index(drop=True)
    return Merged(tables, counts)


def _episodes(episodes: pd.DataFrame, problems: Problems, counts: dict) -> pd.DataFrame:
    episodes = _same_start(episodes, ["LA", "CHILD", "DECOM"], "DEC", COMPARED, problems, counts, what="episode")
    episodes = _same_end(episodes, problems, counts)
    _open_not_carried(episodes, problems, counts)
    return episodes.sort_values(["LA", "CHILD", "DECOM", "_order"], kind="stable")


def _same_start(frame: pd.DataFrame, key: list[str], end: str, compared, problems: Problems, counts: dict,
                what: str) -> pd.DataFrame:
    """Rule 1: one record per start, the latest end (open counting as earliest) then the newest return kept."""
    ends = frame[end].fillna(pd.Timestamp.min)
    frame = frame.assign(_end=ends).sort_values([*key, "_end", "_order"], kind="stable").drop(columns="_end")
    dropped = frame.duplicated(key, keep="last").to_numpy()
    if not dropped.any():
        return frame
    kept = frame[~dropped].set_index(key)
    compared = [c for c in compared if c in frame.columns]
    for mine in frame[dropped].to_dict("records"):
        keep = kept.loc[tuple(mine[k] for k in key)]
        differ = [c for c in compared if not _same(mine[c], keep[c]) and not (c == end and pd.isna(mine[c]))]
        if not differ and pd.isna(mine[end]) and pd.notna(keep[end]):
            counts["closed_by_next_return"] += 1
            continue
        if not differ:
            counts["repeated"] += 1
            continue
        counts["conflicts"] += 1
        start = key[-1]
        elsewhere = ", ".join(f"{c} {_text(mine[c]) or 'blank'}" for c in differ)
        here = ", ".join(f"{c} {_text(keep[c]) or 'blank'}" for c in differ)
        problems.add(keep["_file"], int(keep["_row"]), ";".join(differ), here,
                     f"child {mine['CHILD']}'s {what} starting {_text(mine[start])} is also in {mine['_file']} row "
                     f"{mine['_row']} (return of {_year_text(mine[YEAR])}) with {elsewhere}: the record with the "
                     f"latest end, then the newest return's, is used (this one, return of {_year_text(keep[YEAR])})",
                     severity="warning")
    return frame[~dropped]


def _same_end(episodes: pd.DataFrame, problems: Problems, counts: dict) -> pd.DataFrame:
    """Rule 2: closed episodes of different returns ending the same day with different starts: the earlier start
    (the longer episode) is kept."""
    closed = episodes["DEC"].notna()
    key = ["LA", "CHILD", "DEC"]
    both = closed & episodes.duplicated(key, keep=False)
    if not both.any():
        return episodes
    group = episodes[both].sort_values([*key, "DECOM"], kind="stable")
    returns = group.groupby(key)["_order"].transform("nunique")
    group = group[returns > 1]
    later = group.duplicated(key, keep="first")
    first = group[~later].set_index(key)
    for mine in group[later].to_dict("records"):
        keep = first.loc[(mine["LA"], mine["CHILD"], mine["DEC"])]
        counts["start_corrected"] += 1
        problems.add(mine["_file"], int(mine["_row"]), "DECOM", _text(mine["DECOM"]),
                     f"child {mine['CHILD']}'s episode ending {_text(mine['DEC'])} starts {_text(mine['DECOM'])} "
                     f"here but {_text(keep['DECOM'])} in {keep['_file']} row {keep['_row']} (return of "
                     f"{_year_text(keep[YEAR])}): taken as one episode, with the earlier start", severity="warning")
    return episodes.drop(index=group[later].index)


def _open_not_carried(episodes: pd.DataFrame, problems: Problems, counts: dict) -> None:
    """Rule 3: an episode open at the end of its return, where the council has a later return that does not
    carry it (no later record of the child starting on or after it)."""
    years = episodes.groupby("LA")[YEAR].max()
    open_ = episodes[episodes["DEC"].isna() & (episodes[YEAR] < episodes["LA"].map(years))]
    if open_.empty:
        return
    later_start = episodes.groupby(["LA", "CHILD"])["DECOM"].max()
    lonely = open_[open_.set_index(["LA", "CHILD"]).index.map(later_start).to_numpy() <= open_["DECOM"].to_numpy()]
    for mine in lonely.to_dict("records"):
        counts["open_not_carried"] += 1
        problems.add(mine["_file"], int(mine["_row"]), "DEC", "",
                     f"child {mine['CHILD']}'s episode starting {_text(mine['DECOM'])} is open at the end of the "
                     f"return of {_year_text(mine[YEAR])}, but the council's later returns do not carry it (DfE "
                     "rule 502: the next return's first episode should start that day): the child is counted in "
                     "care from then on; close the episode if the child left care", severity="warning")


def _one_per_child(frame: pd.DataFrame, name: str, problems: Problems, counts: dict) -> pd.DataFrame:
    """Header and UASC: the newest return's record of each child; a sex or date of birth that changed between
    returns is reported (DfE rules 202 and 203)."""
    frame = frame.sort_values(["LA", "CHILD", "_order"], kind="stable")
    newest = ~frame.duplicated(["LA", "CHILD"], keep="last")
    if name == "header":
        rules = {"SEX": "202: The gender code conflicts with the gender already recorded for this child",
                 "DOB": "203: Date of birth disagrees with the date of birth already recorded for this child"}
        kept = frame[newest].set_index(["LA", "CHILD"])
        for mine in frame[~newest].to_dict("records"):
            keep = kept.loc[(mine["LA"], mine["CHILD"])]
            for column, rule in rules.items():
                if column in frame.columns and not _same(mine[column], keep[column]):
                    counts["conflicts"] += 1
                    problems.add(keep["_file"], int(keep["_row"]), column, _text(keep[column]),
                                 f"DfE rule {rule} ({mine['_file']} row {mine['_row']}, return of "
                                 f"{_year_text(mine[YEAR])}, has {_text(mine[column]) or 'blank'}): the newest "
                                 "return's is used", severity="warning")
    return frame[newest]


def _same(a, b) -> bool:
    if pd.isna(a) and pd.isna(b):
        return True
    if pd.isna(a) or pd.isna(b):
        return False
    return a == b


def _text(value) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NaT:
        return ""
    if isinstance(value, pd.Timestamp):
        return f"{value:%d/%m/%Y}"
    return str(value)


def _year_text(year) -> str:
    year = int(year)
    return f"{year - 1}/{year % 100:02d}"
