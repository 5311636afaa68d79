"""The `rcc` command: a thin layer over app.pipeline and the data layer."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

from optimiser.match.params import SOLVERS

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
        print("Loaded: " + ", ".join(f"{v} {k}" if isinstance(v, int) else f"{k} {v}"
                                     for k, v in region.summary().items()))
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
    from app.pipeline import run_match, run_planning
    from data.problems import ValidationError
    from data.region import MissingData
    from optimiser.match.demand import read_demand
    from optimiser.match.params import MatchParams

    try:
        params = MatchParams.from_toml(args.params) if args.params else MatchParams()
        if args.solver or args.time_limit:
            import dataclasses
            params = dataclasses.replace(params, **{k: v for k, v in (("solver", args.solver),
                                                                      ("time_limit_s", args.time_limit)) if v})
        if args.horizon is not None and args.forecast is None:
            raise ValueError("--horizon (planning mode) needs --forecast FILE: the forecast.csv `rcc forecast` writes")
        demand = read_demand(args.forecast) if args.forecast else None
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        if args.horizon is not None:
            run = run_planning(args.dir, args.out, demand, args.horizon, params, progress=_progress, seed=args.seed)
        else:
            run = run_match(args.dir, args.out, params, progress=_progress, demand=demand)
    except (ValidationError, MissingData) as exc:
        print(exc, file=sys.stderr)
        return 1
    except ValueError as exc:  # parameters that cannot work with this data, e.g. a penalty below a placement's cost
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.horizon is not None:
        print(planning_summary_text(run))
        return 0 if "failed" not in (run.planning.today.status, run.planning.result.status) else 1
    print_match_summary(run)
    return 0 if run.result.status != "failed" else 1


def planning_summary_text(run) -> str:
    s = run.summary
    months = f" ({s['months'][0]} to {s['months'][1]})" if s["months"] else ""
    lines = [f"Planning: the next {s['horizon_months']} months{months}, cohort drawn with seed {s['seed']}",
             f"  today's referrals    {s['today']['referrals']} ({s['today']['matched']} matched first; their "
             "places come off the supply)",
             f"  children expected    {s['children_expected']:.1f} by the forecast; drawn {s['children_drawn']} "
             f"({s['sibling_groups_drawn']} sibling groups)",
             f"  could not be placed  {s['children_unmet']} with the supply as it stands"]
    if s["unmet_by_group"]:
        lines.append("    by kind of home: " + ", ".join(f"{g} {n}" for g, n in s["unmet_by_group"].items()))
        lines.append("    why: " + ", ".join(f"{code} {n}" for code, n in s["unmet_by_reason"].items()))
    return "\n".join(lines + ["Outputs:"] + [f"  {path}" for path in run.outputs.values()])


def _run_job(job, *args, **kwargs):
    """A pipeline job, or None after printing why the input cannot be used (the validation table, or the reason)."""
    from data.problems import ValidationError

    try:
        return job(*args, **kwargs)
    except ValidationError as exc:
        print(exc, file=sys.stderr)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
    return None


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
    from forecasts.scenarios import Scenario

    params = _forecast_params(args)
    if params is None:
        return 2
    try:
        scenario = Scenario.from_toml(args.scenario) if args.scenario else None
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    run = _run_job(run_forecast, args.dir, args.out, args.horizon, params, scenario, progress=_progress)
    if run is None:
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

    params = _forecast_params(args)
    if params is None:
        return 2
    run = _run_job(run_backtest, args.dir, args.out, params, progress=_progress)
    if run is None:
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
    from optimiser.flags import FlagParams
    from optimiser.match.params import MatchParams

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
    run = _run_job(run_flags, args.dir, args.out, params, match_params, run_date, progress=_progress)
    if run is None:
        return 1
    print(flags_summary_text(run))
    return 0


def cmd_strategy(args) -> int:
    import dataclasses

    from app.pipeline import run_strategy
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
    run = _run_job(run_strategy, args.dir, args.out, params, forecast_params, progress=_progress)
    if run is None:
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
    from optimiser.match.allocation import REASON_SUMMARY

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
    if run.lookahead is not None:
        held = run.lookahead.summary()
        lines.append(f"  held back            {held['places_held']} of the {held['places_expected']} place(s) the "
                     "forecast expects emergencies to need before the next run ("
                     + ", ".join(f"{g} {n}" for g, n in held["held_by_group"].items()) + "; see held_back.csv)")
    lines += [f"  total weekly cost    £{s['total_weekly_cost']:,.0f}", "", comparison_text(run.comparison), "",
              "Outputs:"] + [f"  {path}" for path in run.outputs.values()]
    print("\n".join(lines))


COMPARISON_ROWS = {
    "matched": ("children matched", "{:,.0f}"),
    "total_weekly_cost": ("weekly cost of placements", "£{:,.0f}"),
    "mean_distance_km": ("mean distance from home", "{:.1f} km"),
    "share_over_20_miles": ("placed over 20 miles away", "{:.2%}"),
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


def ensure_latest_run(region: Path, out: Path, store: Path, progress=_progress) -> str:
    """The store's latest run of this region, made first (the whole monthly run) when the store has none."""
    from app.monthly import run_monthly
    from app.store import RunStore

    if store.exists():
        with RunStore(store, read_only=True) as existing:
            name = region.stem if region.suffix else region.name
            latest = existing.latest_run_id(name)
        if latest:
            return latest
    progress(f"No run of {region} in {store} yet: running this month's batch first (a few minutes)")
    return run_monthly(region, store_path=store, out_dir=out, progress=progress).run_id


