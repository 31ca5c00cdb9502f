"""Locks and churn of a re-plan: what must stay as the crews were told, and what change costs.

A re-plan during the day (issue #13) carries, besides the live state of the vehicles
(``solvers.routing.live``), a :class:`Replan`:

* **Locks** in Google's relaxation levels. ``KEEP_VEHICLE``: the stop is served by that
  vehicle, in any order. ``KEEP_SEQUENCE``: besides, the vehicle's sequence-locked stops are its
  first stops, in the order given, with no other stop and no unload between them (a break may
  fall between them: breaks are taken wherever the crew is). A locked stop is mandatory.
* **Churn cost** against the reference plan: ``per_stop_moved`` for every served stop on
  another vehicle than in the reference plan, and ``per_minute_eta_shift`` per minute by which
  a stop's start of service differs from its reference start by more than ``eta_tolerance``
  seconds (earlier or later), pro rata.

The checker (``solvers.routing.checker``) states the rules and calls :func:`route_lock_violations`
for every route and :func:`churn_cost` for every plan, so every plan leaving the service keeps
every lock it was given. A sequence that cannot be driven on its own (a window it cannot meet, a
shift too short) is not an error: :func:`settle_sequences` relaxes it to KEEP_VEHICLE from the
first stop that fails, before any engine sees the problem, and the answer reports it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from solvers.routing.plan import (
    PlanEvaluation,
    PlannedVisit,
    RoutePlan,
    SkipReason,
    Violation,
    ViolationType,
    VisitKind,
)
from solvers.status import SolverFamily

if TYPE_CHECKING:
    from solvers.routing.problem import RoutingProblem

__all__ = [
    "Churn",
    "Level",
    "Lock",
    "Replan",
    "UnkeptLock",
    "churn_cost",
    "declined_features",
    "route_lock_violations",
    "settle_sequences",
    "unkept_locks",
]


class Level(enum.Enum):
    """Mirrors dispatch.v1.RelaxationLevel (FREE locks nothing and is never stored)."""

    KEEP_SEQUENCE = "KEEP_SEQUENCE"
    KEEP_VEHICLE = "KEEP_VEHICLE"


@dataclass(frozen=True)
class Lock:
    """Stop ``stop`` is served by vehicle ``vehicle``; with KEEP_SEQUENCE in its place among
    the vehicle's sequence locks (their order in :attr:`Replan.locks`)."""

    stop: int
    vehicle: int
    level: Level = Level.KEEP_VEHICLE


@dataclass(frozen=True)
class Churn:
    """Cost of changing the reference plan, in the objective's currency units."""

    per_stop_moved: float = 0.0
    per_minute_eta_shift: float = 0.0
    eta_tolerance: int = 0  # seconds of shift that cost nothing

    @property
    def active(self) -> bool:
        """True when any churn is priced."""
        return self.per_stop_moved > 0 or self.per_minute_eta_shift > 0


@dataclass(frozen=True)
class UnkeptLock:
    """A lock the plan does not keep as asked, and why.

    ``served`` True: the stop is still served by its vehicle but its sequence gave way (it was
    relaxed to KEEP_VEHICLE before solving); False: the stop is not served at all.
    """

    stop: int
    vehicle: int
    level: Level
    served: bool
    reason: SkipReason
    detail: str


