"""A decomposed plan with time-of-day travel is re-timed exactly, like a single solve's."""

from __future__ import annotations

import numpy as np

from dispatch._proto.dispatch.v1 import common_pb2, routing_pb2
from dispatch.cluster.routing import solve_on_cluster
from dispatch.evaluate_plan import evaluate_plan_request
from dispatch.wire import matrices
from solvers.budget import Deadline
from solvers.routing.decompose import InlineRunner
from solvers.routing.travel_periods import PLANNING_NOTE

N = 8  # work orders on a line, 300 s apart by day; rush hour (the first hour) is 3x slower


def _request() -> routing_pb2.PlanRoutesRequest:
    ids = ["D", *(f"w{i}" for i in range(N))]
    steps = np.abs(np.arange(N + 1)[:, None] - np.arange(N + 1)[None, :])
    request = routing_pb2.PlanRoutesRequest(
        label="rush", location_ids=ids, travel=matrices.encode(steps * 300, steps * 1000)
    )
    request.options.deterministic = True
    request.options.solver = common_pb2.ORTOOLS
    for k in range(2):
        request.vehicles.add(
            id=f"crew{k}", start_location_id="D", end_location_id="D", shift={"end": 40_000}
        )
    for i in range(N):
        request.stops.add(id=f"w{i}", location_id=f"w{i}", service_duration=600)
    periods = request.travel_periods.add()
    for start, end, factor in ((0, 3600, 3), (3600, 0, 1)):  # end 0: open
        period = periods.periods.add(start=start, end=end)
        period.travel.CopyFrom(matrices.encode(steps * 300 * factor))
    return request


def test_decomposed_etas_are_the_exact_ones() -> None:
    """Parts plan on rush-hour speed all day; the stitched answer's ETAs are those EvaluatePlan
    computes for the same routes with the periods, and the answer says it was re-timed."""
    request = _request()
    answer = solve_on_cluster(request, Deadline.after(4), InlineRunner(), part_stops=4)
    assert PLANNING_NOTE in answer.solve_info.strategy
    check = routing_pb2.EvaluatePlanRequest(problem=request)
    for route in answer.routes:
        planned = check.routes.add(vehicle_id=route.vehicle_id)
        for visit in route.visits:
            if visit.kind == routing_pb2.Visit.STOP:
                planned.visits.add(kind=visit.kind, id=visit.id)
    exact = evaluate_plan_request(check)
    assert exact.feasible
    got = {v.id: v.arrival for r in answer.routes for v in r.visits if v.kind == 2}
    want = {v.id: v.arrival for r in exact.routes for v in r.visits if v.kind == 2}
    assert got == want and len(got) == N
