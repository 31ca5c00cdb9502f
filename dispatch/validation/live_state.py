"""Validation of PlanRoutesRequest.live_state (live_state.proto): the re-plan's own contradictions.

A lock that the day makes impossible (a window the crew can no longer reach) is not an error:
the answer reports it in ``unkept_locks``. What is an error, INVALID_ARGUMENT with its field
path, is a request that contradicts itself: a stop locked twice (on two vehicles), a frozen
prefix whose service time alone is longer than what is left of the vehicle's shift, a vehicle
free only after its shift ends, more on board than the vehicle holds, ids the request does not
have, negative or unbounded numbers, a freeze rule or churn cost without the reference plan they
are measured against.
"""

from __future__ import annotations

from dispatch._proto.dispatch.v1 import live_state_pb2, routing_pb2
from dispatch.validation import limits
from dispatch.validation.common import (
    Problems,
    check_cost,
    check_enum,
    check_loads,
    check_non_negative,
    check_reference,
    first_index,
    show,
)

__all__ = ["MAX_ETA_SHIFT_COST", "check_live_state"]

#: per_minute_eta_shift limit (currency units per minute): OR-Tools prices it per second in
#: integer model units (x 6000), which must stay far from int64 over a day of shift.
MAX_ETA_SHIFT_COST = 1e4
_MAX_STOPS_DONE = 1_000_000
_LEVEL = live_state_pb2.RelaxationLevel.DESCRIPTOR


def _shift(vehicle: routing_pb2.Vehicle) -> tuple[int, int]:
    if vehicle.HasField("shift"):
        return int(vehicle.shift.start), int(vehicle.shift.end)
    return 0, limits.MAX_TIME


def _vehicle_states(request: routing_pb2.PlanRoutesRequest, problems: Problems) -> dict[str, int]:
    """Each vehicle's state; returns vehicle id -> its free-from time (shift start if unset)."""
    path = "live_state.vehicles"
    vehicles = first_index(v.id for v in request.vehicles)
    locations = first_index(request.location_ids)
    dims = len(request.load_dimensions)
    seen: dict[str, int] = {}
    free: dict[str, int] = {}
    for i, state in enumerate(request.live_state.vehicles):
        at, owner = f"{path}[{i}]", f"Live state {i}"
        k = check_reference(
            problems, f"{at}.vehicle_id", state.vehicle_id, vehicles, "vehicle", owner
        )
        if k is not None and state.vehicle_id in seen:
            problems.add(
                f"{at}.vehicle_id",
                f"Vehicle {show(state.vehicle_id)} already has a live state "
                f"({path}[{seen[state.vehicle_id]}]).",
            )
        seen.setdefault(state.vehicle_id, i)
        if state.location_id:
            check_reference(
                problems, f"{at}.location_id", state.location_id, locations, "location", owner
            )
        if state.HasField("free_from"):
            check_non_negative(problems, f"{at}.free_from", state.free_from, "free_from", owner)
        check_loads(
            problems,
            f"{at}.load_on_board",
            state.load_on_board,
            dims,
            "load on board",
            owner,
            limits.MAX_DEMAND,
        )
        check_loads(
            problems,
            f"{at}.load_collected",
            state.load_collected,
            dims,
            "load collected",
            owner,
            limits.MAX_CAPACITY,
        )
        if not 0 <= state.stops_done <= _MAX_STOPS_DONE:
            problems.add(
                f"{at}.stops_done",
                f"{owner} has stops_done {state.stops_done}; it must be 0..{_MAX_STOPS_DONE:,}.",
            )
        check_non_negative(
            problems, f"{at}.worked_seconds", state.worked_seconds, "worked_seconds", owner
        )
        if k is None:
            continue
        caps = request.vehicles[k].capacities
        for d, load in enumerate(state.load_on_board[: len(caps)]):
            if load > caps[d]:
                problems.add(
                    f"{at}.load_on_board[{d}]",
                    f"Vehicle {show(state.vehicle_id)} has {load} on board, over its capacity "
                    f"{caps[d]}.",
                )
        begin, end = _shift(request.vehicles[k])
        if state.HasField("free_from") and state.free_from > end:
            problems.add(
                f"{at}.free_from",
                f"Vehicle {show(state.vehicle_id)} is free only at {state.free_from}, "
                f"after its shift ends ({end}).",
            )
        free[state.vehicle_id] = (
            max(begin, int(state.free_from)) if state.HasField("free_from") else begin
        )
    return free


