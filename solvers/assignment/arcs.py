"""The candidate (unit -> requirement group) arcs every exact solver shares, built with numpy.

A *group* is one (incident, capability) pair with a positive slot count. An arc says "unit u may
fill one slot of group g" and carries the terms of the objective that choice causes. The rules
(who may go where) live here once for the solvers; the checker re-derives them on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solvers.assignment.model import AssignmentPlan, AssignmentProblem, UnitStatus
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
    late: np.ndarray  # 1 when the incident has a target and eta exceeds it: level 2
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


def _nearest_enough(sub: np.ndarray, ok: np.ndarray, keep: int) -> np.ndarray:
    """Per column, the entries no farther than the ``keep``-th nearest allowed one (ties kept)."""
    far = np.iinfo(np.int64).max
    masked = np.where(ok, sub, far)
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
    index: np.ndarray  # [incident, capability] -> group, -1 where nothing is required


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
    lexicographic objective) uses a pruned arc.
    """
    groups = _requirement_groups(problem.requirements)
    terms = _priority_terms(problem)
    # Block order fixes arc order, which solvers use to break ties: keep it stable.
    blocks = _dispatch_blocks(problem, prune) + _stay_blocks(problem)
    unit, incident, capability, eta, committed, moved = _concatenate(blocks)
    target = problem.targets.astype(np.int64)[incident]
    return Arcs(
        unit=unit,
        group=groups.index[incident, capability],
        eta=eta,
        response=terms.weight[incident] * eta,
        late=((target > 0) & (eta > target)).astype(np.int64),
        rank=terms.rank[incident],
        committed=committed,
        moved=moved,
        group_incident=groups.incident.astype(np.int64),
        group_capability=groups.capability.astype(np.int64),
        group_count=groups.count,
        n_levels=terms.n_levels,
    )


def _requirement_groups(requirements: np.ndarray) -> _Groups:
    """One group per (incident, capability) with a positive slot count, in row-major order."""
    group_incident, group_capability = np.nonzero(requirements > 0)
    group_count = requirements[group_incident, group_capability].astype(np.int64)
    group_index = np.full(requirements.shape, -1, dtype=np.int64)
    group_index[group_incident, group_capability] = np.arange(len(group_incident))
    return _Groups(group_incident, group_capability, group_count, group_index)


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
    free = np.flatnonzero(status == UnitStatus.AVAILABLE)
    movers = np.flatnonzero(
        (status == UnitStatus.EN_ROUTE) & (commitment >= 0) & problem.allow_reassignment
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
    none); ``keep_nearest`` prunes to that many nearest allowed units per incident."""
    sub = problem.travel[np.ix_(capable, incidents)]
    ok = np.ones(sub.shape, dtype=bool)
    if problem.max_travel > 0:
        ok &= sub <= problem.max_travel
    if is_move:
        from_priority = problem.priorities[problem.commitment[capable]]
        ok &= problem.priorities[incidents][None, :] < from_priority[:, None]
    elif keep_nearest is not None:
        ok &= _nearest_enough(sub, ok, keep_nearest)
    rows, cols = np.nonzero(ok)
    if not len(rows):
        return None
    n = len(rows)
    return (
        capable[rows],
        incidents[cols],
        np.full(n, cap, dtype=np.int64),
        sub[rows, cols],
        np.full(n, is_move, dtype=np.int64),
        np.full(n, is_move, dtype=np.int64),
    )


def _stay_blocks(problem: AssignmentProblem) -> list[_Block]:
    """Committed units staying where they are: any slot of a capability they have there."""
    status, commitment, requirements = problem.status, problem.commitment, problem.requirements
    stayers = np.flatnonzero(
        ((status == UnitStatus.EN_ROUTE) | (status == UnitStatus.BUSY))
        & (commitment >= 0)
        & (commitment < problem.n_incidents)
    )
    if not len(stayers):
        return []
    here = commitment[stayers]
    units_rep, caps = np.nonzero(problem.unit_capabilities[stayers] & (requirements[here] > 0))
    if not len(units_rep):
        return []
    units = stayers[units_rep]
    incidents = commitment[units]
    eta = np.where(status[units] == UnitStatus.BUSY, 0, problem.travel[units, incidents])
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
