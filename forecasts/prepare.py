"""SSDA903 preparation: from the header, episodes and UASC tables to clean placement spells.

Each rule below cleans one kind of problem the DfE return is known to have, and reports how many rows it
touched, so an analyst can see what was done to their data. Logical problems worth a person's attention are
also added to an issues table (file, row, column, value, rule, severity) like the loader's; an error there means
the history cannot be trusted and nothing is forecast.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.problems import FIRST_RECORD_ROW, Problems, ValidationError
from data.region import Region
from data.ssda903.history import relocate
from data.vocabulary import K3_FROM, LEGACY_SUPPORTED_PLACES
from forecasts.groups import ADULT_AGE, AGE_BANDS, AGE_EDGES, birthday, exit_reason, placement_group

EPISODES_FILE, HEADER_FILE = "episodes.csv", "header.csv"
NO_MOVE_RNE = ("L", "T", "U")  # legal status change, or new placement type with the same carers
SPELL_COLUMNS = ["child", "la_code", "group", "age_band", "start", "end", "period", "exit_reason", "uasc", "dob"]
REPORT_COLUMNS = ["rule", "rows", "description"]
FIRST_MONTH_LEAVER_SHARE = 0.25


@dataclass(frozen=True)
class Preparation:
    """Clean spells (one row per child x placement group x age band, `end` exclusive and NaT while open), what
    each rule did, the problems found, the first month the extract holds completely and the date it runs to."""
    spells: pd.DataFrame
    report: pd.DataFrame
    issues: pd.DataFrame
    first_month: pd.Timestamp
    as_of: pd.Timestamp
    excluded: object = None  # forecasts.sound.Exclusion: the children left out, their records having errors


def prepare(region: Region) -> Preparation:
    """Clean a region's SSDA903 history into spells; raise ValidationError if it has errors."""
    problems = Problems()
    report: list[tuple[str, int, str]] = []
    header, episodes = region.header, region.episodes
    if episodes.empty or header.empty:
        missing = EPISODES_FILE if episodes.empty else HEADER_FILE
        problems.add(missing, None, "", "", "no SSDA903 history: forecasting needs header.csv and episodes.csv "
                                            "with at least two years of episodes")
        raise ValidationError(region.source or "region", problems.table())
    episodes = episodes.assign(row=episodes.index.to_numpy() + FIRST_RECORD_ROW)
    as_of = max(episodes["DECOM"].max(), episodes["DEC"].max() if episodes["DEC"].notna().any() else pd.NaT)

    episodes = _drop_exact_duplicates(episodes, report)
    episodes = _same_start(episodes, report, problems)
    # The loader has checked that header.csv has one row per child; a lookup is a third of the time of a merge.
    episodes = episodes.assign(DOB=episodes["CHILD"].map(header.set_index("CHILD")["DOB"]))
    episodes = _before_birth(episodes, problems)
    episodes = _resolve_overlaps(episodes, report, problems)
    episodes["group"] = placement_group(episodes["PLACE"], episodes["PLACE_PROVIDER"], episodes["DECOM"])
    legacy = episodes["PLACE"].isin(LEGACY_SUPPORTED_PLACES) & (episodes["DECOM"] < pd.Timestamp(K3_FROM))
    report.append(("placement_group", len(episodes),
                   f"episodes given a placement group from PLACE and PLACE_PROVIDER ({int(legacy.sum())} of them "
                   "H5 or P2 before 2025/26, counted as supported)"))
    episodes = _care_periods(episodes, report, problems)
    first_month = _first_full_month(episodes)
    spells = _merge_no_move(episodes, report)
    spells = _uasc(spells, region.uasc, report)
    spells = _split_age_bands(spells, as_of, report, problems)

    issues = relocate(problems.table(), {"episodes": region.episodes, "header": region.header},
                      {"episodes": EPISODES_FILE, "header": HEADER_FILE})
    if (issues["severity"] == "error").any():
        raise ValidationError(region.source or "region", issues)
    return Preparation(spells=spells, report=pd.DataFrame(report, columns=REPORT_COLUMNS), issues=issues,
                       first_month=first_month, as_of=pd.Timestamp(as_of))


