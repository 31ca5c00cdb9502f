"""The service-side check of a benchmark plan: request -> solvers.routing.RoutingProblem (the
service's own conversion), route sequences -> RoutingPlan, then ``solvers.routing.checker`` (the
checker every service answer passes). Peers' plans go through exactly the same path, so "passed
the checker" means the same thing for every solver.
"""

from __future__ import annotations

from collections.abc import Sequence

from benchmarks.scoring import RouteSeq
from dispatch._proto.dispatch.v1 import routing_pb2
from dispatch.wire.routing import problem_from_request as to_problem
from solvers.routing.plan import PlannedVisit, RoutePlan, RoutingPlan, VisitKind
from solvers.routing.problem import RoutingProblem

__all__ = ["service_check", "to_plan", "to_problem"]


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
