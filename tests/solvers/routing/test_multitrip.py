"""The disposal-trip relaxation: the trip cap, the virtual end and the repair that turns a relaxed
route into one the checker accepts (the clock without breaks: test_break_clock.py)."""

from __future__ import annotations

import numpy as np
from checker_cases import problem, stop, vehicle
from hypothesis import given, settings
from hypothesis import strategies as st

from solvers.routing import multitrip
from solvers.routing.checker import evaluate_route, route_violations
from solvers.routing.plan import PlannedVisit, VisitKind
from solvers.routing.problem import Break, Facility, TimeWindow

#: Capacities need a load dimension to count in.
VOLUME = ("volume",)

LUNCH = Break("lunch", TimeWindow(100, 200), 60)


def test_full_trips_when_they_keep_most_of_the_day():
    """Daily 19, trips of 4: four full trips (16) can never exceed the day and keep 84 % of it;
    below 90 %, so five trips of 3 (15 of 19, 75 % of a trip) are compared, and four full trips
    stay the better choice. Daily 8, trips of 4: two full trips are the whole day."""
    p = problem(
        (stop("s", 1),),
        vehicles=(vehicle(capacities=(4,), daily_capacities=(19,)),),
        dimensions=VOLUME,
    )
    limits = multitrip.trip_limits(p, 0)
    assert (limits.capacities, limits.max_trips) == ((4,), 4)
    assert limits.kept == 16 / 19
    exact = problem(
        (stop("s", 1),),
        vehicles=(vehicle(capacities=(4,), daily_capacities=(8,)),),
        dimensions=VOLUME,
    )
    assert multitrip.trip_limits(exact, 0) == multitrip.TripLimits((4,), 2, 1.0)


def test_smaller_trips_when_full_ones_waste_the_day():
    """Trips of 28, a day of 80 (Kim 1599_stop): two full trips keep 70 % of the day, three trips
    of 26 (integer 80 // 3) keep 97.5 % of it and 93 % of a trip, so three it is; their total can
    never exceed the day."""
    p = problem(
        (stop("s", 1),),
        vehicles=(vehicle(capacities=(28,), daily_capacities=(80,)),),
        dimensions=VOLUME,
    )
    limits = multitrip.trip_limits(p, 0)
    assert (limits.capacities, limits.max_trips) == ((26,), 3)
    assert limits.capacities[0] * limits.max_trips <= 80
    assert multitrip.load_kept(p) == limits.kept


def test_no_daily_capacity_no_trip_limit():
    """Without a daily capacity trips are unlimited and nothing is lost."""
    p = problem((stop("s", 1),), vehicles=(vehicle(capacities=(4,)),), dimensions=VOLUME)
    assert multitrip.trip_limits(p, 0) == multitrip.TripLimits((4,), None, 1.0)
    assert multitrip.load_kept(p) == 1.0


def test_a_daily_capacity_without_a_trip_capacity_is_one_trip_of_the_day():
    """Trucks without a per-trip limit but with a daily one: one trip of the daily capacity is
    exactly the rule, so nothing is lost."""
    p = problem((stop("s", 1),), vehicles=(vehicle(daily_capacities=(9,)),), dimensions=VOLUME)
    assert multitrip.trip_limits(p, 0) == multitrip.TripLimits((9,), 1, 1.0)


@given(st.integers(1, 100), st.integers(1, 400))
def test_trip_limits_never_exceed_the_day(trip, daily):
    """Whatever the capacities, max_trips full trips fit in one day and in the truck."""
    p = problem(
        (stop("s", 1),),
        vehicles=(vehicle(capacities=(trip,), daily_capacities=(daily,)),),
        dimensions=VOLUME,
    )
    limits = multitrip.trip_limits(p, 0)
    assert limits.capacities is not None and limits.max_trips is not None
    assert limits.capacities[0] <= trip
    assert limits.capacities[0] * limits.max_trips <= daily
    assert 0 < limits.kept <= 1


