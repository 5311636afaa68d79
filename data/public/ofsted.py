"""Ofsted's "Children's social care data in England": the provider-level list at 31 March, any year, as rcc's own
settings and providers.

The publication is one row per registered provider (children's homes, secure children's homes, residential
special schools, independent fostering agencies, and since 2025 supported accommodation; also boarding schools,
colleges, adoption agencies, family centres and holiday schemes, which rcc does not commission). Its layout has
changed every few years, so nothing here depends on a column's position or a year's exact wording:

- the header is the first row holding URN, Provision type and Local authority (title rows sit above it: one
  in 2017-2021, three from 2023); header cells may contain line breaks (2025);
- the owner column is `Organisation which owns the provider` from 2019, `Organisation` before, `Organisation
  name` in the workbook's places sheet, `Owner Name` in the lists Ofsted sends councils;
- the grade is the first `Overall ...` column of the inspection framework of the day (`Overall effectiveness`
  to 2017, `Overall experiences and progress of children and young people` since); supported accommodation
  has its own outcome scale (2025);
- `Places` is missing from the oldest files: places are then unknown, never zero;
- provision types come in any capitalisation ("Children's Home", "Children's home", curly apostrophes);
- a workbook holds a dozen sheets: the provider-level sheet at 31 March is chosen; where the same workbook's
  "Providers and places" sheet lists providers the provider-level sheet leaves out (2023 lists only homes with a
  full inspection), those are added, ungraded, and the summary says how many.

Local authorities are names, not codes: they are mapped to ONS codes through rcc's register of councils as they
were on the file's date (Dorset in 2017 is the old county, in 2025 the new unitary; "Northamptonshire" after 2021
cannot be mapped and is an issue row, never a silent drop). Names and addresses of children's homes are
REDACTED in the publication and never kept: a setting's location is its council's label point, marked
approximate (DATA.md). Vacancies are not published.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from data.authorities import register
from data.problems import Problems
from data.public.tabular import Grid, Table, find_header, header_key, ragged_tail, read_grids, table_under, year_in

# kind -> (label, rcc setting_type or "", in rcc's supply). A setting in the supply is a place a child can live;
# an agency (IFA) is a provider of foster households, whose places Ofsted does not publish per agency.
KINDS: dict[str, tuple[str, str, bool]] = {
    "childrens_home": ("children's home", "childrens_home", True),
    "secure_childrens_home": ("secure children's home", "secure_childrens_home", True),
    "rss_childrens_home": ("residential special school registered as a children's home",
                           "residential_special_school", True),
    "supported_accommodation": ("supported accommodation (16-17)", "supported_accommodation", True),
    "foster_agency": ("independent fostering agency", "foster_ifa", False),
    # Registered as schools, not homes: their places are boarding places for every pupil, most not in care.
    "residential_special_school": ("residential special school (registered as a school)", "", False),
    "boarding_school": ("boarding school", "", False),
    "college": ("further education college with residential accommodation", "", False),
    "adoption_agency": ("adoption agency or adoption support agency", "", False),
    "family_centre": ("residential family centre", "", False),
    "holiday_scheme": ("residential holiday scheme for disabled children", "", False),
    "secure_training_centre": ("secure training centre (youth custody)", "", False),
    "council_fostering": ("council fostering service (inspected with the council)", "", False),
}
CHILDRENS_HOME_KINDS = ("childrens_home", "secure_childrens_home", "rss_childrens_home")  # Ofsted's "all homes"

SECTORS = {"private": "private", "local authority": "local_authority", "voluntary": "voluntary",
           "health authority": "health_authority",
           # academy trusts are charitable companies: not for profit, not the council
           "academy": "voluntary"}
STATUSES = {"active": "active", "suspended": "suspended", "resigned": "resigned", "cancelled": "cancelled",
            "applied": "applied", "closed": "resigned"}
GRADE_PATTERNS = [  # first match wins; the older frameworks' "adequate" and "satisfactory" sat where RI sits now
    (r"^outstanding", "outstanding"), (r"^good", "good"), (r"^requires improvement|^adequate|^satisfactory",
                                                             "requires_improvement"),
    (r"^inadequate", "inadequate"),
    # supported accommodation's own scale (2025), which has no "outstanding"
    (r"^consistently strong", "good"), (r"^inconsistent", "requires_improvement"), (r"^serious or widespread",
                                                                                    "inadequate"),
]
MONTHS = {m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov",
                                      "dec"), start=1)}

PROVIDER_COLUMNS = ["urn", "row", "provision_type", "kind", "setting_type", "in_supply", "registration_status",
                    "registration_date", "sector", "owner", "owner_key", "provider_id", "places", "la_name",
                    "la_code", "ofsted_grade", "short_breaks_only", "setting_name", "listed_in"]


@dataclass(frozen=True)
class OfstedProviders:
    """One Ofsted provider-level file, read: every provider (`table`, one row per URN, in or out of rcc's
    supply), the issues, and what was found (`summary`)."""

    file: str
    as_of: date
    table: pd.DataFrame
    issues: pd.DataFrame
    summary: dict = field(default_factory=dict)

    @property
    def supply(self) -> pd.DataFrame:
        """Providers rcc can place a child with, located in England (mapped council, active or suspended)."""
        t = self.table
        return t[t["in_supply"] & t["la_code"].ne("")].reset_index(drop=True)


# --- columns ----------------------------------------------------------------------------------------------

def _column_finders() -> dict[str, callable]:
    exact = lambda *names: (lambda key: key in names)  # noqa: E731
    return {
        "urn": exact("urn"),
        "provision_type": exact("provision type", "provider type"),
        "registration_status": exact("registration status", "provider status"),
        "registration_date": exact("registration date"),
        "setting_name": exact("name", "setting name", "provider name"),
        "la_name": exact("local authority"),
        "sector": exact("sector"),
        "places": exact("places", "max users", "registered places", "number of places"),
        "owner": exact("organisation which owns the provider", "organisation", "organisation name", "owner name",
                       "owner"),
        "grade": lambda key: key.startswith("overall"),
        "supported_grade": lambda key: key.startswith("supported accommodation outcome"),
        "short_breaks": lambda key: re.search(r"short.?break", key) is not None,
    }


REQUIRED_FIELDS = ("urn", "provision_type", "la_name")


def _is_header(keys: list[str]) -> bool:
    return "urn" in keys and ("provision type" in keys or "provider type" in keys) and "local authority" in keys


def _locate(columns: list[str]) -> dict[str, str]:
    """field -> the table's column holding it (the first column that fits; a header's later copies are ignored)."""
    found = {}
    for name, fits in _column_finders().items():
        for column in columns:
            if column != "_row" and fits(header_key(column)):
                found[name] = column
                break
    return found


# --- reading ----------------------------------------------------------------------------------------------

def read_ofsted(path: str | Path, as_of: date | None = None, problems: Problems | None = None) -> OfstedProviders:
    """Read one provider-level file (CSV, XLSX or ODS). `as_of` is the date the list describes (default: read
    from the title, the sheet's or the file's name, else 31 March of the latest registration year)."""
    path = Path(path)
    problems = problems if problems is not None else Problems()
    grids = read_grids(path, problems)
    chosen = _provider_sheet(grids, path.name, problems)
    if chosen is None:
        return OfstedProviders(path.name, as_of or date.today(), _empty(), problems.table(),
                               {"file": path.name, "read": False})
    grid, header_index = chosen
    table = table_under(grid, header_index, problems)
    ragged_tail(table, problems)
    columns = _locate(list(table.frame.columns))
    as_of = as_of or _publication_date(grid, header_index, path.name, table, columns)
    providers = _providers(table, columns, as_of, problems)
    extra = _unlisted_from_places_sheet(grids, grid, providers, as_of, problems)
    if len(extra):
        providers = pd.concat([providers, extra], ignore_index=True)
    summary = _summary(path.name, grid, as_of, providers, len(extra), grid.note, columns)
    return OfstedProviders(grid.file, as_of, providers, problems.table(), summary)


def _provider_sheet(grids: list[Grid], name: str, problems: Problems) -> tuple[Grid, int] | None:
    """The provider-level sheet and its header row: among the sheets with Ofsted's provider columns, the one
    named for the provider level at a date, else the largest; a file without one is not this publication."""
    candidates = []
    for grid in grids:
        index = find_header(grid, _is_header)
        if index is not None:
            title = grid.sheet.lower().replace("_", " ")
            score = 2 * ("provider level" in title) - 3 * ("in year" in title) - ("places" in title)
            candidates.append((score, len(grid.rows) - index, grid, index))
    if not candidates:
        where = f"{len(grids)} sheet(s)" if len(grids) > 1 else "the first rows"
        if grids:
            problems.add(name, None, "", "", f"no header row with Ofsted's provider columns (URN, Provision type, "
                         f"Local authority) in {where}: is this Ofsted's provider-level file ('Children's social "
                         "care data in England', provider level at 31 March)?")
        return None
    candidates.sort(key=lambda c: (c[0], c[1]), reverse=True)
    return candidates[0][2], candidates[0][3]


def _publication_date(grid: Grid, header_index: int, file_name: str, table: Table, columns: dict) -> date:
    """The date the list describes: "as at 31 March 2025" in a title row, else a date in the sheet's name,
    else the file name's year (31 March), else 31 March after the latest registration."""
    texts = [" ".join(grid.rows[i]) for i in range(header_index)] + [grid.sheet, file_name]
    for text in texts:
        found = re.search(r"(\d{1,2})[ _-]*(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*[ _-]*(20\d\d)",
                          text.lower())
        if found:
            return date(int(found.group(3)), MONTHS[found.group(2)], int(found.group(1)))
    for text in texts:
        year = year_in(text)
        if year:
            return date(year, 3, 31)
    if "registration_date" in columns:
        registered = _dates(table.frame[columns["registration_date"]]).max()
        if pd.notna(registered):
            year = registered.year + (registered.month > 3)
            return date(year, 3, 31)
    return date.today()