def cmd_app(args) -> int:
    import os
    import subprocess

    from data.load import load_region

    store = args.store or args.out / "runs.duckdb"
    no_run = args.no_run
    if not no_run:
        try:
            if load_region(args.dir).is_public:
                _progress(f"{args.dir} was built from published data: no children, so no monthly run; the dashboard "
                          "shows its supply and England's market")
                no_run = True
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    if not no_run:
        try:
            run_id = ensure_latest_run(args.dir, args.out, store)
        except Exception as exc:  # the batch's own messages name the problem (bad data, bad parameters)
            print(f"error: could not make the first run: {exc}", file=sys.stderr)
            return 1
        _progress(f"Dashboard on run {run_id}")
    env = os.environ | {"RCC_REGION": str(args.dir.resolve()), "RCC_OUT": str(args.out.resolve()),
                        "RCC_STORE": str(store.resolve())}
    if args.users:
        env["RCC_USERS"] = str(args.users.resolve())
    entry = Path(__file__).resolve().parent / "streamlit_app.py"
    command = [sys.executable, "-m", "streamlit", "run", str(entry), "--server.port", str(args.port),
               "--server.headless", "true", "--client.toolbarMode", "viewer",
               "--browser.gatherUsageStats", "false"]
    _progress(f"Open http://localhost:{args.port} (Ctrl+C to stop)")
    return subprocess.call(command, env=env)


def cmd_users_add(args) -> int:
    import getpass

    from app.dashboard.auth import add_user, users_file

    path = args.file or users_file()
    password = getpass.getpass(f"Password for {args.name}: ")
    if password != getpass.getpass("Repeat the password: "):
        print("error: the two passwords differ", file=sys.stderr)
        return 2
    try:
        user = add_user(path, args.name, args.role, password, la_code=args.la or "", display_name=args.display_name)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    scope = "every council" if user.sees_all_councils else f"council {user.la_code} only"
    print(f"{path}: {user.name} ({user.role}, {scope})")
    return 0


