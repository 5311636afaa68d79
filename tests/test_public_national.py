"""The Bill's oversight on England's public data (optimiser/national.py): the owners meeting the difficult-to-replace
rule's market part, checked against Ofsted's 2025 list counted with the csv module; the thresholds' edges on a tiny
hand-made market; the margin table's problems by row and column; the national cap's saving worked by hand."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pandas as pd
import pytest

from data.problems import ValidationError
from data.public.margins import read_margins
from data.public.read import read_public_data
from optimiser.flags.params import ReplaceParams
from optimiser.national import national_cap, national_replace, owners_meeting_rule
from optimiser.profit_cap import CapParams
from tests.public_raw import OFSTED, PUBLIC, in_england, kind, ofsted_records, owner_of, places, same_owner

MARKET_OF_KIND = {"home": "childrens_home", "rss_home": "childrens_home", "secure": "secure",
                  "supported": "supported"}


@pytest.fixture(scope="module")
def national():
    return national_replace(read_public_data(PUBLIC, latest_only=True)).set_index("owner_name")


SECTOR = {"private": "private", "local authority": "local_authority", "voluntary": "voluntary",
          "academy": "voluntary", "health authority": "health_authority"}


def _raw_independent_2025() -> list[dict]:
    """Ofsted's 2025 rows rcc counts as England's independent supply, read plainly: homes, secure homes, special
    schools registered as homes and supported accommodation, active (not suspended), not short-breaks-only, of an
    owner that is not a council. An owner's sector is the one most of its listed services (those homes, suspended
    ones too, and its fostering agencies) carry, the first in name order on a tie: a council's company can run a
    home Ofsted lists as private, and it is still the council's."""
    records = [r for r in ofsted_records(OFSTED / "provider_at_march_2025.csv") if in_england(r)
               and r["Registration status"].strip() in ("Active", "Suspended")
               and not r["Short-break-only children's home"].strip()]
    counted = defaultdict(lambda: defaultdict(int))
    for r in records:
        if kind(r) in MARKET_OF_KIND or r["Provision type"].strip().lower() == "independent fostering agency":
            counted[_owner(r)][SECTOR[r["Sector"].strip().lower()]] += 1
    sector = {o: min(c, key=lambda k: (-c[k], k)) for o, c in counted.items()}
    rows = []
    for r in records:
        owner = _owner(r)
        if kind(r) in MARKET_OF_KIND and r["Registration status"].strip() == "Active" and \
                sector[owner] != "local_authority":
            rows.append({"owner": owner, "market": MARKET_OF_KIND[kind(r)], "places": places(r),
                         "council": r["Local authority"].strip(), "region": r["Government Office Region"].strip()})
    return rows


def _plain(name: str) -> str:
    """A council's name without case or punctuation: Ofsted writes 'St Helens', the register 'St. Helens'."""
    return "".join(ch for ch in name.lower() if ch.isalnum())


def _owner(record: dict) -> str:
    """The owner as one key however spelt; a home without an owner named is its own (by URN)."""
    return same_owner(owner_of(record)) or "URN " + record["URN"]


def _hand_shares(rows: list[dict], owner: str, area: str, min_places: int = 0) -> tuple[float, tuple]:
    """The owner's largest share over (area, kind of home) markets of at least `min_places` independent places."""
    total, mine = defaultdict(int), defaultdict(int)
    for r in rows:
        key = (r[area], r["market"]) if area else (r["market"],)
        total[key] += r["places"]
        if r["owner"] == owner:
            mine[key] += r["places"]
    shares = {k: mine[k] / total[k] for k in mine if total[k] >= min_places and total[k] > 0}
    best = max(shares, key=lambda k: shares[k])
    return shares[best], best


