"""Fallbacks, deadlines and honest statuses of the assignment portfolio."""

from __future__ import annotations

import numpy as np

from benchmarks.assign.scenarios import city_problem
from solvers.assignment import (
    AssignmentProblem,
    CoverageRule,
    SolveSettings,
    UnfilledReason,
    check_plan,
    solve,
)
from solvers.budget import Deadline
from solvers.status import SolverFamily, Status


def test_no_coverage_is_proven_optimal_by_the_flow() -> None:
    """Without coverage rules the flows alone answer (as SciPy matchings), OPTIMAL with a zero
    gap."""
    result = solve(city_problem(10, 50, seed=3), Deadline.after(5))
    assert result.report.engine == "scipy.lapjvsp"
    assert result.report.family is SolverFamily.SCIPY
    assert result.report.status is Status.OPTIMAL
    assert result.report.gap == 0.0
    assert result.report.fallback_reason == ""
    assert not result.report.degraded_reason


def test_ortools_by_name_solves_the_flows_with_ortools_to_the_same_optimum() -> None:
    """A caller asking for OR-Tools gets its min-cost flow, not the matching, and the same
    optimum, not flagged degraded."""
    problem = city_problem(10, 50, seed=3)
    auto = solve(problem, Deadline.after(5))
    ortools = solve(problem, Deadline.after(5), SolveSettings(family=SolverFamily.ORTOOLS))
    assert ortools.report.engine == "ortools.min_cost_flow"
    assert ortools.report.family is SolverFamily.ORTOOLS
    assert ortools.report.status is Status.OPTIMAL
    assert not ortools.report.degraded_reason
    assert ortools.evaluation.key() == auto.evaluation.key()


def test_flow_failure_falls_back_to_milp_with_the_same_optimum() -> None:
    """An injected min-cost-flow failure hands over to PuLP, whose plan is checked and equal."""
    problem = city_problem(10, 50, seed=4)
    reference = solve(problem, Deadline.after(5))
    result = solve(problem, Deadline.after(20), SolveSettings(faults=frozenset({"min_cost_flow"})))
    assert result.report.engine in ("pulp.highs", "pulp.cbc")
    assert "min_cost_flow: injected fault" in result.report.fallback_reason
    assert result.report.status is Status.OPTIMAL
    assert check_plan(problem, result.plan).key() == reference.evaluation.key()


def test_zero_cp_sat_budget_falls_back_to_milp_for_coverage() -> None:
    """CP-SAT given no time finds nothing for real; the MILP solves the same stage model."""
    problem = _coverage_case()
    reference = solve(problem, Deadline.after(10))
    assert reference.report.engine == "ortools.cp_sat"
    result = solve(problem, Deadline.after(10), SolveSettings(cp_sat_time_limit=0.0))
    assert result.report.engine in ("pulp.highs", "pulp.cbc")
    assert "ortools.cp_sat: no solution" in result.report.fallback_reason
    assert result.evaluation.key() == reference.evaluation.key()
    check_plan(problem, result.plan)


def test_every_exact_engine_failing_leaves_greedy() -> None:
    """With OR-Tools and MILP both failing the answer is greedy, FEASIBLE, and says why."""
    problem = city_problem(10, 50, seed=5)
    faults = frozenset({"min_cost_flow", "milp"})
    result = solve(problem, Deadline.after(5), SolveSettings(faults=faults))
    assert result.report.engine == "greedy"
    assert result.report.status is Status.FEASIBLE
    assert result.report.bound is None
    assert "milp" in result.report.fallback_reason
    check_plan(problem, result.plan)


def test_expired_deadline_answers_with_greedy() -> None:
    """No time at all still gives a checked plan rather than an error."""
    problem = city_problem(50, 300, seed=6)
    result = solve(problem, Deadline.after(0.0))
    assert result.report.engine == "greedy"
    assert "skipped" in result.report.fallback_reason
    check_plan(problem, result.plan)


