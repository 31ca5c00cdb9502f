"""Independent scoring of route sequences: a hard-rule check on the integer request, and the
objective recomputed in the instance's own convention from the file's coordinates.

Nothing here reads a solver's numbers: only the order of visits per vehicle. The check follows the
contract's semantics (routing.proto): service starts inside a window (waiting allowed), per-trip
and daily capacity, max stops, facilities empty the vehicle and must be visited before the end
when anything was collected, every break starts inside its window (taken where the vehicle is,
possibly in the middle of a drive; a route that does not run during the window owes none),
the route ends inside the shift, every mandatory stop is served exactly once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from benchmarks.readers.common import Convention, Instance
from dispatch._proto.dispatch.v1 import routing_pb2
from dispatch.wire import matrices

STOP, FACILITY, BREAK = "STOP", "FACILITY", "BREAK"


@dataclass(frozen=True)
class RouteSeq:
    """One vehicle's visits in order (start and end excluded) as (kind, id) pairs."""

    vehicle_id: str
    visits: tuple[tuple[str, str], ...]

    def to_json(self) -> dict:
        """Plain JSON form (used across processes and in result files)."""
        return {"vehicle": self.vehicle_id, "visits": [list(v) for v in self.visits]}

    @classmethod
    def from_json(cls, data: dict) -> RouteSeq:
        """Inverse of :meth:`to_json`."""
        return cls(data["vehicle"], tuple((str(k), str(i)) for k, i in data["visits"]))


def routes_from_response(response: routing_pb2.PlanRoutesResponse) -> list[RouteSeq]:
    """The visit order of every route of a PlanRoutes answer (its own times are ignored)."""
    kinds = {
        routing_pb2.Visit.STOP: STOP,
        routing_pb2.Visit.FACILITY: FACILITY,
        routing_pb2.Visit.BREAK: BREAK,
    }
    return [
        RouteSeq(
            route.vehicle_id,
            tuple((kinds[v.kind], v.id) for v in route.visits if v.kind in kinds),
        )
        for route in response.routes
    ]


@dataclass(frozen=True)
class Score:
    """A plan scored in its instance's convention; ``problems`` empty means it passed the check."""

    vehicles: int
    objective: float
    problems: tuple[str, ...]

    @property
    def feasible(self) -> bool:
        """True when the check found no broken rule."""
        return not self.problems


class _Request:
    """The request decoded once into lookups the check needs."""

    def __init__(self, request: routing_pb2.PlanRoutesRequest) -> None:
        n = len(request.location_ids)
        self.loc = {lid: i for i, lid in enumerate(request.location_ids)}
        self.dur = matrices.durations(request.travel, n, n)
        self.stops = {s.id: s for s in request.stops}
        self.facilities = {f.id: f for f in request.facilities}
        self.vehicles = {v.id: v for v in request.vehicles}


def check_plan(request: routing_pb2.PlanRoutesRequest, routes: list[RouteSeq]) -> list[str]:
    """Every hard rule the plan breaks on the integer request (empty list = feasible)."""
    data = _Request(request)
    problems: list[str] = []
    seen: dict[str, int] = {}
    used_vehicles: set[str] = set()
    for route in routes:
        if route.vehicle_id in used_vehicles:
            problems.append(f"vehicle {route.vehicle_id} has two routes")
        used_vehicles.add(route.vehicle_id)
        vehicle = data.vehicles.get(route.vehicle_id)
        if vehicle is None:
            problems.append(f"unknown vehicle {route.vehicle_id}")
            continue
        problems.extend(_check_route(data, vehicle, route, seen))
    for stop_id, count in seen.items():
        if count > 1:
            problems.append(f"stop {stop_id} visited {count} times")
    for stop in request.stops:
        if not stop.optional and stop.id not in seen:
            problems.append(f"stop {stop.id} not served")
    return problems


def _earliest_in_windows(windows, t: int) -> int | None:
    """Earliest service start >= t inside one of the windows (None if all have closed)."""
    if not windows:
        return t
    starts = [max(t, w.start) for w in windows if max(t, w.start) <= w.end]
    return min(starts) if starts else None


