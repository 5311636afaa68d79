"""sweep.xlsx: a sweep compared cell by cell (XlsxWriter through pandas): the Cells sheet (one row per cell: region,
job, what it set, the headline figures, how it ran), native charts of the headline figures per cell, and an About
sheet (the spec, the counts, each failed cell's error)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from app.reports.workbook import formats, freeze_header, native_chart, set_widths, write_header

MONEY = ("forecast_weekly_cost_end", "weekly_cost", "plan_cost", "savings")
SHARES = ("share_over_20_miles", "shortfall_risk")
COUNTS = ("children_in_care_end", "children_unmatched", "over_20_miles")
# The charts: (title, headline columns drawn as bars, the value axis's number format).
CHARTS = (
    ("Weekly cost of the matched placements", ("weekly_cost",), "£#,##0"),
    ("Children unmatched and placed over 20 miles", ("children_unmatched", "over_20_miles"), "0"),
    ("The strategy's expected saving against doing nothing", ("savings",), "£#,##0,,\"m\""),
    ("The strategy's shortfall risk", ("shortfall_risk",), "0%"),
    ("Children in care expected at the forecast's end", ("children_in_care_end",), "#,##0"),
)


def write_sweep_workbook(path: Path, cells: pd.DataFrame, record: dict) -> Path:
    with pd.ExcelWriter(path, engine="xlsxwriter") as writer:
        book = writer.book
        fmt = formats(book) | {"money": book.add_format({"num_format": "£#,##0"}),
                               "share": book.add_format({"num_format": "0.0%"}),
                               "count": book.add_format({"num_format": "#,##0"})}
        _cells_sheet(writer, cells, fmt)
        _charts_sheet(writer, cells, fmt)
        _about_sheet(writer, record, fmt)
    return path


def _cells_sheet(writer, cells: pd.DataFrame, fmt: dict) -> None:
    name = "Cells"
    cells.to_excel(writer, sheet_name=name, startrow=2, index=False)
    sheet = writer.sheets[name]
    sheet.write(0, 0, "The sweep, cell by cell: headline figures per region x job x parameters", fmt["title"])
    write_header(sheet, 2, [c.replace("_", " ") for c in cells.columns], fmt["header"])
    widths = {}
    for col, column in enumerate(cells.columns):
        style = fmt["money"] if column in MONEY else fmt["share"] if column in SHARES else \
            fmt["count"] if column in COUNTS else None
        widths[col] = 14 if style else min(40, max(10, int(cells[column].astype(str).str.len().max() or 10) + 2))
        if style is not None:
            sheet.set_column(col, col, widths[col], style)
        else:
            sheet.set_column(col, col, widths[col])
    freeze_header(sheet, 2, 3)


def _charts_sheet(writer, cells: pd.DataFrame, fmt: dict) -> None:
    """One bar chart per headline figure some cell has, a bar per cell (labelled region / job / cell)."""
    name = "Charts"
    sheet = writer.book.add_worksheet(name)
    sheet.write(0, 0, "Headline figures per cell (from the Cells sheet)", fmt["title"])
    n = len(cells)
    if n == 0:
        sheet.write(2, 0, "No cell was stored.", fmt["note"])
        return
    label_col = len(cells.columns)  # a helper column on Cells: region / job / cell, the charts' categories
    labels = cells["region"].astype(str) + " / " + cells["job"].astype(str) + " / " + cells["cell"].astype(str)
    cells_sheet = writer.sheets["Cells"]
    cells_sheet.write_string(2, label_col, "chart label", fmt["header"])
    for r, label in enumerate(labels, start=3):
        cells_sheet.write_string(r, label_col, label)
    row = 2
    for title, columns, number_format in CHARTS:
        present = [c for c in columns if c in cells.columns and pd.to_numeric(cells[c], errors="coerce").notna().any()]
        if not present:
            continue
        series = [{"name": column.replace("_", " "), "categories": ["Cells", 3, label_col, 2 + n, label_col],
                   "values": ["Cells", 3, list(cells.columns).index(column), 2 + n, list(cells.columns).index(column)]}
                  for column in present]
        chart = native_chart(writer.book, "bar", series, title, title_size=12,
                             x_axis={"num_format": number_format, "major_gridlines": {"visible": True}},
                             y_axis={"reverse": True}, legend="bottom" if len(present) > 1 else None,
                             size=(900, max(300, 60 + 22 * n)))
        sheet.insert_chart(row, 0, chart)
        row += max(16, 4 + int(1.1 * n))


def _about_sheet(writer, record: dict, fmt: dict) -> None:
    name = "About"
    rows = [("sweep", record.get("name")), ("spec", record.get("spec")), ("ran on", record.get("executor")),
            ("finished", record.get("finished_at")), ("wall clock (s)", record.get("wall_s")),
            ("cells", record.get("cells")), ("computed now", record.get("computed")),
            ("reused from the store", record.get("reused")), ("failed", len(record.get("failed", {}))),
            ("result store", record.get("store"))]
    rows += [(f"headline: {k}", v) for k, v in record.get("headline", {}).items()]
    rows += [(f"failed: {f['region']} / {f['job']} / {f['cell']} ({f['cell_id']})", f["error"])
             for f in record.get("failed", [])]
    frame = pd.DataFrame(rows, columns=["item", "value"])
    frame.to_excel(writer, sheet_name=name, startrow=2, index=False)
    sheet = writer.sheets[name]
    sheet.write(0, 0, "About this sweep (sweep_run.json holds every cell's id)", fmt["title"])
    write_header(sheet, 2, frame.columns, fmt["header"])
    set_widths(sheet, {0: 34, 1: 110})
