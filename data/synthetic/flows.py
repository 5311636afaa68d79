"""Care periods: a monthly stock-and-flow simulation of each council's entries to and exits from care.

Entries follow a trend with seasonality. Each entrant gets an age, a care pathway (home again soon, a medium
stay ending at home or in special guardianship, adoption, or staying until 18) and so an exit date. Two
parameters per council are calibrated before sampling, from the survival curves of a fixed reference cohort: k
scales how many entrants stay long, and rho sets how much higher or lower entries were before the last year, so
that the expected number in care at the snapshot and the expected number leaving in the last year match DfE's
figures. Sampling then adds noise, which a final pass removes by moving a few exit dates, so the snapshot count
is exactly DfE's, its age mix within a point of DfE's, and the last year's leavers within a few per cent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.synthetic import facts
from data.synthetic.days import DAYS_PER_YEAR, LAST_YEAR, birthday, day, whole_years
from data.synthetic.days import HISTORY_START as W
from data.synthetic.days import SNAPSHOT as T
from data.synthetic.sampling import whole_shares

PATHWAY = {name: i for i, name in enumerate(facts.PATHWAYS)}
K_GRID = np.geomspace(0.25, 4.0, 49)
RHO_GRID = np.linspace(0.75, 1.35, 25)  # entries before the last year, relative to it: a plausible trend
REFERENCE_SIZE = 40_000
REFERENCE_SEED = 20_261_101
LONG_CAP = 0.92
LEAVER_SLACK = 0.08  # leavers in the last year are only nudged to within this share of DfE's figure
AGE_SLACK = 0.01  # each age band of the children in care is brought to within this share of DfE's mix

# Exit reasons (SSDA903 REC) by how the care period ended: (codes, shares). Assumption after DfE's ceased tables.
REC_CHOICES = {
    "at_18": (("E17", "E5", "E6", "E8", "E7", "E9"), (0.22, 0.45, 0.10, 0.19, 0.03, 0.01)),
    "adoption": (("E11", "E12"), (0.35, 0.65)),
    "guardianship": (("E45", "E46", "E47", "E48", "E41", "E4A"), (0.22, 0.10, 0.22, 0.04, 0.12, 0.30)),
    "home_young": (("E4A", "E4B", "E13", "E41", "E3", "E8", "E2"), (0.72, 0.09, 0.08, 0.04, 0.04, 0.025, 0.005)),
    "home_teen": (("E4A", "E4B", "E13", "E14", "E9", "E3", "E8", "E2"),
                  (0.62, 0.08, 0.08, 0.09, 0.02, 0.04, 0.065, 0.005)),
    "leaving_16_17": (("E5", "E6", "E4A", "E13", "E8", "E16"), (0.38, 0.10, 0.30, 0.07, 0.13, 0.02)),
    "uasc_short": (("E15", "E16", "E8", "E5"), (0.45, 0.10, 0.30, 0.15)),
}


def simulate(rng: np.random.Generator, targets: pd.DataFrame) -> pd.DataFrame:
    """Care periods of every child in care at any time from HISTORY_START to the snapshot, for the member councils.

    Columns: child_id, la_code, dob, entry, exit (days since 1970-01-01; exit >= T means still in care),
    open, uasc, male, pathway, rec (blank while open)."""
    members = targets[targets["role"].eq("member")].reset_index(drop=True)
    months = _months()
    shapes = _entry_shapes(months)
    reference = _reference_survival(months)
    k, rho = zip(*(_calibrate(row, shapes, reference) for row in members.itertuples()))
    rates = members["starts"].to_numpy()[:, None] * shapes[np.searchsorted(RHO_GRID, rho)]
    periods = _sample(rng, members, months, rates, np.asarray(k))
    periods = _exact_counts(rng, periods, members)
    periods["rec"] = _exit_reasons(rng, periods)
    periods["male"] = _boys(rng, periods)
    periods = periods.sort_values(["entry", "la_code", "dob"], kind="stable").reset_index(drop=True)
    periods.insert(0, "child_id", [f"C{i:07d}" for i in range(1, len(periods) + 1)])
    return periods


def _months() -> pd.DataFrame:
    """Calendar months from the burn-in start to the snapshot: first day, length, calendar month, entry weight."""
    first = np.datetime64(facts.HISTORY_START, "M") - 12 * facts.HISTORY_BURN_IN_YEARS
    starts = np.arange(first, np.datetime64(facts.SNAPSHOT, "M") + 1, dtype="datetime64[M]")
    days = starts.astype("datetime64[D]").astype(np.int64)
    calendar = starts.astype(int) % 12
    covid_from, covid_to, covid = facts.COVID_DIP
    weight = np.asarray(facts.START_SEASONALITY)[calendar] * np.where(
        (days >= day(covid_from)) & (days < day(covid_to)), covid, 1.0)
    return pd.DataFrame({"first": days[:-1], "length": np.diff(days), "weight": weight[:-1]})


def _entry_shapes(months: pd.DataFrame) -> np.ndarray:
    """Relative monthly entries for each rho (rows), scaled so the last full year sums to one."""
    first = months["first"].to_numpy()
    years_before = (first - W) / DAYS_PER_YEAR
    ramp = np.clip((first - W) / (LAST_YEAR - W), 0.0, 1.0)
    rho = RHO_GRID[:, None]
    level = np.where(first < W, rho * (1 + facts.STARTS_GROWTH_PER_YEAR) ** years_before, rho + (1 - rho) * ramp)
    shape = level * months["weight"].to_numpy()
    return shape / shape[:, first >= LAST_YEAR].sum(axis=1, keepdims=True)


def entry_ages(rng: np.random.Generator, uasc: np.ndarray) -> np.ndarray:
    """Age at entry in years: DfE-like bands for most children, 13-17 for unaccompanied children."""
    bands = list(facts.ENTRY_AGE_SHARES)
    band = rng.choice(len(bands), size=uasc.size, p=list(facts.ENTRY_AGE_SHARES.values()))
    low, high = np.asarray(bands, dtype=float)[band].T
    age = low + rng.random(uasc.size) * (high - low)
    uasc_ages = np.asarray(list(facts.UASC_ENTRY_AGE_SHARES), dtype=float)
    picked = rng.choice(uasc_ages, size=uasc.size, p=list(facts.UASC_ENTRY_AGE_SHARES.values()))
    return np.where(uasc, picked + rng.random(uasc.size), age)


def _pathway_shares(age: np.ndarray, uasc: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Pathway probabilities per child (rows), with the long-stay share scaled by k."""
    edges = [band[1] for band in facts.PATHWAY_SHARES][:-1]
    table = np.asarray(list(facts.PATHWAY_SHARES.values()))
    shares = np.where(uasc[:, None], np.asarray(facts.UASC_PATHWAY_SHARES)[None, :],
                      table[np.searchsorted(edges, age, side="right")])
    long = shares[:, PATHWAY["long"]]
    scaled = np.where(uasc, long, np.minimum(long * k, LONG_CAP))
    rest = np.where(long < 1, (1 - scaled) / np.maximum(1 - long, 1e-9), 0.0)
    out = shares * rest[:, None]
    out[:, PATHWAY["long"]] = scaled
    return out