def test_milp_selected_explicitly() -> None:
    """solver=MILP uses PuLP first and still proves the same optimum as the flow."""
    problem = city_problem(10, 50, seed=7)
    result = solve(problem, Deadline.after(20), SolveSettings(family=SolverFamily.MILP))
    assert result.report.family is SolverFamily.MILP
    assert result.report.status is Status.OPTIMAL
    assert result.evaluation.key() == solve(problem, Deadline.after(5)).evaluation.key()


def test_never_leaves_p1_slot_open_to_fill_p3() -> None:
    """The only ambulance goes to the P1 incident although the P3 one is next door."""
    problem = AssignmentProblem(
        unit_ids=("amb",),
        incident_ids=("p3", "p1"),
        capabilities=("ambulance",),
        unit_capabilities=np.array([[True]]),
        status=np.array([1]),
        commitment=np.array([-1]),
        priorities=np.array([3, 1]),
        targets=np.array([0, 0]),
        requirements=np.array([[1], [1]]),
        travel=np.array([[10, 3000]]),
    )
    result = solve(problem, Deadline.after(5))
    assert result.plan.incident.tolist() == [1]
    assert result.evaluation.unfilled == (0, 1)


def test_en_route_unit_rerouted_to_more_urgent_incident() -> None:
    """With allow_reassignment an en-route unit leaves a P3 call for an otherwise empty P1."""
    problem = AssignmentProblem(
        unit_ids=("amb",),
        incident_ids=("p3", "p1"),
        capabilities=("ambulance",),
        unit_capabilities=np.array([[True]]),
        status=np.array([2]),
        commitment=np.array([0]),
        priorities=np.array([3, 1]),
        targets=np.array([0, 0]),
        requirements=np.array([[1], [1]]),
        travel=np.array([[10, 200]]),
        allow_reassignment=True,
    )
    result = solve(problem, Deadline.after(5))
    assert result.plan.incident.tolist() == [1]
    assert result.evaluation.churn == 1


def _coverage_case() -> AssignmentProblem:
    """Two equally good ambulances for one call, each the only cover of its own district: any
    optimal flow leaves a shortfall of 1, so the coverage stage always runs."""
    return AssignmentProblem(
        unit_ids=("near_d0", "near_d1"),
        incident_ids=("call",),
        capabilities=("ambulance",),
        unit_capabilities=np.array([[True], [True]]),
        status=np.array([1, 1]),
        commitment=np.array([-1, -1]),
        priorities=np.array([1]),
        targets=np.array([0]),
        requirements=np.array([[1]]),
        travel=np.array([[100], [100]]),
        district_ids=("d0", "d1"),
        unit_to_district=np.array([[50, 900], [900, 50]]),
        coverage_rules=(CoverageRule(0, 0, 1, 300), CoverageRule(1, 0, 1, 300)),
    )


def test_coverage_breaks_ties_between_equal_response_plans() -> None:
    """Of two equally fast units, the one whose district keeps other cover is sent."""
    problem = AssignmentProblem(
        unit_ids=("lone_d0", "spare_d1", "cover_d1"),
        incident_ids=("call",),
        capabilities=("ambulance",),
        unit_capabilities=np.array([[True], [True], [True]]),
        status=np.array([1, 1, 1]),
        commitment=np.array([-1, -1, -1]),
        priorities=np.array([1]),
        targets=np.array([0]),
        requirements=np.array([[1]]),
        travel=np.array([[100], [100], [400]]),
        district_ids=("d0", "d1"),
        unit_to_district=np.array([[50, 900], [900, 50], [900, 60]]),
        coverage_rules=(CoverageRule(0, 0, 1, 300), CoverageRule(1, 0, 1, 300)),
    )
    result = solve(problem, Deadline.after(10))
    assert result.plan.incident.tolist() == [-1, 0, -1]
    assert result.evaluation.coverage_shortfall == 0
    assert result.report.status is Status.OPTIMAL


