"""Rebuild `data/public_extract/`: the rows of the real publications about Greater Manchester's ten councils (and
England's and the North West's totals), in the publications' own layouts, so `make run` can show the real market
for Greater Manchester on a machine without ../shared/public-data.

    .venv/bin/python -m data.reference.build_extract ../shared/public-data

Every file keeps its publication's title rows, header and columns; only rows about other councils are dropped.
Sources (Crown copyright, Open Government Licence v3.0): Ofsted, "Children's social care data in England"
(provider level at 31 March 2017-2025, and the 2023 workbook's provider sheets, saved as XLSX); DfE, "Children
looked after in England including adoptions" (LA tables 2010-2024, and FOI 2024/0040813); ONS council boundaries
(May 2023) and mid-year population estimates aged 0-17.
"""

from __future__ import annotations

import csv
import io
import shutil
import sys
from pathlib import Path

from data.authorities import RCCS, register
from data.public.tabular import decode

OUT = Path(__file__).resolve().parents[1] / "public_extract"
GM = set(RCCS["greater-manchester"])
KEEP_AREAS = {"england", "north west", "national"}
NUMBERS = {n for n, code in zip(register().table["old_la_code"], register().table["la_code"]) if code in GM}
NAMES = {register().name(code).lower() for code in GM}


def _keep(row: list[str]) -> bool:
    cells = {c.strip().lower() for c in row}
    return bool(cells & (GM | {c.lower() for c in GM})) or bool(cells & NAMES) or bool(cells & NUMBERS) or (
        bool(cells & KEEP_AREAS) and not cells & {"local authority", "la"})


def _ofsted_row(header: list[str]):
    """Ofsted's lists: keep a provider when its Local authority is one of Greater Manchester's councils (its
    Ofsted region column says North West for the whole region, so a row-wide test keeps too much)."""
    keys = [" ".join(c.split()).lower() for c in header]
    column = keys.index("local authority") if "local authority" in keys else None
    return (lambda row: column is not None and column < len(row) and row[column].strip().lower() in NAMES)


def _filter_csv(source: Path, target: Path, header_rows: int | None = None, ofsted: bool = False) -> None:
    text, _ = decode(source.read_bytes())
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = header_rows if header_rows is not None else next(
        i for i, r in enumerate(rows[:40]) if sum(bool(c.strip()) for c in r) >= 3) + 1
    if ofsted:
        header = next(i for i, r in enumerate(rows[:40]) if "URN" in r) + 1
    keep = _ofsted_row(rows[header - 1]) if ofsted else _keep
    kept = rows[:header] + [r for r in rows[header:] if keep(r)]
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\n").writerows(kept)


def _filter_workbook(source: Path, target: Path, sheets: tuple[str, ...]) -> None:
    from openpyxl import Workbook
    from python_calamine import CalamineWorkbook

    book = CalamineWorkbook.from_path(str(source))
    out = Workbook()
    out.remove(out.active)
    for name in book.sheet_names:
        if not any(s in name for s in sheets):
            continue
        rows = book.get_sheet_by_name(name).to_python()
        header = next(i for i, r in enumerate(rows) if "URN" in [str(c) for c in r]) + 1
        sheet = out.create_sheet(name)
        keep = _ofsted_row([str(c) for c in rows[header - 1]])
        for row in rows[:header] + [r for r in rows[header:] if keep([str(c) for c in r])]:
            sheet.append(list(row))
    target.parent.mkdir(parents=True, exist_ok=True)
    out.save(target)


def _filter_geojson(source: Path, target: Path) -> None:
    import json

    data = json.loads(source.read_text(encoding="utf-8"))
    data["features"] = [f for f in data["features"] if f["properties"].get("CTYUA23CD") in GM]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(data), encoding="utf-8")


def build(data_dir: Path) -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    for path in sorted((data_dir / "ofsted").glob("provider_at_march_*.csv")):
        _filter_csv(path, OUT / "ofsted" / path.name, ofsted=True)
    for path in sorted((data_dir / "ofsted").glob("*.ods")):
        _filter_workbook(path, OUT / "ofsted" / (path.stem + "_greater_manchester.xlsx"),
                         ("Provider_level_at", "Providers+places_at"))
    dfe = data_dir / "dfe"
    for path in sorted(dfe.rglob("*.csv")):
        if "Statistical_Neighbour" in path.name:
            continue
        _filter_csv(path, OUT / "dfe" / path.relative_to(dfe))
    ons = data_dir / "ons"
    for path in sorted(ons.glob("*.geojson")):
        _filter_geojson(path, OUT / "ons" / path.name)
    for path in sorted(ons.glob("population*.csv")):
        _filter_csv(path, OUT / "ons" / path.name, header_rows=1)
    (OUT / "README.md").write_text(__doc__.split("\n\n", 1)[0] + "\n\n" + __doc__.split("\n\n", 2)[2],
                                   encoding="utf-8")


if __name__ == "__main__":
    build(Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/public-data"))
    print(OUT)
