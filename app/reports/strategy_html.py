"""strategy.html, what a commissioning board reads: the strategy board pack as one self-contained printable report
(charts drawn by matplotlib as inline SVG, no scripts, nothing fetched from the network), section by section, from
the same tables as the workbook (`board_tables`)."""

from __future__ import annotations

import html
from pathlib import Path

import numpy as np
import pandas as pd

from app.reports.charts import pyplot, svg, svg_with_legend_beside
from app.reports.page import document, figure
from app.reports.strategy_tables import (
    COST_LINES,
    KIND_NAMES,
    PLAN_ORDER,
    BoardTables,
    area_name,
    board_tables,
    is_money,
)
from data.vocabulary import HOME_KIND_LABELS
from optimiser.strategy import PLAN_NAMES, Strategy


def write_strategy_report(path: Path, strategy: Strategy, renegotiate: pd.DataFrame, gap: pd.DataFrame,
                          header: dict, names: dict[str, str]) -> Path:
    """strategy.html: a self-contained report for a commissioning board (inline SVG charts, prints on A4)."""
    t = board_tables(strategy, renegotiate, gap, header, names)
    sections = [*_opening(t, strategy, header), *_costs_section(t, strategy), *_balance_section(t),
                *_gaps_section(t, strategy, names), *_actions_section(t, strategy), *_renegotiate_section(t),
                *_assumptions_section(t)]
    path.write_text(document("Regional sufficiency strategy", sections), encoding="utf-8")
    return path


def _opening(t: BoardTables, strategy: Strategy, header: dict) -> list[str]:
    """The title, the four headline cards and the plan in one paragraph."""
    s = strategy.summary()
    p = strategy.params
    years = p.horizon_quarters / 4
    chosen = strategy.chosen
    kinds = t.actions["kind"].value_counts()
    places = strategy.actions.groupby("kind")["places"].sum()
    cards = [
        (f"£{s['expected_saving'] / 1e6:,.1f}m", f"expected saving over {years:g} years against doing nothing "
                                                 f"({s['expected_saving_share']:.1%})"),
        (f"£{s['expected_cash_cost'] / 1e6:,.1f}m", f"expected cost of the plan (doing nothing: "
                                                    f"£{s['do_nothing_expected_cash_cost'] / 1e6:,.1f}m)"),
        (f"£{s['capital_cost'] / 1e6:,.2f}m", f"capital and one-off spending (budget £{p.capital_budget / 1e6:,.1f}m)"),
        (f"{strategy.risk[f'{chosen}_shortfall_child_weeks'].sum():,.0f}",
         f"expected child-weeks without a suitable home (doing nothing: "
         f"{strategy.risk['do_nothing_shortfall_child_weeks'].sum():,.0f})"),
    ]
    plan_text = ", ".join(f"{places.get(k, 0):,.0f} places from {KIND_NAMES[k]}" for k in KIND_NAMES if k in places)
    return [
        f"<h1>Regional sufficiency strategy</h1><p class='sub'>{html.escape(PLAN_NAMES[chosen])}; "
        f"{html.escape(str(t.headline.at[1, 'value']))}; service level p{p.quantile * 100:.0f}. Generated "
        f"{html.escape(header['started_at'])} from {html.escape(header['input']['source'])}.</p>",
        "<div class='cards'>" + "".join(f"<div class='card'><div class='value'>{v}</div><div class='label'>"
                                        f"{html.escape(label)}</div></div>" for v, label in cards) + "</div>",
        f"<p>The plan: {html.escape(plan_text)} ({int(kinds.sum())} actions). It meets forecast demand at the "
        f"p{p.quantile * 100:.0f} wherever places can be opened in time, within the capital budget of "
        f"£{p.capital_budget:,.0f} and the running budget of £{p.running_budget_per_year:,.0f} a year. "
        f"Expected costs are measured on {s['futures_evaluated']} simulated futures of the forecast.</p>",
    ]


def _costs_section(t: BoardTables, strategy: Strategy) -> list[str]:
    return [
        "<h2>What the plan costs, against doing nothing</h2>",
        figure(_cost_chart(strategy), "Expected cash cost over the plan, by cost line (£m). Doing nothing buys "
               "every extra place on the spot market at today's fees; children for whom there is none are costed "
               "at an unregistered placement's fee."),
        _html_table(t.costs, money=True),
    ]