def _pick_pathway(u: np.ndarray, shares: np.ndarray) -> np.ndarray:
    return np.minimum((u[:, None] > np.cumsum(shares, axis=1)).sum(axis=1), len(facts.PATHWAYS) - 1)


def _durations(rng: np.random.Generator, n: int) -> np.ndarray:
    """A duration (days) for every child under each non-long pathway: columns short, medium, adoption."""
    z = rng.standard_normal(n)
    out = [np.exp(np.log(median) + sigma * z) * DAYS_PER_YEAR
           for median, sigma in facts.PATHWAY_DURATION_YEARS.values()]
    return np.maximum(np.column_stack(out), 1.0)


def _stay(pathway: np.ndarray, durations: np.ndarray, age: np.ndarray) -> np.ndarray:
    """Days in care: the pathway's duration, never past the 18th birthday."""
    to_18 = (18 - age) * DAYS_PER_YEAR
    chosen = durations[np.arange(pathway.size), np.minimum(pathway, durations.shape[1] - 1)]
    return np.where(pathway == PATHWAY["long"], to_18, np.minimum(chosen, to_18))


def _reference_survival(months: pd.DataFrame) -> dict[str, np.ndarray]:
    """Share of a fixed reference cohort still in care at the snapshot / leaving in the last year, by entry month,
    for each k (rows of the non-UASC arrays) and for unaccompanied children."""
    rng = np.random.default_rng(REFERENCE_SEED)
    mid = months["first"].to_numpy() + months["length"].to_numpy() / 2
    out = {}
    for uasc in (False, True):
        flags = np.full(REFERENCE_SIZE, uasc)
        age, u, durations = entry_ages(rng, flags), rng.random(REFERENCE_SIZE), _durations(rng, REFERENCE_SIZE)
        grid = K_GRID if not uasc else K_GRID[:1]
        stays = np.sort([_stay(_pick_pathway(u, _pathway_shares(age, flags, np.full(age.size, kk))), durations, age)
                         for kk in grid], axis=1)
        key = "uasc" if uasc else "other"
        out[f"{key}_stock"] = _still_in_care(stays, T - mid)
        out[f"{key}_gone"] = _still_in_care(stays, LAST_YEAR - mid) - _still_in_care(stays, T - mid)
    return out


