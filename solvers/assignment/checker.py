"""Independent re-verification of an assignment plan and recomputation of its objective.

Written apart from the solvers on purpose: it reads only the problem and the plan, re-derives
every rule from the contract's wording, and shares no code with ``arcs.py`` or any solver. A
plan that breaks a rule raises PlanRejectedError; the service then falls back and never
returns it. Every rule and level is one numpy expression over all units (the checker runs on
every answer, AssignUnits' hot path); ``tests/solvers/assignment/checker_reference.py``
restates them unit by unit in plain loops, and a property test holds the two to the same
verdicts, messages and levels.

The unit lifecycle, restated from the contract: AVAILABLE and AT_POST units may be sent; an
OUT_OF_SERVICE unit never; TRANSPORTING, AT_HOSPITAL and RETURNING units only when the request
allows soon-free units. A unit sent from rest arrives after its wait until free, its travel and
its turnout; an EN_ROUTE unit after its travel; a BUSY unit on its scene at once. Every filling
unit is judged against its requirement's full-complement target; a requirement with a
first-unit target F also meets that target when its earliest filling unit arrives within F.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solvers.assignment.model import AssignmentPlan, AssignmentProblem, UnitStatus
from solvers.errors import PlanRejectedError

#: Statuses as plain ints: numpy compares an array with an IntEnum member several times
#: slower (it looks up array attributes on the enum).
_AVAILABLE, _AT_POST, _EN_ROUTE, _BUSY, _OUT_OF_SERVICE = (
    int(s)
    for s in (
        UnitStatus.AVAILABLE,
        UnitStatus.AT_POST,
        UnitStatus.EN_ROUTE,
        UnitStatus.BUSY,
        UnitStatus.OUT_OF_SERVICE,
    )
)
#: Later than any arrival (``np.iinfo`` builds an object per call: kept).
_LATEST = int(np.iinfo(np.int64).max)
_SOON = tuple(
    int(s) for s in (UnitStatus.TRANSPORTING, UnitStatus.AT_HOSPITAL, UnitStatus.RETURNING)
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


#: The rules a unit's placement can break, in the order they are judged: a unit is reported
#: for the first one it breaks (restated from the contract; ``_broken`` computes them).
_RULES = (
    "index out of range",
    "fills a slot without going anywhere",
    "BUSY unit moved",
    "re-routed without allow_reassignment",
    "EN_ROUTE unit released or moved blind",
    "re-routed to a not more urgent incident",
    "re-routed but fills no slot",
    "soon-free unit dispatched without allow_soon_free_units",
    "dispatched but fills no slot",
    "OUT_OF_SERVICE unit dispatched",
    "unknown status {status}",
    "committed to incident {home} with a capability it needs, but fills no slot",
    "beyond max travel time",
    "lacks capability {capability}",
)


@dataclass(frozen=True, eq=False)
class _Placements:
    """The plan read against the problem, one entry per unit (numpy arrays)."""

    incident: np.ndarray  # as planned, -1 = stays
    capability: np.ndarray  # as planned, -1 = fills no slot
    at: np.ndarray  # incident, 0 where out of range or -1 (safe to index with)
    cap: np.ndarray  # capability, likewise
    home: np.ndarray  # commitment, -1 where not an incident of the request
    busy: np.ndarray
    rolling: np.ndarray  # EN_ROUTE
    moved: np.ndarray  # EN_ROUTE and sent elsewhere than its commitment

    @classmethod
    def of(cls, problem: AssignmentProblem, plan: AssignmentPlan) -> _Placements:
        n_incidents, n_caps = len(problem.incident_ids), len(problem.capabilities)
        incident = np.asarray(plan.incident, dtype=np.int64)
        capability = np.asarray(plan.capability, dtype=np.int64)
        status, commitment = problem.status, problem.commitment
        known = (commitment >= 0) & (commitment < n_incidents)
        rolling = status == _EN_ROUTE
        return cls(
            incident=incident,
            capability=capability,
            at=np.where((incident >= 0) & (incident < n_incidents), incident, 0),
            cap=np.where((capability >= 0) & (capability < n_caps), capability, 0),
            home=np.where(known, commitment, -1),
            busy=status == _BUSY,
            rolling=rolling,
            moved=rolling & (incident != commitment),
        )


def _broken(problem: AssignmentProblem, plan: _Placements, must_fill: np.ndarray) -> np.ndarray:
    """Per unit, the index in ``_RULES`` of the first rule its placement breaks, or -1.

    A unit that stays free and fills nothing breaks none; a BUSY unit must stay on its scene;
    an EN_ROUTE unit may go elsewhere only with allow_reassignment, from an incident of the
    request to a strictly more urgent one, to fill a slot; AVAILABLE and AT_POST units (and,
    when allowed, soon-free ones) go only to fill a slot; OUT_OF_SERVICE units never go.
    """
    n_incidents, n_caps = len(problem.incident_ids), len(problem.capabilities)
    incident, capability, moved = plan.incident, plan.capability, plan.moved
    status = problem.status
    sent, fills = incident >= 0, capability >= 0
    now = (status == _AVAILABLE) | (status == _AT_POST)
    soon = (status == _SOON[0]) | (status == _SOON[1]) | (status == _SOON[2])
    out_of_service = status == _OUT_OF_SERVICE
    priorities = np.asarray(problem.priorities, dtype=np.int64)
    rows, none = np.arange(len(status)), np.zeros(len(status), dtype=bool)
    # Read at the safe indices, and only when there is something to read (a library caller
    # may pass no incidents or no capabilities; then no unit can be sent or fill a slot).
    not_more_urgent = (
        priorities[plan.at] >= priorities[np.maximum(plan.home, 0)] if n_incidents else none
    )
    too_far = problem.travel[rows, plan.at] > problem.max_travel if n_incidents else none
    lacks = ~problem.unit_capabilities[rows, plan.cap] if n_caps else ~none
    newly_sent = sent & (now | soon | moved)
    rules = (
        (incident < -1) | (incident >= n_incidents) | (capability < -1) | (capability >= n_caps),
        fills & ~sent,
        plan.busy & (incident != problem.commitment),
        moved & (not problem.allow_reassignment),
        moved & ((plan.home < 0) | ~sent),
        moved & not_more_urgent,
        moved & ~fills,
        soon & sent & (not problem.allow_soon_free),
        (now | soon) & sent & ~fills,
        out_of_service & (sent | fills),
        ~(now | soon | out_of_service | plan.busy | plan.rolling),
        ~fills & must_fill,
        newly_sent & (problem.max_travel > 0) & too_far,
        fills & lacks,
    )
    first = np.full(len(status), -1, dtype=np.int64)
    for k in range(len(rules) - 1, -1, -1):  # the earliest rule broken wins
        first[rules[k]] = k
    return first


def _violation(problem: AssignmentProblem, plan: _Placements, unit: int, rule: int) -> str:
    """The message for ``unit`` breaking ``_RULES[rule]``."""
    message = _RULES[rule].format(
        status=int(problem.status[unit]),
        home=problem.incident_ids[plan.home[unit]] if plan.home[unit] >= 0 else "",
        capability=problem.capabilities[plan.cap[unit]] if len(problem.capabilities) else "",
    )
    return f"unit {problem.unit_ids[unit]}: {message}"


@dataclass(frozen=True, eq=False)
class _Fills:
    """The valid units that fill a slot, as parallel arrays in unit order, grouped by slot
    kind (incident, capability) in the order each kind was first filled."""

    unit: np.ndarray
    incident: np.ndarray
    capability: np.ndarray
    kind: np.ndarray  # index into ``kinds`` per filling unit
    kinds: np.ndarray  # (incident, capability) rows
    counts: np.ndarray  # units per kind

    @classmethod
    def of(cls, problem: AssignmentProblem, plan: _Placements, valid: np.ndarray) -> _Fills:
        unit = np.flatnonzero(valid & (plan.capability >= 0))
        incident, capability = plan.incident[unit], plan.capability[unit]
        key = incident * max(len(problem.capabilities), 1) + capability
        _, first, kind, counts = np.unique(
            key, return_index=True, return_inverse=True, return_counts=True
        )
        order = np.argsort(first, kind="stable")  # kinds by first filling unit
        rank = np.empty_like(order)
        rank[order] = np.arange(len(order))
        kinds = np.stack([incident[first[order]], capability[first[order]]], axis=1)
        return cls(unit, incident, capability, rank[kind], kinds, counts[order])

    def as_dict(self) -> dict[tuple[int, int], int]:
        """(incident, capability) -> units filling it, in first-filled order."""
        return {
            (i, c): n for (i, c), n in zip(self.kinds.tolist(), self.counts.tolist(), strict=True)
        }


def check_plan(problem: AssignmentProblem, plan: AssignmentPlan) -> Evaluation:
    """Verify every hard rule and return the recomputed objective; raise PlanRejectedError."""
    n_units = len(problem.unit_ids)
    if np.shape(plan.incident) != (n_units,) or np.shape(plan.capability) != (n_units,):
        raise PlanRejectedError(["plan arrays do not have one entry per unit"])
    placed = _Placements.of(problem, plan)
    must_fill = np.zeros(n_units, dtype=bool)
    must_fill[list(_must_fill(problem))] = True
    broken = _broken(problem, placed, must_fill)
    violations = [
        _violation(problem, placed, u, int(broken[u])) for u in np.flatnonzero(broken >= 0).tolist()
    ]
    fills = _Fills.of(problem, placed, broken < 0)
    violations.extend(_overfilled(problem, fills))
    if violations:
        raise PlanRejectedError(violations)
    return _evaluate(problem, placed, fills)


def _evaluate(problem: AssignmentProblem, plan: _Placements, fills: _Fills) -> Evaluation:
    """The objective of a valid plan. A filling unit arrives at once when BUSY on its own
    scene, after its travel when EN_ROUTE (already rolling), else after its wait, turnout and
    travel; it is within its requirement's full-complement target when that is 0 or not
    exceeded. A requirement meets its first-unit target when its earliest filling unit
    arrives within it."""
    assert problem.requirement_targets is not None and problem.first_unit_targets is not None
    n_incidents = len(problem.incident_ids)
    priorities = np.asarray(problem.priorities, dtype=np.int64)
    max_priority = int(priorities.max()) if n_incidents else 1
    u, i, c = fills.unit, fills.incident, fills.capability
    travel = problem.travel[u, i]
    eta = np.where(
        plan.busy[u],
        0,
        np.where(plan.rolling[u], travel, problem.wait[u] + problem.turnout[u] + travel),
    )
    weight = max_priority + 1 - priorities[i]
    full = problem.requirement_targets[i, c]
    late = np.where(full > 0, np.maximum(eta - full, 0), 0)
    earliest = np.full(len(fills.kinds), _LATEST, dtype=np.int64)
    np.minimum.at(earliest, fills.kind, eta)
    kind_incident, kind_capability = fills.kinds[:, 0], fills.kinds[:, 1]
    first = problem.first_unit_targets[kind_incident, kind_capability]
    per_incident = np.stack(
        [
            problem.requirements.sum(axis=1),
            np.bincount(i, minlength=n_incidents),
            np.bincount(i[late == 0], minlength=n_incidents),
            ((problem.requirements > 0) & (problem.first_unit_targets > 0)).sum(axis=1),
            np.bincount(kind_incident[(first > 0) & (earliest <= first)], minlength=n_incidents),
        ]
    )
    levels, level_of = _levels(problem, priorities)
    required, filled, within, first_targets, first_within = (
        tuple(row) for row in (per_incident @ level_of).tolist()
    )
    idle = (plan.capability < 0) & (plan.busy | plan.rolling) & (plan.home >= 0)
    return Evaluation(
        levels=tuple(levels.tolist()),
        required=required,
        filled=filled,
        within_target=within,
        first_targets=first_targets,
        first_within=first_within,
        committed_idle=int(idle.sum()),
        weighted_lateness=int((weight * late).sum()),
        weighted_response=int((weight * eta).sum()),
        coverage=_coverage(problem, plan.incident),
        churn=int(plan.moved.sum()),
        slots_filled=fills.as_dict(),
    )


def _levels(problem: AssignmentProblem, priorities: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Priority levels with work (slots), most urgent first, and each incident's level as a
    0/1 row (all 0 for an incident without work): per-incident counts times it are per level."""
    work = problem.requirements.sum(axis=1) > 0
    levels = np.unique(priorities[work])
    level_of = (priorities[:, None] == levels[None, :]) & work[:, None]
    return levels, level_of.astype(np.int64)


