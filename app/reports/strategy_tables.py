"""The strategy board pack's tables: what a commissioning board and procurement teams receive, shaped once here
(`board_tables`, readable labels and a unit in every heading) so the workbook (strategy_workbook.py) and the HTML
report (strategy_html.py) never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from data.vocabulary import ACTION_KIND_LABELS, HOME_KIND_LABELS
from optimiser.strategy import PLAN_NAMES, Strategy
from optimiser.strategy.params import REGION_AREA

KIND_NAMES = ACTION_KIND_LABELS
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


def area_name(code: str, names: dict[str, str]) -> str:
    """A council's name, or "Whole region" for the kinds of home planned across the region."""
    return "Whole region" if code == REGION_AREA else names.get(code, code)


def board_tables(strategy: Strategy, renegotiate: pd.DataFrame, gap: pd.DataFrame, header: dict,
                 names: dict[str, str]) -> BoardTables:
    """Every table the workbook and the report show, with readable labels and units in the column names."""
    cells = _balance_cells(strategy, names)
    risk = _risk(strategy, names)
    return BoardTables(headline=_headline(strategy, header), costs=_costs(strategy),
                       regional=_regional(cells, strategy), balance=_balance(cells, strategy),
                       actions=_actions(strategy, names), actions_by_council=_actions_by_council(strategy, names),
                       places_by_quarter=_places_by_quarter(strategy), risk=risk, gaps=_gaps(risk, strategy),
                       starting_gap=_starting_gap(gap, names), renegotiate=_renegotiate(renegotiate),
                       assumptions=pd.DataFrame(_parameter_rows(strategy), columns=["parameter", "value", "meaning"]),
                       supply=_supply(strategy, names), options=strategy.options)


def _years(strategy: Strategy) -> float:
    return strategy.params.horizon_quarters / 4


def _service_level(strategy: Strategy) -> str:
    """The service level's quantile as a heading says it, e.g. "p90"."""
    return f"p{strategy.params.quantile * 100:.0f}"


