"""market.xlsx, for working with the numbers: England's children's-homes market as an Excel workbook
(XlsxWriter, native charts so the figures can be re-cut in Excel, frozen headers and units in every heading),
one function per sheet, from the same tables as the HTML report (`market_tables`)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from app.reports.market_tables import (
    BY_AREA,
    ENGLAND,
    ENGLAND_COLOUR,
    HIGHLIGHT_COLOUR,
    MarketTables,
    area_colour,
    as_text,
    heading_kind,
    is_missing,
    is_number,
    market_tables,
    subtitle,
)
from app.reports.workbook import formats, freeze_header, native_chart, print_one_page_wide, set_widths, write_header
from optimiser.market import Market

EXCEL_FORMATS = {"count": "#,##0", "share": "0.0%", "points": "+0.0;-0.0;0.0", "ratio": "0.00", "rate": "0.0",
                 "hhi": "#,##0", "year": "0"}
WORKBOOK_SHEETS = ("Summary", "Councils", "Regions", "Owners", "Difficult to replace", "Joiners and leavers",
                   "Sources")


def write_market_workbook(path: Path, market: Market, highlight: Sequence[str] = ()) -> Path:
    """market.xlsx: Summary, Councils, Regions, Owners, Difficult to replace, Joiners and leavers, Sources; native
    Excel charts."""
    import xlsxwriter

    t = market_tables(market, highlight)
    path = Path(path)
    book = xlsxwriter.Workbook(str(path))
    fmt = _workbook_formats(book)
    sheets = {name: book.add_worksheet(name) for name in WORKBOOK_SHEETS}
    chart_data = _regions_sheet(sheets["Regions"], t, fmt)  # first: the Summary's charts draw on its chart data
    _summary_sheet(book, sheets["Summary"], t, fmt, chart_data)
    _councils_sheet(sheets["Councils"], t, fmt)
    _owners_sheet(sheets["Owners"], t, fmt)
    _replace_sheet(sheets["Difficult to replace"], t, fmt)
    _joiners_sheet(book, sheets["Joiners and leavers"], t, fmt)
    _sources_sheet(sheets["Sources"], t, fmt)
    print_one_page_wide(book.worksheets())
    book.close()
    return path


def _workbook_formats(book) -> dict:
    """The shared formats, and one per kind of number, plain and shaded for a highlighted council."""
    fmt = formats(book)
    for highlighted in (False, True):
        extra = {"bg_color": "#FFF2CC"} if highlighted else {}
        fmt[("text", highlighted)] = book.add_format(extra)
        for kind, number_format in EXCEL_FORMATS.items():
            fmt[(kind, highlighted)] = book.add_format({"num_format": number_format, **extra})
    return fmt


def _write_table(sheet, frame: pd.DataFrame, row: int, fmt: dict, widths: dict[int, float], col: int = 0,
                 highlight: frozenset[str] = frozenset(), kind: str | None = None,
                 row_kinds: Sequence[str] | None = None) -> int:
    """A table with its header at `row`: numbers formatted by their heading's unit (or `kind` for every column
    after the first, or `row_kinds` per row), missing values blank, highlighted councils shaded. Returns the first
    row below the table."""
    write_header(sheet, row, frame.columns, fmt["header"], col)
    for c, heading in enumerate(frame.columns):
        words = max((len(w) for w in str(heading).split()), default=0)
        widths[col + c] = max(widths.get(col + c, 0), words + 2, len(str(heading)) / 3 + 2)
    names = frame.iloc[:, 0].astype(str).to_numpy() if len(frame.columns) else []
    for r, values in enumerate(frame.itertuples(index=False)):
        shaded = names[r] in highlight
        for c, value in enumerate(values):
            heading = frame.columns[c]
            cell_kind = (row_kinds[r] if row_kinds is not None else
                         kind if kind is not None and c > 0 else "year" if kind is not None else heading_kind(heading))
            if is_missing(value):
                sheet.write_blank(row + 1 + r, col + c, None, fmt[("text", shaded)])
                continue
            if is_number(value):
                sheet.write_number(row + 1 + r, col + c, float(value), fmt[(cell_kind, shaded)])
            else:
                sheet.write_string(row + 1 + r, col + c, str(value), fmt[("text", shaded)])
            shown = len(as_text(value, cell_kind)) + 2
            widths[col + c] = max(widths.get(col + c, 0), min(shown, 60))
    return row + 1 + len(frame)


def _set_widths(sheet, widths: dict[int, float]) -> None:
    set_widths(sheet, widths, narrowest=8, widest=60)


def _summary_sheet(book, sheet, t: MarketTables, fmt: dict, chart_data: dict) -> None:
    """The headline figures, England beside the highlighted region, the lowest sufficiency ratios, and the line
    charts of the market over the years."""
    widths: dict[int, float] = {}
    sheet.write(0, 0, f"England's children's homes market, {t.first_year} to {t.latest_year}", fmt["title"])
    sheet.write(1, 0, subtitle(t), fmt["note"])
    headline_row = 3
    kinds = [heading_kind(f"x ({unit})") if unit != "name" else "text" for unit in t.headline["unit"]]
    end = _write_table(sheet, t.headline, headline_row, fmt, widths, row_kinds=kinds)
    sheet.write(end, 0, "Each figure names its file in the source column; notes and every file read: Sources.",
                fmt["note"])
    lowest_row = end + 3
    sheet.write(lowest_row - 1, 0, "The ten councils with the lowest sufficiency ratio", fmt["subtitle"])
    end = _write_table(sheet, t.lowest, lowest_row, fmt, widths, highlight=t.highlight_names)
    sheet.write(end, 0, t.footnotes["councils"], fmt["note"])
    widths[0] = 62  # the headline's measures
    _set_widths(sheet, widths)
    freeze_header(sheet, headline_row, 1)
    charts = _summary_charts(book, t, chart_data, lowest_row)
    first_col = len(t.headline.columns) + 1
    for i, chart in enumerate(charts):
        chart.set_size({"width": 640, "height": 340})
        # two charts a row, placed by pixels from one column: the columns beside them have Excel's default width
        sheet.insert_chart(headline_row + (i // 2) * 18, first_col, chart,
                           {"x_offset": 10 + (i % 2) * 660, "object_position": 3})


def _summary_charts(book, t: MarketTables, data: dict, lowest_row: int) -> list:
    charts = [_line_chart(book, "Regions", data["trend"], [
        (f"{ENGLAND}: children's homes (homes)", ENGLAND_COLOUR, "dash"),
        (f"{ENGLAND}: places (places)", ENGLAND_COLOUR, "solid")],
        "England: children's homes and places, 31 March", "homes / places", "#,##0")]
    if t.region_name:
        charts.append(_line_chart(book, "Regions", data["trend"], [
            (f"{t.region_name}: children's homes (homes)", HIGHLIGHT_COLOUR, "dash"),
            (f"{t.region_name}: places (places)", HIGHLIGHT_COLOUR, "solid")],
            f"{t.region_name}: children's homes and places", "homes / places", "#,##0"))
    for title, number_format in zip(BY_AREA.values(), ("0%", "#,##0", "0%")):
        block = data[title]
        series = [(area, area_colour(area, t.region_name, i), "solid") for i, area in enumerate(block["columns"])]
        charts.append(_line_chart(book, "Regions", block, series, title.split(" (")[0],
                                  title.split(" (")[1].rstrip(")"), number_format))
    for name in [ENGLAND] + ([t.region_name] if t.region_name else []):
        colour = ENGLAND_COLOUR if name == ENGLAND else HIGHLIGHT_COLOUR
        charts.append(_line_chart(book, "Regions", data["trend"], [
            (f"{name}: places (places)", colour, "solid"),
            (f"{name}: children looked after in children's homes (children)", "#7F7F7F", "dash")],
            f"{name}: places against children looked after in children's homes", "places / children", "#,##0"))
    charts.append(_lowest_bar_chart(book, t, lowest_row))
    return charts


def _line_chart(book, sheet_name: str, block: dict, series: list[tuple[str, str, str]], title: str, y_name: str,
                number_format: str):
    """A native line chart over the list years from a block of chart data (header row, first column years)."""
    header, last = block["header_row"], block["header_row"] + block["rows"]
    lines = []
    for name, colour, dash in series:
        col = block["col"] + 1 + block["columns"].index(name)
        bold = colour in (ENGLAND_COLOUR, HIGHLIGHT_COLOUR)
        lines.append({"name": [sheet_name, header, col],
                      "categories": [sheet_name, header + 1, block["col"], last, block["col"]],
                      "values": [sheet_name, header + 1, col, last, col],
                      "line": {"color": colour, "width": 2.75 if bold else 1.5, "dash_type": dash},
                      "marker": {"type": "circle", "size": 5, "fill": {"color": colour}, "border": {"color": colour}}})
    chart = native_chart(book, "line", lines, title, title_size=11, x_axis={"name": "31 March of the list year"},
                         y_axis={"name": y_name, "num_format": number_format, "min": 0},
                         legend="right" if len(series) > 3 else "bottom")
    chart.show_blanks_as("gap")  # years without owners are gaps, not zeros
    return chart


def _lowest_bar_chart(book, t: MarketTables, lowest_row: int):
    n = len(t.lowest)
    ratio = list(t.lowest.columns).index("sufficiency ratio (places per child in homes)")
    bars = {"name": ["Summary", lowest_row, ratio], "categories": ["Summary", lowest_row + 1, 0, lowest_row + n, 0],
            "values": ["Summary", lowest_row + 1, ratio, lowest_row + n, ratio],
            "fill": {"color": "#B2182B"}, "data_labels": {"value": True, "num_format": "0.00"}}
    return native_chart(
        book, "bar", [bars], f"Lowest sufficiency ratios, {t.latest_year} (1 = as many places as the council's own "
        "children in homes)", title_size=11,
        x_axis={"name": "places per child looked after in a children's home", "num_format": "0.0", "min": 0},
        y_axis={"reverse": True},  # a bar chart's categories: lowest first, at the top
        legend=None)


def _regions_sheet(sheet, t: MarketTables, fmt: dict) -> dict:
    """Every area x year, then the blocks of chart data the Summary's line charts draw."""
    widths: dict[int, float] = {}
    end = _write_table(sheet, t.areas_years, 0, fmt, widths)
    freeze_header(sheet, 0, 1)
    sheet.autofilter(0, 0, end - 1, len(t.areas_years.columns) - 1)
    row = end + 1
    sheet.write(row, 0, t.footnotes["regions"], fmt["note"])
    row += 2
    blocks = {}
    sheet.write(row, 0, "Chart data: England and the highlighted region over the years", fmt["subtitle"])
    end = _write_table(sheet, t.trend, row + 1, fmt, widths)
    blocks["trend"] = {"header_row": row + 1, "rows": len(t.trend), "col": 0, "columns": list(t.trend.columns[1:])}
    row = end + 2
    for title, wide in t.by_area.items():
        sheet.write(row, 0, f"Chart data: {title}", fmt["subtitle"])
        frame = wide.reset_index(names="list year, 31 March (year)")
        end = _write_table(sheet, frame, row + 1, fmt, widths, kind=heading_kind(title))
        blocks[title] = {"header_row": row + 1, "rows": len(frame), "col": 0, "columns": list(wide.columns)}
        row = end + 2
    widths[0] = max(widths.get(0, 0), 26)
    _set_widths(sheet, widths)
    return blocks


