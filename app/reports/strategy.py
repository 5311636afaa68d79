"""What a commissioning board and procurement teams receive: the strategy as an Excel workbook (XlsxWriter, with
native charts, frozen headers and units in every heading) and as a printable HTML report (one self-contained file:
charts drawn by matplotlib as inline SVG, no scripts, nothing fetched from the network).

Both are built from the same tables, shaped once here (`board_tables`), so the workbook and the report never
disagree.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from app.reports.charts import pyplot, svg, svg_with_legend_beside
from app.reports.page import document, figure
from optimiser.strategy import PLAN_NAMES, Strategy
from optimiser.strategy.params import REGION_AREA

GROUP_NAMES = {"foster": "foster care", "childrens_home": "children's homes", "secure": "secure homes",
               "supported": "supported accommodation"}
KIND_NAMES = {"new_home": "new homes", "foster_recruitment": "foster recruitment",
              "block_contract": "block contracts", "step_down": "step-down to family"}
COST_LINES = {"capital": "Capital and one-off (homes, carer recruitment)",
              "commissioned_running": "Commissioned places (block beds, new homes, recruited carers)",
              "step_down_support": "Step-down support", "own_places": "Councils' own places",
              "spot": "Spot purchases", "unregistered": "Children without a suitable home (unregistered cost)",
              "cash": "Total cash cost"}
EQUIVALENT_LINES = {"distance_equivalent": "Distance from home (£-equivalent)",
                    "shortfall_harm_equivalent": "Harm of shortfall (£-equivalent)",
                    "family_preference_equivalent": "Family settings preferred (£-equivalent credit)"}
PLAN_ORDER = ("do_nothing", "quantile", "two_stage")


@dataclass(frozen=True)
class BoardTables:
    headline: pd.DataFrame  # measure, value, unit
    costs: pd.DataFrame  # cost line x plan (£ over the horizon)
    regional: pd.DataFrame  # per quarter, the whole region: demand and supply (children)
    balance: pd.DataFrame  # per council x group x quarter (the recommended plan)
    actions: pd.DataFrame
    actions_by_council: pd.DataFrame
    places_by_quarter: pd.DataFrame  # quarter x kind: places the plan has added
    risk: pd.DataFrame
    gaps: pd.DataFrame  # the cells at risk under the plan
    starting_gap: pd.DataFrame
    renegotiate: pd.DataFrame
    assumptions: pd.DataFrame  # parameter, value, meaning
    supply: pd.DataFrame
    options: pd.DataFrame


def _area_name(code: str, names: dict[str, str]) -> str:
    return "Whole region" if code == REGION_AREA else names.get(code, code)


def board_tables(strategy: Strategy, renegotiate: pd.DataFrame, gap: pd.DataFrame, header: dict,
                 names: dict[str, str]) -> BoardTables:
    """Every table the workbook and the report show, with readable labels and units in the column names."""
    s = strategy.summary()
    p = strategy.params
    years = p.horizon_quarters / 4
    q = f"p{p.quantile * 100:.0f}"
    chosen = strategy.chosen
    labels = strategy.quarters["label"]
    headline = pd.DataFrame([
        ("Recommended plan", PLAN_NAMES[chosen], ""),
        ("Horizon", f"{labels.iloc[0][3:]} to {labels.iloc[-1].split('-', 1)[1]}" if len(labels) else "",
         f"{p.horizon_quarters} quarters"),
        ("Service level", f"demand at the {q} met wherever places can be opened in time", ""),
        ("Expected cost of the plan", s["expected_cash_cost"], f"£ over {years:g} years"),
        ("Expected cost of doing nothing", s["do_nothing_expected_cash_cost"], f"£ over {years:g} years"),
        ("Expected saving", s["expected_saving"], f"£ over {years:g} years"),
        ("Expected saving, share of doing nothing's cost", s["expected_saving_share"], "share"),
        ("Capital and one-off spending", s["capital_cost"], f"£ (budget £{p.capital_budget:,.0f})"),
        (f"Council x group cells where a shortfall is likely in some quarter (over {1 - p.quantile:.0%} of futures), "
         "plan",
         int((strategy.risk[f"{chosen}_shortfall_probability"] > 1 - p.quantile).sum()), "cells"),
        ("... doing nothing", int((strategy.risk["do_nothing_shortfall_probability"] > 1 - p.quantile).sum()),
         "cells"),
        ("Expected child-weeks without a suitable home, plan",
         float(strategy.risk[f"{chosen}_shortfall_child_weeks"].sum()), "child-weeks"),
        ("... doing nothing", float(strategy.risk["do_nothing_shortfall_child_weeks"].sum()), "child-weeks"),
        ("Demand at the service level no option can reach in time (peak quarter)",
         s["children_short_at_service_level_peak"], "children"),
        ("Solver", f"{strategy.solutions[chosen].status}, gap {s['gap']:.3%}, "
                   f"{strategy.solutions[chosen].runtime_s:.1f} s (Pyomo + HiGHS)", ""),
        ("Simulated futures", f"planned on {s['futures_planned_on']}, measured on {s['futures_evaluated']}", "paths"),
        ("Input", header["input"]["source"], f"sha256 {header['input']['input_hash'][:12]}"),
    ], columns=["measure", "value", "unit"])

    comparison = strategy.comparison
    plans = [name for name in PLAN_ORDER if name in comparison.columns]
    costs = pd.DataFrame({"cost": [*COST_LINES.values(), *EQUIVALENT_LINES.values()]})
    for name in plans:
        costs[f"{PLAN_NAMES[name]} (£ over {years:g} years)"] = [
            comparison.at[k, name] for k in [*COST_LINES, *EQUIVALENT_LINES]]

    b = strategy.balance.copy()
    b.insert(0, "area", b["la_code"].map(lambda c: _area_name(c, names)))
    b["kind of home"] = b["group"].map(GROUP_NAMES)
    b["needed at service level (children)"] = b["demand_at_service_level"] + b["step_down_shift"]
    balance = b[["area", "kind of home", "quarter_label"]].rename(columns={"quarter_label": "quarter"}).assign(**{
        "demand, mean (children)": b["demand_mean"],
        f"demand, {q} (children)": b["demand_at_service_level"],
        "step-downs in (+) or out (-) (children)": b["step_down_shift"],
        "councils' own places (places)": b["own_places"],
        "commissioned by the plan (places)": b["commissioned_places"],
        "spot market available (places)": b["spot_market_places"],
        "spot used, expected (children)": b["spot_used"],
        "short, expected (children)": b["shortfall_expected"],
        "chance of a shortfall (share of futures)": b["shortfall_probability"],
        "beyond reach at the service level (children)": b["service_level_unmet"]})
    regional = b.groupby(["quarter", "quarter_label"], as_index=False).agg(
        demand_mean=("demand_mean", "sum"), needed=("needed at service level (children)", "sum"),
        own=("own_places", "sum"), commissioned=("commissioned_places", "sum"),
        spot=("spot_market_places", "sum"), spot_used=("spot_used", "sum"), short=("shortfall_expected", "sum"))
    regional = regional.rename(columns={
        "quarter_label": "quarter (label)", "demand_mean": "demand, mean (children)",
        "needed": f"needed at the {q}, summed over cells (children)", "own": "councils' own places (places)",
        "commissioned": "commissioned by the plan (places)", "spot": "spot market available (places)",
        "spot_used": "spot used, expected (children)", "short": "short, expected (children)"})

    a = strategy.actions.copy()
    actions = pd.DataFrame({
        "action": a["action"], "kind": a["kind"].map(KIND_NAMES),
        "council": a["la_code"].map(lambda c: names.get(c, c)),
        "kind of home": a["group"].map(GROUP_NAMES), "provider": a["provider_id"], "option": a["option_id"],
        "decide by (month)": a["decide_by"], "places from (quarter)": a["places_from"], "units": a["units"],
        "places (places)": a["places"], "capital and one-off (£)": a["capital_cost"],
        f"running cost over the plan (£, {years:g} years)": a["running_cost"],
        "cost per place (£ per week)": a["weekly_cost_per_place"]})
    by_council = a.assign(council=a["la_code"].map(lambda c: names.get(c, c))).pivot_table(
        index="council", columns="kind", values="places", aggfunc="sum", fill_value=0.0)
    by_council = by_council.reindex(columns=list(KIND_NAMES), fill_value=0.0).rename(
        columns={k: f"{v} (places)" for k, v in KIND_NAMES.items()})
    money = a.groupby(a["la_code"].map(lambda c: names.get(c, c)))[["capital_cost", "running_cost"]].sum()
    by_council["capital and one-off (£)"] = money["capital_cost"].reindex(by_council.index).fillna(0)
    by_council[f"running cost (£, {years:g} years)"] = money["running_cost"].reindex(by_council.index).fillna(0)
    by_council = by_council.reset_index()

    added = strategy.data.decisions.assign(units=strategy.solutions[chosen].units)
    places = strategy.data.places * added["units"].to_numpy()[:, None]
    per_kind = pd.DataFrame(places.T, columns=added["kind"]).T.groupby(level=0).sum().T
    per_kind = per_kind.reindex(columns=[k for k in KIND_NAMES if k != "step_down"], fill_value=0.0)
    step = strategy.solutions[chosen].step_down.groupby("quarter")["children"].sum()
    per_kind["step_down"] = step.reindex(np.arange(1, len(strategy.quarters) + 1)).fillna(0).to_numpy()
    places_by_quarter = per_kind.rename(columns={k: f"{v} (places)" for k, v in KIND_NAMES.items()})
    places_by_quarter.insert(0, "quarter", strategy.quarters["label"].to_numpy())

    r = strategy.risk.copy()
    risk = pd.DataFrame({"area": r["la_code"].map(lambda c: _area_name(c, names)),
                         "kind of home": r["group"].map(GROUP_NAMES)})
    for name in [n for n in PLAN_ORDER if f"{n}_shortfall_probability" in r]:
        risk[f"{PLAN_NAMES[name]}: chance of a shortfall, worst quarter (share of futures)"] = r[
            f"{name}_shortfall_probability"]
        risk[f"{PLAN_NAMES[name]}: expected shortfall (child-weeks)"] = r[f"{name}_shortfall_child_weeks"]
    at_risk = r[f"{chosen}_shortfall_probability"] > 1 - p.quantile
    gaps = risk[at_risk.to_numpy()].sort_values(
        f"{PLAN_NAMES[chosen]}: expected shortfall (child-weeks)", ascending=False).reset_index(drop=True)

    starting = gap.assign(council=gap["la_code"].map(lambda c: names.get(c, c)),
                          kind=gap["group"].map(GROUP_NAMES))[["council", "kind", "children"]].rename(
        columns={"kind": "kind of home", "children": "children the match could not place today (children)"})
    reneg = renegotiate.rename(columns={"beds_in_plan": "beds in the plan (beds)",
                                        "fee_outlier_placements": "fee outliers (placements)",
                                        "high_cost_placements": "over £10,000 a week (placements)"})
    assumptions = pd.DataFrame(_parameter_rows(strategy), columns=["parameter", "value", "meaning"])
    c = strategy.cells
    supply = pd.DataFrame({
        "area": c["la_code"].map(lambda x: _area_name(x, names)), "kind of home": c["group"].map(GROUP_NAMES),
        "children in care now (children)": c["children_now"], "starting gap (children)": c["gap"],
        "councils' own places (places)": c["base_places"], "own place cost (£ per week)": c["base_weekly_cost"],
        "spot placements now (children)": c["spot_now"], "spot market (places)": c["spot_places"],
        "spot fee today (£ per week)": c["spot_weekly_cost"],
        "spot further from home (km)": c["spot_extra_km"]})
    return BoardTables(headline=headline, costs=costs, regional=regional, balance=balance, actions=actions,
                       actions_by_council=by_council, places_by_quarter=places_by_quarter, risk=risk, gaps=gaps,
                       starting_gap=starting, renegotiate=reneg, assumptions=assumptions, supply=supply,
                       options=strategy.options)


def _parameter_rows(strategy: Strategy) -> list[tuple[str, str, str]]:
    p = strategy.params
    rows = [
        ("horizon_quarters", p.horizon_quarters, "quarters planned"),
        ("quantile", p.quantile, "service level: demand at this quantile is met where places can open in time"),
        ("samples", p.samples, "simulated futures the two-stage plan is optimised on"),
        ("plan", p.plan, "plan recommended"),
        ("capital_budget", p.capital_budget, "£ one-off over the horizon (homes, carer recruitment)"),
        ("running_budget_per_year", p.running_budget_per_year, "£ a year: running cost of new commitments"),
        ("spot_market_headroom", p.spot_market_headroom, "share more than today the spot market can supply"),
        ("unregistered_weekly_cost", p.unregistered_weekly_cost, "£ a week per child without a suitable home"),
        ("shortfall_penalty_per_week", p.shortfall_penalty_per_week, "£-equivalent a week per child short"),
        ("distance_cost_per_km_week", p.distance_cost_per_km_week, "£-equivalent per km per child-week"),
        ("family_suitable_share", p.family_suitable_share, "share of children's-home demand a family could meet"),
        ("step_down_support_weekly_cost", p.step_down_support_weekly_cost, "£ a week extra support per step-down"),
        ("family_preference_per_week", p.family_preference_per_week, "£-equivalent credit per child-week in a family"),
        ("carer_retention_per_year", p.carer_retention_per_year,
         "share of foster households still fostering a year on"),
        ("procurement_round_quarters", p.procurement_round_quarters, "quarters between block-contract tenders"),
        ("regional_groups", ", ".join(p.regional_groups), "kinds of home planned across the whole region"),
        ("options", strategy.options_source, "where the commissioning options came from"),
    ]
    rows += [(f"options.{k}", v, "used only for generated options") for k, v in p.options.__dict__.items()]
    rows.append(("prices", "today's", "all money at today's prices (no inflation)"))
    return [(name, str(value), meaning) for name, value, meaning in rows]


# --- the report ------------------------------------------------------------------------------------------------



def write_strategy_report(path: Path, strategy: Strategy, renegotiate: pd.DataFrame, gap: pd.DataFrame,
                          header: dict, names: dict[str, str]) -> Path:
    """strategy.html: a self-contained report for a commissioning board (inline SVG charts, prints on A4)."""
    t = board_tables(strategy, renegotiate, gap, header, names)
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
    sections = [
        f"<h1>Regional sufficiency strategy</h1><p class='sub'>{html.escape(PLAN_NAMES[chosen])}; "
        f"{html.escape(str(t.headline.at[1, 'value']))}; service level p{p.quantile * 100:.0f}. Generated "
        f"{html.escape(header['started_at'])} from {html.escape(header['input']['source'])}.</p>",
        "<div class='cards'>" + "".join(f"<div class='card'><div class='value'>{v}</div><div class='label'>"
                                        f"{html.escape(label)}</div></div>" for v, label in cards) + "</div>",
        f"<p>The plan: {html.escape(plan_text)} ({int(kinds.sum())} actions). It meets forecast demand at the "
        f"p{p.quantile * 100:.0f} wherever places can be opened in time, within the capital budget of "
        f"£{p.capital_budget:,.0f} and the running budget of £{p.running_budget_per_year:,.0f} a year. "
        f"Expected costs are measured on {s['futures_evaluated']} simulated futures of the forecast.</p>",
        "<h2>What the plan costs, against doing nothing</h2>",
        figure(_cost_chart(t, strategy), "Expected cash cost over the plan, by cost line (£m). Doing nothing buys "
                "every extra place on the spot market at today's fees; children for whom there is none are costed "
                "at an unregistered placement's fee."),
        _html_table(t.costs, money=True),
        "<h2>Demand and supply, whole region</h2>",
        figure(_balance_chart(t), "Places each quarter (councils' own, commissioned by the plan, spot market "
                "available) against demand: the mean, and what the service level needs summed over councils."),
        "<h2>Where shortfalls remain likely</h2>",
        figure(_risk_chart(t, strategy, names), "Chance that a child is short of a suitable home in the worst "
                "quarter, by council and kind of home: doing nothing against the plan (the service level allows "
                f"{1 - p.quantile:.0%} where places can be opened in time)."),
        (_html_table(t.gaps) if len(t.gaps) else "<p>No council x kind of home has a shortfall in more than "
         f"{1 - p.quantile:.0%} of futures under the plan.</p>"),
        "<p class='note'>Starting evidence (children the match could not place today):</p>",
        _html_table(t.starting_gap),
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
        "<h2>Providers to renegotiate with</h2>",
        (_html_table(t.renegotiate.drop(columns=["evidence"]).head(15)) if len(t.renegotiate) else
         "<p>No provider has a profit or fee flag.</p>"),
        "<h2>Assumptions</h2>",
        _html_table(t.assumptions),
        "<p class='note'>All money at today's prices. £-equivalents (distance, harm of shortfall, preference for "
        "families) are values the RCC sets, not payments. Full tables: strategy.xlsx and the strategy_*.csv files; "
        "every parameter: strategy_run.json.</p>",
    ]
    path.write_text(document("Regional sufficiency strategy", sections), encoding="utf-8")
    return path


def is_money(column: str) -> bool:
    """A heading whose unit is pounds, e.g. "capital and one-off (£)" or "cost per place (£ per week)"."""
    return "(£" in column


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








def _cost_chart(t: BoardTables, strategy: Strategy) -> str:
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


def _risk_chart(t: BoardTables, strategy: Strategy, names: dict[str, str]) -> str:
    plt = pyplot()
    r = strategy.risk
    groups = [g for g in GROUP_NAMES if g in set(r["group"])]
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
        ax.set_xticks(range(len(groups)), [GROUP_NAMES[g] for g in groups], rotation=25, ha="right", fontsize=8)
        ax.set_title(PLAN_NAMES[name].split(" (")[0], fontsize=10)
    axes[0].set_yticks(range(len(areas)), [_area_name(a, names) for a in areas], fontsize=8)
    fig.colorbar(image, ax=axes, shrink=0.8, label="chance of a shortfall")
    return svg(fig)


def _places_chart(t: BoardTables) -> str:
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