def _headline(strategy: Strategy, header: dict) -> pd.DataFrame:
    """The figures a board reads first (measure, value, unit), the plan's beside doing nothing's."""
    s = strategy.summary()
    p = strategy.params
    years = _years(strategy)
    chosen = strategy.chosen
    labels = strategy.quarters["label"]
    return pd.DataFrame([
        ("Recommended plan", PLAN_NAMES[chosen], ""),
        ("Horizon", f"{labels.iloc[0][3:]} to {labels.iloc[-1].split('-', 1)[1]}" if len(labels) else "",
         f"{p.horizon_quarters} quarters"),
        ("Service level", f"demand at the {_service_level(strategy)} met wherever places can be opened in time", ""),
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


def _costs(strategy: Strategy) -> pd.DataFrame:
    """Cost line x plan, £ over the horizon: the cash lines, then the £-equivalents."""
    comparison = strategy.comparison
    plans = [name for name in PLAN_ORDER if name in comparison.columns]
    costs = pd.DataFrame({"cost": [*COST_LINES.values(), *EQUIVALENT_LINES.values()]})
    for name in plans:
        costs[f"{PLAN_NAMES[name]} (£ over {_years(strategy):g} years)"] = [
            comparison.at[k, name] for k in [*COST_LINES, *EQUIVALENT_LINES]]
    return costs


def _balance_cells(strategy: Strategy, names: dict[str, str]) -> pd.DataFrame:
    """The plan's council x group x quarter balance with its area and kind of home named and what the service
    level needs once step-downs have moved children."""
    b = strategy.balance.copy()
    b.insert(0, "area", b["la_code"].map(lambda c: area_name(c, names)))
    b["kind of home"] = b["group"].map(HOME_KIND_LABELS)
    b["needed at service level (children)"] = b["demand_at_service_level"] + b["step_down_shift"]
    return b


def _balance(b: pd.DataFrame, strategy: Strategy) -> pd.DataFrame:
    """Every council x kind of home x quarter under the recommended plan."""
    return b[["area", "kind of home", "quarter_label"]].rename(columns={"quarter_label": "quarter"}).assign(**{
        "demand, mean (children)": b["demand_mean"],
        f"demand, {_service_level(strategy)} (children)": b["demand_at_service_level"],
        "step-downs in (+) or out (-) (children)": b["step_down_shift"],
        "councils' own places (places)": b["own_places"],
        "commissioned by the plan (places)": b["commissioned_places"],
        "spot market available (places)": b["spot_market_places"],
        "spot used, expected (children)": b["spot_used"],
        "short, expected (children)": b["shortfall_expected"],
        "chance of a shortfall (share of futures)": b["shortfall_probability"],
        "beyond reach at the service level (children)": b["service_level_unmet"]})


def _regional(b: pd.DataFrame, strategy: Strategy) -> pd.DataFrame:
    """The whole region per quarter: demand and supply summed over the cells."""
    regional = b.groupby(["quarter", "quarter_label"], as_index=False).agg(
        demand_mean=("demand_mean", "sum"), needed=("needed at service level (children)", "sum"),
        own=("own_places", "sum"), commissioned=("commissioned_places", "sum"),
        spot=("spot_market_places", "sum"), spot_used=("spot_used", "sum"), short=("shortfall_expected", "sum"))
    return regional.rename(columns={
        "quarter_label": "quarter (label)", "demand_mean": "demand, mean (children)",
        "needed": f"needed at the {_service_level(strategy)}, summed over cells (children)",
        "own": "councils' own places (places)",
        "commissioned": "commissioned by the plan (places)", "spot": "spot market available (places)",
        "spot_used": "spot used, expected (children)", "short": "short, expected (children)"})


def _actions(strategy: Strategy, names: dict[str, str]) -> pd.DataFrame:
    """Every action of the plan, with when to decide and what it costs."""
    a = strategy.actions
    return pd.DataFrame({
        "action": a["action"], "kind": a["kind"].map(KIND_NAMES),
        "council": a["la_code"].map(lambda c: names.get(c, c)),
        "kind of home": a["group"].map(HOME_KIND_LABELS), "provider": a["provider_id"], "option": a["option_id"],
        "decide by (month)": a["decide_by"], "places from (quarter)": a["places_from"], "units": a["units"],
        "places (places)": a["places"], "capital and one-off (£)": a["capital_cost"],
        f"running cost over the plan (£, {_years(strategy):g} years)": a["running_cost"],
        "cost per place (£ per week)": a["weekly_cost_per_place"]})


def _actions_by_council(strategy: Strategy, names: dict[str, str]) -> pd.DataFrame:
    """The plan council by council: places per kind of action, capital and running cost."""
    a = strategy.actions
    years = _years(strategy)
    by_council = a.assign(council=a["la_code"].map(lambda c: names.get(c, c))).pivot_table(
        index="council", columns="kind", values="places", aggfunc="sum", fill_value=0.0)
    by_council = by_council.reindex(columns=list(KIND_NAMES), fill_value=0.0).rename(
        columns={k: f"{v} (places)" for k, v in KIND_NAMES.items()})
    money = a.groupby(a["la_code"].map(lambda c: names.get(c, c)))[["capital_cost", "running_cost"]].sum()
    by_council["capital and one-off (£)"] = money["capital_cost"].reindex(by_council.index).fillna(0)
    by_council[f"running cost (£, {years:g} years)"] = money["running_cost"].reindex(by_council.index).fillna(0)
    return by_council.reset_index()


def _places_by_quarter(strategy: Strategy) -> pd.DataFrame:
    """Quarter x kind of action: the places the recommended plan has added by then (step-downs: children moved)."""
    chosen = strategy.chosen
    added = strategy.data.decisions.assign(units=strategy.solutions[chosen].units)
    places = strategy.data.places * added["units"].to_numpy()[:, None]
    per_kind = pd.DataFrame(places.T, columns=added["kind"]).T.groupby(level=0).sum().T
    per_kind = per_kind.reindex(columns=[k for k in KIND_NAMES if k != "step_down"], fill_value=0.0)
    step = strategy.solutions[chosen].step_down.groupby("quarter")["children"].sum()
    per_kind["step_down"] = step.reindex(np.arange(1, len(strategy.quarters) + 1)).fillna(0).to_numpy()
    places_by_quarter = per_kind.rename(columns={k: f"{v} (places)" for k, v in KIND_NAMES.items()})
    places_by_quarter.insert(0, "quarter", strategy.quarters["label"].to_numpy())
    return places_by_quarter


def _risk(strategy: Strategy, names: dict[str, str]) -> pd.DataFrame:
    """Every council x kind of home: each plan's chance of a shortfall and expected shortfall."""
    r = strategy.risk
    risk = pd.DataFrame({"area": r["la_code"].map(lambda c: area_name(c, names)),
                         "kind of home": r["group"].map(HOME_KIND_LABELS)})
    for name in [n for n in PLAN_ORDER if f"{n}_shortfall_probability" in r]:
        risk[f"{PLAN_NAMES[name]}: chance of a shortfall, worst quarter (share of futures)"] = r[
            f"{name}_shortfall_probability"]
        risk[f"{PLAN_NAMES[name]}: expected shortfall (child-weeks)"] = r[f"{name}_shortfall_child_weeks"]
    return risk


def _gaps(risk: pd.DataFrame, strategy: Strategy) -> pd.DataFrame:
    """The cells where a shortfall stays likely under the plan (beyond what the service level allows), worst first."""
    chosen = strategy.chosen
    at_risk = strategy.risk[f"{chosen}_shortfall_probability"] > 1 - strategy.params.quantile
    return risk[at_risk.to_numpy()].sort_values(
        f"{PLAN_NAMES[chosen]}: expected shortfall (child-weeks)", ascending=False).reset_index(drop=True)


def _starting_gap(gap: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    return gap.assign(council=gap["la_code"].map(lambda c: names.get(c, c)),
                      kind=gap["group"].map(HOME_KIND_LABELS))[["council", "kind", "children"]].rename(
        columns={"kind": "kind of home", "children": "children the match could not place today (children)"})


def _renegotiate(renegotiate: pd.DataFrame) -> pd.DataFrame:
    return renegotiate.rename(columns={"beds_in_plan": "beds in the plan (beds)",
                                       "fee_outlier_placements": "fee outliers (placements)",
                                       "high_cost_placements": "over £10,000 a week (placements)"})


def _supply(strategy: Strategy, names: dict[str, str]) -> pd.DataFrame:
    """Supply today per council x kind of home: children, places, the spot market and its fees."""
    c = strategy.cells
    return pd.DataFrame({
        "area": c["la_code"].map(lambda x: area_name(x, names)), "kind of home": c["group"].map(HOME_KIND_LABELS),
        "children in care now (children)": c["children_now"], "starting gap (children)": c["gap"],
        "councils' own places (places)": c["base_places"], "own place cost (£ per week)": c["base_weekly_cost"],
        "spot placements now (children)": c["spot_now"], "spot market (places)": c["spot_places"],
        "spot fee today (£ per week)": c["spot_weekly_cost"],
        "spot further from home (km)": c["spot_extra_km"]})


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


ACCOUNT_HEADINGS = {
    "la_name": "council", "referrals": "referrals (children)",
    "regional_weekly_cost": "weekly cost, regional (£ per week)",
    "alone_weekly_cost": "weekly cost, alone (£ per week)",
    "weekly_cost_saving": "saving against alone (£ per week)",
    "regional_children_unmatched": "unmatched, regional (children)", "alone_children_unmatched": "unmatched, alone "
    "(children)", "regional_mean_distance_km": "mean distance, regional (km)",
    "alone_mean_distance_km": "mean distance, alone (km)", "regional_in_house_given": "in-house beds given to other "
    "councils (children)", "regional_in_house_taken": "in-house beds taken from other councils (children)",
    "gain": "gain against alone: money, distance, fit and waiting (£-equivalent per week)"}


def council_accounts_table(accounts: pd.DataFrame) -> pd.DataFrame:
    """Each council's account of the starting match (optimiser/match/accounts.py) with readable headings."""
    return accounts.assign(la_name=accounts["la_name"].where(accounts["la_name"].ne(""), accounts["la_code"]))[
        list(ACCOUNT_HEADINGS)].rename(columns=ACCOUNT_HEADINGS)


SHARING_HEADINGS = {"la_name": "council", "share": "share of the costs (share)",
                    "pays_commissioning": "pays of the plan's commissioning over the horizon (£)",
                    "match_saving_weekly": "saves from the match (£ per week)"}


def sharing_table(sharing: pd.DataFrame) -> pd.DataFrame:
    """Each council's share, what it pays and what it saves (optimiser/strategy/sharing.py), readable headings."""
    return sharing.assign(la_name=sharing["la_name"].where(sharing["la_name"].ne(""), sharing["la_code"]))[
        list(SHARING_HEADINGS)].rename(columns=SHARING_HEADINGS)


def is_money(column: str) -> bool:
    """A heading whose unit is pounds, e.g. "capital and one-off (£)" or "cost per place (£ per week)"."""
    return "(£" in column


# --- the plan in the dashboard and the board pack ------------------------------------------------------

# Where the plan's children live each quarter, bottom of the stack first; commissioned places are split by the kind
# of action that opened them (strategy_plan_sources).
PLAN_SOURCES = ("councils' own places", "block contracts", "new homes", "foster recruitment", "spot purchases",
                "short: no suitable home")
COMMISSIONED_SOURCES = {"block_contract": "block contracts", "new_home": "new homes",
                        "foster_recruitment": "foster recruitment"}


def strategy_plan_sources(balance: pd.DataFrame, actions: pd.DataFrame, la_code: str, group: str) -> pd.DataFrame:
    """One council x kind of home under the plan, per quarter and source (PLAN_SOURCES): the places (children,
    in the mean future) from each. The balance table says how many commissioned places a cell has each quarter but
    not from which kind of action, so they are shared out in proportion to the places each kind of action the plan
    takes for the cell has opened by that quarter."""
    cell = balance[(balance["la_code"] == la_code) & (balance["group"] == group)].sort_values("quarter")
    quarter_of_label = dict(zip(balance["quarter_label"], balance["quarter"]))
    taken = actions[(actions["la_code"] == la_code) & (actions["group"] == group)
                    & actions["kind"].isin(list(COMMISSIONED_SOURCES))]
    opened = {kind: [float(taken.loc[taken["kind"].eq(kind) & taken["places_from"].map(quarter_of_label).le(q),
                                     "places"].sum()) for q in cell["quarter"]] for kind in COMMISSIONED_SOURCES}
    total = [sum(opened[k][i] for k in COMMISSIONED_SOURCES) for i in range(len(cell))]
    rows = []
    for i, r in enumerate(cell.itertuples(index=False)):
        parts = {"councils' own places": r.own_places_used, "spot purchases": r.spot_used,
                 "short: no suitable home": r.shortfall_expected}
        for kind, source in COMMISSIONED_SOURCES.items():
            parts[source] = r.commissioned_places * opened[kind][i] / total[i] if total[i] > 0 else 0.0
        if total[i] == 0 and r.commissioned_places > 0:  # places the actions table does not attribute (none today)
            parts["block contracts"] = r.commissioned_places
        rows += [{"quarter": int(r.quarter), "quarter_label": r.quarter_label, "source": source,
                  "order": PLAN_SOURCES.index(source), "children": float(parts[source])} for source in PLAN_SOURCES]
    return pd.DataFrame(rows, columns=["quarter", "quarter_label", "source", "order", "children"])


def action_sentences(actions: pd.DataFrame, names: dict[str, str]) -> list[str]:
    """Each action of the plan as a sentence a board reads: where, what (whole places), when to decide, when the
    places come, and what it costs."""
    from app.reports.readable import council_name, money

    sentences = []
    for r in actions.itertuples(index=False):
        text = str(r.action)
        what = text[0].upper() + text[1:]
        decide = pd.Timestamp(f"{r.decide_by}-01").strftime("%B %Y") if str(r.decide_by) not in ("", "nan") else ""
        cost = (f" Capital {money(r.capital_cost)}; running cost {money(r.running_cost)} over the plan."
                if float(r.capital_cost or 0) > 0 else f" Running cost {money(r.running_cost)} over the plan.")
        sentences.append(f"**{council_name(r.la_code, names)}, {HOME_KIND_LABELS.get(r.group, r.group)}**: {what}. "
                         f"Decide by {decide}; places from {r.places_from}.{cost}")
    return sentences