def _balance_section(t: BoardTables) -> list[str]:
    return [
        "<h2>Demand and supply, whole region</h2>",
        figure(_balance_chart(t), "Places each quarter (councils' own, commissioned by the plan, spot market "
               "available) against demand: the mean, and what the service level needs summed over councils."),
    ]


def _gaps_section(t: BoardTables, strategy: Strategy, names: dict[str, str]) -> list[str]:
    allowed = 1 - strategy.params.quantile
    return [
        "<h2>Where shortfalls remain likely</h2>",
        figure(_risk_chart(strategy, names), "Chance that a child is short of a suitable home in the worst "
               "quarter, by council and kind of home: doing nothing against the plan (the service level allows "
               f"{allowed:.0%} where places can be opened in time)."),
        (_html_table(t.gaps) if len(t.gaps) else "<p>No council x kind of home has a shortfall in more than "
         f"{allowed:.0%} of futures under the plan.</p>"),
        "<p class='note'>Starting evidence (children the match could not place today):</p>",
        _html_table(t.starting_gap),
    ]


def _actions_section(t: BoardTables, strategy: Strategy) -> list[str]:
    """The places added per quarter, the plan per council, new homes and step-downs, recruitment, block beds."""
    places = strategy.actions.groupby("kind")["places"].sum()
    return [
        "<h2>Recommended actions</h2>",
        figure(_places_chart(t), "Places the plan adds each quarter, by kind of action."),
        _html_table(t.actions_by_council, money=True),
        "<p class='note'>New homes and step-downs to family settings:</p>",
        _html_table(t.actions[t.actions["kind"].isin([KIND_NAMES["new_home"], KIND_NAMES["step_down"]])]
                    .drop(columns=["option", "provider"]), money=True),
        "<p class='note'>Foster recruitment through the regional hub, council by council (quarter by quarter in "
        "strategy.xlsx):</p>",
        _html_table(_recruitment_by_council(t), money=True),
        f"<p class='note'>Block contracts: {int((strategy.actions['kind'] == 'block_contract').sum())} contracts, "
        f"{places.get('block_contract', 0):,.0f} beds in all; every one is listed in strategy.xlsx (Actions).</p>",
    ]


def _renegotiate_section(t: BoardTables) -> list[str]:
    return [
        "<h2>Providers to renegotiate with</h2>",
        (_html_table(t.renegotiate.drop(columns=["evidence"]).head(15)) if len(t.renegotiate) else
         "<p>No provider has a profit or fee flag.</p>"),
    ]


def _assumptions_section(t: BoardTables) -> list[str]:
    return [
        "<h2>Assumptions</h2>",
        _html_table(t.assumptions),
        "<p class='note'>All money at today's prices. £-equivalents (distance, harm of shortfall, preference for "
        "families) are values the RCC sets, not payments. Full tables: strategy.xlsx and the strategy_*.csv files; "
        "every parameter: strategy_run.json.</p>",
    ]


def _recruitment_by_council(t: BoardTables) -> pd.DataFrame:
    """Foster recruitment in the report: one line per council (the workbook lists every quarter)."""
    rows = t.actions[t.actions["kind"].eq(KIND_NAMES["foster_recruitment"])]
    money = [c for c in rows.columns if is_money(c) and "per week" not in c]
    out = rows.groupby("council").agg(**{"households (units)": ("units", "sum"),
                                         "children placed (places)": ("places (places)", "sum"),
                                         "first decision (month)": ("decide by (month)", "min"),
                                         "last decision (month)": ("decide by (month)", "max")},
                                      **{c: (c, "sum") for c in money})
    return out.reset_index()


