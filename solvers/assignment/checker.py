"""Independent re-verification of an assignment plan and recomputation of its objective.

Written apart from the solvers on purpose: it reads only the problem and the plan, re-derives
every rule with plain loops from the contract's wording, and shares no code with ``arcs.py``
or any solver. A plan that breaks a rule raises PlanRejectedError; the service then falls back
and never returns it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solvers.assignment.model import AssignmentPlan, AssignmentProblem, UnitStatus
from solvers.errors import PlanRejectedError

_LATE_WEIGHT = 1000  # restated from the contract rather than imported from the solvers' model


@dataclass(frozen=True)
class CoverageResult:
    """One coverage rule after the dispatch."""

    required: int
    available: int

    @property
    def shortfall(self) -> int:
        """Units missing to meet the rule."""
        return max(0, self.required - self.available)


@dataclass(frozen=True)
class Evaluation:
    """Every objective level of a valid plan, as recomputed by the checker."""

    levels: tuple[int, ...]  # priorities, most urgent first
    required: tuple[int, ...]  # slots per level
    filled: tuple[int, ...]  # filled slots per level
    committed_idle: int  # informational: committed units that fill no slot
    weighted_lateness: int
    weighted_response: int
    coverage: tuple[CoverageResult, ...]
    churn: int
    slots_filled: dict[tuple[int, int], int]  # (incident, capability) -> filled

    @property
    def response_cost(self) -> int:
        """Levels 2+3: sum of w(p) * (1000 * lateness + eta)."""
        return _LATE_WEIGHT * self.weighted_lateness + self.weighted_response

    @property
    def coverage_shortfall(self) -> int:
        """Level 4."""
        return sum(rule.shortfall for rule in self.coverage)

    @property
    def unfilled(self) -> tuple[int, ...]:
        """Unfilled slots per level."""
        return tuple(r - f for r, f in zip(self.required, self.filled, strict=True))

    def key(self) -> tuple[object, ...]:
        """Lexicographic key: smaller is better."""
        return (
            self.unfilled,
            self.response_cost,
            self.coverage_shortfall,
            self.churn,
        )

    def terms(self) -> dict[str, float]:
        """Named terms for SolveInfo.objective_terms."""
        terms: dict[str, float] = {}
        for level, unfilled in zip(self.levels, self.unfilled, strict=True):
            terms[f"unfilled_slots_p{level}"] = float(unfilled)
        terms["committed_units_idle"] = float(self.committed_idle)
        terms["weighted_lateness"] = float(self.weighted_lateness)
        terms["weighted_response"] = float(self.weighted_response)
        terms["response_cost"] = float(self.response_cost)
        terms["coverage_shortfall"] = float(self.coverage_shortfall)
        terms["churn"] = float(self.churn)
        return terms


def _must_fill(problem: AssignmentProblem) -> set[int]:
    """Committed units that count at their incident and so must fill a slot (or, EN_ROUTE with
    allow_reassignment, be re-routed to a strictly more urgent incident).

    Restated from the contract: a BUSY or EN_ROUTE unit committed to an incident of the request
    with a capability it requires counts there. If more such units could stay than there are
    slots, a largest set that fits counts, preferring BUSY units, then shorter ETA, then lower
    index (taking units in that order, each kept when all kept ones still fit the slots).
    """
    n_incidents = len(problem.incident_ids)
    n_caps = len(problem.capabilities)
    out: set[int] = set()
    committed_by_incident: dict[int, list[int]] = {}
    statuses, commitments = problem.status.tolist(), problem.commitment.tolist()
    for u, (status, x) in enumerate(zip(statuses, commitments, strict=True)):
        if status != UnitStatus.AVAILABLE and 0 <= x < n_incidents:
            committed_by_incident.setdefault(int(x), []).append(u)
    for x, units in committed_by_incident.items():
        slots = [int(problem.requirements[x, c]) for c in range(n_caps)]
        members = []
        for u in units:
            status = int(problem.status[u])
            caps = [c for c in range(n_caps) if slots[c] > 0 and problem.unit_capabilities[u, c]]
            if not caps:
                continue
            eta = 0 if status == UnitStatus.BUSY else int(problem.travel[u, x])
            members.append((0 if status == UnitStatus.BUSY else 1, eta, u, caps))
        members.sort(key=lambda m: m[:3])
        kept: list[list[int]] = []  # capabilities of each kept unit
        where: list[int] = []  # the slot capability each kept unit holds
        for member in members:
            if _augmented(kept, where, member[3], slots):
                kept.append(member[3])
                out.add(member[2])
    return out


def _augmented(kept: list[list[int]], where: list[int], caps: list[int], slots: list[int]) -> bool:
    """Breadth-first search for a chain of moves that frees a slot for a unit with ``caps``;
    applies it (appending the new unit's slot to ``where``) and says whether it exists."""
    used = [0] * len(slots)
    for c in where:
        used[c] += 1
    parent: dict[int, tuple[int, int]] = {}  # capability -> (previous capability, kept unit)
    queue = []
    for c in caps:
        if c not in parent:
            parent[c] = (-1, -1)
            queue.append(c)
    head = 0
    while head < len(queue):
        c = queue[head]
        head += 1
        if used[c] < slots[c]:
            where.append(-1)
            new_slot = c
            while True:
                previous, k = parent[new_slot]
                if k < 0:
                    where[-1] = new_slot
                    return True
                where[k] = new_slot
                new_slot = previous
        for k, held in enumerate(where):
            if held != c:
                continue
            for d in kept[k]:
                if d not in parent:
                    parent[d] = (c, k)
                    queue.append(d)
    return False


def check_plan(problem: AssignmentProblem, plan: AssignmentPlan) -> Evaluation:
    """Verify every hard rule and return the recomputed objective; raise PlanRejectedError."""
    n_units, n_incidents = len(problem.unit_ids), len(problem.incident_ids)
    n_caps = len(problem.capabilities)
    violations: list[str] = []
    if np.shape(plan.incident) != (n_units,) or np.shape(plan.capability) != (n_units,):
        raise PlanRejectedError(["plan arrays do not have one entry per unit"])

    priorities = [int(p) for p in problem.priorities]
    statuses = problem.status.tolist()
    commitments = problem.commitment.tolist()
    plan_incident = [int(x) for x in plan.incident]
    plan_capability = [int(x) for x in plan.capability]
    max_priority = max(priorities) if priorities else 1
    filled: dict[tuple[int, int], int] = {}
    committed_idle = churn = lateness_sum = response_sum = 0
    must_fill = _must_fill(problem)
    # Units that stay free and fill nothing break no rule: check only the others.
    involved = np.flatnonzero(
        (problem.status != UnitStatus.AVAILABLE)
        | (np.asarray(plan.incident) != -1)
        | (np.asarray(plan.capability) != -1)
    ).tolist()
    for u in involved:
        name = problem.unit_ids[u]
        status = int(statuses[u])
        committed_to = int(commitments[u])
        i, c = plan_incident[u], plan_capability[u]
        if not -1 <= i < n_incidents or not -1 <= c < n_caps:
            violations.append(f"unit {name}: index out of range")
            continue
        if c >= 0 and i < 0:
            violations.append(f"unit {name}: fills a slot without going anywhere")
            continue
        moved = False
        if status == UnitStatus.BUSY:
            if i != committed_to:
                violations.append(f"unit {name}: BUSY unit moved")
                continue
        elif status == UnitStatus.EN_ROUTE:
            if i != committed_to:
                moved = True
                if not problem.allow_reassignment:
                    violations.append(f"unit {name}: re-routed without allow_reassignment")
                    continue
                if committed_to < 0 or i < 0:
                    violations.append(f"unit {name}: EN_ROUTE unit released or moved blind")
                    continue
                if priorities[i] >= priorities[committed_to]:
                    violations.append(f"unit {name}: re-routed to a not more urgent incident")
                    continue
                if c < 0:
                    violations.append(f"unit {name}: re-routed but fills no slot")
                    continue
        elif status == UnitStatus.AVAILABLE:
            if i >= 0 and c < 0:
                violations.append(f"unit {name}: dispatched but fills no slot")
                continue
        else:
            violations.append(f"unit {name}: unknown status {status}")
            continue

        if c < 0 and u in must_fill:
            violations.append(
                f"unit {name}: committed to incident {problem.incident_ids[committed_to]} "
                "with a capability it needs, but fills no slot"
            )
            continue

        newly_sent = i >= 0 and (status == UnitStatus.AVAILABLE or moved)
        if newly_sent and problem.max_travel > 0 and problem.travel[u, i] > problem.max_travel:
            violations.append(f"unit {name}: beyond max travel time")
            continue
        if c >= 0:
            if not problem.unit_capabilities[u, c]:
                violations.append(f"unit {name}: lacks capability {problem.capabilities[c]}")
                continue
            filled[(i, c)] = filled.get((i, c), 0) + 1
            eta = (
                0
                if (status == UnitStatus.BUSY and i == committed_to)
                else int(problem.travel[u, i])
            )
            weight = max_priority + 1 - priorities[i]
            target = int(problem.targets[i])
            late = max(0, eta - target) if target > 0 else 0
            lateness_sum += weight * late
            response_sum += weight * eta
        elif status != UnitStatus.AVAILABLE and 0 <= committed_to < n_incidents:
            committed_idle += 1
        churn += int(moved)

    for (i, c), count in filled.items():
        need = int(problem.requirements[i, c])
        if count > need:
            violations.append(
                f"incident {problem.incident_ids[i]}: {count} units fill "
                f"{need} {problem.capabilities[c]} slots"
            )
    if violations:
        raise PlanRejectedError(violations)

    needs = problem.requirements.sum(axis=1).tolist()
    levels = sorted({priorities[i] for i in range(n_incidents) if needs[i]})
    required = [0] * len(levels)
    got = [0] * len(levels)
    position = {p: k for k, p in enumerate(levels)}
    for i, need in enumerate(needs):
        if need:
            required[position[priorities[i]]] += int(need)
    for (i, _), count in filled.items():
        got[position[priorities[i]]] += count

    coverage = []
    if problem.coverage_rules:
        assert problem.unit_to_district is not None
        still_free = np.array(
            [statuses[u] == UnitStatus.AVAILABLE and plan_incident[u] < 0 for u in range(n_units)],
            dtype=bool,
        )
        for rule in problem.coverage_rules:
            counted = (
                still_free
                & problem.unit_capabilities[:, rule.capability]
                & (problem.unit_to_district[:, rule.district] <= rule.max_travel)
            )
            coverage.append(CoverageResult(required=rule.min_units, available=int(counted.sum())))

    return Evaluation(
        levels=tuple(levels),
        required=tuple(required),
        filled=tuple(got),
        committed_idle=committed_idle,
        weighted_lateness=lateness_sum,
        weighted_response=response_sum,
        coverage=tuple(coverage),
        churn=churn,
        slots_filled=filled,
    )
