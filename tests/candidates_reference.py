"""Today's candidate build, kept verbatim as the plain reference the fast build (optimiser/match/candidates.py)
is tested against: every referral screened against every available setting by the vectorised rules, costs by
pandas row alignment, units and conflicts by group-by and merge. It shares with the fast build only what the fast
build did not change (the screening inputs, the rules themselves, the sibling split and the penalty check).
Copied from candidates.py and search.py at 8692b3b; only names were prefixed to say where they come from."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from data.geo import TWENTY_MILES_KM, haversine_km
from data.region import Region
from data.vocabulary import SUITABILITY_COLUMN_BY_SETTING_TYPE
from optimiser.match.candidates import (
    COST_TERMS,
    RULES,
    Candidates,
    _check_penalty_dominates,
    _pair_checks,
    _screening_inputs,
    member_cost_terms,
)
from optimiser.match.params import MatchParams
from optimiser.match.search import WITHIN_REACH, _text


def reference_build_candidates(region: Region, params: MatchParams, run_date: date | None = None,
                               chunk_pairs: int = 4_000_000) -> Candidates:
    """Screen every (referral, available setting) pair, a block of referrals at a time to bound memory."""
    referrals, settings, r_arrays, s_arrays, blocked = _screening_inputs(region, params, run_date)
    survivors = np.zeros((len(referrals), len(RULES)), dtype=np.int64)
    kept = {"ref": [], "set": [], "km": [], "fits": []}
    step = max(1, chunk_pairs // max(len(settings), 1))
    for start in range(0, len(referrals), step):
        rows = np.arange(start, min(start + step, len(referrals)))
        ref_idx, set_idx = np.repeat(rows, len(settings)), np.tile(np.arange(len(settings)), len(rows))
        distance = haversine_km(r_arrays["lat"][ref_idx], r_arrays["lon"][ref_idx],
                                s_arrays["lat"][set_idx], s_arrays["lon"][set_idx])
        checks = _pair_checks(r_arrays, s_arrays, ref_idx, set_idx, distance, params, blocked, len(settings))
        alive = np.ones(len(ref_idx), dtype=bool)
        for k, (code, _, _) in enumerate(RULES):
            if code == "sibling_group":
                # Kept per child even when the whole group does not fit: a split placement (today's practice
                # in the baseline) needs them. Units only ever use pairs where the whole group fits.
                eligible_alone = alive.copy()
            alive &= checks[code]
            survivors[:, k] += np.bincount(ref_idx[alive], minlength=len(referrals))
        for key, values in (("ref", ref_idx), ("set", set_idx), ("km", distance),
                            ("fits", checks["sibling_group"])):
            kept[key].append(values[eligible_alone])
    survivors = pd.DataFrame(survivors, index=referrals["referral_id"], columns=[code for code, _, _ in RULES])
    ref_idx, set_idx = (np.concatenate(kept[k] or [[]]).astype(int) for k in ("ref", "set"))
    member_pairs = _member_costs(referrals, settings, region, ref_idx, set_idx,
                                 np.concatenate(kept["km"] or [[]]), params)
    member_pairs["group_fits"] = np.concatenate(kept["fits"] or [[]]).astype(bool)
    referrals, member_pairs = _split_groups_no_setting_can_take(referrals, member_pairs, params)
    _check_penalty_dominates(member_pairs, params)
    units = _units(referrals)
    pairs = _unit_pairs(member_pairs, units, settings)
    return Candidates(units=units, pairs=pairs, member_pairs=member_pairs, conflicts=_age_conflicts(pairs, units),
                      survivors=survivors, referrals=referrals,
                      unknown_vacancies=int(region.settings["vacancies"].isna().sum()))


TABLES = ("units", "pairs", "member_pairs", "conflicts", "survivors", "referrals")


def candidate_differences(region: Region, fast: Candidates, plain: Candidates) -> list[str]:
    """How the fast build's tables differ from the reference's: none when every table is the same. The member
    pairs' cost terms the fast build does not keep are worked out again for every pair (member_cost_terms) and
    must be the reference's, bit for bit."""
    differ = []

    def compare(ours: pd.DataFrame, theirs: pd.DataFrame, name: str) -> None:
        try:
            # an empty column's dtype says only how the empty table was made (the reference's sums come out object)
            pd.testing.assert_frame_equal(ours, theirs, check_exact=True, check_dtype=len(theirs) > 0, obj=name)
        except AssertionError as error:
            differ.append(f"{name}: {error}")

    for table in TABLES:
        ours, theirs = getattr(fast, table), getattr(plain, table)
        if table == "member_pairs":
            dropped = set(theirs.columns) - set(ours.columns)
            if dropped != set(COST_TERMS) - {"fee_cost", "split_cost"}:
                differ.append(f"member_pairs: the fast build leaves out {sorted(dropped)}")
                continue
            compare(member_cost_terms(region, fast, ours), theirs[list(COST_TERMS)], "member cost terms")
            ours = ours.drop(columns=["referral_row", "setting_row"])
            theirs = theirs[list(ours.columns)]
        compare(ours, theirs, table)
    if fast.unknown_vacancies != plain.unknown_vacancies:
        differ.append(f"unknown_vacancies: {fast.unknown_vacancies} against {plain.unknown_vacancies}")
    return differ


