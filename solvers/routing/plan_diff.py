"""The plan diff: what a re-plan changes for the crews, stop by stop, and how much (churn).

Why: a dispatcher can only hand out a new plan when they can see what it changes: which stops
moved to another crew, which crews must be told a new next stop, how far each ETA moved. The
diff is a pure function of two plans, so PlanRoutes can attach it to any answer, benchmarks can
measure churn, and tests can pin it down without a solver.

Plans are compared by ids, not indices: a reference plan from this morning may name stops the
request no longer has (done, cancelled) and trucks that broke down. A plan is given as
:data:`Timelines`: vehicle id -> its stops in order, each with its service start when known
(facilities and breaks are not part of the diff). Every stop in either plan gets one
:class:`StopDiff`:

* ADDED: served in the new plan only; DROPPED: in the reference plan only.
* MOVED: served by another vehicle.
* REORDERED: same vehicle, but not in the longest subsequence of the stops both routes of that
  vehicle share that they visit in the same order (the fewest stops that explain the change: a
  stop pulled forward by one place is one REORDERED stop, not all those it overtook).
* UNCHANGED: the rest (its time may still move: see ``eta_shift``).

A crew's next stop is the first stop of its route that is still requested (the reference route
may start with stops already done); :class:`ChurnKpis` counts the crews whose next stop changed.
"""

from __future__ import annotations

import bisect
import enum
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from solvers.routing.plan import PlanEvaluation, VisitKind
from solvers.routing.problem import RoutingProblem

__all__ = [
    "Change",
    "ChurnKpis",
    "CrewDiff",
    "PlanDiff",
    "StopDiff",
    "StopTime",
    "Timelines",
    "diff_plans",
    "timelines",
]


class Change(enum.Enum):
    """Mirrors dispatch.v1.StopChange.Change."""

    UNCHANGED = "UNCHANGED"
    ADDED = "ADDED"
    DROPPED = "DROPPED"
    MOVED = "MOVED"
    REORDERED = "REORDERED"


@dataclass(frozen=True)
class StopTime:
    """A stop of a route and its service start (None when it cannot be timed)."""

    stop: str
    start: int | None = None


#: A plan as the diff sees it: vehicle id -> that vehicle's stops in visiting order.
Timelines = Mapping[str, Sequence[StopTime]]


@dataclass(frozen=True)
class StopDiff:
    """One stop's place in both plans (None where it has none) and what changed."""

    stop: str
    change: Change
    reference_vehicle: str | None
    vehicle: str | None
    reference_position: int | None
    position: int | None
    reference_start: int | None
    start: int | None
    still_requested: bool = True

    @property
    def eta_shift(self) -> int | None:
        """New start minus reference start (positive: later), when both are known."""
        if self.start is None or self.reference_start is None:
            return None
        return self.start - self.reference_start


@dataclass(frozen=True)
class CrewDiff:
    """A vehicle's next stop before and after, and how many stops it has."""

    vehicle: str
    reference_next: str | None
    next: str | None
    reference_stops: int
    stops: int

    @property
    def next_changed(self) -> bool:
        """True when the crew must be told a new next stop."""
        return self.reference_next != self.next


@dataclass(frozen=True)
class ChurnKpis:
    """Headline churn: stops per change, crews to call, ETA shifts (seconds)."""

    stops_unchanged: int
    stops_added: int
    stops_dropped: int
    stops_moved: int
    stops_reordered: int
    crews_next_stop_changed: int
    stops_shifted: int
    eta_shift_total: int
    eta_shift_max: int


@dataclass(frozen=True)
class PlanDiff:
    """Every stop of either plan, every crew with stops in either, and the KPIs."""

    stops: tuple[StopDiff, ...]
    crews: tuple[CrewDiff, ...]
    kpis: ChurnKpis


@dataclass(frozen=True)
class _Place:
    vehicle: str
    position: int
    start: int | None


def _places(plan: Timelines, which: str) -> dict[str, _Place]:
    """Stop -> where the plan serves it; a stop served twice is a caller's bug."""
    out: dict[str, _Place] = {}
    for vehicle, stops in plan.items():
        for position, item in enumerate(stops):
            if item.stop in out:
                raise ValueError(f"stop {item.stop!r} appears twice in the {which} plan")
            out[item.stop] = _Place(vehicle, position, item.start)
    return out


