"""Insertion advice (issue #13 item 4): the best verified places for a new stop in a live plan.

Line world (checker_cases): location i is 10 s and 1 km from i+1. The new stop is the problem's
last stop; the live plan does not serve it.
"""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from checker_cases import plan, problem, random_problems, route, stop, vehicle
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from solvers.budget import Deadline
from solvers.routing.checker import evaluate, evaluate_route, route_violations
from solvers.routing.engines.construct import greedy_plan
from solvers.routing.insertion import Cause, advise, index_live_plan
from solvers.routing.plan import RoutePlan, RoutingPlan, SkipReason, VisitKind
from solvers.routing.problem import Facility, RoutingProblem, TimeWindow
from solvers.routing.repair import insertion_slots, slot_routes

LONG = Deadline.after(3600.0)  # the tests end on work, never on the clock


def _advise(p: RoutingProblem, live: RoutingPlan, k: int = 5, several: bool = False):
    (advice,) = advise(p, live, [len(p.stops) - 1], LONG, k, several).stops
    return advice


def _stops(r: RoutePlan) -> list[int]:
    return [v.ref for v in r.visits if v.kind is VisitKind.STOP]


def test_a_stop_on_the_way_goes_between_its_neighbours_at_no_extra_driving() -> None:
    """The crew serves 1 and 3; the new stop at 2 lies between them: inserted there, driving
    unchanged, and the cost delta is the checker's difference of the route costs."""
    p = problem(
        (stop("a", 1), stop("b", 3), stop("new", 2)), vehicles=(vehicle(cost_per_hour=36.0),)
    )
    live = plan(route(0, ("S", 0), ("S", 1)))
    (best, *_) = _advise(p, live).options
    assert _stops(best.route) == [0, 2, 1] and best.position == 1
    assert best.travel_delta == 0
    before = evaluate_route(p, live.routes[0])
    assert best.cost_delta == best.evaluation.cost - before.cost
    assert best.service_start == 20 and best.lateness == 0


def test_later_stops_pushed_back_are_reported_with_their_delay() -> None:
    """New stop at 1 with 30 s service, put before the stop at 2 (served at 20): that stop now
    starts at 10 + 30 + 10 = 50, a delay of 30 s."""
    p = problem((stop("b", 2), stop("new", 1, service_duration=30)))
    (best, *_) = _advise(p, plan(route(0, ("S", 0)))).options
    assert best.position == 0
    ((delay),) = best.delays
    assert (delay.stop, delay.before, delay.after, delay.seconds) == (0, 20, 50, 30)


def test_an_idle_vehicle_is_offered_a_new_route() -> None:
    """v1 works at 1; the idle v2 based at 5 serves the new stop at 5 without driving at all,
    which beats v1's 80 s detour (no costs: the least driving ranks first)."""
    p = problem(
        (stop("near", 1), stop("new", 5)),
        vehicles=(vehicle("v1"), vehicle("v2", start=5, end=5)),
    )
    options = _advise(p, plan(route(0, ("S", 0)))).options
    by_vehicle = {o.vehicle: o for o in options}
    assert by_vehicle[1].new_route and _stops(by_vehicle[1].route) == [1]
    assert [o.vehicle for o in options] == [1, 0]


def test_minimising_vehicles_ranks_used_routes_before_new_ones() -> None:
    """The same fleet, but MIN_VEHICLES_THEN_COST: the busy v1 comes first although the idle v2
    would drive less."""
    p = problem(
        (stop("near", 1), stop("new", 5)),
        vehicles=(vehicle("v1"), vehicle("v2", start=5, end=5)),
    )
    p = replace(p, minimize_vehicles_first=True)
    options = _advise(p, plan(route(0, ("S", 0)))).options
    assert [o.vehicle for o in options] == [0, 1]


def test_one_option_per_vehicle_unless_several_are_asked_for() -> None:
    """One crew: by default one option (its best position); with several_per_vehicle every
    feasible position, best first."""
    p = problem((stop("a", 2), stop("b", 4), stop("new", 3)))
    live = plan(route(0, ("S", 0), ("S", 1)))
    assert len(_advise(p, live).options) == 1
    several = _advise(p, live, k=5, several=True).options
    assert several[0].position == 1 and len(several) == 3
    assert [o.key for o in several] == sorted(o.key for o in several)


