"""Independent re-verification of an assignment plan and recomputation of its objective.

Written apart from the solvers on purpose: it reads only the problem and the plan, re-derives
every rule with plain loops from the contract's wording, and shares no code with ``arcs.py``
or any solver. A plan that breaks a rule raises PlanRejectedError; the service then falls back
and never returns it.

The unit lifecycle, restated from the contract: AVAILABLE and AT_POST units may be sent; an
OUT_OF_SERVICE unit never; TRANSPORTING, AT_HOSPITAL and RETURNING units only when the request
allows soon-free units. A unit sent from rest arrives after its wait until free, its travel and
its turnout; an EN_ROUTE unit after its travel; a BUSY unit on its scene at once. Every filling
unit is judged against its requirement's full-complement target; a requirement with a
first-unit target F also meets that target when its earliest filling unit arrives within F.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from solvers.assignment.model import AssignmentPlan, AssignmentProblem, UnitStatus
from solvers.errors import PlanRejectedError

_SENDABLE_NOW = (UnitStatus.AVAILABLE, UnitStatus.AT_POST)
_SENDABLE_SOON = (UnitStatus.TRANSPORTING, UnitStatus.AT_HOSPITAL, UnitStatus.RETURNING)
#: As plain ints for comparisons with arrays: numpy compares an array with an IntEnum member
#: several times slower (it looks up array attributes on the enum).
_AVAILABLE, _EN_ROUTE, _BUSY = (
    int(s) for s in (UnitStatus.AVAILABLE, UnitStatus.EN_ROUTE, UnitStatus.BUSY)
)


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
    """Every objective level of a valid plan, as recomputed by the checker.

    The contract's order: (1) filled slots per priority level, most urgent first; (2) per level,
    most urgent first, the first-unit targets met, then the filled slots reached within their
    full-complement target (a slot without a target counts as within); (3)
    ``weighted_response`` = sum w(p) * eta; (4) coverage shortfall; (5) churn.
    ``weighted_lateness`` is informational (no longer optimised).
    """

    levels: tuple[int, ...]  # priorities, most urgent first
    required: tuple[int, ...]  # slots per level
    filled: tuple[int, ...]  # filled slots per level
    within_target: tuple[int, ...]  # filled slots per level reached within target
    first_targets: tuple[int, ...]  # requirements per level with a first-unit target
    first_within: tuple[int, ...]  # of which, the earliest filling unit arrives within it
    committed_idle: int  # informational: committed units that fill no slot
    weighted_lateness: int  # informational: sum w(p) * max(0, eta - target)
    weighted_response: int
    coverage: tuple[CoverageResult, ...]
    churn: int
    slots_filled: dict[tuple[int, int], int]  # (incident, capability) -> filled

    @property
    def coverage_shortfall(self) -> int:
        """Level 4."""
        return sum(rule.shortfall for rule in self.coverage)

    @property
    def unfilled(self) -> tuple[int, ...]:
        """Unfilled slots per level (level 1, minimised)."""
        return tuple(r - f for r, f in zip(self.required, self.filled, strict=True))

    @property
    def late(self) -> tuple[int, ...]:
        """Filled slots per level reached after the target. With level 1 tied (same filled
        slots per level), fewer late slots per level is exactly more within target."""
        return tuple(f - w for f, w in zip(self.filled, self.within_target, strict=True))

    def timeliness(self) -> tuple[int, ...]:
        """Level 2 as minimised counts, most urgent level first: first-unit targets missed (only
        for levels that have such targets, so requests without them keep their old key), then
        late slots."""
        out: list[int] = []
        for k, late in enumerate(self.late):
            if self.first_targets[k]:
                out.append(self.first_targets[k] - self.first_within[k])
            out.append(late)
        return tuple(out)

    def key(self) -> tuple[object, ...]:
        """Lexicographic key: smaller is better."""
        return (
            self.unfilled,
            self.timeliness(),
            self.weighted_response,
            self.coverage_shortfall,
            self.churn,
        )

    def terms(self) -> dict[str, float]:
        """Named terms for SolveInfo.objective_terms."""
        terms: dict[str, float] = {}
        for level, unfilled in zip(self.levels, self.unfilled, strict=True):
            terms[f"unfilled_slots_p{level}"] = float(unfilled)
        for level, within in zip(self.levels, self.within_target, strict=True):
            terms[f"slots_within_target_p{level}"] = float(within)
        for level, targets, met in zip(
            self.levels, self.first_targets, self.first_within, strict=True
        ):
            if targets:
                terms[f"first_units_within_target_p{level}"] = float(met)
        terms["committed_units_idle"] = float(self.committed_idle)
        terms["weighted_response"] = float(self.weighted_response)
        terms["weighted_lateness"] = float(self.weighted_lateness)
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
    out: set[int] = set()
    status, commitment = problem.status, problem.commitment
    units = np.flatnonzero(
        ((status == _BUSY) | (status == _EN_ROUTE)) & (commitment >= 0) & (commitment < n_incidents)
    )
    # Per committed unit, in numpy: its incident, the capabilities it has that the incident
    # requires, and its (not BUSY, ETA) key; only the matching below is per unit in Python.
    at = commitment[units]
    busy = status[units] == _BUSY
    has = problem.unit_capabilities[units] & (problem.requirements[at] > 0)
    etas = np.where(busy, 0, problem.travel[units, at])
    members_by_incident: dict[int, list[tuple[int, int, int, list[int]]]] = {}
    rows = zip(
        units.tolist(), at.tolist(), (~busy).tolist(), etas.tolist(), has.tolist(), strict=True
    )
    for u, x, late, eta, flags in rows:
        caps = [c for c, flag in enumerate(flags) if flag]
        if caps:
            members_by_incident.setdefault(x, []).append((int(late), eta, u, caps))
    for x, members in members_by_incident.items():
        slots = problem.requirements[x].tolist()
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


def check_plan(problem: AssignmentProblem, plan: AssignmentPlan) -> Evaluation:
    """Verify every hard rule and return the recomputed objective; raise PlanRejectedError."""
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
    """Each coverage rule against the units still free after the dispatch."""
    if not problem.coverage_rules:
        return ()
    assert problem.unit_to_district is not None
    statuses = problem.status.tolist()
    still_free = np.array(
        [
            status in _SENDABLE_NOW and incident < 0
            for status, incident in zip(statuses, plan_incident, strict=True)
        ],
        dtype=bool,
    )
    coverage = []
    for rule in problem.coverage_rules:
        counted = (
            still_free
            & problem.unit_capabilities[:, rule.capability]
            & (problem.unit_to_district[:, rule.district] <= rule.max_travel)
        )
        coverage.append(CoverageResult(required=rule.min_units, available=int(counted.sum())))
    return tuple(coverage)
