"""The seeded synthetic regions: schema shape, reproducibility, consistency, and calibration to FACTS.md."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data.geo import haversine_km, in_great_britain
from data.schema import TABLES
from data.synthetic import REGIONS, facts, flows, generate, snapshot, write
from data.synthetic.places import SECURE_HOMES
from data.synthetic.providers import GROUPS
from data.synthetic.targets import council_targets

GM = "greater-manchester"
EMBEDDED = Path(__file__).resolve().parents[1] / "data" / "regions" / GM
SNAPSHOT = facts.SNAPSHOT.isoformat()
LAST_YEAR = ("2025-11-01", SNAPSHOT)
FOSTER = ("U4", "U5", "U6")
GENERATED = ("authorities", "providers", "settings", "children", "referrals", "header", "episodes", "uasc")


@pytest.fixture(scope="module")
def gm() -> dict[str, pd.DataFrame]:
    return generate(GM, 7)


def placement_groups(children: pd.DataFrame, episodes: pd.DataFrame) -> pd.Series:
    """DATA.md's placement group of each child, from PLACE and the PLACE_PROVIDER of their open episode."""
    provider = episodes[episodes["DEC"].eq("")].set_index("CHILD")["PLACE_PROVIDER"].loc[children["child_id"]]
    place, provider = children["place"].to_numpy(), provider.to_numpy()
    return pd.Series(np.select(
        [np.isin(place, ["U1", "U2", "U3"]), np.isin(place, FOSTER) & np.isin(provider, ["PR1", "PR2", "PR3"]),
         np.isin(place, FOSTER), np.isin(place, ["K2", "R1", "S1"]), place == "K1", np.isin(place, ["K3", "H5", "P2"]),
         place == "P1", np.isin(place, ["A3", "A4", "A5", "A6"])],
        ["kinship", "foster_inhouse", "foster_ifa", "childrens_home", "secure", "supported", "with_parents",
         "adoption"], "other"), index=children.index)


def placed(tables: dict[str, pd.DataFrame]) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Children living in a setting, whether it is outside their council, and how far it is from home (km)."""
    kids = tables["children"][tables["children"]["current_setting_id"].ne("")]
    where = tables["settings"].set_index("setting_id").loc[kids["current_setting_id"]]
    outside = where["la_code"].to_numpy() != kids["la_code"].to_numpy()
    km = haversine_km(kids["home_lat"], kids["home_lon"], where["lat"].to_numpy(), where["lon"].to_numpy())
    return kids, outside, km


# --- shape and reproducibility ------------------------------------------------------------------------------------

def test_every_schema_table_has_its_columns_in_order(gm):
    """The DATA.md tables, each with exactly schema.py's columns in schema order, then synthetic_truth (the
    optional controls table is the council's to write, so it is not generated)."""
    assert list(gm) == [*GENERATED, "synthetic_truth"]
    for name in GENERATED:
        assert list(gm[name].columns) == TABLES[name].column_names, name
    assert list(gm["synthetic_truth"].columns) == ["kind", "subject_type", "subject_id", "detail"]
    assert set(REGIONS) >= {GM, "national"}


def test_same_seed_gives_byte_identical_files(gm, tmp_path):
    """Generating and writing GM twice with seed 7 gives identical tables and byte-identical CSVs."""
    again = generate(GM, 7)
    for name in gm:
        pd.testing.assert_frame_equal(gm[name], again[name], obj=name)
    first, second = write(gm, tmp_path / "a"), write(again, tmp_path / "b")
    assert [p.name for p in first] == [f"{name}.csv" for name in gm]
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(first, second))


def test_different_seed_gives_different_tables(gm):
    """Seed 8 gives different children, settings and referrals from seed 7."""
    other = generate(GM, 8)
    for name in ("children", "settings", "referrals", "episodes"):
        assert not gm[name].equals(other[name]), name


def test_embedded_region_is_seed_7(gm, tmp_path):
    """The committed data/regions/greater-manchester is exactly write(generate(GM, 7))."""
    for path in write(gm, tmp_path):
        assert path.read_bytes() == (EMBEDDED / path.name).read_bytes(), f"regenerate {path.name}"


# --- children in care (DfE 31 March 2024) -------------------------------------------------------------------------

