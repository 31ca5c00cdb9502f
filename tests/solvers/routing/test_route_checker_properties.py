"""Properties of the checker on random small problems and random (mostly broken) plans."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest
from checker_cases import random_plans, random_problems
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solvers.routing.checker import evaluate
from solvers.routing.plan import RoutingPlan, ViolationType, VisitKind

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def cases(draw: st.DrawFn):
    p = draw(random_problems())
    return p, draw(random_plans(p))


@SETTINGS
@given(cases())
def test_timing_is_a_consistent_forward_schedule(case):
    """Whatever the plan, each visit starts at or after arrival and after the previous one ends."""
    p, plan = case
    e = evaluate(p, plan)
    for r in e.routes:
        previous_end = None
        for visit in r.visits:
            assert visit.arrival <= visit.start <= visit.end
            assert visit.wait == visit.start - visit.arrival
            if previous_end is not None:
                assert visit.arrival == previous_end + visit.travel_seconds
            previous_end = visit.end
        assert r.visits[0].kind is VisitKind.START and r.visits[-1].kind is VisitKind.END


@SETTINGS
@given(cases())
def test_duration_is_travel_service_wait_and_breaks(case):
    """Route duration decomposes exactly, so KPIs and costs agree with the timeline."""
    p, plan = case
    for r in evaluate(p, plan).routes:
        assert r.duration == r.visits[-1].arrival - r.visits[0].start
        assert r.duration == r.travel_seconds + r.service_seconds + r.wait_seconds + r.break_seconds


@SETTINGS
@given(cases())
def test_cost_terms_sum_to_route_costs_plus_skip_penalty(case):
    """The total is the sum of its terms and of the route costs plus penalties of skipped stops."""
    p, plan = case
    e = evaluate(p, plan)
    assert e.cost == pytest.approx(sum(e.cost_terms.values()))
    penalties = sum(p.stops[i].skip_penalty for i in e.skipped if p.stops[i].optional)
    assert e.cost == pytest.approx(sum(r.cost for r in e.routes) + penalties)
    assert e.served | e.skipped == set(range(len(p.stops)))
    assert not e.served & e.skipped


@SETTINGS
@given(cases())
def test_distance_matches_the_matrix_along_the_route(case):
    """Metres driven equal the matrix summed over consecutive locations (breaks add none)."""
    p, plan = case
    for r in evaluate(p, plan).routes:
        places = [v.location for v in r.visits if v.kind is not VisitKind.BREAK]
        expected = sum(p.distance(r.vehicle, a, b) for a, b in itertools.pairwise(places))
        assert r.travel_metres == expected


@SETTINGS
@given(cases())
def test_visits_without_time_window_violation_start_inside_a_window(case):
    """A stop visit is reported on time exactly when its start lies inside one of its windows."""
    p, plan = case
    for r in evaluate(p, plan).routes:
        for visit in r.visits:
            if visit.kind is not VisitKind.STOP:
                continue
            windows = p.stops[visit.ref].time_windows
            flagged = any(v.type is ViolationType.TIME_WINDOW for v in visit.violations)
            inside = not windows or any(w.contains(visit.start) for w in windows)
            assert flagged != inside


@SETTINGS
@given(cases())
def test_capacity_flag_matches_the_loads(case):
    """A route has a CAPACITY violation exactly when some load exceeds the per-trip capacity."""
    p, plan = case
    for r in evaluate(p, plan).routes:
        caps = p.vehicles[r.vehicle].capacities
        over = caps is not None and any(
            load > cap for v in r.visits for load, cap in zip(v.load_after, caps, strict=True)
        )
        flagged = any(x.type is ViolationType.CAPACITY for v in r.visits for x in v.violations)
        assert flagged == over


@SETTINGS
@given(cases())
def test_feasible_means_no_violation_anywhere(case):
    """Every visit and route violation also appears in the plan-level list."""
    p, plan = case
    e = evaluate(p, plan)
    listed = list(e.violations)
    for r in e.routes:
        for x in r.violations:
            listed.remove(x)
        for v in r.visits:
            for x in v.violations:
                listed.remove(x)
    assert all(x.type is ViolationType.MISSING_MANDATORY_STOP for x in listed)
    assert e.feasible == (not e.violations)


@SETTINGS
@given(cases())
def test_the_chosen_departure_evaluates_as_if_it_had_been_planned(case):
    """The checker keeps the trial simulation at the departure it chooses rather than running
    it again: the plan with those departures written in evaluates exactly the same, visits,
    violations and costs alike (the fresh runs there are the reference)."""
    p, plan = case
    chosen = evaluate(p, plan)
    used = [r for r in plan.routes if r.visits]  # the checker evaluates only these, in order
    planned = RoutingPlan(
        tuple(
            replace(r, departure=e.visits[0].start) if r.departure is None else r
            for r, e in zip(used, chosen.routes, strict=True)
        ),
        plan.skipped,
    )
    assert evaluate(p, planned) == chosen


@SETTINGS
@given(cases())
def test_default_departure_is_never_worse_than_leaving_at_shift_start(case):
    """Without a planned departure the checker moves idle time to the depot: the route is never
    longer, never later home and never has more violations than leaving at shift start."""
    p, plan = case
    early = RoutingPlan(
        tuple(
            replace(r, departure=p.vehicles[r.vehicle].shift.start) if r.departure is None else r
            for r in plan.routes
        )
    )
    chosen, fixed = evaluate(p, plan), evaluate(p, early)
    assert len(chosen.violations) <= len(fixed.violations)
    for r, e in zip(chosen.routes, fixed.routes, strict=True):
        assert r.duration <= e.duration
        assert r.visits[-1].arrival == e.visits[-1].arrival
