"""strategy.xlsx, what procurement teams work from: the strategy board pack as an Excel workbook (XlsxWriter through
pandas, native charts, frozen headers and units in every heading), one function per sheet, from the same tables as
the HTML report (`board_tables`)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from app.reports.strategy_tables import (
    COST_LINES,
    BoardTables,
    board_tables,
    council_accounts_table,
    is_money,
    sharing_table,
)
from app.reports.workbook import formats, freeze_header, native_chart, print_one_page_wide, set_widths, write_header
from optimiser.strategy import PLAN_NAMES, Strategy


def write_strategy_workbook(path: Path, strategy: Strategy, renegotiate: pd.DataFrame, gap: pd.DataFrame,
                            header: dict, names: dict[str, str], accounts: pd.DataFrame | None = None,
                            sharing: pd.DataFrame | None = None) -> Path:
    """strategy.xlsx: Summary, Demand vs supply, Gaps, Actions, Renegotiate, Councils (each council's account of
    the starting match, when the plan had one), Assumptions, Options; native charts."""
    t = board_tables(strategy, renegotiate, gap, header, names)
    with pd.ExcelWriter(path, engine="xlsxwriter") as writer:
        book = writer.book
        fmt = formats(book) | {"money": book.add_format({"num_format": "£#,##0"}),
                               "number": book.add_format({"num_format": "0.0"}),
                               "share": book.add_format({"num_format": "0.0%"})}
        _summary_sheet(writer, t, fmt, strategy)
        _demand_sheet(writer, t, fmt)
        _gaps_sheet(writer, t, fmt, strategy)
        _actions_sheet(writer, t, fmt)
        _table_sheet(writer, "Renegotiate", t.renegotiate, fmt,
                     widths={0: 12, 1: 30, 2: 22, 3: 20, 8: 110, 9: 80, 10: 40})
        if accounts is not None:
            blocks = [("Each council's account of today's match: regional against searching alone",
                       council_accounts_table(accounts))]
            if sharing is not None and len(sharing):
                blocks.append((f"Who pays and saves what: the {sharing['rule'].iat[0]} rule (strategy_run.json "
                               "says how)", sharing_table(sharing)))
            _table_sheet(writer, "Councils", blocks[0][1], fmt, widths={0: 26}, title_rows=blocks)
        _table_sheet(writer, "Assumptions", t.assumptions, fmt, widths={0: 34, 1: 22, 2: 80},
                     title_rows=[("Parameters (strategy_run.json holds every value)", t.assumptions),
                                 ("Supply today, per council x kind of home", t.supply)])
        _table_sheet(writer, "Options", t.options, fmt, widths={0: 40, 1: 18, 11: 80})
        print_one_page_wide(writer.sheets.values())
    return path


def _summary_sheet(writer, t: BoardTables, fmt: dict, strategy: Strategy) -> None:
    """Headline figures, the cost comparison, and a stacked column chart of the cost lines per plan."""
    name = "Summary"
    t.headline.to_excel(writer, sheet_name=name, startrow=2, index=False)
    sheet = writer.sheets[name]
    sheet.write(0, 0, "Regional sufficiency strategy: the commissioning plan", fmt["title"])
    write_header(sheet, 2, t.headline.columns, fmt["header"])
    set_widths(sheet, {0: 62, 1: 58, 2: 30})
    for row, value in enumerate(t.headline["value"], start=3):
        if isinstance(value, float):
            unit = t.headline.at[row - 3, "unit"]
            sheet.write_number(row, 1, value, fmt["share"] if "share" in unit else
                               fmt["money"] if unit.startswith("£") else fmt["number"])
    cost_row = len(t.headline) + 5
    t.costs.to_excel(writer, sheet_name=name, startrow=cost_row, index=False)
    write_header(sheet, cost_row, t.costs.columns, fmt["header"])
    sheet.set_column(3, 4, 30, fmt["money"])
    sheet.set_row(cost_row, 45)
    for col in range(1, len(t.costs.columns)):
        for r in range(len(t.costs)):
            sheet.write_number(cost_row + 1 + r, col, float(t.costs.iat[r, col]), fmt["money"])
    freeze_header(sheet, 2)
    last = len(t.costs.columns) - 1
    series = [{"name": [name, cost_row + 1 + r, 0], "categories": [name, cost_row, 1, cost_row, last],
               "values": [name, cost_row + 1 + r, 1, cost_row + 1 + r, last]}
              for r in range(len(COST_LINES) - 1)]  # every cost line but the total
    chart = native_chart(writer.book, "column", series, "Expected cash cost by plan", subtype="stacked",
                         y_axis={"name": f"£ over {strategy.params.horizon_quarters / 4:g} years",
                                 "num_format": "£#,##0,,\"m\""}, size=(900, 460))
    sheet.insert_chart(cost_row + len(t.costs) + 3, 0, chart)


def _demand_sheet(writer, t: BoardTables, fmt: dict) -> None:
    """The region per quarter (with a chart of places against demand), then every council x group x quarter."""
    name = "Demand vs supply"
    t.regional.to_excel(writer, sheet_name=name, index=False)
    sheet = writer.sheets[name]
    write_header(sheet, 0, t.regional.columns, fmt["header"])
    n = len(t.regional)
    quarters = [name, 1, 1, n, 1]
    places = [{"name": [name, 0, col], "categories": quarters, "values": [name, 1, col, n, col],
               "fill": {"color": colour}} for col, colour in ((3, "#4472C4"), (4, "#70AD47"), (5, "#FFC000"))]
    chart = native_chart(writer.book, "column", places, "Whole region: places against demand at the service level",
                         subtype="stacked", y_axis={"name": "children / places"}, size=(980, 480))
    line = writer.book.add_chart({"type": "line"})
    line.add_series({"name": [name, 0, 2], "categories": quarters, "values": [name, 1, 2, n, 2],
                     "line": {"color": "#C00000", "width": 2.5}})
    line.add_series({"name": [name, 0, 8], "categories": quarters, "values": [name, 1, 8, n, 8],
                     "line": {"color": "#7F7F7F", "dash_type": "dash"}})
    chart.combine(line)
    sheet.insert_chart(n + 3, 0, chart)
    detail_row = n + 29
    sheet.write(detail_row - 1, 0, "Every council x kind of home x quarter (recommended plan)", fmt["title"])
    t.balance.to_excel(writer, sheet_name=name, startrow=detail_row, index=False)
    write_header(sheet, detail_row, t.balance.columns, fmt["header"])
    sheet.set_column(0, 2, 22)
    sheet.set_column(3, len(t.balance.columns), 16, fmt["number"])
    freeze_header(sheet, 0, 2)


def _gaps_sheet(writer, t: BoardTables, fmt: dict, strategy: Strategy) -> None:
    """Where a shortfall stays likely, the starting evidence, then every cell's risk under each plan (charted)."""
    name = "Gaps"
    _table_sheet(writer, name, t.gaps, fmt, widths={0: 22, 1: 22}, share_columns="chance",
                 title_rows=[("Council x kind of home where a shortfall stays likely under the plan", t.gaps),
                             ("Starting evidence: children the match could not place today", t.starting_gap)])
    risk_row = len(t.gaps) + len(t.starting_gap) + 8
    t.risk.to_excel(writer, sheet_name=name, startrow=risk_row, index=False)
    sheet = writer.sheets[name]
    sheet.write(risk_row - 1, 0, "Shortfall risk, every council x kind of home, each plan", fmt["title"])
    write_header(sheet, risk_row, t.risk.columns, fmt["header"])
    n = len(t.risk)
    weeks = [list(t.risk.columns).index(f"{PLAN_NAMES[plan]}: expected shortfall (child-weeks)")
             for plan in ("do_nothing", strategy.chosen)]
    bars = [{"name": [name, risk_row, col], "categories": [name, risk_row + 1, 0, risk_row + n, 1],
             "values": [name, risk_row + 1, col, risk_row + n, col], "fill": {"color": colour}}
            for col, colour in zip(weeks, ("#C00000", "#4472C4"))]
    chart = native_chart(writer.book, "bar", bars, "Expected child-weeks without a suitable home",
                         x_axis={"name": "child-weeks over the plan"}, size=(900, max(480, 22 * n)))
    sheet.insert_chart(0, len(t.risk.columns) + 1, chart)


