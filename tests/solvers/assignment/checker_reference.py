"""The checker's rules and objective restated in plain Python loops, one unit at a time: the
oracle ``test_checker.py`` compares the vectorised ``solvers.assignment.checker`` with.

This is the checker as it was written first, from the contract's wording: per unit, the first
rule its placement breaks; then per filled slot kind, the targets. It shares only the data
types and the committed-units matroid (``_must_fill``) with the checker under test.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from solvers.assignment.checker import CoverageResult, Evaluation, _must_fill
from solvers.assignment.model import AssignmentPlan, AssignmentProblem, UnitStatus
from solvers.errors import PlanRejectedError

_SENDABLE_NOW = (UnitStatus.AVAILABLE, UnitStatus.AT_POST)
_SENDABLE_SOON = (UnitStatus.TRANSPORTING, UnitStatus.AT_HOSPITAL, UnitStatus.RETURNING)
_AVAILABLE = int(UnitStatus.AVAILABLE)


@dataclass(frozen=True)
class _Facts:
    """The problem as plain Python values: the per-unit loop stays free of numpy scalars."""

    priorities: list[int]
    max_priority: int
    statuses: list[int]
    commitments: list[int]
    must_fill: set[int]


@dataclass
class _Tally:
    """What the valid units add up to while the plan is read."""

    filled: dict[tuple[int, int], int] = field(default_factory=dict)
    etas: dict[tuple[int, int], list[int]] = field(default_factory=dict)  # of filling units
    within: dict[int, int] = field(default_factory=dict)  # incident -> slots reached in time
    first_met: dict[int, int] = field(default_factory=dict)  # incident -> first-unit targets met
    committed_idle: int = 0
    churn: int = 0
    lateness: int = 0
    response: int = 0


def reference_check(problem: AssignmentProblem, plan: AssignmentPlan) -> Evaluation:
    """Every hard rule verified unit by unit and the objective recomputed in plain loops;
    raises PlanRejectedError with the violations in unit order."""
    n_units = len(problem.unit_ids)
    if np.shape(plan.incident) != (n_units,) or np.shape(plan.capability) != (n_units,):
        raise PlanRejectedError(["plan arrays do not have one entry per unit"])
    priorities = np.asarray(problem.priorities, dtype=np.int64).tolist()
    facts = _Facts(
        priorities=priorities,
        max_priority=max(priorities) if priorities else 1,
        statuses=problem.status.tolist(),
        commitments=problem.commitment.tolist(),
        must_fill=_must_fill(problem),
    )
    plan_incident = np.asarray(plan.incident, dtype=np.int64).tolist()
    plan_capability = np.asarray(plan.capability, dtype=np.int64).tolist()
    tally = _Tally()
    violations: list[str] = []
    # Units that stay free and fill nothing break no rule: check only the others.
    involved = np.flatnonzero(
        (problem.status != _AVAILABLE)
        | (np.asarray(plan.incident) != -1)
        | (np.asarray(plan.capability) != -1)
    ).tolist()
    for u in involved:
        i, c = plan_incident[u], plan_capability[u]
        issue, moved = _unit_issue(problem, facts, u, i, c)
        if issue is not None:
            violations.append(f"unit {problem.unit_ids[u]}: {issue}")
            continue
        _count_unit(problem, facts, tally, u, i, c)
        tally.churn += int(moved)
    violations.extend(_overfilled(problem, tally.filled))
    if violations:
        raise PlanRejectedError(violations)
    _timeliness(problem, facts, tally)

    levels, required, got, within = _by_level(problem, facts.priorities, tally)
    first_targets, first_within = _first_by_level(problem, levels, facts.priorities, tally)
    return Evaluation(
        levels=tuple(levels),
        required=tuple(required),
        filled=tuple(got),
        within_target=tuple(within),
        first_targets=first_targets,
        first_within=first_within,
        committed_idle=tally.committed_idle,
        weighted_lateness=tally.lateness,
        weighted_response=tally.response,
        coverage=_coverage(problem, plan_incident),
        churn=tally.churn,
        slots_filled=tally.filled,
    )


def _unit_issue(
    problem: AssignmentProblem, facts: _Facts, u: int, i: int, c: int
) -> tuple[str | None, bool]:
    """The first rule unit ``u`` breaks by going to incident ``i`` for capability ``c`` (None
    when it breaks none), and whether that is an EN_ROUTE unit being re-routed."""
    if not -1 <= i < len(problem.incident_ids) or not -1 <= c < len(problem.capabilities):
        return "index out of range", False
    if c >= 0 and i < 0:
        return "fills a slot without going anywhere", False
    issue, moved = _status_issue(problem, facts, u, i, c)
    if issue is not None:
        return issue, moved
    committed_to = facts.commitments[u]
    if c < 0 and u in facts.must_fill:
        return (
            f"committed to incident {problem.incident_ids[committed_to]} "
            "with a capability it needs, but fills no slot"
        ), moved
    status = facts.statuses[u]
    newly_sent = i >= 0 and (status in _SENDABLE_NOW or status in _SENDABLE_SOON or moved)
    if newly_sent and problem.max_travel > 0 and problem.travel[u, i] > problem.max_travel:
        return "beyond max travel time", moved
    if c >= 0 and not problem.unit_capabilities[u, c]:
        return f"lacks capability {problem.capabilities[c]}", moved
    return None, moved


def _status_issue(
    problem: AssignmentProblem, facts: _Facts, u: int, i: int, c: int
) -> tuple[str | None, bool]:
    """What the unit's status forbids about going to ``i`` for ``c``, and whether it moves."""
    status, committed_to = facts.statuses[u], facts.commitments[u]
    if status == UnitStatus.BUSY:
        return ("BUSY unit moved" if i != committed_to else None), False
    if status == UnitStatus.EN_ROUTE:
        if i == committed_to:
            return None, False
        if not problem.allow_reassignment:
            return "re-routed without allow_reassignment", True
        if committed_to < 0 or i < 0:
            return "EN_ROUTE unit released or moved blind", True
        if facts.priorities[i] >= facts.priorities[committed_to]:
            return "re-routed to a not more urgent incident", True
        if c < 0:
            return "re-routed but fills no slot", True
        return None, True
    if status in _SENDABLE_SOON and i >= 0 and not problem.allow_soon_free:
        return "soon-free unit dispatched without allow_soon_free_units", False
    if status in _SENDABLE_NOW or status in _SENDABLE_SOON:
        return ("dispatched but fills no slot" if i >= 0 and c < 0 else None), False
    if status == UnitStatus.OUT_OF_SERVICE:
        return ("OUT_OF_SERVICE unit dispatched" if i >= 0 or c >= 0 else None), False
    return f"unknown status {status}", False


