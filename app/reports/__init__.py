"""The documents rcc writes for readers who are not programmers: the strategy board pack (strategy_tables,
strategy_workbook, strategy_html) and England's children's-homes market (market_tables, market_workbook, market_html),
each an Excel workbook with native charts and a self-contained HTML report. What they share lives once: charts.py
(matplotlib figures as inline SVG), workbook.py (XlsxWriter formats, headers, widths, native charts, print setup)
and page.py (the style sheet, figures and the HTML document)."""
