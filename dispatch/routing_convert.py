"""PlanRoutes at the boundary: request -> RoutingProblem and options, checked outcome -> answer.

Ids become indices here and indices become ids again in ``dispatch.plan_convert`` (the one
PlanEvaluation -> wire conversion PlanRoutes shares with EvaluatePlan). The answer is built from
the checker's evaluation, never from a solver's own numbers.
"""

from __future__ import annotations

import numpy as np
from google.protobuf import duration_pb2

from dispatch import matrices
from dispatch._proto.dispatch.v1 import common_pb2, routing_pb2
from dispatch.plan_convert import convert_evaluation, skipped_stop
from solvers.errors import FieldProblem, InvalidProblemError
from solvers.routing.plan import PlannedVisit, RoutePlan, RoutingPlan, SkipReason, VisitKind
from solvers.routing.problem import (
    UNLIMITED,
    Break,
    Facility,
    RoutingProblem,
    Stop,
    TimeWindow,
    Vehicle,
)
from solvers.routing.solve import RoutingOptions, SolveOutcome
from solvers.status import SolverFamily, Status

__all__ = [
    "initial_plan",
    "options_from_request",
    "problem_from_request",
    "response_from_outcome",
]

_SOLVER_FROM_PROTO = {
    common_pb2.SOLVER_UNSPECIFIED: SolverFamily.AUTO,
    common_pb2.AUTO: SolverFamily.AUTO,
    common_pb2.ORTOOLS: SolverFamily.ORTOOLS,
    common_pb2.MILP: SolverFamily.MILP,
    common_pb2.PYVRP: SolverFamily.PYVRP,
    common_pb2.GREEDY: SolverFamily.GREEDY,
}
_SOLVER_TO_PROTO = {
    SolverFamily.AUTO: common_pb2.AUTO,
    SolverFamily.ORTOOLS: common_pb2.ORTOOLS,
    SolverFamily.MILP: common_pb2.MILP,
    SolverFamily.PYVRP: common_pb2.PYVRP,
    SolverFamily.GREEDY: common_pb2.GREEDY,
}
_STATUS_TO_PROTO = {status: common_pb2.SolveStatus.Value(status.value) for status in Status}
_KINDS = {
    routing_pb2.Visit.STOP: VisitKind.STOP,
    routing_pb2.Visit.FACILITY: VisitKind.FACILITY,
    routing_pb2.Visit.BREAK: VisitKind.BREAK,
}
_SKIP_DETAIL = {
    SkipReason.NO_VEHICLE_WITH_SKILLS: "No allowed vehicle has every required skill.",
    SkipReason.DEMAND_EXCEEDS_CAPACITY: "The demand exceeds every eligible vehicle's capacity.",
    SkipReason.CANNOT_MEET_TIME_WINDOW: (
        "No eligible vehicle can start service inside a window and return within its shift."
    ),
    SkipReason.SHIFT_TOO_SHORT: "No eligible vehicle's shift fits the round trip and service.",
    SkipReason.SKIPPED_FOR_COST: "Serving this optional stop costs more than its skip penalty.",
    SkipReason.NO_CAPACITY_LEFT: (
        "Feasible alone, but no room was found for it among the other work in the time budget."
    ),
}


def _window(window: common_pb2.TimeWindow) -> TimeWindow:
    return TimeWindow(int(window.start), int(window.end))


def problem_from_request(request: routing_pb2.PlanRoutesRequest, path: str = "") -> RoutingProblem:
    """A validated PlanRoutesRequest as a RoutingProblem (integer units, indices).

    ``path`` prefixes field paths in errors (``problem.`` inside an EvaluatePlanRequest). The
    request is expected to be validated; references that still do not resolve raise
    InvalidProblemError rather than an internal error.
    """
    problems: list[FieldProblem] = []
    locations = {loc: i for i, loc in enumerate(request.location_ids)}
    n = len(request.location_ids)

    def location(where: str, loc: str) -> int:
        index = locations.get(loc)
        if index is None:
            problems.append(FieldProblem(f"{path}{where}", f"unknown location {loc!r}"))
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
    vehicles = []
    for k, v in enumerate(request.vehicles):
        vehicles.append(
            Vehicle(
                id=v.id,
                start=location(f"vehicles[{k}].start_location_id", v.start_location_id),
                end=location(f"vehicles[{k}].end_location_id", v.end_location_id),
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
                breaks=tuple(
                    Break(b.id, _window(b.start_window), int(b.duration)) for b in v.breaks
                ),
            )
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
                location=location(f"stops[{i}].location_id", s.location_id),
                demands=tuple(int(d) for d in s.demands),
                service_duration=int(s.service_duration),
                time_windows=tuple(_window(w) for w in s.time_windows),
                required_skills=frozenset(s.required_skills),
                allowed_vehicles=allowed,
                optional=bool(s.optional),
                skip_penalty=float(s.skip_penalty) if s.optional else 0.0,
            )
        )
    facilities = tuple(
        Facility(
            id=f.id,
            location=location(f"facilities[{i}].location_id", f.location_id),
            opening=_window(f.opening) if f.HasField("opening") else None,
            unload_duration=int(f.unload_duration),
        )
        for i, f in enumerate(request.facilities)
    )
    if problems:
        raise InvalidProblemError(problems)
    return RoutingProblem(
        location_ids=tuple(request.location_ids),
        durations=tuple(durations),
        distances=tuple(distances),
        vehicles=tuple(vehicles),
        stops=tuple(stops),
        facilities=facilities,
        dimensions=tuple(request.load_dimensions),
        minimize_vehicles_first=(
            request.objective.mode == routing_pb2.RoutingObjective.MIN_VEHICLES_THEN_COST
        ),
        label=request.label,
    )


