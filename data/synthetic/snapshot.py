"""The children in care at the snapshot: where they are placed, their legal status, needs and family home.

Placement groups and legal statuses are set to DfE's national shares exactly (largest remainders), each child
drawn with a weight that depends on age, time in care and whether they are unaccompanied, so that babies are
the ones placed for adoption and 16-17 year olds the ones in supported accommodation.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from data.schema import NEEDS
from data.synthetic import facts
from data.synthetic.days import DAYS_PER_YEAR, K3_FROM, SNAPSHOT, birthday, whole_years
from data.synthetic.places import scatter
from data.synthetic.sampling import categorical, pick, top_k, whole_shares

# Groups in the order they are filled: the most age-restricted first, in-house fostering takes the rest.
GROUP_ORDER = ("secure", "adoption", "supported", "childrens_home", "other", "with_parents", "kinship",
               "foster_ifa", "foster_inhouse")
SUPPLY_TYPE = {"foster_inhouse": "foster_inhouse", "foster_ifa": "foster_ifa", "K2": "childrens_home",
               "S1": "residential_special_school", "K1": "secure_childrens_home", "K3": "supported_accommodation"}
COUNCIL_SPREAD = 0.25  # assumption: councils differ in their placement mix (log-normal sd of each group's weight)

# SSDA903 PLACE codes within each group, with shares (assumption).
PLACE_CODES = {
    "kinship": (("U1", "U3", "U2"), (0.55, 0.40, 0.05)),
    "foster": (("U4", "U6", "U5"), (0.50, 0.46, 0.04)),
    "childrens_home": (("K2", "S1"), (0.95, 0.05)),
    "secure": (("K1",), (1.0,)),
    "supported": (("K3",), (1.0,)),
    "with_parents": (("P1",), (1.0,)),
    "adoption": (("A6", "A5", "A4", "A3"), (0.55, 0.25, 0.12, 0.08)),
}
OTHER_CODES = ("Z1", "R2", "R3", "R5", "P3")

# Chance of each need by placement group, before the age rules below (assumption).
NEED_RATES = {
    "emotional_behavioural": {"childrens_home": 0.9, "secure": 1.0, "supported": 0.45, "foster": 0.4, "": 0.3},
    "mental_health": {"childrens_home": 0.45, "secure": 0.8, "supported": 0.25, "foster": 0.12, "": 0.1},
    "learning_disability": {"childrens_home": 0.28, "secure": 0.15, "foster": 0.1, "": 0.07},
    "physical_disability": {"childrens_home": 0.05, "foster": 0.04, "": 0.03},
    "sensory_impairment": {"childrens_home": 0.03, "": 0.02},
    "complex_health": {"childrens_home": 0.05, "foster": 0.03, "": 0.03},
    "exploitation_risk": {"childrens_home": 0.45, "secure": 0.7, "supported": 0.25, "foster": 0.1, "": 0.08},
    "substance_misuse": {"childrens_home": 0.3, "secure": 0.5, "supported": 0.25, "foster": 0.06, "": 0.05},
    "parent_and_child": {"supported": 0.06, "foster": 0.02, "": 0.01},
    "uasc": {"": 0.0},
}
NEED_MIN_AGE = {"mental_health": 8, "exploitation_risk": 11, "substance_misuse": 12, "parent_and_child": 15}


def children_in_care(rng: np.random.Generator, periods: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """The snapshot's children, with working columns (group, supply_type, moves, need_* flags, unregistered,
    under_16_supported) that later steps use and the output step drops."""
    kids = periods[periods["open"]].reset_index(drop=True)
    kids = kids[["child_id", "la_code", "dob", "entry", "uasc", "male"]].copy()
    kids["age"] = whole_years(kids["dob"].to_numpy(), SNAPSHOT)
    kids["years_in_care"] = (SNAPSHOT - kids["entry"].to_numpy()) / DAYS_PER_YEAR
    kids["group"] = _groups(rng, kids)
    kids["place"] = _place_codes(rng, kids)
    _plant_unregistered(rng, kids)
    _plant_under_16_supported(rng, kids)
    kids["supply_type"] = kids["group"].map(SUPPLY_TYPE).fillna(kids["place"].map(SUPPLY_TYPE)).fillna("")
    kids["legal_status"] = _legal_statuses(rng, kids)
    kids["placement_start"] = _placement_starts(rng, kids)
    centres = targets.set_index("la_code").loc[kids["la_code"]]
    kids["home_lat"], kids["home_lon"] = scatter(rng, centres["lat"], centres["lon"], centres["spread_km"])
    for need, flags in _needs(rng, kids).items():
        kids[f"need_{need}"] = flags
    return kids


def _group_weights(kids: pd.DataFrame) -> dict[str, np.ndarray]:
    """How likely each child is to be in each group, from age, time in care and UASC status (assumption)."""
    age, uasc, tic = kids["age"].to_numpy(), kids["uasc"].to_numpy(), kids["years_in_care"].to_numpy()
    teen = (age >= 13).astype(float)
    return {
        "secure": np.where((age >= 12), 1.0 + teen, 0.0),
        "adoption": np.where((age < 5) & (tic >= 0.4) & ~uasc, 1.0, 0.0),
        "supported": np.where(age >= 16, np.where(uasc, 4.0, 1.0), 0.0),
        "childrens_home": np.select([age < 7, age < 10, age < 13, age < 16], [0.0, 0.1, 0.6, 1.5], 1.0)
        * np.where(uasc, 0.2, 1.0),
        "other": np.ones(age.size),
        "with_parents": np.where((age < 17) & ~uasc, np.where(age < 10, 1.5, 1.0), 0.0),
        "kinship": np.where(uasc, 0.1, 1.0),
        "foster_ifa": 1.0 + 0.3 * teen,
        "foster_inhouse": np.ones(age.size),
    }


def _group_targets(n: int) -> dict[str, int]:
    shares = dict(facts.PLACEMENT_SHARES)
    foster = shares.pop("foster")
    shares["foster_inhouse"] = foster * facts.FOSTER_OWN_LA_SHARE
    shares["foster_ifa"] = foster * (1 - facts.FOSTER_OWN_LA_SHARE)
    counts = whole_shares([shares[g] for g in GROUP_ORDER], n)
    return dict(zip(GROUP_ORDER, counts.tolist()))


def _groups(rng: np.random.Generator, kids: pd.DataFrame) -> np.ndarray:
    """Exactly DfE's placement mix overall; councils differ through a random weight per council and group."""
    councils, council = np.unique(kids["la_code"].to_numpy(), return_inverse=True)
    lean = np.exp(rng.normal(0.0, COUNCIL_SPREAD, (councils.size, len(GROUP_ORDER))))
    weights, targets = _group_weights(kids), _group_targets(len(kids))
    group = np.full(len(kids), "", dtype=object)
    for g, name in enumerate(GROUP_ORDER):
        free = group == ""
        w = np.where(free, weights[name] * lean[council, g], 0.0)
        group[top_k(rng, w, targets[name] if name != GROUP_ORDER[-1] else int(free.sum()))] = name
    return group