def test_children_per_council_match_dfe_exactly(gm):
    """Children per GM council equal DfE's CLA figure exactly."""
    counts = gm["children"]["la_code"].value_counts().to_dict()
    assert counts == {code: row[0] for code, row in facts.GREATER_MANCHESTER.items()}


def test_sex_and_age_mix(gm):
    """57% boys (within 1 point) and each DfE age band within 3 points."""
    children = gm["children"]
    assert abs((children["sex"] == "m").mean() - facts.MALE_SHARE) < 0.01, "boys: 57% +/- 1 point"
    for (low, high), share in facts.AGE_BAND_SHARES.items():
        got = children["age"].between(low, high - 1).mean()
        assert abs(got - share) < 0.03, f"ages {low}-{high - 1}: {got:.3f} vs {share} (+/- 3 points)"


def test_legal_status_mix(gm):
    """Care orders 75%, section 20 19%, placement orders 6% (each within 1 point)."""
    shares = gm["children"]["legal_status"].value_counts(normalize=True)
    for code, share in facts.LEGAL_STATUS_SHARES.items():
        assert abs(shares[code] - share) < 0.01, f"{code}: {shares[code]:.3f} vs {share} (+/- 1 point)"


def test_placement_group_mix(gm):
    """DATA.md placement groups (from SSDA903 codes) match DfE's shares within 3 points; in-house 60% of foster."""
    groups = placement_groups(gm["children"], gm["episodes"]).value_counts(normalize=True)
    expected = dict(facts.PLACEMENT_SHARES)
    foster = expected.pop("foster")
    expected |= {"foster_inhouse": foster * facts.FOSTER_OWN_LA_SHARE,
                 "foster_ifa": foster * (1 - facts.FOSTER_OWN_LA_SHARE)}
    total = sum(expected.values())
    for group, share in expected.items():
        assert abs(groups.get(group, 0) - share / total) < 0.03, f"{group}: {groups.get(group, 0):.3f} (+/- 3 points)"
    inhouse = groups["foster_inhouse"] / (groups["foster_inhouse"] + groups["foster_ifa"])
    assert abs(inhouse - facts.FOSTER_OWN_LA_SHARE) < 0.03, f"in-house share of foster {inhouse:.3f} (+/- 3 points)"


def test_current_setting_matches_placement(gm):
    """Children have a setting exactly when placed in foster care, a home, secure or supported accommodation, and
    the setting's type fits the SSDA903 PLACE code."""
    children = gm["children"]
    settings = gm["settings"].set_index("setting_id")
    kind = settings["setting_type"].reindex(children["current_setting_id"]).fillna("").to_numpy()
    expected = {"K2": "childrens_home", "S1": "residential_special_school", "K1": "secure_childrens_home",
                "K3": "supported_accommodation"}
    for code, setting_type in expected.items():
        assert (kind[children["place"].eq(code).to_numpy()] == setting_type).all(), code
    assert np.char.startswith(kind[children["place"].isin(FOSTER).to_numpy()].astype(str), "foster").all()
    no_setting = children["place"].str.match(r"^(U[123]|P1|A[3-6]|Z1|R[235]|P3)$")
    assert (kind[no_setting.to_numpy()] == "").all()


def test_children_fit_their_settings(gm):
    """Children in a setting are within its age range (bar the planted under-16s in supported accommodation) and
    have only needs it says it meets."""
    children = gm["children"][gm["children"]["current_setting_id"].ne("")]
    settings = gm["settings"].set_index("setting_id").loc[children["current_setting_id"]]
    planted = gm["synthetic_truth"].query("kind == 'under_16_in_supported'")["subject_id"]
    in_range = children["age"].between(settings["age_min"].to_numpy(), settings["age_max"].to_numpy())
    assert set(children.loc[~in_range, "child_id"]) == set(planted)
    for needs, met in zip(children["needs"], settings["needs_met"]):
        assert set(needs.split(";")) - {""} <= set(met.split(";")), (needs, met)


