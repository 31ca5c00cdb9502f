"""The harness end to end in --quick mode: reader -> solve (fresh process) -> check -> rows ->
report, with the service's own solver and the peers when installed. Timings are never asserted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.cli import main
from benchmarks.harness import RESULTS, peer_available, read_rows, score_answer
from benchmarks.readers import read_vrptw

SOLVERS = ["ortools", "pyvrp", "vroom"]
INSTANCES = "R101,X-n101-k25,102_stop"


def _run(out: Path, bench_dir: Path) -> int:
    return main(
        [
            "run",
            "solomon",
            "cvrplib",
            "waste",
            "--quick",
            "--seed",
            "7",
            "--budget",
            "30",
            "--solvers",
            ",".join(SOLVERS),
            "--instances",
            INSTANCES,
            "--out",
            str(out),
            "--bench-dir",
            str(bench_dir),
            "--no-progress",
        ]
    )


@pytest.fixture(scope="module")
def quick_run(bench_dir, tmp_path_factory) -> tuple[Path, list[dict]]:
    """One quick run shared by the tests of this module (about 15 s on two cores)."""
    out = tmp_path_factory.mktemp("quick")
    assert _run(out, bench_dir) == 0
    return out, read_rows(out)


def test_every_instance_solver_pair_has_one_row(quick_run):
    """Three instances x three solvers, interleaved instance by instance."""
    _, rows = quick_run
    pairs = [(r["instance"], r["solver"]) for r in rows]
    assert len(pairs) == len(set(pairs)) == 9
    assert [r["solver"] for r in rows[:3]] == SOLVERS
    assert len({r["instance"] for r in rows[:3]}) == 1


def test_quick_mode_caps_the_budget(quick_run):
    """--quick never spends more than one second per solve, whatever --budget says."""
    _, rows = quick_run
    assert {r["budget"] for r in rows} == {1.0}


def test_service_solver_is_checked_and_scored(quick_run):
    """The service's VRPTW and CVRP plans pass both checkers and get a convention objective."""
    _, rows = quick_run
    service = {r["instance"]: r for r in rows if r["solver"] == "ortools"}
    for name in ("R101", "X-n101-k25"):
        row = service[name]
        assert row["solved"] and row["service_check"] == "pass", row
        assert row["gap_pct"] is not None and row["peak_rss_mb"] > 0


def test_service_waste_row_is_either_a_checked_plan_or_an_explained_failure(quick_run):
    """Waste at 1 s is hard for the service: whatever happens is recorded, never hidden."""
    _, rows = quick_run
    row = next(r for r in rows if r["solver"] == "ortools" and r["instance"] == "102_stop")
    if row["solved"]:
        assert row["service_check"] == "pass" and row["vehicles"] >= 1
    else:
        assert row["status"] != "FEASIBLE" or row["check_problems"], row
        assert row["note"] or row["error"] or row["check_problems"], row


def test_no_plan_beats_a_proven_optimum(quick_run):
    """R101 (DIMACS) and X-n101-k25 BKS are proven optima: a lower score would be a scoring bug."""
    _, rows = quick_run
    for row in rows:
        if row["solved"] and row["convention"] in ("dimacs", "cvrplib"):
            assert row["objective"] >= row["bks_objective"] - 1e-6, row
            expected = (row["objective"] - row["bks_objective"]) / row["bks_objective"] * 100
            assert row["gap_pct"] == pytest.approx(expected)


@pytest.mark.parametrize("peer", ["pyvrp", "vroom"])
def test_peers_solve_vrptw_and_cvrp_and_skip_waste_with_a_note(quick_run, peer):
    """Peers solve the same integer instances; waste (breaks, disposal trips) is skipped."""
    _, rows = quick_run
    mine = {r["instance"]: r for r in rows if r["solver"] == peer}
    if not peer_available(peer):
        assert all(r["status"] == "SKIPPED" for r in mine.values())
        return
    assert mine["R101"]["solved"] and mine["X-n101-k25"]["solved"]
    assert mine["102_stop"]["status"] == "SKIPPED" and "not modelled" in mine["102_stop"]["note"]


def test_rerun_in_the_same_folder_resumes(quick_run, bench_dir):
    """Finished (instance, solver, seed, budget) rows are not solved again."""
    out, rows = quick_run
    assert _run(out, bench_dir) == 0
    assert len(read_rows(out)) == len(rows)
    runs = (out / "runs.jsonl").read_text().splitlines()
    assert len(runs) == 2 and "git_commit" in json.loads(runs[0])


def test_report_has_tables_plots_and_provenance(quick_run):
    """The report names every instance, pairs solvers, and records versions and the command."""
    out, _ = quick_run
    assert main(["report", str(out)]) == 0
    text = (out / "report.md").read_text()
    for needle in ("R101", "X-n101-k25", "102_stop", "ortools vs pyvrp", "pyvroom", "--quick"):
        assert needle in text
    assert (out / "gap_by_family.png").stat().st_size > 1000


def test_torn_last_line_is_ignored(tmp_path):
    """A run killed mid-write leaves a partial line; reading must not fail on it."""
    (tmp_path / RESULTS).write_text('{"suite": "solomon"}\n{"suite": "sol')
    assert read_rows(tmp_path) == [{"suite": "solomon"}]


def test_plan_failing_the_checker_counts_as_no_solution(bench_dir):
    """A plan that leaves stops unserved is not a solution, whatever its solver claimed."""
    instance = read_vrptw(bench_dir / "solomon" / "C101.txt")
    answer = {
        "status": "FEASIBLE",
        "routes": [{"vehicle": "v01", "visits": [["STOP", "c1"]]}],
        "wall": 0.1,
    }
    row = score_answer(instance, "solomon", "ortools", 1, 1.0, answer)
    assert row["solved"] is False and row["gap_pct"] is None
    assert row["unserved"] == 99
    assert any("not served" in p for p in row["check_problems"])


def test_list_shows_every_suite(capsys, bench_dir):
    """`list` names the suites with their instance counts."""
    assert main(["list", "--bench-dir", str(bench_dir)]) == 0
    text = capsys.readouterr().out
    assert "solomon" in text and " 56 instances" in text and "latency" in text


def test_assign_suite_delegates_to_the_emergency_benchmarks(tmp_path):
    """`run assign` hands --out DIR/assign, --seed and --quick to benchmarks.assign.main."""
    assert main(["run", "assign", "--quick", "--seed", "2", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "assign" / "quick.json").exists()
    assert main(["report", str(tmp_path)]) == 0
    assert "assign/quick.md" in (tmp_path / "report.md").read_text()