def _html_table(frame: pd.DataFrame, money: bool = False) -> str:
    """A table with money in pounds (every figure of £1,000 or more too when `money`), shares as percentages."""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for column, value in zip(frame.columns, row):
            if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
                if pd.isna(value):
                    text = ""
                elif is_money(column) or (money and abs(value) >= 1000):
                    text = f"{'-' if value < 0 else ''}£{abs(value):,.0f}"
                elif "share" in column:
                    text = f"{value:.1%}"
                else:
                    text = f"{value:,.1f}" if float(value) != int(value) else f"{int(value):,}"
                cells.append(f"<td class='n'>{text}</td>")
            else:
                cells.append(f"<td>{html.escape(str(value))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


# --- the report's charts

def _cost_chart(strategy: Strategy) -> str:
    """Each plan's expected cash cost as a column stacked by cost line, its total above it."""
    plt = pyplot()
    plans = [n for n in PLAN_ORDER if n in strategy.comparison.columns]
    fig, ax = plt.subplots(figsize=(9, 4.2))
    bottom = np.zeros(len(plans))
    for key, label in list(COST_LINES.items())[:-1]:
        values = np.array([strategy.comparison.at[key, n] for n in plans]) / 1e6
        ax.bar([PLAN_NAMES[n].split(" (")[0] for n in plans], values, bottom=bottom, label=label)
        bottom += values
    for x, total in enumerate(bottom):
        ax.text(x, total, f"£{total:,.0f}m", ha="center", va="bottom", fontsize=10, fontweight="bold")
    ax.set_ylabel(f"£m over {strategy.params.horizon_quarters / 4:g} years")
    return svg_with_legend_beside(fig, ax)


def _balance_chart(t: BoardTables) -> str:
    """The whole region per quarter: places stacked by who provides them, demand's mean and service level as lines."""
    plt = pyplot()
    r = t.regional
    fig, ax = plt.subplots(figsize=(9.5, 4.2))
    x = np.arange(len(r))
    labels = [q.split(" ")[0] for q in r["quarter (label)"]]
    own, commissioned, spot = (r[c].to_numpy() for c in ("councils' own places (places)",
                                                       "commissioned by the plan (places)",
                                                       "spot market available (places)"))
    ax.bar(x, own, color="#4472C4", label="councils' own places")
    ax.bar(x, commissioned, bottom=own, color="#70AD47", label="commissioned by the plan")
    ax.bar(x, spot, bottom=own + commissioned, color="#FFC000", alpha=0.8, label="spot market available")
    ax.plot(x, r["demand, mean (children)"], color="#C00000", marker="o", label="demand, mean")
    needed = [c for c in r.columns if c.startswith("needed at")][0]
    ax.plot(x, r[needed], color="#404040", linestyle="--", label="needed at the service level")
    ax.set_xticks(x, labels)
    ax.set_ylabel("children / places")
    ax.set_ylim(bottom=0.8 * min(own.min(), r["demand, mean (children)"].min()))
    return svg_with_legend_beside(fig, ax)


def _risk_chart(strategy: Strategy, names: dict[str, str]) -> str:
    """Two heat maps, doing nothing beside the plan: each council x kind of home's chance of a shortfall."""
    plt = pyplot()
    r = strategy.risk
    groups = [g for g in HOME_KIND_LABELS if g in set(r["group"])]
    areas = list(dict.fromkeys(r["la_code"]))
    fig, axes = plt.subplots(1, 2, figsize=(10, 0.32 * len(areas) + 1.8), sharey=True)
    for ax, name in zip(axes, ("do_nothing", strategy.chosen)):
        grid = r.pivot(index="la_code", columns="group", values=f"{name}_shortfall_probability").reindex(
            index=areas, columns=groups)
        image = ax.imshow(grid.to_numpy(dtype=float), cmap="Reds", vmin=0, vmax=1, aspect="auto")
        for (i, j), v in np.ndenumerate(grid.to_numpy(dtype=float)):
            if not np.isnan(v):
                ax.text(j, i, f"{v:.0%}", ha="center", va="center", fontsize=7,
                        color="white" if v > 0.6 else "black")
        ax.set_xticks(range(len(groups)), [HOME_KIND_LABELS[g] for g in groups], rotation=25, ha="right", fontsize=8)
        ax.set_title(PLAN_NAMES[name].split(" (")[0], fontsize=10)
    axes[0].set_yticks(range(len(areas)), [area_name(a, names) for a in areas], fontsize=8)
    fig.colorbar(image, ax=axes, shrink=0.8, label="chance of a shortfall")
    return svg(fig)


def _places_chart(t: BoardTables) -> str:
    """The places the plan adds each quarter, stacked by kind of action."""
    plt = pyplot()
    frame = t.places_by_quarter
    fig, ax = plt.subplots(figsize=(9, 3.6))
    x = np.arange(len(frame))
    bottom = np.zeros(len(frame))
    for column in frame.columns[1:]:
        values = frame[column].to_numpy(dtype=float)
        ax.bar(x, values, bottom=bottom, label=column.replace(" (places)", ""))
        bottom += values
    ax.set_xticks(x, [q.split(" ")[0] for q in frame["quarter"]])
    ax.set_ylabel("places")
    return svg_with_legend_beside(fig, ax)
