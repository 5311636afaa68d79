"""Dashboard access: users, password hashing, the role filter, and what the map may show. No run store needed."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from app.dashboard.access import child_councils, referral_councils, scope
from app.dashboard.auth import (
    DEFAULT_USERS_FILE,
    ITERATIONS,
    Lockouts,
    User,
    add_user,
    authenticate,
    check_password,
    hash_password,
    read_users,
    sign_in,
)
from app.dashboard.geography import GRID_DEGREES, SPREAD_DEGREES, coarse_settings, council_areas
from data.load import load_region
from data.validate import controls_issues
from tests.builders import make_region, referral_rows, settings_rows

ENTRY = str(Path(__file__).resolve().parents[1] / "app" / "streamlit_app.py")
DEMO_PASSWORDS = {"commissioner": "commissioner-demo", "bolton": "bolton-demo", "manchester": "manchester-demo"}
BOLTON, MANCHESTER = "E08000001", "E08000003"
OFFICER = User("bolton", "council_officer", BOLTON, "Bolton officer")
COMMISSIONER = User("commissioner", "commissioner", display_name="Commissioner")


def test_password_hash_round_trip_and_salted():
    """A stored hash accepts its password, rejects others, never holds the password, and is salted."""
    stored = hash_password("correct horse", iterations=1000)
    assert check_password("correct horse", stored)
    assert not check_password("correct horsE", stored)
    assert "correct horse" not in stored
    assert hash_password("correct horse", iterations=1000) != stored


def test_malformed_hash_is_rejected_not_raised():
    """A damaged password field means 'no', never a crash at the login form."""
    assert not check_password("x", "plain-text-password")
    assert not check_password("x", "md5$1$00$00")


def test_demo_users_file_has_each_role_and_documented_passwords():
    """The shipped demo users log in with the passwords the README gives, each with the right role and council."""
    users = read_users(DEFAULT_USERS_FILE)
    assert users["commissioner"][0].role == "commissioner"
    assert users["bolton"][0] == User("bolton", "council_officer", BOLTON, users["bolton"][0].display_name, demo=True)
    assert users["manchester"][0].la_code == MANCHESTER
    for name, password in DEMO_PASSWORDS.items():
        assert authenticate(name, password, DEFAULT_USERS_FILE) == users[name][0]
        assert authenticate(name, password + "x", DEFAULT_USERS_FILE) is None
    assert authenticate("nobody", "commissioner-demo", DEFAULT_USERS_FILE) is None


def test_add_user_keeps_others_and_checks_roles(tmp_path):
    """`rcc users add` writes a hashed user beside the existing ones; an officer without a council is refused."""
    path = tmp_path / "users.toml"
    add_user(path, "chief", "commissioner", "a-long-password")
    add_user(path, "oldham", "council_officer", "another-password", la_code="E08000004", display_name='O "Officer"')
    assert set(read_users(path)) == {"chief", "oldham"}
    assert "a-long-password" not in path.read_text()
    assert authenticate("oldham", "another-password", path).display_name == 'O "Officer"'
    with pytest.raises(ValueError, match="needs la_code"):
        add_user(path, "nocouncil", "council_officer", "a-long-password")
    with pytest.raises(ValueError, match="at least 8"):
        add_user(path, "short", "commissioner", "short")


def _users_file(path: Path, iterations: int = 1000, **extra: str) -> Path:
    """A users file written by hand (a cheap hash, so a test can fail many sign-ins quickly)."""
    lines = []
    for name, password in {"chief": "chief-password", **extra}.items():
        lines += [f"[users.{name}]", 'role = "commissioner"',
                  f'password = "{hash_password(password, iterations=iterations)}"', ""]
    path.write_text("\n".join(lines))
    return path


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_lock_out_after_n_consecutive_failures_for_the_configured_minutes(tmp_path, caplog):
    """With max_failures = 3 and minutes = 10: two failures then the right password let the user in (the count
    restarts); three failures in a row lock the name, the right password is refused until 10 minutes have passed,
    and every failure and the lock-out are logged."""
    from data import EMBEDDED_REGION

    users = _users_file(tmp_path / "users.toml")
    access = tmp_path / "access.toml"
    access.write_text("[lockout]\nmax_failures = 3\nminutes = 10\n")
    clock = Clock()
    guard = Lockouts(clock)

    def attempt(password: str):
        return sign_in("chief", password, EMBEDDED_REGION, users=users, access=access, lockouts=guard)

    caplog.set_level("INFO", logger="rcc.access")
    assert [attempt("wrong").user for _ in range(2)] == [None, None]
    assert attempt("chief-password").user.name == "chief"
    assert [attempt("wrong").user for _ in range(2)] == [None, None]
    third = attempt("wrong")
    assert third.user is None and "locked for 10 minutes" in third.message
    clock.now += 9 * 60
    refused = attempt("chief-password")
    assert refused.user is None and "try again in 1 minute" in refused.message
    clock.now += 61
    assert attempt("chief-password").user.name == "chief"
    failures = [r for r in caplog.records if "sign-in failed" in r.getMessage()]
    assert len(failures) == 2 + 3
    assert sum("locked out for 10 minutes" in r.getMessage() for r in failures) == 1
    assert sum("refused for 'chief': locked out" in r.getMessage() for r in caplog.records) == 1


def test_an_unknown_name_is_locked_like_a_known_one(tmp_path):
    """Lock-out does not tell names apart: an invented name is locked after the same number of failures."""
    from data import EMBEDDED_REGION

    access = tmp_path / "access.toml"
    access.write_text("[lockout]\nmax_failures = 2\nminutes = 5\n")
    guard = Lockouts(Clock())
    users = _users_file(tmp_path / "users.toml")
    messages = [sign_in(name, "x", EMBEDDED_REGION, users=users, access=access, lockouts=guard).message
                for name in ("chief", "chief", "nobody", "nobody")]
    assert ["locked" in m for m in messages] == [False, True, False, True]
    assert messages[1] == messages[3]


def test_an_unknown_name_costs_the_same_hash_work_as_a_known_one(tmp_path, monkeypatch):
    """Refusing an unknown name runs as many PBKDF2 derivations, of as many iterations, as refusing or admitting a
    known one (counted, not timed: the work is what the time is made of)."""
    import hashlib

    users = _users_file(tmp_path / "users.toml", iterations=ITERATIONS)
    stored_iterations = int(read_users(users)["chief"][1].split("$")[1])
    calls = []
    derive = hashlib.pbkdf2_hmac

    def counting(name, password, salt, iterations, *rest):
        calls.append(iterations)
        return derive(name, password, salt, iterations, *rest)

    monkeypatch.setattr(hashlib, "pbkdf2_hmac", counting)
    work = {}
    for case, (name, password) in {"known, right": ("chief", "chief-password"), "known, wrong": ("chief", "nope"),
                                   "unknown": ("nobody", "chief-password")}.items():
        calls.clear()
        authenticate(name, password, users)
        work[case] = list(calls)
    assert work == {case: [stored_iterations] for case in work}


def test_demo_users_are_refused_unless_the_data_is_the_embedded_region(tmp_path):
    """Every committed user is a demo user; with the right password each signs in on the embedded synthetic
    region and is refused, with a message saying why, on any other region (even a copy of it); a user added with
    `rcc users add` signs in on any region."""
    import shutil

    from data import EMBEDDED_REGION

    committed = read_users(DEFAULT_USERS_FILE)
    assert all(user.demo for user, _ in committed.values())
    copy = tmp_path / "greater-manchester"
    shutil.copytree(EMBEDDED_REGION, copy)
    for name, password in DEMO_PASSWORDS.items():
        on_demo = sign_in(name, password, EMBEDDED_REGION, users=DEFAULT_USERS_FILE, lockouts=Lockouts())
        assert on_demo.user == committed[name][0]
        refused = sign_in(name, password, copy, users=DEFAULT_USERS_FILE, lockouts=Lockouts())
        assert refused.user is None and "only on the embedded synthetic region" in refused.message
    users = tmp_path / "users.toml"
    add_user(users, "chief", "commissioner", "a-long-password")
    assert sign_in("chief", "a-long-password", copy, users=users, lockouts=Lockouts()).user.name == "chief"


def test_users_file_is_written_readable_by_its_owner_only(tmp_path):
    """A new users file is 0600 whatever the umask, and rewriting a looser (0644) one leaves it 0600."""
    import os
    import stat

    path = tmp_path / "users.toml"
    old = os.umask(0o000)
    try:
        add_user(path, "chief", "commissioner", "a-long-password")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.chmod(0o644)
    add_user(path, "oldham", "council_officer", "another-password", la_code="E08000004")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert set(read_users(path)) == {"chief", "oldham"}
    assert not list(tmp_path.glob(".users.toml.*"))  # no temporary file left behind


def _allocations() -> pd.DataFrame:
    return pd.DataFrame({"referral_id": ["R1", "R2", "SD-C3"], "child_id": ["C1", "C2", "C3"],
                         "la_code": [BOLTON, MANCHESTER, MANCHESTER], "status": "matched"})


def test_officer_receives_only_own_council_rows():
    """An officer's allocations, explanations and fee rows are their council's only; a commissioner gets all."""
    allocations = _allocations()
    children, referrals = child_councils(allocations), referral_councils(allocations)
    assert scope(allocations, OFFICER, children, referrals)["child_id"].tolist() == ["C1"]
    explanations = pd.DataFrame({"referral_id": ["R1", "R2", "SD-C3"], "rule": "needs"})
    assert scope(explanations, OFFICER, children, referrals)["referral_id"].tolist() == ["R1"]
    assert len(scope(allocations, COMMISSIONER, children, referrals)) == 3


def test_officer_flags_keep_market_rows_and_drop_other_councils_children():
    """Flags about another council's child are dropped; provider and market flags (no child) are kept."""
    allocations = _allocations()
    flags = pd.DataFrame({"flag": ["fee_outlier", "fee_outlier", "profit_outlier", "unregistered_placement"],
                          "subject_type": ["child", "child", "provider", "child"],
                          "subject_id": ["C1", "C2", "P9", "C-unknown"]})
    kept = scope(flags, OFFICER, child_councils(allocations), referral_councils(allocations))
    # an unknown child cannot be shown to be Bolton's, so it is dropped (fail closed)
    assert kept["subject_id"].tolist() == ["C1", "P9"]