def _member_costs(referrals: pd.DataFrame, settings: pd.DataFrame, region: Region, ref_idx: np.ndarray,
                  set_idx: np.ndarray, distance: np.ndarray, params: MatchParams) -> pd.DataFrame:
    """Each eligible child-setting pair with every cost term the model weighs, kept apart for audit."""
    r = referrals.iloc[ref_idx].reset_index(drop=True)
    s = settings.iloc[set_idx].reset_index(drop=True)
    fee = s["weekly_fee"].fillna(s["setting_type"].map(settings.groupby("setting_type")["weekly_fee"].median()))
    suitability = pd.Series(np.select(
        [s["setting_type"].map(SUITABILITY_COLUMN_BY_SETTING_TYPE).eq(column) for column in
         sorted(set(SUITABILITY_COLUMN_BY_SETTING_TYPE.values()))],
        [r[column] for column in sorted(set(SUITABILITY_COLUMN_BY_SETTING_TYPE.values()))], default=""))
    sector = s["provider_id"].map(region.providers.set_index("provider_id")["sector"])
    own_in_house = s["setting_type"].eq("foster_inhouse") & sector.eq("local_authority") & s["la_code"].eq(r["la_code"])
    distance_weight = np.where(r["close_to_family"], params.close_to_family_multiplier, 1.0)
    pairs = pd.DataFrame({
        "referral_id": r["referral_id"], "unit_id": r["unit_id"], "setting_id": s["setting_id"],
        "distance_km": distance,
        # a block-contract bed is already paid for: placing a child there costs nothing extra
        "fee_cost": np.where(s["block_contract"], 0.0, fee.fillna(0.0)),
        "distance_cost": distance_weight * (params.cost_per_km * distance
                                            + params.over_20_miles_cost * (distance > TWENTY_MILES_KM)),
        "fit_cost": np.where(suitability.eq("preferred"), 0.0, params.not_preferred_cost),
        "quality_cost": s["ofsted_grade"].map(params.grade_cost).astype(float),
        "in_house_cost": np.where(own_in_house & params.in_house_first, -params.in_house_bonus, 0.0),
        **_search_pair_costs(r, s, params),
    })
    pairs["cost"] = pairs[[t for t in COST_TERMS if t in pairs]].sum(axis=1)
    return pairs


