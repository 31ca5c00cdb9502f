"""EvaluatePlan: the caller's own routes -> the independent checker -> ETAs, violations, KPIs.

The caller names visits by id; they become a :class:`RoutingPlan` of indices, the checker in
``solvers.routing.evaluate`` simulates it, and ``dispatch.plan_convert`` writes the answer with
the same conversion PlanRoutes uses. Planned routes carry no times, so the checker schedules
every visit as early as possible and departs as late as it can without waiting at the first
visit. Mandatory stops missing from the caller's routes are violations (a caller gives no
reasons). Cheap: linear in the plan, runs in the calling thread.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dispatch import matrices
from dispatch._proto.dispatch.v1 import routing_pb2
from dispatch.plan_convert import convert_evaluation
from solvers.errors import FieldProblem, InvalidProblemError
from solvers.routing.evaluate import evaluate
from solvers.routing.model import (
    UNLIMITED,
    Break,
    Facility,
    RoutingProblem,
    Stop,
    TimeWindow,
    Vehicle,
)
from solvers.routing.plan import PlannedVisit, RoutePlan, RoutingPlan, VisitKind

__all__ = ["evaluate_plan", "evaluate_plan_request", "planned_routes"]

_KINDS = {
    routing_pb2.Visit.STOP: VisitKind.STOP,
    routing_pb2.Visit.FACILITY: VisitKind.FACILITY,
    routing_pb2.Visit.BREAK: VisitKind.BREAK,
}


def planned_routes(
    problem: RoutingProblem, routes: Sequence[routing_pb2.PlannedRoute], path: str = "routes"
) -> RoutingPlan:
    """Resolve the caller's ids to indices; every unknown id is reported with its field path.

    Also used for PlanRoutesRequest.initial_routes (pass ``path="initial_routes"``).
    """
    vehicles = {v.id: k for k, v in enumerate(problem.vehicles)}
    stops = {s.id: i for i, s in enumerate(problem.stops)}
    facilities = {f.id: i for i, f in enumerate(problem.facilities)}
    problems: list[FieldProblem] = []
    seen: dict[int, int] = {}
    result: list[RoutePlan] = []
    for i, planned in enumerate(routes):
        where = f"{path}[{i}]"
        k = vehicles.get(planned.vehicle_id)
        if k is None:
            problems.append(
                FieldProblem(f"{where}.vehicle_id", f"unknown vehicle {planned.vehicle_id!r}")
            )
            continue
        if k in seen:
            problems.append(
                FieldProblem(
                    f"{where}.vehicle_id",
                    f"vehicle {planned.vehicle_id!r} already has a route ({path}[{seen[k]}])",
                )
            )
            continue
        seen[k] = i
        breaks = {b.id: j for j, b in enumerate(problem.vehicles[k].breaks)}
        visits: list[PlannedVisit] = []
        for j, visit in enumerate(planned.visits):
            kind = _KINDS.get(visit.kind)
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
    if problems:
        raise InvalidProblemError(problems)
    return RoutingPlan(tuple(result))


def evaluate_plan(
    request: routing_pb2.EvaluatePlanRequest, problem: RoutingProblem
) -> routing_pb2.EvaluatePlanResponse:
    """Check the caller's routes against ``problem`` (built from ``request.problem``)."""
    plan = planned_routes(problem, request.routes)
    evaluation = evaluate(problem, plan)
    converted = convert_evaluation(problem, evaluation, with_violations=True)
    return routing_pb2.EvaluatePlanResponse(
        label=request.label,
        request_id=request.request_id,
        routes=converted.routes,
        violations=converted.violations,
        feasible=evaluation.feasible,
        kpis=converted.kpis,
        objective_terms=converted.objective_terms,
    )


def evaluate_plan_request(
    request: routing_pb2.EvaluatePlanRequest,
) -> routing_pb2.EvaluatePlanResponse:
    """Convert the request's problem and evaluate its routes (request validated beforehand)."""
    return evaluate_plan(request, _problem_from_request(request.problem))


