"""Blank templates a council fills in: one CSV per table, and one Excel workbook with a guide sheet."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from data.schema import TABLES

WORKBOOK_NAME = "region-template.xlsx"


def guide_table() -> pd.DataFrame:
    """Every column of every table, described (the same content as `rcc schema`)."""
    rows = []
    for table in TABLES.values():
        for c in table.columns:
            default = ";".join(c.default) if isinstance(c.default, tuple) else c.default
            rows.append({"table": table.name, "column": c.name, "required": "yes" if c.required else "",
                         "type": c.dtype, "unit": c.unit, "default": "" if default is None else default,
                         "rule": c.rule_text(), "description": c.description,
                         "table_is_optional": "yes" if table.optional_table else ""})
    return pd.DataFrame(rows)


def write_templates(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for table in TABLES.values():
        path = folder / table.file_name
        pd.DataFrame(columns=table.column_names).to_csv(path, index=False)
        written.append(path)
    book = folder / WORKBOOK_NAME
    with pd.ExcelWriter(book, engine="openpyxl") as writer:
        guide = guide_table()
        guide.to_excel(writer, sheet_name="guide", index=False)
        for table in TABLES.values():
            pd.DataFrame(columns=table.column_names).to_excel(writer, sheet_name=table.name, index=False)
        for sheet in writer.book.worksheets:
            _format_sheet(sheet)
    written.append(book)
    return written


def _format_sheet(sheet) -> None:
    """Bold headers, frozen top row, readable widths: it opens ready to type into."""
    sheet.freeze_panes = "A2"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for index, column in enumerate(sheet.columns, start=1):
        longest = max((len(str(cell.value)) for cell in column if cell.value is not None), default=8)
        sheet.column_dimensions[get_column_letter(index)].width = min(60, max(10, longest + 2))
