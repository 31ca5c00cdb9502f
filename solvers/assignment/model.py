"""The emergency assignment problem and plan: immutable, integer seconds, indices instead of ids.

Built by ``dispatch.emergency`` from a validated AssignUnitsRequest, or by benchmarks and tests
directly. Ids are kept only to name things in messages; every cross-reference is an index.

The objective is the contract's (protos/dispatch/v1/emergency.proto), lexicographic:

1. filled requirement slots per priority level, most urgent level first (maximise);
2. filled slots reached within the incident's target per priority level, most urgent first
   (maximise; a slot of an incident without a target counts as within);
3. weighted response time ``sum w(p) * eta`` over filled slots, ``w(p) = P + 1 - p``;
4. coverage shortfall summed over rules (minimise);
5. churn: EN_ROUTE units moved to another incident (minimise).

Committed units (BUSY on scene with ETA 0, EN_ROUTE with their current ETA) count towards
their own incident: one with a capability the incident requires must fill one of its slots
(``committed_slots``), so a free unit is never sent on top of an en-route one (no double
dispatch); an EN_ROUTE unit may instead be re-routed to a strictly more urgent incident when
allowed. A committed unit that fills no slot (its incident needs none of its capabilities, or
other committed units already fill every slot it could) keeps its commitment: it is never
released by a plan.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

import numpy as np


class UnitStatus(enum.IntEnum):
    """Operational state of a unit (same numbers as dispatch.v1.Unit.Status)."""

    AVAILABLE = 1
    EN_ROUTE = 2
    BUSY = 3


@dataclass(frozen=True)
class CoverageRule:
    """Keep ``min_units`` free units with ``capability`` within ``max_travel`` s of ``district``."""

    district: int
    capability: int
    min_units: int
    max_travel: int


@dataclass(frozen=True, eq=False)
class AssignmentProblem:
    """Everything an assignment solver needs.

    ``unit_capabilities`` is a bool (units x capabilities) matrix; ``requirements`` an int64
    (incidents x capabilities) matrix of slot counts; ``travel`` int64 (units x incidents)
    seconds; ``commitment`` the incident index a BUSY or EN_ROUTE unit is committed to, or -1
    (also -1 when the caller named an incident that is not in the request: such a unit is treated
    as committed elsewhere and never moved). ``targets`` are response targets, 0 = none.
    """

    unit_ids: tuple[str, ...]
    incident_ids: tuple[str, ...]
    capabilities: tuple[str, ...]
    unit_capabilities: np.ndarray
    status: np.ndarray
    commitment: np.ndarray
    priorities: np.ndarray
    targets: np.ndarray
    requirements: np.ndarray
    travel: np.ndarray
    district_ids: tuple[str, ...] = ()
    unit_to_district: np.ndarray | None = None
    coverage_rules: tuple[CoverageRule, ...] = ()
    max_travel: int = 0
    allow_reassignment: bool = False
    label: str = ""

    def __post_init__(self) -> None:
        n_units, n_incidents, n_caps = self.n_units, self.n_incidents, len(self.capabilities)
        shapes = {
            "unit_capabilities": (self.unit_capabilities, (n_units, n_caps)),
            "status": (self.status, (n_units,)),
            "commitment": (self.commitment, (n_units,)),
            "priorities": (self.priorities, (n_incidents,)),
            "targets": (self.targets, (n_incidents,)),
            "requirements": (self.requirements, (n_incidents, n_caps)),
            "travel": (self.travel, (n_units, n_incidents)),
        }
        for name, (array, shape) in shapes.items():
            if array.shape != shape:
                raise ValueError(f"{name} has shape {array.shape}, expected {shape}.")
        if self.coverage_rules and (
            self.unit_to_district is None
            or self.unit_to_district.shape != (n_units, len(self.district_ids))
        ):
            raise ValueError("Coverage rules need a units x districts travel matrix.")

    @property
    def n_units(self) -> int:
        """Number of units."""
        return len(self.unit_ids)

    @property
    def n_incidents(self) -> int:
        """Number of incidents."""
        return len(self.incident_ids)

    @property
    def max_priority(self) -> int:
        """P in w(p) = P + 1 - p (1 when there are no incidents)."""
        return int(self.priorities.max()) if self.n_incidents else 1

    def weight(self, incident: int) -> int:
        """w(p) of an incident's priority."""
        return self.max_priority + 1 - int(self.priorities[incident])

    def priority_levels(self) -> tuple[int, ...]:
        """Distinct priorities of incidents that need anything, most urgent first."""
        needy = self.requirements.sum(axis=1) > 0
        return tuple(sorted({int(p) for p in self.priorities[needy]}))

    def eta(self, unit: int, incident: int) -> int:
        """Seconds until ``unit`` is at ``incident`` (0 for a BUSY unit already on that scene)."""
        if self.status[unit] == UnitStatus.BUSY and self.commitment[unit] == incident:
            return 0
        return int(self.travel[unit, incident])