def test_officer_sees_own_and_region_rows_of_council_tables():
    """Council-level summaries keep the whole-region row and the officer's own council, nothing else."""
    summary = pd.DataFrame({"level": ["region", "council", "council", "provider"],
                            "id": ["region", BOLTON, MANCHESTER, "P1"], "weekly_spend": [3.0, 1.0, 2.0, 5.0]})
    kept = scope(summary, OFFICER, pd.Series(dtype=object), pd.Series(dtype=object))
    assert kept["id"].tolist() == ["region", BOLTON, "P1"]


def test_safety_net_drops_other_councils_ids_in_any_column():
    """A table naming a child in a column the filter does not know (a diff's 'subject') still loses that row."""
    allocations = _allocations()
    diff = pd.DataFrame({"subject": ["C2", "C1", "P4"], "change": ["new", "resolved", "new"]})
    kept = scope(diff, OFFICER, child_councils(allocations), referral_councils(allocations))
    assert kept["subject"].tolist() == ["C1", "P4"]


@pytest.fixture(scope="module")
def embedded():
    from data import EMBEDDED_REGION

    return load_region(EMBEDDED_REGION), EMBEDDED_REGION


def test_map_never_shows_a_home_at_its_own_location(embedded):
    """Every map mark sits within half a grid cell (plus the spread between types) of a grid point, and no
    setting's own coordinates appear among the marks."""
    region, _ = embedded
    marks = coarse_settings(region)
    tolerance = SPREAD_DEGREES * 1.6 + 1e-6
    for axis in ("lat", "lon"):
        nearest_grid = (marks[axis] / GRID_DEGREES).round() * GRID_DEGREES
        assert (marks[axis] - nearest_grid).abs().max() <= tolerance
    own = set(zip(region.settings["lat"].round(4), region.settings["lon"].round(4)))
    assert not own & set(zip(marks["lat"], marks["lon"]))
    inside = region.settings[region.settings["la_code"].isin(region.authorities["la_code"])]
    assert marks["settings"].sum() == len(inside) and marks["places"].sum() == inside["places"].sum()


