"""The exact engines agree with brute force and with each other on small random problems."""

from __future__ import annotations

from assignment_cases import brute_force, problems
from hypothesis import HealthCheck, given, settings

from benchmarks.assign.scenarios import city_problem
from solvers.assignment import AssignmentProblem, SolveSettings, check_plan, solve
from solvers.assignment.arcs import build_arcs
from solvers.assignment.flow import solve_flow
from solvers.assignment.milp import solve_staged_milp
from solvers.budget import Deadline
from solvers.status import SolverFamily, Status

_SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@_SETTINGS
@given(problems(coverage=False))
def test_min_cost_flow_matches_brute_force(problem: AssignmentProblem) -> None:
    """One flow with level bonuses must reach the lexicographic optimum, ties included."""
    result = solve_flow(problem, build_arcs(problem))
    assert check_plan(problem, result.plan).key() == brute_force(problem).key()


@_SETTINGS
@given(problems(coverage=True))
def test_auto_with_coverage_matches_brute_force(problem: AssignmentProblem) -> None:
    """Flow + CP-SAT on the optimal face must be exact for coverage and churn too."""
    result = solve(problem, Deadline.after(10), SolveSettings(cp_sat_workers=1))
    assert result.evaluation.key() == brute_force(problem).key()
    assert result.report.status is Status.OPTIMAL


@_SETTINGS
@given(problems())
def test_milp_agrees_with_ortools(problem: AssignmentProblem) -> None:
    """The staged MILP (HiGHS) and the OR-Tools path reach the same objective vector."""
    ortools = solve(problem, Deadline.after(10), SolveSettings(family=SolverFamily.ORTOOLS))
    arcs = build_arcs(problem)
    milp = solve_staged_milp(problem, arcs, Deadline.after(10), "pulp.highs")
    assert milp.status is Status.OPTIMAL
    assert check_plan(problem, arcs.plan(problem, milp.used)).key() == ortools.evaluation.key()


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(max_units=4))
def test_cbc_agrees_with_highs(problem: AssignmentProblem) -> None:
    """CBC (the engine without highspy) reaches the same optimum as the OR-Tools path."""
    ortools = solve(problem, Deadline.after(10))
    arcs = build_arcs(problem)
    milp = solve_staged_milp(problem, arcs, Deadline.after(20), "pulp.cbc")
    # Proven first: a stage CBC left unproven keeps an earlier stage's plan, which is a
    # different failure from a wrong optimum (one CI run saw 620 against 440 once).
    assert milp.status is Status.OPTIMAL, f"CBC proved {milp.stages_proven} stages"
    assert check_plan(problem, arcs.plan(problem, milp.used)).key() == ortools.evaluation.key()


@_SETTINGS
@given(problems())
def test_greedy_is_valid_and_never_better_than_optimal(problem: AssignmentProblem) -> None:
    """Greedy passes the checker and its objective is never lexicographically better."""
    greedy = solve(problem, Deadline.after(10), SolveSettings(family=SolverFamily.GREEDY))
    optimal = solve(problem, Deadline.after(10))
    assert greedy.report.engine == "greedy"
    assert greedy.report.status is Status.FEASIBLE
    assert optimal.evaluation.key() <= greedy.evaluation.key()


@_SETTINGS
@given(problems(max_units=6, crowded=True))
def test_pruned_arcs_keep_the_optimum(problem: AssignmentProblem) -> None:
    """More units than slots, so nearest-unit pruning is active: still the brute-force optimum,
    with coverage too."""
    result = solve(problem, Deadline.after(10))
    assert result.evaluation.key() == brute_force(problem).key()


def test_pruning_changes_no_objective_on_city_scenarios() -> None:
    """At 50 x 300 (about half the arcs pruned) both graphs reach the same optimum."""
    for seed in range(1, 4):
        problem = city_problem(50, 300, seed, coverage=True)
        full, pruned = build_arcs(problem, prune=False), build_arcs(problem)
        assert pruned.n_arcs < full.n_arcs
        keys = [check_plan(problem, solve_flow(problem, a).plan).key() for a in (full, pruned)]
        assert keys[0] == keys[1]
