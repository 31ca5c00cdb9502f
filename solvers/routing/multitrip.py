"""Disposal trips for an engine without a last-unload rule: the relaxation and the repair.

PyVRP 0.14 models reload depots (a visit empties the truck) but has no driver breaks, no rule that
a truck must unload before it goes home and no load limit per day. The PyVRP engine solves a
relaxation built from the pieces here, and every route it returns is finished here into a real
one, which the checker then verifies like any other plan:

* **Breaks: a clock without them** (``solvers.routing.break_clock``, shared with problems
  without facilities). :func:`finish_route` places each break where the checker accepts it,
  trying the position at the cut first.
* **Unload before going home: a virtual end.** Vehicles end at a virtual location reached from x
  through the facility f that minimises cost(x, f) + cost(f, end), unload time included in the
  duration (:func:`end_legs`). :func:`finish_route` then picks the real last unload.
* **Load per day: limits on trips.** k trips of at most daily / k each can never collect more
  than the daily capacity (:func:`trip_limits` picks k). It is a restriction: where it takes
  much of the daily or the trip capacity away (:func:`load_kept`), the portfolio does not use
  this relaxation.
* **Stops per vehicle are not modelled;** a route over the limit makes the engine fail, and the
  portfolio keeps the other engine's plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from solvers.routing.break_clock import with_breaks
from solvers.routing.plan import PlannedVisit, RoutePlan, VisitKind
from solvers.routing.problem import RoutingProblem

#: Last unloads tried per route, nearest first (by cost via the facility to the end).
FINAL_FACILITIES_TRIED = 3
#: Full trips when they keep at least this share of the daily capacity (see trip_limits).
FULL_TRIPS_MIN_DAY = 0.9


@dataclass(frozen=True)
class TripLimits:
    """Per-trip capacity and trip count that never exceed a vehicle's daily capacity."""

    capacities: tuple[int, ...] | None  # per trip, per dimension; None = unlimited
    max_trips: int | None  # None = unlimited
    kept: float  # smallest share of the daily or the trip capacity still usable (1 = all)


def trip_limits(problem: RoutingProblem, vehicle: int) -> TripLimits:
    """k trips of at most min(capacity, daily // k) each can never exceed the daily capacity.

    Full trips (k = floor(daily / capacity)) when they keep at least ``FULL_TRIPS_MIN_DAY`` of
    the day: a day that is rarely filled should not cost every trip some capacity. Otherwise k
    is floor or ceil of daily / capacity in some dimension, whichever keeps the larger share of
    both capacities: with trips of 28 and a day of 80 (Kim 1599_stop), 2 full trips keep 70 %
    of the day, 3 trips of 26.66 keep all of it and 95 % of a trip.
    """
    v = problem.vehicles[vehicle]
    trip, daily = v.capacities, v.daily_capacities
    if daily is None:
        return TripLimits(trip, None, 1.0)
    if trip is None:  # unlimited trips: one of at most the daily capacity is the whole rule
        return TripLimits(daily, 1, 1.0)
    dims = [d for d in range(min(len(trip), len(daily))) if trip[d] > 0 and daily[d] > 0]
    if not dims:
        return TripLimits(trip, None, 1.0)
    counts = {max(1, n) for d in dims for n in (daily[d] // trip[d], -(-daily[d] // trip[d]))}
    best: TripLimits | None = None
    full = max(1, min(daily[d] // trip[d] for d in dims))
    for k in [full, *sorted(counts)]:
        capacities = list(trip)
        for d in dims:
            capacities[d] = min(trip[d], daily[d] // k)
        kept = min(min(k * capacities[d] / daily[d], capacities[d] / trip[d]) for d in dims)
        if best is None or kept > best.kept:
            best = TripLimits(tuple(capacities), k, kept)
        if k == full and kept >= FULL_TRIPS_MIN_DAY:
            break
    assert best is not None
    return best


def load_kept(problem: RoutingProblem) -> float:
    """Smallest share of any vehicle's daily or trip capacity that the trip limits keep."""
    return min((trip_limits(problem, k).kept for k in range(len(problem.vehicles))), default=1.0)


def end_legs(
    problem: RoutingProblem, costs: np.ndarray, durations: np.ndarray, end: int
) -> tuple[np.ndarray, np.ndarray]:
    """Cost and seconds from every location to ``end`` through its cheapest facility.

    The cheapest facility minimises cost(x, f) + cost(f, end); its unload time is in the seconds.
    """
    locations = np.asarray([f.location for f in problem.facilities])
    unload = np.asarray([f.unload_duration for f in problem.facilities], dtype=np.int64)
    via = costs[:, locations] + costs[locations, end][None, :]
    best = via.argmin(axis=1)
    rows = np.arange(costs.shape[0])
    cost = via[rows, best]
    seconds = durations[rows, locations[best]] + unload[best] + durations[locations[best], end]
    return cost.astype(np.int64), seconds.astype(np.int64)


def finish_route(
    problem: RoutingProblem,
    vehicle: int,
    visits: Sequence[PlannedVisit],
    cut_positions: Sequence[int] = (),
) -> RoutePlan | None:
    """A real route from a relaxed one: the last unload and the breaks added, or None.

    ``cut_positions[b]`` is where the relaxed route crossed break b's cut (the index of the
    first visit at or after it); break b is tried there first, then ever further away. The
    first candidate without violations is returned; None when there is none.
    """
    for final in _final_unloads(problem, vehicle, visits):
        base = [*visits, *([PlannedVisit(VisitKind.FACILITY, final)] if final is not None else [])]
        route = with_breaks(problem, vehicle, base, cut_positions)
        if route is not None:
            return route
    return None


def _final_unloads(
    problem: RoutingProblem, vehicle: int, visits: Sequence[PlannedVisit]
) -> list[int | None]:
    """Last unloads to try: none when the route already ends empty or the problem has no
    facilities (nothing to unload at and no rule to), else the nearest few."""
    trailing = 0
    for visit in reversed(visits):
        if visit.kind is VisitKind.FACILITY:
            break
        if visit.kind is VisitKind.STOP:
            trailing += sum(problem.stops[visit.ref].demands)
    if not trailing or not problem.facilities:
        return [None]
    v = problem.vehicles[vehicle]
    last = _location(problem, visits[-1])
    order = sorted(
        range(len(problem.facilities)),
        key=lambda f: (
            problem.distance(vehicle, last, problem.facilities[f].location)
            + problem.distance(vehicle, problem.facilities[f].location, v.end),
            problem.travel(vehicle, last, problem.facilities[f].location)
            + problem.travel(vehicle, problem.facilities[f].location, v.end),
        ),
    )
    return list(order[:FINAL_FACILITIES_TRIED])


def _location(problem: RoutingProblem, visit: PlannedVisit) -> int:
    if visit.kind is VisitKind.STOP:
        return problem.stops[visit.ref].location
    return problem.facilities[visit.ref].location