def _councils_sheet(sheet, t: MarketTables, fmt: dict) -> None:
    widths: dict[int, float] = {}
    end = _write_table(sheet, t.council_years, 0, fmt, widths, highlight=t.highlight_names)
    sheet.write(end + 1, 0, t.footnotes["councils"], fmt["note"])
    freeze_header(sheet, 0, 1)
    sheet.autofilter(0, 0, end - 1, len(t.council_years.columns) - 1)
    _set_widths(sheet, widths)


def _owners_sheet(sheet, t: MarketTables, fmt: dict) -> None:
    widths: dict[int, float] = {}
    sheet.write(0, 0, f"The largest owners of children's homes in England, {t.latest_year}, and their growth",
                fmt["subtitle"])
    end = _write_table(sheet, t.owners, 1, fmt, widths)
    sheet.write(end, 0, t.footnotes["owners"], fmt["note"])
    freeze_header(sheet, 1, 2)
    row = end + 3
    sheet.write(row - 1, 0, "Every owner named in Ofsted's lists, every year", fmt["subtitle"])
    _write_table(sheet, t.owners_all, row, fmt, widths)
    _set_widths(sheet, widths)


def _replace_sheet(sheet, t: MarketTables, fmt: dict) -> None:
    widths: dict[int, float] = {}
    sheet.write(0, 0, f"Owners meeting the difficult-to-replace rule's market part in England, {t.latest_year}",
                fmt["subtitle"])
    sheet.write(1, 0, t.replace_note or "No national Ofsted list: the table needs England's whole list.", fmt["note"])
    end = _write_table(sheet, t.replace, 3, fmt, widths)
    freeze_header(sheet, 3, 1)
    if len(t.replace):
        sheet.autofilter(3, 0, end - 1, len(t.replace.columns) - 1)
    _set_widths(sheet, widths)
    sheet.set_column(0, 0, 40)


