"""rcc what-if replan: every child in care re-matched, moving only where a move saves more than the threshold."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from optimiser.match.params import MatchParams
from optimiser.match.replan import NATIONAL, replan
from tests.builders import AUTHORITY, SECOND_AUTHORITY, make_region, settings_rows
from tests.match_brute_force import RUN_DATE, placement_cost

HERE = {"lat": AUTHORITY["lat"], "lon": AUTHORITY["lon"]}


def tiny_region(tmp_path):
    """K1 lives in S1 (£5,000) with S2 at £4,950 beside it: a move saves £50. K2 lives in S3 (£8,000) with S4 at
    £5,000: a move saves £3,000. K3 lives in the unregistered S5 and must move; S6 (£6,000) is the one home left."""
    return make_region(tmp_path / "r", settings=settings_rows(
        {"weekly_fee": 5000, "places": 1, "vacancies": 0, **HERE},
        {"weekly_fee": 4950, "places": 2, "vacancies": 2, **HERE},
        {"weekly_fee": 8000, "places": 1, "vacancies": 0, **HERE},
        {"weekly_fee": 5000, "places": 1, "vacancies": 1, **HERE},
        {"weekly_fee": 9000, "places": 1, "vacancies": 0, "registration_status": "unregistered", **HERE},
        {"weekly_fee": 6000, "places": 1, "vacancies": 1, **HERE}),
        referrals=[], children=[{"child_id": "K1", "current_setting_id": "S1", "weekly_cost": 5000},
                                {"child_id": "K2", "current_setting_id": "S3", "weekly_cost": 8000},
                                {"child_id": "K3", "current_setting_id": "S5", "weekly_cost": 9000},
                                {"child_id": "K4", "current_setting_id": "", "weekly_cost": 300}])


def saving_of_each_move(region, children: pd.DataFrame, params: MatchParams) -> dict[str, float]:
    """What each child's move saves, costed from the raw rows by the brute force's own cost function."""
    settings, centre = region.settings.set_index("setting_id"), (AUTHORITY["lat"], AUTHORITY["lon"])
    child = pd.Series({"family_lat": float("nan"), "family_lon": float("nan"), "close_to_family": False,
                       "foster_suitability": "suitable", "residential_suitability": "suitable",
                       "supported_suitability": "unsuitable", "risks": (), "pets": "", "language": "",
                       "religion": "", "culture": "", "education_provision": ""})
    return {row.child_id: placement_cost(child, settings.loc[row.setting_today], params, centre)
            - placement_cost(child, settings.loc[row.setting_replan], params, centre)
            for row in children[children["moved"]].itertuples()}


@pytest.mark.parametrize("threshold", [0.0, 100.0, 2_000.0])
def test_replan_never_moves_a_child_for_less_than_the_threshold(threshold, tmp_path):
    """Each child who moves saves at least the threshold; K1 (saving £50) moves only with no threshold, K2 (saving
    £3,000) at every threshold here, and K3 leaves the unregistered home whatever the threshold."""
    region = tiny_region(tmp_path)
    params = MatchParams()
    result = replan(region, params, move_threshold=threshold, run_date=RUN_DATE)
    children = result.children.set_index("child_id")
    savings = saving_of_each_move(region, result.children[result.children["setting_today"].ne("S5")], params)
    assert all(saving >= threshold for saving in savings.values()), savings
    assert children.at["K1", "moved"] == (threshold < 50)
    assert children.at["K2", "moved"] and children.at["K2", "setting_replan"] in ("S2", "S4")
    assert children.at["K3", "moved"] and children.at["K3", "setting_replan"] in ("S2", "S4", "S6")
    assert set(savings) == set(children.index[children["moved"]]) - {"K3"}


def test_replan_counts_per_council_and_in_all(tmp_path):
    """The council rows add up, by hand: 4 children, £22,300 a week today, K3 out of the unregistered home, K4 left
    with family."""
    result = replan(tiny_region(tmp_path), MatchParams(), move_threshold=100.0, run_date=RUN_DATE)
    total = result.councils.set_index("la_code").loc[NATIONAL]
    assert total["children"] == 4 and total["weekly_cost_today"] == 22_300
    assert total["in_unlawful_settings_today"] == 1 and total["moved_out_of_unlawful_settings"] == 1
    assert total["children_moved"] == 2 and total["children_unplaced"] == 0
    # K1 stays at £5,000; K2 and K3 both take S2's two places at £4,950, the cheapest left
    assert total["weekly_cost_replan"] == 5_000 + 2 * 4_950 + 300
    assert result.children.set_index("child_id").at["K4", "status"] == "not_in_a_setting"
    assert total["weekly_saving"] == 22_300 - 15_200 and total["better_off"] == 1 and total["worse_off"] == 0
    assert result.areas["status"].eq("optimal").all()


def test_a_child_no_other_place_is_found_for_keeps_their_place(tmp_path):
    """K1 (15) lives in supported accommodation S1, unlawful at their age, and no other home takes a 15-year-old;
    K2 (17) would save £8,000 a week moving into S1. K1 cannot be moved, so S1 is not K2's to take."""
    region = make_region(tmp_path / "r", settings=settings_rows(
        {"setting_type": "supported_accommodation", "age_min": 16, "weekly_fee": 1000, "places": 1, "vacancies": 0,
         **HERE},
        {"weekly_fee": 9000, "age_min": 17, "places": 1, "vacancies": 0, **HERE}),
        referrals=[], children=[{"child_id": "K1", "age": 15, "current_setting_id": "S1", "weekly_cost": 1000},
                                {"child_id": "K2", "age": 17, "current_setting_id": "S2", "weekly_cost": 9000}])
    children = replan(region, MatchParams(), move_threshold=100.0, run_date=RUN_DATE).children.set_index("child_id")
    assert children.at["K1", "status"] == "no_place_found" and children.at["K1", "unlawful_today"]
    assert children.at["K2", "status"] == "stays"