def _count_unit(
    problem: AssignmentProblem, facts: _Facts, tally: _Tally, u: int, i: int, c: int
) -> None:
    """Add a valid unit's slot and response, and keep its ETA for the targets (or count its
    idleness)."""
    status, committed_to = facts.statuses[u], facts.commitments[u]
    if c < 0:
        committed = status in (UnitStatus.BUSY, UnitStatus.EN_ROUTE)
        if committed and 0 <= committed_to < len(problem.incident_ids):
            tally.committed_idle += 1
        return
    tally.filled[(i, c)] = tally.filled.get((i, c), 0) + 1
    if status == UnitStatus.BUSY and i == committed_to:
        eta = 0  # already on scene
    elif status == UnitStatus.EN_ROUTE:
        eta = int(problem.travel[u, i])  # already rolling: no wait, no turnout
    else:  # sent from rest: wait until free, then turnout, then drive
        eta = int(problem.wait[u]) + int(problem.turnout[u]) + int(problem.travel[u, i])
    tally.etas.setdefault((i, c), []).append(eta)
    weight = facts.max_priority + 1 - facts.priorities[i]
    tally.response += weight * eta


def _timeliness(problem: AssignmentProblem, facts: _Facts, tally: _Tally) -> None:
    """Slots reached within target per incident (each filling unit against its requirement's
    full-complement target; 0 means none), the weighted lateness, and the first-unit targets met
    (the requirement's earliest filling unit within its first-unit target)."""
    assert problem.requirement_targets is not None and problem.first_unit_targets is not None
    for (i, c), etas in tally.etas.items():
        full = int(problem.requirement_targets[i, c])
        first = int(problem.first_unit_targets[i, c])
        weight = facts.max_priority + 1 - facts.priorities[i]
        for eta in etas:
            late = max(0, eta - full) if full > 0 else 0
            if late == 0:
                tally.within[i] = tally.within.get(i, 0) + 1
            tally.lateness += weight * late
        if first > 0 and min(etas) <= first:
            tally.first_met[i] = tally.first_met.get(i, 0) + 1


