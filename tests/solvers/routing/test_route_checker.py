"""The independent plan checker: timing rules, one test per violation type, cost terms."""

from __future__ import annotations

from dataclasses import replace

import pytest
from checker_cases import plan, problem, route, stop, vehicle

from solvers.errors import InvalidProblemError
from solvers.routing.checker import evaluate, rank
from solvers.routing.plan import PlannedVisit, SkipReason, ViolationType, VisitKind
from solvers.routing.problem import Break, Facility, TimeWindow


def types(evaluation) -> list[ViolationType]:
    return [v.type for v in evaluation.violations]


def test_feasible_route_timing_and_totals():
    """Two stops at 2 and 4 steps out and back: 80 s driving plus 2 x 5 s service, no wait."""
    p = problem((stop("a", 2, service_duration=5), stop("b", 4, service_duration=5)))
    e = evaluate(p, plan(route(0, ("S", 0), ("S", 1))))
    assert e.feasible
    (r,) = e.routes
    assert [(v.kind, v.arrival, v.start, v.end) for v in r.visits] == [
        (VisitKind.START, 0, 0, 0),
        (VisitKind.STOP, 20, 20, 25),
        (VisitKind.STOP, 45, 45, 50),
        (VisitKind.END, 90, 90, 90),
    ]
    assert (r.duration, r.travel_seconds, r.service_seconds, r.stops, r.trips) == (90, 80, 10, 2, 1)
    assert r.travel_metres == 8000


def test_cost_terms_follow_the_contract_definition():
    """fixed 100 + 36/h x 90 s + 2/km x 8 km + skipped optional penalty 7 = 100.9 + 16 + 7."""
    p = problem(
        (
            stop("a", 2, service_duration=5),
            stop("b", 4, service_duration=5),
            stop("c", 6, optional=True, skip_penalty=7.0),
        ),
        vehicles=(vehicle(fixed_cost=100.0, cost_per_hour=36.0, cost_per_km=2.0),),
    )
    e = evaluate(p, plan(route(0, ("S", 0), ("S", 1))))
    assert e.cost_terms == pytest.approx(
        {
            "fixed_cost": 100.0,
            "time_cost": 0.9,
            "distance_cost": 16.0,
            "skip_penalty": 7.0,
            "time_window_cost": 0.0,
        }
    )
    assert e.cost == pytest.approx(123.9)
    assert e.routes[0].cost == pytest.approx(116.9)
    assert e.feasible


def test_unused_vehicle_costs_nothing():
    """A vehicle without a route stays home: no fixed cost, no route in the evaluation."""
    p = problem(
        (stop("a", 1, optional=True, skip_penalty=3.0),), vehicles=(vehicle(fixed_cost=50.0),)
    )
    e = evaluate(p, plan())
    assert e.routes == ()
    assert e.cost == pytest.approx(3.0)
    assert e.skipped == {0}


def test_departure_is_delayed_to_avoid_waiting_at_the_first_stop():
    """Window opens at 100 at 3 steps away: leaving at 70 means no idle time in the route."""
    p = problem((stop("a", 3, time_windows=(TimeWindow(100, 200),)),))
    (r,) = evaluate(p, plan(route(0, ("S", 0)))).routes
    assert r.visits[0].start == 70
    assert r.wait_seconds == 0
    assert r.duration == 60


def test_planned_departure_is_kept_and_waiting_counted():
    """Leaving at 0 for a window opening at 100 means 70 s of waiting inside the duration."""
    p = problem((stop("a", 3, time_windows=(TimeWindow(100, 200),)),))
    (r,) = evaluate(p, plan(route(0, ("S", 0), departure=0))).routes
    assert r.visits[1].wait == 70
    assert r.duration == 130
    assert r.duration == r.travel_seconds + r.service_seconds + r.wait_seconds + r.break_seconds


def test_second_window_is_used_when_the_first_has_closed():
    """Arrival at 30 is after [0, 10] closes, so service waits for [50, 60]."""
    p = problem((stop("a", 3, time_windows=(TimeWindow(50, 60), TimeWindow(0, 10))),))
    e = evaluate(p, plan(route(0, ("S", 0), departure=0)))
    assert e.feasible
    assert e.routes[0].visits[1].start == 50