def test_approximate_council_areas_hold_their_centroids(embedded):
    """Without a boundary file, each council's area is marked approximate and contains its own centre."""
    import shapely

    region, folder = embedded
    areas, source = council_areas(region, folder)
    assert source.approximate
    by_code = {f["properties"]["la_code"]: shapely.geometry.shape(f["geometry"]) for f in areas["features"]}
    assert set(by_code) == set(region.authorities["la_code"])
    for row in region.authorities.itertuples():
        assert by_code[row.la_code].contains(shapely.Point(row.lon, row.lat))


def test_edited_controls_are_checked_against_the_region(tmp_path):
    """Unknown referral or setting ids, a bad action and a lock without a setting are each reported as errors."""
    region = make_region(tmp_path / "r", settings=settings_rows({}), referrals=referral_rows({}))
    good = pd.DataFrame([{"referral_id": "R1", "action": "veto", "setting_id": "S1"}])
    assert controls_issues(region, good).empty
    bad = pd.DataFrame([{"referral_id": "R9", "action": "veto", "setting_id": "S1"},
                        {"referral_id": "R1", "action": "lock", "setting_id": ""},
                        {"referral_id": "R1", "action": "ban", "setting_id": "S7"}])
    issues = controls_issues(region, bad)
    assert set(issues["severity"]) == {"error"}
    assert {(row.row, row.column) for row in issues.itertuples()} >= {(2, "referral_id"), (3, "setting_id"),
                                                                       (4, "action"), (4, "setting_id")}


