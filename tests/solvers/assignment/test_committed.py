"""Committed en-route units count towards their incident in every engine (no double dispatch)."""

from __future__ import annotations

import numpy as np
import pytest
from assignment_cases import brute_force

from solvers.assignment import AssignmentPlan, AssignmentProblem, SolveSettings, check_plan, solve
from solvers.assignment.arcs import build_arcs
from solvers.assignment.flow import solve_flow
from solvers.assignment.greedy import solve_greedy
from solvers.assignment.milp import milp_engine, solve_staged_milp
from solvers.budget import Deadline
from solvers.errors import PlanRejectedError
from solvers.status import SolverFamily

AVAILABLE, EN_ROUTE = 1, 2


def problem_of(
    status: list[int],
    commitment: list[int],
    travel: list[list[int]],
    priorities: list[int],
    requirements: list[list[int]],
    allow_reassignment: bool = False,
) -> AssignmentProblem:
    n_units, n_incidents = len(status), len(priorities)
    return AssignmentProblem(
        unit_ids=tuple(f"u{u}" for u in range(n_units)),
        incident_ids=tuple(f"i{i}" for i in range(n_incidents)),
        capabilities=("ambulance",),
        unit_capabilities=np.ones((n_units, 1), dtype=bool),
        status=np.array(status, dtype=np.int64),
        commitment=np.array(commitment, dtype=np.int64),
        priorities=np.array(priorities, dtype=np.int64),
        targets=np.zeros(n_incidents, dtype=np.int64),
        requirements=np.array(requirements, dtype=np.int64),
        travel=np.array(travel, dtype=np.int64),
        allow_reassignment=allow_reassignment,
    )


def plans(problem: AssignmentProblem) -> dict[str, AssignmentPlan]:
    """The plan of every engine, each run on its own."""
    arcs = build_arcs(problem)
    staged = solve_staged_milp(problem, arcs, Deadline.after(10), milp_engine())
    out = {
        "flow": solve_flow(problem, arcs).plan,
        "milp": arcs.plan(problem, staged.used),
        "greedy": solve_greedy(problem),
    }
    for family in (SolverFamily.AUTO, SolverFamily.ORTOOLS, SolverFamily.MILP):
        out[family.name] = solve(problem, Deadline.after(10), SolveSettings(family=family)).plan
    return out


def test_en_route_unit_keeps_its_slot_and_the_nearer_free_unit_stays_free() -> None:
    """u0 drives to i0 from 600 s away; free u1 is 60 s away. u0 keeps the slot, u1 stays free."""
    problem = problem_of([EN_ROUTE, AVAILABLE], [0, -1], [[600], [60]], [1], [[1]])
    for engine, plan in plans(problem).items():
        assert plan.incident.tolist() == [0, -1], engine
        assert plan.capability.tolist() == [0, -1], engine
        evaluation = check_plan(problem, plan)
        assert evaluation.committed_idle == 0, engine
        assert evaluation.key() == brute_force(problem).key(), engine


@pytest.mark.parametrize("free_unit", [True, False])
def test_en_route_unit_rerouted_to_more_urgent_incident_and_home_slot_refilled(
    free_unit: bool,
) -> None:
    """i1 (priority 1) needs an ambulance only u0, en route to i0 (priority 2), can reach in
    time (u1 is beyond max travel there): u0 is re-routed, and free u1 refills i0's slot."""
    status = [EN_ROUTE, AVAILABLE] if free_unit else [EN_ROUTE]
    commitment = [0, -1] if free_unit else [0]
    travel = [[100, 50], [80, 900]] if free_unit else [[100, 50]]
    problem = problem_of(status, commitment, travel, [2, 1], [[1], [1]], allow_reassignment=True)
    problem = AssignmentProblem(**{**problem.__dict__, "max_travel": 500})
    best = brute_force(problem)
    assert best.unfilled == (0, 0 if free_unit else 1)
    for engine, plan in plans(problem).items():
        evaluation = check_plan(problem, plan)
        if engine == "greedy":  # no re-routing in greedy: u0 keeps its own slot
            assert plan.incident.tolist()[0] == 0, engine
            continue
        assert plan.incident.tolist() == ([1, 0] if free_unit else [1]), engine
        assert evaluation.churn == 1, engine
        assert evaluation.key() == best.key(), engine


def test_checker_rejects_a_forced_committed_unit_left_without_slot() -> None:
    """The old double dispatch: the free unit takes the slot and the en-route unit fills none."""
    problem = problem_of([EN_ROUTE, AVAILABLE], [0, -1], [[600], [60]], [1], [[1]])
    double = AssignmentPlan(np.array([0, 0]), np.array([-1, 0]))
    with pytest.raises(PlanRejectedError, match="fills no slot"):
        check_plan(problem, double)
    idle = AssignmentPlan(np.array([0, -1]), np.array([-1, -1]))
    with pytest.raises(PlanRejectedError, match="fills no slot"):
        check_plan(problem, idle)
    check_plan(problem, AssignmentPlan(np.array([0, -1]), np.array([0, -1])))


def test_extra_committed_units_beyond_the_slots_may_stay_idle() -> None:
    """Two en-route units, one slot: the nearer one is forced, the other fills no slot."""
    problem = problem_of([EN_ROUTE, EN_ROUTE], [0, 0], [[300], [200]], [1], [[1]])
    for engine, plan in plans(problem).items():
        assert plan.capability.tolist() == [-1, 0], engine
        assert check_plan(problem, plan).committed_idle == 1, engine
    with pytest.raises(PlanRejectedError):
        check_plan(problem, AssignmentPlan(np.array([0, 0]), np.array([0, -1])))