def test_distance_from_home(gm):
    """43% (+/- 5) of children in settings live outside their council and 22% (+/- 5) over 20 miles; in homes 67%
    and 49% (+/- 8)."""
    kids, outside, km = placed(gm)
    assert abs(outside.mean() - facts.OUTSIDE_LA_SHARE) < 0.05, f"outside council {outside.mean():.3f}"
    far = km > facts.TWENTY_MILES_KM
    assert abs(far.mean() - facts.OVER_20_MILES_SHARE) < 0.05, f"over 20 miles {far.mean():.3f}"
    in_homes = kids["place"].eq("K2").to_numpy()
    assert abs(outside[in_homes].mean() - facts.HOMES_OUTSIDE_LA_SHARE) < 0.08
    assert abs(far[in_homes].mean() - facts.HOMES_OVER_20_MILES_SHARE) < 0.08


def test_children_live_in_great_britain(gm):
    """Every child's home, every setting and every referral's family home lies in Great Britain."""
    assert in_great_britain(gm["children"]["home_lat"], gm["children"]["home_lon"]).all()
    assert in_great_britain(gm["settings"]["lat"], gm["settings"]["lon"]).all()
    assert in_great_britain(gm["referrals"]["family_lat"], gm["referrals"]["family_lon"]).all()


# --- supply (Ofsted) and costs ------------------------------------------------------------------------------------

def test_childrens_homes_in_the_region(gm):
    """230 +/- 25 registered homes with 796 +/- 80 places in GM, 1-6 places each, at least 80% private."""
    homes = gm["settings"][gm["settings"]["setting_type"].eq("childrens_home")
                           & gm["settings"]["la_code"].isin(gm["authorities"]["la_code"])
                           & gm["settings"]["registration_status"].ne("unregistered")]
    assert abs(len(homes) - 230) <= 25 and abs(homes["places"].sum() - 796) <= 80
    assert homes["places"].between(1, 6).all()
    sector = gm["providers"].set_index("provider_id")["sector"].loc[homes["provider_id"]]
    assert (sector == "private").mean() >= 0.80, "Ofsted: 81-84% of homes are private"
    active = homes[homes["registration_status"].eq("active")]
    full = 1 - active["vacancies"].sum() / active["places"].sum()
    assert 0.78 <= full <= 0.88, f"homes {full:.2f} full (80-85%, +/- 2 points)"


def test_fees_by_setting_type(gm):
    """Mean weekly fees: homes ~£6,100 (5,500-7,000) with a tail over £10,000; IFA £760-820; in-house £400-650;
    secure £8,000-12,000; supported £1,000-3,500; unregistered at least £10,000."""
    settings = gm["settings"]
    registered = settings[settings["registration_status"].ne("unregistered")]
    fee = registered.groupby("setting_type")["weekly_fee"].mean()
    assert 5_500 <= fee["childrens_home"] <= 7_000
    assert (registered.loc[registered["setting_type"].eq("childrens_home"), "weekly_fee"] > facts.HOME_FEE_TAIL).any()
    assert facts.IFA_FEE[0] <= fee["foster_ifa"] <= facts.IFA_FEE[1]
    assert facts.INHOUSE_FEE[0] <= fee["foster_inhouse"] <= facts.INHOUSE_FEE[1]
    assert 8_000 <= fee["secure_childrens_home"] <= 12_000
    assert 1_000 <= fee["supported_accommodation"] <= 3_500
    assert (settings.loc[settings["registration_status"].eq("unregistered"), "weekly_fee"] >= 10_000).all()


def test_secure_homes_in_england():
    """England's 13 secure children's homes hold ~217 places (Ofsted)."""
    assert len(SECURE_HOMES) == facts.ENGLAND_SECURE_HOMES
    assert sum(places for _, places in SECURE_HOMES) == facts.ENGLAND_SECURE_PLACES


def test_foster_households_hold_the_fostered_children(gm):
    """Every fostered child lives in a household of the right kind; households are 50-75% full (DfE: 60% of
    approved places are filled) and some have places free now."""
    settings = gm["settings"].set_index("setting_id")
    foster = settings[settings["setting_type"].str.startswith("foster")]
    living = gm["children"]["current_setting_id"]
    filled = living.isin(foster.index).sum() / foster["places"].sum()
    assert abs(filled - facts.FOSTER_PLACES_FILLED_SHARE) < 0.15, f"foster places filled {filled:.2f}"
    assert 0 < foster["vacancies"].sum() < foster["places"].sum() - living.isin(foster.index).sum()


