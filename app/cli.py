"""The `rcc` command: the parser and one handler per command. A handler reads its arguments, calls a job, hands the
result to the one writer (app/outputs.py) and prints its summary (app/summaries.py).

Exit codes, the same for every command: 0 done; 1 the input data cannot be used (nothing written); 2 the parameters
or arguments cannot be used; 3 an internal failure of the monthly batch (nothing written); 4 another monthly run,
or another program, holds the run store (nothing written); 5 with --strict, the match's answer is not proven within
its gap_warning of the best possible (the files are written, with the warning); 6 a sweep finished with failed
cells (the others are stored and compared; run it again to retry the failed ones).
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from datetime import date
from pathlib import Path

from app.dashboard.server import DEFAULT_ADDRESS, streamlit_command
from app.history.store import DEFAULT_OUT, configured_store, default_store, shown, store_location
from data import EMBEDDED_REGION

STORE_HELP = ("run store: a DuckDB file, or a PostgreSQL database shared by the RCC (postgresql://USER@HOST/DB); "
              f"default $RCC_STORE, else OUT/runs.duckdb ({default_store()})")
OK, INVALID_INPUT, BAD_PARAMETERS, INTERNAL_FAILURE, BUSY, NOT_PROVEN, CELLS_FAILED = 0, 1, 2, 3, 4, 5, 6


def _progress(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _params(cls, path: Path | None, **overrides):
    """Parameters from a TOML file (or the defaults) with the command line's overrides; anything wrong is one
    ParameterError (exit 2) naming the file or the value."""
    from data.toml_files import ParameterError

    try:
        params = cls.from_toml(path) if path else cls()
        given = {k: v for k, v in overrides.items() if v is not None}
        return dataclasses.replace(params, **given) if given else params
    except ParameterError:
        raise
    except (ValueError, TypeError, OSError) as exc:
        raise ParameterError(str(exc)) from None


def _written(result, folder: Path) -> str:
    from app.outputs import write_result
    from app.summaries import outputs_text

    return outputs_text(write_result(result, folder).values())


# --- handlers ---------------------------------------------------------------------------------------------

def cmd_validate(args) -> int:
    from app.jobs.validate import validate
    from app.summaries import validation_text
    from data.problems import count_by_severity

    region, issues = validate(args.dir)
    counts = count_by_severity(issues)
    if args.out:
        issues.to_csv(args.out, index=False)
    print(validation_text(issues, counts, args.limit, args.out) or f"{args.dir}: no problems found.")
    print(f"\n{counts['error']} error(s), {counts['warning']} warning(s), {counts['flag']} flag(s)."
          + (" Fix the errors and run again." if counts["error"] else ""))
    if region is not None:
        print("Loaded: " + ", ".join(f"{v} {k}" if isinstance(v, int) else f"{k} {v}"
                                     for k, v in region.summary().items()))
        supply = [f"{t}.csv" for t in ("providers", "settings", "children", "referrals") if t in region.absent]
        if supply:
            print("Not in the region: " + ", ".join(supply) + " (the match, flags, strategy and monthly batch need "
                  "them; validating and forecasting do not)")
    return INVALID_INPUT if counts["error"] else OK


def cmd_import_903(args) -> int:
    from app.jobs.import903 import import_903, write_import
    from app.summaries import import_text

    given = {p.resolve() for p in args.paths}
    out = args.out.resolve()
    if out in given or any(p.is_file() and p.parent == out for p in given):
        print(f"error: --out {args.out} is where the returns are: give another folder for the region (rcc writes "
              "header.csv and episodes.csv there, which would replace the council's own)", file=sys.stderr)
        return BAD_PARAMETERS
    result = import_903(args.paths, args.la)
    written = write_import(result, args.out) if result.history is not None else []
    print(import_text(result, args.out))
    if result.history is None or not result.usable:
        from data.problems import format_problem

        errors = result.issues[result.issues["severity"] == "error"]
        for problem in errors.head(20).itertuples(index=False):
            print(format_problem(problem), file=sys.stderr)
        if result.history is None:
            return INVALID_INPUT
    print("Wrote: " + ", ".join(str(p) for p in written))
    return OK if result.usable else INVALID_INPUT


def cmd_template(args) -> int:
    from data.templates import write_templates

    for path in write_templates(args.dir):
        print(path)
    return OK


def cmd_schema(args) -> int:
    from app.outputs import outputs_markdown
    from data.schema import docs_markdown

    print(outputs_markdown() if args.outputs else docs_markdown())
    return OK


def cmd_synth(args) -> int:
    from data.synthetic import generate, write

    for path in write(generate(args.region, args.seed, progress=_progress), args.out):
        print(path)
    return OK


def cmd_match(args) -> int:
    from app.jobs.match import run_match, run_planning
    from app.summaries import match_text, planning_text
    from data.toml_files import ParameterError
    from optimiser.match.demand import read_demand
    from optimiser.match.params import MatchParams

    params = _params(MatchParams, args.params, solver=args.solver, time_limit_s=args.time_limit,
                     fairness=args.fairness)
    if args.horizon is not None and args.forecast is None:
        raise ParameterError("--horizon (planning mode) needs --forecast FILE: the forecast.csv `rcc forecast` writes")
    try:
        demand = read_demand(args.forecast) if args.forecast else None
    except (ValueError, OSError) as exc:
        raise ParameterError(str(exc)) from None
    if args.horizon is not None:
        run = run_planning(args.dir, demand, args.horizon, params, progress=_progress, seed=args.seed)
        print(planning_text(run) + "\n" + _written(run, args.out))
        return OK if "failed" not in (run.planning.today.status, run.planning.result.status) else INVALID_INPUT
    run = run_match(args.dir, params, progress=_progress, demand=demand)
    print(match_text(run) + _written(run, args.out))
    if run.result.status == "failed":
        return INVALID_INPUT
    return NOT_PROVEN if args.strict and run.summary["gap_too_wide"] else OK


def cmd_what_if_replan(args) -> int:
    from app.jobs.replan import english_regions, read_membership, run_replan
    from app.summaries import replan_text
    from data.toml_files import ParameterError
    from optimiser.match.params import MatchParams
    from optimiser.match.replan import reuse_freed_memory

    params = _params(MatchParams, args.params, solver=args.solver, time_limit_s=args.time_limit,
                     max_distance_km=args.max_distance_km)
    if args.move_threshold < 0:
        raise ParameterError(f"--move-threshold must be zero or more (got {args.move_threshold:g})")
    if args.membership is not None and args.by != "rcc":
        raise ParameterError("--membership is the RCC membership table of --by rcc")
    membership = None
    if args.by == "rcc":
        from data.load import load_region

        try:
            membership = read_membership(args.membership) if args.membership else None
        except (ValueError, OSError) as exc:
            raise ParameterError(str(exc)) from None
        region = load_region(args.dir, history=False)  # as a match loads it
        membership = membership if membership is not None else english_regions(region)
        if args.workers < 0:
            raise ParameterError(f"--workers must be 0 (one area after another, in this process) or more "
                                 f"(got {args.workers})")
        executor = None
        if args.workers or args.scheduler:
            from app.sweep.console import executor_for

            executor = executor_for(args.workers, args.scheduler)
            _progress(f"RCCs matched on {executor.describe()}")
        else:
            reuse_freed_memory()
        try:
            run = run_replan(region, params, args.move_threshold, membership, progress=_progress,
                             executor=executor, folder=args.dir)
        finally:
            if executor is not None:
                executor.shutdown()
    else:
        if args.workers or args.scheduler:
            raise ParameterError("--workers and --scheduler share out the RCCs of --by rcc: one region is one job")
        reuse_freed_memory()
        run = run_replan(args.dir, params, args.move_threshold, progress=_progress)
    print(replan_text(run) + _written(run, args.out))
    return OK


def _forecast_params(args):
    from forecasts.params import ForecastParams

    return _params(ForecastParams, args.params, seed=args.seed)


def cmd_forecast(args) -> int:
    from app.jobs.forecast import run_forecast
    from app.summaries import forecast_text
    from data.toml_files import ParameterError
    from forecasts.scenarios import Scenario

    params = _forecast_params(args)
    try:
        scenario = Scenario.from_toml(args.scenario) if args.scenario else None
    except OSError as exc:
        raise ParameterError(str(exc)) from None
    run = run_forecast(args.dir, args.horizon, params, scenario, progress=_progress)
    print(forecast_text(run, args.horizon) + "\n" + _written(run, args.out))
    return OK


def cmd_backtest(args) -> int:
    from app.jobs.forecast import run_backtest
    from app.summaries import backtest_text

    params = _forecast_params(args)
    run = run_backtest(args.dir, params, progress=_progress)
    print(backtest_text(run, params.backtest.horizons) + "\n" + _written(run, args.out))
    return OK


def cmd_flags(args) -> int:
    from datetime import date

    from app.jobs.flags import run_flags
    from app.summaries import flags_text
    from data.toml_files import ParameterError
    from optimiser.flags import FlagParams
    from optimiser.match.params import MatchParams

    params = _params(FlagParams, args.params)
    if args.no_stress or args.no_match:
        params = dataclasses.replace(
            params, stress=dataclasses.replace(params.stress, run=False),
            unlawful=dataclasses.replace(params.unlawful,
                                         propose_alternatives=(params.unlawful.propose_alternatives
                                                               and not args.no_match)))
    match_params = _params(MatchParams, args.match_params)
    try:
        run_date = date.fromisoformat(args.run_date) if args.run_date else None
    except ValueError:
        raise ParameterError(f"--run-date {args.run_date!r} is not a date: write it as YYYY-MM-DD") from None
    run = run_flags(args.dir, params, match_params, run_date, progress=_progress)
    print(flags_text(run) + "\n" + _written(run, args.out))
    return OK


def cmd_what_if_profit_cap(args) -> int:
    from datetime import date

    from app.jobs.whatif import run_profit_cap
    from app.summaries import profit_cap_text
    from data.toml_files import ParameterError
    from optimiser.match.params import MatchParams
    from optimiser.profit_cap import CapParams, parse_sweep

    try:
        params = CapParams(cap=args.cap, exit_margin=args.exit_margin, exit_spread=args.exit_spread)
        sweep = parse_sweep(args.sweep) if args.sweep else None
        run_date = date.fromisoformat(args.run_date) if args.run_date else None
    except ValueError as exc:
        raise ParameterError(str(exc)) from None
    if args.national or args.margins:
        return _national_profit_cap(args, params, sweep)
    run = run_profit_cap(args.dir, params, sweep, run_date, _params(MatchParams, args.match_params),
                         progress=_progress)
    print(profit_cap_text(run) + "\n" + _written(run, args.out))
    return OK


def _national_profit_cap(args, params, sweep) -> int:
    from app.jobs.whatif import run_national_profit_cap
    from app.summaries import national_cap_text
    from data.problems import ValidationError
    from data.public import default_public_data
    from data.toml_files import ParameterError

    if not args.national:
        raise ParameterError("--margins is for the national cap: add --national (DIR is then the public data folder)")
    if not args.margins:
        raise ParameterError("the national profit cap needs a margin table, which Ofsted does not publish: --margins "
                             "FILE, a CSV with owner (as Ofsted's list names it) or urn, margin (0.12 for 12%) and "
                             "revenue (pounds a year) per line; tests/fixtures/margins/synthetic_margins.csv is an "
                             "example with invented values")
    data_dir = default_public_data() if args.dir == EMBEDDED_REGION else args.dir
    try:
        run = run_national_profit_cap(data_dir, args.margins, params, sweep, progress=_progress)
    except ValidationError:
        raise  # the margin table's problems, each with file, row, column, value and rule: exit 1
    except ValueError as exc:
        raise ParameterError(str(exc)) from None
    print(national_cap_text(run) + "\n" + _written(run, args.out))
    return OK


def cmd_strategy(args) -> int:
    from app.jobs.strategy import run_strategy
    from app.summaries import strategy_text
    from forecasts.params import ForecastParams
    from optimiser.strategy import StrategyParams

    forecast_params = _params(ForecastParams, args.forecast_params, seed=args.seed)
    params = _params(StrategyParams, args.params, quantile=args.quantile, horizon_quarters=args.horizon_quarters,
                     plan=args.plan)
    run = run_strategy(args.dir, params, forecast_params, progress=_progress)
    print(strategy_text(run) + "\n" + _written(run, args.out))
    return OK


def cmd_monthly(args) -> int:
    from app.batch.console import run_with_progress
    from app.batch.monthly import MonthlyParams
    from app.summaries import monthly_summary_text

    params = _params(MonthlyParams, args.params)
    if args.all_regions:
        return _monthly_all_regions(args)
    run, log_path, code = run_with_progress(args.dir, args.month, args.store or configured_store(args.out), args.out,
                                            params, args.wait,
                                            args.accept_warnings)
    if run is not None:
        print(monthly_summary_text(run, log_path))
        if code == OK and args.strict and run.summary["match"].get("gap_too_wide"):
            return NOT_PROVEN
    return code


def _monthly_all_regions(args) -> int:
    """Every region's monthly batch as one sweep (the `monthly` job per region): OUT/<region>/<month>/ and
    OUT/<region>/runs.duckdb for each, as `rcc monthly REGION --out OUT/<region>` writes them."""
    from app.sweep.spec import monthly_preset
    from data.toml_files import ParameterError

    if args.month or args.store or args.strict or args.wait or args.accept_warnings:
        raise ParameterError("--all-regions runs each region for the month its extract runs to, into OUT/<region>/; "
                             "--month, --store, --wait, --strict and --accept-warnings are for one region")
    dir_given = args.dir != EMBEDDED_REGION
    spec = monthly_preset(args.dir if dir_given else EMBEDDED_REGION.parent, args.params, args.england_seed)
    return _sweep(spec, args.out, args.workers, args.scheduler, monthly_out=args.out)


def cmd_sweep(args) -> int:
    from app.sweep.spec import read_spec

    return _sweep(read_spec(args.spec), args.out, args.workers, args.scheduler)


def _sweep(spec, out: Path, workers: int | None, scheduler: str | None, monthly_out: Path | None = None) -> int:
    from app.summaries import sweep_text
    from app.sweep.console import run_with_progress
    from app.sweep.run import SweepBusy

    if workers is not None and workers < 0:
        print("error: --workers must be 0 (serial, in this process) or more", file=sys.stderr)
        return BAD_PARAMETERS
    try:
        run, result, log_path = run_with_progress(spec, out, workers, scheduler, monthly_out)
    except SweepBusy as exc:
        print(f"error: {exc}", file=sys.stderr)
        return BUSY
    print(sweep_text(run, result, log_path))
    return CELLS_FAILED if run.failed else OK


def cmd_runs(args) -> int:
    from app.history.store import RunStore, StoreError
    from app.summaries import diff_text, run_text

    try:
        with RunStore(args.store or configured_store(), read_only=True) as store:
            if args.action == "list":
                runs = store.runs()
                print(f"{shown(args.store or configured_store())}: no runs yet" if runs.empty else runs[
                    ["run_id", "month", "region", "status", "finished_at", "input_hash", "params_hash"]
                ].to_string(index=False))
            elif args.action == "show":
                print(run_text(store, args.runs[0] if args.runs else store.latest_run_id()))
            elif len(args.runs) != 2:
                print("error: `rcc runs diff` needs two run ids: the earlier run, then the later one",
                      file=sys.stderr)
                return BAD_PARAMETERS
            else:
                print(diff_text(store, *args.runs))
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return BAD_PARAMETERS
    return OK


def cmd_purge(args) -> int:
    from app.history.retention import parse_age, purge
    from app.history.store import StoreBusy, StoreError, open_store
    from app.summaries import purge_text

    try:
        parse_age(args.older_than)
        with open_store(args.store or configured_store(), wait_s=args.wait, progress=_progress) as store:
            purged = purge(store, args.older_than, as_of=args.as_of)
    except StoreBusy as exc:
        print(f"error: {exc}", file=sys.stderr)
        return BUSY
    except (StoreError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return BAD_PARAMETERS
    print(purge_text(purged, args.older_than, shown(args.store or configured_store())))
    return OK


def cmd_app(args) -> int:
    import os
    import subprocess

    from app.batch.monthly import ensure_latest_run
    from app.dashboard.auth import readable_by_others, users_file
    from data.load import load_region

    store = args.store or configured_store(args.out)
    if not args.no_run and load_region(args.dir).is_public:
        _progress(f"{args.dir} was built from published data: no children, so no monthly run; the dashboard shows "
                  "its supply and England's market")
    elif not args.no_run:
        try:
            run_id = ensure_latest_run(args.dir, args.out, store, progress=_progress)
        except Exception as exc:  # noqa: BLE001  (the batch's own messages name the problem: data, parameters)
            print(f"error: could not make the first run: {exc}", file=sys.stderr)
            return INVALID_INPUT
        _progress(f"Dashboard on run {run_id}")

    root = Path(__file__).resolve().parent.parent
    env = os.environ | {"RCC_REGION": str(args.dir.resolve()), "RCC_OUT": str(args.out.resolve()),
                        "RCC_STORE": str(store if isinstance(store, str) else store.resolve()),
                        "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
    if args.users:
        env["RCC_USERS"] = str(args.users.resolve())
    users = args.users or users_file()
    if readable_by_others(users):
        _progress(f"warning: {users} can be read by other accounts on this machine (it holds password hashes): "
                  f"chmod 600 {users}")
    if args.access:
        env["RCC_ACCESS"] = str(args.access.resolve())
    if args.sweep:
        env["RCC_SWEEP"] = str(args.sweep.resolve())
    host = f"[{args.address}]" if ":" in args.address else args.address
    _progress(f"Open http://{host}:{args.port} (Ctrl+C to stop)")
    secrets = args.secrets.resolve() if args.secrets else None
    return subprocess.call(streamlit_command(args.port, args.address, secrets), env=env)


def cmd_users_add(args) -> int:
    import getpass

    from app.dashboard.auth import add_user, users_file

    path = args.file or users_file()
    password = getpass.getpass(f"Password for {args.name}: ")
    if password != getpass.getpass("Repeat the password: "):
        print("error: the two passwords differ", file=sys.stderr)
        return BAD_PARAMETERS
    try:
        user = add_user(path, args.name, args.role, password, la_code=args.la or "", display_name=args.display_name)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return BAD_PARAMETERS
    scope = "every council" if user.sees_all_councils else f"council {user.la_code} only"
    print(f"{path}: {user.name} ({user.role}, {scope})")
    return OK


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
    from app.jobs.public import public_market, public_region
    from app.summaries import market_text, public_region_text
    from data.public import default_public_data
    from data.public.region import write_public_region
    from data.toml_files import ParameterError

    data_dir = args.data_dir or default_public_data()
    try:
        codes, name = _public_councils(args)
    except ValueError as exc:
        raise ParameterError(str(exc)) from None
    if args.action == "region":
        if not codes:
            raise ParameterError("say which councils: --las CODE,..., --rcc NAME or --all-england")
        try:
            result = public_region(data_dir, codes, args.name or name, args.ofsted, progress=_progress)
        except ValueError as exc:  # councils that are not today's English councils
            raise ParameterError(str(exc)) from None
        write_public_region(result.region, args.out, result.issues)
        print(public_region_text(result, args.out))
        return OK
    if args.action in ("forecast", "backtest"):
        from app.jobs.public import public_forecast
        from app.summaries import public_forecast_text

        if args.horizon < 1:
            raise ParameterError(f"--horizon {args.horizon}: give a whole number of years, 1 or more")
        try:
            from forecasts.annual import MODELS, QUICK_MODELS

            models = MODELS if args.action == "backtest" else QUICK_MODELS
            result = public_forecast(data_dir, args.until, args.horizon, codes, models, progress=_progress)
        except ValueError as exc:
            raise ParameterError(str(exc)) from None
        print(public_forecast_text(result, full=args.action == "backtest") + "\n" + _written(result, args.out))
        return OK
    result = public_market(data_dir, progress=_progress, highlight=codes)
    print(market_text(result, codes, name) + "\n" + _written(result, args.out))
    return OK


# --- the parser -------------------------------------------------------------------------------------------

def _region_and_out(p, region_help="folder of CSV files or one .xlsx workbook (default: the embedded Greater "
                                   "Manchester)") -> None:
    p.add_argument("dir", type=Path, nargs="?", default=EMBEDDED_REGION, help=region_help)
    p.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"output folder (default {DEFAULT_OUT})")


def _forecast_options(p) -> None:
    p.add_argument("--params", type=Path, help="forecast parameters TOML (defaults: forecasts/forecast.toml)")
    p.add_argument("--seed", type=int, help="random seed of the simulation (default from the parameters, 0)")


def _validate_arguments(p) -> None:
    p.add_argument("dir", type=Path, help="folder of CSV files, or one .xlsx workbook")
    p.add_argument("--out", type=Path, help="write the full issues table to this CSV")
    p.add_argument("--limit", type=int, default=200, help="rows of the table to print (default 200)")


def _import_arguments(p) -> None:
    p.add_argument("paths", type=Path, nargs="+", metavar="PATH",
                   help="a council's return files (header.csv, episodes.csv, uasc.csv, DoLo.csv, ...; "
                        "2019-episodes.csv or 2019/episodes.csv for several years), the DfE's XML, a workbook, or the "
                        "folder they are in")
    p.add_argument("--la", help="the council whose return it is (ONS code, DfE number or name), when the files have "
                                "no council column (a regional extract has one: LA, LA_CODE or LA_NAME)")
    p.add_argument("--out", type=Path, required=True, help="the region folder to write the history into")


def _synth_arguments(p) -> None:
    from data.synthetic import REGIONS

    p.add_argument("--region", default="greater-manchester", choices=REGIONS,
                   help="greater-manchester (the embedded region at seed 7), south-east (the pathfinder) or "
                        "national (all of England's councils, for benchmarks)")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument("--out", type=Path, required=True, help="folder to write the tables into")


def _match_arguments(p) -> None:
    from optimiser.match.params import FAIRNESS_RULES, SOLVERS

    _region_and_out(p)
    p.add_argument("--params", type=Path, help="match parameters TOML (defaults: optimiser/match.toml)")
    p.add_argument("--backend", "--solver", dest="solver", choices=list(SOLVERS),
                   help="override the backend: fast (default), pyomo (reference), scip, highs, cp-sat")
    p.add_argument("--time-limit", type=float, help="override the solver time limit in seconds")
    p.add_argument("--fairness", choices=list(FAIRNESS_RULES),
                   help="none (default: the region's least total), no-worse (no member council worse off than "
                        "searching alone) or proportional (each keeps fairness_share of its part of the saving); "
                        "writes fairness.csv and the price of fairness")
    p.add_argument("--forecast", type=Path,
                   help="forecast.csv from `rcc forecast`: hold places back for the emergencies it expects before "
                        "the next run (writes held_back.csv); with --horizon, planning mode instead")
    p.add_argument("--horizon", type=int,
                   help="planning mode: draw the children the forecast expects over this many months, match them "
                        "to the supply left after today's referrals, write planning_gap.csv")
    p.add_argument("--seed", type=int, default=0, help="planning mode: random seed of the cohort (default 0)")
    p.add_argument("--strict", action="store_true",
                   help="exit 5 when the answer is not proven within gap_warning (default 1%%) of the best possible")


def _forecast_arguments(p) -> None:
    _region_and_out(p, "folder of CSV files or one .xlsx workbook with SSDA903 header.csv and episodes.csv "
                       "(default: the embedded Greater Manchester)")
    p.add_argument("--horizon", type=int, default=24, help="months ahead (default 24)")
    p.add_argument("--scenario", type=Path, help="scenario TOML (levers and rate edits); default: no change")
    _forecast_options(p)


def _backtest_arguments(p) -> None:
    _region_and_out(p)
    _forecast_options(p)


def _flags_arguments(p) -> None:
    _region_and_out(p)
    p.add_argument("--params", type=Path, help="flag thresholds TOML (defaults: optimiser/flags.toml)")
    p.add_argument("--match-params", type=Path, help="match parameters TOML for the step-down proposals and the "
                                                      "stress test (defaults: optimiser/match.toml)")
    p.add_argument("--run-date", help="date to count days in placement from, YYYY-MM-DD (default today)")
    p.add_argument("--no-stress", action="store_true", help="skip the provider-exit stress test and the "
                                                             "difficult-to-replace re-housing tests (faster)")
    p.add_argument("--no-match", action="store_true",
                   help="skip the matcher: no step-down proposals, stress test or re-housing tests (fastest)")


def _profit_cap_arguments(p) -> None:
    _region_and_out(p)
    p.add_argument("--cap", type=float, default=0.10, help="the cap on operating margin, a fraction (default 0.10)")
    p.add_argument("--exit-margin", type=float, default=0.03,
                   help="a company whose margin after the cap is below this is at risk of leaving (default 0.03)")
    p.add_argument("--exit-spread", type=float, default=0.0,
                   help="the probability mode: a company's chance of leaving rises in a straight line from nil at "
                        "exit margin + spread to certain at exit margin - spread (default 0: below the exit margin "
                        "a company leaves)")
    p.add_argument("--sweep", help="caps to compare, start:stop:step (e.g. 0.05:0.25:0.05): profit_cap_sweep.csv, "
                                   "a chart (profit_cap_sweep.png) and a report (profit_cap_sweep.html)")
    p.add_argument("--match-params", type=Path, help="match parameters TOML for re-housing (defaults: "
                                                      "optimiser/match.toml)")
    p.add_argument("--run-date", help="the date the region is matched on, YYYY-MM-DD (default today)")
    p.add_argument("--national", action="store_true",
                   help="cap England's owners on the public data instead: DIR is the public data folder (default "
                        "../shared/public-data), the owners and their homes come from Ofsted's latest list, and "
                        "--margins is needed")
    p.add_argument("--margins", type=Path, metavar="FILE",
                   help="with --national: the owners' margins, a CSV with owner (or urn: one home), margin (0.12 for "
                        "12%%) and revenue (pounds a year) per line")


def _strategy_arguments(p) -> None:
    _region_and_out(p)
    p.add_argument("--params", type=Path, help="strategy parameters TOML (defaults: optimiser/strategy.toml)")
    p.add_argument("--quantile", type=float, help="service level: demand quantile to meet (default 0.8)")
    p.add_argument("--horizon-quarters", type=int, help="quarters to plan (default 12: three years)")
    p.add_argument("--plan", choices=["best", "two_stage", "quantile"],
                   help="plan to recommend (default best: the lower expected cost on every simulated future)")
    p.add_argument("--forecast-params", type=Path, help="forecast parameters TOML (defaults: forecasts/forecast.toml)")
    p.add_argument("--seed", type=int, help="random seed of the forecast simulation (default from its parameters)")


def _monthly_arguments(p) -> None:
    _region_and_out(p)
    p.add_argument("--month", help="the month this extract is for, YYYY-MM (default: the month its episodes run to)")
    p.add_argument("--store", type=store_location, help=STORE_HELP)
    p.add_argument("--wait", type=float, default=0.0, metavar="SECONDS",
                   help="when another monthly run holds the store, wait this long for it (default: stop at once, "
                        "exit 4)")
    p.add_argument("--strict", action="store_true",
                   help="exit 5 when the match is not proven within gap_warning (default 1%%) of the best possible")
    p.add_argument("--accept-warnings", action="store_true",
                   help="run a month whose inputs are valid but implausible (no vacancies anywhere, a council with "
                        "no children, history ending months early) instead of stopping")
    p.add_argument("--params", type=Path, help="parameters TOML with [monthly], [forecast], [match], [flags] and "
                                               "[strategy] sections (each optional; defaults as each command's, but "
                                               "for the batch's own: see README)")
    p.add_argument("--all-regions", action="store_true",
                   help="every region's monthly batch as one sweep on Dask: DIR is then a folder of region folders "
                        "(default data/regions), each run into OUT/<region>/")
    p.add_argument("--england-seed", type=int, metavar="SEED",
                   help="with --all-regions: England's nine regions cut from the national synthetic region at SEED "
                        "too")
    _executor_options(p)


def _executor_options(p) -> None:
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, metavar="N",
                       help="worker processes of a LocalCluster on this machine (default: one per core; 0: serially in "
                            "this process, no Dask)")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="an existing Dask scheduler, e.g. tcp://10.0.0.5:8786 (`dask scheduler`; see README)")


def _sweep_arguments(p) -> None:
    p.add_argument("spec", type=Path, help="the sweep's TOML: regions, jobs, and a grid or list of parameter and "
                                           "scenario overrides (see README, Sweeps)")
    p.add_argument("--out", type=Path, required=True,
                   help="folder for the result store (sweep.duckdb), sweep.xlsx, sweep_cells.csv and sweep_run.json")
    _executor_options(p)


def _runs_arguments(p) -> None:
    p.add_argument("action", choices=["list", "show", "diff"], help="list | show [RUN] | diff RUN_A RUN_B")
    p.add_argument("runs", nargs="*", help="run ids (show: default the latest; diff: the earlier, then the later)")
    p.add_argument("--store", type=store_location, help=STORE_HELP)


def _purge_arguments(p) -> None:
    p.add_argument("--store", type=store_location, help=STORE_HELP)
    p.add_argument("--older-than", required=True, metavar="AGE",
                   help="runs whose month ended more than AGE ago: months (24m, 12m) or days (90d)")
    p.add_argument("--as-of", type=date.fromisoformat, metavar="YYYY-MM-DD",
                   help="count ages back from this day (default today)")
    p.add_argument("--wait", type=float, default=30.0, metavar="SECONDS",
                   help="how long to wait for another program holding the store (default 30)")


def _app_arguments(p) -> None:
    _region_and_out(p)
    p.add_argument("--store", type=store_location, help=STORE_HELP)
    p.add_argument("--port", type=int, default=8501, help="port to serve on (default 8501)")
    p.add_argument("--address", default=DEFAULT_ADDRESS,
                   help=f"address to listen on (default {DEFAULT_ADDRESS}: this machine only; 0.0.0.0 for every "
                        "interface, behind HTTPS and with real users only)")
    p.add_argument("--users", type=Path, help="users file (default app/users.toml, or $RCC_USERS)")
    p.add_argument("--access", type=Path, help="access file: the sign-in lock-out and single sign-on's group -> role "
                                                "mapping (default app/access.toml, or $RCC_ACCESS)")
    p.add_argument("--secrets", type=Path, help="Streamlit secrets file naming the single sign-on provider ([auth]: "
                                                 "redirect_uri, cookie_secret, client_id, client_secret, "
                                                 "server_metadata_url; default .streamlit/secrets.toml)")
    p.add_argument("--no-run", action="store_true", help="start even when the store has no run yet")
    p.add_argument("--sweep", type=Path, help="a sweep's output folder for the Sweep page (default OUT/sweep)")


def _public_arguments(p) -> None:
    p.add_argument("action", choices=["region", "market", "forecast", "backtest"],
                   help="region: a region folder rcc understands; market: England's market, per council and region; "
                        "forecast: every council's children looked after at 31 March, years ahead, from the DfE's "
                        "yearly series, with its backtest on the real years; backtest: the same, printing the "
                        "backtest's table against each yardstick")
    p.add_argument("data_dir", type=Path, nargs="?", default=None,
                   help="folder with ofsted/, dfe/ and ons/ (the layout of ../shared/public-data; newer downloads "
                        "can be dropped in). Default: $RCC_PUBLIC_DATA, else ../shared/public-data beside rcc, else "
                        "the embedded Greater Manchester extract (data/public_extract)")
    p.add_argument("--out", type=Path, required=True, help="folder to write into")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--las", help="councils' ONS codes, comma-separated (region: the members; market: the "
                                     "councils to highlight; forecast: the councils reported, while the model still "
                                     "learns from every council in the data)")
    which.add_argument("--rcc", help="an RCC pathfinder's member councils: greater-manchester or south-east")
    which.add_argument("--all-england", action="store_true", help="region: every English council")
    p.add_argument("--name", help="what to call the region (default: the RCC's name or the councils')")
    p.add_argument("--ofsted", type=Path, help="region: the Ofsted provider list to use (default: the latest in "
                                               "DATA_DIR/ofsted)")
    p.add_argument("--until", type=int, help="forecast: the last year (31 March) the forecast may read; nothing "
                                             "later is used, the population included (default: the last in the data)")
    p.add_argument("--horizon", type=int, default=3, help="forecast: years ahead (default 3)")


def _schema_arguments(p) -> None:
    p.add_argument("--outputs", action="store_true", help="the output tables every job writes, instead of the inputs")


COMMANDS = (  # name, what it does, an example, handler, argument builder
    ("validate", "Check a region's tables and print every problem (file, row, column, value, rule).",
     "rcc validate data/regions/greater-manchester --out issues.csv", cmd_validate, _validate_arguments),
    ("import-903", "Read a council's SSDA903 returns as it holds them (one or many years, CSV, the DfE's XML or a "
                   "workbook, or a regional extract), check them by the DfE's rules, merge the years and write a "
                   "region's history (header.csv, episodes.csv, uasc.csv, dol_orders.csv, authorities.csv) and "
                   "import_issues.csv.",
     "rcc import-903 returns/2019 returns/2020 --la E08000003 --out my-region", cmd_import_903, _import_arguments),
    ("template", "Write blank input templates (CSV files and one Excel workbook with a guide).",
     "rcc template my-region", cmd_template, lambda p: p.add_argument("dir", type=Path, help="folder to write into")),
    ("schema", "Print the data contract (every input table and column, or with --outputs every output) as Markdown.",
     "rcc schema > DATA-columns.md", cmd_schema, _schema_arguments),
    ("synth", "Write a seeded synthetic region (the embedded one is greater-manchester, seed 7).",
     "rcc synth --region greater-manchester --seed 7 --out /tmp/gm", cmd_synth, _synth_arguments),
    ("match", "Match every referral in the region to a registered setting; write allocations.csv, the explanations, "
              "the gap, today's-practice comparison and run.json.",
     "rcc match data/regions/greater-manchester --out out", cmd_match, _match_arguments),
    ("forecast", "Forecast children in care per council x placement group x age band with p10-p90 intervals; write "
                 "forecast.csv (the Demand table) and forecast_run.json.",
     "rcc forecast data/regions/greater-manchester --horizon 24 --out out", cmd_forecast, _forecast_arguments),
    ("backtest", "Refit and forecast from past months and score against what happened: write backtest.csv (MASE, "
                 "bias, p10-p90 coverage per series, horizon and model).",
     "rcc backtest data/regions/greater-manchester --out out", cmd_backtest, _backtest_arguments),
    ("flags", "Flag unlawful placements (with a registered alternative for each), profit and fee outliers and market "
              "concentration, with a provider-exit stress test; write flags.csv.",
     "rcc flags data/regions/greater-manchester --out out", cmd_flags, _flags_arguments),
    ("strategy", "Plan commissioning under forecast uncertainty (block contracts, new homes, foster recruitment, spot "
                 "purchasing) with Pyomo + HiGHS; write strategy.xlsx, strategy.html and the plan's tables.",
     "rcc strategy data/regions/greater-manchester --out out --quantile 0.8 --horizon-quarters 12", cmd_strategy,
     _strategy_arguments),
    ("monthly", "The monthly batch: validate, forecast and backtest, match (with the baseline), flags, strategy; store "
                "the run in the DuckDB run history and write OUT/<month>/. Exit 0 ok, 1 invalid input, 2 bad "
                "parameters, 3 internal failure, 4 the store is busy (nothing written in 1-4).",
     "rcc monthly data/regions/greater-manchester --out out", cmd_monthly, _monthly_arguments),
    ("sweep", "Run many cells (region x job x parameters: forecast, match, planning, flags, strategy, monthly) on "
              "Dask, each stored in OUT/sweep.duckdb as it finishes; a re-run skips the cells stored; write sweep.xlsx "
              "comparing them. Exit 6 when some cells failed (the others are kept).",
     "rcc sweep sweep.toml --out out/sweep --workers 2", cmd_sweep, _sweep_arguments),
    ("runs", "The run history: list runs, show one, or diff two (what changed month on month).",
     "rcc runs diff 16b1a37b8120 4f0c2e9d1a77 --store out/runs.duckdb", cmd_runs, _runs_arguments),
    ("purge", "Retention: remove the child-level rows and files (allocations, explanations, the baseline, children's "
              "flags, fees, the stress test, validation) of every run older than AGE, keeping every aggregate the "
              "dashboard and `rcc runs diff` read; each run's record says what was purged and when.",
     "rcc purge --store out/runs.duckdb --older-than 24m", cmd_purge, _purge_arguments),
    ("public", "Read what Ofsted, the DfE and ONS publish: build a region folder for any councils (region), "
               "England's market picture (market: CSVs, market.xlsx, market.html), or every council's children "
               "looked after forecast from the DfE's yearly series and backtested on the real years (forecast, "
               "backtest: public_forecast.csv, public_backtest.csv).",
     "rcc public region ../shared/public-data --rcc greater-manchester --out gm-public\n"
     "  rcc public market ../shared/public-data --out market --rcc greater-manchester\n"
     "  rcc public forecast ../shared/public-data --out demand --until 2021 --horizon 3\n"
     "  rcc public backtest ../shared/public-data --out demand", cmd_public, _public_arguments),
    ("app", "Start the dashboard (Streamlit) on the region's latest monthly run, making the run first if the store "
            "has none. It listens on 127.0.0.1 unless --address says otherwise.",
     "rcc app --port 8501\n  rcc app my-region --out out --users /etc/rcc/users.toml --address 0.0.0.0\n"
     "  rcc app my-region --out out --access /etc/rcc/access.toml --secrets /etc/rcc/secrets.toml", cmd_app,
     _app_arguments),
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rcc", description="Placement-sufficiency optimiser for Regional Care Co-operatives.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n  rcc validate data/regions/greater-manchester\n"
               "  rcc match data/regions/greater-manchester --out out\n"
               "  rcc monthly data/regions/greater-manchester --out out\n\nRun `rcc COMMAND --help` for each command.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name, help_text, example, handler, arguments in COMMANDS:
        p = sub.add_parser(name, help=help_text, description=help_text, epilog=f"example:\n  {example}",
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        p.set_defaults(func=handler)
        arguments(p)
    _what_if_parser(sub)
    _users_parser(sub)
    return parser


def _what_if_parser(sub) -> None:
    text = ("What a policy would do, on a region's data: replan (every child in care placed by regional matching) "
            "or profit-cap (a cap on providers' margins).")
    what_if = sub.add_parser("what-if", help=text, description=text,
                             epilog="example:\n  rcc what-if replan data/regions/greater-manchester --out out/replan\n"
                                    "  rcc what-if profit-cap data/regions/greater-manchester --cap 0.10 --out out/cap",
                             formatter_class=argparse.RawDescriptionHelpFormatter)
    what_if.set_defaults(func=lambda args: what_if.print_help() or BAD_PARAMETERS)
    actions = what_if.add_subparsers(dest="what_if_command", metavar="ACTION")
    text = ("What a cap on providers' operating margins would do: each owner's margin capped, the excess becoming "
            "lower fees on the region's placements with it, in proportion to its revenue from the region; companies "
            "the cut pushes below the exit margin are assumed at risk of leaving and the regional match re-houses "
            "their children where it can. The saving, weekly and yearly, the companies at risk, their places and "
            "children, and how many the region could re-house, per council and kind of home; --sweep compares caps in "
            "a table and a chart. With --national, the same cap on England's owners from the public data: the owners "
            "and their homes from Ofsted's latest list, their margins and revenues from the table --margins names "
            "(Ofsted publishes no accounts, so without one the cap cannot run); the saving is each owner's excess "
            "over the cap, and the homes whose margin after falls below the exit margin are at risk, per region and "
            "council.")
    p = actions.add_parser("profit-cap", help="a cap on providers' margins: the saving and the children at risk",
                           description=text, formatter_class=argparse.RawDescriptionHelpFormatter,
                           epilog="examples:\n  rcc what-if profit-cap data/regions/greater-manchester --cap 0.10 "
                                  "--exit-margin 0.03 --out out/cap\n"
                                  "  rcc what-if profit-cap --sweep 0.05:0.25:0.05 --out out/cap\n"
                                  "  rcc what-if profit-cap ../shared/public-data --national --margins margins.csv "
                                  "--cap 0.10 --out out/cap-england")
    p.set_defaults(func=cmd_what_if_profit_cap)
    _profit_cap_arguments(p)
    text = ("What if every child in care (the children table, not only today's referrals) were placed by regional "
            "matching? Re-matches them all as one region (or per RCC) against where they live today, a move costing "
            "--move-threshold a week more so no child moves for less; the verifier checks the answer. Writes "
            "replan_children.csv, replan_councils.csv (per council and in all: weekly cost, share over 20 miles, "
            "children moved out of unlawful settings, children who would move, councils better and worse off), "
            "replan_areas.csv (each area's proven gap) and replan_run.json.")
    p = actions.add_parser("replan", help="every child in care re-matched against where they live today",
                           description=text, formatter_class=argparse.RawDescriptionHelpFormatter,
                           epilog="examples:\n  rcc what-if replan data/regions/greater-manchester --out out/replan\n"
                                  "  rcc synth --region national --seed 7 --out national\n"
                                  "  rcc what-if replan national --out out/replan-rccs --by rcc --max-distance-km 40\n"
                                  "  rcc what-if replan national --out out/replan-rccs --by rcc --max-distance-km 40 "
                                  "--workers 2")
    p.set_defaults(func=cmd_what_if_replan)
    _region_and_out(p)
    p.add_argument("--move-threshold", type=float, default=100.0, metavar="POUNDS",
                   help="what a move must save, in pounds a week, for a child to leave where they live "
                        "(default 100)")
    p.add_argument("--by", choices=["region", "rcc"], default="region",
                   help="region: every child as one region (default); rcc: each RCC alone, on the settings in its "
                        "councils' areas and the places its own children free elsewhere")
    p.add_argument("--membership", type=Path, metavar="CSV",
                   help="with --by rcc: the RCC of each council (columns la_code, rcc); default England's nine "
                        "regions from the register of councils")
    p.add_argument("--params", type=Path, help="match parameters TOML (defaults: optimiser/match.toml)")
    p.add_argument("--solver", choices=["fast", "pyomo", "scip", "highs", "cp-sat"],
                   help="override the backend (default fast)")
    p.add_argument("--time-limit", type=float, help="solver time limit per area, in seconds")
    p.add_argument("--max-distance-km", type=float,
                   help="a cap on distance from home for every child (keeps the national pair table small)")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--workers", type=int, default=0, metavar="N",
                       help="with --by rcc: match N RCCs at once, on a Dask LocalCluster of N worker processes "
                            "(default 0: one after another, in this process). Each worker holds its own RCC's "
                            "pairs, so the memory needed grows with N: England's North West alone takes 4.5 GB")
    where.add_argument("--scheduler", metavar="ADDRESS",
                       help="with --by rcc: the RCCs as jobs of an existing Dask scheduler, e.g. "
                            "tcp://10.0.0.5:8786, whose workers can read DIR (see README, Sweeps)")


def _users_parser(sub) -> None:
    users = sub.add_parser("users", help="Manage dashboard users (stored with hashed passwords).",
                           description="Manage dashboard users (stored with hashed passwords).",
                           epilog="example:\n  rcc users add bolton --role council_officer --la E08000001",
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    users.set_defaults(func=lambda args: users.print_help() or BAD_PARAMETERS)
    actions = users.add_subparsers(dest="users_command", metavar="ACTION")
    p = actions.add_parser("add", help="add or replace a user; prompts for the password",
                           description="Add or replace a dashboard user; prompts for the password.")
    p.set_defaults(func=cmd_users_add)
    p.add_argument("name", help="login name (letters, digits, - and _)")
    p.add_argument("--role", required=True, choices=["commissioner", "council_officer"],
                   help="commissioner: every council; council_officer: one council's children")
    p.add_argument("--la", help="the council officer's council (ONS code, e.g. E08000001)")
    p.add_argument("--display-name", default="", help="name shown on the pages (default: the login name)")
    p.add_argument("--file", type=Path, help="users file (default app/users.toml, or $RCC_USERS)")


def main(argv: list[str] | None = None) -> int:
    from data.problems import ValidationError
    from data.region import MissingData
    from data.toml_files import ParameterError

    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ParameterError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return BAD_PARAMETERS
    except (ValidationError, MissingData) as exc:
        print(exc, file=sys.stderr)
        return INVALID_INPUT
    except ValueError as exc:  # a job that cannot work with this input says why
        print(f"error: {exc}", file=sys.stderr)
        return INVALID_INPUT


if __name__ == "__main__":
    sys.exit(main())