def _joiners_sheet(book, sheet, t: MarketTables, fmt: dict) -> None:
    widths: dict[int, float] = {}
    sheet.write(0, 0, "Homes that joined and left Ofsted's register between consecutive lists", fmt["subtitle"])
    end = _write_table(sheet, t.joiners, 1, fmt, widths)
    sheet.write(end, 0, t.footnotes["joiners"], fmt["note"])
    freeze_header(sheet, 1, 1)
    england = int(t.joiners["area"].eq(ENGLAND).sum())
    bars = []
    for heading, colour in (("homes that joined (homes)", "#70AD47"), ("homes that left (homes)", "#A5A5A5")):
        col = list(t.joiners.columns).index(heading)
        bars.append({"name": [sheet.name, 1, col], "categories": [sheet.name, 2, 2, 1 + england, 2],
                     "values": [sheet.name, 2, col, 1 + england, col], "fill": {"color": colour}})
    chart = native_chart(book, "column", bars, "England: homes that joined and left the register", title_size=11,
                         x_axis={"name": "to the list of 31 March"}, y_axis={"name": "homes", "num_format": "#,##0"},
                         size=(640, 340))
    sheet.insert_chart(1, len(t.joiners.columns) + 1, chart)
    row = max(end + 3, 22)
    sheet.write(row - 1, 0, "Every council (highlighted councils first)", fmt["subtitle"])
    _write_table(sheet, t.joiners_councils, row, fmt, widths, highlight=t.highlight_names)
    _set_widths(sheet, widths)


def _sources_sheet(sheet, t: MarketTables, fmt: dict) -> None:
    widths: dict[int, float] = {}
    sheet.write(0, 0, "The files every figure comes from", fmt["subtitle"])
    end = _write_table(sheet, t.sources, 1, fmt, widths)
    row = end + 2
    sheet.write(row, 0, "Notes", fmt["subtitle"])
    for i, note in enumerate(t.notes, start=1):
        sheet.write(row + i, 0, note)
    widths[0] = max(widths.get(0, 0), 80)
    _set_widths(sheet, widths)
