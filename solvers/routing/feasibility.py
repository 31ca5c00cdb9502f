"""Why a stop cannot be served: cheap, one-stop-at-a-time checks with honest reason codes.

:func:`prefilter` finds stops that no vehicle could serve even if it had nothing else to do;
solvers leave them out from the start and the answer reports them with a reason.
:func:`explain` gives the reason for a stop a solver left out. The checks, in order, each over
the vehicles that passed the previous one:

1. NO_VEHICLE_WITH_SKILLS: no vehicle is both allowed at the stop and has every required skill.
2. DEMAND_EXCEEDS_CAPACITY: the demand exceeds, in some dimension, the per-trip capacity or the
   daily capacity of every such vehicle.
3. SHIFT_TOO_SHORT: start -> stop -> (nearest usable facility when the stop has load and the
   problem has facilities) -> end, service and unloading included, is longer than the shift
   (and than ``max_route_duration`` where set) of every such vehicle. Windows are ignored here.
4. CANNOT_MEET_TIME_WINDOW: leaving at shift start, no such vehicle can start service inside a
   window and then (via a facility that is still open, when it must unload) be back at its end
   location by shift end and within its maximum route duration.

Only the stop itself is considered: a stop that passes may still be impossible together with
the others. Driver breaks are not accounted for (they can only make things harder, so a stop
rejected here is certainly impossible; one that passes may still fail because of a break, and
is then reported as NO_CAPACITY_LEFT). A stop that passes all four and is left out by a solver
is SKIPPED_FOR_COST when optional and NO_CAPACITY_LEFT when mandatory.
"""

from __future__ import annotations

from solvers.routing.plan import SkipReason
from solvers.routing.problem import RoutingProblem, Stop, TimeWindow, Vehicle

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
    candidates = [
        k
        for k, v in enumerate(problem.vehicles)
        if (s.allowed_vehicles is None or k in s.allowed_vehicles) and s.required_skills <= v.skills
    ]
    if not candidates:
        return SkipReason.NO_VEHICLE_WITH_SKILLS
    candidates = [k for k in candidates if _fits(s, problem.vehicles[k])]
    if not candidates:
        return SkipReason.DEMAND_EXCEEDS_CAPACITY
    candidates = [k for k in candidates if _round_trip_fits(problem, k, s)]
    if not candidates:
        return SkipReason.SHIFT_TOO_SHORT
    if not any(_reachable_in_window(problem, k, s) for k in candidates):
        return SkipReason.CANNOT_MEET_TIME_WINDOW
    return None


def _fits(stop: Stop, vehicle: Vehicle) -> bool:
    for limits in (vehicle.capacities, vehicle.daily_capacities):
        if limits is None:
            continue
        for d, demand in enumerate(stop.demands):
            if d < len(limits) and demand > limits[d]:
                return False
    return True


def _must_unload(problem: RoutingProblem, stop: Stop) -> bool:
    return bool(problem.facilities) and any(d > 0 for d in stop.demands)


def _duration_limit(vehicle: Vehicle) -> int:
    limit = vehicle.shift.end - vehicle.shift.start
    if vehicle.max_route_duration:
        limit = min(limit, vehicle.max_route_duration)
    return limit


def _return_time(
    problem: RoutingProblem, k: int, stop: Stop, leave: int, timed: bool
) -> int | None:
    """Arrival at the end location after leaving the stop at ``leave`` (None: no way back).

    With ``timed`` False facility openings are ignored (for the pure duration check).
    """
    vehicle = problem.vehicles[k]
    if not _must_unload(problem, stop):
        return leave + problem.travel(k, stop.location, vehicle.end)
    best: int | None = None
    for facility in problem.facilities:
        unload = leave + problem.travel(k, stop.location, facility.location)
        if timed and facility.opening is not None:
            unload = max(unload, facility.opening.start)
            if unload > facility.opening.end:
                continue
        back = unload + facility.unload_duration + problem.travel(k, facility.location, vehicle.end)
        if best is None or back < best:
            best = back
    return best


def _round_trip_fits(problem: RoutingProblem, k: int, stop: Stop) -> bool:
    vehicle = problem.vehicles[k]
    there = problem.travel(k, vehicle.start, stop.location)
    back = _return_time(problem, k, stop, there + stop.service_duration, timed=False)
    return back is not None and back <= _duration_limit(vehicle)


def _earliest_start(windows: tuple[TimeWindow, ...], arrival: int) -> int | None:
    if not windows:
        return arrival
    starts = [max(arrival, w.start) for w in windows if w.end >= arrival]
    return min(starts) if starts else None


def _reachable_in_window(problem: RoutingProblem, k: int, stop: Stop) -> bool:
    vehicle = problem.vehicles[k]
    there = problem.travel(k, vehicle.start, stop.location)
    start = _earliest_start(stop.time_windows, vehicle.shift.start + there)
    if start is None:
        return False
    back = _return_time(problem, k, stop, start + stop.service_duration, timed=True)
    if back is None or back > vehicle.shift.end:
        return False
    # Waiting for the window can happen at the depot: leave as late as still arrives in time.
    departure = start - there
    return not vehicle.max_route_duration or back - departure <= vehicle.max_route_duration