def test_end_leg_goes_through_the_cheapest_facility_with_its_unload():
    """From location 5 home to 0 on the line: via the tip at 4 (1 + 4 steps) rather than the one
    at 7 (2 + 7 steps); the seconds include that tip's 30 s unload."""
    p = problem((stop("s", 1),), facilities=(Facility("a", 7, None, 5), Facility("b", 4, None, 30)))
    costs = np.asarray(p.distances[0])
    cost, seconds = multitrip.end_legs(p, costs, np.asarray(p.durations[0]), 0)
    assert cost[5] == 5 * 1000
    assert seconds[5] == 5 * 10 + 30


def _stops_route(*locations: int):
    return [PlannedVisit(VisitKind.STOP, i) for i in range(len(locations))]


def test_finish_adds_the_last_unload_and_the_break():
    """A relaxed route 1 -> 2 -> 3 (loaded) gets the nearest tip before home and the lunch break
    the checker requires, and the result breaks no rule."""
    p = problem(
        tuple(
            stop(f"s{i}", loc, demands=(1,), service_duration=40) for i, loc in enumerate((1, 2, 3))
        ),
        vehicles=(vehicle(capacities=(5,), breaks=(LUNCH,)),),
        facilities=(Facility("far", 7, None, 10), Facility("near", 4, None, 10)),
        dimensions=("volume",),
    )
    route = multitrip.finish_route(p, 0, _stops_route(1, 2, 3), cut_positions=(2,))
    assert route is not None
    assert route.visits[-1] == PlannedVisit(VisitKind.FACILITY, 1)
    assert [v.kind for v in route.visits].count(VisitKind.BREAK) == 1
    assert not route_violations(evaluate_route(p, route))


def test_finish_adds_no_break_to_a_crew_home_before_its_window():
    """A route that is home before the break window opens owes no break and gets none."""
    late = Break("lunch", TimeWindow(5000, 6000), 60)
    p = problem(
        (stop("s0", 1, demands=(1,)),),
        vehicles=(vehicle(breaks=(late,)),),
        facilities=(Facility("tip", 2, None, 10),),
        dimensions=("volume",),
    )
    route = multitrip.finish_route(p, 0, _stops_route(1), cut_positions=(1,))
    assert route is not None
    assert [v.kind for v in route.visits] == [VisitKind.STOP, VisitKind.FACILITY]


def test_finish_returns_none_when_no_last_unload_fits():
    """The only tip closes before the truck can reach it: there is no valid route to return."""
    p = problem(
        (stop("s0", 5, demands=(1,)),),
        vehicles=(vehicle(),),
        facilities=(Facility("tip", 6, TimeWindow(0, 20), 10),),
        dimensions=("volume",),
    )
    assert multitrip.finish_route(p, 0, _stops_route(5)) is None


@settings(max_examples=40, deadline=None)
@given(
    order=st.permutations([1, 2, 3, 4, 5, 6]),
    break_start=st.integers(0, 400),
    cut=st.integers(0, 6),
)
def test_a_finished_route_always_passes_the_checker(order, break_start, cut):
    """Whatever the order and wherever the hint points, a route finish_route returns breaks no
    rule of the checker (it returns None rather than a broken route)."""
    lunch = Break("lunch", TimeWindow(break_start, break_start + 100), 50)
    p = problem(
        tuple(stop(f"s{loc}", loc, demands=(1,), service_duration=20) for loc in order),
        vehicles=(vehicle(capacities=(10,), shift=TimeWindow(0, 700), breaks=(lunch,)),),
        facilities=(Facility("tip", 7, None, 15),),
        dimensions=("volume",),
    )
    route = multitrip.finish_route(p, 0, _stops_route(*order), cut_positions=(cut,))
    if route is not None:
        assert not route_violations(evaluate_route(p, route))