def test_capacity_is_never_exceeded(gm):
    """0 <= vacancies <= places, and no setting has more children listed in it than places."""
    settings = gm["settings"].set_index("setting_id")
    assert (settings["vacancies"] >= 0).all() and (settings["vacancies"] <= settings["places"]).all()
    living = gm["children"]["current_setting_id"]
    counts = living[living.ne("")].value_counts()
    assert (counts <= settings["places"].loc[counts.index]).all()
    assert (counts <= settings["places"].loc[counts.index] - settings["vacancies"].loc[counts.index]).all()


def test_unregistered_settings_have_children_and_step_down_searches(gm):
    """10-20 unregistered settings holding 15-30 children, each child with a referral to move out."""
    settings = gm["settings"]
    unregistered = settings.loc[settings["registration_status"].eq("unregistered"), "setting_id"]
    living = gm["children"].loc[gm["children"]["current_setting_id"].isin(unregistered)]
    assert 10 <= len(unregistered) <= 20 and 15 <= len(living) <= 30
    assert set(unregistered) == set(living["current_setting_id"])
    moving = gm["referrals"].set_index("child_id")["current_setting_id"]
    assert (moving.reindex(living["child_id"]).to_numpy() == living["current_setting_id"].to_numpy()).all()


def test_provider_margins_and_planted_outliers(gm):
    """Most margins lie between -10% and 30%; the planted outliers (3-5) between 35% and 55%."""
    providers = gm["providers"].dropna(subset=["revenue"])
    providers = providers[providers["revenue"] > 0]
    margin = (providers["operating_profit"] / providers["revenue"]).set_axis(providers["provider_id"])
    truth = gm["synthetic_truth"]
    planted = truth.loc[truth["kind"].eq("outlier_margin"), "subject_id"]
    assert 3 <= len(planted) <= 5 and margin.loc[planted].between(0.35, 0.55).all()
    assert margin.drop(planted).between(-0.10, 0.30).all()
    assert {"fee_outlier", "unregistered_setting", "under_16_in_supported"} <= set(truth["kind"])


def test_planted_market_anomalies(gm):
    """For the flags: one council where the largest group holds at least 65% of independent home places, one group
    whose companies all earn 27.5-30%, and fee-outlier placements (children in the overpriced homes, or paid for at
    3-4 times their home's fee)."""
    truth = gm["synthetic_truth"]
    settings, providers = gm["settings"].set_index("setting_id"), gm["providers"]
    market = truth.loc[truth["kind"].eq("concentrated_market"), "subject_id"].tolist()
    assert len(market) == 1 and market[0].endswith(":childrens_home")
    la_code = market[0].split(":")[0]
    here = settings[settings["la_code"].eq(la_code) & settings["registration_status"].eq("active")
                    & settings["setting_type"].isin(["childrens_home", "residential_special_school"])]
    group = providers.set_index("provider_id")["parent_group"]
    sector = providers.set_index("provider_id")["sector"]
    here = here[sector.loc[here["provider_id"]].ne("local_authority").to_numpy()]
    owned = group.loc[here["provider_id"]].eq(GROUPS[0][0]).to_numpy()
    share = here.loc[owned, "places"].sum() / here["places"].sum()
    detail = truth.loc[truth["kind"].eq("concentrated_market"), "detail"].iloc[0]
    assert share >= 0.65 and f"holds {share:.0%} of independent" in detail
    (planted_group,) = truth.loc[truth["kind"].eq("outlier_group_margin"), "subject_id"]
    companies = providers[providers["parent_group"].eq(planted_group) & (providers["revenue"] > 0)]
    assert len(companies) >= 2 and (companies["operating_profit"] / companies["revenue"]).between(0.275, 0.30).all()
    children = gm["children"].set_index("child_id")
    placements = truth.loc[truth["kind"].eq("fee_outlier_placement"), "subject_id"]
    homes = set(truth.loc[truth["kind"].eq("fee_outlier"), "subject_id"])
    where = children.loc[placements, "current_setting_id"]
    premium = children.loc[placements, "weekly_cost"] / settings.loc[where, "weekly_fee"].to_numpy()
    assert (where.isin(homes) | premium.between(2.8, 4.3)).all() and where.isin(homes).any()
    assert homes <= set(children["current_setting_id"]), "every overpriced home has a child of the region"


