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
    far = np.iinfo(np.int64).max
    travel, limit = problem.travel, problem.max_travel
    delays = [problem.delay[m] for m in members]  # per capability, parallel to its members
    order = np.lexsort((np.arange(n_incidents), problem.priorities)).tolist()
    for i in order:
        needs = remaining[i]
        wanted = np.flatnonzero(needs > 0).tolist()
        if not wanted:
            continue
        for c in wanted:
            candidates = members[c]
            if not len(candidates):
                continue
            # Only this capability's units: a gather of a few hundred, not a 2,000-unit column.
            drive = travel[candidates, i]
            distance = drive + delays[c]
            usable = free[candidates] & (drive <= limit) if limit > 0 else free[candidates]
            distance = np.where(usable, distance, far)
            need = int(needs[c])
            if need == 1:
                best = int(distance.argmin())
                if distance[best] == far:
                    continue
                units = candidates[best : best + 1]
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