def test_what_if_replan_command_writes_its_tables(tmp_path, capsys):
    """`rcc what-if replan DIR --out OUT` prints the headline and writes the children, councils and areas tables."""
    from app.cli import main

    region = tiny_region(tmp_path)
    out = tmp_path / "out"
    assert main(["what-if", "replan", str(region.source), "--out", str(out), "--move-threshold", "100"]) == 0
    printed = capsys.readouterr().out
    assert "Replan of every child in care: optimal" in printed and "£22,300 today" in printed
    councils = pd.read_csv(out / "replan_councils.csv")
    assert councils["la_code"].tolist()[-1] == NATIONAL and councils["children_moved"].iloc[-1] == 2
    assert len(pd.read_csv(out / "replan_children.csv")) == 4 and (out / "replan_run.json").exists()


def test_by_rcc_an_rcc_uses_only_its_own_area_and_the_places_its_children_free(tmp_path):
    """K1 (Manchester, RCC A) lives in S1 in Salford (£8,000); Salford's S2 (£1,000) has the one vacancy, and Salford
    is RCC B's. Per RCC, K1 cannot take B's vacancy and stays; B's K2 (in S3, £8,000) takes it. As one region, the
    vacancy goes to one of them and the other stays (a freed £8,000 place saves nothing)."""
    salford = {"la_code": SECOND_AUTHORITY["la_code"], "lat": SECOND_AUTHORITY["lat"], "lon": SECOND_AUTHORITY["lon"]}
    region = make_region(tmp_path / "r", settings=settings_rows(
        {"weekly_fee": 8000, "places": 1, "vacancies": 0, **salford},
        {"weekly_fee": 1000, "places": 1, "vacancies": 1, **salford},
        {"weekly_fee": 8000, "places": 1, "vacancies": 0, **salford}),
        referrals=[], children=[{"child_id": "K1", "current_setting_id": "S1", "weekly_cost": 8000},
                                {"child_id": "K2", "la_code": salford["la_code"], "current_setting_id": "S3",
                                 "weekly_cost": 8000}])
    membership = pd.Series({AUTHORITY["la_code"]: "A", SECOND_AUTHORITY["la_code"]: "B"})
    per_rcc = replan(region, MatchParams(), 100.0, RUN_DATE, membership)
    placed = per_rcc.children.set_index("child_id")["setting_replan"]
    assert placed.to_dict() == {"K1": "S1", "K2": "S2"} and len(per_rcc.areas) == 2
    whole = replan(region, MatchParams(), 100.0, RUN_DATE).children.set_index("child_id")
    assert whole["moved"].sum() == 1 and "S2" in set(whole["setting_replan"])