def test_planted_top_market_risk_group(gm):
    """One parent group of private supported-accommodation companies, none planted otherwise or designated, whose
    settings house at least 1.5 of the region's 16-17-year-olds per supported place free in every other setting,
    and whose accounts added up show a loss after a profit (a fall of 5 points or more), borrowing above a year's
    revenue and interest its profit cannot pay; no other provider reports the optional accounts."""
    truth, providers = gm["synthetic_truth"], gm["providers"]
    kinds = ("fragile_group", "hard_to_replace_group", "top_market_risk_group")
    named = {kind: truth.loc[truth["kind"].eq(kind), "subject_id"].tolist() for kind in kinds}
    (group,) = named["top_market_risk_group"]
    assert named["fragile_group"] == named["hard_to_replace_group"] == [group]
    assert group not in {g for g, *_ in GROUPS}
    mine = providers[providers["parent_group"].eq(group)]
    planted = set(truth["subject_id"])
    assert len(mine) >= 2 and mine["sector"].eq("private").all() and not mine["difficult_to_replace"].any()
    assert not set(mine["provider_id"]) & planted
    settings = gm["settings"]
    supported = settings[settings["setting_type"].eq("supported_accommodation")
                         & settings["registration_status"].eq("active")]
    theirs = supported["provider_id"].isin(mine["provider_id"])
    assert set(settings.loc[settings["provider_id"].isin(mine["provider_id"]), "setting_type"]) == {
        "supported_accommodation"}
    kids = gm["children"]
    older = kids[kids["current_setting_id"].isin(supported.loc[theirs, "setting_id"]) & (kids["age"] >= 16)]
    assert len(older) >= 1.5 * supported.loc[~theirs, "vacancies"].sum()
    books = mine[["revenue", "operating_profit", "prior_revenue", "prior_operating_profit", "debt", "interest"]].sum()
    margin, before = books["operating_profit"] / books["revenue"], books["prior_operating_profit"] / books[
        "prior_revenue"]
    assert margin < 0 < before and before - margin >= 0.05
    assert books["debt"] >= books["revenue"] and books["interest"] > books["operating_profit"]
    others = providers[~providers["parent_group"].eq(group)]
    assert others[["prior_revenue", "prior_operating_profit", "debt", "interest"]].isna().all().all()


# --- referrals ----------------------------------------------------------------------------------------------------

def test_referrals_are_a_month_of_searches(gm):
    """300-400 GM referrals, needed within the month after the snapshot; siblings share a council and home; no
    under-16 is offered supported accommodation."""
    referrals = gm["referrals"]
    assert 300 <= len(referrals) <= 400
    assert referrals["needed_by"].between(SNAPSHOT, "2026-12-01").all()
    siblings = referrals[referrals["sibling_group"].ne("")]
    assert 0.10 <= len(siblings) / len(referrals) <= 0.20
    assert (siblings.groupby("sibling_group")[["la_code", "family_lat", "family_lon"]].nunique() == 1).all().all()
    assert siblings["foster_suitability"].isin(["preferred", "suitable"]).all()
    young = referrals["age"] < 16
    assert referrals.loc[young, "supported_suitability"].eq("unsuitable").all()


# --- SSDA903 history ----------------------------------------------------------------------------------------------

def test_children_open_in_history_are_children_csv(gm):
    """The children with an open episode are exactly children.csv: same council, DOB-derived age, PLACE, URN, legal
    status and start of the current placement (where the extract reaches back that far)."""
    children = gm["children"].set_index("child_id")
    episodes = gm["episodes"]
    open_episodes = episodes[episodes["DEC"].eq("")].set_index("CHILD")
    assert sorted(open_episodes.index) == sorted(children.index)
    now = open_episodes.loc[children.index]
    assert (now["LA"] == children["la_code"]).all() and (now["PLACE"] == children["place"]).all()
    assert (now["LS"] == children["legal_status"]).all()
    in_setting = children["current_setting_id"].ne("")
    assert (now.loc[in_setting, "URN"] == children.loc[in_setting, "current_setting_id"]).all()
    dob = gm["header"].set_index("CHILD")["DOB"].loc[children.index]
    assert (dob == children["dob"]).all()
    born = pd.to_datetime(dob)
    age = facts.SNAPSHOT.year - born.dt.year - ((born.dt.month * 100 + born.dt.day) > 1101)
    assert (age == children["age"]).all()
    moves = episodes[episodes["RNE"].isin(["S", "P", "B", "T", "U"])].groupby("CHILD")["DECOM"].max()
    known = children.index.intersection(moves.index)
    assert (moves.loc[known] == children.loc[known, "placement_start"]).all()
    earlier = children.index.difference(moves.index)  # placed before the extract's first episode
    first = episodes.groupby("CHILD")["DECOM"].min().loc[earlier]
    assert (children.loc[earlier, "placement_start"] <= first).all()