@pytest.mark.parametrize("owner", ["Cambian Childcare Limited", "Nugent Care 2019"])
def test_national_shares_equal_a_hand_count_of_the_2025_list(national, owner):
    """One large private owner and one voluntary one: their places, England share in children's homes, highest
    region share and highest council share (markets of 10 places or more) equal the raw rows counted by hand."""
    rows = _raw_independent_2025()
    key = same_owner(owner)
    row = national.loc[owner]
    assert row["places"] == sum(r["places"] for r in rows if r["owner"] == key)
    homes = [r for r in rows if r["market"] == "childrens_home"]
    assert row["england_share_childrens_home"] == pytest.approx(
        sum(r["places"] for r in homes if r["owner"] == key) / sum(r["places"] for r in homes))
    share, (region, market) = _hand_shares(rows, key, "region")
    assert (row["region"], row["region_market"]) == (region, market)
    assert row["region_share"] == pytest.approx(share)
    share, (council, market) = _hand_shares(rows, key, "council", ReplaceParams().min_council_places)
    assert (_plain(row["council"]), row["council_market"]) == (_plain(council), market)
    assert row["council_share"] == pytest.approx(share)
    assert row["councils_with_places"] == len({r["council"] for r in rows if r["owner"] == key})
    by_council = defaultdict(int)
    for r in rows:
        if r["owner"] == key:
            by_council[r["council"]] += r["places"]
    most = max(by_council, key=lambda c: by_council[c])
    assert _plain(row["geo_council"]) == _plain(row["councils"].split("; ")[0]) == _plain(most)
    assert row["geo_share"] == pytest.approx(by_council[most] / sum(by_council.values()))


def test_the_table_says_what_the_public_data_cannot_test(national):
    """Every row says the children and re-housing parts were not applied, and names its Ofsted file."""
    assert national["not_applied"].str.contains("not applied").all()
    assert national["evidence"].str.contains("need children's records").all()
    assert national["source"].eq("Ofsted provider_at_march_2025.csv (31 March 2025)").all()


# --- the thresholds' edges on a hand-made market ------------------------------------------------------------------

def _homes(council: str, region: str, holdings: list[tuple[str, int]]) -> list[dict]:
    return [{"owner": o, "owner_name": o, "sector": "private", "la_code": council, "region": region,
             "market": "childrens_home", "places": float(n)} for o, n in holdings]


def _tiny_market() -> pd.DataFrame:
    """Region R: five councils of 20 places; A holds 3 in each (15 of 100: the region rule's 15% exactly), B 14 of
    100 (3, 3, 3, 3, 2); no council share above 15%. Region S (319 places): X 3 of council D1's 10 places (30%
    exactly), Y 29 of D2's 100 (29%), Z all 9 of D4's 9 (a market below 10 places does not count)."""
    rows = []
    for i, b in enumerate([3, 3, 3, 3, 2]):
        rest = 20 - 3 - b
        rows += _homes(f"C{i}", "R", [("A", 3), ("B", b)] + [(f"f{i}-{k}", 1) for k in range(rest)])
    rows += _homes("D1", "S", [("X", 3)] + [(f"g1-{k}", 1) for k in range(7)])
    rows += _homes("D2", "S", [("Y", 29)] + [(f"g2-{k}", 1) for k in range(71)])
    rows += _homes("D3", "S", [(f"g3-{k}", 4) for k in range(50)])
    rows += _homes("D4", "S", [("Z", 9)])
    return pd.DataFrame(rows)


def test_an_owner_at_the_threshold_is_listed_and_one_just_below_is_not():
    """A (15% of R) and X (30% of D1) are listed; B (14% of R), Y (29% of D2) and Z (100% of a 9-place market) and
    every small owner are not."""
    s = _tiny_market()
    assert s.groupby("region")["places"].sum().to_dict() == {"R": 100, "S": 319}
    table = owners_meeting_rule(s, ReplaceParams(), pd.Series(dtype=str), "hand-made")
    assert sorted(table["owner"]) == ["A", "X"]
    a, x = table.set_index("owner").loc["A"], table.set_index("owner").loc["X"]
    assert (a["region_share"], a["meets_region_share"], a["meets_council_share"]) == (0.15, True, False)
    assert (x["council"], x["council_share"], x["meets_council_share"]) == ("D1", 0.30, True)
    assert a["councils_with_places"] == 5 and a["geo_share"] == pytest.approx(0.2)
    assert a["councils"] == "C0; C1; C2; C3; C4"  # 3 places in each: in code order


