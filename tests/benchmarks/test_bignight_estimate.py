"""``bignight --write-request --travel estimate``: a small request file with the night's travel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from google.protobuf import json_format

from benchmarks.bignight.generate import night
from benchmarks.cli import main
from dispatch._proto.dispatch.v1 import routing_pb2
from dispatch.validation.routing import validate_plan_routes
from dispatch.wire.routing import problem_from_request
from solvers.routing.decompose import Part, part_problem


def _written(tmp_path: Path, travel: str) -> routing_pb2.PlanRoutesRequest:
    path = tmp_path / f"{travel}.json"
    assert (
        main(["bignight", "--sizes", "150", "--write-request", str(path), "--travel", travel]) == 0
    )
    return json_format.Parse(path.read_text(), routing_pb2.PlanRoutesRequest())


def test_the_estimate_request_reproduces_the_generators_travel(tmp_path: Path) -> None:
    """The request carries positions and an estimate, no matrix; it is valid and the matrices
    the server builds from it are the generator's own (Manhattan x 1.25 + 150 m, 30-40 km/h)."""
    request = _written(tmp_path, "estimate")
    assert not request.travel.durations_bytes and request.HasField("travel_estimate")
    assert len(request.location_coordinates) == len(request.location_ids)
    validate_plan_routes(request)
    problem = problem_from_request(request)
    large = night(150)
    every = Part("all", tuple(range(150)), tuple(range(len(large.vehicles))))
    truth = part_problem(large, every)
    assert problem.location_ids == truth.location_ids
    assert np.abs(problem.durations[0] - truth.durations[0]).max() <= 1
    assert np.abs(problem.distances[0] - truth.distances[0]).max() <= 1


def test_the_estimate_request_is_much_smaller_than_the_matrix_one(tmp_path: Path) -> None:
    """Positions grow with the locations, a matrix with their square: at 150 stops the file is
    already several times smaller."""
    estimate = _written(tmp_path, "estimate").ByteSize()
    matrix = _written(tmp_path, "matrix").ByteSize()
    assert estimate * 4 < matrix