def cmd_monthly(args) -> int:
    from rich.console import Console
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from app.monthly import MonthError, MonthlyParams, run_monthly
    from data.problems import ValidationError

    console = Console(stderr=True)
    log_path = args.out / "logs" / f"monthly-{time.strftime('%Y%m%dT%H%M%S')}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log:
        def write_log(message: str) -> None:
            log.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {message}\n")
            log.flush()

        try:
            params = MonthlyParams.from_toml(args.params) if args.params else MonthlyParams()
        except (ValueError, OSError) as exc:
            write_log(f"invalid parameters: {exc}")
            console.print(f"error: {exc}\nNothing was written. Log: {log_path}")
            return 1
        with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), console=console,
                      transient=False) as bar:
            tasks = {}

            def on_stage(stage: str, status: str, seconds: float) -> None:
                write_log(f"stage {stage}: {status}" + (f" in {seconds:.1f} s" if status == "done" else ""))
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=1)
                mark = {"done": "done", "reused": "reused from the store", "failed": "FAILED"}.get(status)
                if mark:
                    bar.update(tasks[stage], completed=1, description=f"{stage}: {mark}")

            def progress(message: str) -> None:
                write_log(message)
                bar.console.log(message)

            try:
                run = run_monthly(args.dir, args.month, args.store, args.out, params, progress, on_stage)
            except (ValidationError, MonthError) as exc:
                write_log(f"invalid input: {exc}")
                bar.stop()
                print(exc, file=sys.stderr)
                print(f"Nothing was written. Log: {log_path}", file=sys.stderr)
                return 1
            except Exception as exc:  # noqa: BLE001 - any other failure is ours: say so, keep the store as it was
                import traceback

                write_log("failure:\n" + traceback.format_exc())
                bar.stop()
                print(f"internal failure in the monthly run: {type(exc).__name__}: {exc}\n"
                      f"Nothing was written: the run store and the outputs are as they were. Details: {log_path}",
                      file=sys.stderr)
                return 2
        write_log(f"run {run.run_id} {'reused' if run.reused else 'stored'}")
    print(monthly_summary_text(run, log_path))
    return 0


def monthly_summary_text(run, log_path: Path) -> str:
    from app.monthly import BESIDE_STAGES

    s = run.summary
    m = s["match"]
    lines = [f"Monthly run {run.month}: run {run.run_id}"
             + (" (reused: the same inputs and parameters were already run)" if run.reused
                else f" ({run.timings['total_s']:.1f} s)")]
    if not run.reused:
        lines.append("  stages  " + ", ".join(f"{k[:-2]} {v:.1f} s" + (" (beside)" if k[:-2] in BESIDE_STAGES else "")
                                          for k, v in run.timings.items() if k != "total_s"))
    f12 = s["forecast_12_months"]
    lines += [f"  children in care     {s['children_in_care']:,}; in 12 months {f12['mean']:,.0f} expected "
              f"(p10-p90 {f12['p10']:,.0f}-{f12['p90']:,.0f})"]
    if "backtest" in s:
        lines.append("  forecast accuracy    " + ", ".join(
            f"{h[1:]} months ahead MASE {v['mase']:.2f}, p10-p90 coverage {v['coverage_80']:.0%}"
            for h, v in s["backtest"].items()))
    lines += [f"  referrals            {m['referrals']:,}: {m['matched']:,} matched, {m['unmatched']:,} unmatched",
              *([f"  held back            {s['held_back']['places_held']} places for the emergencies the forecast "
                 f"expects before the next run ({s['held_back']['children_held_back']} children left for then)"]
                if s.get("held_back") else []),
              f"  weekly cost          £{m['total_weekly_cost']:,.0f} (councils alone: "
              f"£{s['comparison']['la_by_la']['total_weekly_cost']:,.0f})",
              "  flags                " + ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in s["flags"].items() if n),
              f"  unregistered         {s['unregistered']['children']} children, "
              f"£{s['unregistered']['weekly_spend']:,.0f} a week",
              *([strategy_line(s["strategy"])] if s.get("strategy") else []),
              f"Outputs: {run.out_dir}/", f"Run store: {run.store_path} (rcc runs list --store {run.store_path})",
              f"Log: {log_path}"]
    return "\n".join(lines)