def test_break_during_a_drive_delays_the_next_stop_by_its_duration():
    """Break window [5, 8] opens mid-drive to a stop 2 steps away: the stop is reached at 20+15."""
    p = problem(
        (stop("a", 2),), vehicles=(vehicle(breaks=(Break("lunch", TimeWindow(5, 8), 15),)),)
    )
    e = evaluate(p, plan(route(0, ("B", 0), ("S", 0), departure=0)))
    assert e.feasible
    brk, s = e.routes[0].visits[1:3]
    assert (brk.start, brk.end, brk.travel_seconds) == (5, 20, 5)
    assert (s.arrival, s.start, s.travel_seconds) == (35, 35, 15)
    assert e.routes[0].break_seconds == 15


def test_break_not_needed_when_the_route_ends_before_its_window():
    """A crew back at 20 s needs no break whose window opens at 1000."""
    p = problem(
        (stop("a", 1),), vehicles=(vehicle(breaks=(Break("lunch", TimeWindow(1000, 2000), 60),)),)
    )
    assert evaluate(p, plan(route(0, ("S", 0), departure=0))).feasible


def test_planned_start_before_arrival_is_a_time_window_violation():
    """A solver claiming service at 5 where the vehicle arrives at 30 is caught (amount 25)."""
    p = problem((stop("a", 3),))
    visit = PlannedVisit(VisitKind.STOP, 0, start=5)
    e = evaluate(p, plan(route(0, visit, departure=0)))
    (v,) = e.violations
    assert (v.type, v.amount) == (ViolationType.TIME_WINDOW, 25)
    assert e.routes[0].visits[1].start == 30


def test_consistent_planned_start_defines_the_schedule():
    """A later planned start inside the window is kept (the solver may choose to wait)."""
    p = problem((stop("a", 3, time_windows=(TimeWindow(0, 100),)),))
    visit = PlannedVisit(VisitKind.STOP, 0, start=60)
    e = evaluate(p, plan(route(0, visit, departure=0)))
    assert e.feasible
    assert e.routes[0].visits[1].start == 60
    assert e.routes[0].visits[1].wait == 30


def test_time_window_violation_amount_is_seconds_late():
    """Arrival at 40 for a window closing at 25: TIME_WINDOW of 15 s at that stop."""
    p = problem((stop("a", 4, time_windows=(TimeWindow(0, 25),)),))
    e = evaluate(p, plan(route(0, ("S", 0), departure=0)))
    (v,) = e.violations
    assert (v.type, v.ref, v.amount) == (ViolationType.TIME_WINDOW, 0, 15)
    assert e.routes[0].visits[1].violations == (v,)


def test_facility_outside_opening_is_a_time_window_violation():
    """A facility closing at 10 reached at 30: TIME_WINDOW on the facility, 20 s."""
    p = problem(
        (stop("a", 1, demands=(1,)),),
        dimensions=("kg",),
        facilities=(Facility("dump", 3, TimeWindow(0, 10), 5),),
    )
    e = evaluate(p, plan(route(0, ("S", 0), ("F", 0), departure=0)))
    (v,) = e.violations
    assert (v.type, v.kind, v.amount) == (ViolationType.TIME_WINDOW, VisitKind.FACILITY, 20)


def test_capacity_violation_per_trip():
    """Loads 4 + 3 on a 5-unit truck overflow by 2, reported once at the overflowing stop."""
    p = problem(
        (stop("a", 1, demands=(4,)), stop("b", 2, demands=(3,))),
        vehicles=(vehicle(capacities=(5,)),),
        dimensions=("kg",),
    )
    e = evaluate(p, plan(route(0, ("S", 0), ("S", 1))))
    (v,) = e.violations
    assert (v.type, v.ref, v.amount) == (ViolationType.CAPACITY, 1, 2)


def test_unloading_between_stops_resets_the_trip_load():
    """The same loads with a facility visit in between fit a 5-unit truck: two trips."""
    p = problem(
        (stop("a", 1, demands=(4,)), stop("b", 2, demands=(3,))),
        vehicles=(vehicle(capacities=(5,)),),
        dimensions=("kg",),
        facilities=(Facility("dump", 3, None, 5),),
    )
    e = evaluate(p, plan(route(0, ("S", 0), ("F", 0), ("S", 1), ("F", 0))))
    assert e.feasible
    assert e.routes[0].trips == 2
    assert e.routes[0].load_collected == (7,)


