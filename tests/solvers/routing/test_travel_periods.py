"""Time-of-day travel (solvers.routing.travel_periods): the IGP arrival function, the checker's
exact ETAs, the planning bound engines use, the pre-check's lower bound and the portfolio's
re-timing. Line world: location i at i steps; rush hour is 3x slower than the rest of the day.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from checker_cases import line_matrices, problem, random_plans, random_problems, route, stop
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solvers.budget import Deadline
from solvers.routing import feasibility
from solvers.routing.checker import evaluate
from solvers.routing.plan import RoutingPlan, VisitKind
from solvers.routing.problem import RoutingProblem, TimeWindow
from solvers.routing.solve import RoutingOptions, solve_checked
from solvers.routing.travel_periods import (
    PLANNING_NOTE,
    TravelPeriods,
    bounded_durations,
    retimed,
)
from solvers.status import SolverFamily, Status

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DAY, _ = line_matrices(8)  # 10 s per step
RUSH = DAY * 3


def _rush(start: int = 0, end: int = 1000) -> TravelPeriods:
    """Day speeds, rush hour in [start, end), day again after."""
    starts, matrix_of = ((0, start, end), (0, 1, 0)) if start else ((0, end), (1, 0))
    return TravelPeriods(starts, matrix_of, (DAY, RUSH))


def _timed(p: RoutingProblem, periods: TravelPeriods) -> RoutingProblem:
    """``p`` with ``periods`` on its one profile, engines planning on the upper bound."""
    durations = bounded_durations((periods,), p.durations, p.vehicles, upper=True)
    return replace(p, durations=durations, travel_periods=(periods,))


def test_a_drive_inside_one_period_takes_its_matrix_entry():
    """Leaving at 0 in rush hour (until 1000) for 3 steps: 90 s, the rush-hour entry."""
    assert _rush().arrival(0, 3, 0) == 90
    assert _rush().arrival(0, 3, 2000) == 2030


def test_a_drive_across_a_boundary_changes_speed_there():
    """Leaving at 970 on a 90 s rush-hour arc: 30 s cover a third, the rest at day speed (20 s)."""
    assert _rush().arrival(0, 3, 970) == 1020


def test_fractions_round_up_to_whole_seconds():
    """Leaving at 999 on a 7-step arc (210 s rush, 70 s day): 1 s of rush covers 1/210, the rest
    takes 70 x 209/210 = 69.67 s of day speed: arrival 1070 (rounded up from 1069.67)."""
    assert _rush().arrival(0, 7, 999) == 1070


@st.composite
def _periods(draw: st.DrawFn, n: int = 4) -> TravelPeriods:
    k = draw(st.integers(1, 4))
    starts = sorted(set(draw(st.lists(st.integers(0, 500), min_size=k, max_size=k))))
    grids = tuple(
        np.array(draw(st.lists(st.integers(0, 90), min_size=n * n, max_size=n * n))).reshape(n, n)
        for _ in range(draw(st.integers(1, 3)))
    )
    matrix_of = tuple(draw(st.integers(0, len(grids) - 1)) for _ in starts)
    return TravelPeriods(tuple(starts), matrix_of, grids)


@SETTINGS
@given(_periods(), st.integers(0, 3), st.integers(0, 3), st.integers(0, 600), st.integers(0, 200))
def test_leaving_later_never_arrives_earlier(periods, a, b, t, later):
    """FIFO: arrival(t + d) >= arrival(t) for every arc, departure and delay."""
    assert periods.arrival(a, b, t + later) >= periods.arrival(a, b, t)


@SETTINGS
@given(_periods(), st.integers(0, 3), st.integers(0, 3), st.integers(0, 600))
def test_a_drive_is_between_the_fastest_and_slowest_period(periods, a, b, t):
    """min_p T_p <= travel <= max_p T_p over all periods (what the bounds rely on)."""
    entries = [int(m[a, b]) for m in periods.matrices]
    assert min(entries) <= periods.travel(a, b, t) <= max(entries)


@st.composite
def _timed_cases(draw: st.DrawFn):
    p = draw(random_problems())
    n = len(p.location_ids)
    k = draw(st.integers(1, 3))
    starts = sorted(set(draw(st.lists(st.integers(0, 600), min_size=k, max_size=k))))
    grids = tuple(
        np.array(draw(st.lists(st.integers(0, 60), min_size=n * n, max_size=n * n))).reshape(n, n)
        for _ in range(2)
    )
    matrix_of = tuple(draw(st.integers(0, 1)) for _ in starts)
    timed = _timed(p, TravelPeriods(tuple(starts), matrix_of, grids))
    return timed, draw(random_plans(timed))


@SETTINGS
@given(_timed_cases(), st.integers(1, 300))
def test_etas_never_decrease_when_the_departure_is_later(case, later):
    """Every visit of every route is reached no earlier when the route leaves later."""
    p, plan = case
    fixed = RoutingPlan(tuple(replace(r, departure=r.departure or 0) for r in plan.routes))
    delayed = RoutingPlan(tuple(replace(r, departure=r.departure + later) for r in fixed.routes))
    for before, after in zip(evaluate(p, fixed).routes, evaluate(p, delayed).routes, strict=True):
        for x, y in zip(before.visits, after.visits, strict=True):
            assert y.arrival >= x.arrival and y.start >= x.start


@st.composite
def _fitted_cases(draw: st.DrawFn):
    """A timed problem and a plan with tight windows: each stop served once, no load or skill
    rules, each window closing at the start the plan has on the planning matrix (so only timing
    can break it)."""
    p, plan = draw(_timed_cases())
    seen: set[tuple[VisitKind, int, int]] = set()
    routes = []
    for r in plan.routes:
        visits = []
        for v in r.visits:
            key = (v.kind, v.ref, r.vehicle if v.kind is VisitKind.BREAK else -1)
            if v.kind is VisitKind.FACILITY or key not in seen:
                visits.append(v)
                seen.add(key)
        departure = max(r.departure or 0, p.vehicles[r.vehicle].shift.start)
        routes.append(replace(r, visits=tuple(visits), departure=departure))
    free = replace(
        p,
        vehicles=tuple(
            replace(
                v,
                shift=TimeWindow(v.shift.start, v.shift.start + 5000),
                capacities=None,
                daily_capacities=None,
                skills=frozenset("ab"),
                max_stops=0,
                max_route_duration=0,
            )
            for v in p.vehicles
        ),
        stops=tuple(
            replace(s, demands=(0,) * len(s.demands), allowed_vehicles=None, optional=True)
            for s in p.stops
        ),
        facilities=tuple(replace(f, opening=None) for f in p.facilities),
    )
    # The shifts changed: the planning matrix is the slowest period in force during the new ones.
    free = _timed(free, p.travel_periods[0])
    starts = {
        t.ref: t.start
        for r in evaluate(replace(free, travel_periods=()), RoutingPlan(tuple(routes))).routes
        for t in r.visits
        if t.kind is VisitKind.STOP
    }
    stops = tuple(
        replace(s, time_windows=(TimeWindow(starts[i] - draw(st.integers(0, 30)), starts[i]),))
        if i in starts
        else s
        for i, s in enumerate(free.stops)
    )
    return replace(free, stops=stops), RoutingPlan(tuple(routes))


@SETTINGS
@given(_fitted_cases())
def test_a_plan_that_fits_the_planning_matrix_fits_the_exact_times(case):
    """Feasible on the engines' upper bound (windows closing at the planned starts), a plan
    stays feasible re-timed with exact drives, leaving when it planned to (FORMULATION.md)."""
    p, plan = case
    if not evaluate(replace(p, travel_periods=()), plan).feasible:
        return  # a shift, route length or break rule the drawn problem already broke
    assert evaluate(p, retimed(plan)).feasible


def test_the_checker_times_each_leg_by_its_departure():
    """Rush hour until 1000: the first 5-step leg (from 0) takes 150 s, the way back after
    service until 1100 takes 50 s at day speed."""
    p = _timed(problem((stop("a", 5, service_duration=950),)), _rush())
    visits = evaluate(p, RoutingPlan((route(0, ("S", 0), departure=0),))).routes[0].visits
    assert [(v.arrival, v.travel_seconds) for v in visits] == [(0, 0), (150, 150), (1150, 50)]


def test_without_periods_travel_is_the_matrix_entry_at_any_time():
    """The default path: travel_at ignores the departure and reads durations."""
    p = problem((stop("a", 5),))
    assert [p.travel_at(0, 0, 5, t) for t in (0, 500, 10**6)] == [50, 50, 50]


def test_engines_plan_on_the_slowest_period_in_force_during_the_shifts():
    """Shifts 0..10000 see rush hour: the planning matrix is the rush one; a fleet whose
    shifts start after rush hour plans on day speeds."""
    p = problem((stop("a", 5),))
    assert np.array_equal(_timed(p, _rush()).durations[0], RUSH)
    late = replace(p, vehicles=(replace(p.vehicles[0], shift=TimeWindow(2000, 9000)),))
    assert np.array_equal(_timed(late, _rush()).durations[0], DAY)


def test_the_pre_check_keeps_a_stop_only_day_speed_can_reach():
    """Window [100, 100] at 7 steps: 70 s at day speed (wait 30 s), 210 s in rush hour from
    200 on. Leaving at 0 reaches it; the pre-check must not rule it out, and the checker
    serves it on time."""
    p = _timed(problem((stop("a", 7, time_windows=(TimeWindow(100, 100),)),)), _rush(200, 5000))
    assert feasibility.prefilter(p) == {}
    plan = RoutingPlan((route(0, ("S", 0), departure=0),))
    assert evaluate(p, plan).feasible


def test_the_portfolio_re_times_plans_and_claims_no_optimum():
    """MILP proves its optimum on the planning matrix only: the answer is FEASIBLE without a
    bound, re-timed (ETAs from exact drives: 50 s leaving after rush hour), and says so."""
    stops = (stop("a", 5, time_windows=(TimeWindow(2000, 3000),), service_duration=10),)
    p = _timed(problem(stops), _rush(0, 1000))
    options = RoutingOptions(solver=SolverFamily.MILP, deterministic=True)
    outcome = solve_checked(p, Deadline.after(20.0), options)
    assert outcome.evaluation.feasible
    assert outcome.report.status is Status.FEASIBLE and outcome.report.bound is None
    assert PLANNING_NOTE in outcome.report.strategy
    visits = outcome.evaluation.routes[0].visits
    assert visits[-1].travel_seconds == 50  # back after rush hour at day speed, not 150


def test_without_periods_the_portfolio_keeps_the_engines_proof():
    """The default path is untouched: the same request without periods is OPTIMAL."""
    stops = (stop("a", 5, time_windows=(TimeWindow(2000, 3000),), service_duration=10),)
    options = RoutingOptions(solver=SolverFamily.MILP, deterministic=True)
    outcome = solve_checked(problem(stops), Deadline.after(20.0), options)
    assert outcome.report.status is Status.OPTIMAL
    assert PLANNING_NOTE not in outcome.report.strategy
