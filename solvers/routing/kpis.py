"""Headline numbers of a checked plan, computed from the checker's evaluation only.

PlanRoutes and EvaluatePlan both report these, so both must come from this one function.
"""

from __future__ import annotations

from dataclasses import dataclass

from solvers.routing.plan import PlanEvaluation, ViolationType, VisitKind
from solvers.routing.problem import RoutingProblem

__all__ = ["RouteKpis", "kpis"]


@dataclass(frozen=True)
class RouteKpis:
    """Mirrors dispatch.v1.RouteKpis.

    ``utilisation`` is service and unloading seconds over the shift length of used vehicles;
    ``on_time_share`` is the share of served stop visits that start inside a window (a stop
    without windows is always on time; one started late or early in a soft window is not); both
    are 0 when there is nothing to divide by. The lateness and earliness figures add up the
    visits' own (``VisitTiming.lateness`` / ``earliness``), over stop visits only.
    """

    vehicles_used: int
    travel_seconds: int
    travel_metres: int
    utilisation: float
    idle_seconds: int
    on_time_share: float
    stops_served: int
    stops_skipped: int
    total_cost: float
    late_stops: int = 0
    lateness_seconds: int = 0
    max_lateness_seconds: int = 0
    early_stops: int = 0
    earliness_seconds: int = 0


def kpis(problem: RoutingProblem, evaluation: PlanEvaluation) -> RouteKpis:
    """Compute the KPIs of an evaluated plan."""
    used = [r for r in evaluation.routes if r.stops > 0]
    shift_seconds = sum(
        max(0, problem.vehicles[r.vehicle].shift.end - problem.vehicles[r.vehicle].shift.start)
        for r in used
    )
    service_seconds = sum(r.service_seconds for r in used)
    stop_visits = 0
    on_time = 0
    visits = [v for r in evaluation.routes for v in r.visits if v.kind is VisitKind.STOP]
    for visit in visits:
        stop_visits += 1
        outside = visit.lateness or visit.earliness
        if not outside and not any(v.type is ViolationType.TIME_WINDOW for v in visit.violations):
            on_time += 1
    return RouteKpis(
        vehicles_used=len(used),
        travel_seconds=sum(r.travel_seconds for r in evaluation.routes),
        travel_metres=sum(r.travel_metres for r in evaluation.routes),
        utilisation=min(1.0, service_seconds / shift_seconds) if shift_seconds > 0 else 0.0,
        idle_seconds=sum(r.wait_seconds for r in evaluation.routes),
        on_time_share=on_time / stop_visits if stop_visits else 0.0,
        stops_served=len(evaluation.served),
        stops_skipped=len(evaluation.skipped),
        total_cost=evaluation.cost,
        late_stops=sum(1 for v in visits if v.lateness),
        lateness_seconds=sum(v.lateness for v in visits),
        max_lateness_seconds=max((v.lateness for v in visits), default=0),
        early_stops=sum(1 for v in visits if v.earliness),
        earliness_seconds=sum(v.earliness for v in visits),
    )
