"""Live state of a re-plan during the day: where each vehicle is, what it has done, what is locked.

The re-plan is a new problem, derived from the day's problem by :func:`apply_live_state`, so
that every engine, the pre-check and the checker see the day as it is now without knowing
about re-planning:

* a vehicle starts at its current location, no earlier than it is free (``free_from``);
* what it did today counts against its limits: ``load_collected`` against the daily
  capacities, ``stops_done`` against ``max_stops``, ``worked`` seconds against
  ``max_route_duration``; a vehicle with nothing left (no stop or no second of duration) gets
  an empty shift, so no stop can be given to it;
* a load on board counts against the first trip's capacity (``Vehicle.initial_load``);
* a locked stop is mandatory and may be served only by its vehicle (its allowed vehicles);
  frozen prefixes and churn go into ``RoutingProblem.replan`` for the engines that model them
  and for the checker, after :func:`~solvers.routing.locks.settle_sequences` has relaxed the
  prefixes that cannot be driven.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from solvers.routing.locks import Replan, settle_sequences
from solvers.routing.problem import RoutingProblem, TimeWindow, Vehicle

__all__ = ["VehicleState", "apply_live_state"]


@dataclass(frozen=True)
class VehicleState:
    """One vehicle's state at the re-plan (indices and seconds from the origin).

    ``location`` None: it is at its start location. ``free_from`` None: free at shift start.
    """

    vehicle: int
    location: int | None = None
    free_from: int | None = None
    load_on_board: tuple[int, ...] = ()
    load_collected: tuple[int, ...] = ()
    stops_done: int = 0
    worked: int = 0


def _remaining(limit: int, used: int) -> int | None:
    """What is left of a limit where 0 means unlimited: the limit, 0 when exhausted."""
    if not limit:
        return limit
    return max(0, limit - used)


def _live_vehicle(vehicle: Vehicle, state: VehicleState) -> Vehicle:
    """The vehicle as it is now: start, shift, remaining limits and load on board."""
    start = vehicle.start if state.location is None else state.location
    begin = vehicle.shift.start
    if state.free_from is not None:
        begin = max(begin, state.free_from)
    daily = vehicle.daily_capacities
    if daily is not None and state.load_collected:
        collected = state.load_collected + (0,) * (len(daily) - len(state.load_collected))
        daily = tuple(max(0, c - q) for c, q in zip(daily, collected, strict=False))
    max_stops = _remaining(vehicle.max_stops, state.stops_done)
    max_duration = _remaining(vehicle.max_route_duration, state.worked)
    exhausted = (vehicle.max_stops and max_stops == 0) or (
        vehicle.max_route_duration and max_duration == 0
    )
    end = begin if exhausted else max(begin, vehicle.shift.end)
    return replace(
        vehicle,
        start=start,
        shift=TimeWindow(begin, end),
        daily_capacities=daily,
        max_stops=max_stops if max_stops else vehicle.max_stops,
        max_route_duration=max_duration if max_duration else vehicle.max_route_duration,
        initial_load=tuple(int(q) for q in state.load_on_board) if any(state.load_on_board) else (),
    )


def apply_live_state(
    problem: RoutingProblem, states: list[VehicleState], replan: Replan | None
) -> RoutingProblem:
    """The re-plan's problem: vehicles as they are now, locked stops pinned, prefixes settled.

    ``replan`` None: live state only (no locks, no churn). The caller has validated the
    states and locks (one state per vehicle, a stop locked once, indices in range).
    """
    vehicles = list(problem.vehicles)
    for state in states:
        vehicles[state.vehicle] = _live_vehicle(vehicles[state.vehicle], state)
    stops = list(problem.stops)
    if replan is not None:
        for lock in replan.locks:
            stops[lock.stop] = replace(
                stops[lock.stop], allowed_vehicles=frozenset({lock.vehicle}), optional=False
            )
    live = replace(problem, vehicles=tuple(vehicles), stops=tuple(stops), replan=replan)
    return settle_sequences(live)
