"""SciPy's ``linear_sum_assignment`` as an exact peer of the service, where the instance allows.

Linear sum assignment pairs rows with columns at a fixed cost per pair. The service's objective
(solvers/assignment/FORMULATION.md) is that only when every choice is "this unit fills one slot
of this (incident, capability)" and nothing else counts:

* no coverage rules: shortfall depends on which units stay free, not on any single pair;
* no unit committed to an incident of the request: committed units are forced into their own
  incident's slots, a BUSY one arrives at ETA 0 and re-routing an EN_ROUTE one costs churn.
  Units that are busy elsewhere (commitment outside the request) just take no part.

Then rows = free units, columns = one per slot (a group of count k gives k columns; a unit
fills at most one slot by construction), and the cost of a pair is the service's own objective
for that slot, restated here from the contract rather than taken from ``solvers.assignment``
so that a shared mistake cannot hide:
``-bonus(level) * C1 + late * B(level) * C2 + w(p) * eta``, with ``bonus = levels + 1 - rank``
(most urgent level = rank 1), ``late`` = 1 when the level has a target and the ETA exceeds it,
``C2`` above any total weighted response, ``B(level) = prod over less urgent levels of
(1 + N)`` (``N`` = slots of that level that could be late) and ``C1 = C2 * prod over all levels
of (1 + N)``. Each weight outranks every possible total below it: filled slots per level first
(one bonus per level suffices because the sets of slots that can be filled together form a
transversal matroid), then slots within target per level, most urgent first (this needs the
geometric ``B``: which slots are in time depends on the pair, and one urgent slot in time can
cost any number of less urgent ones), then weighted response. A pair the contract forbids
(wrong capability, beyond max travel) costs 0, exactly what leaving the slot open costs, and is
dropped afterwards; every allowed pair costs less than 0, so the rectangular assignment is the
partial matching the service optimises. Its plan then goes through the service's independent
checker, and the checker's lexicographic key is what is compared. Where those weights exceed
float64's exact integers LSA declines with a note (it would round).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from solvers.assignment.checker import Evaluation, check_plan
from solvers.assignment.model import AssignmentPlan, AssignmentProblem, UnitStatus
from solvers.errors import PlanRejectedError

#: SciPy works in float64: costs, their sums and its dual potentials must stay integers it holds
#: exactly. A margin of 16 over the largest possible total cost is kept (a rounded answer would
#: still show up as a differing checked objective, never as a silent tie).
_EXACT_FLOAT = 2**53 // 16


def not_one_to_one(problem: AssignmentProblem) -> list[str]:
    """Why linear sum assignment would not solve this instance's objective (empty: it would).

    Each reason reads ``category: detail`` so that a report can count instances per category.
    """
    reasons = []
    if problem.coverage_rules:
        reasons.append(f"coverage rules: {len(problem.coverage_rules)}")
    committed = (
        (problem.status != UnitStatus.AVAILABLE)
        & (problem.commitment >= 0)
        & (problem.commitment < problem.n_incidents)
    )
    if committed.any():
        en_route = int((committed & (problem.status == UnitStatus.EN_ROUTE)).sum())
        busy = int(committed.sum()) - en_route
        reasons.append(f"committed units: {en_route} en route, {busy} busy at its incidents")
    return reasons


@dataclass(frozen=True)
class LsaOutcome:
    """One LSA solve: a checked plan and its times, or why there is none."""

    note: str = ""  # non-empty: skipped, and why
    plan: AssignmentPlan | None = None
    evaluation: Evaluation | None = None
    seconds: float = 0.0  # cost matrix + linear_sum_assignment + plan + checker
    scipy_seconds: float = 0.0  # the linear_sum_assignment call alone

    @property
    def skipped(self) -> bool:
        """True when LSA did not run."""
        return self.plan is None


def solve_lsa(problem: AssignmentProblem) -> LsaOutcome:
    """The LSA optimum of a one-to-one instance, checked; a skip note for any other instance."""
    reasons = not_one_to_one(problem)
    if reasons:
        return LsaOutcome(note="not one-to-one: " + "; ".join(reasons))
    try:
        from scipy.optimize import linear_sum_assignment
    except ImportError:
        return LsaOutcome(note="scipy not installed (pip install -e '.[bench]')")

    started = time.perf_counter()
    units = np.flatnonzero(problem.status == UnitStatus.AVAILABLE)
    groups = np.argwhere(problem.requirements > 0)  # (incident, capability), row-major
    counts = problem.requirements[groups[:, 0], groups[:, 1]]
    slot_incident = np.repeat(groups[:, 0], counts)
    slot_capability = np.repeat(groups[:, 1], counts)

    priorities = problem.priorities.astype(np.int64)
    needy = problem.requirements.sum(axis=1) > 0
    levels = sorted({int(p) for p in priorities[needy]})
    rank = {p: k + 1 for k, p in enumerate(levels)}
    max_priority = int(priorities.max()) if problem.n_incidents else 1
    bonus = np.array([len(levels) + 1 - rank[int(p)] for p in priorities[slot_incident]])
    weight = max_priority + 1 - priorities[slot_incident]
    target = problem.targets[slot_incident]

    eta = problem.travel[np.ix_(units, slot_incident)].astype(np.int64)
    allowed = problem.unit_capabilities[np.ix_(units, slot_capability)]
    if problem.max_travel > 0:
        allowed &= eta <= problem.max_travel
    late = (target > 0) & (eta > target)
    response = weight * eta
    pairs = min(len(units), len(slot_incident))
    c2 = pairs * (int(response[allowed].max()) if allowed.any() else 0) + 1
    # B per level, least urgent first: 1, then x (1 + N) for each level passed (Python ints).
    could_be_late = [
        min(len(units), int(((priorities[slot_incident] == p) & (target > 0)).sum()))
        for p in levels
    ]
    level_weight = {}
    product = 1
    for p, n in zip(reversed(levels), reversed(could_be_late), strict=True):
        level_weight[p] = product
        product *= 1 + n
    c1 = c2 * product
    if pairs * (len(levels) * c1 + product * c2) >= _EXACT_FLOAT:
        return LsaOutcome(note="costs beyond float64's exact integers: LSA would round")
    b = np.array([level_weight[int(p)] for p in priorities[slot_incident]], dtype=np.int64)
    cost = np.where(allowed, response + late * b * c2 - bonus * c1, 0).astype(np.float64)

    solve_started = time.perf_counter()
    rows, cols = linear_sum_assignment(cost)
    scipy_seconds = time.perf_counter() - solve_started

    keep = allowed[rows, cols]
    rows, cols = rows[keep], cols[keep]
    empty = AssignmentPlan.empty(problem)
    incident, capability = empty.incident.copy(), empty.capability.copy()
    incident[units[rows]] = slot_incident[cols]
    capability[units[rows]] = slot_capability[cols]
    plan = AssignmentPlan(incident, capability)
    try:
        evaluation = check_plan(problem, plan)
    except PlanRejectedError as exc:  # a finding about this peer (or the checker): report it
        return LsaOutcome(note=f"LSA plan rejected by the checker: {exc}")
    return LsaOutcome(
        plan=plan,
        evaluation=evaluation,
        seconds=time.perf_counter() - started,
        scipy_seconds=scipy_seconds,
    )