def _dates(text: pd.Series) -> pd.Series:
    iso = pd.to_datetime(text.where(text.str.match(r"^\d{4}-\d\d-\d\d")), format="%Y-%m-%d", errors="coerce")
    dfe = pd.to_datetime(text.where(text.str.match(r"^\d{1,2}/\d{1,2}/\d{4}")), format="%d/%m/%Y", errors="coerce")
    return iso.fillna(dfe)


def _providers(table: Table, columns: dict[str, str], as_of: date, problems: Problems) -> pd.DataFrame:
    frame, file = table.frame, table.file
    missing = [f for f in REQUIRED_FIELDS if f not in columns]
    if missing:
        problems.add(file, table.header_row, ", ".join(missing), "", "required column missing from the header")
        return _empty()

    def text(name: str) -> pd.Series:
        return frame[columns[name]] if name in columns else pd.Series("", index=frame.index)

    urn = text("urn").str.replace(r"\.0$", "", regex=True)
    rows = frame["_row"]
    keep = urn.ne("")
    blank_urn = ~keep & frame.drop(columns="_row").ne("").any(axis=1)
    _report(problems, file, blank_urn, rows, columns["urn"], urn, "no URN: the row is left out", "warning")
    kind = text("provision_type").map(provision_kind)
    unknown_kind = keep & kind.eq("")
    _report(problems, file, unknown_kind, rows, columns["provision_type"], text("provision_type"),
            "provision type rcc does not know: left out of the supply (tell rcc's maintainers the new name)",
            "warning")
    setting_type = kind.map(lambda k: KINDS[k][1] if k else "")
    in_scope = kind.map(lambda k: KINDS[k][2] if k else False)

    status_text = text("registration_status")
    status = status_text.str.lower().map(STATUSES).fillna("")
    if "registration_status" not in columns:
        status[:] = "active"  # the list is of providers registered at the date
    bad_status = keep & status.eq("")
    _report(problems, file, bad_status, rows, columns.get("registration_status", ""), status_text,
            "registration status rcc does not know: left out of the supply", "warning")

    sector_text = text("sector")
    sector = sector_text.str.lower().map(SECTORS).fillna("")
    bad_sector = keep & in_scope & sector.eq("")
    _report(problems, file, bad_sector, rows, columns.get("sector", "Sector"), sector_text,
            "sector rcc does not know (private, local authority, voluntary, health authority, academy): left out "
            "of the supply", "warning")

    la_name = text("la_name")
    places_text = text("places").str.replace(",", "", regex=False)
    places = pd.to_numeric(places_text.where(places_text.ne("")), errors="coerce")
    bad_places = keep & places_text.ne("") & (places.isna() | (places < 0) | (places != np.floor(places)))
    _report(problems, file, bad_places, rows, columns.get("places", "Places"), places_text,
            "places must be a whole number: left unknown", "warning")
    places = places.where(~bad_places)
    if "places" not in columns:
        problems.add(file, table.header_row, "Places", "", "this year's file has no Places column: places are "
                     "unknown (never counted as zero)", "warning")

    mapped = register().match_names(la_name, as_of)
    # a council only renumbered since (Buckinghamshire 2020, North Yorkshire and Somerset 2023) is counted under
    # today's code, as the DfE's series are, so one council's figures line up across years and publications
    mapped["la_code"] = mapped["la_code"].map(lambda code: register().today_code(code) if code else code)
    no_la = keep & in_scope & mapped["la_code"].eq("")
    for note, rows_here in rows[no_la].groupby(mapped["note"][no_la]):
        values = la_name[rows_here.index]
        problems.add_rows(file, rows_here.tolist(), columns["la_name"], values.tolist(),
                          f"local authority cannot be mapped to an ONS code ({note}): left out of the supply",
                          "warning")
    renamed = keep & mapped["la_code"].ne("") & mapped["note"].ne("")
    for note, rows_here in rows[renamed].groupby(mapped["note"][renamed]):
        problems.add_rows(file, rows_here.tolist(), columns["la_name"], la_name[rows_here.index].tolist(), note,
                          "warning")

    grade = _grades(text("grade"), text("supported_grade"), kind, file, rows, columns, problems)
    owner = text("owner").map(lambda s: " ".join(s.split()))
    if "owner" in columns:
        council_owned = owner.eq("") & sector.eq("local_authority")
        owner = owner.mask(council_owned, la_name.map(lambda n: f"{n} (council)" if n else ""))
        anonymous = keep & in_scope & owner.eq("")
        _report(problems, file, anonymous, rows, columns["owner"], owner,
                "no owner given: counted as its own provider", "warning")
    else:
        problems.add(file, table.header_row, "Organisation which owns the provider", "", "this year's file has no "
                     "owner column: owners are unknown and each provider counts as its own", "warning")
    owner_key = owner.map(owner_identity)
    provider_id = owner_key.map(_provider_id).mask(owner_key.eq(""), "OFSTED-URN-" + urn)
    name = text("setting_name")
    name = name.mask(name.str.upper().eq("REDACTED"), "")

    out = pd.DataFrame({
        "urn": urn, "row": rows, "provision_type": text("provision_type"), "kind": kind,
        "setting_type": setting_type,
        "in_supply": in_scope & status.isin(["active", "suspended"]) & sector.ne(""),
        "registration_status": status, "registration_date": _dates(text("registration_date")),
        "sector": sector, "owner": owner, "owner_key": owner_key, "provider_id": provider_id,
        "places": places.astype("Float64"), "la_name": la_name, "la_code": mapped["la_code"],
        "ofsted_grade": grade, "short_breaks_only": text("short_breaks").str.lower().str.contains("short|yes|true"),
        "setting_name": name, "listed_in": table.grid.sheet or table.file,
    })[keep]
    duplicated = out["urn"].duplicated(keep="first")
    _report(problems, file, duplicated.reindex(frame.index, fill_value=False), rows, columns["urn"], urn,
            "the same URN is listed twice: the first row is kept", "warning")
    return out[~duplicated].reset_index(drop=True)


