"""The monthly batch and its run store: one transaction per run, idempotent, crash-safe, and a correct diff."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from app.batch.monthly import MonthlyParams, run_monthly
from app.cli import main
from app.history.store import RunStore
from data.load import load_region
from tests.monthly_regions import NEW_CHILD, next_month, two_councils, write

ROOT = Path(__file__).resolve().parent.parent
FAST = ROOT / "tests" / "fixtures" / "monthly-fast.toml"


@pytest.fixture(scope="module")
def month_a(tmp_path_factory) -> dict:
    """Two councils' October extract, run once into a store every test copies."""
    base = tmp_path_factory.mktemp("monthly")
    tables = two_councils()
    folder = write(tables, base / "october" / "two-councils")  # the folder's name is the region's name
    run = run_monthly(folder, out_dir=base / "out", params=MonthlyParams.from_toml(FAST))
    return {"tables": tables, "folder": folder, "out": base / "out", "run": run}


@pytest.fixture
def out(month_a, tmp_path) -> Path:
    """A private copy of the store and output folder holding October's run."""
    copy = tmp_path / "out"
    shutil.copytree(month_a["out"], copy, symlinks=True)  # OUT/<month> is a link into OUT/.runs/
    return copy


def store_snapshot(path: Path) -> dict[str, int | list]:
    """Every table's row count and the run ids, read with DuckDB directly rather than through RunStore."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        names = [row[0] for row in con.execute("select table_name from information_schema.tables").fetchall()]
        snapshot = {name: con.execute(f'select count(*) from "{name}"').fetchone()[0] for name in names}
        snapshot["run_ids"] = sorted(row[0] for row in con.execute("select run_id from runs").fetchall())
        return snapshot
    finally:
        con.close()


def with_new_margin(month_a, folder: Path) -> Path:
    """October's extract with one provider's accounts changed: same month, different input."""
    tables = {name: frame.copy() for name, frame in month_a["tables"].items()}
    tables["providers"].loc[0, "operating_profit"] = str(int(tables["providers"].loc[0, "operating_profit"] or 0) + 1)
    return write(tables, folder / "two-councils")


def test_a_run_stores_every_table_and_publishes_the_same_rows(month_a):
    """October's run is in the store with every job's table, and OUT/2026-10/ holds the same rows as the store."""
    run = month_a["run"]
    assert run.month == "2026-10" and not run.reused
    with RunStore(run.store_path, read_only=True) as store:
        assert list(store.runs()["run_id"]) == [run.run_id]
        assert {"validation", "forecast", "history_stocks", "backtest", "allocations", "explanations", "gap",
                "comparison", "held_back", "flags", "margins", "fees", "stress_test", "strategy_actions",
                "strategy_balance", "strategy_risk"} <= set(store.tables(run.run_id))
        stored = store.table(run.run_id, "allocations")
        record = store.run(run.run_id)
    published = pd.read_csv(run.out_dir / "allocations.csv")
    assert list(stored["referral_id"]) == list(published["referral_id"])
    assert list(stored["status"]) == list(published["status"])
    assert json.loads((run.out_dir / "monthly_run.json").read_text())["run_id"] == run.run_id
    assert record["summary"]["match"]["referrals"] == len(published)
    # every referral of the extract, each once, plus the step-down referrals of children living unlawfully
    raw = month_a["tables"]["referrals"]["referral_id"]
    step_down = published["referral_id"].str.startswith("STEPDOWN-")
    assert sorted(published.loc[~step_down, "referral_id"]) == sorted(raw)
    assert set(published.loc[step_down, "child_id"]) <= set(month_a["tables"]["children"]["child_id"])
    stages = ("validate", "forecast", "backtest", "match", "flags", "strategy")
    assert set(record["stages"]) == {f"{s}_s" for s in stages}


def test_repeating_a_month_with_the_same_inputs_is_idempotent(month_a, out):
    """The same extract and parameters again: the same run id, nothing recomputed, no row added."""
    before = store_snapshot(out / "runs.duckdb")
    again = run_monthly(month_a["folder"], out_dir=out, params=MonthlyParams.from_toml(FAST))
    assert again.run_id == month_a["run"].run_id and again.reused
    assert store_snapshot(out / "runs.duckdb") == before


def test_a_deleted_month_folder_is_rebuilt_from_the_store(month_a, out):
    """A committed run whose files were lost (the month's link and the folder it points at) gets them back from the
    store, byte for byte, when the month is run again."""
    month = out / "2026-10"
    published = folder_bytes(month)
    shutil.rmtree(month.resolve())
    month.unlink()
    again = run_monthly(month_a["folder"], out_dir=out, params=MonthlyParams.from_toml(FAST))
    assert again.reused
    assert folder_bytes(month) == published
    rebuilt = pd.read_csv(month / "flags.csv")
    with RunStore(out / "runs.duckdb", read_only=True) as store:
        assert list(rebuilt["subject_id"]) == list(store.table(again.run_id, "flags")["subject_id"])


def test_changed_inputs_make_a_new_run_and_keep_the_old(month_a, out, tmp_path):
    """One changed figure in the extract is a new run of the same month; October's first run stays whole."""
    before = store_snapshot(out / "runs.duckdb")
    changed = run_monthly(with_new_margin(month_a, tmp_path / "changed"), out_dir=out,
                          params=MonthlyParams.from_toml(FAST))
    assert changed.run_id != month_a["run"].run_id and not changed.reused and changed.month == "2026-10"
    after = store_snapshot(out / "runs.duckdb")
    assert after["run_ids"] == sorted([month_a["run"].run_id, changed.run_id])
    with RunStore(out / "runs.duckdb", read_only=True) as store:
        assert len(store.table(month_a["run"].run_id, "allocations")) == before["allocations"]
    assert after["allocations"] == 2 * before["allocations"]


def test_changed_parameters_make_a_new_run(month_a, out):
    """Different parameters on the same extract are a different run."""
    params = MonthlyParams.from_dict({"monthly": {"horizon_months": 9}, "forecast": {"paths": 50},
                                      "match": {"time_limit_s": 20},
                                      "strategy": {"horizon_quarters": 2, "samples": 5, "time_limit_s": 5.0}})
    other = run_monthly(month_a["folder"], out_dir=out, params=params)
    assert other.run_id != month_a["run"].run_id and not other.reused


KILLER = textwrap.dedent("""
    import os, signal, sys
    from pathlib import Path
    from app.batch.monthly import MonthlyParams, run_monthly

    folder, out, params, when = sys.argv[1:5]
    MESSAGES = {"store:tables": "storing allocations", "store:files": "storing the", "store:commit": "committing",
                "publish:link": "publishing", "publish:cleanup": "published"}

    def on_stage(stage, status, seconds):
        if status == "started" and stage == when:
            os.kill(os.getpid(), signal.SIGKILL)

    def progress(message):
        if when in MESSAGES and message.startswith(MESSAGES[when]):
            os.kill(os.getpid(), signal.SIGKILL)

    if when == "publish:replace":  # the new link is made beside OUT/<month>, not yet renamed over it
        symlink_to = Path.symlink_to

        def then_killed(self, *args, **kwargs):
            symlink_to(self, *args, **kwargs)
            os.kill(os.getpid(), signal.SIGKILL)

        Path.symlink_to = then_killed

    run_monthly(Path(folder), out_dir=Path(out), params=MonthlyParams.from_toml(params), progress=progress,
                on_stage=on_stage)
    print("not killed")
""")
COMMITTED = ("publish:link", "publish:replace", "publish:cleanup")  # killed after the store committed the new run


def folder_bytes(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


@pytest.mark.parametrize("when", ["validate", "forecast", "backtest", "match", "flags", "strategy", "store",
                                  "store:tables", "store:files", "store:commit", "publish:link", "publish:replace",
                                  "publish:cleanup"])
def test_a_kill_at_any_instant_leaves_store_and_month_folder_each_old_or_new(month_a, out, tmp_path, when):
    """SIGKILL at the start of each stage, while storing the tables and the files, just before the commit, and
    between the publishing steps (before the link is made, once it is made beside OUT/2026-10 but not renamed over
    it, and before the clean-up): the store holds October's first run alone or with the new one whole, OUT/2026-10/
    is one run's files exactly (the first run's, or the new run's as the store keeps them), and running the month
    again leaves the new run stored once and published whole, byte for byte, with nothing left behind: no stray
    link or staging folder, and no run folder but the published one."""
    folder = with_new_margin(month_a, tmp_path / "changed")
    before = store_snapshot(out / "runs.duckdb")
    first = folder_bytes(out / "2026-10")
    done = subprocess.run([sys.executable, "-c", KILLER, str(folder), str(out), str(FAST), when], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == -9, done.stdout + done.stderr
    after = store_snapshot(out / "runs.duckdb")
    if when in COMMITTED:
        assert len(after["run_ids"]) == 2 and after["runs"] == before["runs"] + 1
        new_id = next(r for r in after["run_ids"] if r not in before["run_ids"])
        with RunStore(out / "runs.duckdb", read_only=True) as store:
            new_files = store.files(new_id)
        assert folder_bytes(out / "2026-10") in (first, new_files)
    else:
        assert after == before
        assert folder_bytes(out / "2026-10") == first
    rerun = run_monthly(folder, out_dir=out, params=MonthlyParams.from_toml(FAST))
    assert rerun.reused == (when in COMMITTED)
    assert len(store_snapshot(out / "runs.duckdb")["run_ids"]) == 2
    with RunStore(out / "runs.duckdb", read_only=True) as store:
        assert folder_bytes(out / "2026-10") == store.files(rerun.run_id)
    assert json.loads((out / "2026-10" / "monthly_run.json").read_text())["run_id"] == rerun.run_id
    assert {"strategy.xlsx", "strategy.html", "run.json", "flags_run.json", "allocations.csv"} <= set(
        folder_bytes(out / "2026-10"))
    assert [p.name for p in (out / ".runs").iterdir()] == [f"2026-10.{rerun.run_id}"]
    assert not [p.name for p in out.iterdir() if p.name.startswith(".2026-10")]


PUBLISH_KILLER = textwrap.dedent("""
    import os, shutil, signal, sys
    from pathlib import Path
    from app.batch import publish

    folder, month_dir, system, after = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    steps = 0

    def counted(call):
        # a step is one change on disk: a rename, a link, a file copied, a file or folder made or removed
        def step(*args, **kwargs):
            global steps
            result = call(*args, **kwargs)
            steps += 1
            if steps == after:
                os.kill(os.getpid(), signal.SIGKILL)
            return result
        return step

    for name in ("rename", "replace", "symlink", "unlink", "rmdir", "mkdir"):
        setattr(os, name, counted(getattr(os, name)))
    shutil.copyfile = counted(shutil.copyfile)
    publish._exchange = counted(publish._exchange) if system == "full" else lambda a, b: False
    if system == "no links":
        def refused(*args, **kwargs):
            raise OSError("symbolic links are not allowed here")
        Path.symlink_to = refused
    publish.publish(folder, month_dir)
    print(steps)
""")
RUN_A, RUN_B = "aaaaaaaaaaaa", "bbbbbbbbbbbb"
# how OUT/2026-10 holds run A before run B is published; what the system can do ("full": links and exchanging two
# names in one step, as here; "no exchange": links only; "no links"); where a kill between two renames may leave A
PUBLISH_CASES = {
    "link": ("link", "full", None),
    "folder from before run folders": ("folder", "full", None),
    "folder from before run folders, no exchange": ("folder", "no exchange", ".runs/2026-10.earlier"),
    "no symbolic links": ("folder", "no links", ".2026-10.previous"),
}


def two_run_folders(out: Path, month_holds: str) -> tuple[Path, Path]:
    """OUT/.runs/ with runs A and B sealed; OUT/2026-10 is run A's: a link to its folder, or a plain copy."""
    folders = []
    for run_id in (RUN_A, RUN_B):
        folder = out / ".runs" / f"2026-10.{run_id}"
        folder.mkdir(parents=True)
        (folder / "monthly_run.json").write_text(json.dumps({"run_id": run_id}))
        (folder / "allocations.csv").write_text(f"referral_id,run\nR1,{run_id}\n")
        folders.append(folder)
    if month_holds == "link":
        (out / "2026-10").symlink_to(Path(".runs") / folders[0].name, target_is_directory=True)
    else:
        shutil.copytree(folders[0], out / "2026-10")
    return folders[0], folders[1]


def no_symbolic_links(monkeypatch) -> None:
    def refused(*args, **kwargs):
        raise OSError("symbolic links are not allowed here")

    monkeypatch.setattr(Path, "symlink_to", refused)


def as_system(monkeypatch, system: str) -> None:
    import app.batch.publish

    if system == "no links":
        no_symbolic_links(monkeypatch)
    if system != "full":
        monkeypatch.setattr(app.batch.publish, "_exchange", lambda a, b: False)


@pytest.mark.parametrize("case", sorted(PUBLISH_CASES))
def test_a_kill_after_any_step_of_publishing_leaves_the_month_one_run_whole(case, tmp_path, monkeypatch):
    """Publishing run B over run A, killed after each single change on disk in turn (every rename, link, exchange,
    file copied, file or folder made or removed): OUT/2026-10 is exactly A's files or exactly B's; only where the
    system cannot swap a folder for a link in one step may it be missing for a moment between two renames, with
    A's files whole beside it. Publishing again then leaves B's files exactly and nothing else: no other run's
    folder, no stray link or copy."""
    from app.batch.publish import publish

    month_holds, system, aside = PUBLISH_CASES[case]
    probe = tmp_path / "probe"
    _, b = two_run_folders(probe, month_holds)
    done = subprocess.run([sys.executable, "-c", PUBLISH_KILLER, str(b), str(probe / "2026-10"), system, "0"],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    steps = int(done.stdout)
    assert steps >= 2
    for after in range(1, steps + 1):
        out = tmp_path / f"killed-after-{after}"
        a, b = two_run_folders(out, month_holds)
        first, second = folder_bytes(a), folder_bytes(b)
        month = out / "2026-10"
        killed = subprocess.run([sys.executable, "-c", PUBLISH_KILLER, str(b), str(month), system, str(after)],
                                cwd=ROOT, capture_output=True, text=True, timeout=60)
        assert killed.returncode == -9, (after, killed.stdout + killed.stderr)
        if month.exists():
            assert folder_bytes(month) in (first, second), (case, after, sorted(folder_bytes(month)))
        else:
            assert aside is not None and folder_bytes(out / aside) == first, (case, after)
        with monkeypatch.context() as patch:
            as_system(patch, system)
            publish(b, month)
        assert folder_bytes(month) == second, (case, after)
        assert month.is_symlink() == (system != "no links")
        assert sorted(p.name for p in out.iterdir()) == [".runs", "2026-10"], (case, after)
        assert [p.name for p in (out / ".runs").iterdir()] == [b.name], (case, after)


def test_without_symbolic_links_a_month_is_published_again_and_again(tmp_path, monkeypatch):
    """Where links cannot be made, OUT/2026-10 is a plain folder: publishing three runs of the month one after
    another leaves each run's files exactly, and no earlier run's folder behind."""
    from app.batch.publish import publish

    no_symbolic_links(monkeypatch)
    out = tmp_path / "out"
    for run_id in (RUN_A, RUN_B, "cccccccccccc"):
        folder = out / ".runs" / f"2026-10.{run_id}"
        folder.mkdir(parents=True)
        (folder / "monthly_run.json").write_text(json.dumps({"run_id": run_id}))
        publish(folder, out / "2026-10")
        assert not (out / "2026-10").is_symlink()
        assert folder_bytes(out / "2026-10") == {"monthly_run.json": json.dumps({"run_id": run_id}).encode()}
        assert [p.name for p in (out / ".runs").iterdir()] == [folder.name]
        assert sorted(p.name for p in out.iterdir()) == [".runs", "2026-10"]


def test_diff_of_two_months_reports_what_changed(month_a, out, tmp_path):
    """November's extract after known changes: the placed child stopped searching, the new child is a new
    referral, the provider's 60% margin is a new profit flag, and October's forecast is scored on November."""
    a = month_a["run"]
    with RunStore(out / "runs.duckdb", read_only=True) as store:
        allocations = store.table(a.run_id, "allocations")
        margins = store.table(a.run_id, "margins")
        flags_a = store.table(a.run_id, "flags")
        forecast_a = store.table(a.run_id, "forecast")
    leaving = allocations[allocations["status"] == "matched"].iloc[0]
    flagged = set(flags_a.loc[flags_a["flag"] == "profit_outlier", "subject_id"])
    provider = margins[(margins["level"] == "company") & (margins["children"] > 0)
                       & ~margins["id"].isin(flagged) & (margins["revenue"] > 0)]["id"].iloc[0]
    november = write(next_month(month_a["tables"], leaving["referral_id"], provider),
                     tmp_path / "november" / "two-councils")
    # loaded as on 1 December, when November's extract would be run
    b = run_monthly(load_region(november, today=date(2026, 12, 1)), month="2026-11", out_dir=out,
                    params=MonthlyParams.from_toml(FAST))
    assert b.month == "2026-11"
    with RunStore(out / "runs.duckdb", read_only=True) as store:
        diff = store.diff(a.run_id, b.run_id)
        stocks_b = store.table(b.run_id, "history_stocks")
        allocations_b = store.table(b.run_id, "allocations")
    children = diff["children"].set_index("child_id")
    assert children.loc[leaving["child_id"], "change"] == "no longer searching"
    assert children.loc[NEW_CHILD, "change"].startswith("new referral")
    assert set(children.index) == set(allocations["child_id"]) | set(allocations_b["child_id"])
    new_flags = diff["flags"][diff["flags"]["change"] == "new"]
    assert ((new_flags["flag"] == "profit_outlier") & (new_flags["subject_id"] == provider)).any()
    headline = diff["headline"].set_index("measure")
    assert headline.loc["referrals", "change"] == len(allocations_b) - len(allocations)
    accuracy = diff["forecast_accuracy"]
    assert set(accuracy["month"]) == {"2026-11"}
    row = accuracy.iloc[0]
    months = pd.to_datetime(forecast_a["month"]).dt.strftime("%Y-%m")
    expected_forecast = forecast_a[(forecast_a["la_code"] == row["la_code"]) & (forecast_a["group"] == row["group"])
                                   & (months == "2026-11")]["mean"].sum()
    observed = stocks_b[(stocks_b["la_code"] == row["la_code"]) & (stocks_b["group"] == row["group"])
                        & (pd.to_datetime(stocks_b["month"]).dt.strftime("%Y-%m") == "2026-11")]["stock"].sum()
    assert row["forecast"] == pytest.approx(expected_forecast) and row["actual"] == observed


def test_cli_monthly_and_runs_commands(month_a, out, capsys):
    """`rcc monthly` prints the one-screen summary; `rcc runs list/show/diff` read the store."""
    assert main(["monthly", str(month_a["folder"]), "--out", str(out), "--params", str(FAST)]) == 0
    printed = capsys.readouterr().out
    assert f"run {month_a['run'].run_id} (reused" in printed and "Run store:" in printed
    store = str(out / "runs.duckdb")
    assert main(["runs", "list", "--store", store]) == 0
    assert month_a["run"].run_id in capsys.readouterr().out
    assert main(["runs", "show", month_a["run"].run_id, "--store", store]) == 0
    assert "allocations (" in capsys.readouterr().out
    assert main(["runs", "diff", month_a["run"].run_id, month_a["run"].run_id, "--store", store]) == 0
    assert "Flags:" in capsys.readouterr().out
    assert main(["runs", "show", "nosuchrun", "--store", store]) == 2


def test_invalid_input_exits_one_and_writes_nothing(tmp_path, capsys):
    """A broken extract: exit 1, the validation table on screen, no store and no month folder."""
    folder = write({name: frame for name, frame in two_councils().items()}, tmp_path / "broken")
    settings = pd.read_csv(folder / "settings.csv", dtype=str, keep_default_na=False)
    settings.loc[0, "vacancies"] = "999"
    settings.to_csv(folder / "settings.csv", index=False)
    out = tmp_path / "out"
    assert main(["monthly", str(folder), "--out", str(out), "--params", str(FAST)]) == 1
    assert "vacancies exceed places" in capsys.readouterr().err
    assert not (out / "runs.duckdb").exists()
    assert [p.name for p in out.iterdir()] == ["logs"]


def test_a_forecast_shorter_than_the_strategy_is_refused():
    """The strategy plans on the month's forecast, so a horizon that does not cover it is a parameter error."""
    with pytest.raises(ValueError, match="must cover the strategy's 2 quarters"):
        MonthlyParams.from_dict({"monthly": {"horizon_months": 5}, "strategy": {"horizon_quarters": 2}})


def test_a_month_the_extract_does_not_cover_is_refused(month_a, out, capsys):
    """--month far from the extract's dates: exit 1 with the months it can be run as."""
    assert main(["monthly", str(month_a["folder"]), "--out", str(out), "--month", "2025-03",
                 "--params", str(FAST)]) == 1
    assert "can be run as 2026-10" in capsys.readouterr().err


def test_an_internal_failure_exits_three_and_keeps_the_store(month_a, out, tmp_path, monkeypatch, capsys):
    """A failure inside a job (here the matcher) exits 3 and leaves the store and the month folder untouched."""
    import app.batch.monthly

    def broken(*args, **kwargs):
        raise RuntimeError("solver crashed")

    monkeypatch.setattr(app.batch.monthly, "run_match", broken)
    before = store_snapshot(out / "runs.duckdb")
    folder = with_new_margin(month_a, tmp_path / "changed")
    assert main(["monthly", str(folder), "--out", str(out), "--params", str(FAST)]) == 3
    assert "internal failure in the monthly run: RuntimeError: solver crashed" in capsys.readouterr().err
    assert store_snapshot(out / "runs.duckdb") == before
    assert not any(p.name.endswith(".partial") for p in out.iterdir())
