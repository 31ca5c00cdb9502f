"""The candidate (unit -> requirement group) arcs every exact solver shares, built with numpy.

A *group* is one (incident, capability) pair with a positive slot count and one target. An arc
says "unit u may fill one slot of group g" and carries the terms of the objective that choice
causes. The rules (who may go where) live here once for the solvers; the checker re-derives
them on its own.

A requirement with a first-unit target F is split in two groups: a *lead* group of one slot and
a *rest* group of the other slots, both judged on the full-complement target T, and every arc
to it is doubled, one copy per group. A lead arc of a unit arriving within F carries ``first``
= 1 (the first-unit level). Why this is exact: "the requirement's first unit arrives within F"
is "some unit of the set S filling it arrives within F", and for any S the flow may put that
unit in the lead slot; every other term is the same for each placement. So the best placement
of S scores exactly the contract's count, and the flow, which optimises over placements,
optimises it. Without a first-unit target nothing is split and the arcs are exactly the ones of
a request without lifecycle fields.

Times: an arc's ``eta`` is the response time, ``wait + travel + turnout`` for a unit sent from
rest (``AssignmentProblem.from_rest``), ``travel`` for an EN_ROUTE unit, 0 for a BUSY unit on
its scene; ``max_travel`` bounds the travel part only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solvers.assignment.model import (
    COMMITTED,
    AssignmentPlan,
    AssignmentProblem,
    UnitStatus,
    status_in,
)
from solvers.errors import SolverFailedError

#: Every per-arc term and every sum of them over one plan must stay inside this.
INT64_GUARD = 2**62


@dataclass(frozen=True, eq=False)
class Arcs:
    """Parallel int64 arrays, one entry per arc, plus the groups they point to."""

    unit: np.ndarray
    group: np.ndarray
    eta: np.ndarray
    response: np.ndarray  # w(p) * eta: level 3
    late: np.ndarray  # 1 when the slot has a target and eta exceeds it: level 2
    first: np.ndarray  # 1 on a lead arc arriving within the first-unit target: level 2, first
    rank: np.ndarray  # 1-based rank of the incident's priority level, most urgent = 1
    committed: np.ndarray  # 1 when the unit was committed to an incident before
    moved: np.ndarray  # 1 when an EN_ROUTE unit is re-routed (level 5)
    group_incident: np.ndarray
    group_capability: np.ndarray
    group_count: np.ndarray
    n_levels: int

    @property
    def n_arcs(self) -> int:
        """Number of arcs."""
        return len(self.unit)

    @property
    def rank_bonus(self) -> np.ndarray:
        """Level 1 per filled slot: ``levels + 1 - rank``, larger for more urgent levels."""
        return self.n_levels + 1 - self.rank

    @property
    def incident(self) -> np.ndarray:
        """Incident of each arc."""
        return self.group_incident[self.group]

    @property
    def capability(self) -> np.ndarray:
        """Capability of each arc."""
        return self.group_capability[self.group]

    def subset(self, keep: np.ndarray) -> Arcs:
        """The arcs selected by a bool mask or index array (groups unchanged)."""
        return Arcs(
            unit=self.unit[keep],
            group=self.group[keep],
            eta=self.eta[keep],
            response=self.response[keep],
            late=self.late[keep],
            first=self.first[keep],
            rank=self.rank[keep],
            committed=self.committed[keep],
            moved=self.moved[keep],
            group_incident=self.group_incident,
            group_capability=self.group_capability,
            group_count=self.group_count,
            n_levels=self.n_levels,
        )

    def plan(self, problem: AssignmentProblem, chosen: np.ndarray) -> AssignmentPlan:
        """The plan that uses the chosen arcs (bool mask or indices); committed units stay put."""
        base = AssignmentPlan.empty(problem)
        incident, capability = base.incident.copy(), base.capability.copy()
        units = self.unit[chosen]
        incident[units] = self.incident[chosen]
        capability[units] = self.capability[chosen]
        return AssignmentPlan(incident, capability)


#: Farther than any allowed arc (``np.iinfo`` builds an object per call: kept).
_FAR = int(np.iinfo(np.int64).max)


def _nearest_enough(sub: np.ndarray, ok: np.ndarray, keep: int) -> np.ndarray:
    """Per column, the entries no farther than the ``keep``-th nearest allowed one (ties kept)."""
    masked = sub if ok.all() else np.where(ok, sub, _FAR)
    threshold = np.partition(masked, keep - 1, axis=0)[keep - 1]
    return masked <= threshold[None, :]


# One block of arcs: (unit, incident, capability, eta, committed, moved), parallel int64 arrays.
_Block = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True, eq=False)
class _Groups:
    """The (incident, capability) pairs with slots, and where each pair's group sits."""

    incident: np.ndarray
    capability: np.ndarray
    count: np.ndarray
    target: np.ndarray  # per group: the full-complement target of its slots, 0 = none
    first: np.ndarray  # per group: the first-unit target of a lead group, 0 otherwise
    index: np.ndarray  # [incident, capability] -> group (the lead when split), -1 if none
    rest: np.ndarray  # [incident, capability] -> rest group of a split requirement, else -1