def test_homes_whose_owner_is_not_named_count_in_the_market_but_are_nobodys():
    """Owner A has 6 of a council's 20 places (30%), 10 of the others on rows naming no owner (50%): A is listed, the
    unnamed homes, which Ofsted's older lists leave blank, are not an owner."""
    homes = [("Owner A Ltd", 6), *[("owner not published", 1)] * 10, *[(f"small {k}", 1) for k in range(4)]]
    s = pd.DataFrame([{"owner": o, "owner_name": o, "sector": "private", "la_code": "E08000001", "region": "R",
                       "market": "childrens_home", "places": float(n)} for o, n in homes]
                     + [{"owner": f"far {k}", "owner_name": f"far {k}", "sector": "private", "la_code": "E08000002",
                         "region": "R", "market": "childrens_home", "places": 1.0} for k in range(100)])
    table = owners_meeting_rule(s, ReplaceParams(), pd.Series({"E08000001": "Bolton"}), "hand-made")
    assert list(table["owner_name"]) == ["Owner A Ltd"] and table["council_share"].iloc[0] == pytest.approx(0.30)


def test_a_list_naming_no_owners_puts_no_owner_forward_and_says_why():
    """Ofsted's 2017 list has no owner column (read here with csv): the table is empty and the note says why."""
    import csv

    from optimiser.national import replace_note

    path = OFSTED / "provider_at_march_2017.csv"
    with path.open(encoding="utf-8-sig", errors="replace") as f:
        header = next(row for row in csv.reader(f) if any("URN" in cell for cell in row))
    assert not any("owner" in cell.lower() or "organisation" in cell.lower() for cell in header)
    public = read_public_data(PUBLIC, ofsted_file=path)
    assert national_replace(public).empty
    assert "names no owners" in replace_note(public.latest_ofsted)


# --- the margin table -------------------------------------------------------------------------------------------

def _supply() -> pd.DataFrame:
    """P Care Ltd with homes p1 (4 places) and p2 (2); Q Homes Limited with q1 (3) and q2 (5); R Ltd with r1 (6)."""
    homes = [("p1", "P Care Ltd", 4), ("p2", "P Care Ltd", 2), ("q1", "Q Homes Limited", 3),
             ("q2", "Q Homes Limited", 5), ("r1", "R Ltd", 6)]
    return pd.DataFrame([{"setting_id": h, "owner": o, "owner_name": o, "sector": "private", "la_code": "E08000003",
                          "region": "North West", "market": "childrens_home", "places": float(n)}
                         for h, o, n in homes])


