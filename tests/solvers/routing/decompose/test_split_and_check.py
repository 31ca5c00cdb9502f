"""Splitting and the whole-plan check: properties on small generated nights (no solving)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.bignight.generate import night
from solvers.errors import InvalidProblemError
from solvers.routing.checker import evaluate
from solvers.routing.decompose import LargeProblem, Part, check_whole, part_problem, split
from solvers.routing.decompose.split import capped_assign
from solvers.routing.plan import PlannedVisit, RoutePlan, RoutingPlan, SkipReason, VisitKind

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def whole(large: LargeProblem) -> Part:
    """The part that is the whole problem (its RoutingProblem has the full matrix)."""
    return Part("all", tuple(range(len(large.stops))), tuple(range(len(large.vehicles))))


@SETTINGS
@given(
    n=st.integers(20, 400),
    index=st.integers(1, 5),
    max_part=st.integers(15, 200),
    positions=st.booleans(),
)
def test_parts_cover_every_stop_and_vehicle_once(
    n: int, index: int, max_part: int, positions: bool
) -> None:
    """Parts partition the stops and the vehicles, by positions or by travel times alone."""
    large = night(n, index)
    if not positions:
        large = LargeProblem.from_problem(part_problem(large, whole(large)))
    parts = split(large, max_part)
    stops = sorted(s for p in parts for s in p.stops)
    vehicles = sorted(v for p in parts for v in p.vehicles)
    assert stops == list(range(n))
    assert vehicles == list(range(len(large.vehicles)))


def test_a_big_depot_group_is_cut_into_balanced_parts() -> None:
    """400 stops at two depots with parts of at most 100 give 4+ parts none above 110 %."""
    parts = split(night(400), 100)
    assert len(parts) >= 4
    assert max(len(p.stops) for p in parts) <= 110


@SETTINGS
@given(
    cost=st.lists(st.lists(st.integers(0, 100), min_size=3, max_size=3), min_size=1, max_size=40),
    slack=st.integers(0, 5),
)
def test_capped_assign_respects_caps_when_there_is_room(cost: list[list[int]], slack: int) -> None:
    """Every row gets a column and no column exceeds its cap when the caps add up."""
    matrix = np.asarray(cost, dtype=float)
    caps = np.full(3, -(-len(cost) // 3) + slack)
    labels = capped_assign(matrix, caps)
    assert labels.shape == (len(cost),)
    assert all(np.bincount(labels, minlength=3) <= caps)


@st.composite
def plans(draw: st.DrawFn, large: LargeProblem) -> RoutingPlan:
    """Any readable plan: stops in random routes (some twice), some skipped, some facilities."""
    n_vehicles = len(large.vehicles)
    used = draw(st.lists(st.integers(0, n_vehicles - 1), unique=True, max_size=n_vehicles))
    routes = []
    for vehicle in used:
        refs = draw(st.lists(st.integers(0, len(large.stops) - 1), max_size=12))
        visits = [PlannedVisit(VisitKind.STOP, r) for r in refs]
        if draw(st.booleans()):
            at = draw(st.integers(0, len(visits)))
            visits.insert(at, PlannedVisit(VisitKind.FACILITY, 0))
        if draw(st.booleans()):
            visits.append(PlannedVisit(VisitKind.BREAK, 0))
        routes.append(RoutePlan(vehicle, tuple(visits)))
    skipped = draw(st.lists(st.integers(0, len(large.stops) - 1), max_size=10))
    return RoutingPlan(tuple(routes), {s: SkipReason.NO_CAPACITY_LEFT for s in skipped})


SMALL = night(40, 2)
SMALL_FULL = part_problem(SMALL, whole(SMALL))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=plans(SMALL))
def test_whole_check_agrees_with_the_checker_on_the_full_matrix(plan: RoutingPlan) -> None:
    """Route-by-route checking gives the full checker's cost, served set and violations."""
    mine = check_whole(SMALL, plan)
    full = evaluate(SMALL_FULL, plan)
    assert mine.cost_terms == full.cost_terms
    assert mine.served == full.served
    assert sorted((v.type.value, v.ref, v.amount) for v in mine.violations) == sorted(
        (v.type.value, v.ref, v.amount) for v in full.violations
    )


def test_a_large_problem_with_a_bad_reference_is_refused() -> None:
    """A facility off the location list raises InvalidProblemError naming the field."""
    large = night(20)
    broken = replace(large.facilities[0], location=len(large.location_ids))
    with pytest.raises(InvalidProblemError) as caught:
        replace(large, facilities=(broken,))
    assert [p.path for p in caught.value.problems] == ["facilities[0].location"]


def test_a_large_problem_checks_its_fleet_like_a_routing_problem() -> None:
    """A stop allowed a vehicle that does not exist is refused, as RoutingProblem refuses it."""
    large = night(20)
    broken = replace(large.stops[0], allowed_vehicles=frozenset({len(large.vehicles)}))
    with pytest.raises(InvalidProblemError) as caught:
        replace(large, stops=(broken, *large.stops[1:]))
    assert [p.path for p in caught.value.problems] == ["stops[0].allowed_vehicles"]
