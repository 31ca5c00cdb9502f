"""The routing problem validates its shapes once, normalises loads and computes eligibility."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from checker_cases import problem, stop, vehicle

from solvers.errors import InvalidProblemError


def test_short_demands_are_padded_with_zeros():
    """A stop that names fewer loads than the problem has dimensions carries zeros for the rest."""
    p = problem((stop("a", 1, demands=(3,)),), dimensions=("kg", "litres"))
    assert p.stops[0].demands == (3, 0)


def test_more_demands_than_dimensions_is_rejected():
    """A load vector longer than the dimensions is a builder bug, named by its path."""
    with pytest.raises(InvalidProblemError) as info:
        problem((stop("a", 1, demands=(3, 4)),), dimensions=("kg",))
    assert info.value.problems[0].path == "stops[0].demands"


def test_a_wrong_matrix_shape_is_rejected():
    """A duration matrix that does not match the locations is refused before any engine runs."""
    p = problem((stop("a", 1),))
    with pytest.raises(InvalidProblemError):
        replace(p, durations=(np.zeros((3, 3), dtype=np.int64),))


def test_a_vehicle_on_a_missing_profile_is_rejected():
    """A vehicle whose profile indexes no matrix is refused."""
    with pytest.raises(InvalidProblemError):
        problem((stop("a", 1),), vehicles=(vehicle(profile=2),))


def test_eligibility_combines_skills_and_allowed_vehicles():
    """A stop is eligible for a vehicle only with its skills and, if listed, on its list."""
    crews = (
        vehicle("plain"),
        vehicle("welder", skills=frozenset({"weld"})),
        vehicle("welder2", skills=frozenset({"weld", "dig"})),
    )
    stops = (
        stop("any", 1),
        stop("weld", 2, required_skills=frozenset({"weld"})),
        stop(
            "weld-on-0-or-2",
            3,
            required_skills=frozenset({"weld"}),
            allowed_vehicles=frozenset({0, 2}),
        ),
    )
    p = problem(stops, vehicles=crews)
    assert [p.eligible_vehicles(i) for i in range(3)] == [(0, 1, 2), (1, 2), (2,)]