def test_login_page_refuses_a_wrong_password_and_admits_the_right_one(tmp_path, monkeypatch):
    """The app shows only the login page until a user signs in; a wrong password is refused with a message."""
    monkeypatch.setenv("RCC_OUT", str(tmp_path))
    monkeypatch.delenv("RCC_REGION", raising=False)
    monkeypatch.delenv("RCC_USERS", raising=False)
    at = AppTest.from_file(ENTRY, default_timeout=60).run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["User name", "Password"]
    at.text_input[0].input("bolton")
    at.text_input[1].input("wrong-password")
    at.button[0].click().run()
    assert "do not match" in at.error[0].value
    assert "user" not in at.session_state
    shown = [e.value for kind in ("markdown", "caption", "error") for e in getattr(at, kind)]
    assert not any(str(DEFAULT_USERS_FILE) in text or "users.toml" in text for text in shown)
    at.text_input[1].input("bolton-demo")
    at.button[0].click().run()
    assert at.session_state["user"] == read_users(DEFAULT_USERS_FILE)["bolton"][0]
    assert not at.exception
    assert "No monthly run yet" in at.info[0].value  # signed in: the Overview, on an empty store


def test_rcc_users_add_prompts_and_stores_a_hash(tmp_path, monkeypatch, capsys):
    """`rcc users add` asks for the password twice, stores only its hash, and refuses a mismatch."""
    from app.cli import main

    path = tmp_path / "users.toml"
    answers = iter(["officer-password", "officer-password"])
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(answers))
    assert main(["users", "add", "wigan", "--role", "council_officer", "--la", "E08000010", "--file",
                 str(path)]) == 0
    assert "council E08000010 only" in capsys.readouterr().out
    assert authenticate("wigan", "officer-password", path).la_code == "E08000010"
    assert "officer-password" not in path.read_text()
    answers = iter(["one-password", "another-password"])
    assert main(["users", "add", "bury", "--role", "commissioner", "--file", str(path)]) == 2
    assert "bury" not in read_users(path)


def test_referrals_by_council_adds_up_to_the_allocation():
    """The Overview's council table counts each referral once and adds only matched children's fees."""
    from app.dashboard.figures import referrals_by_council

    allocations = pd.DataFrame({"referral_id": ["R1", "R2", "R3"], "la_code": [BOLTON, BOLTON, MANCHESTER],
                                "status": ["matched", "unmatched", "matched"],
                                "weekly_fee": [500.0, float("nan"), 4000.0]})
    table = referrals_by_council(allocations).set_index("la_code")
    assert table.loc[BOLTON].tolist() == [2, 1, 1, 500.0]
    assert table.loc[MANCHESTER].tolist() == [1, 1, 0, 4000.0]


# Greater Manchester's ten councils as ONS's May 2023 counties-and-unitaries file names them (CTYUA23CD and
# CTYUA23NM, read by eye from the raw file's features).
GREATER_MANCHESTER_ONS = {"E08000001": "Bolton", "E08000002": "Bury", "E08000003": "Manchester",
                          "E08000004": "Oldham", "E08000005": "Rochdale", "E08000006": "Salford",
                          "E08000007": "Stockport", "E08000008": "Tameside", "E08000009": "Trafford",
                          "E08000010": "Wigan"}


