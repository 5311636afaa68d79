"""The real list of councils: every English children's services authority (and the Welsh principal areas), past
and present, with ONS codes, DfE numbers, names, regions and label points; the RCC pathfinders' members.

The register (`data/reference/authorities.csv`, rebuilt from ONS and DfE files by
`data/reference/build_authorities.py`) is what every `la_code` rcc loads is checked against, and what turns the
council *names* in Ofsted's and the DfE's files into codes. Councils change: Bournemouth, Christchurch and Poole
replaced three authorities in 2019, Northamptonshire split in 2021, Cumbria in 2023, and some codes changed with
no change of area (Buckinghamshire 2020, North Yorkshire and Somerset 2023, Gateshead and Northumberland 2013).
So a name means the authority of that name *on the file's date*, and a code that was only renumbered is followed
to today's code, while a split or merged authority keeps its own code (its figures cannot be divided honestly).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

import pandas as pd

REGISTER_FILE = Path(__file__).resolve().parent / "reference" / "authorities.csv"

# The Regional Care Co-operative pathfinders' member councils (DfE, 2025). The South East pathfinder is taken to be
# the South East region's 19 children's services authorities (FACTS.md).
RCCS: dict[str, tuple[str, ...]] = {
    "greater-manchester": tuple(f"E080000{n:02d}" for n in range(1, 11)),
    "south-east": ("E06000035", "E06000036", "E06000037", "E06000038", "E06000039", "E06000040", "E06000041",
                   "E06000042", "E06000043", "E06000044", "E06000045", "E06000046", "E06000060", "E10000011",
                   "E10000014", "E10000016", "E10000025", "E10000030", "E10000032"),
}
RCC_NAMES = {"greater-manchester": "Greater Manchester", "south-east": "South East"}


def normalise_name(name: str) -> str:
    """A council's name with the differences publications make removed: case, '&', 'St.', hyphens, apostrophes,
    'City of' and 'County of' (Bristol, City of; County Durham; Herefordshire, County of)."""
    text = str(name).lower().replace("&", " and ").replace("\u2019", "'")
    text = re.sub(r"[,.'()\-]", " ", text)
    text = re.sub(r"\b(city of|county of|council|county)\b", " ", text)
    text = re.sub(r"^\s*the\b", " ", text)
    return " ".join(text.split())


@dataclass(frozen=True)
class NameMatch:
    la_code: str  # "" when the name cannot be mapped
    note: str  # why it could not be mapped, or how it was (a renamed or reorganised council); "" when plain


class Register:
    """The register as a table, with lookups by code and by name."""

    def __init__(self, table: pd.DataFrame):
        self.table = table
        self._by_code = table.set_index("la_code")
        self._by_name: dict[str, list[str]] = {}
        for row in table.itertuples(index=False):
            for name in [row.la_name, *filter(None, row.aliases.split(";"))]:
                codes = self._by_name.setdefault(normalise_name(name), [])
                if row.la_code not in codes:
                    codes.append(row.la_code)
        self._by_number = {n: code for code, n in zip(table["la_code"], table["old_la_code"])
                           if n and not self._by_code.loc[code, "valid_to"]}

    # --- codes ---------------------------------------------------------------------------------------------

    def known(self, codes: pd.Series) -> pd.Series:
        return codes.isin(self._by_code.index)

    def english(self, codes: pd.Series) -> pd.Series:
        return codes.map(self._by_code["country"]).eq("england")

    def name(self, code: str) -> str:
        return str(self._by_code.loc[code, "la_name"]) if code in self._by_code.index else code

    def row(self, code: str) -> pd.Series:
        return self._by_code.loc[code]

    def current(self) -> pd.DataFrame:
        """England's children's services authorities today (the 153 of 2023 on)."""
        t = self.table
        return t[t["country"].eq("england") & t["valid_to"].eq("")].reset_index(drop=True)

    def in_force(self, on: date) -> set[str]:
        """The councils that existed on `on`, each under today's code when it was only renumbered since."""
        return {self.today_code(code) for code in self.table["la_code"] if self._valid_on(code, on)}

    def today_code(self, code: str) -> str:
        """The code an authority has today when it was only renumbered (same area); else the code itself."""
        seen = set()
        while code in self._by_code.index and code not in seen:
            seen.add(code)
            row = self._by_code.loc[code]
            if row["change"] != "recoded":
                break
            code = row["successors"]
        return code

    def abolished_note(self, code: str) -> str:
        """'' for a current authority; else what replaced it and when."""
        row = self._by_code.loc[code]
        if not row["valid_to"]:
            return ""
        names = " and ".join(f"{self.name(s)} ({s})" for s in row["successors"].split(";"))
        return f"{row['la_name']} ({code}) ended on {row['valid_to']}; replaced by {names}"

    def suggest(self, value: str) -> str:
        """A hint for a value that is not a known code: the code of a DfE number or of a council's name."""
        value = str(value).strip()
        if value in self._by_number:
            code = self._by_number[value]
            return f"{value} is the DfE's number for {self.name(code)}, whose ONS code is {code}"
        match = self.match_name(value)
        if match.la_code:
            return f"{self.name(match.la_code)}'s ONS code is {match.la_code}"
        return ""

    # --- names ---------------------------------------------------------------------------------------------

    def match_name(self, name: str, on: date | None = None) -> NameMatch:
        """The authority a name meant on `on` (default: today's authorities)."""
        codes = self._by_name.get(normalise_name(name), [])
        if not codes:
            return NameMatch("", "not the name of any English or Welsh council rcc knows")
        valid = [c for c in codes if self._valid_on(c, on)]
        if len(valid) == 1:
            return NameMatch(valid[0], "")
        if len(valid) > 1:  # the same name twice at once: impossible in the register, but never guess
            return NameMatch("", "the name fits several councils: " + ", ".join(valid))
        # The name belongs to an authority that no longer existed (or did not yet) on the date.
        code = codes[0]
        if on is not None and self._starts_after(code, on):
            return NameMatch("", f"{self.name(code)} ({code}) did not exist yet on {on.isoformat()}")
        successor = self.today_code(code)
        if successor != code and not self._by_code.loc[successor, "valid_to"]:
            return NameMatch(successor, f"{self.abolished_note(code)}; counted as {self.name(successor)}")
        return NameMatch("", f"{self.abolished_note(code)}: cannot tell which")

    def match_names(self, names: pd.Series, on: date | None = None) -> pd.DataFrame:
        """la_code and note per name (each distinct name looked up once)."""
        lookup = {n: self.match_name(n, on) for n in pd.unique(names)}
        return pd.DataFrame({"la_code": names.map(lambda n: lookup[n].la_code),
                             "note": names.map(lambda n: lookup[n].note)}, index=names.index)

    def _valid_on(self, code: str, on: date | None) -> bool:
        row = self._by_code.loc[code]
        if on is None:
            return not row["valid_to"]
        day = on.isoformat()
        return (not row["valid_from"] or row["valid_from"] <= day) and (not row["valid_to"] or day <= row["valid_to"])

    def _starts_after(self, code: str, on: date) -> bool:
        start = self._by_code.loc[code, "valid_from"]
        return bool(start) and on.isoformat() < start


@lru_cache(maxsize=1)
def register() -> Register:
    table = pd.read_csv(REGISTER_FILE, dtype=str, keep_default_na=False)
    for column in ("lat", "lon"):
        table[column] = pd.to_numeric(table[column], errors="coerce")
    return Register(table)


def rcc_members(name: str) -> tuple[str, ...]:
    key = name.strip().lower().replace(" ", "-")
    if key not in RCCS:
        raise ValueError(f"unknown RCC {name!r}; known: {', '.join(RCCS)} (or list councils with --las)")
    return RCCS[key]