def _still_in_care(sorted_stays: np.ndarray, lag: np.ndarray) -> np.ndarray:
    """Share of each row's stays longer than each lag (all of them for lags before entry)."""
    counts = np.stack([np.searchsorted(row, np.maximum(lag, 0), side="right") for row in sorted_stays])
    return np.where(lag > 0, 1 - counts / sorted_stays.shape[1], 1.0)


def _calibrate(council, shapes: np.ndarray, reference: dict[str, np.ndarray]) -> tuple[float, float]:
    """(k, rho) giving the council's expected children in care at the snapshot and leavers in the last year."""
    u = council.uasc_start_share
    stock = council.starts * ((1 - u) * shapes @ reference["other_stock"].T + u * shapes @ reference["uasc_stock"].T)
    gone = council.starts * ((1 - u) * shapes @ reference["other_gone"].T + u * shapes @ reference["uasc_gone"].T)
    log_k = np.array([np.interp(council.cla, row, np.log(K_GRID)) for row in stock])
    leavers = np.array([np.interp(lk, np.log(K_GRID), row) for lk, row in zip(log_k, gone)])
    best = int(np.argmin(np.abs(leavers - council.ceased)))
    return float(np.exp(log_k[best])), float(RHO_GRID[best])


def _sample(rng: np.random.Generator, members: pd.DataFrame, months: pd.DataFrame, rates: np.ndarray,
            k: np.ndarray) -> pd.DataFrame:
    """Entrants month by month (counts rounded so each year's total is within one of its expectation)."""
    cumulative = np.floor(np.cumsum(rates, axis=1) + rng.random((rates.shape[0], 1)))
    counts = np.diff(cumulative, axis=1, prepend=0).astype(int)
    council, month = np.nonzero(counts)
    repeat = counts[council, month]
    council, month = np.repeat(council, repeat), np.repeat(month, repeat)
    n = council.size
    entry = months["first"].to_numpy()[month] + np.floor(rng.random(n) * months["length"].to_numpy()[month])
    entry = np.minimum(entry.astype(np.int64), T - 1)
    uasc = rng.random(n) < members["uasc_start_share"].to_numpy()[council]
    age = entry_ages(rng, uasc)
    pathway = _pick_pathway(rng.random(n), _pathway_shares(age, uasc, k[council]))
    stay = _stay(pathway, _durations(rng, n), age)
    dob = entry - np.round(age * DAYS_PER_YEAR).astype(np.int64)
    exit_day = np.minimum(entry + np.maximum(np.round(stay), 1).astype(np.int64), birthday(dob, 18))
    exit_day = np.where(exit_day == T, T - 1, exit_day)
    periods = pd.DataFrame({"la_code": members["la_code"].to_numpy()[council], "dob": dob, "entry": entry,
                            "exit": exit_day, "uasc": uasc, "pathway": pathway})
    return periods[periods["exit"] >= W].reset_index(drop=True)