def _first_by_level(
    problem: AssignmentProblem, levels: list[int], priorities: list[int], tally: _Tally
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Per level: requirements with a first-unit target, and how many of them met it."""
    assert problem.first_unit_targets is not None
    position = {p: k for k, p in enumerate(levels)}
    targets, met = [0] * len(levels), [0] * len(levels)
    has_first = (problem.requirements > 0) & (problem.first_unit_targets > 0)
    for i, count in enumerate(has_first.sum(axis=1).tolist()):
        if count:
            targets[position[priorities[i]]] += int(count)
    for i, count in tally.first_met.items():
        met[position[priorities[i]]] += count
    return tuple(targets), tuple(met)


def _overfilled(problem: AssignmentProblem, filled: dict[tuple[int, int], int]) -> list[str]:
    """A violation for every (incident, capability) given more units than it has slots."""
    violations = []
    for (i, c), count in filled.items():
        need = int(problem.requirements[i, c])
        if count > need:
            violations.append(
                f"incident {problem.incident_ids[i]}: {count} units fill "
                f"{need} {problem.capabilities[c]} slots"
            )
    return violations


def _by_level(
    problem: AssignmentProblem, priorities: list[int], tally: _Tally
) -> tuple[list[int], list[int], list[int], list[int]]:
    """Priority levels with work (most urgent first), and slots required, filled and reached
    within target per level."""
    needs = problem.requirements.sum(axis=1).tolist()
    levels = sorted({priorities[i] for i in range(len(needs)) if needs[i]})
    required = [0] * len(levels)
    got = [0] * len(levels)
    within = [0] * len(levels)
    position = {p: k for k, p in enumerate(levels)}
    for i, need in enumerate(needs):
        if need:
            required[position[priorities[i]]] += int(need)
    for (i, _), count in tally.filled.items():
        got[position[priorities[i]]] += count
    for i, count in tally.within.items():
        within[position[priorities[i]]] += count
    return levels, required, got, within


def _coverage(problem: AssignmentProblem, plan_incident: list[int]) -> tuple[CoverageResult, ...]:
    """Each coverage rule against the units still free after the dispatch, unit by unit."""
    if not problem.coverage_rules:
        return ()
    assert problem.unit_to_district is not None
    statuses = problem.status.tolist()
    coverage = []
    for rule in problem.coverage_rules:
        available = 0
        for u, (status, incident) in enumerate(zip(statuses, plan_incident, strict=True)):
            if status not in _SENDABLE_NOW or incident >= 0:
                continue
            if not problem.unit_capabilities[u, rule.capability]:
                continue
            if problem.unit_to_district[u, rule.district] <= rule.max_travel:
                available += 1
        coverage.append(CoverageResult(required=rule.min_units, available=available))
    return tuple(coverage)