def test_a_full_truck_gets_one_more_unload_after_the_new_stop() -> None:
    """The only truck's one trip is full; the new stop's load goes on a second trip that ends
    with another unload, since a truck may not come home loaded."""
    p = problem(
        (stop("a", 1, demands=(2,)), stop("new", 2, demands=(1,))),
        vehicles=(vehicle(capacities=(2,)),),
        facilities=(Facility("tip", 3, None, 30),),
        dimensions=("volume",),
    )
    (best, *_) = _advise(p, plan(route(0, ("S", 0), ("F", 0)))).options
    kinds = [(v.kind, v.ref) for v in best.route.visits]
    assert kinds[-2:] == [(VisitKind.STOP, 1), (VisitKind.FACILITY, 0)]
    assert not route_violations(best.evaluation)


def test_no_skilled_vehicle_is_the_reason_when_nobody_qualifies() -> None:
    """The new stop needs a crane nobody has: no option, NO_VEHICLE_WITH_SKILLS."""
    p = problem((stop("a", 1), stop("new", 2, required_skills=frozenset({"crane"}))))
    advice = _advise(p, plan(route(0, ("S", 0))))
    assert advice.options == () and advice.reason is SkipReason.NO_VEHICLE_WITH_SKILLS


def test_a_window_no_vehicle_can_reach_is_the_reason() -> None:
    """The new stop at 5 (50 s away) must start by 10 s: impossible even for an idle crew."""
    p = problem((stop("a", 1), stop("new", 5, time_windows=(TimeWindow(0, 10),))))
    advice = _advise(p, plan(route(0, ("S", 0))))
    assert advice.reason is SkipReason.CANNOT_MEET_TIME_WINDOW


def test_a_busy_crew_that_would_be_late_gives_the_window_reason_with_counts() -> None:
    """Alone the crew could reach the new stop at 2 by 25 s, but it must be at 1 by 15 s and
    is busy there until 100 s: before a, a is late; after it, the new stop is. The counts say so."""
    first = stop("a", 1, service_duration=90, time_windows=(TimeWindow(0, 15),))
    p = problem((first, stop("new", 2, time_windows=(TimeWindow(0, 25),))))
    advice = _advise(p, plan(route(0, ("S", 0))))
    assert advice.options == ()
    assert advice.reason is SkipReason.CANNOT_MEET_TIME_WINDOW
    assert advice.rejected[Cause.TIME_WINDOW] >= 1
    assert "time window" in advice.detail


def test_a_crew_at_its_stop_limit_has_no_room() -> None:
    """max_stops 1 and one stop already: no room left, NO_CAPACITY_LEFT, both positions counted."""
    p = problem((stop("a", 1), stop("new", 2)), vehicles=(vehicle(max_stops=1),))
    advice = _advise(p, plan(route(0, ("S", 0))))
    assert advice.reason is SkipReason.NO_CAPACITY_LEFT
    assert advice.rejected[Cause.CAPACITY] == 2


def test_a_route_already_broken_is_left_out_and_named() -> None:
    """v1's live route is late at a (window closed at 5): no option on v1, v1 is listed, and the
    idle v2 is offered instead."""
    p = problem(
        (stop("a", 3, time_windows=(TimeWindow(0, 5),)), stop("new", 2)),
        vehicles=(vehicle("v1"), vehicle("v2")),
    )
    result = advise(p, plan(route(0, ("S", 0))), [1], LONG)
    assert result.vehicles_with_violations == (0,)
    assert [o.vehicle for o in result.stops[0].options] == [1]


def test_an_expired_deadline_answers_incomplete() -> None:
    """No time at all: nothing verified, the advice says so."""
    p = problem((stop("a", 1), stop("new", 2)))
    (advice,) = advise(p, plan(route(0, ("S", 0))), [1], Deadline(time.monotonic() - 1)).stops
    assert not advice.complete and advice.options == ()
    assert advice.reason is SkipReason.NO_CAPACITY_LEFT


# -- properties over random problems with every feature ------------------------------------------


@st.composite
def _live_plans(draw: st.DrawFn) -> tuple[RoutingProblem, RoutingPlan, int]:
    """A random problem, its constructed plan with one stop taken out (the new stop: a served
    one, or one the plan skips, which often has no place), kept only when the rest of its route
    still breaks no rule. Stops no route serves are listed as skipped, so the plan as a whole
    can pass the checker."""
    p = draw(random_problems(max_stops=7))
    assume(p.stops)
    p = replace(p, minimize_vehicles_first=draw(st.booleans()))
    greedy = greedy_plan(p)
    assume(evaluate(p, greedy).feasible)
    new = draw(st.integers(0, len(p.stops) - 1))
    routes = []
    for r in greedy.routes:
        visits = tuple(v for v in r.visits if not (v.kind is VisitKind.STOP and v.ref == new))
        routes.append(RoutePlan(r.vehicle, visits))
    live = RoutingPlan(tuple(routes), dict(greedy.skipped))
    assume(all(not route_violations(evaluate_route(p, r)) for r in live.routes if r.visits))
    return p, live, new


