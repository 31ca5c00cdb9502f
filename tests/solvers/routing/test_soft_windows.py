"""Soft time windows: the checker prices lateness and earliness, and a start beyond the allowance
is a TIME_WINDOW violation; problems refuse soft fields where they cannot be honoured.

Line world (checker_cases): location i is i x 10 s from location 0.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from checker_cases import plan, problem, random_plans, random_problems, route, stop, vehicle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solvers.errors import InvalidProblemError
from solvers.routing.checker import evaluate
from solvers.routing.plan import PlannedVisit, ViolationType, VisitKind
from solvers.routing.problem import Facility, RoutingProblem, TimeWindow
from solvers.routing.soft_windows import hard_span, is_soft

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def soft_windows(draw: st.DrawFn) -> TimeWindow:
    """A window, soft at its end, its start, both or neither, with any rates."""
    start = draw(st.integers(0, 400))
    return TimeWindow(
        start,
        start + draw(st.integers(0, 200)),
        late_cost_per_hour=draw(st.sampled_from([0.0, 1.0, 36.0, 99.99, 1e6])),
        max_lateness=draw(st.integers(0, 600)),
        early_cost_per_hour=draw(st.sampled_from([0.0, 7.5, 3600.0])),
        max_earliness=draw(st.integers(0, start)),
    )


@st.composite
def soft_cases(draw: st.DrawFn) -> tuple[RoutingProblem, object]:
    """A random problem whose stops each get one random soft window, and a random plan for it
    (some with planned start times, which is how a plan starts service early)."""
    p = draw(random_problems())
    stops = tuple(replace(s, time_windows=(draw(soft_windows()),)) for s in p.stops)
    p = replace(p, stops=stops)
    raw = draw(random_plans(p))
    if draw(st.booleans()):
        timed = []
        for r in raw.routes:
            visits = tuple(
                replace(v, start=draw(st.integers(0, 1500))) if v.kind is VisitKind.STOP else v
                for v in r.visits
            )
            timed.append(replace(r, visits=visits))
        raw = replace(raw, routes=tuple(timed))
    return p, raw


def _stop_visits(p: RoutingProblem, evaluation):
    for r in evaluation.routes:
        for visit in r.visits:
            if visit.kind is VisitKind.STOP:
                yield p.stops[visit.ref].time_windows[0], visit


@SETTINGS
@given(soft_cases())
def test_lateness_and_earliness_are_priced_per_hour_of_the_start_outside_the_window(case):
    """Every stop visit's lateness is seconds after the window's end, its earliness seconds
    before its start, and its cost late_rate x lateness / 3600 + early_rate x earliness / 3600;
    the objective term is their sum and the total includes it."""
    p, raw = case
    e = evaluate(p, raw)
    total = 0.0
    for window, visit in _stop_visits(p, e):
        assert visit.lateness == max(0, visit.start - window.end)
        earliness = max(0, window.start - visit.start) if is_soft(window) else 0
        assert visit.earliness == earliness
        expected = 0.0
        if is_soft(window):
            expected = (
                window.late_cost_per_hour * visit.lateness
                + window.early_cost_per_hour * visit.earliness
            ) / 3600
        assert visit.time_window_cost == pytest.approx(expected)
        total += expected
    assert e.cost_terms["time_window_cost"] == pytest.approx(total)
    assert e.cost == pytest.approx(sum(e.cost_terms.values()))


@SETTINGS
@given(soft_cases())
def test_a_start_beyond_the_hard_span_is_a_time_window_violation_of_the_excess(case):
    """A stop starting outside [start - max_earliness, end + max_lateness] carries a TIME_WINDOW
    violation whose amount is the seconds beyond; one inside carries none."""
    p, raw = case
    e = evaluate(p, raw)
    for window, visit in _stop_visits(p, e):
        lo, hi = hard_span(window) if is_soft(window) else (window.start, window.end)
        amounts = [v.amount for v in visit.violations if v.type is ViolationType.TIME_WINDOW]
        if visit.start > hi:
            assert visit.start - hi in amounts
        elif visit.start < lo:
            assert lo - visit.start in amounts
        elif not amounts:
            continue
        else:  # a planned start the vehicle cannot make is reported, but started at arrival
            assert all(a > 0 for a in amounts)


@SETTINGS
@given(st.data())
def test_without_planned_starts_no_visit_starts_early(data):
    """A plan without start times never starts service before the window opens: it waits."""
    p = data.draw(random_problems())
    stops = tuple(replace(s, time_windows=(data.draw(soft_windows()),)) for s in p.stops)
    p = replace(p, stops=stops)
    e = evaluate(p, data.draw(random_plans(p)))
    assert all(visit.earliness == 0 for _, visit in _stop_visits(p, e))


def _late_case(max_lateness: int, rate: float = 36.0) -> RoutingProblem:
    """Stop a at location 5 (50 s away), window [0, 20] soft at its end."""
    window = TimeWindow(0, 20, late_cost_per_hour=rate, max_lateness=max_lateness)
    return problem((stop("a", 5, time_windows=(window,)),))


def test_a_late_start_within_the_allowance_is_feasible_and_priced() -> None:
    """Arriving at 50 s for a window ending at 20 is 30 s late: 36/h x 30 s = 0.30, no violation."""
    p = _late_case(max_lateness=100)
    e = evaluate(p, plan(route(0, ("S", 0))))
    assert e.feasible
    visit = e.routes[0].visits[1]
    assert (visit.start, visit.lateness) == (50, 30)
    assert e.cost_terms["time_window_cost"] == pytest.approx(0.30)
    assert e.routes[0].cost == pytest.approx(0.30)


def test_a_late_start_beyond_the_allowance_is_a_violation_of_the_excess() -> None:
    """With 10 s allowed, starting 30 s late is 20 s beyond the hard limit."""
    e = evaluate(_late_case(max_lateness=10), plan(route(0, ("S", 0))))
    assert [(v.type, v.amount) for v in e.violations] == [(ViolationType.TIME_WINDOW, 20)]


def test_a_planned_early_start_within_the_allowance_is_priced() -> None:
    """A window [100, 200] that allows 60 s early at 3600/h: starting at 70 costs 30 s = 30.0."""
    window = TimeWindow(100, 200, early_cost_per_hour=3600.0, max_earliness=60)
    p = problem((stop("a", 5, time_windows=(window,)),))
    e = evaluate(p, plan(route(0, PlannedVisit(VisitKind.STOP, 0, 70))))
    assert e.feasible
    assert e.routes[0].visits[1].earliness == 30
    assert e.cost_terms["time_window_cost"] == pytest.approx(30.0)


def test_a_planned_start_before_the_earliness_allowance_is_a_violation() -> None:
    """Starting at 30 when the earliest allowed start is 100 - 60 = 40 is 10 s too early."""
    window = TimeWindow(100, 200, early_cost_per_hour=1.0, max_earliness=60)
    p = problem((stop("a", 2, time_windows=(window,)),))
    e = evaluate(p, plan(route(0, PlannedVisit(VisitKind.STOP, 0, 30))))
    assert [(v.type, v.amount) for v in e.violations] == [(ViolationType.TIME_WINDOW, 10)]


def test_hard_window_lateness_is_reported_but_costs_nothing() -> None:
    """A hard window missed by 30 s: the visit says 30 s late, the violation says so too, and
    the soft-window term stays 0."""
    p = problem((stop("a", 5, time_windows=(TimeWindow(0, 20),)),))
    e = evaluate(p, plan(route(0, ("S", 0))))
    assert e.routes[0].visits[1].lateness == 30
    assert e.cost_terms["time_window_cost"] == 0.0
    assert [v.type for v in e.violations] == [ViolationType.TIME_WINDOW]


def test_a_soft_window_among_several_windows_is_refused() -> None:
    """Lateness against an inner window cannot be one soft bound: the problem says which."""
    windows = (TimeWindow(0, 10, max_lateness=5), TimeWindow(50, 60))
    with pytest.raises(InvalidProblemError) as raised:
        problem((stop("a", 1, time_windows=windows),))
    assert "stops[0].time_windows[0]" in str(raised.value)


def test_a_soft_facility_opening_is_refused() -> None:
    """Only stop windows may be soft."""
    opening = TimeWindow(0, 100, late_cost_per_hour=1.0, max_lateness=10)
    with pytest.raises(InvalidProblemError) as raised:
        problem((), facilities=(Facility("f", 1, opening),))
    assert "facilities[0].opening" in str(raised.value)


def test_negative_soft_fields_are_refused() -> None:
    """A negative allowance or rate is a builder's mistake, named by its field."""
    with pytest.raises(InvalidProblemError):
        problem((stop("a", 1, time_windows=(TimeWindow(0, 10, max_lateness=-1),)),))


def test_kpis_count_late_stops_and_their_lateness() -> None:
    """One stop 30 s late in its soft window: one late stop, 30 s, not on time."""
    from solvers.routing.kpis import kpis

    p = _late_case(max_lateness=100)
    k = kpis(p, evaluate(p, plan(route(0, ("S", 0)))))
    assert (k.late_stops, k.lateness_seconds, k.max_lateness_seconds) == (1, 30, 30)
    assert k.on_time_share == 0.0


def test_default_vehicle_is_unchanged_by_soft_fields() -> None:
    """The line-world default vehicle has a hard shift (the builder's own default)."""
    assert not is_soft(vehicle().shift)
