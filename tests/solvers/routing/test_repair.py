"""The checked insertion repair: skipped mandatory stops go back into the plan, verified by the
real checker, before the plan is answered (issue #12: no silent shortfall)."""

from __future__ import annotations

import time
from dataclasses import replace

from checker_cases import plan, problem, random_problems, route, stop, vehicle
from google.protobuf import json_format
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from dispatch._proto.dispatch.v1 import routing_pb2
from dispatch.examples import read_text
from dispatch.wire.routing import problem_from_request
from solvers.budget import Deadline
from solvers.routing import feasibility
from solvers.routing.checker import evaluate, evaluate_route, rank, route_violations
from solvers.routing.engines.construct import greedy_plan
from solvers.routing.plan import RoutePlan, RoutingPlan, SkipReason, VisitKind
from solvers.routing.portfolio import SolveOutcome
from solvers.routing.problem import Break, Facility, RoutingProblem, TimeWindow
from solvers.routing.repair import repair_outcome, repair_skipped
from solvers.status import SolveReport, SolverFamily, Status

#: Generous: the tests end on work, never on the clock (they must pass on a loaded machine).
LONG = 3600.0

NO_ROOM = SkipReason.NO_CAPACITY_LEFT
VOLUME = ("volume",)


def _repair(p: RoutingProblem, before: RoutingPlan) -> RoutingPlan:
    return repair_skipped(p, before, Deadline.after(LONG))


def _stops_of(plan_: RoutingPlan, vehicle_index: int) -> list[int]:
    routes = [r for r in plan_.routes if r.vehicle == vehicle_index]
    return [v.ref for r in routes for v in r.visits if v.kind is VisitKind.STOP]


def test_a_skipped_stop_goes_to_the_idle_vehicle() -> None:
    """Truck v1 is full (capacity 2, two stops of 1) and v2 stays home: the third stop, skipped
    as NO_CAPACITY_LEFT, gets a route of its own on v2 and the plan breaks no rule."""
    p = problem(
        tuple(stop(f"s{i}", i + 1, demands=(1,)) for i in range(3)),
        vehicles=(vehicle("v1", capacities=(2,)), vehicle("v2", capacities=(2,))),
        dimensions=VOLUME,
    )
    before = plan(route(0, ("S", 0), ("S", 1)), skipped={2: NO_ROOM})
    after = _repair(p, before)
    assert _stops_of(after, 1) == [2]
    assert after.skipped == {}
    assert evaluate(p, after).feasible


def test_with_no_idle_vehicle_the_stop_is_inserted_where_it_costs_least() -> None:
    """One truck serves the stops at 1 and 3 on the line; the skipped stop at 2 lies on the way,
    so it goes between them (no detour at all), not at either end."""
    p = problem((stop("a", 1), stop("b", 2), stop("c", 3)), vehicles=(vehicle(cost_per_hour=36.0),))
    before = plan(route(0, ("S", 0), ("S", 2)), skipped={1: NO_ROOM})
    after = _repair(p, before)
    assert _stops_of(after, 0) == [0, 1, 2]
    assert after.skipped == {}
    evaluation = evaluate(p, after)
    assert evaluation.feasible
    assert evaluation.routes[0].travel_seconds == evaluate(p, before).routes[0].travel_seconds


def test_a_stop_whose_window_cannot_be_met_stays_skipped_with_its_reason() -> None:
    """The stop at 5 (50 s away) must start by 10 s: no vehicle, idle or used, can make it, so
    the plan comes back unchanged, the stop still skipped with the reason the solver gave."""
    late = stop("late", 5, time_windows=(TimeWindow(0, 10),))
    p = problem((stop("a", 1), late), vehicles=(vehicle("v1"), vehicle("v2")))
    before = plan(route(0, ("S", 0)), skipped={1: NO_ROOM})
    after = _repair(p, before)
    assert after is before
    assert after.skipped == {1: NO_ROOM}


def test_skills_decide_which_vehicle_may_take_the_stop() -> None:
    """The idle v1 lacks the crane the stop needs; the busy v2 has it. Idle vehicles are tried
    first, but only eligible ones: the stop joins v2's route."""
    p = problem(
        (stop("a", 1), stop("lift", 2, required_skills=frozenset({"crane"}))),
        vehicles=(vehicle("v1"), vehicle("v2", skills=frozenset({"crane"}))),
    )
    before = plan(route(1, ("S", 0)), skipped={1: NO_ROOM})
    after = _repair(p, before)
    assert _stops_of(after, 0) == []
    assert sorted(_stops_of(after, 1)) == [0, 1]
    assert evaluate(p, after).feasible


