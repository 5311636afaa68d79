"""The reports' one HTML helper: the style sheet every report starts from, a captioned figure and the
self-contained document (one file: inline styles and SVG, no scripts, nothing fetched from the network)."""

from __future__ import annotations

import html
from collections.abc import Iterable

REPORT_CSS = """
body { font-family: "Segoe UI", Arial, sans-serif; color: #1f1f1f; max-width: 1100px; margin: 2em auto; padding: 0 1em;
       line-height: 1.45; }
h1 { font-size: 1.8em; margin-bottom: 0.1em; } h2 { border-bottom: 2px solid #4472C4; padding-bottom: 0.2em;
margin-top: 1.8em; } .sub { color: #555; margin-top: 0; }
.cards { display: grid; grid-template-columns: repeat(4, 1fr); gap: 0.8em; margin: 1.2em 0; }
.card { border: 1px solid #c9d6ea; border-radius: 6px; padding: 0.7em 0.9em; background: #f5f8fc; }
.card .value { font-size: 1.5em; font-weight: 600; } .card .label { color: #444; font-size: 0.9em; }
table { border-collapse: collapse; width: 100%; font-size: 0.86em; margin: 0.6em 0 1.2em; }
th { background: #DDEBF7; text-align: left; vertical-align: bottom; } th, td { border: 1px solid #c9d6ea;
padding: 0.3em 0.45em; } td.n { text-align: right; white-space: nowrap; }
figure { margin: 1em 0; } figcaption { color: #555; font-size: 0.9em; } svg { max-width: 100%; height: auto; }
.note { color: #555; font-size: 0.9em; }
@media print { body { margin: 0; max-width: none; } h2 { break-before: auto; } figure, table, .cards
{ break-inside: avoid; } .cards { grid-template-columns: repeat(4, 1fr); } }
"""


def figure(image: str, caption: str) -> str:
    """An inline SVG chart with its caption beneath."""
    return f"<figure>{image}<figcaption>{html.escape(caption)}</figcaption></figure>"


def document(title: str, sections: Iterable[str], css: str = REPORT_CSS) -> str:
    """The whole HTML file: the title, the style sheet inline and the sections one after another."""
    return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{html.escape(title)}</title><style>{css}</style></head><body>{''.join(sections)}</body></html>")


def table(frame) -> str:
    """A table of text as it reads (app/reports/readable.py shapes it): headings, then one row per record; figures
    (cells starting with a digit, £ or a minus) set right."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    rows = []
    for record in frame.itertuples(index=False):
        cells = []
        for value in record:
            text = str(value)
            numeric = text[:1].isdigit() or text[:1] in "£-" and text[1:2].isdigit()
            cells.append(f"<td class='n'>{html.escape(text)}</td>" if numeric else f"<td>{html.escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