def test_replan_of_the_embedded_region_passes_the_verifier():
    """Every child of the embedded region living in a setting is re-matched (within 3 km, to stay fast) and the
    answer passes the independent verifier; each child of the children table appears once."""
    from data import EMBEDDED_REGION
    from data.load import load_region
    from optimiser.match.replan import match_area
    from optimiser.match.verify import verify_allocation

    region = load_region(EMBEDDED_REGION)
    params = MatchParams(max_distance_km=3.0)
    matched = match_area(region, set(region.authorities["la_code"]), params, 100.0, RUN_DATE)
    assert verify_allocation(matched.area, matched.allocations, params).empty
    assert matched.report.status in ("optimal", "feasible") and matched.report.bound <= matched.report.objective
    children = replan(region, params, 100.0, RUN_DATE).children
    assert sorted(children["child_id"]) == sorted(region.children["child_id"])


def test_a_replan_too_big_for_the_memory_is_refused_before_it_is_built(tmp_path, capsys, monkeypatch):
    """A pair table the machine could not hold (every child in England within 40 km) stops the command with exit 2
    and what to change, before any pair is built, instead of filling the memory; with the memory there, it runs."""
    from app.cli import main
    from optimiser.match import candidates

    region = tiny_region(tmp_path)
    monkeypatch.setattr(candidates, "_available_memory", lambda: candidates.BYTES_PER_PAIR - 1)  # under one pair
    built = []
    monkeypatch.setattr(candidates, "_member_costs", lambda *a, **k: built.append(1))
    assert main(["what-if", "replan", str(region.source), "--out", str(tmp_path / "out")]) == 2
    said = capsys.readouterr()
    assert "child-setting pairs" in said.err + said.out and "--max-distance-km" in said.err + said.out
    assert not built and not (tmp_path / "out" / "replan_children.csv").exists()
    monkeypatch.undo()
    assert main(["what-if", "replan", str(region.source), "--out", str(tmp_path / "out")]) == 0


def test_who_may_stay_is_screened_without_building_every_pair():
    """Which children no rule lets stay where they live (their place is then kept for them) is found by screening
    each child's one pair there; the second formulation reads it off the full build's member pairs. Within 3 km of
    home, most of the embedded region's children live too far away to stay, and some who live near may not stay
    for another rule, so neither answer is all one way."""
    from data import EMBEDDED_REGION
    from data.load import load_region
    from optimiser.match.candidates import build_candidates, may_stay
    from optimiser.match.replan import replan_region

    region = load_region(EMBEDDED_REGION)
    params = MatchParams(max_distance_km=3.0)
    area = replan_region(region, set(region.authorities["la_code"]), RUN_DATE)
    built = build_candidates(area, params, run_date=RUN_DATE).member_pairs
    stay_pairs = set(zip(built["referral_id"], built["setting_id"]))
    living = zip(area.referrals["referral_id"], area.referrals["current_setting_id"])
    expected = [(referral, setting) in stay_pairs for referral, setting in living]
    stays = may_stay(area, params, RUN_DATE)
    assert stays.tolist() == expected
    assert 0 < stays.sum() < len(stays)


def test_the_rccs_of_a_replan_run_as_jobs_on_a_dask_cluster(tmp_path):
    """Per RCC, each area is one job: on a real Dask cluster of two worker processes, each loading the region from
    its folder (and, without the folder, sent the region), the children, councils and areas come out as in the
    serial run, and each area ran as a Dask task in a worker process."""
    from app.executors import DaskExecutor

    salford = {"la_code": SECOND_AUTHORITY["la_code"], "lat": SECOND_AUTHORITY["lat"], "lon": SECOND_AUTHORITY["lon"]}
    region = make_region(tmp_path / "r", settings=settings_rows(
        {"weekly_fee": 8000, "places": 1, "vacancies": 0, **salford},
        {"weekly_fee": 1000, "places": 1, "vacancies": 1, **salford},
        {"weekly_fee": 8000, "places": 1, "vacancies": 0},
        {"weekly_fee": 2000, "places": 2, "vacancies": 2}),
        referrals=[], children=[{"child_id": "K1", "current_setting_id": "S3", "weekly_cost": 8000},
                                {"child_id": "K2", "la_code": salford["la_code"], "current_setting_id": "S1",
                                 "weekly_cost": 8000}])
    membership = pd.Series({AUTHORITY["la_code"]: "A", SECOND_AUTHORITY["la_code"]: "B"})
    serial = replan(region, MatchParams(), 100.0, RUN_DATE, membership)

    class Recorded:
        """The cluster's executor, keeping the Dask futures of what was submitted."""

        def __init__(self, executor):
            self.executor, self.futures = executor, []

        def submit(self, fn, *args, **kwargs):
            future = self.executor.submit(fn, *args, **kwargs)
            self.futures.append(future.dask_future)
            return future

    cluster = DaskExecutor(workers=2)
    try:
        assert os.getpid() not in set(cluster.worker_pids().values())
        for source in (region.source, None):
            recorded = Recorded(cluster)
            parallel = replan(region, MatchParams(), 100.0, RUN_DATE, membership, executor=recorded,
                              source=source)
            for table in ("children", "councils"):
                ours, theirs = (getattr(r, table).sort_values(list(getattr(r, table).columns[:2]))
                                .reset_index(drop=True) for r in (parallel, serial))
                pd.testing.assert_frame_equal(ours, theirs)
            same = ["rcc", "children", "pairs", "status", "objective", "bound"]
            pd.testing.assert_frame_equal(parallel.areas[same], serial.areas[same])
            assert len(recorded.futures) == 2 and all(f.status == "finished" for f in recorded.futures)
    finally:
        cluster.shutdown()
    assert serial.children.set_index("child_id")["setting_replan"].to_dict() == {"K1": "S4", "K2": "S2"}