def test_daily_capacity_violation():
    """7 units collected over two trips against a daily capacity of 6: excess 1."""
    p = problem(
        (stop("a", 1, demands=(4,)), stop("b", 2, demands=(3,))),
        vehicles=(vehicle(capacities=(5,), daily_capacities=(6,)),),
        dimensions=("kg",),
        facilities=(Facility("dump", 3, None, 5),),
    )
    e = evaluate(p, plan(route(0, ("S", 0), ("F", 0), ("S", 1), ("F", 0))))
    (v,) = e.violations
    assert (v.type, v.ref, v.amount) == (ViolationType.DAILY_CAPACITY, 1, 1)


def test_skills_violation():
    """A crew without 'electric' at an electrical job breaks SKILLS."""
    p = problem((stop("a", 1, required_skills=frozenset({"electric"})),))
    assert types(evaluate(p, plan(route(0, ("S", 0))))) == [ViolationType.SKILLS]


def test_vehicle_not_allowed_violation():
    """A stop restricted to vehicle 1 served by vehicle 0."""
    p = problem(
        (stop("a", 1, allowed_vehicles=frozenset({1})),), vehicles=(vehicle("v1"), vehicle("v2"))
    )
    assert types(evaluate(p, plan(route(0, ("S", 0))))) == [ViolationType.VEHICLE_NOT_ALLOWED]


def test_shift_violation_amount_is_seconds_over():
    """A shift ending at 50 and a route back at 60: SHIFT of 10 s."""
    p = problem((stop("a", 3),), vehicles=(vehicle(shift=TimeWindow(0, 50)),))
    e = evaluate(p, plan(route(0, ("S", 0))))
    (v,) = e.violations
    assert (v.type, v.amount) == (ViolationType.SHIFT, 10)
    assert e.routes[0].violations == (v,)


def test_departure_before_shift_start_is_a_shift_violation():
    """A planned departure at 0 for a shift starting at 40."""
    p = problem((stop("a", 1),), vehicles=(vehicle(shift=TimeWindow(40, 1000)),))
    e = evaluate(p, plan(route(0, ("S", 0), departure=0)))
    (v,) = e.violations
    assert (v.type, v.amount) == (ViolationType.SHIFT, 40)


def test_max_route_duration_violation():
    """A 60 s route against a 45 s limit."""
    p = problem((stop("a", 3),), vehicles=(vehicle(max_route_duration=45),))
    e = evaluate(p, plan(route(0, ("S", 0))))
    (v,) = e.violations
    assert (v.type, v.amount) == (ViolationType.MAX_ROUTE_DURATION, 15)


def test_max_stops_violation():
    """Three stops for a crew allowed two."""
    p = problem(tuple(stop(f"s{i}", i + 1) for i in range(3)), vehicles=(vehicle(max_stops=2),))
    e = evaluate(p, plan(route(0, ("S", 0), ("S", 1), ("S", 2))))
    (v,) = e.violations
    assert (v.type, v.amount) == (ViolationType.MAX_STOPS, 1)


def test_missing_break_violation():
    """A route running from 0 to 60 through a break window opening at 10, without the break."""
    p = problem(
        (stop("a", 3),), vehicles=(vehicle(breaks=(Break("lunch", TimeWindow(10, 20), 5),)),)
    )
    e = evaluate(p, plan(route(0, ("S", 0), departure=0)))
    (v,) = e.violations
    assert (v.type, v.ref, v.kind) == (ViolationType.BREAK, 0, VisitKind.BREAK)


def test_late_break_violation():
    """A break listed after a stop ending at 30 whose window closed at 20: 10 s late."""
    p = problem(
        (stop("a", 3),), vehicles=(vehicle(breaks=(Break("lunch", TimeWindow(10, 20), 5),)),)
    )
    e = evaluate(p, plan(route(0, ("S", 0), ("B", 0), departure=0)))
    (v,) = e.violations
    assert (v.type, v.amount) == (ViolationType.BREAK, 10)