def _check_route(data: _Request, vehicle, route: RouteSeq, seen: dict[str, int]) -> list[str]:
    problems: list[str] = []
    where = f"vehicle {vehicle.id}"
    dims = len(vehicle.capacities)
    load = [0] * dims
    daily = [0] * max(dims, len(vehicle.daily_capacities))
    position = data.loc[vehicle.start_location_id]
    t = vehicle.shift.start if vehicle.HasField("shift") else 0
    departure = t  # moved later by the wait at the first visit: the crew does not idle there
    first_visit = True
    pending_break = None
    breaks = {b.id: b for b in vehicle.breaks}
    taken: set[str] = set()
    stops_served = 0

    def arrive(target: int) -> int:
        """Ready time at ``target``: drive there, taking a pending break wherever the vehicle is."""
        nonlocal pending_break
        leg = int(data.dur[position, target])
        if pending_break is None:
            return t + leg
        brk, pending_break = pending_break, None
        window = brk.start_window
        if max(t, window.start) > window.end:
            problems.append(f"{where}: break {brk.id} cannot start inside its window")
        # The break may start anywhere on the leg: at the window opening if the drive is still
        # on, else on arrival (or immediately, when the window is already open).
        return max(t + leg, window.start) + brk.duration

    for kind, ident in route.visits:
        if kind == BREAK:
            brk = breaks.get(ident)
            if brk is None or ident in taken:
                problems.append(f"{where}: unknown or repeated break {ident}")
                continue
            taken.add(ident)
            if pending_break is not None:  # two breaks in a row: the first where the vehicle is
                t = arrive(position)
            pending_break = brk
        elif kind == STOP:
            stop = data.stops.get(ident)
            if stop is None:
                problems.append(f"{where}: unknown stop {ident}")
                continue
            seen[ident] = seen.get(ident, 0) + 1
            target = data.loc[stop.location_id]
            arrival = arrive(target)
            start = _earliest_in_windows(stop.time_windows, arrival)
            if start is None:
                problems.append(f"{where}: stop {ident} reached at {arrival}, after its windows")
                start = arrival
            if first_visit and not taken:
                departure += start - arrival
            first_visit = False
            t = start + stop.service_duration
            position = target
            stops_served += 1
            for d, amount in enumerate(stop.demands):
                if d < len(load):
                    load[d] += amount
                if d < len(daily):
                    daily[d] += amount
            for d, cap in enumerate(vehicle.capacities):
                if load[d] > cap:
                    problems.append(f"{where}: load {load[d]} > capacity {cap} after {ident}")
        elif kind == FACILITY:
            facility = data.facilities.get(ident)
            if facility is None:
                problems.append(f"{where}: unknown facility {ident}")
                continue
            target = data.loc[facility.location_id]
            arrival = arrive(target)
            windows = [facility.opening] if facility.HasField("opening") else []
            start = _earliest_in_windows(windows, arrival)
            if start is None:
                problems.append(f"{where}: facility {ident} reached after closing")
                start = arrival
            t = start + facility.unload_duration
            first_visit = False
            position = target
            load = [0] * dims
        else:
            problems.append(f"{where}: unknown visit kind {kind}")
    end = data.loc[vehicle.end_location_id]
    t = arrive(end)
    if vehicle.HasField("shift") and t > vehicle.shift.end:
        problems.append(f"{where}: back at {t}, after shift end {vehicle.shift.end}")
    for d, cap in enumerate(vehicle.daily_capacities):
        if daily[d] > cap:
            problems.append(f"{where}: collected {daily[d]} > daily capacity {cap}")
    if vehicle.max_stops and stops_served > vehicle.max_stops:
        problems.append(f"{where}: {stops_served} stops > max {vehicle.max_stops}")
    if data.facilities and any(load) and stops_served:
        problems.append(f"{where}: returns loaded (no disposal before the end)")
    if stops_served:
        for missing in sorted(set(breaks) - taken):
            window = breaks[missing].start_window
            # Owed only if the route runs during the window (home before it, or out after it).
            if t > window.start and departure <= window.end:
                problems.append(f"{where}: break {missing} not taken")
    return problems


def convention_objective(instance: Instance, routes: list[RouteSeq]) -> float:
    """Total travel of the routes in the convention's own units, from the file's coordinates."""
    request = instance.request
    loc = {lid: i for i, lid in enumerate(request.location_ids)}
    stops = {s.id: loc[s.location_id] for s in request.stops}
    facilities = {f.id: loc[f.location_id] for f in request.facilities}
    vehicles = {v.id: v for v in request.vehicles}
    total = 0.0
    for route in routes:
        vehicle = vehicles[route.vehicle_id]
        path = [loc[vehicle.start_location_id]]
        for kind, ident in route.visits:
            if kind == STOP and ident in stops:
                path.append(stops[ident])
            elif kind == FACILITY and ident in facilities:
                path.append(facilities[ident])
        path.append(loc[vehicle.end_location_id])
        total += _path_length(instance.convention, instance.coords, path)
    if instance.convention is Convention.DIMACS:
        return round(total / 10.0, 1)  # total is an integer sum of floor(10 x euclid)
    return total


def _path_length(convention: Convention, coords: np.ndarray, path: list[int]) -> float:
    a = coords[np.asarray(path[:-1])]
    b = coords[np.asarray(path[1:])]
    if convention is Convention.KIM:
        return float(np.abs(a - b).sum() / 5280.0)
    lengths = np.sqrt(((a - b) ** 2).sum(axis=1))
    if convention is Convention.DIMACS:
        squared = np.rint(((a - b) ** 2).sum(axis=1) * 100).astype(np.int64)
        return float(sum(math.isqrt(int(s)) for s in squared))
    if convention is Convention.CVRPLIB:
        return float(np.floor(lengths + 0.5).sum())
    return float(lengths.sum())


def score(instance: Instance, routes: list[RouteSeq]) -> Score:
    """Check the plan on the instance's request and recompute its objective in its convention."""
    problems = check_plan(instance.request, routes)
    vehicles = sum(1 for r in routes if any(kind == STOP for kind, _ in r.visits))
    return Score(vehicles, convention_objective(instance, routes), tuple(problems))


def gap_percent(objective: float | None, bks: float | None) -> float | None:
    """Relative gap to the best known value in percent (None when either is unknown)."""
    if objective is None or bks is None or bks <= 0:
        return None
    return (objective - bks) / bks * 100.0