def _problem_from_request(request: routing_pb2.PlanRoutesRequest) -> RoutingProblem:
    """Request -> RoutingProblem, until ``dispatch.routing_convert`` provides the shared one.

    Assumes a validated request; unknown references still raise InvalidProblemError rather
    than an internal error.
    """
    try:
        from dispatch import routing_convert
    except ImportError:
        routing_convert = None
    convert = getattr(routing_convert, "problem_from_request", None)
    if convert is not None:
        return convert(request)
    return _local_problem(request)


def _window(window: object) -> TimeWindow:
    return TimeWindow(int(window.start), int(window.end))  # type: ignore[attr-defined]


def _local_problem(request: routing_pb2.PlanRoutesRequest) -> RoutingProblem:
    problems: list[FieldProblem] = []
    locations = {loc: i for i, loc in enumerate(request.location_ids)}
    n = len(request.location_ids)

    def location(path: str, loc: str) -> int:
        index = locations.get(loc)
        if index is None:
            problems.append(FieldProblem(path, f"unknown location {loc!r}"))
            return 0
        return index

    durations: list[np.ndarray] = [matrices.durations(request.travel, n, n)]
    distances: list[np.ndarray | None] = [matrices.distances(request.travel, n, n)]
    types: dict[str, int] = {}
    for typed in request.vehicle_type_matrices:
        types[typed.vehicle_type] = len(durations)
        durations.append(matrices.durations(typed.travel, n, n))
        distances.append(matrices.distances(typed.travel, n, n))
    vehicle_index = {v.id: k for k, v in enumerate(request.vehicles)}
    vehicles = tuple(
        Vehicle(
            id=v.id,
            start=location(f"problem.vehicles[{k}].start_location_id", v.start_location_id),
            end=location(f"problem.vehicles[{k}].end_location_id", v.end_location_id),
            shift=_window(v.shift) if v.HasField("shift") else TimeWindow(0, UNLIMITED),
            matrix=types.get(v.vehicle_type, 0),
            capacities=tuple(v.capacities) or None,
            daily_capacities=tuple(v.daily_capacities) or None,
            skills=frozenset(v.skills),
            fixed_cost=v.fixed_cost,
            cost_per_hour=v.cost_per_hour,
            cost_per_km=v.cost_per_km,
            max_route_duration=v.max_route_duration,
            max_stops=v.max_stops,
            breaks=tuple(Break(b.id, _window(b.start_window), b.duration) for b in v.breaks),
        )
        for k, v in enumerate(request.vehicles)
    )
    stops = []
    for i, s in enumerate(request.stops):
        allowed = None
        if s.allowed_vehicle_ids:
            allowed = frozenset(
                vehicle_index[x] for x in s.allowed_vehicle_ids if x in vehicle_index
            )
        stops.append(
            Stop(
                id=s.id,
                location=location(f"problem.stops[{i}].location_id", s.location_id),
                demands=tuple(s.demands),
                service_duration=s.service_duration,
                time_windows=tuple(_window(w) for w in s.time_windows),
                required_skills=frozenset(s.required_skills),
                allowed_vehicles=allowed,
                optional=s.optional,
                skip_penalty=s.skip_penalty if s.optional else 0.0,
            )
        )
    facilities = tuple(
        Facility(
            id=f.id,
            location=location(f"problem.facilities[{i}].location_id", f.location_id),
            opening=_window(f.opening) if f.HasField("opening") else None,
            unload_duration=f.unload_duration,
        )
        for i, f in enumerate(request.facilities)
    )
    if problems:
        raise InvalidProblemError(problems)
    return RoutingProblem(
        location_ids=tuple(request.location_ids),
        durations=tuple(durations),
        distances=tuple(distances),
        vehicles=vehicles,
        stops=tuple(stops),
        facilities=facilities,
        dimensions=tuple(request.load_dimensions),
        minimize_vehicles_first=(
            request.objective.mode == routing_pb2.RoutingObjective.MIN_VEHICLES_THEN_COST
        ),
        label=request.label,
    )