def _grades(overall: pd.Series, supported: pd.Series, kind: pd.Series, file: str, rows: pd.Series, columns: dict,
            problems: Problems) -> pd.Series:
    text = overall.where(overall.ne("") | kind.ne("supported_accommodation"), supported)
    grade = text.map(grade_of)
    unknown = grade.isna()
    _report(problems, file, unknown, rows, columns.get("grade", "Overall"), text,
            "inspection grade rcc does not know: treated as not inspected", "warning")
    return grade.fillna("not_inspected")


def _report(problems: Problems, file: str, mask: pd.Series, rows: pd.Series, column: str, values: pd.Series,
            rule: str, severity: str = "error") -> None:
    mask = mask.fillna(False).astype(bool)
    if mask.any():
        problems.add_rows(file, rows[mask].tolist(), column, values[mask].tolist(), rule, severity)


def _unlisted_from_places_sheet(grids: list[Grid], chosen: Grid, providers: pd.DataFrame, as_of: date,
                                problems: Problems) -> pd.DataFrame:
    """Providers of the workbook's "providers and places" sheet at the same date that the provider-level sheet
    leaves out (Ofsted's 2023 provider-level sheet lists only providers with a full inspection)."""
    for grid in grids:
        title = grid.sheet.lower().replace("_", " ")
        if grid is chosen or "places" not in title or "time series" in title or "in year" in title:
            continue
        index = find_header(grid, _is_header)
        if index is None or _publication_date(grid, index, "", None, {}) != as_of:
            continue
        scratch = Problems()  # its rows are read only to add what the chosen sheet lacks
        other = _providers(table_under(grid, index, scratch), _locate(
            list(table_under(grid, index, scratch).frame.columns)), as_of, scratch)
        return other[~other["urn"].isin(providers["urn"])].assign(ofsted_grade="not_inspected")
    return _empty()


