"""The live state of a re-plan on the wire: LiveState -> the re-plan's problem; unkept locks out.

The request is validated first (``dispatch.validation.live_state``), so every id resolves here.
The reference plan is timed by the checker on the problem as it is now (vehicles at their live
locations and times, before any lock), the same times the plan diff shows; the freeze horizon
and the churn cost are measured against them.
"""

from __future__ import annotations

from dispatch._proto.dispatch.v1 import live_state_pb2, routing_pb2
from dispatch.wire import enums
from dispatch.wire.replanning import reference_timelines
from solvers.routing.live import VehicleState, apply_live_state
from solvers.routing.locks import Churn, Level, Lock, Replan, unkept_locks
from solvers.routing.plan import PlanEvaluation, SkipReason
from solvers.routing.plan_diff import Timelines
from solvers.routing.problem import RoutingProblem

__all__ = ["LEVEL", "unkept_lock_messages", "with_live_state"]

_LEVEL_IN = {
    live_state_pb2.KEEP_SEQUENCE: Level.KEEP_SEQUENCE,
    live_state_pb2.KEEP_VEHICLE: Level.KEEP_VEHICLE,
}
#: Level -> RelaxationLevel number.
LEVEL = {level: number for number, level in _LEVEL_IN.items()}


def _states(problem: RoutingProblem, live: live_state_pb2.LiveState) -> list[VehicleState]:
    vehicles = {v.id: k for k, v in enumerate(problem.vehicles)}
    locations = {loc: i for i, loc in enumerate(problem.location_ids)}
    return [
        VehicleState(
            vehicle=vehicles[s.vehicle_id],
            location=locations[s.location_id] if s.location_id else None,
            free_from=int(s.free_from) if s.HasField("free_from") else None,
            load_on_board=tuple(int(q) for q in s.load_on_board),
            load_collected=tuple(int(q) for q in s.load_collected),
            stops_done=int(s.stops_done),
            worked=int(s.worked_seconds),
        )
        for s in live.vehicles
    ]


def _frozen(
    problem: RoutingProblem, live: live_state_pb2.LiveState, timelines: Timelines
) -> list[Lock]:
    """The freeze rule's locks: each reference route's stops up to now + horizon, then the rest."""
    rule = live.freeze
    within = _LEVEL_IN.get(rule.within_horizon or live_state_pb2.KEEP_SEQUENCE)
    beyond = _LEVEL_IN.get(rule.beyond_horizon or live_state_pb2.FREE)
    limit = live.now + rule.horizon_seconds
    vehicles = {v.id: k for k, v in enumerate(problem.vehicles)}
    stops = {s.id: i for i, s in enumerate(problem.stops)}
    out = []
    for vehicle, route in timelines.items():
        k = vehicles.get(vehicle)
        if k is None:
            continue  # the vehicle is gone (a breakdown): its stops are free
        inside = True
        for stop in route:
            i = stops.get(stop.stop)
            if i is None:
                continue  # done or cancelled
            inside = inside and stop.start is not None and stop.start <= limit
            level = within if inside else beyond
            if level is not None:
                out.append(Lock(i, k, level))
    return out


def _reference(
    problem: RoutingProblem, timelines: Timelines
) -> tuple[dict[int, int], dict[int, int]]:
    """Per stop the request still has: its reference vehicle, and its reference start."""
    vehicles = {v.id: k for k, v in enumerate(problem.vehicles)}
    stops = {s.id: i for i, s in enumerate(problem.stops)}
    owner: dict[int, int] = {}
    start: dict[int, int] = {}
    for vehicle, route in timelines.items():
        k = vehicles.get(vehicle)
        for stop in route:
            i = stops.get(stop.stop)
            if i is None:
                continue
            if k is not None:
                owner[i] = k
            if stop.start is not None:
                start[i] = stop.start
    return owner, start


def with_live_state(
    request: routing_pb2.PlanRoutesRequest, problem: RoutingProblem
) -> RoutingProblem:
    """The re-plan's problem when the request has a live state; else ``problem`` unchanged."""
    if not request.HasField("live_state"):
        return problem
    live = request.live_state
    states = _states(problem, live)
    now = apply_live_state(problem, states, None)
    timelines = (
        reference_timelines(now, request.reference_plan)
        if request.HasField("reference_plan")
        else {}
    )
    locks = _frozen(problem, live, timelines) if live.HasField("freeze") else []
    vehicles = {v.id: k for k, v in enumerate(problem.vehicles)}
    stops = {s.id: i for i, s in enumerate(problem.stops)}
    explicit = [
        Lock(stops[lock.stop_id], vehicles[lock.vehicle_id], _LEVEL_IN[lock.level])
        for lock in live.locks
        if lock.level in _LEVEL_IN
    ]
    named = {lock.stop for lock in explicit} | {
        stops[lock.stop_id] for lock in live.locks if lock.level == live_state_pb2.FREE
    }
    locks = [lock for lock in locks if lock.stop not in named] + explicit
    churn = Churn(
        float(live.churn.per_stop_moved),
        float(live.churn.per_minute_eta_shift),
        int(live.churn.eta_tolerance_seconds),
    )
    owner, start = _reference(problem, timelines)
    # The vehicles are live already; this pass only pins the locks and settles the prefixes.
    return apply_live_state(now, [], Replan(tuple(locks), churn, owner, start))


def unkept_lock_messages(
    problem: RoutingProblem, evaluation: PlanEvaluation, skipped: dict[int, SkipReason]
) -> list[routing_pb2.UnkeptLock]:
    """PlanRoutesResponse.unkept_locks of a checked plan."""
    return [
        routing_pb2.UnkeptLock(
            stop_id=problem.stops[u.stop].id,
            vehicle_id=problem.vehicles[u.vehicle].id,
            level=LEVEL[u.level],
            served=u.served,
            reason=enums.SKIP_REASON[u.reason],
            detail=u.detail,
        )
        for u in unkept_locks(problem, evaluation, skipped)
    ]
