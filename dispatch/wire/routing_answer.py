"""PlanRoutes and EvaluatePlan answers on the wire: checked evaluation -> routes, violations,
KPIs, objective terms and the PlanRoutes answer.

Answers are built from the checker's evaluation, never from a solver's own numbers, so both RPCs
report a plan with the same numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from google.protobuf import timestamp_pb2

from dispatch._proto.dispatch.v1 import common_pb2, routing_pb2
from dispatch.wire import enums, replanning
from dispatch.wire.clock import at, horizon_of
from dispatch.wire.durations import duration
from dispatch.wire.live_state import unkept_lock_messages
from dispatch.wire.mirror import message_from
from dispatch.wire.refs import ref_id
from solvers.routing.checker import COST_TERMS
from solvers.routing.kpis import kpis as compute_kpis
from solvers.routing.plan import (
    PlanEvaluation,
    RouteEvaluation,
    SkipReason,
    Violation,
    ViolationType,
    VisitTiming,
)
from solvers.routing.problem import (
    RoutingProblem,
)
from solvers.routing.solve import SolveOutcome

__all__ = ["ConvertedPlan", "convert_evaluation", "response_from_outcome"]


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


# -- PlanEvaluation -> wire ----------------------------------------------------------------------


@dataclass(frozen=True)
class ConvertedPlan:
    """The wire parts of an evaluated plan."""

    routes: list[routing_pb2.Route]
    kpis: routing_pb2.RouteKpis
    violations: list[routing_pb2.Violation]
    objective_terms: list[common_pb2.ObjectiveTerm]


def _violations(
    problem: RoutingProblem, vehicle: int, violations: Sequence[Violation]
) -> list[routing_pb2.Violation]:
    """Violations as messages; ``vehicle`` names whose break a BREAK ref means (-1 outside
    routes)."""
    return [
        routing_pb2.Violation(
            type=enums.VIOLATION_TYPE[v.type],
            id=ref_id(problem, vehicle, v.kind, v.ref),
            amount=v.amount,
            detail=v.detail,
        )
        for v in violations
    ]


def _visit(
    problem: RoutingProblem,
    vehicle: int,
    timing: VisitTiming,
    with_violations: bool,
    horizon: timestamp_pb2.Timestamp | None,
) -> routing_pb2.Visit:
    return message_from(
        routing_pb2.Visit,
        timing,
        kind=enums.VISIT_KIND[timing.kind],
        id=ref_id(problem, vehicle, timing.kind, timing.ref),
        location_id=problem.location_ids[timing.location],
        service_start=timing.start,
        service_end=timing.end,
        violations=_violations(problem, vehicle, timing.violations) if with_violations else [],
        arrival_time=at(horizon, timing.arrival),
        service_start_time=at(horizon, timing.start),
        service_end_time=at(horizon, timing.end),
    )


def _route(
    problem: RoutingProblem,
    route: RouteEvaluation,
    with_violations: bool,
    horizon: timestamp_pb2.Timestamp | None,
) -> routing_pb2.Route:
    visits = route.visits
    return routing_pb2.Route(
        vehicle_id=problem.vehicles[route.vehicle].id,
        visits=[_visit(problem, route.vehicle, t, with_violations, horizon) for t in visits],
        totals=message_from(routing_pb2.RouteTotals, route),
        violations=_violations(problem, route.vehicle, route.violations) if with_violations else [],
        start_time=at(horizon, visits[0].start) if visits else None,
        end_time=at(horizon, visits[-1].arrival) if visits else None,
    )


def _plan_violations(
    problem: RoutingProblem, evaluation: PlanEvaluation
) -> list[routing_pb2.Violation]:
    """Route and visit violations in route order, then the plan-level ones."""
    out: list[routing_pb2.Violation] = []
    for r in evaluation.routes:
        for t in r.visits:
            out.extend(_violations(problem, r.vehicle, t.violations))
        out.extend(_violations(problem, r.vehicle, r.violations))
    # MISSING_MANDATORY_STOP is the one plan-level type: it belongs to no route.
    missing = [v for v in evaluation.violations if v.type is ViolationType.MISSING_MANDATORY_STOP]
    out.extend(_violations(problem, -1, missing))
    return out


def convert_evaluation(
    problem: RoutingProblem,
    evaluation: PlanEvaluation,
    with_violations: bool,
    horizon: timestamp_pb2.Timestamp | None = None,
) -> ConvertedPlan:
    """Routes (START..END), KPIs, every violation and the objective terms of an evaluation.

    ``with_violations`` is False for PlanRoutes (its visits never carry violations: a returned
    plan has none) and True for EvaluatePlan. With the request's ``horizon`` every visit and
    route also carries absolute times (``dispatch.wire.clock``).
    """
    return ConvertedPlan(
        routes=[_route(problem, r, with_violations, horizon) for r in evaluation.routes],
        kpis=message_from(routing_pb2.RouteKpis, compute_kpis(problem, evaluation)),
        violations=_plan_violations(problem, evaluation) if with_violations else [],
        objective_terms=[
            common_pb2.ObjectiveTerm(name=name, value=float(evaluation.cost_terms.get(name, 0.0)))
            # plus the terms only some requests have (churn_cost of a re-plan)
            for name in [*COST_TERMS, *(n for n in evaluation.cost_terms if n not in COST_TERMS)]
        ],
    )


def _skipped_stops(problem: RoutingProblem, outcome: SolveOutcome) -> list[routing_pb2.SkippedStop]:
    """Every stop the checked plan leaves out, with the solver's reason or the likely one."""
    skipped = []
    for stop in sorted(outcome.evaluation.skipped):
        reason = outcome.plan.skipped.get(stop)
        if reason is None:
            reason = (
                SkipReason.SKIPPED_FOR_COST
                if problem.stops[stop].optional
                else SkipReason.NO_CAPACITY_LEFT
            )
        skipped.append(
            routing_pb2.SkippedStop(
                stop_id=problem.stops[stop].id,
                reason=enums.SKIP_REASON[reason],
                detail=_SKIP_DETAIL[reason],
            )
        )
    return skipped