def _overfilled(problem: AssignmentProblem, fills: _Fills) -> list[str]:
    """A violation for every (incident, capability) given more units than it has slots, in the
    order the kinds were first filled."""
    need = problem.requirements[fills.kinds[:, 0], fills.kinds[:, 1]]
    return [
        f"incident {problem.incident_ids[i]}: {count} units fill "
        f"{slots} {problem.capabilities[c]} slots"
        for (i, c), count, slots in zip(
            fills.kinds[fills.counts > need].tolist(),
            fills.counts[fills.counts > need].tolist(),
            need[fills.counts > need].tolist(),
            strict=True,
        )
    ]


def _coverage(problem: AssignmentProblem, incident: np.ndarray) -> tuple[CoverageResult, ...]:
    """Each coverage rule against the units still free after the dispatch (AVAILABLE or
    AT_POST and sent nowhere)."""
    if not problem.coverage_rules:
        return ()
    assert problem.unit_to_district is not None
    status = problem.status
    still_free = ((status == _AVAILABLE) | (status == _AT_POST)) & (incident < 0)
    coverage = []
    for rule in problem.coverage_rules:
        counted = (
            still_free
            & problem.unit_capabilities[:, rule.capability]
            & (problem.unit_to_district[:, rule.district] <= rule.max_travel)
        )
        coverage.append(CoverageResult(required=rule.min_units, available=int(counted.sum())))
    return tuple(coverage)