def _exact_counts(rng: np.random.Generator, periods: pd.DataFrame, members: pd.DataFrame) -> pd.DataFrame:
    """Move a few exit dates so each council has exactly its CLA at the snapshot, DfE's age mix, and close to its
    DfE leavers in the last year."""
    exit_day = periods["exit"].to_numpy().copy()
    entry, adult = periods["entry"].to_numpy(), birthday(periods["dob"].to_numpy(), 18)
    edges = [band[0] for band in facts.AGE_BAND_SHARES]
    band = np.searchsorted(edges, whole_years(periods["dob"].to_numpy(), T), side="right") - 1
    councils = periods["la_code"].to_numpy()
    for council in members.itertuples():
        rows = np.flatnonzero(councils == council.la_code)
        _fix_stock(rng, exit_day, entry, adult, rows, council.cla)
        _fix_ages(rng, exit_day, entry, adult, band, rows, council.cla)
        _fix_leavers(rng, exit_day, entry, adult, rows, council.ceased)
    periods["exit"] = exit_day
    periods["open"] = exit_day >= T
    return periods


def _close(rng: np.random.Generator, exit_day: np.ndarray, entry: np.ndarray, chosen: np.ndarray) -> None:
    """These children leave care at some point in the last year."""
    low = np.maximum(entry[chosen] + 1, LAST_YEAR)
    exit_day[chosen] = low + np.floor(rng.random(chosen.size) * (T - low)).astype(np.int64)


def _recent_leavers(exit_day: np.ndarray, adult: np.ndarray, rows: np.ndarray, since: int) -> np.ndarray:
    """Children who left care on or after `since` and would still be under 18 now, latest first."""
    recent = rows[(exit_day[rows] >= since) & (exit_day[rows] < T) & (adult[rows] > T + 1)]
    return recent[np.argsort(-exit_day[recent], kind="stable")]


def _fix_stock(rng, exit_day: np.ndarray, entry: np.ndarray, adult: np.ndarray, rows: np.ndarray,
               target: int) -> None:
    gap = target - int((exit_day[rows] >= T).sum())
    if gap < 0:  # too many in care: the surplus leave during the last year
        pool = rows[(exit_day[rows] >= T) & (entry[rows] < T - 2)]
        _close(rng, exit_day, entry, rng.choice(pool, size=-gap, replace=False))
    elif gap > 0:  # too few: some who left recently stay on
        recent = _recent_leavers(exit_day, adult, rows, W)
        if recent.size < gap:
            raise RuntimeError(f"cannot reach {target} children in care; calibration is off")
        exit_day[recent[:gap]] = T + 1


def _fix_ages(rng, exit_day: np.ndarray, entry: np.ndarray, adult: np.ndarray, band: np.ndarray, rows: np.ndarray,
              total: int) -> None:
    """Swap children between over- and under-represented age bands: some in a crowded band leave in the last
    year, as many recent leavers in a thin band stay on. The count in care and last year's leavers are unchanged."""
    in_care = rows[(exit_day[rows] >= T) & (entry[rows] < T - 2)]
    recent = _recent_leavers(exit_day, adult, rows, LAST_YEAR)
    target = whole_shares(list(facts.AGE_BAND_SHARES.values()), total)
    off = np.bincount(band[rows[exit_day[rows] >= T]], minlength=target.size) - target
    slack = max(1, round(AGE_SLACK * total))
    excess = np.minimum(np.maximum(off - slack, 0), np.bincount(band[in_care], minlength=target.size))
    deficit = np.minimum(np.maximum(-off - slack, 0), np.bincount(band[recent], minlength=target.size))
    n = int(min(excess.sum(), deficit.sum()))
    if n == 0:
        return
    leave = [rng.choice(in_care[band[in_care] == b], size=k, replace=False)
             for b, k in enumerate(whole_shares(excess, n)) if k]
    stay = [recent[band[recent] == b][:k] for b, k in enumerate(whole_shares(deficit, n)) if k]
    _close(rng, exit_day, entry, np.concatenate(leave))
    exit_day[np.concatenate(stay)] = T + 1