def strategy_line(s: dict) -> str:
    return (f"  strategy             {s['plan'].replace('_', '-')} plan: expected cost £{s['expected_cash_cost'] / 1e6:,.1f}m "
            f"over the horizon against £{s['do_nothing_expected_cash_cost'] / 1e6:,.1f}m doing nothing (saves "
            f"{s['expected_saving_share']:.1%}), £{s['capital_cost'] / 1e6:,.1f}m capital; at its peak "
            f"{s['children_short_at_service_level_peak']:,.0f} children of the service-level demand are beyond any "
            "option's reach")


def cmd_runs(args) -> int:
    from app.store import RunStore, StoreError

    try:
        with RunStore(args.store, read_only=True) as store:
            if args.action == "list":
                runs = store.runs()
                if runs.empty:
                    print(f"{args.store}: no runs yet")
                    return 0
                table = runs[["run_id", "month", "region", "status", "finished_at", "input_hash", "params_hash"]]
                print(table.to_string(index=False))
                return 0
            if args.action == "show":
                return _show_run(store, args.runs[0] if args.runs else store.latest_run_id())
            if len(args.runs) != 2:
                print("error: `rcc runs diff` needs two run ids: the earlier run, then the later one",
                      file=sys.stderr)
                return 2
            return _diff_runs(store, *args.runs)
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _show_run(store, run_id: str | None) -> int:
    import json

    if run_id is None:
        print("no runs yet")
        return 0
    record = store.run(run_id)
    print(f"Run {run_id}: {record['region']} {record['month']}, {record['status']}, finished {record['finished_at']}")
    print(f"  input {record['source']} (hash {record['input_hash'][:16]}), parameters {record['params_hash']}, "
          f"{record['code_version']}")
    print("  stages: " + ", ".join(f"{k[:-2]} {v:.1f} s" for k, v in record["stages"].items()))
    print("  tables: " + ", ".join(f"{name} ({len(store.table(run_id, name))} rows)" for name in store.tables(run_id)))
    print(json.dumps(record["summary"], indent=2, default=str))
    return 0


def _diff_runs(store, run_a: str, run_b: str) -> int:
    from app.run_diff import accuracy_summary

    diff = store.diff(run_a, run_b)
    a, b = store.run(run_a), store.run(run_b)
    print(f"From run {run_a} ({a['month']}) to run {run_b} ({b['month']})")
    with pd.option_context("display.width", 200, "display.max_colwidth", 60, "display.float_format", "{:,.1f}".format):
        print(diff["headline"].to_string(index=False))
        children = diff["children"]
        print("\nChildren searching: " + ", ".join(f"{n} {k}" for k, n in children["change"].value_counts().items()))
        waiting = children[children["change"].isin(["still waiting", "waiting again", "new referral, waiting"])]
        if len(waiting):
            print(waiting[["child_id", "la_code", "change", "reason_code_b"]].to_string(index=False))
        flags = diff["flags"]
        print("\nFlags: " + ", ".join(f"{n} {k}" for k, n in flags["change"].value_counts().items()))
        changed = flags[flags["change"] != "continuing"]
        if len(changed):
            print(changed[["change", "flag", "subject_id", "severity"]].to_string(index=False))
        drift = diff["forecast_drift"].groupby("month")[["mean_a", "mean_b", "change"]].sum()
        if len(drift):
            print("\nForecast drift (whole region, children in care):")
            print(drift.iloc[[0, min(5, len(drift) - 1), min(11, len(drift) - 1)]].to_string())
        accuracy = accuracy_summary(diff["forecast_accuracy"])
        print("\nLast run's forecast against this run's actual stock: " + (
            "no month in common yet" if not accuracy["months"] else
            f"{accuracy['months']} month(s): forecast {accuracy['regional_forecast']:,.0f}, actual "
            f"{accuracy['regional_actual']:,}; mean absolute error {accuracy['mean_absolute_error_per_council_group']}"
            f" children per council x group; {accuracy['share_of_cells_inside_p10_p90']:.0%} of cells inside p10-p90"))
    return 0


