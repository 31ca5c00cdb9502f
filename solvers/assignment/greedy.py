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
    # Per capability, the units that have it and may be sent (ascending index), and their
    # response times (far beyond max travel) to the incidents needing it, one row per incident:
    # each slot then reads one contiguous row and masks the units taken (``free``), so a tie
    # still goes to the lowest unit index.
    free = problem.from_rest  # a fresh array on every read
    members, rows, row_of = _distance_rows(problem, free, remaining)
    far = np.iinfo(np.int64).max
    order = np.lexsort((np.arange(n_incidents), problem.priorities)).tolist()
    open_slots = remaining.tolist()
    for i in order:
        for c, need in enumerate(open_slots[i]):
            if need <= 0 or not len(members[c]):
                continue
            candidates = members[c]
            distance = np.where(free[candidates], rows[c][row_of[c][i]], far)
            if need == 1:
                best = int(distance.argmin())
                if distance[best] == far:
                    continue
                units = candidates[best : best + 1]
            else:
                picked = np.argsort(distance, kind="stable")[:need]
                units = candidates[picked[distance[picked] < far]]
            incident[units] = i
            capability[units] = c
            free[units] = False
    return AssignmentPlan(incident, capability)


def _distance_rows(
    problem: AssignmentProblem, free: np.ndarray, remaining: np.ndarray
) -> tuple[list[np.ndarray], list[np.ndarray], list[dict[int, int]]]:
    """Per capability: its sendable units, their response times (wait + travel + turnout; int64
    max beyond max travel) as one row per incident with open slots of it, and incident -> row."""
    far = np.iinfo(np.int64).max
    members, rows, row_of = [], [], []
    for c in range(problem.unit_capabilities.shape[1]):
        units = np.flatnonzero(problem.unit_capabilities[:, c] & free)
        needing = np.flatnonzero(remaining[:, c] > 0)
        drive = problem.travel[units][:, needing]
        distance = drive + problem.delay[units][:, None]
        if problem.max_travel > 0:
            distance[drive > problem.max_travel] = far
        members.append(units)
        rows.append(np.ascontiguousarray(distance.T))
        row_of.append(dict(zip(needing.tolist(), range(len(needing)), strict=True)))
    return members, rows, row_of
