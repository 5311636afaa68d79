"""The profit cap sweep's chart (a PNG and a one-file HTML report): the region's yearly saving and the children at
risk of losing their home at each cap, drawn once and written both ways."""

from __future__ import annotations

import html
from pathlib import Path

import pandas as pd

from app.reports.charts import pyplot, svg
from app.reports.page import document, figure


def _figure(sweep: pd.DataFrame):
    plt = pyplot()
    fig, saving = plt.subplots(figsize=(7.5, 4))
    labels = [f"{c:.0%}" for c in sweep["cap"]]
    saving.bar(labels, sweep["yearly_saving"] / 1e6, color="#4472C4", label="yearly saving (£m)")
    saving.set_xlabel("cap on operating margin")
    saving.set_ylabel("yearly saving to the region (£m)")
    children = saving.twinx()
    children.plot(labels, sweep["children_at_risk"], color="#C0504D", marker="o", label="children at risk")
    children.plot(labels, sweep["not_rehoused"], color="#7F7F7F", marker="s", linestyle="--",
                  label="of them, not re-housed")
    children.set_ylabel("children")
    children.set_ylim(bottom=0)
    lines = saving.get_legend_handles_labels(), children.get_legend_handles_labels()
    saving.legend(lines[0][0] + lines[1][0], lines[0][1] + lines[1][1], fontsize=8, frameon=False,
                  loc="upper right")
    saving.spines[["top"]].set_visible(False)
    return fig


def write_sweep_png(path: Path, sweep: pd.DataFrame) -> Path:
    fig = _figure(sweep)
    fig.savefig(path, format="png", dpi=120, bbox_inches="tight", metadata={"Software": None})
    pyplot().close(fig)
    return path


def write_sweep_html(path: Path, sweep: pd.DataFrame, exit_margin: float) -> Path:
    rows = "".join(
        f"<tr><td>{r.cap:.0%}</td><td class='n'>£{r.weekly_saving:,.0f}</td><td class='n'>£{r.yearly_saving:,.0f}</td>"
        f"<td class='n'>{r.providers_at_risk:,}</td><td class='n'>{r.places_at_risk:,}</td>"
        f"<td class='n'>{r.children_at_risk:,}</td><td class='n'>{r.rehoused:,}</td>"
        f"<td class='n'>{r.not_rehoused:,}</td></tr>" for r in sweep.itertuples(index=False))
    table = ("<table><tr><th>cap</th><th>saving a week</th><th>saving a year</th><th>companies at risk</th>"
             "<th>places at risk</th><th>children needing a new home</th><th>re-housed</th><th>not re-housed</th>"
             f"</tr>{rows}</table>")
    caption = (f"Bars: what the region would save a year on placements with the companies that stay. Lines: the "
               f"children living with companies the cap would push below a {exit_margin:.0%} margin, and those the "
               "regional match could not re-house.")
    body = ["<h1>What a profit cap would do</h1>",
            f"<p class='sub'>{html.escape('Each owner’s operating margin capped; the excess returned as lower fees.')}"
            "</p>", figure(svg(_figure(sweep)), caption), table]
    path.write_text(document("Profit cap sweep", body), encoding="utf-8")
    return path
