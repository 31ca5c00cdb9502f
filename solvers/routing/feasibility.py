"""Why a stop cannot be served: cheap, one-stop-at-a-time checks with honest reason codes.

:func:`prefilter` finds stops that no vehicle could serve even if it had nothing else to do;
solvers leave them out from the start and the answer reports them with a reason.
:func:`explain` gives the reason for a stop a solver left out. The checks, in order, each over
the vehicles that passed the previous one:

1. NO_VEHICLE_WITH_SKILLS: no vehicle is both allowed at the stop and has every required skill.
2. DEMAND_EXCEEDS_CAPACITY: the demand exceeds, in some dimension, the per-trip capacity or the
   daily capacity of every such vehicle.
3. SHIFT_TOO_SHORT: start -> stop -> (a facility when the stop has load and the problem has
   facilities) -> end, service and unloading included, is longer than the shift (and than
   ``max_route_duration`` where set) of every such vehicle. Windows are ignored here.
4. CANNOT_MEET_TIME_WINDOW: for every such vehicle and every departure inside its shift, the
   route start -> stop -> (facility) -> end misses a window of the stop, reaches the facility
   after it closes, ends after the shift or lasts longer than ``max_route_duration``.

The way home is direct or through any facility (through one when the stop has load to unload):
travel matrices need not obey the triangle inequality, so a detour may be the faster road. For
the same reason every drive here is the shortest one over the matrix
(:mod:`solvers.routing.shortest_drives`), not the direct entry: a route may pass through other
stops' places, and a lower bound keeps the checks from ruling out what some route can serve.

Step 4 is exact for the route shape it considers. Each visit starts as early as it can, as in the
checker, so the return time is a non-decreasing function of the departure D. Between two
departures where the stop's arrival passes the end of one of its windows, the return time is
max(D + T, K) for constants T (driving, service, unloading) and K (the waits), so the duration
max(T, K - D) only falls as D grows: within such a piece the latest departure that still meets
the piece's window, the facility's closing and the shift end (all of the form D <= bound) is the
best one. Checking that one departure per window (one in all without windows) decides the case.
The checker's default departure (latest without arriving home later than leaving at shift
start) stays in the first piece, so a stop kept here may need a planned later departure.

With time-of-day travel (``solvers.routing.travel_periods``) every drive here is the shortest
over the matrices of the periods in force during the profile's shifts: a lower bound again.

Only the stop itself is considered: a stop that passes may still be impossible together with
the others. Driver breaks are not accounted for: a break only delays what follows it, so a stop
rejected here is certainly impossible; one that passes may still fail because of a break, and
is then reported as NO_CAPACITY_LEFT. A stop that passes all four and is left out by a solver
is SKIPPED_FOR_COST when optional and NO_CAPACITY_LEFT when mandatory.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass, replace
from typing import NamedTuple

from solvers.routing.plan import SkipReason
from solvers.routing.problem import RoutingProblem, Stop, TimeWindow, Vehicle
from solvers.routing.shortest_drives import shortest_drives
from solvers.routing.soft_windows import hard_windows
from solvers.routing.travel_periods import bounded_durations

__all__ = ["explain", "impossibility", "prefilter"]


def prefilter(problem: RoutingProblem) -> dict[int, SkipReason]:
    """Stops that no vehicle can serve alone, by index, with the first reason that applies."""
    reasons: dict[int, SkipReason] = {}
    for index in range(len(problem.stops)):
        reason = impossibility(problem, index)
        if reason is not None:
            reasons[index] = reason
    return reasons


def explain(problem: RoutingProblem, stop: int) -> SkipReason:
    """The reason to report for a stop a solver left out of its plan."""
    reason = impossibility(problem, stop)
    if reason is not None:
        return reason
    if problem.stops[stop].optional:
        return SkipReason.SKIPPED_FOR_COST
    return SkipReason.NO_CAPACITY_LEFT


def impossibility(problem: RoutingProblem, stop: int) -> SkipReason | None:
    """Why no vehicle can serve stop ``stop`` even alone, or None when some vehicle can."""
    s = problem.stops[stop]
    candidates = list(problem.eligible_vehicles(stop))
    if not candidates:
        return SkipReason.NO_VEHICLE_WITH_SKILLS
    candidates = [k for k in candidates if _fits(s, problem.vehicles[k])]
    if not candidates:
        return SkipReason.DEMAND_EXCEEDS_CAPACITY
    # Fleets share depots and shifts: vehicles that only differ in what the time checks ignore
    # fare alike, so one of each kind is enough (this runs for every stop of every request).
    candidates = list({_timing(problem.vehicles[k]): k for k in candidates}.values())
    trips = []
    legs: dict[tuple[int, int, int], tuple[int, tuple[_WayHome, ...]]] = {}
    for k in candidates:
        vehicle = problem.vehicles[k]
        key = (vehicle.profile, vehicle.start, vehicle.end)
        if key not in legs:
            legs[key] = _legs(problem, k, s)
        trip = _Trip(vehicle, s, *legs[key])
        # A departure that fits implies the day fits, so most stops end here, cheaply.
        if trip.some_departure_fits():
            return None
        trips.append(trip)
    if not any(trip.fits_the_day() for trip in trips):
        return SkipReason.SHIFT_TOO_SHORT
    return SkipReason.CANNOT_MEET_TIME_WINDOW


#: Per problem with time-of-day travel, the same problem on per-arc shortest period drives.
_OPTIMISTIC: weakref.WeakKeyDictionary[RoutingProblem, RoutingProblem] = weakref.WeakKeyDictionary()


def _optimistic(problem: RoutingProblem) -> RoutingProblem:
    """The problem whose drives are lower bounds of every exact drive (itself without periods).

    With time-of-day travel ``durations`` is the engines' upper bound; a pre-check on it would
    rule out stops that a drive outside rush hour reaches in time.
    """
    if not problem.travel_periods:
        return problem
    lower = _OPTIMISTIC.get(problem)
    if lower is None:
        durations = bounded_durations(
            problem.travel_periods, problem.durations, problem.vehicles, upper=False
        )
        lower = replace(problem, durations=durations, travel_periods=())
        _OPTIMISTIC[problem] = lower
    return lower


def _fits(stop: Stop, vehicle: Vehicle) -> bool:
    for limits in (vehicle.capacities, vehicle.daily_capacities):
        if limits is None:
            continue
        for d, demand in enumerate(stop.demands):
            if d < len(limits) and demand > limits[d]:
                return False
    return True


def _timing(vehicle: Vehicle) -> tuple[object, ...]:
    """Everything about a vehicle that the duration and window checks read."""
    return (
        vehicle.start,
        vehicle.end,
        vehicle.shift,
        vehicle.max_route_duration,
        vehicle.profile,
    )


def _earliest_start(windows: tuple[TimeWindow, ...], arrival: int) -> int | None:
    if not windows:
        return arrival
    starts = [max(arrival, w.start) for w in windows if w.end >= arrival]
    return min(starts) if starts else None


class _WayHome(NamedTuple):
    """From the end of service to the end location: the drive to where the vehicle may have to
    wait (a facility, or the end location itself), that place's opening, and the rest."""

    drive: int
    opening: TimeWindow | None
    rest: int  # unloading and the drive on; 0 straight home


