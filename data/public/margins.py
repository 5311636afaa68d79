"""A margin table for the national profit cap: the owners' operating margins and revenues, which Ofsted does not
publish (they are in companies' accounts, or what the DfE's oversight would collect), given by the user as CSV.

One row per owner or per home:
- `owner`: the owner as Ofsted's list names it (`Organisation which owns the provider`; case, spacing, '&' and
  Ltd/Limited are ignored, as the Ofsted reader ignores them), or
- `urn`: a home's Ofsted URN, for margins known home by home (its owner is Ofsted's);
- `margin`: operating profit over revenue, a fraction (0.12 for 12%; "12%" is read as 0.12), a loss negative;
- `revenue`: pounds a year (commas and a leading £ allowed), above zero.
Lines starting with '#' are comments. An owner is given whole or by its homes, not both; an owner given by some of
its homes is capped on those homes' accounts alone, and its other homes are not capped. Every problem is reported
with file, row (as a spreadsheet numbers it), column, value and rule, and the table is refused if any is an error.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd

from data.problems import Problems, ValidationError
from data.public.ofsted import owner_identity
from data.public.region import OWNER_NOT_PUBLISHED

MARGIN_COLUMNS = ["row", "subject", "owner", "owner_name", "urn", "margin", "revenue"]
REQUIRED = ("margin", "revenue")


def read_margins(path: str | Path, supply: pd.DataFrame, as_of: str) -> pd.DataFrame:
    """The margin table (MARGIN_COLUMNS, one row per line of the file), its owners and homes matched against
    `supply` (independent settings: setting_id, owner, owner_name; Ofsted's list at `as_of`). Raises
    ValidationError listing every problem when any is an error."""
    path = Path(path)
    file = path.name
    problems = Problems()
    rows = _rows(path, file, problems)
    if rows is None:
        raise ValidationError(file, problems.table())
    header, records = rows
    columns = {name.strip().lower(): name for name in header}
    for name in REQUIRED:
        if name not in columns:
            problems.add(file, 1, name, "", f"the margin table needs a {name} column (columns: owner or urn, margin, "
                         "revenue)")
    if "owner" not in columns and "urn" not in columns:
        problems.add(file, 1, "owner", "", "the margin table needs an owner column or a urn column (or both)")
    if len(problems.table()):
        raise ValidationError(file, problems.table())
    if not records:
        problems.add(file, None, "", "", "the margin table has no rows: give one owner or home a line")
        raise ValidationError(file, problems.table())

    named = supply[supply["owner_name"].ne(OWNER_NOT_PUBLISHED)]
    by_key = named.drop_duplicates("owner").assign(_key=lambda s: s["owner_name"].map(owner_identity))
    owner_of_key = by_key.drop_duplicates("_key").set_index("_key")
    homes = supply.drop_duplicates("setting_id").set_index("setting_id")
    table = []
    for number, cells in records:
        def cell(name: str) -> str:
            return cells.get(columns[name], "").strip() if name in columns else ""

        owner_text, urn = " ".join(cell("owner").split()), cell("urn").removesuffix(".0")
        row = {"row": number, "subject": "", "owner": "", "owner_name": "", "urn": urn, "margin": np.nan,
               "revenue": np.nan}
        if owner_text and urn:
            problems.add(file, number, "urn", urn, f"give the owner ({owner_text}) or a home's URN, not both")
        elif not owner_text and not urn:
            problems.add(file, number, "owner" if "owner" in columns else "urn", "",
                         "each row names an owner (as Ofsted's list does) or a home's URN")
        elif urn:
            if urn not in homes.index:
                problems.add(file, number, "urn", urn, "not a home of an independent owner (a children's home, "
                             f"secure home or supported accommodation) in Ofsted's list at {as_of}")
            else:
                row |= {"subject": "home", "owner": homes.at[urn, "owner"], "owner_name": homes.at[urn, "owner_name"]}
        else:
            key = owner_identity(owner_text)
            if owner_of_key.empty:
                problems.add(file, number, "owner", owner_text, f"Ofsted's list at {as_of} names no owners (its "
                             "lists name them from 2019): give this owner's homes by URN, or use a later list")
            elif key not in owner_of_key.index:
                problems.add(file, number, "owner", owner_text, "no independent owner of that name in Ofsted's list "
                             f"at {as_of} (write it as the list's 'Organisation which owns the provider' does)")
            else:
                found = owner_of_key.loc[key]
                row |= {"subject": "owner", "owner": found["owner"], "owner_name": found["owner_name"]}
        row["margin"] = _number(cell("margin"), file, number, "margin", problems, percent=True)
        row["revenue"] = _number(cell("revenue"), file, number, "revenue", problems)
        if not np.isnan(row["margin"]) and not -1 < row["margin"] < 1:
            problems.add(file, number, "margin", cell("margin"), "a margin is operating profit over revenue, a "
                         "fraction above -1 and below 1 (12% is 0.12)")
        if not np.isnan(row["revenue"]) and row["revenue"] <= 0:
            problems.add(file, number, "revenue", cell("revenue"), "revenue is pounds a year, above zero")
        table.append(row)
    table = pd.DataFrame(table, columns=MARGIN_COLUMNS)
    _conflicts(table, file, problems)
    issues = problems.table()
    if (issues["severity"] == "error").any():
        raise ValidationError(file, issues)
    return table


def _rows(path: Path, file: str, problems: Problems) -> tuple[list[str], list[tuple[int, dict]]] | None:
    """The header and (spreadsheet row, record) of each line that is neither blank nor a comment."""
    if not path.is_file():
        problems.add(str(path), None, "", "", "no such file: --margins takes a CSV file (owner or urn, margin, "
                     "revenue)")
        return None
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    lines = list(csv.reader(io.StringIO(text, newline="")))
    kept = [(i + 1, line) for i, line in enumerate(lines)
            if any(c.strip() for c in line) and not line[0].lstrip().startswith("#")]
    if not kept:
        problems.add(file, None, "", "", "the file is empty: the margin table needs a header row (owner or urn, "
                     "margin, revenue)")
        return None
    (_, header), body = kept[0], kept[1:]
    return header, [(number, dict(zip(header, line))) for number, line in body]


def _number(text: str, file: str, row: int, column: str, problems: Problems, percent: bool = False) -> float:
    cleaned = text.replace(",", "").replace("£", "").strip()
    scale = 1.0
    if percent and cleaned.endswith("%"):
        cleaned, scale = cleaned[:-1].strip(), 0.01
    if not cleaned:
        problems.add(file, row, column, text, f"{column} is required")
        return np.nan
    try:
        return float(cleaned) * scale
    except ValueError:
        problems.add(file, row, column, text, f"{column} must be a number")
        return np.nan


def _conflicts(table: pd.DataFrame, file: str, problems: Problems) -> None:
    """An owner or a home given twice, or an owner given whole and by its homes: its revenue would count twice."""
    owners = table[table["subject"].eq("owner")]
    for column, frame in (("owner", owners), ("urn", table[table["subject"].eq("home")])):
        key = "owner" if column == "owner" else "urn"
        again = frame[frame.duplicated(key, keep="first")]
        for r in again.itertuples(index=False):
            first = int(frame.loc[frame[key].eq(getattr(r, key)), "row"].iloc[0])
            problems.add(file, r.row, column, r.owner_name if column == "owner" else r.urn,
                         f"given again (first on row {first}): one row per owner or home")
    homes = table[table["subject"].eq("home")]
    for r in homes[homes["owner"].isin(set(owners["owner"]))].itertuples(index=False):
        whole = int(owners.loc[owners["owner"].eq(r.owner), "row"].iloc[0])
        problems.add(file, r.row, "urn", r.urn, f"its owner {r.owner_name} is given whole on row {whole}: give the "
                     "owner whole or home by home, not both")
