"""Nearest capable unit, most urgent incident first: the last resort and the CAD baseline.

Committed units fill slots at their own incident first; then incidents are taken in priority
order (request order within a priority) and each open slot gets the nearest free unit with the
capability within max travel. No re-routing. Fast (one numpy argmin per slot), never optimal
by claim.
"""

from __future__ import annotations

import numpy as np

from solvers.assignment.model import AssignmentPlan, AssignmentProblem, UnitStatus


def solve_greedy(problem: AssignmentProblem) -> AssignmentPlan:
    """A valid plan in O(slots x units) numpy work."""
    plan = AssignmentPlan.empty(problem)
    incident, capability = plan.incident.copy(), plan.capability.copy()
    remaining = problem.requirements.astype(np.int64).copy()
    n_incidents = problem.n_incidents

    for u in np.flatnonzero(
        (problem.status != UnitStatus.AVAILABLE)
        & (problem.commitment >= 0)
        & (problem.commitment < n_incidents)
    ):
        i = int(problem.commitment[u])
        options = np.flatnonzero(problem.unit_capabilities[u] & (remaining[i] > 0))
        if len(options):
            c = int(options[0])
            capability[u] = c
            remaining[i, c] -= 1

    free = problem.status == UnitStatus.AVAILABLE
    by_incident = np.ascontiguousarray(problem.travel.T)  # one row per incident: fast slices
    capable = np.ascontiguousarray(problem.unit_capabilities.T)
    order = sorted(range(n_incidents), key=lambda i: (int(problem.priorities[i]), i))
    for i in order:
        for c in np.flatnonzero(remaining[i] > 0):
            candidates = free & capable[c]
            row = by_incident[i]
            if problem.max_travel > 0:
                candidates &= row <= problem.max_travel
            pool = np.flatnonzero(candidates)
            if not len(pool):
                continue
            take = min(int(remaining[i, c]), len(pool))
            nearest = pool[np.argsort(row[pool], kind="stable")[:take]]
            incident[nearest] = i
            capability[nearest] = c
            free[nearest] = False
            remaining[i, c] -= take
    return AssignmentPlan(incident, capability)
