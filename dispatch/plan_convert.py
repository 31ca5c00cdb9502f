"""PlanEvaluation -> wire: routes with visits, violations, KPIs and objective terms.

The one conversion both PlanRoutes and EvaluatePlan use, so the two RPCs report a plan with the
same numbers. Indices become the caller's ids here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass

from dispatch._proto.dispatch.v1 import common_pb2, routing_pb2
from solvers.routing.checker import COST_TERMS
from solvers.routing.kpis import kpis as compute_kpis
from solvers.routing.plan import (
    PlanEvaluation,
    RouteEvaluation,
    SkipReason,
    Violation,
    ViolationType,
    VisitKind,
    VisitTiming,
)
from solvers.routing.problem import RoutingProblem

__all__ = [
    "ConvertedPlan",
    "convert_evaluation",
    "objective_terms",
    "skipped_stop",
    "violation_to_proto",
]

_KIND = {kind: routing_pb2.Visit.Kind.Value(kind.value) for kind in VisitKind}


@dataclass(frozen=True)
class ConvertedPlan:
    """The wire parts of an evaluated plan."""

    routes: list[routing_pb2.Route]
    kpis: routing_pb2.RouteKpis
    violations: list[routing_pb2.Violation]
    objective_terms: list[common_pb2.ObjectiveTerm]


def _ref_id(problem: RoutingProblem, vehicle: int, kind: VisitKind | None, ref: int) -> str:
    if ref < 0 or kind is None:
        return ""
    if kind is VisitKind.STOP:
        return problem.stops[ref].id
    if kind is VisitKind.FACILITY:
        return problem.facilities[ref].id
    if kind is VisitKind.BREAK:
        return problem.vehicles[vehicle].breaks[ref].id
    return problem.vehicles[ref].id


def violation_to_proto(
    problem: RoutingProblem, vehicle: int, violation: Violation
) -> routing_pb2.Violation:
    """One violation; ``vehicle`` names whose break a BREAK ref means (-1 outside routes)."""
    return routing_pb2.Violation(
        type=routing_pb2.Violation.Type.Value(violation.type.value),
        id=_ref_id(problem, vehicle, violation.kind, violation.ref),
        amount=violation.amount,
        detail=violation.detail,
    )


def _visit(
    problem: RoutingProblem, vehicle: int, timing: VisitTiming, with_violations: bool
) -> routing_pb2.Visit:
    visit = routing_pb2.Visit(
        kind=_KIND[timing.kind],
        id=_ref_id(problem, vehicle, timing.kind, timing.ref),
        location_id=problem.location_ids[timing.location],
        arrival=timing.arrival,
        wait=timing.wait,
        service_start=timing.start,
        service_end=timing.end,
        load_after=list(timing.load_after),
        travel_seconds=timing.travel_seconds,
        travel_metres=timing.travel_metres,
    )
    if with_violations:
        visit.violations.extend(violation_to_proto(problem, vehicle, v) for v in timing.violations)
    return visit


def _route(
    problem: RoutingProblem, route: RouteEvaluation, with_violations: bool
) -> routing_pb2.Route:
    message = routing_pb2.Route(
        vehicle_id=problem.vehicles[route.vehicle].id,
        visits=[_visit(problem, route.vehicle, t, with_violations) for t in route.visits],
        totals=routing_pb2.RouteTotals(
            duration=route.duration,
            travel_seconds=route.travel_seconds,
            travel_metres=route.travel_metres,
            service_seconds=route.service_seconds,
            wait_seconds=route.wait_seconds,
            break_seconds=route.break_seconds,
            stops=route.stops,
            trips=route.trips,
            load_collected=list(route.load_collected),
            cost=route.cost,
        ),
    )
    if with_violations:
        message.violations.extend(
            violation_to_proto(problem, route.vehicle, v) for v in route.violations
        )
    return message


def objective_terms(evaluation: PlanEvaluation) -> list[common_pb2.ObjectiveTerm]:
    """The checker's cost terms, in the documented order."""
    return [
        common_pb2.ObjectiveTerm(name=name, value=float(evaluation.cost_terms.get(name, 0.0)))
        for name in COST_TERMS
    ]


def skipped_stop(
    problem: RoutingProblem, stop: int, reason: SkipReason, detail: str = ""
) -> routing_pb2.SkippedStop:
    """A skipped stop with its reason code."""
    return routing_pb2.SkippedStop(
        stop_id=problem.stops[stop].id,
        reason=routing_pb2.SkippedStop.Reason.Value(reason.value),
        detail=detail,
    )


def convert_evaluation(
    problem: RoutingProblem, evaluation: PlanEvaluation, with_violations: bool
) -> ConvertedPlan:
    """Routes (START..END), KPIs, every violation and the objective terms of an evaluation.

    ``with_violations`` is False for PlanRoutes (its visits never carry violations: a returned
    plan has none) and True for EvaluatePlan.
    """
    routes = [_route(problem, r, with_violations) for r in evaluation.routes]
    # Plan-level list: route and visit violations in route order, then plan-level ones.
    violations: list[routing_pb2.Violation] = []
    if with_violations:
        for r in evaluation.routes:
            for t in r.visits:
                violations.extend(violation_to_proto(problem, r.vehicle, v) for v in t.violations)
            violations.extend(violation_to_proto(problem, r.vehicle, v) for v in r.violations)
        # MISSING_MANDATORY_STOP is the one plan-level type: it belongs to no route.
        violations.extend(
            violation_to_proto(problem, -1, v)
            for v in evaluation.violations
            if v.type is ViolationType.MISSING_MANDATORY_STOP
        )
    k = compute_kpis(problem, evaluation)
    return ConvertedPlan(
        routes=routes,
        kpis=routing_pb2.RouteKpis(
            vehicles_used=k.vehicles_used,
            travel_seconds=k.travel_seconds,
            travel_metres=k.travel_metres,
            utilisation=k.utilisation,
            idle_seconds=k.idle_seconds,
            on_time_share=k.on_time_share,
            stops_served=k.stops_served,
            stops_skipped=k.stops_skipped,
            total_cost=k.total_cost,
        ),
        violations=violations,
        objective_terms=objective_terms(evaluation),
    )