def test_an_idle_truck_unloads_before_going_home() -> None:
    """With a tip in the problem a loaded truck must unload before its end: the new route of
    the idle truck is stop -> tip, and the plan breaks no rule (DISPOSAL_BEFORE_END included)."""
    p = problem(
        (stop("a", 1, demands=(2,)), stop("b", 2, demands=(2,))),
        vehicles=(vehicle("v1", capacities=(2,)), vehicle("v2", capacities=(2,))),
        facilities=(Facility("tip", 6, None, 30),),
        dimensions=VOLUME,
    )
    # v1 cannot take b: one trip of 2 is its capacity and its shift ends before a second trip.
    p = replace(p, vehicles=(replace(p.vehicles[0], shift=TimeWindow(0, 150)), p.vehicles[1]))
    before = plan(route(0, ("S", 0), ("F", 0)), skipped={1: NO_ROOM})
    after = _repair(p, before)
    new = next(r for r in after.routes if r.vehicle == 1)
    assert [(v.kind, v.ref) for v in new.visits] == [(VisitKind.STOP, 1), (VisitKind.FACILITY, 0)]
    assert evaluate(p, after).feasible


def test_a_full_truck_with_time_left_gets_another_trip() -> None:
    """The only truck's one trip is full (capacity 2); the skipped stop is served on a second
    trip that ends with one more unload, since the truck may not come home loaded."""
    p = problem(
        (stop("a", 1, demands=(2,)), stop("b", 2, demands=(1,))),
        vehicles=(vehicle(capacities=(2,)),),
        facilities=(Facility("tip", 3, None, 30),),
        dimensions=VOLUME,
    )
    before = plan(route(0, ("S", 0), ("F", 0)), skipped={1: NO_ROOM})
    after = _repair(p, before)
    kinds = [(v.kind, v.ref) for v in after.routes[0].visits]
    assert kinds == [
        (VisitKind.STOP, 0),
        (VisitKind.FACILITY, 0),
        (VisitKind.STOP, 1),
        (VisitKind.FACILITY, 0),
    ]
    evaluation = evaluate(p, after)
    assert evaluation.feasible and evaluation.routes[0].trips == 2


def test_a_new_route_takes_the_break_its_vehicle_owes() -> None:
    """The idle truck's lunch may start in [0, 100]; its new route (out 50 s, back 50 s) runs
    then, so the break is placed where the checker accepts it."""
    lunch = Break("lunch", TimeWindow(0, 100), 10)
    p = problem(
        (stop("a", 1, demands=(1,)), stop("b", 5, demands=(1,))),
        vehicles=(vehicle("v1", capacities=(1,)), vehicle("v2", breaks=(lunch,))),
        dimensions=VOLUME,
    )
    before = plan(route(0, ("S", 0)), skipped={1: NO_ROOM})
    after = _repair(p, before)
    new = next(r for r in after.routes if r.vehicle == 1)
    assert (VisitKind.BREAK, 0) in [(v.kind, v.ref) for v in new.visits]
    assert evaluate(p, after).feasible


def test_excluded_stops_are_not_tried() -> None:
    """A stop the pre-check ruled out is known impossible: it keeps its reason, untouched."""
    p = problem((stop("a", 1), stop("b", 2)), vehicles=(vehicle("v1"), vehicle("v2")))
    before = plan(route(0, ("S", 0)), skipped={1: SkipReason.NO_VEHICLE_WITH_SKILLS})
    after = repair_skipped(p, before, Deadline.after(LONG), excluded={1})
    assert after is before


def test_an_expired_deadline_returns_the_plan_untouched() -> None:
    """No time left: no attempt is made, the plan comes back as it was."""
    p = problem((stop("a", 1), stop("b", 2)), vehicles=(vehicle("v1"), vehicle("v2")))
    before = plan(route(0, ("S", 0)), skipped={1: NO_ROOM})
    assert repair_skipped(p, before, Deadline(time.monotonic() - 1.0)) is before


def _sanitation() -> RoutingProblem:
    request = json_format.Parse(read_text("sanitation"), routing_pb2.PlanRoutesRequest())
    return problem_from_request(request)


def _without(plan_: RoutingPlan, dropped: set[int]) -> RoutingPlan:
    """The plan with ``dropped`` taken out of its routes and listed as skipped."""
    routes = tuple(
        RoutePlan(
            r.vehicle,
            tuple(v for v in r.visits if not (v.kind is VisitKind.STOP and v.ref in dropped)),
            r.departure,
        )
        for r in plan_.routes
    )
    return RoutingPlan(routes, {**plan_.skipped, **{i: NO_ROOM for i in dropped}})


