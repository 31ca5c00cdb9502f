"""The rush-hour benchmark's request: valid, rush hours where it says, slower through the centre."""

from __future__ import annotations

import numpy as np

from benchmarks.city.generate import build
from benchmarks.rushhour import RUSH_HOURS, rush_factors, with_rush_hours
from dispatch.validation import validate_plan_routes
from dispatch.wire.routing import problem_from_request


def test_rush_hours_are_valid_periods_slower_than_the_all_day_matrix():
    """Five offset periods (day, rush, day, rush, day) that validate; the engines' matrix is
    the rush-hour one (every shift crosses a rush hour), at least as slow as the all-day one."""
    city = build("city-maint-20-1")
    timed = with_rush_hours(city.request, city.coords, 1.8)
    validate_plan_routes(timed)
    problem = problem_from_request(timed)
    periods = problem.travel_periods[0]
    assert periods.starts == (0, *(t for span in RUSH_HOURS for t in span))
    day = problem_from_request(city.request).durations[0]
    assert np.all(problem.durations[0] >= day) and np.any(problem.durations[0] > day)


def test_the_centre_is_slower_than_the_edge():
    """An arc through the centre gets the full factor, one between two corners about half."""
    coords = np.array([[6000.0, 6000.0], [0.0, 0.0], [0.0, 12000.0]])
    factors = rush_factors(coords, 1.8)
    assert factors[0, 0] == 1.8
    assert 1.35 < factors[1, 2] < factors[0, 1] < 1.8