def test_disposal_before_end_violation():
    """With a facility in the problem, returning with 4 units on board."""
    p = problem(
        (stop("a", 1, demands=(4,)),),
        dimensions=("kg",),
        facilities=(Facility("dump", 3, None, 5),),
    )
    e = evaluate(p, plan(route(0, ("S", 0))))
    (v,) = e.violations
    assert (v.type, v.amount) == (ViolationType.DISPOSAL_BEFORE_END, 4)


def test_returning_loaded_is_fine_without_facilities():
    """Maintenance-style problems have no facilities, so load on return is no violation."""
    p = problem((stop("a", 1, demands=(4,)),), dimensions=("kg",))
    assert evaluate(p, plan(route(0, ("S", 0)))).feasible


def test_duplicate_visit_violation():
    """The same stop in two routes: reported once, at the repeat."""
    p = problem((stop("a", 1),), vehicles=(vehicle("v1"), vehicle("v2")))
    e = evaluate(p, plan(route(0, ("S", 0)), route(1, ("S", 0))))
    (v,) = e.violations
    assert v.type is ViolationType.DUPLICATE_VISIT
    assert e.routes[1].visits[1].violations == (v,)


def test_missing_mandatory_stop_violation():
    """A mandatory stop in no route and with no reason from a solver."""
    p = problem((stop("a", 1), stop("b", 2, optional=True)))
    e = evaluate(p, plan())
    (v,) = e.violations
    assert (v.type, v.ref) == (ViolationType.MISSING_MANDATORY_STOP, 0)


def test_mandatory_stop_skipped_with_a_reason_is_data_not_a_violation():
    """A solver that reports why it could not serve a mandatory stop does not break the plan."""
    p = problem((stop("a", 1),))
    e = evaluate(p, plan(skipped={0: SkipReason.CANNOT_MEET_TIME_WINDOW}))
    assert e.feasible
    assert e.skipped == {0}


@pytest.mark.parametrize(
    "bad_route",
    [
        route(5, ("S", 0)),
        route(0, ("S", 9)),
        route(0, ("B", 0)),
        route(0, PlannedVisit(VisitKind.END, 0)),
    ],
)
def test_unreadable_plan_raises_invalid_problem(bad_route):
    """Indices outside the problem are a caller or solver bug, not a violation to report."""
    p = problem((stop("a", 1),))
    with pytest.raises(InvalidProblemError):
        evaluate(p, plan(bad_route))


def test_two_routes_for_one_vehicle_raise_invalid_problem():
    """A vehicle can drive only one route."""
    p = problem((stop("a", 1), stop("b", 2)))
    with pytest.raises(InvalidProblemError):
        evaluate(p, plan(route(0, ("S", 0)), route(0, ("S", 1))))


def test_vehicle_type_matrix_is_used():
    """A vehicle on matrix 1 (twice as slow) takes twice as long."""
    p = problem((stop("a", 2),))
    p = replace(p, durations=(p.durations[0], p.durations[0] * 2), distances=(p.distances[0], None))
    p = replace(p, vehicles=(vehicle(profile=1),))
    (r,) = evaluate(p, plan(route(0, ("S", 0)))).routes
    assert (r.duration, r.travel_metres) == (80, 0)


def test_break_not_owed_when_the_route_starts_after_its_window():
    """A route leaving at 500 owes no break whose window closed at 100."""
    p = problem(
        (stop("a", 1),), vehicles=(vehicle(breaks=(Break("lunch", TimeWindow(0, 100), 60),)),)
    )
    assert evaluate(p, plan(route(0, ("S", 0), departure=500))).feasible


def test_rank_breaks_a_zero_cost_tie_by_driving_time():
    """With no costs set every plan costs 0; the plan that drives less ranks better, as the
    contract promises such a request the least driving."""
    p = problem((stop("a", 1), stop("b", 2), stop("c", 3)))
    direct = evaluate(p, plan(route(0, ("S", 0), ("S", 1), ("S", 2))))
    detour = evaluate(p, plan(route(0, ("S", 2), ("S", 0), ("S", 1))))
    assert direct.cost == detour.cost == 0
    assert rank(p, direct) < rank(p, detour)
