"""Re-planning on the wire: the reference plan and its diff (PlanRoutes), insertion advice.

The reference plan is read leniently, unlike EvaluatePlan's routes: it is this morning's plan,
and the request may no longer have some of its stops (done, cancelled) or vehicles (broken
down). Those keep their ids in the diff and simply have no reference time; everything the
request still has is timed by the checker on this request, as EvaluatePlan would time it.
This module does not import ``dispatch.wire.routing_answer`` (which imports it for the diff).
"""

from __future__ import annotations

from dispatch._proto.dispatch.v1 import replanning_pb2, routing_pb2
from dispatch.wire import enums
from dispatch.wire.mirror import message_from
from dispatch.wire.refs import ref_id
from solvers.routing.checker import evaluate_route
from solvers.routing.insertion import Advice, InsertionOption, StopAdvice
from solvers.routing.insertion_bounds import Cause
from solvers.routing.plan import PlanEvaluation, PlannedVisit, RoutePlan, VisitKind
from solvers.routing.plan_diff import (
    Change,
    PlanDiff,
    StopTime,
    diff_plans,
    timelines,
)
from solvers.routing.problem import RoutingProblem

__all__ = ["advice_messages", "diff_message", "plan_diff", "reference_timelines"]

_CHANGE = enums.to_proto(Change, routing_pb2.StopChange.Change)


def _known_visits(
    problem: RoutingProblem, vehicle: int, route: routing_pb2.PlannedRoute
) -> list[PlannedVisit]:
    """The route's visits the request still has, as indices (the rest are left out)."""
    tables = {
        VisitKind.STOP: {s.id: i for i, s in enumerate(problem.stops)},
        VisitKind.FACILITY: {f.id: i for i, f in enumerate(problem.facilities)},
        VisitKind.BREAK: {b.id: i for i, b in enumerate(problem.vehicles[vehicle].breaks)},
    }
    out = []
    for visit in route.visits:
        kind = enums.VISIT_KIND_IN.get(visit.kind)
        ref = tables[kind].get(visit.id) if kind is not None else None
        if ref is not None:
            out.append(PlannedVisit(kind, ref))
    return out


def reference_timelines(
    problem: RoutingProblem, reference: routing_pb2.ReferencePlan
) -> dict[str, tuple[StopTime, ...]]:
    """Each reference route's stops in order, timed by the checker where the request allows."""
    vehicles = {v.id: k for k, v in enumerate(problem.vehicles)}
    out = {}
    for route in reference.routes:
        starts: dict[str, int] = {}
        k = vehicles.get(route.vehicle_id)
        visits = _known_visits(problem, k, route) if k is not None else []
        if visits:
            evaluation = evaluate_route(problem, RoutePlan(k, tuple(visits)))
            starts = {
                problem.stops[t.ref].id: t.start
                for t in evaluation.visits
                if t.kind is VisitKind.STOP
            }
        stops = tuple(
            StopTime(visit.id, starts.get(visit.id))
            for visit in route.visits
            if visit.kind == routing_pb2.Visit.STOP
        )
        out[route.vehicle_id] = stops
    return out


def plan_diff(
    problem: RoutingProblem, reference: routing_pb2.ReferencePlan, evaluation: PlanEvaluation
) -> routing_pb2.PlanDiff:
    """The diff of an evaluated plan against the request's reference plan."""
    diff = diff_plans(
        reference_timelines(problem, reference),
        timelines(problem, evaluation),
        requested={stop.id for stop in problem.stops},
    )
    return diff_message(diff)


