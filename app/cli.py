"""The `rcc` command: a thin layer over app.pipeline and the data layer."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

from optimiser.params import SOLVERS

EMBEDDED_REGION = Path(__file__).resolve().parent.parent / "data" / "regions" / "greater-manchester"

def _progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def cmd_validate(args) -> int:
    from data.load import read_region
    from data.problems import count_by_severity

    region, issues = read_region(args.dir)
    counts = count_by_severity(issues)
    if args.out:
        issues.to_csv(args.out, index=False)
    if issues.empty:
        print(f"{args.dir}: no problems found.")
    else:
        shown = issues.head(args.limit)
        with pd.option_context("display.max_colwidth", 120, "display.width", 250):
            print(shown.to_string(index=False, na_rep=""))
        if len(issues) > len(shown):
            print(f"... {len(issues) - len(shown)} more rows" + (f" in {args.out}" if args.out else
                                                                 " (use --out FILE for the full table)"))
    print(f"\n{counts['error']} error(s), {counts['warning']} warning(s), {counts['flag']} flag(s)."
          + (" Fix the errors and run again." if counts["error"] else ""))
    if region is not None:
        print("Loaded: " + ", ".join(f"{v} {k}" for k, v in region.summary().items()))
    return 1 if counts["error"] else 0


def cmd_template(args) -> int:
    from data.templates import write_templates

    for path in write_templates(args.dir):
        print(path)
    return 0


def cmd_schema(args) -> int:
    from data.schema import docs_markdown

    print(docs_markdown())
    return 0


def cmd_synth(args) -> int:
    from data.synthetic import REGIONS, generate, write

    if args.region not in REGIONS:
        print(f"unknown region {args.region!r}; choose one of: {', '.join(REGIONS)}", file=sys.stderr)
        return 2
    tables = generate(args.region, args.seed, progress=_progress)
    for path in write(tables, args.out):
        print(path)
    return 0


def cmd_match(args) -> int:
    from app.pipeline import run_match
    from data.problems import ValidationError
    from optimiser.params import MatchParams

    try:
        params = MatchParams.from_toml(args.params) if args.params else MatchParams()
        if args.solver or args.time_limit:
            import dataclasses
            params = dataclasses.replace(params, **{k: v for k, v in (("solver", args.solver),
                                                                      ("time_limit_s", args.time_limit)) if v})
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        run = run_match(args.dir, args.out, params, progress=_progress)
    except ValidationError as exc:
        print(exc, file=sys.stderr)
        return 1
    except ValueError as exc:  # parameters that cannot work with this data, e.g. a penalty below a placement's cost
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print_match_summary(run)
    return 0 if run.result.status != "failed" else 1


def _forecast_params(args):
    """Parameters from --params (defaults: forecasts/forecast.toml) with --seed applied; None after an error."""
    import dataclasses

    from forecasts.params import ForecastParams

    try:
        params = ForecastParams.from_toml(args.params) if args.params else ForecastParams()
        return dataclasses.replace(params, seed=args.seed) if args.seed is not None else params
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None


def cmd_forecast(args) -> int:
    from app.pipeline import run_forecast
    from data.problems import ValidationError
    from forecasts.scenarios import Scenario

    params = _forecast_params(args)
    if params is None:
        return 2
    try:
        scenario = Scenario.from_toml(args.scenario) if args.scenario else None
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        run = run_forecast(args.dir, args.out, args.horizon, params, scenario, progress=_progress)
    except ValidationError as exc:
        print(exc, file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    f = run.forecast
    last = f.regional.iloc[-1]
    cost = f.demand.loc[f.demand["month"] == last["month"], "weekly_cost"].sum()
    print("\n".join([
        f"Forecast ({f.scenario.name}): {len(f.history.la_codes)} councils, {args.horizon} months after "
        f"{f.model.origin_month:%B %Y}",
        f"  children in care now       {int(f.history.stock[:, -1].sum())}",
        f"  in {last['month'][:7]}             {last['mean']:.0f} expected (p10-p90 {last['p10']:.0f}-{last['p90']:.0f})",
        f"  weekly cost then           £{cost:,.0f}",
        "Outputs:"] + [f"  {path}" for path in run.outputs.values()]))
    return 0


def cmd_backtest(args) -> int:
    from app.pipeline import run_backtest
    from data.problems import ValidationError

    params = _forecast_params(args)
    if params is None:
        return 2
    try:
        run = run_backtest(args.dir, args.out, params, progress=_progress)
    except ValidationError as exc:
        print(exc, file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    bt = run.backtest
    regional = bt.regional().assign(bias_pct=lambda d: 100 * d["bias"]).pivot(
        index="model", columns="horizon", values=["mase", "coverage_80", "bias_pct"])
    series = bt.table[(bt.table["la_code"] != "region") & (bt.table["group"] != "all")]
    median = series.groupby(["model", "horizon"])["mase"].median().unstack("horizon")
    with pd.option_context("display.float_format", "{:.2f}".format, "display.width", 200):
        print(f"Backtest: {len(bt.origins)} origins ({bt.origins[0]:%Y-%m} to {bt.origins[-1]:%Y-%m}), "
              f"horizons {', '.join(map(str, params.backtest.horizons))} months")
        print("Whole region, all groups: MASE (below 1 beats last year's figure), p10-p90 coverage "
              "(nominal 0.80), bias (% of actual)")
        print(regional.to_string())
        print("Median MASE over council x group series:")
        print(median.to_string())
    print("Outputs:\n" + "\n".join(f"  {path}" for path in run.outputs.values()))
    return 0


def cmd_flags(args) -> int:
    from datetime import date

    from app.pipeline import run_flags
    from data.problems import ValidationError
    from optimiser.flags import FlagParams
    from optimiser.params import MatchParams

    try:
        params = FlagParams.from_toml(args.params) if args.params else FlagParams()
        if args.no_stress or args.no_match:
            import dataclasses
            params = dataclasses.replace(
                params, stress=dataclasses.replace(params.stress, run=False),
                unlawful=dataclasses.replace(params.unlawful,
                                             propose_alternatives=params.unlawful.propose_alternatives
                                             and not args.no_match))
        match_params = MatchParams.from_toml(args.match_params) if args.match_params else MatchParams()
        run_date = date.fromisoformat(args.run_date) if args.run_date else None
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        run = run_flags(args.dir, args.out, params, match_params, run_date, progress=_progress)
    except ValidationError as exc:
        print(exc, file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(flags_summary_text(run))
    return 0


def cmd_strategy(args) -> int:
    import dataclasses

    from app.pipeline import run_strategy
    from data.problems import ValidationError
    from optimiser.strategy import StrategyParams

    forecast_params = _forecast_params(argparse.Namespace(params=args.forecast_params, seed=args.seed))
    if forecast_params is None:
        return 2
    try:
        params = StrategyParams.from_toml(args.params) if args.params else StrategyParams()
        overrides = {k: v for k, v in (("quantile", args.quantile), ("horizon_quarters", args.horizon_quarters),
                                       ("plan", args.plan)) if v is not None}
        params = dataclasses.replace(params, **overrides) if overrides else params
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        run = run_strategy(args.dir, args.out, params, forecast_params, progress=_progress)
    except ValidationError as exc:
        print(exc, file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(strategy_summary_text(run))
    return 0


def strategy_summary_text(run) -> str:
    from optimiser.strategy import PLAN_NAMES

    s, strategy = run.summary, run.strategy
    p = strategy.params
    years = p.horizon_quarters / 4
    actions = strategy.actions
    places = actions.groupby("kind")["places"].sum()
    risk = strategy.risk
    chosen = strategy.chosen
    likely = 1 - p.quantile
    lines = [
        f"Sufficiency strategy: {PLAN_NAMES[chosen]}, {s['status']} (gap {s['gap']:.2%}), "
        f"{p.horizon_quarters} quarters from {strategy.quarters['first_month'].iloc[0]}, service level "
        f"p{p.quantile * 100:.0f}",
        f"  options                  {s['options']} ({s['options_source']})",
        f"  new homes                {places.get('new_home', 0):.0f} places",
        f"  foster recruitment       {places.get('foster_recruitment', 0):.1f} children's places "
        f"({actions.loc[actions['kind'].eq('foster_recruitment'), 'units'].sum():.0f} households)",
        f"  block-contracted beds    {places.get('block_contract', 0):.0f} "
        f"({int(actions['kind'].eq('block_contract').sum())} contracts)",
        f"  step-downs to families   up to {places.get('step_down', 0):.1f} children",
        f"  capital and one-off      £{s['capital_cost']:,.0f} (budget £{p.capital_budget:,.0f})",
        f"  expected cost            £{s['expected_cash_cost']:,.0f} over {years:g} years "
        f"(on {s['futures_evaluated']} simulated futures)",
        f"  doing nothing            £{s['do_nothing_expected_cash_cost']:,.0f}",
        f"  expected saving          £{s['expected_saving']:,.0f} ({s['expected_saving_share']:.1%})",
        f"  shortfall likely (>{likely:.0%} of futures) in {int((risk[f'{chosen}_shortfall_probability'] > likely).sum())}"
        f" of {len(risk)} council x group cells (doing nothing: "
        f"{int((risk['do_nothing_shortfall_probability'] > likely).sum())})",
        f"  expected child-weeks short {risk[f'{chosen}_shortfall_child_weeks'].sum():,.0f} "
        f"(doing nothing: {risk['do_nothing_shortfall_child_weeks'].sum():,.0f})",
        f"  providers to renegotiate with: {s['providers_to_renegotiate']}",
    ]
    for other in ("quantile", "two_stage"):
        if other in strategy.outcomes and other != chosen:
            lines.append(f"  {other.replace('_', '-')} plan" + " " * (15 - len(other))
                         + f"£{strategy.outcomes[other].costs['cash']:,.0f} expected")
    return "\n".join(lines + ["Outputs:"] + [f"  {path}" for path in run.outputs.values()])


def flags_summary_text(run) -> str:
    from optimiser.flags import FLAG_TYPES

    s = run.summary
    lines = [f"Market flags: {s['flags']} ({s['by_severity']['high']} high, {s['by_severity']['medium']} medium, "
             f"{s['by_severity']['low']} low severity)"]
    lines += [f"  {count:5d}  {flag:30} {FLAG_TYPES[flag]}" for flag, count in s["by_type"].items()]
    u = s["unregistered"]
    lines.append(f"  weekly spend on unregistered settings: £{u['weekly_spend']:,.0f} "
                 f"({u['children']} children in {u['settings']} settings; £{u['weekly_spend'] * 52:,.0f} a year)")
    councils = run.flags.unregistered_summary
    councils = councils[councils["level"].eq("council") & councils["weekly_spend"].gt(0)].head(3)
    if len(councils):
        lines.append("  most spent on them by: " + ", ".join(
            f"{r.name} £{r.weekly_spend:,.0f} a week ({r.children_in_unregistered} children)"
            for r in councils.itertuples()))
    if s["step_down_referrals_added"]:
        lines.append(f"  step-down referrals added for the match: {s['step_down_referrals_added']}")
    t = s["stress_test"]
    if t:
        lines.append(f"  stress test: if {t['group']} left, {t['children_displaced']} children would need a new "
                     f"home (£{t['weekly_spend_before']:,.0f} a week); the region could re-house {t['rehoused']}, "
                     f"{t['not_rehoused']} could not be placed")
    return "\n".join(lines + ["Outputs:"] + [f"  {path}" for path in run.outputs.values()])


def print_match_summary(run) -> None:
    from optimiser.matching import REASON_SUMMARY

    s, r = run.summary, run.result
    lines = [
        f"Regional match: {r.status} ({r.solver}, gap {r.gap:.2%}, {r.timings['total_s']:.1f} s)"
        + (f" - {r.message}" if r.message else ""),
        f"  referrals            {s['referrals']}"
        + (f" (including {s['step_down_referrals_added']} step-down referrals rcc added for children in unlawful "
           "settings)" if s["step_down_referrals_added"] else ""),
        f"  matched              {s['matched']}",
        f"  unmatched            {s['unmatched']}",
    ]
    for code, count in s["unmatched_by_reason"].items():
        lines.append(f"    {count:4d}  {REASON_SUMMARY.get(code, code)}")
    if s["mean_distance_km"] is not None:
        lines += [f"  mean distance        {s['mean_distance_km']:.1f} km from home",
                  f"  over 20 miles        {s['share_over_20_miles']:.1%} of matched children"]
    lines += [f"  total weekly cost    £{s['total_weekly_cost']:,.0f}", "", comparison_text(run.comparison), "",
              "Outputs:"] + [f"  {path}" for path in run.outputs.values()]
    print("\n".join(lines))


COMPARISON_ROWS = {
    "matched": ("children matched", "{:,.0f}"),
    "total_weekly_cost": ("weekly cost of placements", "£{:,.0f}"),
    "mean_distance_km": ("mean distance from home", "{:.1f} km"),
    "share_over_20_miles": ("placed over 20 miles away", "{:.1%}"),
    "family_settings": ("placed in foster families", "{:,.0f}"),
    "sibling_splits": ("sibling groups split", "{:,.0f}"),
    "hard_rule_violations": ("hard rules broken", "{:,.0f}"),
}


def comparison_text(comparison) -> str:
    lines = [f"  {'Regional vs each council alone':34}{'regional':>14}{'councils alone':>16}"]
    for measure, (label, fmt) in COMPARISON_ROWS.items():
        values = [fmt.format(v) if v == v else "-" for v in comparison.loc[measure]]
        lines.append(f"  {label:34}{values[0]:>14}{values[1]:>16}")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rcc", description="Placement-sufficiency optimiser for Regional Care Co-operatives.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  rcc validate data/regions/greater-manchester\n"
               "  rcc match data/regions/greater-manchester --out out\n\nRun `rcc COMMAND --help` for each command.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def region_and_out(p, region_help="folder of CSV files or one .xlsx workbook (default: the embedded "
                                      "Greater Manchester)"):
        p.add_argument("dir", type=Path, nargs="?", default=EMBEDDED_REGION, help=region_help)
        p.add_argument("--out", type=Path, default=Path("out"), help="output folder (default out)")

    def forecast_options(p):
        p.add_argument("--params", type=Path, help="parameters TOML (defaults: forecasts/forecast.toml)")
        p.add_argument("--seed", type=int, help="random seed of the simulation (default from the parameters, 0)")

    def command(name, help_text, example, func):
        p = sub.add_parser(name, help=help_text, description=help_text, epilog=f"example:\n  {example}",
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.set_defaults(func=func)
        return p

    p = command("validate", "Check a region's tables and print every problem (file, row, column, value, rule).",
                "rcc validate data/regions/greater-manchester --out issues.csv", cmd_validate)
    p.add_argument("dir", type=Path, help="folder of CSV files, or one .xlsx workbook")
    p.add_argument("--out", type=Path, help="write the full issues table to this CSV")
    p.add_argument("--limit", type=int, default=200, help="rows of the table to print (default 200)")

    p = command("template", "Write blank input templates (CSV files and one Excel workbook with a guide).",
                "rcc template my-region", cmd_template)
    p.add_argument("dir", type=Path, help="folder to write the templates into")

    command("schema", "Print the data contract (every table and column) as Markdown.",
            "rcc schema > DATA-columns.md", cmd_schema)

    p = command("synth", "Write a seeded synthetic region (the embedded one is greater-manchester, seed 7).",
                "rcc synth --region greater-manchester --seed 7 --out /tmp/gm", cmd_synth)
    p.add_argument("--region", default="greater-manchester", help="greater-manchester or national")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument("--out", type=Path, required=True, help="folder to write the tables into")

    p = command("match", "Match every referral in the region to a registered setting; write allocations.csv "
                         "and run.json.", "rcc match data/regions/greater-manchester --out out", cmd_match)
    region_and_out(p)
    p.add_argument("--params", type=Path, help="parameters TOML (defaults: optimiser/match.toml)")
    p.add_argument("--backend", "--solver", dest="solver", choices=list(SOLVERS),
                   help="override the backend: fast (default), pyomo (reference), scip, highs, cp-sat")
    p.add_argument("--time-limit", type=float, help="override the solver time limit in seconds")

    p = command("forecast", "Forecast children in care per council x placement group x age band with p10-p90 "
                            "intervals; write forecast.csv (the Demand table) and forecast_run.json.",
                "rcc forecast data/regions/greater-manchester --horizon 24 --out out", cmd_forecast)
    region_and_out(p, "folder of CSV files or one .xlsx workbook with SSDA903 header.csv and episodes.csv "
                      "(default: the embedded Greater Manchester)")
    p.add_argument("--horizon", type=int, default=24, help="months ahead (default 24)")
    p.add_argument("--scenario", type=Path, help="scenario TOML (levers and rate edits); default: no change")
    forecast_options(p)

    p = command("backtest", "Refit and forecast from past months and score against what happened: write "
                            "backtest.csv (MASE, bias, p10-p90 coverage per series, horizon and model).",
                "rcc backtest data/regions/greater-manchester --out out", cmd_backtest)
    region_and_out(p)
    forecast_options(p)

    p = command("flags", "Flag unlawful placements (with a registered alternative for each), profit and fee "
                         "outliers and market concentration, with a provider-exit stress test; write flags.csv.",
                "rcc flags data/regions/greater-manchester --out out", cmd_flags)
    region_and_out(p)
    p.add_argument("--params", type=Path, help="flag thresholds TOML (defaults: optimiser/flags.toml)")
    p.add_argument("--match-params", type=Path, help="match parameters TOML for the step-down proposals and the "
                                                      "stress test (defaults: optimiser/match.toml)")
    p.add_argument("--run-date", help="date to count days in placement from, YYYY-MM-DD (default today)")
    p.add_argument("--no-stress", action="store_true", help="skip the provider-exit stress test (faster)")
    p.add_argument("--no-match", action="store_true",
                   help="skip the matcher: no step-down proposals and no stress test (fastest)")

    p = command("strategy", "Plan commissioning under forecast uncertainty (block contracts, new homes, foster "
                            "recruitment, spot purchasing) with Pyomo + HiGHS; write strategy.xlsx, strategy.html "
                            "and the plan's tables.",
                "rcc strategy data/regions/greater-manchester --out out --quantile 0.8 --horizon-quarters 12",
                cmd_strategy)
    region_and_out(p)
    p.add_argument("--params", type=Path, help="strategy parameters TOML (defaults: optimiser/strategy.toml)")
    p.add_argument("--quantile", type=float, help="service level: demand quantile to meet (default 0.8)")
    p.add_argument("--horizon-quarters", type=int, help="quarters to plan (default 12: three years)")
    p.add_argument("--plan", choices=["best", "two_stage", "quantile"],
                   help="plan to recommend (default best: the lower expected cost on every simulated future)")
    p.add_argument("--forecast-params", type=Path, help="forecast parameters TOML (defaults: forecasts/forecast.toml)")
    p.add_argument("--seed", type=int, help="random seed of the forecast simulation (default from its parameters)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