def _kept_in_order(reference: Sequence[str], new: Sequence[str]) -> set[str]:
    """The largest set of common stops both sequences visit in the same order.

    Both sequences are duplicate-free, so this longest common subsequence is the longest
    increasing subsequence of the reference positions read in the new order: O(n log n)
    (patience sorting), not the quadratic table, since a city route can hold hundreds of stops.
    """
    rank = {stop: i for i, stop in enumerate(reference)}
    sequence = [(rank[s], s) for s in new if s in rank]
    tails: list[int] = []  # smallest tail rank of an increasing run of each length
    tail_at: list[int] = []  # index into `sequence` of that tail
    parent = [-1] * len(sequence)
    for i, (r, _) in enumerate(sequence):
        length = bisect.bisect_left(tails, r)
        if length == len(tails):
            tails.append(r)
            tail_at.append(i)
        else:
            tails[length], tail_at[length] = r, i
        parent[i] = tail_at[length - 1] if length else -1
    kept: set[str] = set()
    i = tail_at[-1] if tail_at else -1
    while i >= 0:
        kept.add(sequence[i][1])
        i = parent[i]
    return kept


def _routes_by_vehicle(plan: Timelines) -> dict[str, list[str]]:
    return {vehicle: [item.stop for item in stops] for vehicle, stops in plan.items()}


def diff_plans(
    reference: Timelines,
    new: Timelines,
    requested: Collection[str] | None = None,
) -> PlanDiff:
    """Compare ``new`` with ``reference`` stop by stop (see the module docstring).

    ``requested`` holds the stop ids the current request still has (None: every stop of both
    plans). A DROPPED stop outside it is marked ``still_requested=False``, and a reference
    route's next stop is its first stop inside it. Raises ValueError when a plan serves a stop
    twice.
    """
    before, after = _places(reference, "reference"), _places(new, "new")
    wanted = (lambda stop: True) if requested is None else requested.__contains__
    ref_routes, new_routes = _routes_by_vehicle(reference), _routes_by_vehicle(new)
    kept: set[str] = set()
    for vehicle, stops in new_routes.items():
        kept |= _kept_in_order(ref_routes.get(vehicle, []), stops)
    diffs = [_stop_diff(stop, before.get(stop), place, kept) for stop, place in after.items()]
    diffs += [
        _stop_diff(stop, place, None, kept, still_requested=wanted(stop))
        for stop, place in before.items()
        if stop not in after
    ]
    crews = _crews(reference, new, wanted)
    return PlanDiff(tuple(diffs), crews, _kpis(diffs, crews))


def _stop_diff(
    stop: str,
    before: _Place | None,
    after: _Place | None,
    kept: set[str],
    still_requested: bool = True,
) -> StopDiff:
    if before is None:
        change = Change.ADDED
    elif after is None:
        change = Change.DROPPED
    elif before.vehicle != after.vehicle:
        change = Change.MOVED
    else:
        change = Change.UNCHANGED if stop in kept else Change.REORDERED
    return StopDiff(
        stop=stop,
        change=change,
        reference_vehicle=before.vehicle if before else None,
        vehicle=after.vehicle if after else None,
        reference_position=before.position if before else None,
        position=after.position if after else None,
        reference_start=before.start if before else None,
        start=after.start if after else None,
        still_requested=still_requested,
    )


def _crews(reference: Timelines, new: Timelines, wanted) -> tuple[CrewDiff, ...]:
    """Every vehicle with stops in either plan: new plan's order first, then reference-only."""
    ref_routes, new_routes = _routes_by_vehicle(reference), _routes_by_vehicle(new)
    order = [v for v in new_routes if new_routes[v]]
    order += [v for v in ref_routes if ref_routes[v] and v not in set(order)]
    out = []
    for vehicle in order:
        ref_stops, new_stops = ref_routes.get(vehicle, []), new_routes.get(vehicle, [])
        out.append(
            CrewDiff(
                vehicle=vehicle,
                reference_next=next((s for s in ref_stops if wanted(s)), None),
                next=new_stops[0] if new_stops else None,
                reference_stops=len(ref_stops),
                stops=len(new_stops),
            )
        )
    return tuple(out)


def _kpis(diffs: Sequence[StopDiff], crews: Sequence[CrewDiff]) -> ChurnKpis:
    count = {change: 0 for change in Change}
    for diff in diffs:
        count[diff.change] += 1
    shifts = [abs(d.eta_shift) for d in diffs if d.eta_shift is not None]
    return ChurnKpis(
        stops_unchanged=count[Change.UNCHANGED],
        stops_added=count[Change.ADDED],
        stops_dropped=count[Change.DROPPED],
        stops_moved=count[Change.MOVED],
        stops_reordered=count[Change.REORDERED],
        crews_next_stop_changed=sum(1 for crew in crews if crew.next_changed),
        stops_shifted=sum(1 for shift in shifts if shift),
        eta_shift_total=sum(shifts),
        eta_shift_max=max(shifts, default=0),
    )


def timelines(
    problem: RoutingProblem, evaluation: PlanEvaluation
) -> dict[str, tuple[StopTime, ...]]:
    """The checker's evaluation of a plan as timelines: ids and service starts of its stops."""
    return {
        problem.vehicles[route.vehicle].id: tuple(
            StopTime(problem.stops[t.ref].id, t.start)
            for t in route.visits
            if t.kind is VisitKind.STOP
        )
        for route in evaluation.routes
    }