def _place_codes(rng: np.random.Generator, kids: pd.DataFrame) -> np.ndarray:
    group, age = kids["group"].to_numpy(), kids["age"].to_numpy()
    place = np.full(len(kids), "", dtype=object)
    for name, (codes, shares) in PLACE_CODES.items():
        rows = np.flatnonzero(np.char.startswith(group.astype(str), name))
        place[rows] = pick(rng, codes, shares, rows.size)
    fostering_for_adoption = np.isin(place, ["U2", "U5"]) & (age >= 5)
    place[fostering_for_adoption] = np.where(place[fostering_for_adoption] == "U2", "U3", "U6")
    other = np.flatnonzero(group == "other")
    a = age[other]
    weights = np.column_stack([np.full(a.size, 5.0), np.full(a.size, 1.5), np.where(a < 2, 8.0, 0.0),
                               np.where(a >= 15, 3.0, 0.0), np.where(a >= 16, 0.3, 0.0)])
    place[other] = np.asarray(OTHER_CODES, dtype=object)[categorical(rng, weights)]
    return place


def _plant_unregistered(rng: np.random.Generator, kids: pd.DataFrame) -> None:
    """A few teenagers in children's homes or supported accommodation are in fact living in unregistered
    provision (Ofsted found ~980 such children in 2023-24)."""
    n = max(1, round(facts.UNREGISTERED_CHILD_SHARE * len(kids)))
    weight = np.select([kids["place"].eq("K2") & (kids["age"] >= 11), kids["place"].eq("K3")], [3.0, 1.0], 0.0)
    kids["unregistered"] = False
    kids.loc[top_k(rng, weight, n), "unregistered"] = True


