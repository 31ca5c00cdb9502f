"""Numbers the solvers cannot take are INVALID_ARGUMENT over the wire; the bounds are solvable.

The operator's findings (issue #15): finite huge costs and penalties (1e18 .. 1e308) overflowed
the OR-Tools model (an OverflowError, so a degraded greedy fallback, objective ``inf``, or
INTERNAL), and an EvaluatePlan demand of 2**63-1 overflowed the answer's int64 loads (INTERNAL).
Each is now refused by validation with its field path. The last tests send a request with every
cost and load at its bound to each engine and expect that engine's own answer, not a fallback.
"""

from __future__ import annotations

import grpc
import pytest

from dispatch import client
from dispatch._proto.dispatch.v1 import common_pb2, routing_pb2
from dispatch.validation import limits

HUGE = [1e18, 1e308]


def rejected(call, request) -> client.ErrorDetails:
    """The error ``call`` answers for ``request`` (fails the test if it answers a plan)."""
    with pytest.raises(grpc.RpcError) as info:
        call(request, timeout=30)
    return client.error_details(info.value)


@pytest.mark.parametrize("value", HUGE)
def test_huge_skip_penalty_on_plan_routes_is_invalid_argument(stub, examples, value):
    """An optional stop's 1e18 or 1e308 penalty is refused at stops[3].skip_penalty."""
    request = examples["maintenance"]
    request.stops[3].optional = True
    request.stops[3].skip_penalty = value
    details = rejected(stub.PlanRoutes, request)
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    assert details.fields == ["stops[3].skip_penalty"]


@pytest.mark.parametrize("value", HUGE)
@pytest.mark.parametrize("field", ["fixed_cost", "cost_per_hour", "cost_per_km"])
def test_huge_vehicle_cost_on_plan_routes_is_invalid_argument(stub, examples, field, value):
    """A vehicle cost of 1e18 or 1e308 is refused at vehicles[1].<field>."""
    request = examples["sanitation"]
    setattr(request.vehicles[1], field, value)
    details = rejected(stub.PlanRoutes, request)
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    assert details.fields == [f"vehicles[1].{field}"]


def test_evaluate_plan_demand_of_int64_max_is_invalid_argument(stub, examples):
    """A route through a stop demanding 2**63-1 overflowed the loads (INTERNAL); now refused."""
    problem = examples["sanitation"]
    problem.stops[3].demands[0] = 2**63 - 1
    request = routing_pb2.EvaluatePlanRequest(problem=problem)
    route = request.routes.add(vehicle_id=problem.vehicles[0].id)
    for stop in (problem.stops[3], problem.stops[4]):
        route.visits.add(kind=routing_pb2.Visit.STOP, id=stop.id)
    route.visits.add(kind=routing_pb2.Visit.FACILITY, id=problem.facilities[0].id)
    details = rejected(stub.EvaluatePlan, request)
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    assert details.fields == ["problem.stops[3].demands[0]"]


# -- every engine takes a request at the bounds -------------------------------------------------

UNREACHABLE = 2**31 - 1  # the int32 maximum, as callers mark pairs that cannot be driven


def request_at_the_bounds(solver: int) -> routing_pb2.PlanRoutesRequest:
    """Two vehicles and four stops with every cost, rate, penalty and load at its bound.

    One pair of locations is marked unreachable with the int32 maximum in both matrices, so the
    largest arc cost (rates x 2**31) is in the model too. No breaks, facilities or multiple
    windows, so OR-Tools, PyVRP and MILP can all model it.
    """
    ids = ["depot", "a", "b", "c", "d"]
    n = len(ids)
    request = routing_pb2.PlanRoutesRequest(
        request_id=f"bounds-{solver}",
        workload=routing_pb2.MAINTENANCE,
        location_ids=ids,
        load_dimensions=["kg"],
    )
    request.options.solver = solver
    # Work limits end the solve; the budget only has to outlast a loaded machine, or the
    # late answer would be a constructed plan instead of the chosen engine's.
    request.options.deterministic = True
    request.options.time_budget.FromSeconds(30)
    for i in range(n):
        for j in range(n):
            seconds = 0 if i == j else 120 * (abs(i - j) + 1)
            metres = 0 if i == j else 900 * (abs(i - j) + 1)
            if {ids[i], ids[j]} == {"a", "d"}:
                seconds = metres = UNREACHABLE
            request.travel.durations.append(seconds)
            request.travel.distances.append(metres)
    for k in range(2):
        vehicle = request.vehicles.add(
            id=f"truck-{k}",
            start_location_id="depot",
            end_location_id="depot",
            capacities=[limits.MAX_CAPACITY],
            daily_capacities=[limits.MAX_CAPACITY],
            fixed_cost=limits.MAX_COST,
            cost_per_hour=limits.MAX_COST_RATE,
            cost_per_km=limits.MAX_COST_RATE,
        )
        vehicle.shift.start, vehicle.shift.end = 0, 28_800
    for i, location in enumerate(ids[1:]):
        stop = request.stops.add(
            id=f"stop-{location}",
            location_id=location,
            demands=[limits.MAX_DEMAND],
            service_duration=300,
            optional=i % 2 == 1,
            skip_penalty=limits.MAX_COST,
        )
        stop.time_windows.add(start=0, end=28_800)
    return request


@pytest.mark.parametrize(
    ("solver", "engine"),
    [
        (common_pb2.ORTOOLS, "ortools.routing"),
        (common_pb2.PYVRP, "pyvrp"),
        (common_pb2.MILP, "pulp."),
    ],
)
def test_every_engine_solves_a_request_at_the_bounds(stub, solver, engine):
    """The chosen engine itself answers (no overflow, no fallback) and serves every stop: each
    skip penalty (1e9) is worth far more than the detour (rates 1e6 per hour and per km)."""
    answer = stub.PlanRoutes(request_at_the_bounds(solver), timeout=60)
    info = answer.solve_info
    assert info.engine.startswith(engine), info.fallback_reason
    assert not info.fallback_reason
    assert info.verified
    assert not answer.skipped_stops
    assert 0 < info.objective < limits.MAX_TOTAL_FIXED_COST