def _legs(problem: RoutingProblem, k: int, stop: Stop) -> tuple[int, tuple[_WayHome, ...]]:
    """Shortest seconds from vehicle k's start to the stop, and every way home: direct unless
    the stop's load must be unloaded, and through each facility (matrices need not be metric: a
    detour may be the faster road)."""
    vehicle, drives = problem.vehicles[k], shortest_drives(_optimistic(problem))
    profile, end = vehicle.profile, vehicle.end
    ways = []
    if not (problem.facilities and any(d > 0 for d in stop.demands)):
        ways.append(_WayHome(drives.to_place(profile, stop.location, end), None, 0))
    for f in problem.facilities:
        on = f.unload_duration + drives.to_place(profile, f.location, end)
        ways.append(_WayHome(drives.to_place(profile, stop.location, f.location), f.opening, on))
    return drives.from_place(profile, vehicle.start, stop.location), tuple(ways)


@dataclass(frozen=True, slots=True)
class _Trip:
    """``vehicle`` serving ``stop`` alone, with the travel times of its :func:`_legs`."""

    vehicle: Vehicle
    stop: Stop
    there: int  # start location -> stop
    ways: tuple[_WayHome, ...]

    def fits_the_day(self) -> bool:
        """Whether the driving, service and unloading alone fit the shift and route limit."""
        shift = self.vehicle.shift
        limit = shift.end - shift.start
        if self.vehicle.max_route_duration:
            limit = min(limit, self.vehicle.max_route_duration)
        shortest = min(way.drive + way.rest for way in self.ways)
        return self.there + self.stop.service_duration + shortest <= limit

    def some_departure_fits(self) -> bool:
        """Whether some departure in the shift meets every window and time limit."""
        served = self.there + self.stop.service_duration
        windows = hard_windows(self.stop)
        for way in self.ways:
            # Bounds every feasible departure meets, whatever it waits for.
            latest = self.vehicle.shift.end - served - way.drive - way.rest
            if way.opening is not None:
                latest = min(latest, way.opening.end - served - way.drive)
            # The latest departure of each piece (see the module docstring).
            departures = {min(latest, w.end - self.there) for w in windows} or {latest}
            for departure in departures:
                if departure >= self.vehicle.shift.start and self._fits_leaving_at(departure, way):
                    return True
        return False

    def _fits_leaving_at(self, departure: int, way: _WayHome) -> bool:
        """Whether leaving at ``departure`` and going home by ``way`` meets the windows, the
        shift end and the route limit, each visit starting as early as it can."""
        start = _earliest_start(hard_windows(self.stop), departure + self.there)
        if start is None:
            return False
        arrival = start + self.stop.service_duration + way.drive
        if way.opening is not None:
            arrival = _earliest_start((way.opening,), arrival)
            if arrival is None:
                return False
        back = arrival + way.rest
        limit = self.vehicle.max_route_duration
        return back <= self.vehicle.shift.end and (not limit or back - departure <= limit)