def test_objective_too_large_for_int64_falls_back_to_a_checked_greedy_plan() -> None:
    """Priorities near 2**31 with 2**40-second trips (far beyond the contract's bounds, reachable
    only as a library caller) cannot be weighed exactly in int64: the exact engines decline
    instead of overflowing silently, and greedy answers."""
    problem = AssignmentProblem(
        unit_ids=("u0", "u1"),
        incident_ids=("urgent", "routine"),
        capabilities=("a",),
        unit_capabilities=np.array([[True], [True]]),
        status=np.array([1, 1]),
        commitment=np.array([-1, -1]),
        priorities=np.array([1, 2**31 - 1]),
        targets=np.array([60, 0]),
        requirements=np.array([[1], [1]]),
        travel=np.array([[2**40, 5], [7, 2**40]], dtype=np.int64),
    )
    result = solve(problem, Deadline.after(5))
    assert result.report.engine == "greedy"
    assert "int64" in result.report.fallback_reason
    assert result.evaluation.unfilled == (0, 0)


def test_no_units_at_all_is_data_not_an_error() -> None:
    """An empty fleet answers with every slot unfilled for NO_UNIT_WITH_CAPABILITY, whatever
    engine is chosen."""
    problem = AssignmentProblem(
        unit_ids=(),
        incident_ids=("call",),
        capabilities=("a",),
        unit_capabilities=np.zeros((0, 1), dtype=bool),
        status=np.zeros(0, dtype=np.int64),
        commitment=np.zeros(0, dtype=np.int64),
        priorities=np.array([1]),
        targets=np.array([0]),
        requirements=np.array([[2]]),
        travel=np.zeros((0, 1), dtype=np.int64),
    )
    for family in (SolverFamily.AUTO, SolverFamily.MILP, SolverFamily.GREEDY):
        result = solve(problem, Deadline.after(5), SolveSettings(family=family))
        assert [(u.count, u.reason) for u in result.unfilled] == [
            (2, UnfilledReason.NO_UNIT_WITH_CAPABILITY)
        ]


def test_same_problem_same_plan() -> None:
    """Solving twice (flow, then CP-SAT on the coverage stage) gives the identical plan, so a
    CAD replaying an event sees the same dispatch."""
    problem = city_problem(50, 300, seed=20, coverage=True)  # one that needs the CP-SAT stage
    first = solve(problem, Deadline.after(5), SolveSettings(seed=7, deterministic=True))
    second = solve(problem, Deadline.after(5), SolveSettings(seed=7, deterministic=True))
    assert first.report.engine == "ortools.cp_sat"
    assert first.plan.incident.tolist() == second.plan.incident.tolist()
    assert first.plan.capability.tolist() == second.plan.capability.tolist()


def test_greedy_for_want_of_time_is_flagged_degraded() -> None:
    """A deadline with no room for the flow gets the checked greedy plan, flagged degraded with
    the cause (the contract: a fallback engine's answer is weaker than usual)."""
    result = solve(city_problem(10, 50, seed=3), Deadline.after(-1.0))
    assert result.report.engine == "greedy"
    assert result.report.degraded
    assert "fallback greedy" in result.report.degraded_reason


def test_first_choice_answers_are_not_degraded() -> None:
    """The proven flow answer, and greedy asked for by name, are what the caller asked for: not
    degraded."""
    problem = city_problem(10, 50, seed=3)
    exact = solve(problem, Deadline.after(5))
    chosen = solve(problem, Deadline.after(5), SolveSettings(family=SolverFamily.GREEDY))
    assert exact.report.status is Status.OPTIMAL and not exact.report.degraded
    assert chosen.report.engine == "greedy" and not chosen.report.degraded


def test_milp_fallback_after_a_flow_failure_is_degraded() -> None:
    """An injected min-cost-flow failure: the MILP's plan is optimal, but from a fallback."""
    problem = city_problem(10, 50, seed=4)
    result = solve(problem, Deadline.after(20), SolveSettings(faults=frozenset({"min_cost_flow"})))
    assert result.report.engine in ("pulp.highs", "pulp.cbc")
    assert result.report.degraded_reason == f"answered by the fallback {result.report.engine}"