def test_history_spans_six_years_of_flows(gm):
    """Starts in every year since April 2020, episodes chain without gaps, and nothing dated after the snapshot."""
    episodes = gm["episodes"]
    starts = episodes.loc[episodes["RNE"].eq("S"), "DECOM"]
    assert starts.min() <= "2020-11-01" and episodes["DECOM"].min() <= facts.HISTORY_START.isoformat()
    for year in range(2020, 2026):
        assert starts.between(f"{year}-04-01", f"{year + 1}-03-31").sum() > 1_000, year
    assert (episodes["DECOM"] <= SNAPSHOT).all() and (episodes["DEC"] <= SNAPSHOT).all()
    closed = episodes[episodes["DEC"].ne("")]
    assert (closed["DEC"] >= closed["DECOM"]).all()
    follows = episodes["CHILD"].eq(episodes["CHILD"].shift(-1)) & episodes["REC"].eq("X1")
    assert (episodes.loc[follows, "DEC"].to_numpy() == episodes["DECOM"].shift(-1)[follows].to_numpy()).all()


def test_last_year_starts_and_ceased_per_council(gm):
    """Starts and ceased per council in the year to the snapshot are within 20% of DfE's."""
    episodes = gm["episodes"]
    started = episodes[episodes["RNE"].eq("S") & episodes["DECOM"].between(*LAST_YEAR, inclusive="left")]
    ceased = episodes[~episodes["REC"].isin(["", "X1"]) & episodes["DEC"].between(*LAST_YEAR, inclusive="left")]
    for code, (_, _, starts, leavers, _) in facts.GREATER_MANCHESTER.items():
        n_started, n_ceased = (started["LA"] == code).sum(), (ceased["LA"] == code).sum()
        assert abs(n_started / starts - 1) <= 0.2, f"{code} starts {n_started} vs {starts} (+/- 20%)"
        assert abs(n_ceased / leavers - 1) <= 0.2, f"{code} ceased {n_ceased} vs {leavers} (+/- 20%)"


def test_uasc_children(gm):
    """Unaccompanied children are ~96% boys and ~89% aged 16+ (+/- 6 points), and all in the uasc table."""
    uasc = gm["children"][gm["children"]["uasc"]]
    assert abs((uasc["sex"] == "m").mean() - facts.UASC_MALE_SHARE) < 0.06
    assert abs((uasc["age"] >= 16).mean() - facts.UASC_16_PLUS_SHARE) < 0.06
    assert set(uasc["child_id"]) <= set(gm["uasc"]["CHILD"])


# --- national (authorities and children only: the full national build takes ~20 s) -------------------------------

def test_national_councils_and_children():
    """152 councils with unique ONS codes summing to DfE's 83,630 children, GM's own figures kept, and the
    snapshot's children matching them council by council."""
    targets = council_targets("national")
    assert len(targets) == 152 and targets["la_code"].is_unique
    assert targets["cla"].sum() == facts.ENGLAND_CLA
    gm_rows = targets.set_index("la_code").loc[list(facts.GREATER_MANCHESTER)]
    assert (gm_rows["cla"].to_numpy() == [row[0] for row in facts.GREATER_MANCHESTER.values()]).all()
    rng = np.random.default_rng(7)
    kids = snapshot.children_in_care(rng, flows.simulate(rng, targets), targets)
    assert (kids["la_code"].value_counts().reindex(targets["la_code"]).to_numpy() == targets["cla"].to_numpy()).all()
    assert abs(kids["uasc"].mean() - facts.ENGLAND_UASC / facts.ENGLAND_CLA) < 0.02, "UASC 8.8% +/- 2 points"
