"""The SSDA903 history: header, episodes and UASC tables for every child in care at any time since
HISTORY_START, as a multi-year extract of the DfE return would hold them.

Each care period (flows.py) becomes a run of episodes: it starts (RNE S), the child moves placement now and
then (P, or T when foster carers go on to adopt), the legal status changes (L; B when both change on one day),
and it ends with the period's exit reason, or stays open for the children in care now, whose last episode is
exactly their row in children.csv. Episodes that ended before HISTORY_START are left out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.synthetic.days import DAYS_PER_YEAR, HISTORY_START, K3_FROM, SNAPSHOT, birthday, iso
from data.synthetic.sampling import categorical, pick
from data.synthetic.snapshot import OTHER_CODES, PLACE_CODES, SUPPLY_TYPE
from data.vocabulary import FOSTER_PLACES

# Placements before the last one, by age at the move: shares of each group (assumption).
GROUPS = ("kinship", "foster_inhouse", "foster_ifa", "childrens_home", "secure", "supported", "with_parents",
          "other")
EARLIER_MIX = {0: (0.18, 0.45, 0.22, 0.0, 0.0, 0.0, 0.07, 0.08), 5: (0.20, 0.42, 0.28, 0.03, 0.0, 0.0, 0.07, 0.0),
               10: (0.12, 0.33, 0.30, 0.18, 0.01, 0.0, 0.04, 0.02), 16: (0.08, 0.20, 0.20, 0.17, 0.0, 0.30, 0.03, 0.02)}
# The last placement of children who left, by exit reason: (group, chance it is that group), assumption.
LAST_PLACEMENT = {"E11": ("adoption", 1.0), "E12": ("adoption", 1.0), "E45": ("kinship", 0.8),
                  "E46": ("foster_inhouse", 0.8), "E17": ("foster_inhouse", 0.8), "E5": ("supported", 0.6),
                  "E6": ("supported", 0.6), "E41": ("kinship", 0.5), "E4A": ("with_parents", 0.4),
                  "E7": ("childrens_home", 0.7)}
# Legal status journeys ending in each status: (statuses in order, share), assumption after DfE legal status data.
LEGAL_PATHS = {
    "C2": ((("C1", "C2"), 0.55), (("V2", "C1", "C2"), 0.10), (("L2", "C1", "C2"), 0.08), (("V2", "C2"), 0.12),
           (("C2",), 0.15)),
    "E1": ((("C1", "E1"), 0.60), (("C1", "C2", "E1"), 0.25), (("L2", "C1", "E1"), 0.15)),
    "V2": ((("V2",), 0.85), (("L1", "V2"), 0.15)),
    "C1": ((("C1",), 0.70), (("L2", "C1"), 0.30)),
    "J1": ((("J1",), 1.0),),
}
LEGAL_CHANGES_WITHIN_DAYS = 900  # legal status settles within ~2.5 years of entry
SAME_DAY_AS_MOVE = 0.3  # share of legal status changes made on the day of a move
CHANGE_REASONS = (("CARPL", 0.35), ("CREQB", 0.12), ("CREQO", 0.10), ("CHILD", 0.08), ("LAREQ", 0.10),
                  ("ALLEG", 0.03), ("STAND", 0.04), ("APPRR", 0.02), ("CLOSE", 0.04), ("PLACE", 0.04),
                  ("OTHER", 0.08))
CATEGORY_OF_NEED = (("N1", 0.62), ("N2", 0.03), ("N3", 0.03), ("N4", 0.08), ("N5", 0.15), ("N6", 0.02),
                    ("N7", 0.002), ("N8", 0.048))
ETHNICITY = (("WBRI", 0.66), ("WOTH", 0.05), ("WIRI", 0.01), ("MWBC", 0.04), ("MWBA", 0.01), ("MWAS", 0.02),
             ("MOTH", 0.04), ("AIND", 0.01), ("APKN", 0.03), ("ABAN", 0.01), ("AOTH", 0.01), ("BCRB", 0.01),
             ("BAFR", 0.03), ("BOTH", 0.01), ("CHNE", 0.002), ("OOTH", 0.03), ("NOBT", 0.028))
UASC_ETHNICITY = (("OOTH", 0.35), ("AOTH", 0.25), ("BAFR", 0.25), ("BOTH", 0.10), ("WOTH", 0.05))


def tables(rng: np.random.Generator, periods: pd.DataFrame, kids: pd.DataFrame,
           settings: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """header, episodes and uasc, in schema column order."""
    periods = _with_current(periods, kids)
    segments = _placements(rng, periods)
    _settings_for(rng, segments, periods, settings)
    legal = _legal_changes(rng, periods, segments)
    episodes = _episodes(rng, periods, segments, legal)
    return {"header": _header(rng, periods), "episodes": episodes, "uasc": _uasc(periods)}


def _with_current(periods: pd.DataFrame, kids: pd.DataFrame) -> pd.DataFrame:
    now = kids.set_index("child_id")[["place", "group", "legal_status", "placement_start", "moves",
                                      "current_setting_id"]]
    out = periods.join(now, on="child_id")
    out["end"] = np.where(out["open"], SNAPSHOT, out["exit"])
    out["years"] = (out["end"] - out["entry"]) / DAYS_PER_YEAR
    return out.reset_index(drop=True)


def _placements(rng: np.random.Generator, periods: pd.DataFrame) -> pd.DataFrame:
    """One row per placement (child, start day, group, PLACE), in order within each child."""
    entry, end, is_open = periods["entry"].to_numpy(), periods["end"].to_numpy(), periods["open"].to_numpy()
    moves = np.where(is_open, periods["moves"].fillna(0).to_numpy(int), rng.poisson(0.4 + 0.35 * periods["years"]))
    moves = np.where(end - entry >= 2, np.minimum(moves, 12), 0)
    last = np.where(is_open, periods["placement_start"].fillna(0).to_numpy(np.int64), end - 1)
    child = np.repeat(np.arange(len(periods)), moves)
    is_last = np.r_[np.diff(child) != 0, True] if child.size else np.zeros(0, bool)
    low, high = entry[child] + 1, np.where(is_open[child], last[child], end[child])
    day = low + np.floor(rng.random(child.size) * np.maximum(high - low, 0)).astype(np.int64)
    day = np.where(is_last & is_open[child], last[child], day)
    moves_table = pd.DataFrame({"child": child, "start": day}).drop_duplicates()
    firsts = pd.DataFrame({"child": np.arange(len(periods)), "start": entry})
    segments = pd.concat([firsts, moves_table]).sort_values(["child", "start"], kind="stable", ignore_index=True)
    segments["last"] = np.r_[segments["child"].to_numpy()[1:] != segments["child"].to_numpy()[:-1], True]
    age = (segments["start"].to_numpy() - periods["dob"].to_numpy()[segments["child"]]) / DAYS_PER_YEAR
    segments["age"] = age
    segments["group"] = _earlier_groups(rng, age)
    _last_groups(rng, segments, periods)
    segments["place"] = _codes(rng, segments)
    _fix_same_carer_adoptions(segments)
    current = segments["last"].to_numpy() & is_open[segments["child"]]
    segments.loc[current, "place"] = periods["place"].to_numpy()[segments.loc[current, "child"]]
    return segments


def _earlier_groups(rng: np.random.Generator, age: np.ndarray) -> np.ndarray:
    bands = np.asarray(list(EARLIER_MIX))
    mix = np.asarray(list(EARLIER_MIX.values()))[np.searchsorted(bands, age, side="right") - 1]
    return np.asarray(GROUPS, dtype=object)[categorical(rng, mix)]


def _last_groups(rng: np.random.Generator, segments: pd.DataFrame, periods: pd.DataFrame) -> None:
    """The last placement fits how care ended (adopted from an adoptive placement, SGO with kinship carers...),
    and for children in care now it is their current placement group."""
    last = np.flatnonzero(segments["last"].to_numpy())
    child = segments["child"].to_numpy()[last]
    rec = periods["rec"].to_numpy()[child]
    wanted = pd.Series(rec).map({k: v[0] for k, v in LAST_PLACEMENT.items()}).to_numpy()
    chance = pd.Series(rec).map({k: v[1] for k, v in LAST_PLACEMENT.items()}).fillna(0).to_numpy()
    grown_up = (wanted != "supported") | (segments["age"].to_numpy()[last] >= 16)
    take = (rng.random(last.size) < chance) & grown_up
    groups = segments["group"].to_numpy().copy()
    groups[last[take]] = wanted[take]
    is_open = periods["open"].to_numpy()[child]
    groups[last[is_open]] = periods["group"].to_numpy()[child[is_open]]
    segments["group"] = groups


def _codes(rng: np.random.Generator, segments: pd.DataFrame) -> np.ndarray:
    """SSDA903 PLACE for each placement; supported accommodation was H5/P2 until K3 began in 2025-26."""
    group = segments["group"].to_numpy()
    age = segments["age"].to_numpy()
    place = np.full(len(segments), "", dtype=object)
    for name, (codes, shares) in PLACE_CODES.items():
        rows = np.flatnonzero(np.char.startswith(group.astype(str), name))
        place[rows] = pick(rng, codes, shares, rows.size)
    place[np.isin(place, ["U2", "U5"]) & (age >= 5)] = "U6"
    old = (group == "supported") & (segments["start"].to_numpy() < K3_FROM)
    place[old] = pick(rng, ("H5", "P2"), (0.85, 0.15), int(old.sum()))
    other = np.flatnonzero(group == "other")
    weights = np.column_stack([np.full(other.size, 5.0), np.full(other.size, 1.5), np.where(age[other] < 2, 8.0, 0),
                               np.where(age[other] >= 15, 3.0, 0), np.where(age[other] >= 16, 0.3, 0)])
    place[other] = np.asarray(OTHER_CODES, dtype=object)[categorical(rng, weights)]
    return place


def _fix_same_carer_adoptions(segments: pd.DataFrame) -> None:
    """Placed for adoption with current foster carers (A3/A5) only follows a foster placement; the first
    placement may be one (fostering for adoption), later ones must have been with those carers."""
    place = segments["place"].to_numpy()
    child = segments["child"].to_numpy()
    follows = np.r_[False, child[1:] == child[:-1]]
    previous = _previous(place)
    wrong = np.isin(place, ["A3", "A5"]) & follows & ~np.isin(previous, FOSTER_PLACES)
    before = np.flatnonzero(wrong) - 1
    place[before] = "U4"
    segments.loc[before, "group"] = "foster_inhouse"
    segments["place"] = place


def _previous(values: np.ndarray) -> np.ndarray:
    return np.concatenate([np.asarray([""], dtype=object), values[:-1]])


def _settings_for(rng: np.random.Generator, segments: pd.DataFrame, periods: pd.DataFrame,
                  settings: pd.DataFrame) -> None:
    """URN and PLACE_PROVIDER for each placement: a setting of the right type (the child's own setting now)."""
    supply = segments["group"].map(SUPPLY_TYPE).fillna(segments["place"].map(SUPPLY_TYPE)).fillna("").to_numpy()
    supply = np.where(np.isin(segments["place"], ["H5", "P2", "K3"]), "supported_accommodation", supply)
    council = periods["la_code"].to_numpy()[segments["child"]]
    usable = settings[~settings["registration_status"].isin(["unregistered", "applied"])]
    urn = np.full(len(segments), "", dtype=object)
    for kind in np.unique(supply[supply != ""]):
        pool = usable[usable["setting_type"].eq(kind)]
        rows = np.flatnonzero(supply == kind)
        if kind == "foster_inhouse":
            _own_council_carers(rng, urn, rows, council, pool)
        elif len(pool):
            urn[rows] = pool["setting_id"].to_numpy()[rng.integers(0, len(pool), rows.size)]
    current = segments["last"].to_numpy() & periods["open"].to_numpy()[segments["child"]]
    urn[current] = periods["current_setting_id"].to_numpy()[segments["child"].to_numpy()[current]]
    segments["urn"] = urn
    segments["provider"] = _provider_codes(rng, segments, council, settings)


def _own_council_carers(rng, urn: np.ndarray, rows: np.ndarray, council: np.ndarray, pool: pd.DataFrame) -> None:
    """Each in-house placement with one of the child's own council's foster households."""
    pool = pool.sort_values(["owner_la", "setting_id"])
    owners = pool["owner_la"].to_numpy()
    first = np.searchsorted(owners, council[rows], side="left")
    count = np.searchsorted(owners, council[rows], side="right") - first
    chosen = first + np.floor(rng.random(rows.size) * count).astype(int)
    urn[rows[count > 0]] = pool["setting_id"].to_numpy()[chosen[count > 0]]


def _provider_codes(rng, segments: pd.DataFrame, council: np.ndarray, settings: pd.DataFrame) -> np.ndarray:
    """PLACE_PROVIDER: from the setting's provider when there is one (own council PR1, another council PR2,
    private PR4, voluntary PR5), else from the kind of placement."""
    info = settings.set_index("setting_id")[["sector", "owner_la"]]
    has = segments["urn"].ne("").to_numpy()
    sector = np.full(len(segments), "", dtype=object)
    owner = np.full(len(segments), "", dtype=object)
    sector[has] = info["sector"].reindex(segments["urn"][has]).fillna("private").to_numpy()
    owner[has] = info["owner_la"].reindex(segments["urn"][has]).fillna("").to_numpy()
    place = segments["place"].to_numpy()
    adoption = pick(rng, ("PR1", "PR2", "PR5"), (0.6, 0.15, 0.25), len(segments))
    by_place = np.select([np.isin(place, ["U1", "U2", "U3", "R3"]), place == "P1", np.char.startswith(
        place.astype(str), "A"), np.isin(place, ["R2", "R5"])], ["PR1", "PR0", adoption, "PR3"], "PR4")
    by_setting = np.select([sector == "local_authority", sector == "voluntary", sector == "health_authority"],
                           [np.where(owner == council, "PR1", "PR2"), "PR5", "PR3"], "PR4")
    return np.where(has, by_setting, by_place)


def _final_legal_status(rng: np.random.Generator, periods: pd.DataFrame) -> np.ndarray:
    rec, uasc = periods["rec"].to_numpy(), periods["uasc"].to_numpy()
    at_18 = np.isin(rec, ["E17", "E5", "E6", "E8", "E7", "E9"])
    n = len(periods)
    return np.select(
        [periods["open"].to_numpy(), np.isin(rec, ["E11", "E12"]), np.isin(rec, ["E45", "E46", "E47", "E48", "E41"]),
         rec == "E14", uasc, np.isin(rec, ["E4A", "E4B", "E13"]), at_18],
        [periods["legal_status"].fillna("").to_numpy(), "E1", "C2", "J1", "V2",
         pick(rng, ("V2", "C1", "C2"), (0.55, 0.2, 0.25), n), pick(rng, ("C2", "V2"), (0.65, 0.35), n)],
        pick(rng, ("V2", "C2"), (0.5, 0.5), n))


def _legal_changes(rng: np.random.Generator, periods: pd.DataFrame, segments: pd.DataFrame) -> pd.DataFrame:
    """Legal status journeys: (child, day, status) for each status after the first, and the first status."""
    final = _final_legal_status(rng, periods)
    path = np.empty(len(periods), dtype=object)
    for status, options in LEGAL_PATHS.items():
        rows = np.flatnonzero(final == status)
        choices, shares = zip(*options)
        path[rows] = [choices[i] for i in rng.choice(len(choices), size=rows.size, p=shares)]
    entry, end = periods["entry"].to_numpy(), periods["end"].to_numpy()
    lengths = np.array([len(p) for p in path])
    lengths = np.where(end - entry > 3 * lengths, lengths, 1)
    periods["first_status"] = [p[len(p) - n] for p, n in zip(path, lengths)]
    child = np.repeat(np.arange(len(periods)), lengths - 1)
    status = np.asarray([code for p, n in zip(path, lengths) for code in p[len(p) - n + 1:]], dtype=object)
    last_move = segments.groupby("child")["start"].max().reindex(np.arange(len(periods))).to_numpy()
    adoption = final == "E1"
    cap = np.minimum(end - 1, entry + LEGAL_CHANGES_WITHIN_DAYS)
    cap = np.where(adoption & (last_move > entry), np.minimum(cap, last_move), cap)
    low = entry[child] + 1
    day = low + np.floor(rng.random(child.size) * np.maximum(cap[child] - low + 1, 1)).astype(np.int64)
    day = _on_move_days(rng, child, day, low, cap[child], segments)
    order = np.lexsort((day, child))  # statuses stay in journey order; their days are sorted within each child
    return pd.DataFrame({"child": child, "day": day[order], "status": status})


def _on_move_days(rng, child: np.ndarray, day: np.ndarray, low: np.ndarray, high: np.ndarray,
                  segments: pd.DataFrame) -> np.ndarray:
    """Move some legal changes onto the day of one of the child's moves, when one falls in the window."""
    mover = segments["child"].to_numpy()
    later = np.r_[False, mover[1:] == mover[:-1]]  # every placement but each child's first is a move
    mover, move_day = mover[later], segments["start"].to_numpy()[later]
    first = np.searchsorted(mover, child, side="left")
    count = np.searchsorted(mover, child, side="right") - first
    at = np.minimum(first + np.floor(rng.random(child.size) * count).astype(int), max(move_day.size - 1, 0))
    candidate = move_day[at] if move_day.size else day
    use = (count > 0) & (rng.random(child.size) < SAME_DAY_AS_MOVE) & (candidate >= low) & (candidate <= high)
    return np.where(use, candidate, day)


def _episodes(rng: np.random.Generator, periods: pd.DataFrame, segments: pd.DataFrame,
              legal: pd.DataFrame) -> pd.DataFrame:
    """Merge starts, moves and legal changes into episodes (one per day on which something changed)."""
    firsts = ~np.r_[False, segments["child"].to_numpy()[1:] == segments["child"].to_numpy()[:-1]]
    moves = segments.loc[~firsts, ["child", "start"]].to_numpy()
    child = np.concatenate([np.arange(len(periods)), moves[:, 0], legal["child"].to_numpy()]).astype(np.int64)
    day = np.concatenate([periods["entry"].to_numpy(), moves[:, 1], legal["day"].to_numpy()]).astype(np.int64)
    kind = np.repeat([0, 1, 2], [len(periods), len(moves), len(legal)])
    base = int(day.min())
    keys, event = np.unique(child * 65536 + (day - base), return_inverse=True)
    counts = [np.bincount(event, weights=kind == k, minlength=keys.size) for k in range(3)]
    ep_child, ep_day = keys // 65536, keys % 65536 + base
    moved, changed = counts[1] > 0, counts[2] > 0
    placement = segments.index.to_numpy()[firsts][ep_child] + _running_count(ep_child, counts[1])
    status = _statuses(periods, legal, ep_child, _running_count(ep_child, counts[2]))
    place = segments["place"].to_numpy()[placement]
    last = np.r_[ep_child[1:] != ep_child[:-1], True]
    return _episode_table(rng, periods, segments, ep_child, ep_day, placement, place, status,
                          _reasons_for_new_episode(counts[0] > 0, moved, changed, place, ep_child), last)


def _running_count(child: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Cumulative sum of counts within each child (rows sorted by child)."""
    total = np.cumsum(counts)
    starts = np.r_[0, np.flatnonzero(np.diff(child)) + 1]
    before = np.repeat(total[starts] - counts[starts], np.diff(np.r_[starts, child.size]))
    return (total - before).astype(int)


def _statuses(periods: pd.DataFrame, legal: pd.DataFrame, child: np.ndarray, done: np.ndarray) -> np.ndarray:
    """Legal status in force after each episode's changes: the first status, then the journey's later ones."""
    offset = np.searchsorted(legal["child"].to_numpy(), child, side="left")
    later = legal["status"].to_numpy()[np.clip(offset + done - 1, 0, max(len(legal) - 1, 0))] if len(legal) else None
    return np.where(done == 0, periods["first_status"].to_numpy()[child], later)


def _reasons_for_new_episode(started, moved, changed, place: np.ndarray, child: np.ndarray) -> np.ndarray:
    """RNE: S start, P move, L legal change, B both; T/U when the move keeps the same carers (foster carers
    who go on to adopt)."""
    previous = _previous(place)
    same_carers = moved & np.isin(place, ["A3", "A5"]) & np.isin(previous, FOSTER_PLACES) & np.r_[
        False, child[1:] == child[:-1]]
    return np.select([started, same_carers & changed, same_carers, moved & changed, moved], ["S", "U", "T", "B", "P"],
                     "L")


def _episode_table(rng, periods, segments, child, decom, placement, place, status, rne, last) -> pd.DataFrame:
    is_open = periods["open"].to_numpy()[child]
    dec = np.where(last, np.where(is_open, -1, periods["end"].to_numpy()[child]), np.r_[decom[1:], 0])
    rec = np.where(last, periods["rec"].to_numpy()[child], "X1")
    next_moves = np.r_[np.isin(rne[1:], ["P", "B", "T", "U"]), False] & ~last
    reasons = pick(rng, *zip(*CHANGE_REASONS), child.size)
    need = pick(rng, *zip(*CATEGORY_OF_NEED), len(periods))
    need = np.where(periods["uasc"], "N8", need)
    keep = (dec >= HISTORY_START) | (dec < 0)
    table = pd.DataFrame({
        "CHILD": periods["child_id"].to_numpy()[child], "DECOM": iso(decom), "RNE": rne, "LS": status,
        "CIN": need[child], "PLACE": place, "PLACE_PROVIDER": segments["provider"].to_numpy()[placement],
        "DEC": iso(dec), "REC": rec, "REASON_PLACE_CHANGE": np.where(next_moves, reasons, ""), "HOME_POST": "",
        "PL_POST": "", "URN": segments["urn"].to_numpy()[placement], "LA": periods["la_code"].to_numpy()[child]})
    return table[keep].reset_index(drop=True)


def _header(rng: np.random.Generator, periods: pd.DataFrame) -> pd.DataFrame:
    n = len(periods)
    ethnic = np.where(periods["uasc"], pick(rng, *zip(*UASC_ETHNICITY), n), pick(rng, *zip(*ETHNICITY), n))
    return pd.DataFrame({"CHILD": periods["child_id"], "SEX": np.where(periods["male"], "1", "2"),
                         "DOB": iso(periods["dob"]), "ETHNIC": ethnic, "LA": periods["la_code"]})


def _uasc(periods: pd.DataFrame) -> pd.DataFrame:
    """Unaccompanied children, and when that status ceased: their 18th birthday, or leaving care when an age
    assessment found them to be adults."""
    found = periods[periods["uasc"]]
    adult = birthday(found["dob"].to_numpy(), 18)
    ceased = np.where(found["rec"].eq("E15"), found["exit"], np.where(adult <= SNAPSHOT, adult, -1))
    return pd.DataFrame({"CHILD": found["child_id"], "DUC": iso(ceased), "LA": found["la_code"]}).reset_index(
        drop=True)