def _exhaustive(p: RoutingProblem, live: RoutingPlan, new: int, k: int, several: bool) -> list:
    """Every candidate verified, ranked by the same key: what the pruned search must return."""
    routes = {r.vehicle: r for r in live.routes if r.visits}
    before = {v: evaluate_route(p, r) for v, r in routes.items()}
    keys = []
    for slot in insertion_slots(p, routes, new):
        clean = [
            e
            for e in (evaluate_route(p, r) for r in slot_routes(p, routes, new, slot))
            if not route_violations(e)
        ]
        old = before.get(slot.vehicle)
        for e in clean:
            cost = e.cost - (old.cost if old else 0.0)
            travel = e.travel_seconds - (old.travel_seconds if old else 0)
            flag = int(old is None and p.minimize_vehicles_first)
            keys.append((flag, round(cost, 9), travel, slot.vehicle))
    keys.sort()
    if not several:
        firsts: dict[int, tuple] = {}
        for key in keys:
            firsts.setdefault(key[3], key)
        keys = sorted(firsts.values())
    return [key[:3] for key in keys[:k]]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_live_plans(), st.integers(1, 4), st.booleans())
def test_every_option_applied_to_the_plan_passes_the_checker(case, k, several) -> None:
    """For random problems with every feature (windows, trips, tips, breaks, skills, stop
    limits, daily capacities, matrices without the triangle inequality), each option swapped
    into the live plan gives a plan with zero violations, its cost delta is the checker's
    difference of the two plans' route costs (up to float summation order), and its ETA is the
    checker's."""
    p, live, new = case
    for option in _advise_for(p, live, new, k, several).options:
        routes = [r for r in live.routes if r.vehicle != option.vehicle and r.visits]
        after = RoutingPlan((*routes, option.route), {**live.skipped})
        after.skipped.pop(new, None)
        checked = evaluate(p, after)
        assert checked.violations == ()
        delta = sum(r.cost for r in checked.routes) - sum(r.cost for r in evaluate(p, live).routes)
        assert option.cost_delta == pytest.approx(delta, rel=1e-12, abs=1e-9)  # summation order
        (timing,) = [
            t for r in checked.routes for t in r.visits if t.kind is VisitKind.STOP and t.ref == new
        ]
        assert option.service_start == timing.start


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_live_plans(), st.integers(1, 4), st.booleans())
def test_pruning_returns_what_verifying_every_place_would(case, k, several) -> None:
    """The bounds are sound: the pruned search ranks the same options (by key) as an
    exhaustive check of every candidate route."""
    p, live, new = case
    got = [o.key[:3] for o in _advise_for(p, live, new, k, several).options]
    assert got == _exhaustive(p, live, new, k, several)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_live_plans(), st.integers(1, 4), st.booleans())
def test_a_plan_indexed_once_advises_as_one_indexed_per_call(case, k, several) -> None:
    """The live plan is indexed once on its problem; a call that appends a new stop (a second
    order at the taken-out stop's place) gets exactly the advice of a call that indexes the
    plan itself, options, reasons and counts alike."""
    p, live, new = case
    extended = replace(p, stops=(*p.stops, replace(p.stops[new], id="again")))
    asked = [len(p.stops)]
    once = advise(extended, live, asked, LONG, k, several, indexed=index_live_plan(p, live))
    assert once == advise(extended, live, asked, LONG, k, several)


def test_an_index_of_another_plan_is_refused() -> None:
    """An index is only valid for the plan it was built from: anything else is a caller's bug
    and raises, rather than advising from the wrong routes."""
    p = problem((stop("a", 1), stop("b", 3), stop("new", 2)))
    indexed = index_live_plan(p, plan(route(0, ("S", 0))))
    other = plan(route(0, ("S", 1)))
    with pytest.raises(ValueError, match="not this plan"):
        advise(p, other, [2], LONG, indexed=indexed)
    with pytest.raises(ValueError, match="not this plan"):
        advise(replace(p, vehicles=(vehicle("w"),)), indexed.plan, [2], LONG, indexed=indexed)


def _advise_for(p: RoutingProblem, live: RoutingPlan, new: int, k: int, several: bool):
    (advice,) = advise(p, live, [new], LONG, k, several).stops
    return advice
