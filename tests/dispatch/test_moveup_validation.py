"""Validation of AssignUnitsRequest.move_up: one rule per test, checked by its field path."""

from __future__ import annotations

import math

import pytest
from moveup_requests import moveup_request

from dispatch import validation
from dispatch.errors import InvalidProblemError


def paths(request) -> list[str]:
    """The field paths validation reports (fails the test if it accepts the request)."""
    with pytest.raises(InvalidProblemError) as info:
        validation.validate_assign_units(request)
    return [p.path for p in info.value.problems]


def test_the_baseline_is_valid() -> None:
    """Each test below breaks one rule of this request."""
    validation.validate_assign_units(moveup_request())


@pytest.mark.parametrize("radius", [0, -60])
def test_radius_zero_or_negative(radius: int) -> None:
    """A unit covers nothing within a radius that is not positive."""
    request = moveup_request()
    request.move_up.coverage_radius_seconds = radius
    assert paths(request) == ["move_up.coverage_radius_seconds"]


@pytest.mark.parametrize("q", [-0.1, 1.0, 1.5, math.nan])
def test_busy_fraction_outside_zero_one(q: float) -> None:
    """MEXCLP's q is a probability below 1 (q = 1 would make coverage worthless)."""
    request = moveup_request()
    request.move_up.busy_fraction = q
    assert paths(request) == ["move_up.busy_fraction"]


def test_zone_with_unknown_district() -> None:
    """Zones reference district_ids."""
    request = moveup_request()
    request.move_up.zones[2].district_id = "harbour"
    assert paths(request) == ["move_up.zones[2].district_id"]


def test_zone_listed_twice() -> None:
    """One demand per district."""
    request = moveup_request()
    request.move_up.zones[1].district_id = "west"
    assert paths(request) == ["move_up.zones[1].district_id"]


def test_negative_demand() -> None:
    """Calls per hour are not negative."""
    request = moveup_request()
    request.move_up.zones[0].calls_per_hour = -1.0
    assert paths(request) == ["move_up.zones[0].calls_per_hour"]


def test_unit_post_with_unknown_unit() -> None:
    """unit_posts reference units."""
    request = moveup_request()
    request.move_up.unit_posts[0].unit_id = "Z"
    assert paths(request) == ["move_up.unit_posts[0].unit_id"]


def test_unit_post_with_unknown_post() -> None:
    """unit_posts reference posts."""
    request = moveup_request()
    request.move_up.unit_posts[1].post_id = "post-harbour"
    assert paths(request) == ["move_up.unit_posts[1].post_id"]


def test_duplicate_post_id() -> None:
    """Post ids are unique."""
    request = moveup_request()
    request.move_up.posts[1].id = "post-west"  # no unit stands at the centre post
    assert paths(request) == ["move_up.posts[1].id"]


def test_post_matrix_of_the_wrong_shape() -> None:
    """post_to_district is posts x districts."""
    request = moveup_request()
    del request.move_up.post_to_district.durations[-1]
    assert paths(request) == ["move_up.post_to_district.durations"]


def test_unit_to_post_missing() -> None:
    """The drive of a move must be known."""
    request = moveup_request()
    request.move_up.ClearField("unit_to_post")
    assert paths(request) == ["move_up.unit_to_post.durations"]


def test_unit_to_district_required() -> None:
    """Coverage now is read from the request's unit_to_district."""
    request = moveup_request()
    request.ClearField("unit_to_district")
    assert paths(request) == ["unit_to_district"]


@pytest.mark.parametrize("moves", [-1, 101])
def test_max_moves_out_of_range(moves: int) -> None:
    """0..100 moves."""
    request = moveup_request()
    request.move_up.max_moves = moves
    assert paths(request) == ["move_up.max_moves"]


def test_negative_move_cost() -> None:
    """A move does not pay to be made."""
    request = moveup_request()
    request.move_up.move_cost = -0.5
    assert paths(request) == ["move_up.move_cost"]