def test_a_bad_margin_table_is_refused_with_every_row_and_column(tmp_path):
    """Each defect is one problem naming its row (as a spreadsheet numbers it: header 1) and column."""
    path = tmp_path / "margins.csv"
    path.write_text("owner,urn,margin,revenue\n"
                    "P Care Ltd,,12,1000\n"          # 2: margin as a percentage number
                    "Nobody Ltd,,0.1,1000\n"          # 3: no such owner
                    ",q9,0.1,1000\n"                  # 4: no such home
                    "R Ltd,,0.1,-3\n"                 # 5: revenue not above zero
                    ",,0.1,1000\n"                    # 6: neither owner nor home
                    "p care limited,,0.2,500\n"       # 7: P again, spelt otherwise
                    ",q1,abc,1000\n"                  # 8: margin not a number
                    "Q Homes Ltd,,0.1,1000\n"         # 9: Q given whole and by its home q1 (row 8)
                    "R Ltd,r1,0.1,1000\n",            # 10: owner and home both given
                    encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        read_margins(path, _supply(), "2025-03-31")
    issues = caught.value.issues
    found = {(int(r.row), r.column) for r in issues.itertuples()}
    assert found == {(2, "margin"), (3, "owner"), (4, "urn"), (5, "revenue"), (6, "owner"),
                     (7, "owner"), (8, "margin"), (8, "urn"), (10, "urn")}
    rules = dict(zip(zip(issues["row"].astype(int), issues["column"]), issues["rule"]))
    assert "12% is 0.12" in rules[(2, "margin")]
    assert "first on row 2" in rules[(7, "owner")]
    assert "given whole on row 9" in rules[(8, "urn")]
    assert (issues["file"] == "margins.csv").all() and (issues["severity"] == "error").all()


def test_a_margin_table_on_a_list_naming_no_owners_asks_for_homes_by_urn(tmp_path):
    """Before 2019 Ofsted's list names no owners: an owner's row is refused saying so (not "no owner of that name");
    a home given by URN is still found."""
    path = tmp_path / "margins.csv"
    path.write_text("owner,urn,margin,revenue\nP Care Ltd,,0.2,1000\n,p1,0.2,1000\n", encoding="utf-8")
    unnamed = _supply().assign(owner="", owner_name="owner not published")
    with pytest.raises(ValidationError) as caught:
        read_margins(path, unnamed, "2017-03-31")
    issues = caught.value.issues
    assert [(int(r.row), r.column) for r in issues.itertuples()] == [(2, "owner")]
    assert "names no owners" in issues["rule"].iloc[0]


def test_a_margin_table_without_its_columns_says_which(tmp_path):
    """No revenue column and neither owner nor urn: one problem each, on the header row."""
    path = tmp_path / "m.csv"
    path.write_text("name,margin\nP Care Ltd,0.1\n", encoding="utf-8")
    with pytest.raises(ValidationError) as caught:
        read_margins(path, _supply(), "2025-03-31")
    assert set(zip(caught.value.issues["row"].astype(int), caught.value.issues["column"])) == {
        (1, "revenue"), (1, "owner")}


def test_the_national_cap_saving_equals_a_hand_computation(tmp_path):
    """Cap 10%, exit 3%. P whole: revenue £1m at 25%, excess (250,000 - 100,000) / 0.9 = £166,666.67 a year. Q by
    its homes: q1 £600k at 20%, q2 £400k at 5%, so Q's margin is 14% and its cut (140,000 - 100,000) / 0.9 =
    £44,444.44, 4.444% of every fee; q2's margin after, (0.05 - 0.04444) / (1 - 0.04444) = 0.58%, is below 3%: q2
    and its 5 places are at risk, and only q1's saving, £26,666.67, counts. Saving £193,333.33 a year; £211,111.11 if
    none left."""
    path = tmp_path / "margins.csv"
    path.write_text("# synthetic\nowner,urn,margin,revenue\nP Care Ltd,,25%,\"£1,000,000\"\n,q1,0.20,600000\n"
                    ",q2,0.05,400000\n", encoding="utf-8")
    s = _supply()
    result = national_cap(s, read_margins(path, s, "2025-03-31"), CapParams(cap=0.10, exit_margin=0.03))
    rows = result.rows.set_index("row")
    assert rows.loc[3, "yearly_saving"] == pytest.approx(150_000 / 0.9)
    assert rows.loc[4, "fee_cut"] == pytest.approx(40_000 / 0.9 / 1_000_000)
    assert rows.loc[5, "margin_after"] == pytest.approx((0.05 - 0.04 / 0.9) / (1 - 0.04 / 0.9))
    assert list(rows["at_risk"]) == [False, False, True]
    assert result.summary["yearly_saving"] == pytest.approx(150_000 / 0.9 + 600_000 * 0.04 / 0.9, abs=0.01)
    assert result.summary["yearly_saving_if_none_leave"] == pytest.approx(150_000 / 0.9 + 40_000 / 0.9, abs=0.01)
    assert (result.summary["homes_at_risk"], result.summary["places_at_risk"]) == (1, 5)
    assert (rows.loc[3, "places"], rows.loc[4, "places"]) == (6, 3)  # P whole: p1 + p2
    england = result.areas[result.areas["level"].eq("england") & result.areas["market"].eq("all")].iloc[0]
    assert (england["places"], england["places_capped"], england["places_at_risk"]) == (20, 14, 5)


def test_the_command_needs_a_margin_table_and_runs_with_one(tmp_path, capsys):
    """Without --margins the national cap stops (exit 2) saying a margin table is needed; with the synthetic example
    it writes its tables, Cambian's saving (0.22 - 0.10) / 0.9 of £180m = £24m a year."""
    from app.cli import BAD_PARAMETERS, OK, main

    out = tmp_path / "cap"
    assert main(["what-if", "profit-cap", str(PUBLIC), "--national", "--out", str(out)]) == BAD_PARAMETERS
    assert "needs a margin table" in capsys.readouterr().err
    example = Path(__file__).parent / "fixtures" / "margins" / "synthetic_margins.csv"
    assert main(["what-if", "profit-cap", str(PUBLIC), "--national", "--margins", str(example), "--out",
                 str(out)]) == OK
    rows = pd.read_csv(out / "profit_cap_national.csv").set_index("owner_name")
    assert rows.loc["Cambian Childcare Limited", "yearly_saving"] == pytest.approx(24_000_000, abs=1)
    assert (out / "profit_cap_national_areas.csv").is_file() and (out / "profit_cap_national_run.json").is_file()
