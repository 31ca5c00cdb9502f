"""Why a requirement slot is unfilled, from cheap checks that are true of the plan.

The checks run in order and the first that holds is the reason:
no unit has the capability; every capable unit is committed (busy, en route without the
right to move there, out of service, or soon free while soon-free units are not allowed);
every unit that could go is beyond max travel; every unit that could go
went to a strictly more urgent incident; otherwise the solver simply did not fill it (a
heuristic plan, or units taken by equally or less urgent incidents).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np

from solvers.assignment.model import AssignmentPlan, AssignmentProblem, UnitStatus, status_in


class UnfilledReason(enum.Enum):
    """Mirrors dispatch.v1.UnfilledSlot.Reason."""

    NO_UNIT_WITH_CAPABILITY = "NO_UNIT_WITH_CAPABILITY"
    ALL_CAPABLE_UNITS_COMMITTED = "ALL_CAPABLE_UNITS_COMMITTED"
    TAKEN_BY_HIGHER_PRIORITY = "TAKEN_BY_HIGHER_PRIORITY"
    BEYOND_MAX_TRAVEL_TIME = "BEYOND_MAX_TRAVEL_TIME"
    NOT_FILLED_BY_SOLVER = "NOT_FILLED_BY_SOLVER"


@dataclass(frozen=True)
class Unfilled:
    """``count`` unfilled slots of ``capability`` at ``incident``."""

    incident: int
    capability: int
    count: int
    reason: UnfilledReason


def unfilled_slots(
    problem: AssignmentProblem, plan: AssignmentPlan, filled: dict[tuple[int, int], int]
) -> list[Unfilled]:
    """Every (incident, capability) with open slots and its reason, in incident order."""
    out: list[Unfilled] = []
    status, commitment = problem.status, problem.commitment
    free = problem.from_rest
    for i, c in zip(*np.nonzero(problem.requirements > 0), strict=True):
        i, c = int(i), int(c)
        missing = int(problem.requirements[i, c]) - filled.get((i, c), 0)
        if missing <= 0:
            continue
        capable = problem.unit_capabilities[:, c]
        movable = capable & free
        if problem.allow_reassignment:
            valid = commitment >= 0
            origin = np.where(valid, commitment, 0)
            movable |= (
                capable
                & status_in(status, (UnitStatus.EN_ROUTE,))
                & valid
                & (problem.priorities[origin] > problem.priorities[i])
            )
        if not capable.any():
            reason = UnfilledReason.NO_UNIT_WITH_CAPABILITY
        elif not movable.any():
            reason = UnfilledReason.ALL_CAPABLE_UNITS_COMMITTED
        else:
            reach = movable
            if problem.max_travel > 0:
                reach = movable & (problem.travel[:, i] <= problem.max_travel)
            if not reach.any():
                reason = UnfilledReason.BEYOND_MAX_TRAVEL_TIME
            else:
                went = plan.incident[reach]
                moved_away = (went >= 0) & (went != commitment[reach])
                taken = np.where(free[reach], went >= 0, moved_away)
                more_urgent = taken & (
                    problem.priorities[np.maximum(went, 0)] < problem.priorities[i]
                )
                if more_urgent.all():
                    reason = UnfilledReason.TAKEN_BY_HIGHER_PRIORITY
                else:
                    reason = UnfilledReason.NOT_FILLED_BY_SOLVER
        out.append(Unfilled(i, c, missing, reason))
    return out
