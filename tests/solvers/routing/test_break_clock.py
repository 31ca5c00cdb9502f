"""Breaks for an engine without them: the clock they are cut out of, which breaks one clock can
hold for every vehicle, and the repair that places them where the checker accepts them."""

from __future__ import annotations

from checker_cases import problem, stop, vehicle
from hypothesis import given, settings
from hypothesis import strategies as st

from solvers.routing import break_clock
from solvers.routing.checker import evaluate_route, route_violations
from solvers.routing.plan import PlannedVisit, VisitKind
from solvers.routing.problem import Break, TimeWindow

LUNCH = Break("lunch", TimeWindow(100, 200), 60)


def test_clock_cuts_the_break_at_the_middle_of_its_window():
    """Lunch may start in [100, 200] and lasts 60: the cut is at 150, so 150..210 all read
    150 and later times read 60 less."""
    clock = break_clock.Clock.without((LUNCH,))
    assert [clock(t) for t in (0, 149, 150, 180, 210, 300)] == [0, 149, 150, 150, 150, 240]
    assert clock.break_seconds == 60


@given(st.integers(0, 10_000), st.integers(0, 10_000))
def test_clock_never_runs_backwards(a, b):
    """A later real time is never earlier on the clock, so windows stay windows."""
    clock = break_clock.Clock.without((LUNCH, Break("tea", TimeWindow(500, 700), 20)))
    lo, hi = sorted((a, b))
    assert clock(lo) <= clock(hi)


def test_common_breaks_only_when_every_vehicle_has_the_same_windows():
    """One set of start windows for all vehicles can be cut out of one clock; two cannot."""
    same = problem(
        (stop("s", 1),), vehicles=(vehicle("a", breaks=(LUNCH,)), vehicle("b", breaks=(LUNCH,)))
    )
    assert break_clock.common_breaks(same) == (LUNCH,)
    other = Break("lunch", TimeWindow(300, 400), 60)
    differ = problem(
        (stop("s", 1),), vehicles=(vehicle("a", breaks=(LUNCH,)), vehicle("b", breaks=(other,)))
    )
    assert break_clock.common_breaks(differ) is None
    without = problem((stop("s", 1),), vehicles=(vehicle("a", breaks=(LUNCH,)), vehicle("b")))
    assert break_clock.common_breaks(without) is None


def test_common_breaks_cut_the_longest_duration_of_each_window():
    """Crews with lunches of 30 and 45 min in the same window (the city maintenance shape):
    the clock cuts 45 min, which every crew's route can afford."""
    short = Break("lunch", TimeWindow(41_400, 48_600), 1800)
    long = Break("meal", TimeWindow(41_400, 48_600), 2700)
    p = problem(
        (stop("s", 1),),
        vehicles=(vehicle("a", breaks=(short,)), vehicle("b", breaks=(long,))),
    )
    (cut,) = break_clock.common_breaks(p)
    assert (cut.start_window, cut.duration) == (short.start_window, 2700)
    assert break_clock.Clock.without((cut,)).break_seconds == 2700


def test_a_route_without_facilities_gets_its_break_where_the_checker_accepts_it():
    """A crew serving 1, 2, 3 (40 s each, the last only from 250) works through its lunch
    window: the break goes in, at the cut or near it, and the route breaks no rule."""
    p = problem(
        (
            stop("s0", 1, service_duration=40),
            stop("s1", 2, service_duration=40),
            stop("s2", 3, service_duration=40, time_windows=(TimeWindow(250, 600),)),
        ),
        vehicles=(vehicle(breaks=(LUNCH,), shift=TimeWindow(0, 900)),),
    )
    visits = [PlannedVisit(VisitKind.STOP, i) for i in range(3)]
    route = break_clock.with_breaks(p, 0, visits, cut_positions=(2,))
    assert route is not None
    assert [v.kind for v in route.visits].count(VisitKind.BREAK) == 1
    assert not route_violations(evaluate_route(p, route))


@settings(max_examples=40, deadline=None)
@given(
    order=st.permutations([1, 2, 3, 4, 5]),
    break_start=st.integers(0, 400),
    duration=st.integers(0, 80),
    cut=st.integers(0, 5),
)
def test_a_route_with_breaks_placed_always_passes_the_checker(order, break_start, duration, cut):
    """Whatever the order, break and hint, ``with_breaks`` returns a route the checker accepts
    or None, never a broken route."""
    lunch = Break("lunch", TimeWindow(break_start, break_start + 100), duration)
    p = problem(
        tuple(stop(f"s{loc}", loc, service_duration=20) for loc in order),
        vehicles=(vehicle(shift=TimeWindow(0, 500), breaks=(lunch,)),),
    )
    visits = [PlannedVisit(VisitKind.STOP, i) for i in range(len(order))]
    route = break_clock.with_breaks(p, 0, visits, cut_positions=(cut,))
    if route is not None:
        assert not route_violations(evaluate_route(p, route))
