"""Each unfilled-slot reason is reported exactly when its cheap check holds."""

from __future__ import annotations

import numpy as np

from solvers.assignment import AssignmentProblem, SolveSettings, UnfilledReason, solve
from solvers.budget import Deadline
from solvers.status import SolverFamily


def two_calls(
    status: int = 1,
    commitment: int = -1,
    caps: tuple[bool, bool] = (True, False),
    max_travel: int = 0,
    allow_reassignment: bool = False,
    priorities: tuple[int, int] = (1, 2),
    travel: tuple[int, int] = (100, 100),
) -> AssignmentProblem:
    """One unit, two incidents each needing one 'a'; capability 'b' needed by nobody."""
    return AssignmentProblem(
        unit_ids=("u",),
        incident_ids=("first", "second"),
        capabilities=("a", "b"),
        unit_capabilities=np.array([caps]),
        status=np.array([status]),
        commitment=np.array([commitment]),
        priorities=np.array(priorities),
        targets=np.array([0, 0]),
        requirements=np.array([[1, 0], [1, 0]]),
        travel=np.array([travel]),
        max_travel=max_travel,
        allow_reassignment=allow_reassignment,
    )


def reasons(problem: AssignmentProblem, family: SolverFamily = SolverFamily.AUTO) -> dict:
    """Incident index -> reason of its unfilled slots."""
    result = solve(problem, Deadline.after(5), SolveSettings(family=family))
    return {slot.incident: slot.reason for slot in result.unfilled}


def test_no_unit_with_capability() -> None:
    """Nobody has 'a'."""
    assert reasons(two_calls(caps=(False, True))) == {
        0: UnfilledReason.NO_UNIT_WITH_CAPABILITY,
        1: UnfilledReason.NO_UNIT_WITH_CAPABILITY,
    }


def test_all_capable_units_committed() -> None:
    """The only capable unit is busy elsewhere (outside the request)."""
    assert reasons(two_calls(status=3)) == {
        0: UnfilledReason.ALL_CAPABLE_UNITS_COMMITTED,
        1: UnfilledReason.ALL_CAPABLE_UNITS_COMMITTED,
    }


def test_beyond_max_travel() -> None:
    """The free unit is too far from the second call and takes the first."""
    problem = two_calls(priorities=(1, 1), travel=(100, 500), max_travel=300)
    assert reasons(problem) == {1: UnfilledReason.BEYOND_MAX_TRAVEL_TIME}


def test_taken_by_higher_priority() -> None:
    """The one unit goes to the P1 call; the P2 call's slot says why it is empty."""
    assert reasons(two_calls()) == {1: UnfilledReason.TAKEN_BY_HIGHER_PRIORITY}


def test_equal_priority_competition_is_not_blamed_on_priority() -> None:
    """Two equally urgent calls, one unit: the loser is NOT_FILLED_BY_SOLVER, not 'higher'."""
    assert set(reasons(two_calls(priorities=(2, 2))).values()) == {
        UnfilledReason.NOT_FILLED_BY_SOLVER
    }


def test_en_route_unit_that_may_not_move_is_committed() -> None:
    """Without allow_reassignment an en-route unit counts only where it is going."""
    problem = two_calls(status=2, commitment=1)
    assert reasons(problem) == {0: UnfilledReason.ALL_CAPABLE_UNITS_COMMITTED}