def _drop_exact_duplicates(episodes: pd.DataFrame, report: list) -> pd.DataFrame:
    columns = [c for c in episodes.columns if c != "row"]
    # Identical rows share the child and the start, so only rows sharing those are compared on every column
    # (comparing all 750,000 national rows on every column was a sixth of the preparation).
    alike = episodes.duplicated(subset=["CHILD", "DECOM"], keep=False).to_numpy()
    duplicate = np.zeros(len(episodes), dtype=bool)
    duplicate[alike] = episodes[alike].duplicated(subset=columns, keep="first").to_numpy()
    report.append(("exact_duplicates", int(duplicate.sum()), "episodes identical to an earlier row, dropped"))
    return episodes[~duplicate]


def _same_start(episodes: pd.DataFrame, report: list, problems: Problems) -> pd.DataFrame:
    """Two different episodes for one child starting the same day: the later row is taken as the correction."""
    repeated = episodes.duplicated(subset=["CHILD", "DECOM"], keep="last")
    dropped = episodes[repeated]
    problems.add_rows(EPISODES_FILE, dropped["row"], "DECOM", dropped["DECOM"].tolist(),
                      "another episode of this child starts the same day; the later row is used", "warning")
    report.append(("same_start", int(repeated.sum()),
                   "episodes starting the same day as a later row for the same child, dropped"))
    return episodes[~repeated]


def _before_birth(episodes: pd.DataFrame, problems: Problems) -> pd.DataFrame:
    early = (episodes["DECOM"] < episodes["DOB"]).to_numpy()
    bad = episodes[early]
    problems.add_rows(EPISODES_FILE, bad["row"], "DECOM", bad["DECOM"].tolist(),
                      "episode starts before the child's date of birth in header.csv")
    return episodes


def _resolve_overlaps(episodes: pd.DataFrame, report: list, problems: Problems) -> pd.DataFrame:
    """An episode still open, or ending after the next one starts, is ended when the next one starts."""
    episodes = episodes.sort_values(["CHILD", "DECOM"], kind="stable").reset_index(drop=True)
    next_start = episodes.groupby("CHILD", sort=False)["DECOM"].shift(-1)
    overlap = (next_start.notna() & (episodes["DEC"].isna() | (episodes["DEC"] > next_start))).to_numpy()
    hit = episodes[overlap]
    problems.add_rows(EPISODES_FILE, hit["row"], "DEC", hit["DEC"].tolist(),
                      "episode is open or ends after the child's next episode starts; ended at the next start",
                      "warning")
    episodes.loc[overlap, "DEC"] = next_start[overlap]
    report.append(("overlaps", int(overlap.sum()),
                   "episodes open or ending after the next episode starts, ended at the next start"))
    return episodes


def _care_periods(episodes: pd.DataFrame, report: list, problems: Problems) -> pd.DataFrame:
    """Number each child's periods of care: a new one starts with RNE S or after a gap out of care."""
    same_child = episodes["CHILD"].eq(episodes["CHILD"].shift())
    contiguous = same_child & episodes["DECOM"].eq(episodes["DEC"].shift())
    gap_not_s = same_child & ~contiguous & episodes["RNE"].ne("S")
    bad = episodes[gap_not_s.to_numpy()]
    problems.add_rows(EPISODES_FILE, bad["row"], "RNE", bad["RNE"].tolist(),
                      "episode starts after a gap in care but RNE is not S; taken as a new period of care", "warning")
    report.append(("gap_without_s", int(gap_not_s.sum()),
                   "episodes after a gap in care whose RNE is not S, taken as a new period of care"))
    episodes["period"] = (~contiguous | episodes["RNE"].eq("S")).cumsum() - 1
    episodes["contiguous"] = contiguous
    return episodes


def _first_full_month(episodes: pd.DataFrame) -> pd.Timestamp:
    """An extract holds the children in care at any time since its start, so months before it undercount the
    stock (children who left earlier are missing). The start shows as the first month with a typical number
    of children leaving care; earlier months have only the odd period that ended before it."""
    ends = episodes.drop_duplicates("period", keep="last")["DEC"].dropna()
    if ends.empty:
        return episodes["DECOM"].min().to_period("M").to_timestamp()
    per_month = ends.dt.to_period("M").value_counts().sort_index()
    full = per_month[per_month >= FIRST_MONTH_LEAVER_SHARE * per_month.median()]
    return full.index[0].to_timestamp()