def _summary(file: str, grid: Grid, as_of: date, table: pd.DataFrame, added: int, note: str,
             columns: dict[str, str]) -> dict:
    supply = table[table["in_supply"] & table["la_code"].ne("")]
    england = supply[register().english(supply["la_code"])]
    kinds = table.groupby("kind").agg(providers=("urn", "size"), places=("places", "sum"))
    homes = england[england["kind"].isin(CHILDRENS_HOME_KINDS)]
    return {
        "file": file, "sheet": grid.sheet, "as_of": as_of.isoformat(), "read_as": note or "UTF-8",
        "providers_listed": len(table),
        "by_kind": {KINDS[k][0] if k else "unknown provision type": {"providers": int(r.providers),
                                                                     "places": int(r.places)}
                    for k, r in kinds.iterrows()},
        "in_supply": len(england),
        "not_commissioned": int((~table["in_supply"] & table["kind"].ne("") & ~table["kind"].map(
            lambda k: KINDS[k][2])).sum()),
        "outside_england": int((supply["la_code"].ne("") & ~register().english(supply["la_code"])).sum()),
        "council_not_mapped": int((table["in_supply"] & table["la_code"].eq("")).sum()),
        "childrens_homes": len(homes), "childrens_home_places": int(homes["places"].sum()),
        "owners_listed": "owner" in columns,
        "childrens_home_owners": int(homes["provider_id"].nunique()) if "owner" in columns else None,
        "short_breaks_only_homes": int(homes["short_breaks_only"].sum()),
        "added_from_places_sheet": added,
        "vacancies": "not published by Ofsted",
    }


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in PROVIDER_COLUMNS})