def test_sanitation_example_repaired_plan_serves_every_stop_without_violation() -> None:
    """The bundled sanitation night (42 stops, trips to two tips, lunch breaks, 4 trucks): the
    constructed plan skips 2 stops with 2 trucks at the depot; with 6 more taken out, the
    repaired plan serves all 42 and the checker finds no violation."""
    p = _sanitation()
    greedy = greedy_plan(p)
    assert greedy.skipped  # the shortfall the repair is for
    before = _without(greedy, {0, 5, 11, 20, 30, 41})
    after = _repair(p, before)
    evaluation = evaluate(p, after)
    assert evaluation.violations == ()
    assert after.skipped == {} and evaluation.skipped == frozenset()
    assert rank(p, evaluation) < rank(p, evaluate(p, before))


def _outcome(p: RoutingProblem, plan_: RoutingPlan) -> SolveOutcome:
    evaluation = evaluate(p, plan_)
    report = SolveReport(
        family=SolverFamily.GREEDY,
        engine="greedy.construct",
        status=Status.FEASIBLE,
        objective=evaluation.cost,
        objective_terms=dict(evaluation.cost_terms),
        strategy="",
    )
    return SolveOutcome(plan_, report, evaluation)


def test_repair_outcome_reports_the_checkers_numbers_even_past_the_deadline() -> None:
    """The portfolio's outcome after the repair: the plan serves the stop although the solve's
    deadline has passed (the repair gets a short minimum), and objective and terms are the
    checker's for the new plan; the engine is kept and the strategy says "repair"."""
    p = problem(
        (stop("a", 1), stop("b", 3)),
        vehicles=(vehicle("v1", fixed_cost=10.0), vehicle("v2", fixed_cost=10.0)),
    )
    before = _outcome(p, plan(route(0, ("S", 0)), skipped={1: NO_ROOM}))
    after = repair_outcome(p, before, Deadline(time.monotonic() - 1.0), excluded={})
    assert after is not None and after.plan.skipped == {}
    assert after.evaluation == evaluate(p, after.plan)
    assert after.report.objective == after.evaluation.cost
    assert after.report.objective_terms == after.evaluation.cost_terms
    assert after.report.engine == "greedy.construct" and after.report.strategy == "repair"
    assert repair_outcome(p, None, Deadline.after(LONG)) is None


@st.composite
def _greedy_with_stops_removed(draw: st.DrawFn) -> tuple[RoutingProblem, RoutingPlan]:
    """A random problem and its constructed plan with random mandatory stops taken out of the
    routes (marked skipped). A stop stays in when its route would break a rule without it
    (travel times need not obey the triangle inequality), so the input is a valid plan. The
    rare constructed plan that is not valid is set aside: the repair does not mend routes."""
    p = draw(random_problems(max_stops=7))
    p = replace(p, minimize_vehicles_first=draw(st.booleans()))
    greedy = greedy_plan(p)
    assume(evaluate(p, greedy).feasible)
    served = sorted(
        v.ref
        for r in greedy.routes
        for v in r.visits
        if v.kind is VisitKind.STOP and not p.stops[v.ref].optional
    )
    chosen = draw(st.sets(st.sampled_from(served), min_size=1)) if served else set()
    kept_routes, dropped = [], set()
    for r in greedy.routes:
        mine = {v.ref for v in r.visits if v.kind is VisitKind.STOP} & chosen
        reduced = _without(RoutingPlan((r,)), mine).routes[0]
        if mine and not route_violations(evaluate_route(p, reduced)):
            kept_routes.append(reduced)
            dropped |= mine
        else:
            kept_routes.append(r)
    return p, RoutingPlan(tuple(kept_routes), {**greedy.skipped, **{i: NO_ROOM for i in dropped}})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_greedy_with_stops_removed())
def test_repair_never_breaks_a_rule_and_never_ranks_worse(case) -> None:
    """For small random problems with every feature (windows, trips, tips, breaks, skills, stop
    limits, daily capacities) the repaired plan breaks no rule, ranks no worse than the input
    by the checker, and every stop still skipped keeps the reason it had."""
    p, before = case
    assert evaluate(p, before).feasible
    excluded = feasibility.prefilter(p)
    after = repair_skipped(p, before, Deadline.after(LONG), excluded)
    evaluation = evaluate(p, after)
    assert evaluation.violations == ()
    assert rank(p, evaluation) <= rank(p, evaluate(p, before))
    assert after.skipped.items() <= before.skipped.items()
