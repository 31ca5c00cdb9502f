"""The AssignUnits benchmark's quick mode runs end to end and writes an honest report; its SciPy
linear_sum_assignment peer solves exactly the service's objective where it claims to."""

from __future__ import annotations

import json
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from benchmarks.assign import main
from benchmarks.assign.lsa import not_one_to_one, solve_lsa
from benchmarks.assign.runner import write_plot
from benchmarks.assign.scenarios import city_problem, one_to_one_problem
from solvers.assignment import solve
from solvers.budget import Deadline
from solvers.status import Status


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One quick run shared by the tests that read its output (each run starts a server)."""
    out = tmp_path_factory.mktemp("assign-quick")
    assert main(["--quick", "--out", str(out), "--calls", "4"]) == 0
    return out


def test_quick_run_writes_markdown_and_raw_figures(quick_run: Path) -> None:
    """--quick measures every section over a real server and records where it ran."""
    raw = json.loads((quick_run / "quick.json").read_text())
    assert raw["environment"]["command"].startswith("python -m benchmarks.assign --quick")
    assert raw["environment"]["cores"] >= 1
    for size in raw["sizes"]:
        assert size["end_to_end"]["n"] == 4
        assert size["solver_only"]["n"] == 4
        assert all(row["not_worse_than_greedy"] for row in size["quality"])
    markdown = (quick_run / "quick.md").read_text()
    assert "| 10x50 |" in markdown and "pulp.cbc" in markdown


def test_quick_run_writes_the_latency_png(quick_run: Path) -> None:
    """Every committed result comes with its plot, and the report shows it."""
    pytest.importorskip("matplotlib")
    png = quick_run / "quick-latency.png"
    assert png.read_bytes().startswith(b"\x89PNG")
    assert "![AssignUnits latency](quick-latency.png)" in (quick_run / "quick.md").read_text()


def test_quick_run_compares_lsa_on_one_to_one_rows_only(quick_run: Path) -> None:
    """The benchmark's own instances are skipped with a reason; the one-to-one variants tie."""
    pytest.importorskip("scipy")
    raw = json.loads((quick_run / "quick.json").read_text())
    for size in raw["sizes"]:
        assert all(row["skipped"] and row["reasons"] for row in size["lsa"]["benchmark"])
        variants = size["lsa"]["one_to_one"]
        assert variants and all(row["same_objective"] for row in variants)
    assert all(row["same_objective"] for row in raw["lsa_scarce"]["rows"])
    markdown = (quick_run / "quick.md").read_text()
    assert "| 10x50 one-to-one | 3 | 3/3 | 3/3 |" in markdown
    assert "committed units (3)" in markdown


@pytest.mark.parametrize("seed", range(6))
def test_lsa_ties_the_service_optimum_when_slots_outnumber_units(seed: int) -> None:
    """Scarce units and a max travel make level 1 and forbidden pairs matter; LSA still ties."""
    pytest.importorskip("scipy")
    problem = replace(one_to_one_problem(20, 24, seed), max_travel=1500)
    outcome = solve_lsa(problem)
    assert outcome.evaluation is not None, outcome.note
    result = solve(problem, Deadline.after(5.0))
    assert result.report.status is Status.OPTIMAL
    assert sum(result.evaluation.unfilled) > 0
    assert outcome.evaluation.key() == result.evaluation.key()


def test_lsa_skips_an_instance_with_committed_units_and_coverage() -> None:
    """LSA cannot force committed units or count coverage, so it must not pretend to solve it."""
    outcome = solve_lsa(city_problem(50, 300, 1, coverage=True))
    assert outcome.skipped
    assert "coverage rules" in outcome.note and "committed units" in outcome.note


def test_one_to_one_variant_is_deterministic_and_one_to_one() -> None:
    """The variant keeps its seed's city and drops only what LSA cannot express."""
    first, again = one_to_one_problem(10, 50, 3), one_to_one_problem(10, 50, 3)
    assert not_one_to_one(first) == []
    assert np.array_equal(first.travel, again.travel)
    assert np.array_equal(first.travel, city_problem(10, 50, 3).travel)


def test_lsa_skipped_with_a_note_without_scipy(monkeypatch: pytest.MonkeyPatch) -> None:
    """scipy is only in the bench extra: its absence is a note, not a crash."""
    monkeypatch.setitem(sys.modules, "scipy.optimize", None)
    outcome = solve_lsa(one_to_one_problem(10, 50, 1))
    assert outcome.skipped and "scipy not installed" in outcome.note


def test_lsa_skips_costs_that_float64_would_round() -> None:
    """SciPy works in float64: huge integer costs would be rounded, so LSA declines them."""
    pytest.importorskip("scipy")
    problem = one_to_one_problem(10, 50, 1)
    problem = replace(problem, travel=problem.travel * 10**9)
    outcome = solve_lsa(problem)
    assert outcome.skipped and "float64" in outcome.note


def test_plot_skipped_with_a_note_without_matplotlib(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """matplotlib is only in the bench extra: the report says the plot is missing and why."""
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    sizes: list[dict[str, Any]] = [
        {"size": "1x1", "end_to_end_samples_ms": [1.0], "solver_only_samples_ms": [0.5]}
    ]
    note = write_plot(tmp_path / "latency.png", sizes)
    assert "matplotlib is not installed" in note
    assert not (tmp_path / "latency.png").exists()