def _merge_no_move(episodes: pd.DataFrame, report: list) -> pd.DataFrame:
    """Fold an episode with RNE L, T or U into the one before: the child did not move. Where the placement group
    changes without a move (foster carers adopting, RNE T), the spell still splits, as the group changed."""
    same_group = episodes["group"].eq(episodes["group"].shift())
    absorb = (episodes["contiguous"] & episodes["RNE"].isin(NO_MOVE_RNE) & same_group
              & episodes["period"].eq(episodes["period"].shift()))
    report.append(("merge_no_move", int(absorb.sum()),
                   "episodes with RNE L, T or U merged into the episode before (no real move)"))
    # Spells are runs of rows, each begun by a row not absorbed: their first rows give what a spell starts with,
    # without grouping (which, on strings, took 2 s of the national preparation's 11).
    first = ~absorb.to_numpy()
    last = np.r_[first[1:], True]
    # The last row of a spell or period decides its end; groupby's last() would skip an open (blank) DEC.
    period_last = episodes.drop_duplicates("period", keep="last").set_index("period")
    spells = episodes.loc[first, ["CHILD", "LA", "group", "DECOM", "period", "DOB", "row"]].rename(columns={
        "CHILD": "child", "LA": "la_code", "DECOM": "start", "DOB": "dob"}).reset_index(drop=True)
    spells["end"] = episodes["DEC"].to_numpy()[last]
    reason = exit_reason(spells["period"].map(period_last["REC"]))
    spells["exit_reason"] = reason.where(spells["period"].map(period_last["DEC"]).notna().to_numpy(), "")
    return spells.reset_index(drop=True)


def _uasc(spells: pd.DataFrame, uasc: pd.DataFrame, report: list) -> pd.DataFrame:
    """A period is an unaccompanied child's if the child is in uasc.csv and the status had not ceased by entry."""
    ceased = uasc.drop_duplicates("CHILD", keep="last").set_index("CHILD")["DUC"]
    entered = spells.groupby("period")["start"].transform("min")
    listed = spells["child"].isin(ceased.index)
    duc = spells["child"].map(ceased)
    spells["uasc"] = (listed & (duc.isna() | (duc > entered))).to_numpy()
    report.append(("uasc", int(spells.loc[spells["uasc"], "period"].nunique()),
                   "periods of care of unaccompanied asylum-seeking children (uasc.csv)"))
    return spells


def _split_age_bands(spells: pd.DataFrame, as_of: pd.Timestamp, report: list, problems: Problems) -> pd.DataFrame:
    """One row per spell x age band crossed, cut at the 1st, 5th, 10th and 16th birthdays, and ended at the 18th."""
    dob = spells["dob"].to_numpy("datetime64[D]")
    start = spells["start"].to_numpy("datetime64[D]")
    closed = spells["end"].notna().to_numpy()
    extract_end = np.datetime64(as_of, "D") + 1  # an open spell runs to the end of the extract, and on
    end = np.where(closed, spells["end"].to_numpy("datetime64[D]"), extract_end)
    edges = birthday(dob[:, None], np.asarray(AGE_EDGES))  # (spell, birthday)
    adult = edges[:, -1]
    report.append(("ended_at_18", int((end > adult).sum()), "spells running past the 18th birthday, ended then"))
    after = start >= adult
    bad = spells[after]
    problems.add_rows(EPISODES_FILE, bad["row"], "DECOM", bad["start"].tolist(),
                      f"the child is {ADULT_AGE} or over when this episode starts; left out", "warning")
    piece_start = np.maximum(start[:, None], edges[:, :-1])
    piece_end = np.minimum(end[:, None], edges[:, 1:])
    spell_of, band = np.nonzero(piece_start < piece_end)
    out = spells.iloc[spell_of].reset_index(drop=True)
    out["age_band"] = np.asarray(AGE_BANDS, dtype=object)[band]
    out["start"] = pd.to_datetime(piece_start[spell_of, band])
    still_open = ~closed[spell_of] & (piece_end[spell_of, band] == extract_end)
    out["end"] = pd.to_datetime(np.where(still_open, np.datetime64("NaT"), piece_end[spell_of, band]))
    report.append(("age_band_splits", int(len(out) - (len(spells) - int(after.sum()))),
                   "extra rows from cutting spells at the 1st, 5th, 10th and 16th birthdays"))
    return out[SPELL_COLUMNS]