@dataclass(frozen=True, eq=False)
class _PriorityTerms:
    """Per-incident factors of the objective levels that depend on priority alone."""

    rank: np.ndarray  # 1-based rank of each incident's priority level (levels + 1 if none)
    weight: np.ndarray  # level 3: w(p) = max_priority + 1 - p
    n_levels: int


def build_arcs(problem: AssignmentProblem, prune: bool = True) -> Arcs:
    """Every arc an optimal plan may use, respecting capabilities, status, reassignment and
    max travel.

    Pruning (exact): a free unit with capability c is kept for group g only if it is among the
    S_c nearest allowed free units of g (ties kept), S_c = slots of every capability that some
    unit shares with c. Were a farther unit u used in g, at most S_c - 1 of those nearer units
    could be busy filling slots, so a free nearer unit v could replace u: level 1 is unchanged
    (same slot), level 2 cannot drop (v arrives strictly earlier, so within target whenever u
    was) and level 3 drops strictly. No plan optimal for levels 1-3 (and hence for the whole
    lexicographic objective) uses a pruned arc. Pruning compares response times (wait and
    turnout included), and holds for a lead and a rest group alike (same slot and targets; the
    nearer unit meets the first-unit target whenever the farther one did).
    """
    groups = _requirement_groups(problem)
    terms = _priority_terms(problem)
    # Block order fixes arc order, which solvers use to break ties: keep it stable.
    blocks = _dispatch_blocks(problem, prune) + _stay_blocks(problem)
    unit, incident, capability, eta, committed, moved = _concatenate(blocks)
    group = groups.index[incident, capability]
    rest = groups.rest[incident, capability]
    split = np.flatnonzero(rest >= 0)
    if len(split):  # one copy of each arc to a split requirement for its rest group
        unit, incident, eta, committed, moved = (
            np.concatenate([a, a[split]]) for a in (unit, incident, eta, committed, moved)
        )
        group = np.concatenate([group, rest[split]])
    target, first = groups.target[group], groups.first[group]
    return Arcs(
        unit=unit,
        group=group,
        eta=eta,
        response=terms.weight[incident] * eta,
        late=((target > 0) & (eta > target)).astype(np.int64),
        first=((first > 0) & (eta <= first)).astype(np.int64),
        rank=terms.rank[incident],
        committed=committed,
        moved=moved,
        group_incident=groups.incident.astype(np.int64),
        group_capability=groups.capability.astype(np.int64),
        group_count=groups.count,
        n_levels=terms.n_levels,
    )


def _requirement_groups(problem: AssignmentProblem) -> _Groups:
    """One group per (incident, capability) with a positive slot count, in row-major order,
    then the rest groups of requirements with a first-unit target and more than one slot
    (the requirement's own group is then the one-slot lead)."""
    requirements = problem.requirements
    full, first = problem.requirement_targets, problem.first_unit_targets
    assert full is not None and first is not None
    incident, capability = np.nonzero(requirements > 0)
    count = requirements[incident, capability].astype(np.int64)
    lead = first[incident, capability] > 0
    target = full[incident, capability]
    index = np.full(requirements.shape, -1, dtype=np.int64)
    index[incident, capability] = np.arange(len(incident))
    split = np.flatnonzero(lead & (count > 1))
    rest = np.full(requirements.shape, -1, dtype=np.int64)
    rest[incident[split], capability[split]] = len(incident) + np.arange(len(split))
    rest_count = count[split] - 1
    count = np.where(lead, 1, count)
    return _Groups(
        incident=np.concatenate([incident, incident[split]]),
        capability=np.concatenate([capability, capability[split]]),
        count=np.concatenate([count, rest_count]).astype(np.int64),
        target=np.concatenate([target, full[incident[split], capability[split]]]).astype(np.int64),
        first=np.concatenate(
            [np.where(lead, first[incident, capability], 0), np.zeros(len(split), dtype=np.int64)]
        ).astype(np.int64),
        index=index,
        rest=rest,
    )


def _priority_terms(problem: AssignmentProblem) -> _PriorityTerms:
    """Priority ranks and response weights; raise when a response term could overflow int64.

    Within the contract's bounds (priority <= 1000, times < 2**31) w(p) * eta < 2.2e12, far
    inside; only a library caller with larger numbers reaches the error (greedy then answers).
    """
    levels = problem.priority_levels()
    rank_of = {p: r for r, p in enumerate(levels, start=1)}
    n_levels = len(levels)
    rank = np.array([rank_of.get(int(p), n_levels + 1) for p in problem.priorities], dtype=np.int64)
    weight = problem.max_priority + 1 - problem.priorities.astype(np.int64)
    longest = int(problem.travel.max()) if problem.travel.size else 0
    longest += int(problem.delay.max()) if problem.n_units else 0
    if problem.max_priority * max(longest, 1) * max(problem.n_units, 1) >= INT64_GUARD:
        raise SolverFailedError("objective terms exceed int64 (priorities or times too large)")
    return _PriorityTerms(rank, weight, n_levels)


