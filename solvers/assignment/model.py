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
    AT_POST = 4
    TRANSPORTING = 5
    AT_HOSPITAL = 6
    RETURNING = 7
    OUT_OF_SERVICE = 8


#: Free now: dispatched from where they are, counted by coverage rules.
FREE_NOW = (UnitStatus.AVAILABLE, UnitStatus.AT_POST)
#: Free soon: dispatched only with ``allow_soon_free``, after ``wait`` seconds, from the place
#: they become free (the caller's travel row is from there).
SOON_FREE = (UnitStatus.TRANSPORTING, UnitStatus.AT_HOSPITAL, UnitStatus.RETURNING)
#: May be committed to an incident (count there; EN_ROUTE may be re-routed).
COMMITTED = (UnitStatus.EN_ROUTE, UnitStatus.BUSY)


#: Per tuple of statuses, a bool table over the numbers 0 .. max + 1 (``status_in``).
_STATUS_TABLES: dict[tuple[UnitStatus, ...], np.ndarray] = {}


def status_in(status: np.ndarray, statuses: tuple[UnitStatus, ...]) -> np.ndarray:
    """Per unit, whether its status is one of ``statuses``: one lookup in a table kept per
    tuple. Comparing an array with an IntEnum member goes through the enum's attribute lookup
    (~5 us a comparison at 300 units against ~1 us for the lookup; ``np.isin`` costs ~40 us),
    and an AssignUnits call asks about ten times. Numbers outside the enum clip onto the table's
    two ends, which are False (no status is 0), so every integer gets the answer comparing gives."""
    table = _STATUS_TABLES.get(statuses)
    if table is None:
        table = np.zeros(max(UnitStatus) + 2, dtype=bool)
        table[[int(s) for s in statuses]] = True
        _STATUS_TABLES[statuses] = table
    return table.take(status, mode="clip")


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
    as committed elsewhere and never moved; always -1 for other statuses). ``targets`` are the
    incidents' response targets, 0 = none.

    The unit lifecycle (all optional, absent = the behaviour before it existed): ``wait`` is the
    seconds until a SOON_FREE unit is free (0 for every other unit), ``turnout`` the seconds from
    dispatch until a unit rolls; a unit sent from rest (FREE_NOW, or SOON_FREE with
    ``allow_soon_free``) arrives after ``wait + travel + turnout``, an EN_ROUTE one after
    ``travel``. Per (incident, capability), ``requirement_targets`` is the full-complement
    target of every unit filling it (default: the incident's target) and
    ``first_unit_targets`` a target met when the earliest of those units arrives within it
    (0 = none; at most the full-complement target when that is set).
    Defaults are materialised at construction: ``dataclasses.replace(problem, targets=...)``
    keeps the old ``requirement_targets``; pass both.
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
    wait: np.ndarray | None = None
    turnout: np.ndarray | None = None
    allow_soon_free: bool = False
    requirement_targets: np.ndarray | None = None
    first_unit_targets: np.ndarray | None = None

    def __post_init__(self) -> None:
        n_units, n_incidents, n_caps = self.n_units, self.n_incidents, len(self.capabilities)
        defaults = {
            "wait": np.zeros(n_units, dtype=np.int64),
            "turnout": np.zeros(n_units, dtype=np.int64),
            "requirement_targets": np.repeat(
                np.asarray(self.targets, dtype=np.int64).reshape(-1, 1), n_caps, axis=1
            ),
            "first_unit_targets": np.zeros((n_incidents, n_caps), dtype=np.int64),
        }
        for name, default in defaults.items():
            value = getattr(self, name)
            object.__setattr__(
                self, name, default if value is None else np.asarray(value, dtype=np.int64)
            )
        shapes = {
            "unit_capabilities": (self.unit_capabilities, (n_units, n_caps)),
            "status": (self.status, (n_units,)),
            "commitment": (self.commitment, (n_units,)),
            "priorities": (self.priorities, (n_incidents,)),
            "targets": (self.targets, (n_incidents,)),
            "requirements": (self.requirements, (n_incidents, n_caps)),
            "travel": (self.travel, (n_units, n_incidents)),
            "wait": (self.wait, (n_units,)),
            "turnout": (self.turnout, (n_units,)),
            "requirement_targets": (self.requirement_targets, (n_incidents, n_caps)),
            "first_unit_targets": (self.first_unit_targets, (n_incidents, n_caps)),
        }
        for name, (array, shape) in shapes.items():
            if array.shape != shape:
                raise ValueError(f"{name} has shape {array.shape}, expected {shape}.")
        self._check_lifecycle()
        if self.coverage_rules and (
            self.unit_to_district is None
            or self.unit_to_district.shape != (n_units, len(self.district_ids))
        ):
            raise ValueError("Coverage rules need a units x districts travel matrix.")

    def _check_lifecycle(self) -> None:
        """Reject lifecycle data the objective's arguments rely on (library callers; the service
        validates requests before they get here)."""
        assert self.wait is not None and self.turnout is not None
        soon = status_in(self.status, SOON_FREE)
        if np.any(self.wait < 0) or np.any(self.turnout < 0):
            raise ValueError("wait and turnout must not be negative.")
        if np.any(self.wait[~soon] != 0):
            raise ValueError("Only TRANSPORTING, AT_HOSPITAL and RETURNING units may wait.")
        if np.any((self.commitment >= 0) & ~status_in(self.status, COMMITTED)):
            raise ValueError("Only EN_ROUTE and BUSY units may be committed to an incident.")
        full, first = self.requirement_targets, self.first_unit_targets
        assert full is not None and first is not None
        if np.any(full < 0) or np.any(first < 0) or np.any((full > 0) & (first > full)):
            raise ValueError("Targets must be >= 0, first-unit targets <= full-complement ones.")

    @property
    def from_rest(self) -> np.ndarray:
        """Per unit: may be sent now from rest (free now, or soon free when allowed)."""
        statuses = FREE_NOW + SOON_FREE if self.allow_soon_free else FREE_NOW
        return status_in(self.status, statuses)

    @property
    def delay(self) -> np.ndarray:
        """Per unit: seconds added to travel when sent from rest (wait + turnout)."""
        assert self.wait is not None and self.turnout is not None
        return self.wait + self.turnout

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
        """Seconds until ``unit`` is at ``incident``: 0 for a BUSY unit already on that scene,
        travel for an EN_ROUTE unit (already rolling), else wait + travel + turnout."""
        status = self.status[unit]
        if status == UnitStatus.BUSY and self.commitment[unit] == incident:
            return 0
        if status == UnitStatus.EN_ROUTE:
            return int(self.travel[unit, incident])
        return int(self.travel[unit, incident]) + int(self.delay[unit])


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
        incident = np.where(status_in(problem.status, COMMITTED), problem.commitment, -1)
        return cls(incident.astype(np.int64), np.full(problem.n_units, -1, dtype=np.int64))


def _augment(
    unit: int,
    caps: dict[int, list[int]],
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
        status_in(status, COMMITTED) & (commitment >= 0) & (commitment < problem.n_incidents)
    )
    # The order (BUSY first, then ETA at its own incident, then index) in one numpy lexsort:
    # a committed unit is BUSY (ETA 0 there) or EN_ROUTE (ETA = travel, already rolling).
    at = commitment[committed]
    busy = status_in(status[committed], (UnitStatus.BUSY,))
    eta = np.where(busy, 0, problem.travel[committed, at])
    committed = committed[np.lexsort((committed, eta, ~busy, at))]
    at = commitment[committed]
    wanted_caps = problem.unit_capabilities[committed] & (problem.requirements[at] > 0)
    by_incident: dict[int, list[int]] = {}
    caps: dict[int, list[int]] = {}
    for u, incident, flags in zip(
        committed.tolist(), at.tolist(), wanted_caps.tolist(), strict=True
    ):
        by_incident.setdefault(incident, []).append(u)
        caps[u] = [c for c, flag in enumerate(flags) if flag]
    requirements = problem.requirements.tolist()
    for incident, units in by_incident.items():
        need = {c: n for c, n in enumerate(requirements[incident]) if n > 0}
        holders: dict[int, list[int]] = {c: [] for c in need}
        slot: dict[int, int] = {}
        for u in units:
            if caps[u]:
                _augment(u, caps, need, holders, slot, set())
        for u, c in slot.items():
            out[u] = c
    return out
