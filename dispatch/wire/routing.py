"""PlanRoutes and EvaluatePlan requests on the wire: request -> RoutingProblem, caller's routes
-> RoutingPlan, options -> RoutingOptions. The answers are built in ``routing_answer``.

PlanRoutes, EvaluatePlan and AdviseInsertion share every conversion here, so the RPCs read a
problem the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from dispatch._proto.dispatch.v1 import common_pb2, routing_pb2
from dispatch.wire import enums, matrices, travel_estimate, travel_periods
from dispatch.wire.live_state import with_live_state
from solvers.errors import FieldProblem, InvalidProblemError
from solvers.routing.plan import (
    PlannedVisit,
    RoutePlan,
    RoutingPlan,
    VisitKind,
)
from solvers.routing.problem import (
    UNLIMITED,
    Break,
    Facility,
    RoutingProblem,
    Stop,
    TimeWindow,
    Vehicle,
)
from solvers.routing.solve import RoutingOptions

__all__ = [
    "fleet_and_work_from_request",
    "initial_plan",
    "options_from_request",
    "planned_routes",
    "problem_from_request",
    "stops_from_messages",
]


# -- request -> RoutingProblem -------------------------------------------------------------------


def _window(window: common_pb2.TimeWindow) -> TimeWindow:
    """A window with its soft fields (validation keeps them 0 outside stop windows)."""
    return TimeWindow(
        int(window.start),
        int(window.end),
        late_cost_per_hour=float(window.late_cost_per_hour),
        max_lateness=int(window.max_lateness),
        early_cost_per_hour=float(window.early_cost_per_hour),
        max_earliness=int(window.max_earliness),
    )


def _matrices(
    request: routing_pb2.PlanRoutesRequest, path: str = ""
) -> tuple[list[np.ndarray], list[np.ndarray | None], dict[str, int]]:
    """Durations and distances (shared matrix first) and each vehicle type's profile index;
    built from ``travel_estimate`` when the request gives one instead of a matrix."""
    if request.HasField("travel_estimate"):
        return travel_estimate.estimate_matrices(request, path)
    n = len(request.location_ids)
    travel = [request.travel, *(typed.travel for typed in request.vehicle_type_matrices)]
    types = {typed.vehicle_type: k + 1 for k, typed in enumerate(request.vehicle_type_matrices)}
    return (
        [matrices.durations(m, n, n) for m in travel],
        [matrices.distances(m, n, n) for m in travel],
        types,
    )


def _vehicle(v: routing_pb2.Vehicle, start: int, end: int, types: dict[str, int]) -> Vehicle:
    return Vehicle(
        id=v.id,
        start=start,
        end=end,
        shift=_window(v.shift) if v.HasField("shift") else TimeWindow(0, UNLIMITED),
        profile=types.get(v.vehicle_type, 0),
        capacities=tuple(int(c) for c in v.capacities) or None,
        daily_capacities=tuple(int(c) for c in v.daily_capacities) or None,
        skills=frozenset(v.skills),
        fixed_cost=float(v.fixed_cost),
        cost_per_hour=float(v.cost_per_hour),
        cost_per_km=float(v.cost_per_km),
        max_route_duration=int(v.max_route_duration),
        max_stops=int(v.max_stops),
        breaks=tuple(Break(b.id, _window(b.start_window), int(b.duration)) for b in v.breaks),
    )


def _stop(s: routing_pb2.Stop, location: int, vehicle_index: dict[str, int]) -> Stop:
    allowed = None
    if s.allowed_vehicle_ids:
        allowed = frozenset(vehicle_index[x] for x in s.allowed_vehicle_ids if x in vehicle_index)
    return Stop(
        id=s.id,
        location=location,
        demands=tuple(int(d) for d in s.demands),
        service_duration=int(s.service_duration),
        time_windows=tuple(_window(w) for w in s.time_windows),
        required_skills=frozenset(s.required_skills),
        allowed_vehicles=allowed,
        optional=bool(s.optional),
        skip_penalty=float(s.skip_penalty) if s.optional else 0.0,
    )


def _facility(f: routing_pb2.Facility, location: int) -> Facility:
    return Facility(
        id=f.id,
        location=location,
        opening=_window(f.opening) if f.HasField("opening") else None,
        unload_duration=int(f.unload_duration),
    )


def _location_lookup(
    request: routing_pb2.PlanRoutesRequest, path: str, problems: list[FieldProblem]
) -> Callable[[str, str], int]:
    """``location(field path, id) -> index``; an unknown id is recorded in ``problems``."""
    locations = {loc: i for i, loc in enumerate(request.location_ids)}

    def location(where: str, loc: str) -> int:
        index = locations.get(loc)
        if index is None:
            problems.append(FieldProblem(f"{path}{where}", f"unknown location {loc!r}"))
            return 0
        return index

    return location


def problem_from_request(request: routing_pb2.PlanRoutesRequest, path: str = "") -> RoutingProblem:
    """A validated PlanRoutesRequest as a RoutingProblem (integer units, indices).

    ``path`` prefixes field paths in errors (``problem.`` inside an EvaluatePlanRequest). The
    request is expected to be validated; references that still do not resolve raise
    InvalidProblemError rather than an internal error.
    """
    durations, distances, types = _matrices(request, path)
    work = fleet_and_work_from_request(request, types, path)
    vehicles = work["vehicles"]
    periods = travel_periods.periods_by_profile(
        request, types, travel_periods.horizon_end(vehicles)
    )
    problem = RoutingProblem(
        location_ids=tuple(request.location_ids),
        durations=tuple(travel_periods.planning_durations(durations, periods, vehicles)),
        distances=tuple(distances),
        travel_periods=periods,
        **work,
    )
    return with_live_state(request, problem)  # a re-plan during the day (live_state.proto)


def fleet_and_work_from_request(
    request: routing_pb2.PlanRoutesRequest, types: dict[str, int], path: str = ""
) -> dict[str, Any]:
    """The vehicles, stops, facilities and objective mode of a request, by FleetAndWork field
    name: what a RoutingProblem and the decomposition's LargeProblem share. ``types`` maps a
    vehicle type to its travel profile."""
    problems: list[FieldProblem] = []
    location = _location_lookup(request, path, problems)
    vehicle_index = {v.id: k for k, v in enumerate(request.vehicles)}
    vehicles = tuple(
        _vehicle(
            v,
            location(f"vehicles[{k}].start_location_id", v.start_location_id),
            location(f"vehicles[{k}].end_location_id", v.end_location_id),
            types,
        )
        for k, v in enumerate(request.vehicles)
    )
    stops = tuple(
        _stop(s, location(f"stops[{i}].location_id", s.location_id), vehicle_index)
        for i, s in enumerate(request.stops)
    )
    facilities = tuple(
        _facility(f, location(f"facilities[{i}].location_id", f.location_id))
        for i, f in enumerate(request.facilities)
    )
    if problems:
        raise InvalidProblemError(problems)
    return {
        "vehicles": vehicles,
        "stops": stops,
        "facilities": facilities,
        "dimensions": tuple(request.load_dimensions),
        "minimize_vehicles_first": (
            request.objective.mode == routing_pb2.RoutingObjective.MIN_VEHICLES_THEN_COST
        ),
        "label": request.label,
    }


def stops_from_messages(
    request: routing_pb2.PlanRoutesRequest, stops: Sequence[routing_pb2.Stop], path: str
) -> tuple[Stop, ...]:
    """Stops sent beside a request (AdviseInsertion's new stops), read as the request's own.

    ``path`` names their field (``new_stops``); an unknown location raises InvalidProblemError.
    """
    problems: list[FieldProblem] = []
    location = _location_lookup(request, path, problems)
    vehicle_index = {v.id: k for k, v in enumerate(request.vehicles)}
    out = tuple(
        _stop(s, location(f"[{i}].location_id", s.location_id), vehicle_index)
        for i, s in enumerate(stops)
    )
    if problems:
        raise InvalidProblemError(problems)
    return out


# -- planned routes -> RoutingPlan ---------------------------------------------------------------


def _resolve_routes(
    problem: RoutingProblem, routes: Sequence[routing_pb2.PlannedRoute], path: str
) -> tuple[list[RoutePlan], list[FieldProblem]]:
    """The routes whose vehicle exists (first route per vehicle), with the visits that resolve,
    and a problem for every id that does not."""
    vehicles = {v.id: k for k, v in enumerate(problem.vehicles)}
    stops = {s.id: i for i, s in enumerate(problem.stops)}
    facilities = {f.id: i for i, f in enumerate(problem.facilities)}
    problems: list[FieldProblem] = []
    seen: dict[int, int] = {}
    result: list[RoutePlan] = []
    for i, planned in enumerate(routes):
        where = f"{path}[{i}]"
        k = vehicles.get(planned.vehicle_id)
        if k is None or k in seen:
            detail = (
                f"unknown vehicle {planned.vehicle_id!r}"
                if k is None
                else f"vehicle {planned.vehicle_id!r} already has a route ({path}[{seen[k]}])"
            )
            problems.append(FieldProblem(f"{where}.vehicle_id", detail))
            continue
        seen[k] = i
        breaks = {b.id: j for j, b in enumerate(problem.vehicles[k].breaks)}
        visits: list[PlannedVisit] = []
        for j, visit in enumerate(planned.visits):
            kind = enums.VISIT_KIND_IN.get(visit.kind)
            if kind is None:
                problems.append(
                    FieldProblem(f"{where}.visits[{j}].kind", "must be STOP, FACILITY or BREAK")
                )
                continue
            table = {VisitKind.STOP: stops, VisitKind.FACILITY: facilities}.get(kind, breaks)
            ref = table.get(visit.id)
            if ref is None:
                owner = f" of vehicle {planned.vehicle_id!r}" if kind is VisitKind.BREAK else ""
                problems.append(
                    FieldProblem(
                        f"{where}.visits[{j}].id",
                        f"unknown {kind.value.lower()} {visit.id!r}{owner}",
                    )
                )
                continue
            visits.append(PlannedVisit(kind, ref))
        result.append(RoutePlan(k, tuple(visits)))
    return result, problems


def planned_routes(
    problem: RoutingProblem, routes: Sequence[routing_pb2.PlannedRoute], path: str = "routes"
) -> RoutingPlan:
    """The caller's routes as indices; every unknown id is reported with its field path.

    Strict, unlike :func:`initial_plan`: a plan to evaluate must name only things that exist.
    """
    result, problems = _resolve_routes(problem, routes, path)
    if problems:
        raise InvalidProblemError(problems)
    return RoutingPlan(tuple(result))


def initial_plan(
    problem: RoutingProblem, routes: Sequence[routing_pb2.PlannedRoute]
) -> RoutingPlan | None:
    """The warm start as a plan of indices; unknown vehicles or ids are skipped, not errors.

    A warm start is a hint: the solver keeps whatever part of it the model can express.
    """
    result, _ = _resolve_routes(problem, routes, "initial_routes")
    return RoutingPlan(tuple(result)) if result else None


def options_from_request(
    request: routing_pb2.PlanRoutesRequest, problem: RoutingProblem
) -> RoutingOptions:
    """Solver choice, seed, determinism and warm start of a request."""
    options = request.options
    return RoutingOptions(
        solver=enums.solver_family(options.solver),
        seed=int(options.seed),
        deterministic=bool(options.deterministic),
        initial=initial_plan(problem, request.initial_routes) if request.initial_routes else None,
    )
