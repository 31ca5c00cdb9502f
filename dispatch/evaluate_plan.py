"""EvaluatePlan: the caller's own routes -> the independent checker -> ETAs, violations, KPIs.

The caller names visits by id; they become a :class:`RoutingPlan` of indices, the checker in
``solvers.routing.checker`` simulates it, and ``dispatch.plan_convert`` writes the answer with
the same conversion PlanRoutes uses. Planned routes carry no times, so the checker schedules
every visit as early as possible and departs as late as it can without reaching the end
location later (idle time moves to the depot: the shortest schedule for the caller's order).
Mandatory stops missing from the caller's routes are violations (a caller gives no reasons).
Cheap: linear in the plan, runs in the calling thread.
"""

from __future__ import annotations

from collections.abc import Sequence

from dispatch._proto.dispatch.v1 import routing_pb2
from dispatch.plan_convert import convert_evaluation
from dispatch.routing_convert import problem_from_request
from solvers.errors import FieldProblem, InvalidProblemError
from solvers.routing.checker import evaluate
from solvers.routing.plan import PlannedVisit, RoutePlan, RoutingPlan, VisitKind
from solvers.routing.problem import RoutingProblem

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

    Strict, unlike the warm-start reading in ``dispatch.routing_convert.initial_plan``: a plan to
    evaluate must name only things that exist.
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
    """Convert the request's problem (the shared PlanRoutes conversion) and evaluate its routes."""
    return evaluate_plan(request, problem_from_request(request.problem, path="problem."))
