"""VROOM (pyvroom) as the side-by-side peer on city requests: the request as a ``vroom.Input``.

VROOM models natively what the maintenance variant needs (DESIGN.md, 2026-12-02): skills, several
time windows per job, breaks with start windows and a duration, one shift per vehicle, start and
end per vehicle (several yards), capacities. So the conversion is exact:

* travel: the request's integer seconds as VROOM's duration matrix; with no cost matrix VROOM's
  cost is travel time, which is what the service's engines minimise when the rates are zero;
* vehicles: start/end index, shift as ``time_window``, skills as integers, capacities, every
  break with its start window and duration, ``max_stops`` as ``max_tasks``;
* jobs: location, service, several ``time_windows``, required skills, demands as ``delivery``;
  a mandatory stop gets priority 100 and an optional one 10 (VROOM maximises assigned priority
  before cost, so it serves an optional stop whenever it fits: with zero rates that is the
  contract's objective too, whose only term is the skip penalties).

What VROOM cannot express is declined with the reason (``Unsupported``), never relaxed:
disposal trips (facilities: VROOM issues #188, #664), daily capacities, per-stop vehicle lists,
max route duration, non-zero cost rates (VROOM's per-hour cost counts travel only, the contract's
counts the whole route duration), vehicle-type matrices, ``MIN_VEHICLES_THEN_COST``.
"""

from __future__ import annotations

import importlib.metadata
import time
from datetime import timedelta
from typing import Any

import numpy as np

from benchmarks.runners import Unsupported
from dispatch._proto.dispatch.v1 import routing_pb2
from dispatch.wire import matrices

MANDATORY_PRIORITY = 100
OPTIONAL_PRIORITY = 10
EXPLORATION_LEVEL = 5


def declined(request: routing_pb2.PlanRoutesRequest) -> list[str]:
    """Why VROOM cannot model ``request`` exactly (empty list = it can)."""
    reasons = []
    if request.facilities:
        reasons.append("disposal trips (facilities with unload) are not modelled by VROOM")
    if request.vehicle_type_matrices or any(v.vehicle_type for v in request.vehicles):
        reasons.append("vehicle-type matrices")
    if any(v.daily_capacities for v in request.vehicles):
        reasons.append("daily capacities")
    if any(v.max_route_duration for v in request.vehicles):
        reasons.append("max route duration (VROOM limits travel time only)")
    if any(v.fixed_cost or v.cost_per_hour or v.cost_per_km for v in request.vehicles):
        reasons.append("cost rates (VROOM's per-hour cost counts travel only)")
    if any(s.allowed_vehicle_ids for s in request.stops):
        reasons.append("per-stop vehicle lists")
    if request.objective.mode == routing_pb2.RoutingObjective.MIN_VEHICLES_THEN_COST:
        reasons.append("fewest vehicles first")
    return reasons


def to_input(request: routing_pb2.PlanRoutesRequest):
    """The ``vroom.Input`` of ``request``; Unsupported when :func:`declined` finds a reason."""
    import vroom

    reasons = declined(request)
    if reasons:
        raise Unsupported("declined: " + "; ".join(reasons))
    n = len(request.location_ids)
    durations = matrices.durations(request.travel, n, n)
    loc = {lid: i for i, lid in enumerate(request.location_ids)}
    skill_ids = {
        s: k
        for k, s in enumerate(
            sorted(
                {*(x for v in request.vehicles for x in v.skills)}
                | {x for s in request.stops for x in s.required_skills}
            )
        )
    }
    dims = len(request.load_dimensions)
    problem = vroom.Input()
    problem.set_durations_matrix("car", durations.astype(np.uint32))
    for k, v in enumerate(request.vehicles):
        problem.add_vehicle(_vehicle(vroom, k, v, loc, skill_ids, dims))
    jobs = []
    for j, s in enumerate(request.stops):
        jobs.append(
            vroom.Job(
                id=j,
                location=loc[s.location_id],
                default_service=int(s.service_duration),
                delivery=_amount(s.demands, dims),
                skills={skill_ids[x] for x in s.required_skills},
                priority=OPTIONAL_PRIORITY if s.optional else MANDATORY_PRIORITY,
                time_windows=[vroom.TimeWindow(int(w.start), int(w.end)) for w in s.time_windows],
            )
        )
    problem.add_job(jobs)
    return problem


def _amount(values, dims: int) -> list[int]:
    return [int(x) for x in values] + [0] * (dims - len(values))


def _vehicle(vroom, k: int, v: routing_pb2.Vehicle, loc, skill_ids, dims: int):
    breaks = [
        vroom.Break(
            id=b,
            time_windows=[vroom.TimeWindow(int(brk.start_window.start), int(brk.start_window.end))],
            service=int(brk.duration),
        )
        for b, brk in enumerate(v.breaks)
    ]
    extra: dict[str, Any] = {}
    if v.max_stops:
        extra["max_tasks"] = int(v.max_stops)
    if dims:
        # An empty capacity list means unlimited in the contract; VROOM needs a number.
        extra["capacity"] = _amount(v.capacities, dims) if v.capacities else [2**31 - 1] * dims
    return vroom.Vehicle(
        id=k,
        start=loc[v.start_location_id],
        end=loc[v.end_location_id],
        skills={skill_ids[x] for x in v.skills},
        time_window=(
            vroom.TimeWindow(int(v.shift.start), int(v.shift.end)) if v.HasField("shift") else None
        ),
        breaks=breaks,
        **extra,
    )


def routes_of(request: routing_pb2.PlanRoutesRequest, solution: dict) -> list[dict]:
    """VROOM's routes as the harness's JSON route sequences (stops and breaks in order)."""
    routes = []
    for r in solution.get("routes", []):
        vehicle = request.vehicles[r["vehicle"]]
        visits = []
        for step in r["steps"]:
            if step["type"] == "job":
                visits.append(["STOP", request.stops[step["id"]].id])
            elif step["type"] == "break":
                visits.append(["BREAK", vehicle.breaks[step["id"]].id])
        routes.append({"vehicle": vehicle.id, "visits": visits})
    return routes


def solve(request: routing_pb2.PlanRoutesRequest, budget: float) -> dict[str, Any]:
    """Solve with VROOM (exploration level 5, one thread, timeout = budget); harness answer."""
    problem = to_input(request)
    started = time.perf_counter()
    solution = problem.solve(
        exploration_level=EXPLORATION_LEVEL, nb_threads=1, timeout=timedelta(seconds=budget)
    )
    wall = time.perf_counter() - started
    answer = solution.to_dict()
    unassigned = len(answer.get("unassigned", []))
    return {
        "routes": routes_of(request, answer),
        "status": "FEASIBLE" if not unassigned else "PARTIAL",
        "engine": f"vroom {importlib.metadata.version('pyvroom')}",
        "wall": wall,
        "note": f"{unassigned} unassigned (seed not used: VROOM is deterministic)",
    }