@dataclass(frozen=True, eq=False)
class Replan:
    """Locks, churn cost and the reference plan's vehicle and start time per stop (indices).

    ``relaxed`` holds the sequence locks :func:`settle_sequences` turned into vehicle locks.
    """

    locks: tuple[Lock, ...] = ()
    churn: Churn = Churn()
    reference_vehicle: dict[int, int] = field(default_factory=dict)
    reference_start: dict[int, int] = field(default_factory=dict)
    relaxed: tuple[UnkeptLock, ...] = ()
    _vehicle_of: dict[int, int] = field(init=False, repr=False)
    _prefix: dict[int, tuple[int, ...]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        prefix: dict[int, list[int]] = {}
        for lock in self.locks:
            if lock.level is Level.KEEP_SEQUENCE:
                prefix.setdefault(lock.vehicle, []).append(lock.stop)
        object.__setattr__(self, "_vehicle_of", {lock.stop: lock.vehicle for lock in self.locks})
        object.__setattr__(self, "_prefix", {k: tuple(v) for k, v in prefix.items()})

    def locked_vehicle(self, stop: int) -> int | None:
        """The vehicle a stop is locked to, or None."""
        return self._vehicle_of.get(stop)

    def prefix(self, vehicle: int) -> tuple[int, ...]:
        """The vehicle's sequence-locked stops, in order (its frozen prefix)."""
        return self._prefix.get(vehicle, ())

    @property
    def has_sequences(self) -> bool:
        """True when some vehicle has a frozen prefix."""
        return bool(self._prefix)


def _lock_violation(stop: int, amount: int, detail: str) -> Violation:
    return Violation(ViolationType.LOCK, stop, VisitKind.STOP, amount, detail)


def route_lock_violations(problem: RoutingProblem, route: RoutePlan) -> list[Violation]:
    """LOCK violations of one route: stops locked to another vehicle, a broken frozen prefix.

    The prefix rule is route-local: the vehicle's sequence-locked stops that the route serves
    must be its first stop and unload visits, in the locked order (breaks do not count). A
    sequence-locked stop served nowhere is the plan's business (a skipped mandatory stop).
    """
    replan = problem.replan
    if replan is None:
        return []
    k = route.vehicle
    out = []
    served = [v.ref for v in route.visits if v.kind is VisitKind.STOP]
    for i in served:
        owner = replan.locked_vehicle(i)
        if owner is not None and owner != k:
            out.append(
                _lock_violation(
                    i,
                    1,
                    f"Stop {problem.stops[i].id} is locked to vehicle "
                    f"{problem.vehicles[owner].id}, not {problem.vehicles[k].id}.",
                )
            )
    in_route = set(served)
    expected = [i for i in replan.prefix(k) if i in in_route]
    head = [v for v in route.visits if v.kind is not VisitKind.BREAK][: len(expected)]
    for position, (i, visit) in enumerate(zip(expected, head, strict=True)):
        if visit.kind is not VisitKind.STOP or visit.ref != i:
            out.append(
                _lock_violation(
                    i,
                    1,
                    f"Stop {problem.stops[i].id} is locked as visit {position + 1} of vehicle "
                    f"{problem.vehicles[k].id}'s route.",
                )
            )
            break  # one broken prefix is one violation; the rest follows from it
    return out


def churn_cost(problem: RoutingProblem, evaluation: PlanEvaluation) -> tuple[float, int, int]:
    """(churn cost, stops moved, seconds of ETA shift beyond the tolerance) of a plan."""
    replan = problem.replan
    if replan is None:
        return 0.0, 0, 0
    churn = replan.churn
    moved = excess = 0
    for route in evaluation.routes:
        for t in route.visits:
            if t.kind is not VisitKind.STOP:
                continue
            owner = replan.reference_vehicle.get(t.ref)
            if owner is not None and owner != route.vehicle:
                moved += 1
            start = replan.reference_start.get(t.ref)
            if start is not None:
                excess += max(0, abs(t.start - start) - churn.eta_tolerance)
    cost = churn.per_stop_moved * moved + churn.per_minute_eta_shift * excess / 60.0
    return cost, moved, excess


_REASON = {
    ViolationType.TIME_WINDOW: SkipReason.CANNOT_MEET_TIME_WINDOW,
    ViolationType.CAPACITY: SkipReason.DEMAND_EXCEEDS_CAPACITY,
    ViolationType.DAILY_CAPACITY: SkipReason.NO_CAPACITY_LEFT,
    ViolationType.MAX_STOPS: SkipReason.NO_CAPACITY_LEFT,
    ViolationType.SKILLS: SkipReason.NO_VEHICLE_WITH_SKILLS,
    ViolationType.VEHICLE_NOT_ALLOWED: SkipReason.NO_VEHICLE_WITH_SKILLS,
    ViolationType.SHIFT: SkipReason.SHIFT_TOO_SHORT,
    ViolationType.MAX_ROUTE_DURATION: SkipReason.SHIFT_TOO_SHORT,
}


def _first_failure(problem: RoutingProblem, vehicle: int, stops: tuple[int, ...]) -> int | None:
    """Length of the longest drivable head of ``stops`` on ``vehicle`` (None: all of it).

    Drivable: the route of just these stops, from the vehicle's start and back to its end,
    breaks nothing but the rules later visits settle (a missing break, a last unload).
    """
    from solvers.routing.checker import evaluate_route, route_violations  # it imports this

    settle_later = {ViolationType.BREAK, ViolationType.DISPOSAL_BEFORE_END}
    for m in range(1, len(stops) + 1):
        route = RoutePlan(vehicle, tuple(_stop_visit(i) for i in stops[:m]))
        broken = [
            v
            for v in route_violations(evaluate_route(problem, route))
            if v.type not in settle_later
        ]
        if broken:
            return m - 1
    return None


def _stop_visit(i: int) -> PlannedVisit:
    return PlannedVisit(VisitKind.STOP, i)


def settle_sequences(problem: RoutingProblem) -> RoutingProblem:
    """The problem with every frozen prefix cut where it stops being drivable.

    From the first stop of a prefix that cannot be reached in time (or overflows the vehicle,
    or runs past its shift) on, its stops keep only their vehicle lock; each is recorded in
    ``Replan.relaxed`` with the reason. Engines then see only prefixes they can drive.
    """
    replan = problem.replan
    if replan is None or not replan.has_sequences:
        return problem
    bare = replace(problem, replan=None)
    cut: dict[int, SkipReason] = {}
    details: dict[int, str] = {}
    for k in range(len(problem.vehicles)):
        stops = replan.prefix(k)
        if not stops:
            continue
        kept = _first_failure(bare, k, stops)
        if kept is None:
            continue
        from solvers.routing.checker import evaluate_route, route_violations  # it imports this

        failing = RoutePlan(k, tuple(_stop_visit(i) for i in stops[: kept + 1]))
        broken = route_violations(evaluate_route(bare, failing))
        reason = next((_REASON[v.type] for v in broken if v.type in _REASON), None)
        why = next((v.detail for v in broken if v.type in _REASON), "")
        for i in stops[kept:]:
            cut[i] = reason or SkipReason.NO_CAPACITY_LEFT
            details[i] = f"The locked sequence cannot be kept from here: {why}"
    if not cut:
        return problem
    locks = tuple(
        replace(lock, level=Level.KEEP_VEHICLE) if lock.stop in cut else lock
        for lock in replan.locks
    )
    relaxed = tuple(
        UnkeptLock(lock.stop, lock.vehicle, lock.level, True, cut[lock.stop], details[lock.stop])
        for lock in replan.locks
        if lock.stop in cut
    )
    settled = Replan(locks, replan.churn, replan.reference_vehicle, replan.reference_start, relaxed)
    return replace(problem, replan=settled)


def unkept_locks(
    problem: RoutingProblem, evaluation: PlanEvaluation, skipped: dict[int, SkipReason]
) -> list[UnkeptLock]:
    """Every lock the plan does not keep as asked: relaxed sequences, locked stops not served.

    ``skipped`` holds the plan's reasons for the stops it leaves out; a locked stop left out
    without one is NO_CAPACITY_LEFT (no room was found for it in the time budget).
    """
    replan = problem.replan
    if replan is None:
        return []
    relaxed = {u.stop: u for u in replan.relaxed}
    out = []
    for lock in replan.locks:
        level = relaxed[lock.stop].level if lock.stop in relaxed else lock.level
        if lock.stop not in evaluation.served:
            reason = skipped.get(lock.stop, SkipReason.NO_CAPACITY_LEFT)
            detail = f"Stop {problem.stops[lock.stop].id} cannot be served by its locked vehicle."
            out.append(UnkeptLock(lock.stop, lock.vehicle, level, False, reason, detail))
        elif lock.stop in relaxed:
            out.append(relaxed[lock.stop])
    return out


def declined_features(family: SolverFamily, problem: RoutingProblem) -> list[str]:
    """Re-planning features an engine family cannot model exactly (empty: it can).

    OR-Tools models them all (``engines/ortools/replan.py``), and the constructive heuristic
    keeps prefixes and loads on board (it optimises no cost, so churn cost is nothing it models
    worse than any other term). Vehicle locks need nothing of any engine: they are the stop's
    allowed vehicles.
    """
    if family in (SolverFamily.ORTOOLS, SolverFamily.GREEDY):
        return []
    out = []
    replan = problem.replan
    if replan is not None and replan.has_sequences:
        out.append("frozen prefixes (KEEP_SEQUENCE locks)")
    if any(any(v.initial_load) for v in problem.vehicles):
        out.append("load on board at the start")
    if replan is not None and replan.churn.active:
        out.append("churn cost against the reference plan")
    return out
