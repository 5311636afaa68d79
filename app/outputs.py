"""Every table a job hands back, described once: which job makes it, the file it is written to, what it holds, how
its numbers are written, whether the run store keeps it and whether it describes children one by one (child-level
tables are the ones a council officer sees only for their own council).

Jobs compute and return results (`tables()`, `record`); `write_result` is the one place that turns a result into
files, `stored_tables` the one place that turns it into what the run store keeps (exactly what the files say, so a
month folder rebuilt from the store is the same), and `outputs_markdown` documents them (`rcc schema --outputs`).
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pandas as pd


@dataclass(frozen=True)
class Output:
    job: str
    table: str  # the name in a result's tables() and in the run store
    file: str
    description: str
    float_format: str | None = None
    date_format: str | None = None
    stored: bool = False  # kept in the run store by the monthly batch
    child_level: bool = False
    # Of a child-level table, the rows about children when not every row is: (column, value). Retention removes
    # those rows and keeps the others (a flag on a setting or a provider is the market's record, not a child's).
    child_rows: tuple[str, str] | None = None


def _o(job, table, file, description, float_format=None, date_format=None, stored=False, child_level=False,
       child_rows=None):
    return Output(job, table, file, description, float_format, date_format, stored, child_level, child_rows)


OUTPUTS: tuple[Output, ...] = (
    # the monthly batch's own
    _o("monthly", "validation", "validation.csv", "Every problem found in the input (file, row, column, value, rule, "
       "severity)", stored=True, child_level=True),
    # match
    _o("match", "held_back", "held_back.csv", "Places held back for the emergencies the forecast expects before the "
       "next run: la_code, group, places_expected, places_held, setting_ids, why", stored=True),
    _o("match", "allocations", "allocations.csv", "One row per referral: the setting, distance, fee, each cost term "
       "(cost_reasons: why the fuller referral's were added), or why the child is unmatched", "%.2f", stored=True,
       child_level=True),
    _o("match", "explanations", "explanations.csv", "Per unmatched child and rule: settings it rules out, for how "
       "many it is the only obstacle, the nearest of those", stored=True, child_level=True),
    _o("match", "gap", "gap.csv", "Unmatched children per council x placement group x need: the sufficiency gap",
       stored=True),
    _o("match", "baseline_allocations", "baseline_allocations.csv", "Today's practice on the same referrals (each "
       "council alone, first come first served)", "%.2f", stored=True, child_level=True),
    _o("match", "comparison", "comparison.csv", "The regional plan against councils alone, measure by measure",
       "%.4f", stored=True),
    _o("match", "council_accounts", "council_accounts.csv", "Each council's account: its children's weekly cost, "
       "mean distance, fit, children unmatched, in-house beds given and taken, and objective, in the regional plan "
       "and searching alone; gain (alone less regional: positive, better off in the co-operative)", "%.2f",
       stored=True),
    _o("match", "fairness", "fairness.csv", "With --fairness: per council its stand-alone objective, its objective "
       "without and with the rule, its gain without and with, and by how much and why the rule could not hold",
       "%.2f", stored=True),
    # planning mode of the match
    _o("planning", "planning_gap", "planning_gap.csv", "Children the forecast expects and those the supply could "
       "not take, per council x group x need x month", stored=True),
    _o("planning", "planning_allocations", "planning_allocations.csv", "The drawn cohort's match, one row per "
       "drawn child", "%.2f"),
    _o("planning", "planning_cohort", "planning_cohort.csv", "The children drawn from the forecast (ids F-...: no "
       "real child)", date_format="%Y-%m-%d"),
    # what if every child in care were placed by regional matching (rcc what-if replan)
    _o("replan", "replan_children", "replan_children.csv", "One row per child in care: the setting today and in the "
       "replan, whether they move (stays, moves, no_place_found), in an unlawful setting today, weekly cost and "
       "distance from home today and in the replan", "%.2f", child_level=True),
    _o("replan", "replan_councils", "replan_councils.csv", "Per council and in all (la_code all): children, weekly "
       "cost today and in the replan, the saving, shares over 20 miles, moved out of unlawful settings, children "
       "moved, children no registered place was found for, better or worse off (in all: how many councils)",
       "%.4f"),
    _o("replan", "replan_areas", "replan_areas.csv", "Per area matched (the whole region, or each RCC): children, "
       "pairs, solver status, objective, proven bound and gap", "%.6g"),
    # forecast
    _o("forecast", "forecast", "forecast.csv", "The Demand table: la_code, group, age_band, month, mean, p10, p50, "
       "p90, weekly_cost", "%.2f", stored=True),
    _o("forecast", "forecast_costs", "forecast_costs.csv", "Weekly cost per council x group x month", "%.2f",
       stored=True),
    _o("forecast", "forecast_rates", "forecast_rates.csv", "The monthly transition rates the chain was fitted with",
       "%.6g"),
    _o("forecast", "forecast_entries", "forecast_entries.csv", "Entries into care per month, fitted and observed",
       "%.3f", "%Y-%m-%d"),
    _o("forecast", "history_stocks", "history_stocks.csv", "Children in care per council x group x age band x month "
       "from the SSDA903 history", date_format="%Y-%m-%d", stored=True),
    _o("forecast", "history_flows", "history_flows.csv", "Entries, moves and exits per month from the history",
       date_format="%Y-%m-%d"),
    _o("forecast", "preparation_issues", "preparation_issues.csv", "What preparing the SSDA903 history changed or "
       "left out, row by row", child_level=True),
    # backtest
    _o("backtest", "backtest", "backtest.csv", "Per series, horizon and model: MASE, bias, p10-p90 coverage",
       "%.4f", stored=True),
    _o("backtest", "backtest_forecasts", "backtest_forecasts.csv", "Every backtest forecast and what happened",
       "%.2f", "%Y-%m", stored=True),
    # flags
    _o("flags", "flags", "flags.csv", "One row per flag: flag, subject, severity, evidence, action", stored=True,
       child_level=True, child_rows=("subject_type", "child")),
    _o("flags", "unregistered_summary", "unregistered_summary.csv", "Children in unlawful settings and the spend on "
       "them, per region, council and provider", "%.2f", stored=True),
    _o("flags", "liberty_summary", "liberty_summary.csv", "Children on deprivation-of-liberty orders per region and "
       "council: in unregistered settings (Ofsted notice overdue), in settings the rules forbid, reviews overdue and "
       "due soon", stored=True),
    _o("flags", "margins", "margins.csv", "Operating margins against peers and the CMA benchmark", "%.4f",
       stored=True),
    _o("flags", "fees", "fees.csv", "Each placement's fee against the fee the model expects", "%.3f", stored=True,
       child_level=True),
    _o("flags", "concentration", "concentration.csv", "Per market: places, owners, HHI, top owner and shares",
       "%.3f", stored=True),
    _o("flags", "stress_test", "stress_test.csv", "The children the largest provider group's exit would displace "
       "and where they could go", "%.2f", stored=True, child_level=True),
    _o("flags", "difficult_to_replace", "difficult_to_replace.csv", "Per independent owner: its largest shares of "
       "the region's and a council's independent places by kind of home, the region's children with it, how many "
       "the region could re-house if it left, where its places are, and whether the derived designation (or the "
       "input) makes it difficult to replace", "%.4f", stored=True),
    _o("flags", "fragility", "fragility.csv", "Per company with accounts and per parent group: margin now and the "
       "year before, debt, interest, the council paying most of its revenue, the financial fragility score and its "
       "reasons", "%.4f", stored=True),
    _o("flags", "group_quality", "group_quality.csv", "Per independent owner: its registered homes' Ofsted grades "
       "now and at the inspection before, the share weak, homes that fell or rose", "%.4f", stored=True),
    # what-if: a profit cap (rcc what-if profit-cap)
    _o("profit_cap", "profit_cap_providers", "profit_cap_providers.csv", "Per company with accounts: its margin, its "
       "owner's, the fee cut the cap imposes, its margin after, whether it is at risk of leaving, the region's spend "
       "and saving with it", "%.4f"),
    _o("profit_cap", "profit_cap_children", "profit_cap_children.csv", "The children living with companies at risk "
       "and where the regional match could re-house them (the stress test's columns)", "%.2f", child_level=True),
    _o("profit_cap", "profit_cap_areas", "profit_cap_areas.csv", "Per council x kind of home, and the region: "
       "placements, spend, the weekly and yearly saving, places and children at risk, re-housed and not", "%.2f"),
    _o("profit_cap", "profit_cap_sweep", "profit_cap_sweep.csv", "Per cap of the sweep: weekly and yearly saving, "
       "companies, places and children at risk, re-housed and not (also drawn in profit_cap_sweep.png and .html)",
       "%.4f"),
    # what-if: a profit cap nationally on the public data (rcc what-if profit-cap --national --margins FILE)
    _o("national_profit_cap", "national_cap_owners", "profit_cap_national.csv", "Per row of the margin table (an "
       "owner, or a home by its URN): its owner in Ofsted's list, revenue, margin, the owner's margin, the fee cut "
       "the cap imposes, its margin after, whether it is at risk of leaving, the yearly and weekly saving, its homes "
       "and places", "%.4f"),
    _o("national_profit_cap", "national_cap_areas", "profit_cap_national_areas.csv", "England, each region and "
       "council x kind of home: independent places, places of owners the cap cuts, homes and places at risk, the "
       "share at risk", "%.4f"),
    _o("national_profit_cap", "national_cap_sweep", "profit_cap_national_sweep.csv", "Per cap of the sweep: the "
       "national cap's summary (owners capped, yearly and weekly saving, homes and places at risk)", "%.4f"),
    # strategy
    _o("strategy", "strategy_actions", "strategy_actions.csv", "The commissioning actions of the recommended plan",
       "%.2f", stored=True),
    _o("strategy", "strategy_balance", "strategy_balance.csv", "Demand and supply per council x group x quarter",
       "%.3f", stored=True),
    _o("strategy", "strategy_risk", "strategy_risk.csv", "Chance of a shortfall and child-weeks short per council x "
       "group, for each plan", "%.4f", stored=True),
    _o("strategy", "strategy_comparison", "strategy_comparison.csv", "Expected cost lines of each plan", "%.2f",
       stored=True),
    _o("strategy", "strategy_options", "strategy_options.csv", "The commissioning options the plan chose from",
       stored=True),
    _o("strategy", "strategy_renegotiate", "strategy_renegotiate.csv", "Providers flagged for profit or fees, to "
       "renegotiate with", stored=True),
    _o("strategy", "strategy_sharing", "strategy_sharing.csv", "Each member council's share of the plan's "
       "commissioning costs and of the match's saving, by the sharing rule (strategy_run.json says which and how)",
       "%.4f", stored=True),
    # England's market from public data
    _o("public_market", "councils", "market_councils.csv",
       "Per council x year: children's homes and places (Ofsted, by sector), places per 10,000 children (ONS), "
       "children looked after and in children's homes (DfE), the local sufficiency ratio, shares placed outside the "
       "council and over 20 miles, each with its source", "%.4f"),
    _o("public_market", "areas", "market_areas.csv",
       "Per region, RCC pathfinder and England x year: the same figures summed, with owner concentration of "
       "independent places (owners, HHI, top owner, top-three share)", "%.4f"),
    _o("public_market", "owners", "market_owners.csv",
       "Per owner x year, England: children's homes, places, share of places, rank; places in the first year with "
       "owners named, for growth", "%.5f"),
    _o("public_market", "changes", "market_changes.csv",
       "Per council and England x pair of consecutive Ofsted lists: homes and places that joined and left"),
    _o("public_market", "national_difficult_to_replace", "difficult_to_replace.csv",
       "Per independent owner meeting the difficult-to-replace rule's market part in England (Ofsted's latest list, "
       "registered places; thresholds from optimiser/flags.toml [replace]): its share of England's independent "
       "places by kind of home, its highest share of one region's and of one council's, the councils (named, most "
       "places first) and regions where it holds places, its geographic concentration, the evidence in words; the "
       "rule's children and re-housing parts are not applied (no children's records)", "%.4f"),
    _o("public_market", "issues", "market_issues.csv",
       "Every problem found reading the publications (file, row, column, value, rule, severity)"),
    # every council's yearly demand from the DfE's published series
    _o("public_forecast", "public_forecast", "public_forecast.csv",
       "Children looked after at 31 March per council x placement group x year ahead: la_code, group, year, mean, "
       "p10, p50, p90 (the groups' means add up to `all`)", "%.2f"),
    _o("public_forecast", "public_backtest", "public_backtest.csv",
       "Every backtest forecast on the real years: model, la_code, group, origin, horizon, year, mean, p10, p50, "
       "p90, actual, last (the naive forecast), scale (MASE's denominator)", "%.4f"),
    _o("public_forecast", "public_backtest_summary", "public_backtest_summary.csv",
       "Per model x group x horizon, over every council and origin: MASE, MAE relative to naive, bias, p10-p90 "
       "coverage, the error 8 forecasts in 10 were within", "%.4f"),
    _o("public_forecast", "public_history", "public_history.csv",
       "The yearly series the forecast starts from: la_code, group, year, value, published (false: imputed from "
       "the year's total because the DfE suppressed or did not publish it)", "%.2f"),
    _o("public_forecast", "public_issues", "public_forecast_issues.csv",
       "Every problem found reading the publications (file, row, column, value, rule, severity)"),
    # the monthly batch's yearly view of its councils, when the DfE's tables are there
    _o("yearly", "yearly_forecast", "yearly_forecast.csv",
       "The region's councils' children looked after at 31 March, years ahead, from the DfE's yearly series "
       "(the columns of public_forecast.csv)", "%.2f", stored=True),
    _o("yearly", "yearly_history", "yearly_history.csv",
       "The published yearly series of the region's councils the yearly forecast starts from", "%.2f",
       stored=True),
    _o("yearly", "yearly_backtest", "yearly_backtest.csv",
       "The yearly forecast's backtest on the real years, for England, for these councils and for each council "
       "(scope: England, 'these councils' or a council's code): per model x group x years ahead, MASE, MAE "
       "against naive, bias, p10-p90 coverage, and the error 8 forecasts in 10 were within", "%.4f", stored=True),
    _o("yearly", "yearly_bridge", "yearly_bridge.csv",
       "Per council x 31 March: the SSDA903 extract's children against the DfE's published figure (kind "
       "history; a warning beyond 5%), and the monthly model's forecast against the yearly one (kind forecast)",
       "%.4f", stored=True),
    # a sweep (rcc sweep): its cells' own tables are in OUT/sweep.duckdb, under each cell's id
    _o("sweep", "sweep_cells", "sweep_cells.csv", "One row per cell of the sweep: region, job, the parameters it set, "
       "the headline figures (costs, children unmatched, over 20 miles, shortfall risk, savings), whether it was "
       "computed now, reused from the store or failed, and why", "%.4f"),
)
RECORD_FILES = {"match": "run.json", "planning": "planning_run.json", "replan": "replan_run.json",
                "forecast": "forecast_run.json", "backtest": "backtest_run.json", "flags": "flags_run.json",
                "strategy": "strategy_run.json", "public_market": "market_run.json",
                "public_forecast": "public_forecast_run.json", "yearly": "yearly_run.json",
                "monthly": "monthly_run.json", "sweep": "sweep_run.json",
                "profit_cap": "profit_cap_run.json", "national_profit_cap": "profit_cap_national_run.json"}
STORED_TABLES = tuple(o.table for o in OUTPUTS if o.stored)
# Tables that list children one by one: what a council officer sees only for their own council, what viewing is
# audited (app/dashboard/audit.py) and what retention removes from old runs (app/history/retention.py).
CHILD_LEVEL_TABLES = tuple(o.table for o in OUTPUTS if o.child_level)


class Result(Protocol):
    """What every job returns: its tables by registered name and its run record."""

    job: str
    record: dict

    def tables(self) -> dict[str, pd.DataFrame]: ...


def outputs_of(job: str) -> dict[str, Output]:
    return {o.table: o for o in OUTPUTS if o.job == job}


def output(table: str) -> Output:
    return next(o for o in OUTPUTS if o.table == table)


def _described(job: str, tables: dict[str, pd.DataFrame]) -> list[tuple[Output, pd.DataFrame]]:
    known = outputs_of(job)
    unknown = sorted(set(tables) - set(known))
    if unknown:
        raise KeyError(f"{job} returned tables the output registry does not describe: {', '.join(unknown)}")
    return [(known[name], frame) for name, frame in tables.items()]


def csv_text(out: Output, frame: pd.DataFrame) -> str:
    return frame.to_csv(index=False, float_format=out.float_format, date_format=out.date_format)


def documents(result: Result) -> dict[str, Callable[[Path], Path]]:
    """The documents a result is also written as (a board's workbook and report): name -> writer(folder)."""
    if result.job == "strategy":
        from app.reports.strategy_html import write_strategy_report
        from app.reports.strategy_workbook import write_strategy_workbook

        parts = (result.strategy, result.renegotiate, result.gap, result.header, result.council_names)
        return {"workbook": lambda folder: write_strategy_workbook(folder / "strategy.xlsx", *parts,
                                                                   accounts=result.accounts,
                                                                   sharing=result.sharing),
                "report": lambda folder: write_strategy_report(folder / "strategy.html", *parts)}
    if result.job == "public_market":
        from app.reports.market_html import write_market_report
        from app.reports.market_workbook import write_market_workbook

        return {"workbook": lambda folder: write_market_workbook(folder / "market.xlsx", result.market,
                                                                 result.highlight),
                "report": lambda folder: write_market_report(folder / "market.html", result.market, result.highlight,
                                                             result.boundaries)}
    if result.job == "profit_cap" and result.sweep is not None:
        from app.reports.profit_cap import write_sweep_html, write_sweep_png

        sweep, exit_margin = result.sweep, result.cap.params.exit_margin
        return {"chart": lambda folder: write_sweep_png(folder / "profit_cap_sweep.png", sweep),
                "report": lambda folder: write_sweep_html(folder / "profit_cap_sweep.html", sweep, exit_margin)}
    if result.job == "sweep":
        from app.reports.sweep_workbook import write_sweep_workbook

        return {"workbook": lambda folder: write_sweep_workbook(folder / "sweep.xlsx", result.cells, result.record)}
    return {}


def write_result(result: Result, folder: Path) -> dict[str, Path]:
    """A result's registered tables as CSV files, its documents (workbook, report) and its run record as JSON, in
    `folder`; returns name -> path in that order."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for out, frame in _described(result.job, result.tables()):
        path = folder / out.file
        path.write_text(csv_text(out, frame), encoding="utf-8")
        written[out.table] = path
    for name, write in documents(result).items():
        written[name] = write(folder)
    record = folder / RECORD_FILES[result.job]
    record.write_text(json.dumps(result.record, indent=2, default=str) + "\n")
    written["run"] = record
    return written


def stored_tables(job: str, tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The tables the run store keeps, exactly as their files say them (numbers as written, dates as text): what
    is stored and what is published can never disagree."""
    return {out.table: pd.read_csv(io.StringIO(csv_text(out, frame)))
            for out, frame in _described(job, tables) if out.stored}


def outputs_markdown() -> str:
    lines = ["| job | file | kept in the run store | child-level | what it holds |", "|---|---|---|---|---|"]
    lines += [f"| {o.job} | `{o.file}` | {'yes' if o.stored else ''} | {'yes' if o.child_level else ''} | "
              f"{o.description} |" for o in OUTPUTS]
    return "\n".join(lines)
