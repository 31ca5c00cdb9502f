"""Nearest capable unit, most urgent incident first: the last resort and the CAD baseline.

Committed units fill slots at their own incident first (``model.committed_slots``: an
en-route unit keeps its slot, so no free unit is sent on top of it); then incidents are taken
in priority order (request order within a priority) and each open slot gets the nearest free
unit with the capability within max travel. No re-routing. Fast (one numpy argmin per slot),
never optimal by claim.
"""

from __future__ import annotations

import numpy as np

from solvers.assignment.model import (
    AssignmentPlan,
    AssignmentProblem,
    UnitStatus,
    committed_slots,
)


def solve_greedy(problem: AssignmentProblem) -> AssignmentPlan:
    """A valid plan in O(slots x units) numpy work."""
    plan = AssignmentPlan.empty(problem)
    incident, capability = plan.incident.copy(), plan.capability.copy()
    remaining = problem.requirements.astype(np.int64).copy()
    n_incidents = problem.n_incidents
    # Committed units that count at their incident fill its slots before any free unit.
    forced = committed_slots(problem)
    for u in np.flatnonzero(forced >= 0).tolist():
        capability[u] = forced[u]
        remaining[int(problem.commitment[u]), forced[u]] -= 1

    if problem.n_units == 0:
        return AssignmentPlan(incident, capability)
    # free_capable[c, u]: unit u is still free and has capability c (updated as units go).
    free_capable = problem.unit_capabilities.T & (problem.status == UnitStatus.AVAILABLE)
    order = sorted(range(n_incidents), key=lambda i: (int(problem.priorities[i]), i))
    far = np.iinfo(np.int64).max
    for i in order:
        needs = remaining[i]
        wanted = np.flatnonzero(needs > 0).tolist()
        if not wanted:
            continue
        row = problem.travel[:, i]
        if problem.max_travel > 0:
            row = np.where(row <= problem.max_travel, row, far)
        for c in wanted:
            distance = np.where(free_capable[c], row, far)
            need = int(needs[c])
            if need == 1:
                u = int(distance.argmin())
                if distance[u] == far:
                    continue
                incident[u], capability[u] = i, c
                free_capable[:, u] = False
                needs[c] -= 1
                continue
            nearest = np.argsort(distance, kind="stable")[:need]
            nearest = nearest[distance[nearest] < far]
            if not len(nearest):
                continue
            incident[nearest] = i
            capability[nearest] = c
            free_capable[:, nearest] = False
            needs[c] -= len(nearest)
    return AssignmentPlan(incident, capability)
