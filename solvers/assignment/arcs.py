"""The candidate (unit -> requirement group) arcs every exact solver shares, built with numpy.

A *group* is one (incident, capability) pair with a positive slot count. An arc says "unit u may
fill one slot of group g" and carries the terms of the objective that choice causes. The rules
(who may go where) live here once for the solvers; the checker re-derives them on its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solvers.assignment.model import (
    LATENESS_WEIGHT,
    AssignmentPlan,
    AssignmentProblem,
    UnitStatus,
)
from solvers.errors import SolverFailedError


@dataclass(frozen=True, eq=False)
class Arcs:
    """Parallel int64 arrays, one entry per arc, plus the groups they point to."""

    unit: np.ndarray
    group: np.ndarray
    eta: np.ndarray
    cost: np.ndarray  # w(p) * (LATENESS_WEIGHT * lateness + eta): levels 2+3
    rank_bonus: np.ndarray  # levels + 1 - rank(priority): level 1
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
            cost=self.cost[keep],
            rank_bonus=self.rank_bonus[keep],
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


def build_arcs(problem: AssignmentProblem, prune: bool = True) -> Arcs:
    """Every arc an optimal plan may use, respecting capabilities, status, reassignment and
    max travel.

    Pruning (exact): a free unit with capability c is kept for group g only if it is among the
    S_c nearest allowed free units of g (ties kept), S_c = slots of every capability that some
    unit shares with c. Were a farther unit u used in g, at most S_c - 1 of those nearer units
    could be busy filling slots, so a free nearer unit could replace u at strictly lower
    w(p) * (1000 * lateness + eta) with levels 1 unchanged: no plan optimal for levels 1-3 (and
    hence for the whole lexicographic objective) uses a pruned arc.
    """
    requirements = problem.requirements
    group_incident, group_capability = np.nonzero(requirements > 0)
    group_count = requirements[group_incident, group_capability].astype(np.int64)
    group_index = np.full(requirements.shape, -1, dtype=np.int64)
    group_index[group_incident, group_capability] = np.arange(len(group_incident))

    levels = problem.priority_levels()
    rank_of = {p: r for r, p in enumerate(levels, start=1)}
    n_levels = len(levels)
    incident_bonus = np.array(
        [n_levels + 1 - rank_of.get(int(p), n_levels + 1) for p in problem.priorities],
        dtype=np.int64,
    )
    weights = problem.max_priority + 1 - problem.priorities.astype(np.int64)
    longest = int(problem.travel.max()) if problem.travel.size else 0
    if problem.max_priority * (LATENESS_WEIGHT + 1) * max(longest, 1) >= 2**62:
        # w(p) * (1000 * lateness + eta) would overflow int64 arithmetic: no exact engine here.
        raise SolverFailedError("objective terms exceed int64 (priorities or times too large)")
    targets = problem.targets.astype(np.int64)
    travel = problem.travel
    status, commitment = problem.status, problem.commitment
    n_incidents = problem.n_incidents

    parts: list[tuple[np.ndarray, ...]] = []  # (unit, incident, capability, eta, committed, moved)

    # Units with capability c can only ever fill slots of capabilities they share with c.
    shares = (problem.unit_capabilities.T.astype(np.int64) @ problem.unit_capabilities) > 0
    reach_slots = shares.astype(np.int64) @ requirements.sum(axis=0)

    # Free units: anywhere they have a capability for, within max travel.
    free = np.flatnonzero(status == UnitStatus.AVAILABLE)
    # En-route units that may move: only to strictly more urgent incidents.
    movers = np.flatnonzero(
        (status == UnitStatus.EN_ROUTE) & (commitment >= 0) & problem.allow_reassignment
    )
    for cap in range(len(problem.capabilities)):
        incidents = np.flatnonzero(requirements[:, cap] > 0)
        if not len(incidents):
            continue
        for units, is_move in ((free, 0), (movers, 1)):
            capable = units[problem.unit_capabilities[units, cap]]
            if not len(capable):
                continue
            sub = travel[np.ix_(capable, incidents)]
            ok = np.ones(sub.shape, dtype=bool)
            if problem.max_travel > 0:
                ok &= sub <= problem.max_travel
            if is_move:
                from_priority = problem.priorities[commitment[capable]]
                ok &= problem.priorities[incidents][None, :] < from_priority[:, None]
            elif prune and len(capable) > reach_slots[cap]:
                ok &= _nearest_enough(sub, ok, int(reach_slots[cap]))
            rows, cols = np.nonzero(ok)
            if len(rows):
                n = len(rows)
                parts.append(
                    (
                        capable[rows],
                        incidents[cols],
                        np.full(n, cap, dtype=np.int64),
                        sub[rows, cols],
                        np.full(n, is_move, dtype=np.int64),
                        np.full(n, is_move, dtype=np.int64),
                    )
                )

    # Committed units staying where they are: any slot of a capability they have there.
    stayers = np.flatnonzero(
        ((status == UnitStatus.EN_ROUTE) | (status == UnitStatus.BUSY))
        & (commitment >= 0)
        & (commitment < n_incidents)
    )
    if len(stayers):
        here = commitment[stayers]
        units_rep, caps = np.nonzero(problem.unit_capabilities[stayers] & (requirements[here] > 0))
        if len(units_rep):
            units = stayers[units_rep]
            incidents = commitment[units]
            eta = np.where(status[units] == UnitStatus.BUSY, 0, travel[units, incidents])
            n = len(units)
            parts.append(
                (
                    units,
                    incidents,
                    caps.astype(np.int64),
                    eta.astype(np.int64),
                    np.ones(n, dtype=np.int64),
                    np.zeros(n, dtype=np.int64),
                )
            )

    if parts:
        unit, incident, capability, eta, committed, moved = (
            np.concatenate([p[k] for p in parts]).astype(np.int64) for k in range(6)
        )
    else:
        unit = incident = capability = eta = committed = moved = np.zeros(0, dtype=np.int64)
    target = targets[incident]
    lateness = np.where(target > 0, np.maximum(0, eta - target), 0)
    cost = weights[incident] * (LATENESS_WEIGHT * lateness + eta)
    return Arcs(
        unit=unit,
        group=group_index[incident, capability],
        eta=eta,
        cost=cost,
        rank_bonus=incident_bonus[incident],
        committed=committed,
        moved=moved,
        group_incident=group_incident.astype(np.int64),
        group_capability=group_capability.astype(np.int64),
        group_count=group_count,
        n_levels=n_levels,
    )