def _locks(
    request: routing_pb2.PlanRoutesRequest, problems: Problems, free: dict[str, int]
) -> None:
    """Locks name known stops and vehicles, a stop once; a frozen prefix fits the shift left."""
    path = "live_state.locks"
    stops = first_index(s.id for s in request.stops)
    vehicles = first_index(v.id for v in request.vehicles)
    locked: dict[str, int] = {}
    prefix_work: dict[str, int] = {}
    for j, lock in enumerate(request.live_state.locks):
        at, owner = f"{path}[{j}]", f"Lock {j}"
        i = check_reference(problems, f"{at}.stop_id", lock.stop_id, stops, "stop", owner)
        k = check_reference(
            problems, f"{at}.vehicle_id", lock.vehicle_id, vehicles, "vehicle", owner
        )
        check_enum(problems, f"{at}.level", lock.level, _LEVEL, owner, required=True)
        if i is None or k is None:
            continue
        if lock.stop_id in locked:
            first = request.live_state.locks[locked[lock.stop_id]]
            problems.add(
                f"{at}.stop_id",
                f"Stop {show(lock.stop_id)} is already locked to vehicle {show(first.vehicle_id)} "
                f"({path}[{locked[lock.stop_id]}]).",
            )
            continue
        locked[lock.stop_id] = j
        stop = request.stops[i]
        if stop.allowed_vehicle_ids and lock.vehicle_id not in stop.allowed_vehicle_ids:
            problems.add(
                f"{at}.vehicle_id",
                f"Stop {show(lock.stop_id)} is locked to vehicle {show(lock.vehicle_id)}, "
                "which is not among its allowed vehicles.",
            )
        if lock.level != live_state_pb2.KEEP_SEQUENCE:
            continue
        work = prefix_work.get(lock.vehicle_id, 0) + max(0, int(stop.service_duration))
        prefix_work[lock.vehicle_id] = work
        begin = free.get(lock.vehicle_id, _shift(request.vehicles[k])[0])
        end = _shift(request.vehicles[k])[1]
        if work > max(0, end - begin):
            problems.add(
                f"{at}.stop_id",
                f"The frozen prefix of vehicle {show(lock.vehicle_id)} up to stop "
                f"{show(lock.stop_id)} needs {work} s of service alone, more than the "
                f"{max(0, end - begin)} s left of its shift.",
            )


def _rules(request: routing_pb2.PlanRoutesRequest, problems: Problems) -> None:
    """The freeze rule and the churn cost: bounded, and only with a reference plan."""
    live = request.live_state
    owner = "The live state"
    has_reference = request.HasField("reference_plan")
    if live.HasField("freeze"):
        rule = live.freeze
        check_non_negative(
            problems,
            "live_state.freeze.horizon_seconds",
            rule.horizon_seconds,
            "freeze horizon",
            owner,
        )
        check_enum(
            problems,
            "live_state.freeze.within_horizon",
            rule.within_horizon,
            _LEVEL,
            owner,
            required=False,
        )
        check_enum(
            problems,
            "live_state.freeze.beyond_horizon",
            rule.beyond_horizon,
            _LEVEL,
            owner,
            required=False,
        )
        if not has_reference:
            problems.add("live_state.freeze", "A freeze rule needs the reference_plan it freezes.")
    churn = live.churn
    check_cost(
        problems,
        "live_state.churn.per_stop_moved",
        churn.per_stop_moved,
        "churn cost per stop moved",
        owner,
        limits.MAX_COST,
    )
    check_cost(
        problems,
        "live_state.churn.per_minute_eta_shift",
        churn.per_minute_eta_shift,
        "churn cost per minute of ETA shift",
        owner,
        MAX_ETA_SHIFT_COST,
    )
    check_non_negative(
        problems,
        "live_state.churn.eta_tolerance_seconds",
        churn.eta_tolerance_seconds,
        "ETA tolerance",
        owner,
    )
    if (churn.per_stop_moved or churn.per_minute_eta_shift) and not has_reference:
        problems.add(
            "live_state.churn", "A churn cost needs the reference_plan it is measured against."
        )


def check_live_state(request: routing_pb2.PlanRoutesRequest, problems: Problems) -> None:
    """Every problem of ``request.live_state`` into ``problems`` (nothing when it is unset)."""
    if not request.HasField("live_state"):
        return
    check_non_negative(problems, "live_state.now", request.live_state.now, "now", "The live state")
    free = _vehicle_states(request, problems)
    _locks(request, problems, free)
    _rules(request, problems)
