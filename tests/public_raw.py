"""The real public data read the plain way (the csv module, a few lines each): the independent counts the readers'
tests compare against. Nothing here imports rcc's readers."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

PUBLIC = Path(__file__).resolve().parents[2] / "shared" / "public-data"
OFSTED = PUBLIC / "ofsted"
OFSTED_CSVS = sorted(OFSTED.glob("provider_at_march_*.csv"))
WALES = {"cardiff", "conwy", "newport", "wrexham", "swansea", "gwynedd", "powys", "flintshire", "torfaen",
         "caerphilly", "bridgend", "ceredigion", "pembrokeshire", "carmarthenshire", "monmouthshire", "denbighshire",
         "isle of anglesey", "vale of glamorgan", "rhondda cynon taf", "merthyr tydfil", "blaenau gwent",
         "neath port talbot"}
GM_NAMES = {"bolton", "bury", "manchester", "oldham", "rochdale", "salford", "stockport", "tameside", "trafford",
            "wigan"}


def ofsted_records(path: Path) -> list[dict[str, str]]:
    """A provider list's records under its header row (the row holding 'URN'), header cells on one line."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    at = next(i for i, row in enumerate(rows) if "URN" in row)
    header = [" ".join(cell.split()) for cell in rows[at]]
    return [dict(zip(header, row)) for row in rows[at + 1:] if any(cell.strip() for cell in row)]


def kind(record: dict[str, str]) -> str:
    t = record.get("Provision type", "").lower().replace("\u2019", "'")
    if t == "secure children's home":
        return "secure"
    if t == "residential special school (registered as a children's home)":
        return "rss_home"
    if t == "children's home":
        return "home"
    if t == "supported accommodation":
        return "supported"
    return ""


def owner_of(record: dict[str, str]) -> str:
    return record.get("Organisation which owns the provider", record.get("Organisation", "")).strip()


def same_owner(name: str) -> str:
    """Owners compared as the reader promises: case, spaces, punctuation, '&' and the legal form (Ltd, Limited,
    plc...) ignored."""
    words = re.sub(r"[^a-z0-9 ]", " ", name.lower().replace("&", " and ")).split()
    return "".join(w for w in words if w not in {"limited", "ltd", "plc", "llp", "lp", "cic", "cio", "inc",
                                                 "company", "co"})


def in_england(record: dict[str, str]) -> bool:
    return record.get("Local authority", "").strip().lower() not in WALES


def live(record: dict[str, str]) -> bool:
    return record.get("Registration status", "Active").strip().lower() in ("active", "suspended")


def places(record: dict[str, str]) -> int:
    value = record.get("Places", "").strip()
    return int(value) if value else 0
