"""With the unit lifecycle (statuses, waits, turnouts, soon-free switch, first-unit targets) the
service's optimum still equals independent references, greedy never beats it, and the checker
enforces the new rules on arbitrary plans."""

from __future__ import annotations

import numpy as np
from assignment_cases import brute_force
from cpsat_reference import reference
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lifecycle_cases import lifecycle_problems

from solvers.assignment import AssignmentPlan, AssignmentProblem, SolveSettings, solve
from solvers.assignment.checker import check_plan
from solvers.assignment.kpis import kpis
from solvers.budget import Deadline
from solvers.errors import PlanRejectedError
from solvers.status import SolverFamily, Status

_SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_SOON = (5, 6, 7)


@_SETTINGS
@given(lifecycle_problems())
def test_service_optimum_equals_the_cpsat_reference(problem: AssignmentProblem) -> None:
    """Flow (+ CP-SAT for coverage) reaches the level-by-level CP-SAT optimum, OPTIMAL."""
    result = solve(problem, Deadline.after(20), SolveSettings(cp_sat_workers=1))
    assert result.report.status is Status.OPTIMAL
    assert result.evaluation.key() == reference(problem).key


@_SETTINGS
@given(lifecycle_problems(tight=True, crowded=True))
def test_first_unit_targets_are_optimised_exactly(problem: AssignmentProblem) -> None:
    """Crowded cases with few distinct times, where which unit arrives first at a requirement
    often decides its first-unit target: still the reference optimum."""
    result = solve(problem, Deadline.after(20), SolveSettings(cp_sat_workers=1))
    assert result.evaluation.key() == reference(problem).key


@_SETTINGS
@given(lifecycle_problems(max_units=5, coverage=False))
def test_service_optimum_equals_brute_force(problem: AssignmentProblem) -> None:
    """Every plan enumerated and scored by the checker: none beats the service's."""
    result = solve(problem, Deadline.after(20))
    assert result.evaluation.key() == brute_force(problem).key()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lifecycle_problems())
def test_staged_milp_agrees_with_the_flow(problem: AssignmentProblem) -> None:
    """The MILP fallback reads the same arcs (lead and rest slots, wait and turnout)."""
    flow = solve(problem, Deadline.after(20), SolveSettings(family=SolverFamily.ORTOOLS))
    milp = solve(problem, Deadline.after(20), SolveSettings(family=SolverFamily.MILP))
    assert milp.report.family is SolverFamily.MILP
    assert milp.evaluation.key() == flow.evaluation.key()


@_SETTINGS
@given(lifecycle_problems())
def test_greedy_never_beats_the_reference_optimum(problem: AssignmentProblem) -> None:
    """Greedy's plan is valid and its levels, compared in rank order, never beat the optimum."""
    greedy = solve(problem, Deadline.after(20), SolveSettings(family=SolverFamily.GREEDY))
    assert greedy.report.engine == "greedy"
    assert check_plan(problem, greedy.plan).key() == greedy.evaluation.key()
    assert reference(problem).key <= greedy.evaluation.key()


@_SETTINGS
@given(lifecycle_problems())
def test_reported_arrivals_add_up_to_the_checked_levels(problem: AssignmentProblem) -> None:
    """Per-arrival within-target flags (first unit judged on its own target) sum to the
    checker's slots within target, and each ETA is wait + travel + turnout."""
    result = solve(problem, Deadline.after(20))
    outcome = kpis(problem, result.plan, result.unfilled, result.evaluation)
    within = sum(a.within_target for inc in outcome.incidents for a in inc.arrivals if a.fills_slot)
    assert within == sum(result.evaluation.within_target)
    for incident in outcome.incidents:
        for a in incident.arrivals:
            if not a.already_committed:
                assert a.eta == a.wait + a.turnout + int(problem.travel[a.unit, a.incident])


@st.composite
def _any_plan(draw: st.DrawFn) -> tuple[AssignmentProblem, AssignmentPlan]:
    """A lifecycle problem and an arbitrary plan (each unit somewhere or nowhere)."""
    problem = draw(lifecycle_problems(coverage=False))
    incident = np.array(
        [draw(st.integers(-1, problem.n_incidents - 1)) for _ in range(problem.n_units)]
    )
    capability = np.array(
        [-1 if i < 0 else draw(st.integers(-1, 1)) for i in incident.tolist()], dtype=np.int64
    )
    return problem, AssignmentPlan(incident.astype(np.int64), capability)


@settings(max_examples=300, deadline=None)
@given(_any_plan())
def test_checker_accepts_only_plans_that_follow_the_lifecycle(
    case: tuple[AssignmentProblem, AssignmentPlan],
) -> None:
    """Out-of-service units are never sent, soon-free ones only with the switch, and the
    recomputed response includes each sent unit's wait and turnout."""
    problem, plan = case
    try:
        evaluation = check_plan(problem, plan)
    except PlanRejectedError:
        return
    sent = plan.incident >= 0
    assert not np.any(sent & (problem.status == 8))
    if not problem.allow_soon_free:
        assert not np.any(sent & np.isin(problem.status, _SOON))
    top = int(problem.priorities.max())
    expected = 0
    for u in np.flatnonzero(plan.capability >= 0).tolist():
        i = int(plan.incident[u])
        if problem.status[u] == 3 and problem.commitment[u] == i:
            eta = 0
        elif problem.status[u] == 2:
            eta = int(problem.travel[u, i])
        else:
            eta = int(problem.wait[u] + problem.turnout[u] + problem.travel[u, i])
        expected += (top + 1 - int(problem.priorities[i])) * eta
    assert evaluation.weighted_response == expected