def response_from_outcome(
    request: routing_pb2.PlanRoutesRequest,
    problem: RoutingProblem,
    outcome: SolveOutcome,
    wall_seconds: float,
) -> routing_pb2.PlanRoutesResponse:
    """The PlanRoutes answer, every number taken from the checker's evaluation; with the diff
    against the request's reference plan when it has one."""
    evaluation, report = outcome.evaluation, outcome.report
    horizon = horizon_of(request)
    converted = convert_evaluation(problem, evaluation, with_violations=False, horizon=horizon)
    info = common_pb2.SolveInfo(
        solver=enums.SOLVER[report.family],
        engine=report.engine,
        status=enums.STATUS[report.status],
        objective=float(evaluation.cost),
        wall_time=duration(wall_seconds),
        fallback_reason=report.fallback_reason,
        verified=True,
        objective_terms=converted.objective_terms,
        degraded=report.degraded,
        degraded_reason=report.degraded_reason,
        strategy=report.strategy,
    )
    if report.bound is not None:
        info.best_bound = float(report.bound)
    if report.gap is not None:
        info.gap = float(report.gap)
    response = routing_pb2.PlanRoutesResponse(
        label=request.label,
        request_id=request.request_id,
        solve_info=info,
        routes=converted.routes,
        skipped_stops=_skipped_stops(problem, outcome),
        kpis=converted.kpis,
        horizon_start=horizon,
    )
    if request.HasField("reference_plan"):
        response.diff.CopyFrom(replanning.plan_diff(problem, request.reference_plan, evaluation))
    if request.HasField("live_state"):
        response.unkept_locks.extend(
            unkept_lock_messages(problem, evaluation, dict(outcome.plan.skipped))
        )
    return response


def planned_routes_of(routes: Sequence[routing_pb2.Route]) -> list[routing_pb2.PlannedRoute]:
    """An answer's routes as a caller sends them back (EvaluatePlan, a reference plan,
    AdviseInsertion): each vehicle's visits in order, START and END left out."""
    return [
        routing_pb2.PlannedRoute(
            vehicle_id=route.vehicle_id,
            visits=[
                routing_pb2.PlannedVisit(kind=visit.kind, id=visit.id)
                for visit in route.visits
                if visit.kind in enums.VISIT_KIND_IN
            ],
        )
        for route in routes
    ]
