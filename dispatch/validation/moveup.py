"""Validation of AssignUnitsRequest.move_up: sizes, matrices, references and value ranges.

Every path is under ``move_up.`` except the request-level matrix it needs
(``unit_to_district``) and the districts it indexes (``district_ids``).
"""

from __future__ import annotations

import math

from dispatch._proto.dispatch.v1 import emergency_pb2
from dispatch.validation import common, limits
from dispatch.validation.common import Problems, show

__all__ = ["MAX_MOVES", "MAX_POSTS", "check_move_up", "check_move_up_size"]

#: Posts of one request (a city has tens to hundreds).
MAX_POSTS = 5_000
#: Moves recommended at once: a dispatcher acts on a handful; CP-SAT's model grows with it.
MAX_MOVES = 100
#: Calls per hour of one district, and the cost of a move in the same unit.
MAX_CALLS_PER_HOUR = 1e6


def check_move_up_size(request: emergency_pb2.AssignUnitsRequest) -> None:
    """Raise RequestTooLargeError for move-up sections the service will not take in one call."""
    spec = request.move_up
    posts = len(spec.posts)
    limits.check_count("move_up.posts", posts, MAX_POSTS, "posts")
    limits.check_count("move_up.zones", len(spec.zones), limits.MAX_DISTRICTS, "zones")
    pairs = limits.MAX_UNIT_DISTRICT_PAIRS
    limits.check_count("move_up.unit_to_post", len(request.units) * posts, pairs, "unit-post pairs")
    limits.check_count(
        "move_up.post_to_district", posts * len(request.district_ids), pairs, "post-district pairs"
    )


def _matrices(request: emergency_pb2.AssignUnitsRequest, problems: Problems) -> None:
    spec = request.move_up
    units, posts, districts = len(request.units), len(spec.posts), len(request.district_ids)
    if not districts:
        problems.add("district_ids", "Move-up needs district_ids (its zones).")
    if not common.matrix_is_set(request.unit_to_district):
        problems.add("unit_to_district", "Move-up needs the units x districts travel times.")
    common.check_matrix(
        problems,
        "move_up.post_to_district",
        spec.post_to_district,
        posts,
        districts,
        f"{posts} posts x {districts} districts",
    )
    common.check_matrix(
        problems,
        "move_up.unit_to_post",
        spec.unit_to_post,
        units,
        posts,
        f"{units} units x {posts} posts",
    )


def _references(request: emergency_pb2.AssignUnitsRequest, problems: Problems) -> None:
    spec = request.move_up
    if not spec.posts:
        problems.add("move_up.posts", "Move-up needs at least one post.")
    if not spec.zones:
        problems.add("move_up.zones", "Move-up needs at least one zone with demand.")
    post_ids = common.check_ids(problems, "move_up.posts", [p.id for p in spec.posts], "post")
    districts = common.first_index(request.district_ids)
    units = common.first_index(u.id for u in request.units)
    seen: set[str] = set()
    for i, zone in enumerate(spec.zones):
        path = f"move_up.zones[{i}]"
        owner = f"Zone {show(zone.district_id)}"
        if (
            common.check_reference(
                problems, f"{path}.district_id", zone.district_id, districts, "district", owner
            )
            is not None
            and zone.district_id in seen
        ):
            problems.add(f"{path}.district_id", f"{owner} is listed twice.")
        seen.add(zone.district_id)
        common.check_cost(
            problems,
            f"{path}.calls_per_hour",
            zone.calls_per_hour,
            "demand",
            owner,
            MAX_CALLS_PER_HOUR,
        )
    placed: set[str] = set()
    for i, entry in enumerate(spec.unit_posts):
        path, owner = f"move_up.unit_posts[{i}]", f"Unit post of {show(entry.unit_id)}"
        if (
            common.check_reference(problems, f"{path}.unit_id", entry.unit_id, units, "unit", owner)
            is not None
            and entry.unit_id in placed
        ):
            problems.add(f"{path}.unit_id", f"{owner} is listed twice.")
        placed.add(entry.unit_id)
        common.check_reference(problems, f"{path}.post_id", entry.post_id, post_ids, "post", owner)


def _values(spec: emergency_pb2.MoveUpRequest, problems: Problems) -> None:
    owner = "Move-up"
    radius = spec.coverage_radius_seconds
    if radius <= 0:
        problems.add(
            "move_up.coverage_radius_seconds",
            f"{owner} has coverage radius {radius}; it must be positive.",
        )
    else:
        common.check_non_negative(
            problems, "move_up.coverage_radius_seconds", radius, "coverage radius", owner
        )
    q = spec.busy_fraction
    if not math.isfinite(q) or not 0.0 <= q < 1.0:
        problems.add(
            "move_up.busy_fraction", f"{owner} has busy fraction {q}; it must be in [0, 1)."
        )
    common.check_cost(
        problems, "move_up.move_cost", spec.move_cost, "move cost", owner, MAX_CALLS_PER_HOUR
    )
    if not 0 <= spec.max_moves <= MAX_MOVES:
        problems.add(
            "move_up.max_moves",
            f"{owner} has max_moves {spec.max_moves}; it must be 0..{MAX_MOVES}.",
        )
    common.check_non_negative(
        problems, "move_up.max_move_seconds", spec.max_move_seconds, "max_move_seconds", owner
    )


def check_move_up(request: emergency_pb2.AssignUnitsRequest, problems: Problems) -> None:
    """Record every problem of ``request.move_up`` (call only when the request has one)."""
    _matrices(request, problems)
    _references(request, problems)
    _values(request.move_up, problems)