def diff_message(diff: PlanDiff) -> routing_pb2.PlanDiff:
    """A PlanDiff as its message (absent positions are -1, absent times unset)."""
    message = routing_pb2.PlanDiff()
    for stop in diff.stops:
        change = message.stops.add(
            stop_id=stop.stop,
            change=_CHANGE[stop.change],
            reference_vehicle_id=stop.reference_vehicle or "",
            vehicle_id=stop.vehicle or "",
            reference_position=-1 if stop.reference_position is None else stop.reference_position,
            position=-1 if stop.position is None else stop.position,
            still_requested=stop.still_requested,
        )
        if stop.reference_start is not None:
            change.reference_service_start = stop.reference_start
        if stop.start is not None:
            change.service_start = stop.start
        if stop.eta_shift is not None:
            change.eta_shift = stop.eta_shift
    for crew in diff.crews:
        message.crews.add(
            vehicle_id=crew.vehicle,
            reference_next_stop_id=crew.reference_next or "",
            next_stop_id=crew.next or "",
            next_stop_changed=crew.next_changed,
            reference_stops=crew.reference_stops,
            stops=crew.stops,
        )
    message.kpis.CopyFrom(
        message_from(
            routing_pb2.ChurnKpis,
            diff.kpis,
            eta_shift_total_seconds=diff.kpis.eta_shift_total,
            eta_shift_max_seconds=diff.kpis.eta_shift_max,
        )
    )
    return message


# -- insertion advice -> wire --------------------------------------------------------------------


def _option(problem: RoutingProblem, option: InsertionOption) -> replanning_pb2.InsertionOption:
    v, visits, p = option.vehicle, option.route.visits, option.position
    delays = [
        replanning_pb2.DelayedStop(
            stop_id=problem.stops[d.stop].id,
            service_start_before=d.before,
            service_start_after=d.after,
            delay=d.seconds,
        )
        for d in option.delays
    ]
    return replanning_pb2.InsertionOption(
        vehicle_id=problem.vehicles[v].id,
        new_route=option.new_route,
        route=routing_pb2.PlannedRoute(
            vehicle_id=problem.vehicles[v].id,
            visits=[
                routing_pb2.PlannedVisit(
                    kind=enums.VISIT_KIND[visit.kind], id=ref_id(problem, v, visit.kind, visit.ref)
                )
                for visit in visits
            ],
        ),
        position=p,
        after_id=ref_id(problem, v, visits[p - 1].kind, visits[p - 1].ref) if p > 0 else "",
        before_id=ref_id(problem, v, visits[p + 1].kind, visits[p + 1].ref)
        if p + 1 < len(visits)
        else "",
        arrival=option.arrival,
        service_start=option.service_start,
        cost_delta=option.cost_delta,
        travel_seconds_delta=option.travel_delta,
        duration_delta=option.duration_delta,
        lateness=option.lateness,
        delayed=delays,
        total_delay_seconds=sum(d.seconds for d in option.delays),
        max_delay_seconds=max((d.seconds for d in option.delays), default=0),
    )


def _stop_advice(problem: RoutingProblem, advice: StopAdvice) -> replanning_pb2.StopInsertionAdvice:
    message = replanning_pb2.StopInsertionAdvice(
        stop_id=problem.stops[advice.stop].id,
        options=[_option(problem, option) for option in advice.options],
        detail=advice.detail,
        rejections=replanning_pb2.InsertionRejections(
            time_window=advice.rejected.get(Cause.TIME_WINDOW, 0),
            shift=advice.rejected.get(Cause.SHIFT, 0),
            capacity=advice.rejected.get(Cause.CAPACITY, 0),
        ),
        routes_checked=advice.routes_checked,
        complete=advice.complete,
    )
    if advice.reason is not None:
        message.reason = enums.SKIP_REASON[advice.reason]
    return message


def advice_messages(
    problem: RoutingProblem, advice: Advice
) -> tuple[list[replanning_pb2.StopInsertionAdvice], list[str]]:
    """The per-stop advice messages and the ids of the vehicles left out (broken routes)."""
    return (
        [_stop_advice(problem, stop) for stop in advice.stops],
        [problem.vehicles[v].id for v in advice.vehicles_with_violations],
    )