def _fix_leavers(rng, exit_day: np.ndarray, entry: np.ndarray, adult: np.ndarray, rows: np.ndarray,
                 target: int) -> None:
    last_year = rows[(exit_day[rows] >= LAST_YEAR) & (exit_day[rows] < T)]
    gap = int(np.clip(last_year.size, target * (1 - LEAVER_SLACK), target * (1 + LEAVER_SLACK))) - last_year.size
    if gap > 0:  # bring exits from the year before into the last year
        pool = rows[(exit_day[rows] >= LAST_YEAR - 365) & (exit_day[rows] < LAST_YEAR) & (adult[rows] > LAST_YEAR + 1)]
        chosen = rng.choice(pool, size=min(gap, pool.size), replace=False)
        high = np.minimum(adult[chosen], T - 1)
        exit_day[chosen] = LAST_YEAR + np.floor(rng.random(chosen.size) * (high - LAST_YEAR)).astype(np.int64)
    elif gap < 0:  # push some of the last year's exits back into the year before
        pool = last_year[entry[last_year] < LAST_YEAR - 30]
        chosen = rng.choice(pool, size=min(-gap, pool.size), replace=False)
        low = np.maximum(entry[chosen] + 1, LAST_YEAR - 365)
        exit_day[chosen] = low + np.floor(rng.random(chosen.size) * (LAST_YEAR - low)).astype(np.int64)


def _boys(rng: np.random.Generator, periods: pd.DataFrame) -> np.ndarray:
    """Sex plays no part in the flows, so it is drawn last: mostly boys among unaccompanied children, and exactly
    DfE's share of boys among all the children in care at the snapshot."""
    uasc, in_care = periods["uasc"].to_numpy(), periods["open"].to_numpy()
    male = rng.random(len(periods)) < np.where(uasc, facts.UASC_MALE_SHARE, facts.NON_UASC_MALE_SHARE)
    others = np.flatnonzero(in_care & ~uasc)
    boys = round(facts.MALE_SHARE * in_care.sum()) - int(male[in_care & uasc].sum())
    male[others] = False
    male[rng.choice(others, size=boys, replace=False)] = True
    return male


def _exit_reasons(rng: np.random.Generator, periods: pd.DataFrame) -> np.ndarray:
    """SSDA903 REC for each period that has ended, from its pathway and the child's age when it ended."""
    age = (periods["exit"].to_numpy() - periods["dob"].to_numpy()) / DAYS_PER_YEAR
    pathway, uasc = periods["pathway"].to_numpy(), periods["uasc"].to_numpy()
    at_18 = periods["exit"].to_numpy() >= birthday(periods["dob"].to_numpy(), 18) - 1
    kind = np.select(
        [periods["open"].to_numpy(), at_18, uasc, (pathway == PATHWAY["adoption"]) & (age < 10),
         (pathway == PATHWAY["medium"]) & (age < 16), age >= 16, age >= 10],
        ["", "at_18", "uasc_short", "adoption", "guardianship", "leaving_16_17", "home_teen"], "home_young")
    rec = np.full(len(periods), "", dtype=object)
    for name, (codes, shares) in REC_CHOICES.items():
        where = np.flatnonzero(kind == name)
        rec[where] = rng.choice(codes, size=where.size, p=np.asarray(shares) / np.sum(shares))
    return rec