def _split_groups_no_setting_can_take(referrals: pd.DataFrame, member_pairs: pd.DataFrame,
                                      params: MatchParams) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Siblings no single setting can take together may be placed apart, each at a penalty.

    A group is split only when not one setting passes every rule for all of them with room for them all (the
    law and practice guidance: together wherever possible), so the model never trades togetherness for cost.
    """
    whole = member_pairs[member_pairs["group_fits"]].groupby(["unit_id", "setting_id"])["referral_id"].nunique()
    size = referrals.groupby("unit_id")["referral_id"].size()
    placeable_together = set(whole[whole.to_numpy() == size.reindex(whole.index.get_level_values(0)).to_numpy()]
                             .index.get_level_values(0))
    split = referrals["unit_size"].gt(1) & ~referrals["unit_id"].isin(placeable_together)
    referrals = referrals.copy()
    referrals["split_from"] = np.where(split, referrals["sibling_group"], "")
    referrals.loc[split, "unit_id"] = "apart:" + referrals.loc[split, "referral_id"]
    referrals.loc[split, "unit_size"] = 1
    apart = member_pairs["referral_id"].isin(set(referrals.loc[split, "referral_id"]))
    member_pairs = member_pairs.copy()
    member_pairs["unit_id"] = member_pairs["referral_id"].map(referrals.set_index("referral_id")["unit_id"])
    member_pairs["split_cost"] = np.where(apart, params.sibling_split_cost, 0.0)
    member_pairs["cost"] += member_pairs["split_cost"]
    # the child alone is now the whole unit, so every pair the child may use fits it
    member_pairs.loc[apart, "group_fits"] = True
    return referrals, member_pairs


def _units(referrals: pd.DataFrame) -> pd.DataFrame:
    r = referrals.assign(
        older_only_age=referrals["age"].where(referrals["cared_alongside"].eq("older_only")).astype(float),
        younger_only_age=referrals["age"].where(referrals["cared_alongside"].eq("younger_only")).astype(float))
    return r.groupby("unit_id", sort=True).agg(
        size=("referral_id", "size"),
        solo=("cared_alongside", lambda c: bool(c.eq("solo").any())),
        dol=("dol_order", lambda d: bool(d.astype(bool).any())),
        penalty=("penalty", "sum"),
        min_age=("age", "min"), max_age=("age", "max"),
        older_only_age=("older_only_age", "max"), younger_only_age=("younger_only_age", "min"),
        referral_ids=("referral_id", lambda ids: tuple(sorted(ids))),
    ).reset_index()


def _unit_pairs(member_pairs: pd.DataFrame, units: pd.DataFrame, s: pd.DataFrame) -> pd.DataFrame:
    """A unit may go to a setting only if every member may; its cost is the members' costs added up.

    `weight` is what the pair uses of the setting's `capacity` (its vacancies): the unit's size, or the whole
    setting when the unit must live alone, the setting is a single-child home, or a child of the unit is on a DoL
    order the home cannot meet alongside other children.
    """
    grouped = member_pairs[member_pairs["group_fits"]].groupby(["unit_id", "setting_id"], sort=True)
    pairs = grouped.agg(members=("referral_id", "size"), cost=("cost", "sum")).reset_index()
    pairs = pairs.astype({"unit_id": object, "setting_id": object})  # an empty month keeps its id columns' type
    pairs = pairs.merge(units[["unit_id", "size", "solo", "dol"]], on="unit_id")
    pairs = pairs[pairs["members"] == pairs["size"]].drop(columns="members")
    setting = s.set_index("setting_id")
    pairs["capacity"] = pairs["setting_id"].map(setting["vacancies"]).astype(int)
    alone = pairs["dol"] & ~pairs["setting_id"].map(setting["dol_shared"]).astype(bool)
    whole = pairs["solo"] | pairs["setting_id"].map(setting["solo_only"]).astype(bool) | alone
    pairs["weight"] = np.where(whole, pairs["capacity"], pairs["size"])
    return pairs.drop(columns="dol").reset_index(drop=True)


def _age_conflicts(pairs: pd.DataFrame, units: pd.DataFrame) -> pd.DataFrame:
    """Pairs of placements into one setting that break a child's older_only / younger_only wish.

    Only units with such a wish are joined against the others, so the table stays small.
    """
    constrained = units.loc[units["older_only_age"].notna() | units["younger_only_age"].notna(), "unit_id"]
    empty = pd.DataFrame({"pair_a": pd.Series(dtype=int), "pair_b": pd.Series(dtype=int)})
    if constrained.empty:
        return empty
    info = units.set_index("unit_id")[["min_age", "max_age", "older_only_age", "younger_only_age"]]
    # Two children can only share a setting with room for both: most foster households have one vacancy, and
    # pairing every child who could go there would make millions of rows nationally that no answer could break.
    shared = pairs.reset_index(names="pair")
    shared = shared[shared["capacity"] >= 2][["pair", "unit_id", "setting_id", "weight", "capacity"]]
    left = shared[shared["unit_id"].isin(constrained)].rename(columns={"pair": "pair_a"})
    right = shared[["pair", "unit_id", "setting_id", "weight"]].rename(columns={"pair": "pair_b"})
    both = left.merge(right, on="setting_id", suffixes=("_a", "_b"))
    both = both[(both["unit_id_a"] != both["unit_id_b"])
                & (both["weight_a"] + both["weight_b"] <= both["capacity"])]
    a = info.loc[both["unit_id_a"]].to_numpy(dtype=float)
    b = info.loc[both["unit_id_b"]].to_numpy(dtype=float)

    def clash(x, y):  # columns: min_age, max_age, older_only_age, younger_only_age (NaN: no such wish)
        older_broken = ~np.isnan(x[:, 2]) & (y[:, 0] <= np.nan_to_num(x[:, 2]))
        younger_broken = ~np.isnan(x[:, 3]) & (y[:, 1] >= np.nan_to_num(x[:, 3]))
        return older_broken | younger_broken

    bad = both[clash(a, b) | clash(b, a)]
    ordered = np.sort(bad[["pair_a", "pair_b"]].to_numpy(), axis=1)
    return pd.DataFrame(np.unique(ordered, axis=0), columns=["pair_a", "pair_b"]) if len(ordered) else empty


# --- search.py's cost terms, as they were

def _listed(wanted: pd.Series, offered: pd.Series) -> np.ndarray:
    """Per pair: the referral asks for something (non-blank) the setting's list does not hold."""
    asks = wanted.ne("").to_numpy()
    out = np.zeros(len(wanted), dtype=bool)
    where = np.flatnonzero(asks)
    out[where] = [w not in {str(o).strip().lower() for o in (listed or ())}
                  for w, listed in zip(wanted.to_numpy()[where], offered.to_numpy()[where])]
    return out


