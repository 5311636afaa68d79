"""The dashboard's board pack: the month's pages as one self-contained HTML report (inline SVG charts, no scripts,
nothing fetched), for the reader's own scope. A council officer's pack holds their council's children and
referrals only, beside the region's totals; a commissioner's holds the whole region. The tables it is given are
already filtered to the reader (app/dashboard/loaders.py applies the role filter); this module only shapes them."""

from __future__ import annotations

import html
from dataclasses import dataclass

import pandas as pd

from app.reports.charts import pyplot, svg_with_legend_beside
from app.reports.page import document, figure, table
from app.reports.readable import council_name, in_words, readable
from app.reports.strategy_tables import PLAN_SOURCES, action_sentences, strategy_plan_sources
from data.vocabulary import HOME_KIND_LABELS, HOME_KINDS

UNLAWFUL_FLAGS = ("unregistered_placement", "under_16_supported", "secure_need_unmet", "dol_unregistered",
                  "dol_forbidden_setting")


@dataclass(frozen=True)
class PackInput:
    title: str  # "Bolton: board pack" or the region's
    month: str
    run_id: str
    scope: str  # who the pack is about, in words
    figures: list  # figures.KeyFigure: the region's totals
    allocations: pd.DataFrame  # the reader's referrals
    flags: pd.DataFrame | None
    balance: pd.DataFrame | None
    actions: pd.DataFrame | None
    names: dict[str, str]


def board_pack(p: PackInput) -> str:
    """The pack as one HTML document."""
    sections = [_opening(p), *_referrals(p), *_unlawful(p), *_strategy(p),
                f"<p class='note'>Source: monthly run {html.escape(p.run_id)} ({html.escape(p.month)}) in the run "
                "store; every figure is from its tables. Children are named by pseudonymous id only.</p>"]
    return document(p.title, sections)


def _opening(p: PackInput) -> str:
    def change(f) -> str:
        if not f.delta:
            return ""
        return " (no change on last month)" if f.unchanged else f" ({html.escape(f.delta)} on last month)"
    cards = "".join(f"<div class='card'><div class='value'>{html.escape(f.value)}</div><div class='label'>"
                    f"{html.escape(f.label)}{change(f)}</div></div>" for f in p.figures)
    month = pd.Timestamp(f"{p.month}-01").strftime("%B %Y")
    return (f"<h1>{html.escape(p.title)}</h1><p class='sub'>{month}: {html.escape(p.scope)}</p>"
            f"<h2>The region's key figures</h2><div class='cards'>{cards}</div>")


def _referrals(p: PackInput) -> list[str]:
    a = p.allocations
    matched = a["status"].eq("matched")
    per = pd.DataFrame({"matched": matched.groupby(a["la_code"]).sum(),
                        "unmatched": (~matched).groupby(a["la_code"]).sum()})
    per.index = [council_name(c, p.names) for c in per.index]
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(8, max(1.6, 0.45 * len(per) + 0.8)))
    ax.barh(per.index, per["matched"], color="#1f4e79", label="matched")
    ax.barh(per.index, per["unmatched"], left=per["matched"], color="#e45756", label="unmatched")
    ax.invert_yaxis()
    ax.set_xlabel("referrals this month")
    unmatched = a[~matched]
    rows = pd.DataFrame({"referral": unmatched["referral_id"], "child (pseudonym)": unmatched["child_id"],
                         "council": [council_name(c, p.names) for c in unmatched["la_code"]],
                         "why not matched": [in_words(r, p.names) for r in unmatched["reason"]]})
    return ["<h2>Referrals this month</h2>",
            figure(svg_with_legend_beside(fig, ax), f"{int(matched.sum())} of {len(a)} referrals matched by the "
                   "regional plan."),
            table(rows) if len(rows) else "<p>Every referral was matched.</p>"]


def _unlawful(p: PackInput) -> list[str]:
    if p.flags is None:
        return []
    rows = p.flags[p.flags["flag"].isin(UNLAWFUL_FLAGS)]
    items = "".join(f"<li><b>{html.escape(in_words(r.subject_id, p.names))}</b>: "
                    f"{html.escape(in_words(r.evidence, p.names))} <i>What to do:</i> "
                    f"{html.escape(in_words(r.action, p.names))}</li>" for r in rows.itertuples(index=False))
    return ["<h2>Children living unlawfully, with the registered home the match proposes</h2>",
            f"<ul>{items}</ul>" if items else "<p>No child this month.</p>"]


def _strategy(p: PackInput) -> list[str]:
    if p.balance is None or p.actions is None or p.balance.empty:
        return []
    out = ["<h2>The commissioning plan</h2>"]
    colours = ["#4c78a8", "#72b7b2", "#54a24b", "#b279a2", "#f58518", "#e45756"]
    # one chart per kind of home, the reader's areas added up (a commissioner's: every council's and the region's)
    for kind in [k for k in HOME_KINDS if k in set(p.balance["group"])]:
        areas = list(dict.fromkeys(p.balance.loc[p.balance["group"] == kind, "la_code"]))
        sources = pd.concat([strategy_plan_sources(p.balance, p.actions, area, kind) for area in areas])
        wide = sources.pivot_table(index=["quarter", "quarter_label"], columns="source", values="children",
                                   aggfunc="sum").reset_index().sort_values("quarter")
        cells = p.balance[p.balance["group"] == kind]
        need = (cells["demand_at_service_level"] + cells["step_down_shift"]).groupby(cells["quarter"]).sum()
        quarters = wide["quarter_label"].str.split(" ", n=1).str[0]
        plt = pyplot()
        fig, ax = plt.subplots(figsize=(8, 2.6))
        bottom = [0.0] * len(wide)
        for source, colour in zip(PLAN_SOURCES, colours):
            values = wide[source].tolist() if source in wide else [0.0] * len(wide)
            ax.bar(quarters, values, bottom=bottom, color=colour, label=source)
            bottom = [b + v for b, v in zip(bottom, values)]
        ax.plot(quarters, need.reindex(wide["quarter"]).to_numpy(), color="#111111", marker="o",
                label="demand at the service level")
        ax.set_ylabel("children")
        where = ", ".join(council_name(a, p.names) for a in areas) if len(areas) <= 3 else f"{len(areas)} areas"
        out.append(figure(svg_with_legend_beside(fig, ax), f"{HOME_KIND_LABELS[kind].capitalize()} ({where}): "
                          "where the plan's children live each quarter, against demand at the service level."))
    sentences = action_sentences(p.actions, p.names)
    out.append("<ul>" + "".join(f"<li>{html.escape(s.replace('**', ''))}</li>" for s in sentences) + "</ul>"
               if sentences else "<p>The plan commissions nothing new.</p>")
    if len(p.actions):
        out.append(table(readable(p.actions, p.names, ["la_code", "group", "kind", "decide_by", "places_from",
                                                       "capital_cost", "running_cost"])))
    return out