# --- vocabulary -------------------------------------------------------------------------------------------

def provision_kind(text: str) -> str:
    """The KINDS key for one of Ofsted's provision types, in any capitalisation or wording; '' if unknown."""
    t = " ".join(str(text).lower().replace("\u2019", "").replace("'", "").split())
    if not t:
        return ""
    if "secure training" in t:
        return "secure_training_centre"
    if "residential special school" in t:
        return "rss_childrens_home" if "registered as a child" in t else "residential_special_school"
    if "secure" in t and "home" in t:
        return "secure_childrens_home"
    if "childrens home" in t or "children home" in t:
        return "childrens_home"
    if "supported accommodation" in t:
        return "supported_accommodation"
    if "fostering" in t:
        return "council_fostering" if "local authority" in t else "foster_agency"
    rules = [("boarding school", "boarding_school"), ("college", "college"), ("adoption", "adoption_agency"),
             ("family centre", "family_centre"), ("holiday", "holiday_scheme")]
    return next((kind for word, kind in rules if word in t), "")


def grade_of(text: str) -> str | None:
    """rcc's ofsted_grade for an overall judgement; 'not_inspected' for a blank; None if not recognised."""
    t = " ".join(str(text).lower().split())
    if not t:
        return "not_inspected"
    return next((grade for pattern, grade in GRADE_PATTERNS if re.search(pattern, t)), None)


LEGAL_FORMS = r"\b(limited|ltd|plc|llp|lp|cic|cio|inc|company|co)\b"


def owner_identity(name: str) -> str:
    """One owner however a year's file spells it: case, spaces, punctuation, '&' and the legal form ignored (Ofsted
    wrote
    'Cambian Childcare Ltd' in 2021 and 'Cambian Childcare Limited' in 2025; 'Action For Children services LTD'
    is 'Action for Children Services Ltd')."""
    text = re.sub(r"[^\w\s]", " ", str(name).lower().replace("&", " and "))
    # spaces go last: 'Homes 2 Inspire Limited' (2019) and 'Homes2inspire Limited' (2025) are one company
    return "".join(re.sub(LEGAL_FORMS, " ", text).split())


def _provider_id(key: str) -> str:
    return "OFSTED-" + hashlib.sha1(key.encode()).hexdigest()[:10] if key else ""
