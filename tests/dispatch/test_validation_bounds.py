"""Every number has an upper bound that keeps the solvers' integer arithmetic safe.

Each test puts one value just past its documented bound (``dispatch.validation.limits``, the proto
comments) and checks the field path reported; the bounds themselves are accepted. Over-the-wire
answers to the values the operator found (issue #15) are in ``test_value_bounds_rpc.py``.
"""

from __future__ import annotations

import pytest
from test_validation import assign_request, paths, routes_request

from dispatch import validation
from dispatch._proto.dispatch.v1 import routing_pb2
from dispatch.errors import InvalidProblemError
from dispatch.validation import limits

VEHICLE_COSTS = [
    ("fixed_cost", limits.MAX_COST),
    ("cost_per_hour", limits.MAX_COST_RATE),
    ("cost_per_km", limits.MAX_COST_RATE),
]


def _with_distances(request: routing_pb2.PlanRoutesRequest) -> routing_pb2.PlanRoutesRequest:
    """cost_per_km needs distances in the matrix; give the baseline some."""
    request.travel.distances.extend(1000 * d for d in request.travel.durations)
    return request


@pytest.mark.parametrize(("field", "bound"), VEHICLE_COSTS)
def test_vehicle_cost_at_its_bound_is_accepted(field, bound):
    """The bound itself is a valid value (the limits are inclusive)."""
    request = _with_distances(routes_request())
    setattr(request.vehicles[0], field, bound)
    validation.validate_plan_routes(request)


@pytest.mark.parametrize(("field", "bound"), VEHICLE_COSTS)
def test_vehicle_cost_above_its_bound_names_the_field(field, bound):
    """Just past the bound is INVALID_ARGUMENT at vehicles[0].<field>."""
    request = _with_distances(routes_request())
    setattr(request.vehicles[0], field, bound * 1.001)
    assert paths(validation.validate_plan_routes, request) == [f"vehicles[0].{field}"]


def test_skip_penalty_above_its_bound_names_the_stop():
    """A skip penalty over 1e9 is reported at stops[i].skip_penalty, with the bound."""
    request = routes_request()
    request.stops[1].optional = True
    request.stops[1].skip_penalty = 1e18
    with pytest.raises(InvalidProblemError) as info:
        validation.validate_plan_routes(request)
    [problem] = info.value.problems
    assert problem.path == "stops[1].skip_penalty"
    assert "1,000,000,000" in problem.description and "1e+18" in problem.description


def test_skip_penalty_of_a_mandatory_stop_is_bounded_too():
    """Ignored by the solvers, but still a number on the wire: the same bound applies."""
    request = routes_request()
    request.stops[0].skip_penalty = limits.MAX_COST * 2
    assert paths(validation.validate_plan_routes, request) == ["stops[0].skip_penalty"]


def test_optional_skip_penalties_sum_to_at_most_the_total():
    """Penalties each within 1e9 may still add up past 1e12: reported once, at ``stops``."""
    request = routes_request()
    template = request.stops[0]
    for i in range(1001):
        stop = request.stops.add()
        stop.CopyFrom(template)
        stop.id = f"extra-{i}"
        stop.optional = True
        stop.skip_penalty = limits.MAX_COST
    assert paths(validation.validate_plan_routes, request) == ["stops"]


def test_mandatory_skip_penalties_do_not_count_towards_the_total():
    """Only optional stops can be skipped, so only their penalties are summed."""
    request = routes_request()
    template = request.stops[0]
    for i in range(1001):
        stop = request.stops.add()
        stop.CopyFrom(template)
        stop.id = f"extra-{i}"
        stop.skip_penalty = limits.MAX_COST
    validation.validate_plan_routes(request)


def test_fixed_costs_sum_to_at_most_the_total():
    """1001 vehicles at the per-vehicle bound pass 1e12 together: reported at ``vehicles``."""
    request = routes_request()
    template = request.vehicles[0]
    template.fixed_cost = limits.MAX_COST
    for i in range(1000):
        vehicle = request.vehicles.add()
        vehicle.CopyFrom(template)
        vehicle.id = f"extra-{i}"
    assert paths(validation.validate_plan_routes, request) == ["vehicles"]


@pytest.mark.parametrize(
    ("path", "bound"),
    [
        ("stops[0].demands[0]", limits.MAX_DEMAND),
        ("vehicles[0].capacities[0]", limits.MAX_CAPACITY),
        ("vehicles[0].daily_capacities[0]", limits.MAX_CAPACITY),
    ],
)
def test_load_above_its_bound_names_the_dimension(path, bound):
    """Demands are at most 1e9 and capacities 1e12 per dimension, the bound itself allowed."""
    request = routes_request()
    request.vehicles[0].daily_capacities.append(0)
    owner, field = path.split(".")
    name = field.split("[")[0]
    values = getattr(getattr(request, owner[:-3])[0], name)
    values[0] = bound
    validation.validate_plan_routes(request)
    values[0] = bound + 1
    assert paths(validation.validate_plan_routes, request) == [path]


def test_evaluate_plan_demand_of_int64_max_names_the_problem_field():
    """The value that overflowed the checker (INTERNAL) is now a field problem."""
    request = routing_pb2.EvaluatePlanRequest(problem=routes_request())
    request.problem.stops[0].demands[0] = 2**63 - 1
    assert paths(validation.validate_evaluate_plan, request) == ["problem.stops[0].demands[0]"]


@pytest.mark.parametrize(
    ("path", "bound"),
    [
        ("incidents[0].priority", limits.MAX_PRIORITY),
        ("incidents[0].requirements[0].count", limits.MAX_REQUIREMENT_COUNT),
        ("coverage_rules[0].min_units", limits.MAX_REQUIREMENT_COUNT),
    ],
)
def test_emergency_count_above_its_bound_names_the_field(path, bound):
    """Priority 1..1000 and unit counts 1..20000; 2**31-1 made every exact engine decline."""
    request = assign_request()
    target = {
        "incidents[0].priority": lambda r: r.incidents[0],
        "incidents[0].requirements[0].count": lambda r: r.incidents[0].requirements[0],
        "coverage_rules[0].min_units": lambda r: r.coverage_rules[0],
    }[path](request)
    field = path.rsplit(".", 1)[1]
    setattr(target, field, bound)
    validation.validate_assign_units(request)
    setattr(target, field, 2**31 - 1)
    assert paths(validation.validate_assign_units, request) == [path]