def _public_councils(args) -> tuple[list[str], str]:
    """The councils --las, --rcc or --all-england name, and what to call them."""
    from data.authorities import RCC_NAMES, rcc_members, register

    if getattr(args, "all_england", False):
        return register().current().query("country == 'england'")["la_code"].tolist(), "England"
    if args.rcc:
        return list(rcc_members(args.rcc)), RCC_NAMES.get(args.rcc, args.rcc)
    if args.las:
        codes = [c.strip() for c in args.las.split(",") if c.strip()]
        return codes, args.name or ", ".join(register().name(c) for c in codes[:3]) + (" ..." if len(codes) > 3 else "")
    return [], ""


def cmd_public(args) -> int:
    from app.jobs.public import public_market, public_region, write_market, write_public_region_result
    from app.summaries import market_text, public_region_text

    from data.public import default_public_data

    args.data_dir = args.data_dir or default_public_data()
    try:
        codes, name = _public_councils(args)
        if args.action == "region":
            if not codes:
                raise ValueError("say which councils: --las CODE,..., --rcc NAME or --all-england")
            result = public_region(args.data_dir, codes, args.name or name, args.ofsted, progress=_progress)
            write_public_region_result(result, args.out)
            print(public_region_text(result, args.out))
            return 0
        result = public_market(args.data_dir, progress=_progress)
        written = write_market(result, args.out, codes)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(market_text(result, codes, name))
    print("Outputs:\n" + "\n".join(f"  {path}" for path in written.values()))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rcc", description="Placement-sufficiency optimiser for Regional Care Co-operatives.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  rcc validate data/regions/greater-manchester\n"
               "  rcc match data/regions/greater-manchester --out out\n"
               "  rcc monthly data/regions/greater-manchester --out out\n\nRun `rcc COMMAND --help` for each command.")
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
    p.add_argument("--params", type=Path, help="parameters TOML (defaults: optimiser/match/match.toml)")
    p.add_argument("--backend", "--solver", dest="solver", choices=list(SOLVERS),
                   help="override the backend: fast (default), pyomo (reference), scip, highs, cp-sat")
    p.add_argument("--time-limit", type=float, help="override the solver time limit in seconds")
    p.add_argument("--forecast", type=Path,
                   help="forecast.csv from `rcc forecast`: hold places back for the emergencies it expects before "
                        "the next run (writes held_back.csv); with --horizon, planning mode instead")
    p.add_argument("--horizon", type=int,
                   help="planning mode: draw the children the forecast expects over this many months, match them "
                        "to the supply left after today's referrals, write planning_gap.csv")
    p.add_argument("--seed", type=int, default=0, help="planning mode: random seed of the cohort (default 0)")

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
                                                      "stress test (defaults: optimiser/match/match.toml)")
    p.add_argument("--run-date", help="date to count days in placement from, YYYY-MM-DD (default today)")
    p.add_argument("--no-stress", action="store_true", help="skip the provider-exit stress test (faster)")
    p.add_argument("--no-match", action="store_true",
                   help="skip the matcher: no step-down proposals and no stress test (fastest)")

    p = command("app", "Start the dashboard (Streamlit) on the region's latest monthly run, making the run first "
                       "if the store has none.", "rcc app --port 8501", cmd_app)
    region_and_out(p)
    p.add_argument("--store", type=Path, help="run store (default OUT/runs.duckdb)")
    p.add_argument("--port", type=int, default=8501, help="port to serve on (default 8501)")
    p.add_argument("--users", type=Path, help="users file (default app/users.toml, or $RCC_USERS)")
    p.add_argument("--no-run", action="store_true", help="start even when the store has no run yet")

    users = command("users", "Manage dashboard users (stored with hashed passwords).",
                    "rcc users add bolton --role council_officer --la E08000001", lambda a: users.print_help() or 2)
    users_sub = users.add_subparsers(dest="users_command", metavar="ACTION")
    p = users_sub.add_parser("add", help="add or replace a user; prompts for the password",
                             description="Add or replace a dashboard user; prompts for the password.")
    p.set_defaults(func=cmd_users_add)
    p.add_argument("name", help="login name (letters, digits, - and _)")
    p.add_argument("--role", required=True, choices=["commissioner", "council_officer"],
                   help="commissioner: every council; council_officer: one council's children")
    p.add_argument("--la", help="the council officer's council (ONS code, e.g. E08000001)")
    p.add_argument("--display-name", default="", help="name shown on the pages (default: the login name)")
    p.add_argument("--file", type=Path, help="users file (default app/users.toml, or $RCC_USERS)")

    p = command("monthly", "The monthly batch: validate, forecast and backtest, match (with the baseline), flags; "
                           "store the run in the DuckDB run history and write OUT/<month>/. Exit 0 ok, 1 invalid "
                           "input (nothing written), 2 internal failure (nothing written).",
                "rcc monthly data/regions/greater-manchester --out out", cmd_monthly)
    region_and_out(p)
    p.add_argument("--month", help="the month this extract is for, YYYY-MM (default: the month its episodes run to)")
    p.add_argument("--store", type=Path, help="run store (default OUT/runs.duckdb)")
    p.add_argument("--params", type=Path, help="parameters TOML with [monthly], [forecast], [match] and [flags] "
                                               "sections (each optional; defaults as each command's)")

    p = command("runs", "The run history: list runs, show one, or diff two (what changed month on month).",
                "rcc runs diff 16b1a37b8120 4f0c2e9d1a77 --store out/runs.duckdb", cmd_runs)
    p.add_argument("action", choices=["list", "show", "diff"], help="list | show [RUN] | diff RUN_A RUN_B")
    p.add_argument("runs", nargs="*", help="run ids (show: default the latest; diff: the earlier, then the later)")
    p.add_argument("--store", type=Path, default=Path("out/runs.duckdb"), help="run store (default out/runs.duckdb)")

    p = command("public", "Read what Ofsted, the DfE and ONS publish: build a region folder for any councils "
                          "(region), or England's market picture (market: CSVs, market.xlsx, market.html).",
                "rcc public region ../shared/public-data --rcc greater-manchester --out gm-public\n"
                "  rcc public market ../shared/public-data --out market --rcc greater-manchester", cmd_public)
    p.add_argument("action", choices=["region", "market"],
                   help="region: a region folder rcc understands; market: England's market, per council and region")
    p.add_argument("data_dir", type=Path, nargs="?", default=None,
                   help="folder with ofsted/, dfe/ and ons/ (the layout of ../shared/public-data; newer downloads "
                        "can be dropped in). Default: $RCC_PUBLIC_DATA, else ../shared/public-data beside rcc, else "
                        "the embedded Greater Manchester extract (data/public_extract)")
    p.add_argument("--out", type=Path, required=True, help="folder to write into")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--las", help="councils' ONS codes, comma-separated (region: the members; market: the "
                                     "councils to highlight)")
    which.add_argument("--rcc", help="an RCC pathfinder's member councils: greater-manchester or south-east")
    which.add_argument("--all-england", action="store_true", help="region: every English council")
    p.add_argument("--name", help="what to call the region (default: the RCC's name or the councils')")
    p.add_argument("--ofsted", type=Path, help="region: the Ofsted provider list to use (default: the latest in "
                                               "DATA_DIR/ofsted)")

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
