"""The reports' one workbook helper (XlsxWriter): the formats every workbook shares, a table's header row, frozen
headers, column widths, a native Excel chart, and the board-pack print setup."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

HEADER = {"bold": True, "text_wrap": True, "valign": "top", "bg_color": "#DDEBF7", "border": 1}
HEADER_HEIGHT = 48  # points: room for a heading and its unit wrapped over three lines


def formats(book) -> dict:
    """The formats every workbook uses: a sheet's title, a table's subtitle, a note, a table's header row."""
    return {"title": book.add_format({"bold": True, "font_size": 14}),
            "subtitle": book.add_format({"bold": True, "font_size": 11}),
            "note": book.add_format({"italic": True, "font_color": "#555555"}),
            "header": book.add_format(HEADER)}


def write_header(sheet, row: int, headings: Iterable, header_format, col: int = 0) -> None:
    """A table's header row from column `col`: every heading wrapped in the header format, the row tall enough for
    headings with units."""
    for c, heading in enumerate(headings):
        sheet.write_string(row, col + c, str(heading), header_format)
    sheet.set_row(row, HEADER_HEIGHT)


def freeze_header(sheet, header_row: int, columns: int = 0) -> None:
    """The rows down to a table's header (and the first `columns` columns) stay in view when scrolling."""
    sheet.freeze_panes(header_row + 1, columns)


def set_widths(sheet, widths: dict[int, float], narrowest: float = 0, widest: float = float("inf")) -> None:
    """Column widths (characters) by column number, each kept within narrowest..widest."""
    for col, width in widths.items():
        sheet.set_column(col, col, max(narrowest, min(width, widest)))


def native_chart(book, kind: str, series: Sequence[dict], title: str, subtype: str | None = None,
                 title_size: float | None = None, x_axis: dict | None = None, y_axis: dict | None = None,
                 legend: str | None = "bottom", size: tuple[int, int] | None = None):
    """A native Excel chart (so a reader can re-cut it in Excel) of `series` (XlsxWriter add_series options, in
    order), titled, its legend at `legend` (None: no legend), `size` (width, height) in pixels; the caller inserts
    it, or combines it with another."""
    chart = book.add_chart({"type": kind, **({"subtype": subtype} if subtype else {})})
    for options in series:
        chart.add_series(options)
    chart.set_title({"name": title, **({"name_font": {"size": title_size}} if title_size else {})})
    if x_axis:
        chart.set_x_axis(x_axis)
    if y_axis:
        chart.set_y_axis(y_axis)
    chart.set_legend({"position": legend} if legend else {"none": True})
    if size:
        chart.set_size({"width": size[0], "height": size[1]})
    return chart


def print_one_page_wide(sheets: Iterable) -> None:
    """Printed for a board pack: landscape A4, each sheet one page wide however long."""
    for sheet in sheets:
        sheet.set_landscape()
        sheet.set_paper(9)
        sheet.fit_to_pages(1, 0)
