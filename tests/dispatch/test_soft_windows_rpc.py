"""Soft time windows through the real gRPC server: PlanRoutes trades lateness against a crew,
EvaluatePlan prices lateness per visit and in the KPIs, and bad soft fields are INVALID_ARGUMENT
with their field paths.

The request: two crews at L0 (fixed cost 100 each), work order a at L1 (must start by 100, takes
1000 s) and b at L2 (takes 1000 s, should start by 200, may start up to 5000 s late). One crew
doing both reaches b at 1020, 820 s late (10 s per step on the line).
"""

from __future__ import annotations

import grpc
import numpy as np
import pytest

from dispatch import client
from dispatch._proto.dispatch.v1 import common_pb2, routing_pb2
from dispatch.wire import matrices

LATE = 820


def _request(late_cost_per_hour: float) -> routing_pb2.PlanRoutesRequest:
    steps = np.abs(np.arange(3)[:, None] - np.arange(3)[None, :])
    request = routing_pb2.PlanRoutesRequest(
        label="soft",
        workload=routing_pb2.MAINTENANCE,
        location_ids=["L0", "L1", "L2"],
        travel=matrices.encode(steps * 10, steps * 1000),
    )
    request.horizon_start.FromJsonString("2026-03-16T06:00:00Z")
    request.options.deterministic = True
    request.options.solver = common_pb2.ORTOOLS
    request.options.time_budget.FromSeconds(20)
    for k in range(2):
        request.vehicles.add(
            id=f"crew{k}", start_location_id="L0", end_location_id="L0", fixed_cost=100.0
        )
    request.stops.add(
        id="a", location_id="L1", service_duration=1000, time_windows=[{"start": 0, "end": 100}]
    )
    window = common_pb2.TimeWindow(
        start=0, end=200, late_cost_per_hour=late_cost_per_hour, max_lateness=5000
    )
    request.stops.add(id="b", location_id="L2", service_duration=1000, time_windows=[window])
    return request


def _terms(info_or_answer) -> dict[str, float]:
    return {t.name: t.value for t in info_or_answer.objective_terms}


def _stop_visit(routes, stop_id: str) -> routing_pb2.Visit:
    return next(v for r in routes for v in r.visits if v.id == stop_id)


def test_plan_routes_serves_late_when_lateness_is_cheaper_than_a_crew(stub):
    """At 36/h the answer uses one crew and reports b 820 s late, priced 8.2, in the visit,
    the KPIs and the objective terms."""
    answer = stub.PlanRoutes(_request(36.0), timeout=60)
    assert len(answer.routes) == 1
    b = _stop_visit(answer.routes, "b")
    assert b.lateness == LATE
    assert b.time_window_cost == pytest.approx(36.0 * LATE / 3600)
    assert (answer.kpis.late_stops, answer.kpis.lateness_seconds) == (1, LATE)
    assert answer.kpis.max_lateness_seconds == LATE
    assert _terms(answer.solve_info)["time_window_cost"] == pytest.approx(8.2)
    assert answer.solve_info.objective == pytest.approx(108.2)


def test_plan_routes_adds_a_crew_when_lateness_costs_more(stub):
    """At 3600/h lateness would cost 820: two crews, nobody late."""
    answer = stub.PlanRoutes(_request(3600.0), timeout=60)
    assert len(answer.routes) == 2
    assert answer.kpis.late_stops == 0
    assert _terms(answer.solve_info)["time_window_cost"] == 0.0


def test_evaluate_plan_prices_a_late_visit(stub):
    """The dispatcher's one-crew plan: feasible (inside max_lateness), b 820 s late, priced."""
    problem = _request(36.0)
    request = routing_pb2.EvaluatePlanRequest(problem=problem)
    request.routes.add(
        vehicle_id="crew0",
        visits=[
            routing_pb2.PlannedVisit(kind=routing_pb2.Visit.STOP, id="a"),
            routing_pb2.PlannedVisit(kind=routing_pb2.Visit.STOP, id="b"),
        ],
    )
    answer = stub.EvaluatePlan(request, timeout=30)
    assert answer.feasible
    b = _stop_visit(answer.routes, "b")
    assert (b.lateness, b.earliness) == (LATE, 0)
    assert b.time_window_cost == pytest.approx(8.2)
    assert answer.kpis.lateness_seconds == LATE
    assert answer.kpis.on_time_share == pytest.approx(0.5)
    assert _terms(answer)["time_window_cost"] == pytest.approx(8.2)


def test_evaluate_plan_past_max_lateness_is_a_time_window_violation(stub):
    """With only 500 s allowed, 820 s late is infeasible by 320 s."""
    problem = _request(36.0)
    problem.stops[1].time_windows[0].max_lateness = 500
    request = routing_pb2.EvaluatePlanRequest(problem=problem)
    request.routes.add(
        vehicle_id="crew0",
        visits=[
            routing_pb2.PlannedVisit(kind=routing_pb2.Visit.STOP, id="a"),
            routing_pb2.PlannedVisit(kind=routing_pb2.Visit.STOP, id="b"),
        ],
    )
    answer = stub.EvaluatePlan(request, timeout=30)
    assert not answer.feasible
    assert [(v.type, v.id, v.amount) for v in answer.violations] == [
        (routing_pb2.Violation.TIME_WINDOW, "b", LATE - 500)
    ]


def _fields(stub, request: routing_pb2.PlanRoutesRequest) -> set[str]:
    with pytest.raises(grpc.RpcError) as info:
        stub.PlanRoutes(request, timeout=10)
    details = client.error_details(info.value)
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    return set(details.fields)


def test_negative_soft_values_are_invalid_with_field_paths(stub):
    """A negative rate or allowance is named by its path, never INTERNAL."""
    request = _request(36.0)
    window = request.stops[1].time_windows[0]
    window.late_cost_per_hour = -1.0
    window.max_earliness = -5
    assert _fields(stub, request) == {
        "stops[1].time_windows[0].late_cost_per_hour",
        "stops[1].time_windows[0].max_earliness",
    }


def test_a_rate_without_its_allowance_is_invalid(stub):
    """A late cost with max_lateness 0 would be ignored silently: refused instead."""
    request = _request(36.0)
    request.stops[1].time_windows[0].max_lateness = 0
    assert _fields(stub, request) == {"stops[1].time_windows[0].max_lateness"}


def test_soft_fields_where_windows_cannot_be_soft_are_invalid(stub):
    """Shifts cannot be soft, and a soft window must be its stop's only window."""
    request = _request(36.0)
    request.vehicles[0].shift.CopyFrom(common_pb2.TimeWindow(start=0, end=9000, max_lateness=60))
    request.stops[1].time_windows.add(start=3000, end=4000)
    assert _fields(stub, request) == {
        "vehicles[0].shift.max_lateness",
        "stops[1].time_windows[0]",
    }