def initial_plan(
    problem: RoutingProblem, routes: list[routing_pb2.PlannedRoute] | object
) -> RoutingPlan | None:
    """The warm start as a plan of indices; unknown vehicles or ids are skipped, not errors.

    A warm start is a hint: the solver keeps whatever part of it the model can express.
    """
    vehicles = {v.id: k for k, v in enumerate(problem.vehicles)}
    stops = {s.id: i for i, s in enumerate(problem.stops)}
    facilities = {f.id: i for i, f in enumerate(problem.facilities)}
    out: list[RoutePlan] = []
    seen: set[int] = set()
    for planned in routes:  # type: ignore[attr-defined]
        k = vehicles.get(planned.vehicle_id)
        if k is None or k in seen:
            continue
        seen.add(k)
        breaks = {b.id: j for j, b in enumerate(problem.vehicles[k].breaks)}
        visits = []
        for visit in planned.visits:
            kind = _KINDS.get(visit.kind)
            table = {VisitKind.STOP: stops, VisitKind.FACILITY: facilities}.get(kind, breaks)
            ref = table.get(visit.id) if kind is not None else None
            if ref is not None:
                visits.append(PlannedVisit(kind, ref))
        out.append(RoutePlan(k, tuple(visits)))
    return RoutingPlan(tuple(out)) if out else None


def options_from_request(
    request: routing_pb2.PlanRoutesRequest, problem: RoutingProblem
) -> RoutingOptions:
    """Solver choice, seed, determinism and warm start of a request."""
    options = request.options
    return RoutingOptions(
        solver=_SOLVER_FROM_PROTO.get(options.solver, SolverFamily.AUTO),
        seed=int(options.seed),
        deterministic=bool(options.deterministic),
        initial=initial_plan(problem, request.initial_routes) if request.initial_routes else None,
    )


def _duration(seconds: float) -> duration_pb2.Duration:
    out = duration_pb2.Duration()
    out.FromNanoseconds(int(max(0.0, seconds) * 1e9))
    return out


def response_from_outcome(
    request: routing_pb2.PlanRoutesRequest,
    problem: RoutingProblem,
    outcome: SolveOutcome,
    wall_seconds: float,
) -> routing_pb2.PlanRoutesResponse:
    """The PlanRoutes answer, every number taken from the checker's evaluation."""
    evaluation, report = outcome.evaluation, outcome.report
    converted = convert_evaluation(problem, evaluation, with_violations=False)
    skipped = []
    for stop in sorted(evaluation.skipped):
        reason = outcome.plan.skipped.get(stop)
        if reason is None:
            reason = (
                SkipReason.SKIPPED_FOR_COST
                if problem.stops[stop].optional
                else SkipReason.NO_CAPACITY_LEFT
            )
        skipped.append(skipped_stop(problem, stop, reason, _SKIP_DETAIL[reason]))
    info = common_pb2.SolveInfo(
        solver=_SOLVER_TO_PROTO[report.family],
        engine=report.engine,
        status=_STATUS_TO_PROTO[report.status],
        objective=float(evaluation.cost),
        wall_time=_duration(wall_seconds),
        fallback_reason=report.fallback_reason,
        verified=True,
        objective_terms=converted.objective_terms,
    )
    if report.bound is not None:
        info.best_bound = float(report.bound)
    if report.gap is not None:
        info.gap = float(report.gap)
    return routing_pb2.PlanRoutesResponse(
        label=request.label,
        request_id=request.request_id,
        solve_info=info,
        routes=converted.routes,
        skipped_stops=skipped,
        kpis=converted.kpis,
    )
