"""Response targets first: the service's optimum equals an independent CP-SAT reference that
optimises the contract's levels one at a time, and greedy never beats it on the tuple of levels.

Levels (protos/dispatch/v1/emergency.proto): filled slots per priority; slots within target per
priority; weighted response; coverage shortfall; churn. The reference (cpsat_reference.py)
restates every rule from the contract and shares no code with the solvers.
"""

from __future__ import annotations

import numpy as np
import pytest
from assignment_cases import problems
from cpsat_reference import reference
from hypothesis import HealthCheck, given, settings

from benchmarks.assign.scenarios import city_problem
from solvers.assignment import AssignmentProblem, SolveSettings, check_plan, solve
from solvers.assignment.arcs import build_arcs
from solvers.assignment.flow import solve_flow
from solvers.assignment.network import Network
from solvers.budget import Deadline
from solvers.status import SolverFamily, Status

_SETTINGS = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


@_SETTINGS
@given(problems())
def test_service_optimum_equals_the_level_by_level_cpsat_reference(
    problem: AssignmentProblem,
) -> None:
    """Same tuple of levels as CP-SAT solving level 1, fixing it, level 2, ... (ties included),
    proven OPTIMAL; the reference's own plan scores its key in the checker too."""
    expected = reference(problem)
    assert check_plan(problem, expected.plan).key() == expected.key
    result = solve(problem, Deadline.after(10))
    assert result.evaluation.key() == expected.key
    assert result.report.status is Status.OPTIMAL


@_SETTINGS
@given(problems())
def test_churn_found_at_its_floor_scores_as_with_its_own_flow(problem: AssignmentProblem) -> None:
    """Where the flow so far already pays churn's floor on the optimal face of the levels above
    it (``Network.at_floor``), skipping churn's own flow gives the same tuple of levels as
    solving it. One level per flow: these small problems fit every level in one flow, where
    churn never stands alone."""
    arcs = build_arcs(problem)
    quick = solve_flow(problem, arcs, max_pack=1, use_matching=True)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Network, "at_floor", lambda *args: False)
        solved = solve_flow(problem, arcs, max_pack=1, use_matching=True)
    assert check_plan(problem, quick.plan).key() == check_plan(problem, solved.plan).key()


@_SETTINGS
@given(problems())
def test_one_level_per_flow_reaches_the_same_optimum(problem: AssignmentProblem) -> None:
    """Every level solved on the optimal face of the ones before (the path large requests take
    when the big-M weights of several levels would overflow int64) is exact too."""
    arcs = build_arcs(problem)
    staged = solve_flow(problem, arcs, max_pack=1)
    assert staged.complete
    assert all(len(names) == 1 for names in staged.stages)
    packed = solve_flow(problem, arcs)
    keys = [check_plan(problem, r.plan).key()[:3] for r in (staged, packed)]
    assert keys[0] == keys[1] == reference(problem).key[:3]


@_SETTINGS
@given(problems())
def test_greedy_never_beats_the_optimum_on_the_tuple_of_levels(problem: AssignmentProblem) -> None:
    """The fallback's levels, compared lexicographically, are never better than the optimum's."""
    greedy = solve(problem, Deadline.after(10), SolveSettings(family=SolverFamily.GREEDY))
    assert greedy.report.engine == "greedy"
    assert greedy.evaluation.key() >= reference(problem).key


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_city_scenarios_match_the_reference_and_beat_greedy(seed: int) -> None:
    """Generated cities (five priorities, targets, committed units, coverage): the optimum is
    the reference's and greedy is never lexicographically better."""
    problem = city_problem(12, 60, seed, coverage=True)
    expected = reference(problem)
    result = solve(problem, Deadline.after(10))
    greedy = solve(problem, Deadline.after(10), SolveSettings(family=SolverFamily.GREEDY))
    assert result.evaluation.key() == expected.key
    assert result.report.status is Status.OPTIMAL
    assert greedy.evaluation.key() >= expected.key


def test_one_p1_slot_in_time_outweighs_three_p2_slots_in_time() -> None:
    """The case that rules out small per-level bonuses for level 2 (levels.py): an alternating
    cycle where reaching the P1 call in time makes three P2 calls late. Small bonuses (2 per P1,
    1 per P2 slot in time) would prefer 3 > 2; the contract says P1 first."""
    # Units u, v, x, y; incidents a (P1), b, c, d (P2); target 100 everywhere.
    # In time: u->a, u->b, v->c, x->d. Late (200): v->b, x->c, y->d, y->a. Others impossible.
    never = 10_000
    travel = np.array(
        [
            [50, 50, never, never],
            [never, 200, 50, never],
            [never, never, 200, 50],
            [200, never, never, 200],
        ],
        dtype=np.int64,
    )
    problem = AssignmentProblem(
        unit_ids=("u", "v", "x", "y"),
        incident_ids=("a", "b", "c", "d"),
        capabilities=("ambulance",),
        unit_capabilities=np.ones((4, 1), dtype=bool),
        status=np.ones(4, dtype=np.int64),
        commitment=np.full(4, -1, dtype=np.int64),
        priorities=np.array([1, 2, 2, 2]),
        targets=np.full(4, 100, dtype=np.int64),
        requirements=np.ones((4, 1), dtype=np.int64),
        travel=travel,
        max_travel=1_000,
    )
    result = solve(problem, Deadline.after(5))
    assert result.plan.incident.tolist() == [0, 1, 2, 3]
    assert result.evaluation.within_target == (1, 0)
    assert result.evaluation.key() == reference(problem).key
