"""The benchmarks' request -> RoutingProblem conversion (used to check peers' plans with the
service's checker) must describe the same problem as the service's own conversion."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.problem import to_problem
from benchmarks.suites import ROUTING_SUITES
from dispatch.routing_convert import problem_from_request


@pytest.mark.parametrize("suite", sorted(ROUTING_SUITES))
def test_conversion_matches_the_service(bench_dir, suite):
    """Vehicles, stops, facilities, matrices and objective mode agree field by field."""
    instance = ROUTING_SUITES[suite].read(ROUTING_SUITES[suite].files(bench_dir)[0])
    ours, service = to_problem(instance.request), problem_from_request(instance.request)
    assert ours.vehicles == service.vehicles
    assert ours.stops == service.stops
    assert ours.facilities == service.facilities
    assert ours.minimize_vehicles_first == service.minimize_vehicles_first
    assert all(np.array_equal(a, b) for a, b in zip(ours.durations, service.durations, strict=True))
    assert all(np.array_equal(a, b) for a, b in zip(ours.distances, service.distances, strict=True))
