"""PostgreSQL as the shared run store: the monthly batch writes it and reads it back as it does a DuckDB file, and
two batches started at once on one database store the month once (one commits, the other waits for it and reuses
it), counted by plain SQL on the server."""

from __future__ import annotations

import subprocess
import sys

from app.batch.monthly import MonthlyParams, run_monthly
from app.cli import main
from app.history.store import RunStore
from tests.monthly_regions import two_councils, write
from tests.store_backends import count, fresh_database
from tests.test_monthly import FAST, ROOT, folder_bytes


def batch(folder, out, store) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "app.cli", "monthly", str(folder), "--out", str(out), "--params",
                             str(FAST), "--store", store, "--wait", "300"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)


def values(frame) -> list[list[str]]:
    return frame.astype(object).where(frame.notna(), None).astype(str).values.tolist()


def test_two_batches_at_once_on_one_database_store_the_month_once(tmp_path):
    """Both exit 0 with the same run id; one computed it, the other waited and reused it; the database holds one
    run and one copy of each of its tables' rows and files."""
    folder = write(two_councils(), tmp_path / "october" / "two-councils")
    store = fresh_database()
    processes = [batch(folder, tmp_path / "out-a", store), batch(folder, tmp_path / "out-b", store)]
    outputs = [p.communicate(timeout=900)[0] for p in processes]
    results = [(p.returncode, output) for p, output in zip(processes, outputs)]
    assert [code for code, _ in results] == [0, 0], results
    reused = [output for _, output in results if "reused" in output and "already in" in output]
    assert len(reused) == 1, results
    assert count(store, "select count(*) from runs") == 1
    with RunStore(store, read_only=True) as s:
        run_id = s.latest_run_id()
        allocations = len(s.table(run_id, "allocations"))
        published = len(s.files(run_id))
    assert all(run_id in output for _, output in results)
    assert count(store, "select count(*) from allocations") == allocations > 0
    assert count(store, "select count(*) from run_files") == published > 0
    assert count(store, "select count(distinct name) from run_files") == published


def test_a_monthly_run_on_a_database_reads_back_as_on_a_file(tmp_path):
    """The same month stored in DuckDB and in PostgreSQL: the same run id, tables equal value for value, the same
    files, the database's bytes those it published; `rcc runs show` and `rcc purge` take the URL."""
    folder = write(two_councils(), tmp_path / "october" / "two-councils")
    params = MonthlyParams.from_toml(FAST)
    store = fresh_database()
    on_file = run_monthly(folder, out_dir=tmp_path / "file", params=params)
    on_server = run_monthly(folder, out_dir=tmp_path / "server", store_path=store, params=params)
    assert on_server.run_id == on_file.run_id and not on_server.reused
    with RunStore(on_file.store_path, read_only=True) as a, RunStore(store, read_only=True) as b:
        assert a.tables(on_file.run_id) == b.tables(on_server.run_id)
        for name in a.tables(on_file.run_id):
            left, right = a.table(on_file.run_id, name), b.table(on_server.run_id, name)
            assert left.shape == right.shape, name
            # missing is missing (DuckDB's reader says NaN in a number column, pandas' SQL reader None)
            assert values(left) == values(right), name
        # the same files; each run's own bytes (their records carry their own times) as it published them
        assert set(a.files(on_file.run_id)) == set(b.files(on_server.run_id))
        assert b.files(on_server.run_id) == folder_bytes(on_server.out_dir)
        assert a.run(on_file.run_id)["summary"] == b.run(on_server.run_id)["summary"]
    again = run_monthly(folder, out_dir=tmp_path / "server", store_path=store, params=params)
    assert again.reused
    assert main(["runs", "show", "--store", store]) == 0
    assert main(["purge", "--store", store, "--older-than", "1d", "--as-of", "2099-01-01"]) == 0
    assert count(store, "select count(*) from allocations") == 0
    assert count(store, "select count(*) from runs where purged is not null") == 1


def test_a_reader_is_not_blocked_by_a_run_being_written_and_sees_it_only_whole():
    """While a run's transaction is open (inside write_run, before its commit), a second connection reads the
    database at once and sees the earlier run only; after the commit it sees both."""
    import pandas as pd

    store = fresh_database()
    record = {"run_id": "a", "month": "2026-09", "region": "r", "status": "ok", "summary": {}, "stages": {}}
    seen = []

    def read_meanwhile(message: str) -> None:
        if message == "committing the run":
            with RunStore(store, read_only=True) as reader:
                seen.append((sorted(reader.runs()["run_id"]), count(store, "select count(*) from gap")))

    with RunStore(store) as writer:
        writer.write_run(record, {"gap": pd.DataFrame({"children": [1]})})
        writer.write_run(dict(record, run_id="b", month="2026-10"), {"gap": pd.DataFrame({"children": [2, 3]})},
                         progress=read_meanwhile)
    assert seen == [(["a"], 1)]
    with RunStore(store, read_only=True) as reader:
        assert sorted(reader.runs()["run_id"]) == ["a", "b"]
    assert count(store, "select count(*) from gap") == 3