def _search_pair_costs(r: pd.DataFrame, s: pd.DataFrame, params: MatchParams) -> dict[str, np.ndarray]:
    """The five cost terms for pairs (`r` and `s` aligned row by row: one row per pair)."""
    unstated = s["risks_managed"].map(lambda listed: not listed).to_numpy()
    risks = r["risks"].map(lambda listed: len(listed or ())).to_numpy(dtype=float)
    education = r["education_provision"].to_numpy(dtype=object)
    needs_reach = np.isin(education, WITHIN_REACH)
    reach_missing = np.array([need not in (offered or ()) for need, offered in
                              zip(education, s["education_provision"].to_numpy())], dtype=bool)
    cultures = (_listed(_text(r["religion"]), s["religions"]).astype(float)
                + _listed(_text(r["culture"]), s["cultures"]).astype(float))
    return {
        "risk_cost": params.risk_unstated_cost * risks * unstated,
        "pet_cost": params.pet_cost * (r["pets"].eq("bringing_a_pet").to_numpy()
                                       & ~s["pets_accepted"].to_numpy(bool)),
        "language_cost": params.language_cost * _listed(_text(r["language"]), s["languages"]),
        "culture_cost": params.culture_cost * cultures,
        "education_cost": params.education_cost * (needs_reach & reach_missing),
    }