def _dispatch_blocks(problem: AssignmentProblem, prune: bool) -> list[_Block]:
    """Arcs that send a unit somewhere new: free units anywhere they have a capability for,
    and (with allow_reassignment) en-route units to strictly more urgent incidents."""
    requirements, status, commitment = problem.requirements, problem.status, problem.commitment
    # Units with capability c can only ever fill slots of capabilities they share with c.
    shares = (problem.unit_capabilities.T.astype(np.int64) @ problem.unit_capabilities) > 0
    reach_slots = shares.astype(np.int64) @ requirements.sum(axis=0)
    free = np.flatnonzero(problem.from_rest)
    movers = np.flatnonzero(
        status_in(status, (UnitStatus.EN_ROUTE,)) & (commitment >= 0) & problem.allow_reassignment
    )
    blocks: list[_Block] = []
    for cap in range(len(problem.capabilities)):
        incidents = np.flatnonzero(requirements[:, cap] > 0)
        if not len(incidents):
            continue
        for units, is_move in ((free, 0), (movers, 1)):
            capable = units[problem.unit_capabilities[units, cap]]
            if not len(capable):
                continue
            pruned = prune and not is_move and len(capable) > reach_slots[cap]
            keep = int(reach_slots[cap]) if pruned else None
            block = _capability_block(problem, capable, incidents, cap, is_move, keep)
            if block is not None:
                blocks.append(block)
    return blocks


def _capability_block(
    problem: AssignmentProblem,
    capable: np.ndarray,
    incidents: np.ndarray,
    cap: int,
    is_move: int,
    keep_nearest: int | None,
) -> _Block | None:
    """Arcs from ``capable`` units to the ``incidents`` needing ``cap`` (None when there are
    none); ``keep_nearest`` prunes to that many nearest allowed units per incident (by
    response time). Units sent from rest add their wait and turnout; movers are rolling."""
    travel = problem.travel[capable][:, incidents]  # 2x faster than np.ix_ on this shape
    ok = np.ones(travel.shape, dtype=bool)
    if problem.max_travel > 0:
        ok &= travel <= problem.max_travel
    sub = travel if is_move else travel + problem.delay[capable][:, None]
    if is_move:
        from_priority = problem.priorities[problem.commitment[capable]]
        ok &= problem.priorities[incidents][None, :] < from_priority[:, None]
    elif keep_nearest is not None:
        ok &= _nearest_enough(sub, ok, keep_nearest)
    # Row-major positions, as np.nonzero gives them, without its two index arrays.
    flat = np.flatnonzero(ok)
    if not len(flat):
        return None
    rows, cols = np.divmod(flat, len(incidents))
    n = len(flat)
    return (
        capable[rows],
        incidents[cols],
        np.full(n, cap, dtype=np.int64),
        sub.ravel()[flat],
        np.full(n, is_move, dtype=np.int64),
        np.full(n, is_move, dtype=np.int64),
    )


def _stay_blocks(problem: AssignmentProblem) -> list[_Block]:
    """Committed units staying where they are: any slot of a capability they have there."""
    status, commitment, requirements = problem.status, problem.commitment, problem.requirements
    stayers = np.flatnonzero(
        status_in(status, COMMITTED) & (commitment >= 0) & (commitment < problem.n_incidents)
    )
    if not len(stayers):
        return []
    here = commitment[stayers]
    units_rep, caps = np.nonzero(problem.unit_capabilities[stayers] & (requirements[here] > 0))
    if not len(units_rep):
        return []
    units = stayers[units_rep]
    incidents = commitment[units]
    eta = np.where(
        status_in(status[units], (UnitStatus.BUSY,)), 0, problem.travel[units, incidents]
    )
    n = len(units)
    return [
        (
            units,
            incidents,
            caps.astype(np.int64),
            eta.astype(np.int64),
            np.ones(n, dtype=np.int64),
            np.zeros(n, dtype=np.int64),
        )
    ]


def _concatenate(blocks: list[_Block]) -> _Block:
    """The blocks joined field by field as int64 (empty arrays when there are none)."""
    if not blocks:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, empty, empty, empty, empty
    unit, incident, capability, eta, committed, moved = (
        np.concatenate([b[k] for b in blocks]).astype(np.int64) for k in range(6)
    )
    return unit, incident, capability, eta, committed, moved
