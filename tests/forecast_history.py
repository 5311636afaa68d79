"""SSDA903 histories simulated from KNOWN monthly rates, for testing that the forecasts recover them.

Children move month by month exactly as the forecast's chain assumes: each month a child leaves care with a
known probability for their group, otherwise moves to another group with a known probability, and grows older
by their date of birth (leaving care at 18). Entries are Poisson around a known level, trend and seasonality.
Every change happens on a random day inside the month, as in real data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from tests.builders import AUTHORITY, SECOND_AUTHORITY, referral_rows, settings_rows, write_region

# Groups used in the synthetic history and the SSDA903 codes written for each.
CODES = {"kinship": ("U1", "PR1"), "foster_inhouse": ("U4", "PR1"), "foster_ifa": ("U4", "PR4"),
         "childrens_home": ("K2", "PR4")}
USED = tuple(CODES)
SEASON = np.array([0.97, 1.00, 1.05, 0.95, 1.00, 1.02, 1.00, 0.90, 1.03, 1.08, 1.05, 0.95])
COUNCILS = (AUTHORITY["la_code"], SECOND_AUTHORITY["la_code"])


@dataclass(frozen=True)
class KnownRates:
    """Monthly rates by group (the same in every age band) and entries a month per council at the start."""
    exit: dict[str, float] = field(default_factory=lambda: {
        "kinship": 0.02, "foster_inhouse": 0.015, "foster_ifa": 0.012, "childrens_home": 0.03})
    move: dict[tuple[str, str], float] = field(default_factory=lambda: {
        ("foster_inhouse", "foster_ifa"): 0.006, ("foster_ifa", "childrens_home"): 0.008,
        ("childrens_home", "foster_ifa"): 0.02, ("foster_inhouse", "childrens_home"): 0.004,
        ("kinship", "foster_inhouse"): 0.005})
    entry_mix: dict[str, float] = field(default_factory=lambda: {
        "kinship": 0.25, "foster_inhouse": 0.4, "foster_ifa": 0.25, "childrens_home": 0.1})
    entries_per_month: float = 25.0
    growth_per_year: float = 0.05
    uasc_share: float = 0.1


def simulate_903(seed: int, rates: KnownRates = KnownRates(), first: str = "2018-01-01", months: int = 72,
                 start_stock: int = 500, councils: tuple[str, ...] = COUNCILS) -> dict[str, pd.DataFrame]:
    """header, episodes and uasc tables (ISO dates) of children in care from `first` for `months` months."""
    rng = np.random.default_rng(seed)
    month_days = pd.date_range(first, periods=months + 1, freq="MS").to_numpy("datetime64[D]")
    exit_p = np.array([rates.exit.get(g, 0.0) for g in USED])
    move_p = np.zeros((len(USED), len(USED)))
    for (src, dst), p in rates.move.items():
        move_p[USED.index(src), USED.index(dst)] = p
    mix = np.array([rates.entry_mix.get(g, 0.0) for g in USED])

    la = np.repeat(np.arange(len(councils)), start_stock)
    kids = _new_kids(rng, la, month_days[0] - rng.integers(30, 2000, la.size), mix)
    kids["start"] = np.maximum(kids["start"], kids["dob"] + 1)
    kids = {k: v[_birthday(kids["dob"], 18) > month_days[0]] for k, v in kids.items()}
    spells = [(np.arange(kids["la"].size), kids["start"], kids["group"])]
    end = np.full(kids["la"].size, np.datetime64("NaT"), dtype="datetime64[D]")
    rec = np.full(kids["la"].size, "", dtype=object)
    for t in range(months):
        lo, hi = month_days[t], month_days[t + 1]
        length = int((hi - lo).astype(int))
        here = np.flatnonzero(np.isnat(end))
        group = kids["group"][here]
        u = rng.random(here.size)
        leaving = u < exit_p[group]
        moving = ~leaving & (u < exit_p[group] + move_p[group].sum(axis=1))
        end[here[leaving]] = lo + rng.integers(0, length, leaving.sum())
        rec[here[leaving]] = "E4A"
        movers = here[moving]
        to = np.array([rng.choice(len(USED), p=move_p[g] / move_p[g].sum()) for g in kids["group"][movers]], int)
        day = lo + rng.integers(1, length, movers.size)
        spells.append((movers, day, to))
        kids["group"][movers] = to
        adult = _birthday(kids["dob"], 18)
        ageing_out = np.isnat(end) & (adult < hi)
        end[ageing_out] = adult[ageing_out]
        rec[ageing_out] = "E5"
        level = rates.entries_per_month * (1 + rates.growth_per_year) ** (t / 12) * SEASON[pd.Timestamp(lo).month - 1]
        n_new = rng.poisson(level, len(councils))
        new = _new_kids(rng, np.repeat(np.arange(len(councils)), n_new), lo + rng.integers(0, length - 1, n_new.sum()),
                        mix)
        first_id = kids["la"].size
        kids = {k: np.concatenate([kids[k], new[k]]) for k in kids}
        end = np.concatenate([end, np.full(new["la"].size, np.datetime64("NaT"), dtype="datetime64[D]")])
        rec = np.concatenate([rec, np.full(new["la"].size, "", dtype=object)])
        spells.append((np.arange(first_id, kids["la"].size), new["start"], new["group"]))
    return _tables(kids, spells, end, rec, month_days[-1] - 1, councils)


def _new_kids(rng, la, start, mix):
    age_days = (rng.uniform(0, 17.5, la.size) * 365.25).astype(np.int64)
    return {"la": la, "start": np.asarray(start, dtype="datetime64[D]"),
            "dob": np.asarray(start, dtype="datetime64[D]") - age_days,
            "group": rng.choice(len(USED), size=la.size, p=mix / mix.sum()),
            "uasc": rng.random(la.size) < KnownRates().uasc_share}


def _birthday(dob, years):
    month = dob.astype("datetime64[M]")
    return (month + 12 * years).astype("datetime64[D]") + (dob - month.astype("datetime64[D]"))


def _tables(kids, spells, end, rec, last_day, councils):
    kid = np.concatenate([s[0] for s in spells])
    start = np.concatenate([s[1] for s in spells])
    group = np.concatenate([s[2] for s in spells])
    frame = pd.DataFrame({"kid": kid, "start": start, "group": group}).sort_values(["kid", "start"], kind="stable")
    frame = frame[frame["start"].to_numpy("datetime64[D]") < np.where(np.isnat(end[frame["kid"]]), last_day + 1,
                                                                       end[frame["kid"]])]
    frame["next"] = frame.groupby("kid")["start"].shift(-1)
    last = frame["next"].isna()
    kid_end = pd.Series(end[frame["kid"]], index=frame.index)
    kid_end[kid_end > pd.Timestamp(last_day)] = pd.NaT
    frame["end"] = frame["next"].where(~last, kid_end)
    frame["rec"] = np.where(last, np.where(frame["end"].isna(), "", rec[frame["kid"]]), "X1")
    frame["first"] = ~frame["kid"].duplicated()
    child = _ids(frame["kid"].to_numpy())
    codes = np.array([CODES[g] for g in USED])
    la = np.asarray(councils)[kids["la"][frame["kid"]]]
    episodes = pd.DataFrame({
        "CHILD": child, "DECOM": frame["start"].dt.strftime("%Y-%m-%d"), "RNE": np.where(frame["first"], "S", "P"),
        "LS": "C2", "PLACE": codes[frame["group"], 0], "PLACE_PROVIDER": codes[frame["group"], 1],
        "DEC": frame["end"].dt.strftime("%Y-%m-%d").fillna(""), "REC": frame["rec"], "LA": la})
    used = np.unique(frame["kid"])
    header = pd.DataFrame({"CHILD": _ids(used), "SEX": "1",
                           "DOB": pd.to_datetime(kids["dob"][used]).strftime("%Y-%m-%d"),
                           "LA": np.asarray(councils)[kids["la"][used]]})
    uasc_kids = used[kids["uasc"][used]]
    uasc = pd.DataFrame({"CHILD": _ids(uasc_kids), "DUC": "",
                         "LA": np.asarray(councils)[kids["la"][uasc_kids]]})
    return {"header": header, "episodes": episodes, "uasc": uasc}


def _ids(kids: np.ndarray) -> list[str]:
    return [f"C{k:06d}" for k in kids]


def write_history_region(folder, tables: dict[str, pd.DataFrame], **authorities) -> object:
    """A loadable region folder around SSDA903 tables (one home and one referral, which forecasts ignore)."""
    return write_region(folder, settings=settings_rows({}), referrals=referral_rows({}),
                        **{name: frame.to_dict("records") for name, frame in tables.items()}, **authorities)
