"""The service-side check of a benchmark plan: request -> solvers.routing.RoutingProblem, route
sequences -> RoutingPlan, then ``solvers.routing.checker`` (the checker every service answer
passes). Peers' plans go through exactly the same path, so "passed the checker" means the same
thing for every solver.

The conversion is written here from the contract (routing.proto) because the benchmarks need it
for peers too; it covers what the benchmark readers produce (one matrix, no skills, no vehicle
types) and refuses anything else rather than guessing.
"""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.scoring import RouteSeq
from dispatch import matrices
from dispatch._proto.dispatch.v1 import common_pb2, routing_pb2
from solvers.routing.plan import PlannedVisit, RoutePlan, RoutingPlan, VisitKind
from solvers.routing.problem import UNLIMITED, Break, Facility, RoutingProblem, Stop, TimeWindow
from solvers.routing.problem import Vehicle as ModelVehicle


def _window(w: common_pb2.TimeWindow) -> TimeWindow:
    return TimeWindow(int(w.start), int(w.end))


def to_problem(request: routing_pb2.PlanRoutesRequest) -> RoutingProblem:
    """The RoutingProblem the request describes (benchmark subset of the contract)."""
    if request.vehicle_type_matrices or any(v.vehicle_type for v in request.vehicles):
        raise ValueError("vehicle-type matrices are not used by benchmark instances")
    n = len(request.location_ids)
    loc = {lid: i for i, lid in enumerate(request.location_ids)}
    vehicles = tuple(
        ModelVehicle(
            id=v.id,
            start=loc[v.start_location_id],
            end=loc[v.end_location_id],
            shift=_window(v.shift) if v.HasField("shift") else TimeWindow(0, UNLIMITED),
            capacities=tuple(v.capacities) or None,
            daily_capacities=tuple(v.daily_capacities) or None,
            skills=frozenset(v.skills),
            fixed_cost=v.fixed_cost,
            cost_per_hour=v.cost_per_hour,
            cost_per_km=v.cost_per_km,
            max_route_duration=int(v.max_route_duration),
            max_stops=int(v.max_stops),
            breaks=tuple(Break(b.id, _window(b.start_window), int(b.duration)) for b in v.breaks),
        )
        for v in request.vehicles
    )
    vehicle_index = {v.id: k for k, v in enumerate(request.vehicles)}
    stops = tuple(
        Stop(
            id=s.id,
            location=loc[s.location_id],
            demands=tuple(s.demands),
            service_duration=int(s.service_duration),
            time_windows=tuple(_window(w) for w in s.time_windows),
            required_skills=frozenset(s.required_skills),
            allowed_vehicles=(
                frozenset(vehicle_index[v] for v in s.allowed_vehicle_ids)
                if s.allowed_vehicle_ids
                else None
            ),
            optional=s.optional,
            skip_penalty=s.skip_penalty,
        )
        for s in request.stops
    )
    facilities = tuple(
        Facility(
            id=f.id,
            location=loc[f.location_id],
            opening=_window(f.opening) if f.HasField("opening") else None,
            unload_duration=int(f.unload_duration),
        )
        for f in request.facilities
    )
    return RoutingProblem(
        location_ids=tuple(request.location_ids),
        durations=(matrices.durations(request.travel, n, n),),
        distances=(matrices.distances(request.travel, n, n),),
        vehicles=vehicles,
        stops=stops,
        facilities=facilities,
        dimensions=tuple(request.load_dimensions),
        minimize_vehicles_first=(
            request.objective.mode == routing_pb2.RoutingObjective.MIN_VEHICLES_THEN_COST
        ),
        label=request.label,
    )


def to_plan(problem: RoutingProblem, routes: Sequence[RouteSeq]) -> RoutingPlan:
    """A RoutingPlan from route sequences (benchmarks.scoring.RouteSeq); unknown ids raise."""
    vehicles = {v.id: k for k, v in enumerate(problem.vehicles)}
    stops = {s.id: k for k, s in enumerate(problem.stops)}
    facilities = {f.id: k for k, f in enumerate(problem.facilities)}
    plans = []
    for route in routes:
        k = vehicles[route.vehicle_id]
        breaks = {b.id: i for i, b in enumerate(problem.vehicles[k].breaks)}
        visits = []
        for kind, ident in route.visits:
            if kind == "STOP":
                visits.append(PlannedVisit(VisitKind.STOP, stops[ident]))
            elif kind == "FACILITY":
                visits.append(PlannedVisit(VisitKind.FACILITY, facilities[ident]))
            else:
                visits.append(PlannedVisit(VisitKind.BREAK, breaks[ident]))
        plans.append(RoutePlan(k, tuple(visits)))
    return RoutingPlan(tuple(plans))


def service_check(request: routing_pb2.PlanRoutesRequest, routes: Sequence[RouteSeq]) -> list[str]:
    """Violations found by solvers.routing.checker (the service's checker); empty = passed."""
    from solvers.routing.checker import evaluate

    problem = to_problem(request)
    try:
        plan = to_plan(problem, routes)
    except KeyError as exc:
        return [f"unknown id in plan: {exc}"]
    evaluation = evaluate(problem, plan)
    return [f"{v.type.value}: {v.detail}" for v in evaluation.violations]
