"""Nearest capable unit, most urgent incident first: the last resort and the CAD baseline.

Committed units fill slots at their own incident first (``model.committed_slots``: an
en-route unit keeps its slot, so no free unit is sent on top of it); then incidents are taken
in priority order (request order within a priority) and each open slot gets the unit with the
capability that arrives first: free units and, when allowed, soon-free ones, ranked by the same
response time the exact engines use (wait + travel + turnout), within max travel (on the
travel part). No re-routing. Fast (one numpy argmin per slot), never optimal by claim.
"""

from __future__ import annotations

import numpy as np

from solvers.assignment.model import AssignmentPlan, AssignmentProblem, committed_slots


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
    # Per capability, the units that have it and may be sent (ascending index); ``free`` marks
    # those not yet taken. Each slot looks only at its capability's units: one gather, one
    # argmin (argsort for several slots), so a tie still goes to the lowest unit index.
    free = problem.from_rest  # a fresh array on every read
    members = [
        np.flatnonzero(problem.unit_capabilities[:, c] & free)
        for c in range(problem.unit_capabilities.shape[1])
    ]
    delay = problem.delay
    order = np.lexsort((np.arange(n_incidents), problem.priorities)).tolist()
    far = np.iinfo(np.int64).max
    for i in order:
        needs = remaining[i]
        wanted = np.flatnonzero(needs > 0).tolist()
        if not wanted:
            continue
        travel = problem.travel[:, i]
        row = travel + delay
        if problem.max_travel > 0:
            row = np.where(travel <= problem.max_travel, row, far)
        for c in wanted:
            candidates = members[c]
            if not len(candidates):
                continue
            distance = np.where(free[candidates], row[candidates], far)
            need = int(needs[c])
            if need == 1:
                picked = np.array([distance.argmin()])
            else:
                picked = np.argsort(distance, kind="stable")[:need]
            units = candidates[picked[distance[picked] < far]]
            if not len(units):
                continue
            incident[units] = i
            capability[units] = c
            free[units] = False
            needs[c] -= len(units)
    return AssignmentPlan(incident, capability)