def _actions_sheet(writer, t: BoardTables, fmt: dict) -> None:
    """Every action, the places added per quarter (charted), then the plan council by council."""
    name = "Actions"
    _table_sheet(writer, name, t.actions, fmt, widths={0: 90, 1: 20, 2: 16, 3: 22, 4: 12, 5: 30}, money_columns="£")
    sheet = writer.sheets[name]
    start = len(t.actions) + 3
    sheet.write(start - 1, 0, "Places the plan has added, by quarter", fmt["title"])
    t.places_by_quarter.to_excel(writer, sheet_name=name, startrow=start, index=False)
    write_header(sheet, start, t.places_by_quarter.columns, fmt["header"])
    nq = len(t.places_by_quarter)
    series = [{"name": [name, start, col], "categories": [name, start + 1, 0, start + nq, 0],
               "values": [name, start + 1, col, start + nq, col]} for col in range(1, len(t.places_by_quarter.columns))]
    chart = native_chart(writer.book, "column", series, "Places added by the plan", subtype="stacked",
                         y_axis={"name": "places"}, size=(900, 420))
    sheet.insert_chart(start + nq + 2, 0, chart)
    by_council_row = start + nq + 25
    sheet.write(by_council_row - 1, 0, "The plan council by council", fmt["title"])
    t.actions_by_council.to_excel(writer, sheet_name=name, startrow=by_council_row, index=False)
    write_header(sheet, by_council_row, t.actions_by_council.columns, fmt["header"])


def _table_sheet(writer, name: str, frame: pd.DataFrame, fmt: dict, widths: dict[int, int] | None = None,
                 money_columns: str = "", share_columns: str = "",
                 title_rows: list[tuple[str, pd.DataFrame]] | None = None) -> None:
    """A sheet of one or more tables, the first header frozen, money and shares formatted by heading."""
    blocks = title_rows or [("", frame)]
    row = 0
    first_header = None
    for title, table in blocks:
        if title:
            if row == 0:
                pd.DataFrame().to_excel(writer, sheet_name=name)
            writer.sheets[name].write(row, 0, title, fmt["title"])
            row += 1
        table.to_excel(writer, sheet_name=name, startrow=row, index=False)
        sheet = writer.sheets[name]
        write_header(sheet, row, table.columns, fmt["header"])
        first_header = row if first_header is None else first_header
        for col, column in enumerate(table.columns):
            style = (fmt["money"] if is_money(column) or (money_columns and money_columns in column) else
                     fmt["share"] if "share" in column or (share_columns and share_columns in column) else None)
            if style is None or not pd.api.types.is_numeric_dtype(table[column]):
                continue
            for r, value in enumerate(table[column]):
                if pd.notna(value):
                    sheet.write_number(row + 1 + r, col, float(value), style)
        row += len(table) + 3
    sheet = writer.sheets[name]
    freeze_header(sheet, first_header)
    sheet.set_column(0, max(len(frame.columns), 1), 18)
    set_widths(sheet, widths or {})