@dataclass(frozen=True, eq=False)
class AssignmentPlan:
    """Where each unit is after the dispatch and which slot it fills.

    ``incident[u]`` is the incident unit ``u`` goes to or stays at (-1: stays free or committed
    to something outside the request); ``capability[u]`` the capability of the requirement slot
    it fills there, or -1 when it fills none (a committed unit beyond the requirement).
    """

    incident: np.ndarray
    capability: np.ndarray

    @classmethod
    def empty(cls, problem: AssignmentProblem) -> AssignmentPlan:
        """Nothing new dispatched: committed units stay where they are and fill no slot."""
        incident = np.where(problem.status == UnitStatus.AVAILABLE, -1, problem.commitment)
        return cls(incident.astype(np.int64), np.full(problem.n_units, -1, dtype=np.int64))


def _augment(
    unit: int,
    caps: list[list[int]],
    need: dict[int, int],
    holders: dict[int, list[int]],
    slot: dict[int, int],
    seen: set[int],
) -> bool:
    """Kuhn's augmenting path for ``unit`` into capability slots with capacities ``need``."""
    for c in caps[unit]:
        if c in seen:
            continue
        seen.add(c)
        if len(holders[c]) < need[c]:
            holders[c].append(unit)
            slot[unit] = c
            return True
        for other in list(holders[c]):
            if _augment(other, caps, need, holders, slot, seen):
                holders[c].remove(other)
                holders[c].append(unit)
                slot[unit] = c
                return True
    return False


def committed_slots(problem: AssignmentProblem) -> np.ndarray:
    """Per unit, the capability slot it must fill at its own incident, or -1 (not forced).

    A BUSY or EN_ROUTE unit committed to an incident in the request that has a capability the
    incident requires counts there: it must fill one of that incident's slots (an EN_ROUTE unit
    may instead be re-routed to a strictly more urgent incident, when allowed). When more
    committed units than slots could stay, the forced ones are a maximum set chosen BUSY first,
    then by ETA, then by index (a transversal-matroid greedy, so the set is unique); the others
    stay committed and fill no slot. The capability returned is one valid placement of the
    forced set; solvers may place forced units in any slot of their incident.
    """
    out = np.full(problem.n_units, -1, dtype=np.int64)
    status, commitment = problem.status, problem.commitment
    committed = np.flatnonzero(
        (status != UnitStatus.AVAILABLE) & (commitment >= 0) & (commitment < problem.n_incidents)
    )
    by_incident: dict[int, list[int]] = {}
    for u in committed.tolist():
        by_incident.setdefault(int(commitment[u]), []).append(u)
    caps: list[list[int]] = [[] for _ in range(problem.n_units)]
    for incident, units in by_incident.items():
        wanted = problem.requirements[incident]
        need = {int(c): int(wanted[c]) for c in np.flatnonzero(wanted > 0)}
        for u in units:
            caps[u] = [c for c in need if problem.unit_capabilities[u, c]]
        units.sort(
            key=lambda u, i=incident: (
                0 if status[u] == UnitStatus.BUSY else 1,
                problem.eta(u, i),
                u,
            )
        )
        holders: dict[int, list[int]] = {c: [] for c in need}
        slot: dict[int, int] = {}
        for u in units:
            if caps[u]:
                _augment(u, caps, need, holders, slot, set())
        for u, c in slot.items():
            out[u] = c
    return out