def _plant_under_16_supported(rng: np.random.Generator, kids: pd.DataFrame) -> None:
    """A few 14-15 year olds in supported accommodation, each swapping places with a 16-17 year old so the
    placement mix is unchanged. Unlawful since 2021; a flag must find them."""
    n = max(1, round(facts.UNDER_16_SUPPORTED_SHARE * len(kids)))
    young = top_k(rng, (kids["age"].between(14, 15) & kids["place"].isin(["K2", "U4", "U6"])
                        & ~kids["unregistered"]).to_numpy(float), n)
    old = top_k(rng, (kids["place"].eq("K3") & ~kids["unregistered"]).to_numpy(float), young.size)
    for column in ("group", "place"):
        values = kids[column].to_numpy().copy()
        values[young], values[old] = values[old], values[young].copy()
        kids[column] = values
    kids["under_16_supported"] = False
    kids.loc[young, "under_16_supported"] = True


def _legal_statuses(rng: np.random.Generator, kids: pd.DataFrame) -> np.ndarray:
    """Exactly DfE's mix: placement orders for children placed for adoption and young children heading that way,
    section 20 for unaccompanied children and many recent or older entrants, care orders for the rest (and
    always for children placed with parents)."""
    age, tic, group = kids["age"].to_numpy(), kids["years_in_care"].to_numpy(), kids["group"].to_numpy()
    counts = whole_shares(list(facts.LEGAL_STATUS_SHARES.values()), len(kids))
    n = dict(zip(facts.LEGAL_STATUS_SHARES, counts.tolist()))
    status = np.full(len(kids), "C2", dtype=object)
    placement_order = np.select([group == "adoption", (age < 8) & (tic >= 0.3) & np.isin(group, ["foster_inhouse",
                                 "foster_ifa", "kinship"])], [1e6, 1.0], 0.0)
    status[top_k(rng, placement_order, n["E1"])] = "E1"
    accommodated = np.where((status == "C2") & ~np.isin(group, ["with_parents", "adoption"]),
                            np.select([kids["uasc"].to_numpy(), tic < 0.5, age >= 16, age >= 12],
                                      [1e6, 3.0, 2.5, 1.5], 0.5), 0.0)
    status[top_k(rng, accommodated, n["V2"])] = "V2"
    return status


def _placement_starts(rng: np.random.Generator, kids: pd.DataFrame) -> np.ndarray:
    """Start of the current placement: the last of the child's `moves` so far (~0.4 + 0.35 a year in care), never
    before the placement could have begun (K3 codes, 16th birthdays, recent secure and unregistered stays)."""
    entry, tic = kids["entry"].to_numpy(), kids["years_in_care"].to_numpy()
    earliest = np.select(
        [kids["unregistered"].to_numpy(), kids["place"].eq("K1").to_numpy(), kids["place"].eq("K3").to_numpy(),
         kids["group"].eq("adoption").to_numpy(), np.isin(kids["place"], ["R2", "R5"])],
        [SNAPSHOT - 180, SNAPSHOT - 90, np.maximum(K3_FROM, birthday(kids["dob"].to_numpy(), 16)), entry + 180,
         SNAPSHOT - 365], entry)
    earliest = np.minimum(np.maximum(earliest, entry + 1), SNAPSHOT - 1)
    room = earliest > entry  # a move needs a day after entry; children who came in yesterday have not moved
    kids["moves"] = np.where(room, np.maximum(rng.poisson(0.4 + 0.35 * tic), (earliest > entry + 1)), 0)
    moves = kids["moves"].to_numpy()
    span = SNAPSHOT - earliest
    start = earliest + np.floor(span * rng.random(len(kids)) ** (1.0 / np.maximum(moves, 1))).astype(np.int64)
    return np.where(moves == 0, entry, np.minimum(start, SNAPSHOT - 1))


def _needs(rng: np.random.Generator, kids: pd.DataFrame) -> dict[str, np.ndarray]:
    group = kids["group"].str.replace(r"^foster_.*", "foster", regex=True).to_numpy()
    group = np.where(kids["place"].eq("S1"), "school", group)
    age = kids["age"].to_numpy()
    out = {}
    for need in NEEDS:
        rates = NEED_RATES[need]
        p = np.array([rates.get(g, rates[""]) for g in group])
        p = np.where(age >= NEED_MIN_AGE.get(need, 0), p, 0.0) * np.where(age < 5, 0.3, 1.0)
        out[need] = rng.random(len(kids)) < p
    out["uasc"] = kids["uasc"].to_numpy().copy()
    out["parent_and_child"] &= ~kids["male"].to_numpy()
    school = group == "school"
    out["learning_disability"] |= school
    out["physical_disability"] |= school & (rng.random(len(kids)) < 0.4)
    return out
