"""WGS84 coordinates in requests: range-checked with field paths, and never part of solving."""

from __future__ import annotations

import math

import grpc
import pytest
from google.protobuf import json_format

from dispatch import client, validation
from dispatch._proto.dispatch.v1 import common_pb2, routing_pb2
from dispatch.cli import solve_offline
from dispatch.errors import InvalidProblemError


def paths(request) -> list[str]:
    """The field paths validation reports for ``request`` (empty when it is valid)."""
    try:
        validation.validate(request)
    except InvalidProblemError as exc:
        return [p.path for p in exc.problems]
    return []


def test_bundled_examples_carry_valid_coordinates(examples):
    """Every location, unit and incident of the examples has a position, all in range."""
    for name in ("sanitation", "maintenance"):
        request = examples[name]
        assert len(request.location_coordinates) == len(request.location_ids)
        assert paths(request) == []
    emergency = examples["emergency"]
    assert all(u.HasField("position") for u in emergency.units)
    assert all(x.HasField("position") for x in emergency.incidents)
    assert paths(emergency) == []


@pytest.mark.parametrize(
    ("field", "value"),
    [("latitude", 90.5), ("latitude", -91.0), ("latitude", math.nan), ("longitude", 180.01)],
)
def test_location_coordinate_out_of_range_names_the_field(examples, field, value):
    """A latitude outside -90..90 or a longitude outside -180..180 (or NaN) names its path."""
    request = examples["sanitation"]
    setattr(request.location_coordinates[3], field, value)
    assert paths(request) == [f"location_coordinates[3].{field}"]


def test_coordinates_must_match_location_ids_one_to_one(examples):
    """A list that is not one per location id (nor empty) is rejected as a whole."""
    request = examples["maintenance"]
    del request.location_coordinates[-1]
    assert paths(request) == ["location_coordinates"]


def test_no_coordinates_at_all_is_valid(examples):
    """Coordinates are optional: a request with none is as valid as before."""
    request = examples["sanitation"]
    del request.location_coordinates[:]
    assert paths(request) == []


def test_evaluate_plan_paths_are_under_problem(examples):
    """In EvaluatePlan the path names the problem's field."""
    request = routing_pb2.EvaluatePlanRequest(problem=examples["sanitation"])
    request.problem.location_coordinates[0].longitude = -200
    assert paths(request) == ["problem.location_coordinates[0].longitude"]


def test_unit_and_incident_positions_are_checked(examples):
    """Out-of-range unit and incident positions are each reported with their path."""
    request = examples["emergency"]
    request.units[2].position.latitude = 123.0
    request.incidents[1].position.longitude = 999.0
    assert paths(request) == ["units[2].position.latitude", "incidents[1].position.longitude"]


def test_bad_coordinate_over_the_wire_is_invalid_argument(stub, examples):
    """The server answers INVALID_ARGUMENT with the coordinate's path as a field violation."""
    request = examples["sanitation"]
    request.location_coordinates[5].latitude = 95.0
    with pytest.raises(grpc.RpcError) as info:
        stub.PlanRoutes(request, timeout=30)
    details = client.error_details(info.value)
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    assert details.fields == ["location_coordinates[5].latitude"]


def test_coordinates_do_not_change_the_plan(examples):
    """The same request with and without coordinates gets the same routes (deterministic)."""
    request = examples["maintenance"]
    request.options.solver = common_pb2.GREEDY
    request.options.deterministic = True
    request.options.time_budget.FromSeconds(30)
    bare = routing_pb2.PlanRoutesRequest()
    bare.CopyFrom(request)
    del bare.location_coordinates[:]
    with_coordinates = json_format.MessageToDict(solve_offline("PlanRoutes", request))
    without = json_format.MessageToDict(solve_offline("PlanRoutes", bare))
    for answer in (with_coordinates, without):
        answer["solveInfo"].pop("wallTime", None)
    assert with_coordinates == without