@pytest.mark.parametrize("public", ["shared", "embedded extract"])
def test_the_embedded_region_gets_its_ten_real_council_shapes_from_ons(embedded, public):
    """The embedded region has no boundaries.geojson, so its map takes ONS's boundary file (the shared public data,
    or the extract embedded in the repository): the ten councils ONS's raw file names, each drawn with the raw
    file's own outline (the same area and bounds), and the caption names ONS."""
    import json

    import shapely

    from data.public import EMBEDDED_EXTRACT, REPOSITORY

    folder = REPOSITORY.parent / "shared" / "public-data" if public == "shared" else EMBEDDED_EXTRACT
    raw_file = folder / "ons" / "counties_unitary_authorities_may2023_england_buc.geojson"
    raw = {f["properties"]["CTYUA23CD"]: f for f in json.loads(raw_file.read_text())["features"]}
    assert {code: raw[code]["properties"]["CTYUA23NM"] for code in GREATER_MANCHESTER_ONS} == GREATER_MANCHESTER_ONS
    region, source = embedded
    areas, area_source = council_areas(region, source, folder)
    assert area_source.kind == "ons" and not area_source.approximate and "ONS" in area_source.caption()
    drawn = {f["properties"]["la_code"]: f for f in areas["features"]}
    assert set(drawn) == set(GREATER_MANCHESTER_ONS)
    for code, feature in drawn.items():
        assert feature["properties"]["la_name"] == GREATER_MANCHESTER_ONS[code]
        ours, theirs = shapely.geometry.shape(feature["geometry"]), shapely.geometry.shape(raw[code]["geometry"])
        assert ours.area == pytest.approx(theirs.area, rel=1e-9)
        assert ours.bounds == pytest.approx(theirs.bounds, abs=1e-9)


def test_a_boundary_file_missing_a_council_leaves_the_areas_approximate(embedded, tmp_path):
    """An ONS file that lacks one of the region's councils is not used: the areas stay approximate, and say so."""
    import json

    from data.public import EMBEDDED_EXTRACT

    raw = json.loads((EMBEDDED_EXTRACT / "ons" / "counties_unitary_authorities_may2023_england_buc.geojson")
                     .read_text())
    raw["features"] = [f for f in raw["features"] if f["properties"]["CTYUA23CD"] != "E08000010"]  # no Wigan
    (tmp_path / "ons").mkdir()
    (tmp_path / "ons" / "boundaries_without_wigan.geojson").write_text(json.dumps(raw))
    region, source = embedded
    areas, area_source = council_areas(region, source, tmp_path)
    assert area_source.approximate and "approximate" in area_source.caption()
    assert len(areas["features"]) == 10


SSO_ACCESS = """
[sso]
claim = "groups"
[sso.groups]
"gm-commissioners" = { role = "commissioner" }
"bolton-placements" = { role = "council_officer", la_code = "E08000001" }
"manchester-placements" = { role = "council_officer", la_code = "E08000003" }
"""


def test_single_sign_on_claims_map_to_roles_through_the_access_file(tmp_path):
    """Groups in the identity provider's claims give the mapped role and council; a commissioner's group wins;
    groups that map to nothing, or to two councils' officers, are refused with a message saying why."""
    from app.dashboard.auth import read_access, user_from_claims

    path = tmp_path / "access.toml"
    path.write_text(SSO_ACCESS)
    sso = read_access(path).sso
    officer = user_from_claims({"sub": "x1", "email": "a@bolton.gov.uk", "name": "A Officer",
                                "groups": ["staff", "bolton-placements"]}, sso).user
    assert officer == User("a@bolton.gov.uk", "council_officer", BOLTON, "A Officer")
    both = user_from_claims({"sub": "x2", "groups": ["bolton-placements", "gm-commissioners"]}, sso).user
    assert both == User("x2", "commissioner", display_name="x2")
    nobody = user_from_claims({"email": "b@example.org", "groups": ["finance"]}, sso)
    assert nobody.user is None and "none of your groups gives a role in rcc" in nobody.message
    assert user_from_claims({"email": "b@example.org"}, sso).user is None
    two = user_from_claims({"email": "c@example.org", "groups": ["bolton-placements", "manchester-placements"]}, sso)
    assert two.user is None and f"{BOLTON}, {MANCHESTER}" in two.message


def test_access_file_refuses_a_bad_group_mapping(tmp_path):
    """A group mapped to an officer without a council, or an unknown key, is one error naming the file."""
    from app.dashboard.auth import read_access
    from data.toml_files import ParameterError

    path = tmp_path / "access.toml"
    path.write_text('[sso.groups]\n"officers" = { role = "council_officer" }\n')
    with pytest.raises(ParameterError, match="needs la_code"):
        read_access(path)
    path.write_text('[lockout]\nmax_tries = 3\n')
    with pytest.raises(ParameterError, match="unknown parameter"):
        read_access(path)
    assert not read_access(Path(__file__).parents[1] / "app" / "access.toml").sso.enabled