def test_what_if_replan_by_rcc_on_workers_writes_what_the_serial_run_writes(tmp_path, capsys):
    """`--by rcc --workers 2` starts a LocalCluster, hands it the RCCs, and writes the same children and councils
    tables as the serial run; `--workers` without `--by rcc` (one region is one job) is refused with exit 2."""
    from app.cli import main

    region = tiny_region(tmp_path)
    membership = tmp_path / "membership.csv"
    pd.DataFrame({"la_code": [AUTHORITY["la_code"], SECOND_AUTHORITY["la_code"]], "rcc": ["A", "B"]}).to_csv(
        membership, index=False)
    for out, workers in (("serial", "0"), ("parallel", "2")):
        assert main(["what-if", "replan", str(region.source), "--by", "rcc", "--membership", str(membership),
                     "--workers", workers, "--out", str(tmp_path / out)]) == 0
    said = capsys.readouterr().err
    assert "dask.distributed, 2 worker(s)" in said
    # each RCC says when it is done, once per run, and its stages' seconds are in the areas table
    assert said.count("A (") == 2 and said.count("B (") == 2 and said.count(" of 2): ") == 4
    areas = pd.read_csv(tmp_path / "parallel" / "replan_areas.csv")
    assert areas["rcc"].tolist() == ["A", "B"]
    assert (areas[["build_s", "solve_s", "verify_s", "tables_s"]] >= 0).all().all()
    for table in ("replan_children.csv", "replan_councils.csv"):
        pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "parallel" / table),
                                      pd.read_csv(tmp_path / "serial" / table))
    assert main(["what-if", "replan", str(region.source), "--workers", "2", "--out", str(tmp_path / "x")]) == 2
    assert "--by rcc" in capsys.readouterr().err


def test_a_worker_that_cannot_read_the_region_says_so(tmp_path):
    """A cluster's worker on another machine may not see the region's folder: the job stops with a ParameterError
    naming the folder and the worker, not a stack trace from deep in the loader."""
    from data.toml_files import ParameterError
    from optimiser.match.replan import replan_area

    with pytest.raises(ParameterError, match="not found on the Dask worker"):
        replan_area(str(tmp_path / "elsewhere"), {AUTHORITY["la_code"]}, "A", MatchParams(), 100.0, RUN_DATE,
                    whole=False)


FREED_MEMORY = """
import sys
import numpy as np
import psutil
from optimiser.match import replan

if sys.argv[1] == "reuse":
    replan.reuse_freed_memory()
process = psutil.Process()
before = process.memory_info().rss
table = np.ones(50_000_000)  # 400 MB: far over glibc's 32 MB, above which it maps an array afresh by default
del table
replan._give_back_freed_memory()  # as after each area
print((process.memory_info().rss - before) / 1e6)
"""


@pytest.mark.parametrize("policy", ["reuse", "default"])
def test_a_process_told_to_reuse_freed_memory_keeps_it_and_no_other_does(policy):
    """After reuse_freed_memory, a 400 MB table freed (and the heap tidied as after each area) stays this
    process's for its next allocation; by default it goes back to the system at once."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", FREED_MEMORY, policy], cwd=Path(__file__).resolve().parents[1],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    kept_mb = float(done.stdout.strip())
    if policy == "reuse":
        assert kept_mb > 350, kept_mb
    else:
        assert kept_mb < 50, kept_mb
