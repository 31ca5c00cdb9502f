"""The OR-Tools routing engine, checked by the independent checker on small hand-made problems.

Line world (checker_cases): location i is i x 10 s and i x 1000 m from location 0.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from checker_cases import problem, random_problems, stop, vehicle
from hypothesis import HealthCheck, given, settings

from solvers.budget import Deadline
from solvers.routing.checker import evaluate
from solvers.routing.engine import EngineOptions, EngineResult, Improvement
from solvers.routing.engines import ortools
from solvers.routing.engines.ortools import OrtoolsSettings
from solvers.routing.plan import (
    PlannedVisit,
    RoutePlan,
    RoutingPlan,
    SkipReason,
    VisitKind,
)
from solvers.routing.problem import Break, Facility, RoutingProblem, TimeWindow
from solvers.status import Status

BUDGET = 1.0


def solve(p: RoutingProblem, seconds: float = BUDGET, **kw: object) -> ortools.OrtoolsResult:
    return ortools.solve(p, Deadline.after(seconds), OrtoolsSettings(**kw))


def checked(p: RoutingProblem, plan: RoutingPlan):
    evaluation = evaluate(p, plan)
    assert evaluation.feasible, evaluation.violations
    return evaluation


def kinds(route: RoutePlan) -> list[str]:
    return [v.kind.value[0] + str(v.ref) for v in route.visits]


def test_line_tour_is_optimal_and_costed_like_the_checker() -> None:
    """Stops at 1, 2, 3 on a line: the optimum drives 0-3-0 = 60 s; at 36/h that costs 0.6.

    The solver's own objective must equal the checker's cost: arc (travel + service) cost plus
    slack cost is the contract's cost_per_hour x route duration, exactly.
    """
    p = problem(
        (stop("a", 1), stop("b", 2), stop("c", 3)),
        vehicles=(vehicle(cost_per_hour=36.0),),
    )
    result = solve(p)
    evaluation = checked(p, result.plan)
    assert evaluation.cost == pytest.approx(0.6)
    assert result.solver_objective == pytest.approx(evaluation.cost)
    assert evaluation.served == frozenset({0, 1, 2})


def test_distance_and_fixed_costs_follow_the_contract() -> None:
    """Two stops at 2 and 5, cost_per_km 1.5, fixed 100: one route of 10 km = 100 + 15."""
    p = problem(
        (stop("a", 2), stop("b", 5)),
        vehicles=(
            vehicle(cost_per_km=1.5, fixed_cost=100.0),
            vehicle("v2", cost_per_km=1.5, fixed_cost=100.0),
        ),
    )
    result = solve(p)
    evaluation = checked(p, result.plan)
    assert len(result.plan.routes) == 1
    assert evaluation.cost == pytest.approx(115.0)


def test_small_truck_unloads_between_trips_and_before_returning() -> None:
    """Capacity 2, four stops of 1 each, dump at 7: two trips, each ending at the facility."""
    p = problem(
        tuple(stop(f"s{i}", i, demands=(1,)) for i in range(1, 5)),
        vehicles=(vehicle(capacities=(2,), cost_per_hour=36.0),),
        facilities=(Facility("dump", 7, unload_duration=30),),
        dimensions=("kg",),
    )
    result = solve(p)
    evaluation = checked(p, result.plan)
    (route,) = result.plan.routes
    assert route.visits[-1].kind is VisitKind.FACILITY
    assert sum(v.kind is VisitKind.FACILITY for v in route.visits) == 2
    assert evaluation.served == frozenset(range(4))
    assert evaluation.routes[0].trips == 2


@pytest.mark.parametrize("start", ["insertion", "construct"])
def test_a_chosen_start_searches_alone_for_the_whole_budget(start: str) -> None:
    """start="insertion" / "construct" runs only that search (the portfolio gives each its own
    core), and either gives a valid multi-trip plan."""
    p = problem(
        tuple(stop(f"s{i}", i, demands=(1,)) for i in range(1, 5)),
        vehicles=(vehicle(capacities=(2,), cost_per_hour=36.0),),
        facilities=(Facility("dump", 7, unload_duration=30),),
        dimensions=("kg",),
    )
    result = solve(p, start=start)
    assert checked(p, result.plan).served == frozenset(range(4))
    assert ("construct" in result.strategy) == (start == "construct")
    assert all(("construct" in a) == (start == "construct") for a in result.attempts)


def test_daily_capacity_limits_the_whole_shift() -> None:
    """Daily capacity 3 across trips of 2: one truck can take only three of four stops."""
    p = problem(
        tuple(stop(f"s{i}", i, demands=(1,)) for i in range(1, 5)),
        vehicles=(vehicle(capacities=(2,), daily_capacities=(3,), cost_per_hour=36.0),),
        facilities=(Facility("dump", 7, unload_duration=30),),
        dimensions=("kg",),
    )
    result = solve(p)
    evaluation = checked(p, result.plan)
    assert len(evaluation.served) == 3
    assert list(result.plan.skipped.values()) == [SkipReason.NO_CAPACITY_LEFT]


def test_break_is_taken_inside_its_window() -> None:
    """Service of 100 s at each of five stops keeps the crew busy past the break window."""
    brk = Break("lunch", TimeWindow(200, 260), 60)
    p = problem(
        tuple(stop(f"s{i}", i, service_duration=100) for i in range(1, 6)),
        vehicles=(vehicle(breaks=(brk,), cost_per_hour=36.0),),
    )
    result = solve(p)
    evaluation = checked(p, result.plan)
    timings = [t for t in evaluation.routes[0].visits if t.kind is VisitKind.BREAK]
    assert len(timings) == 1
    assert 200 <= timings[0].start <= 260
    assert evaluation.routes[0].break_seconds == 60


def test_a_stored_break_start_that_is_not_bound_is_read_as_its_earliest() -> None:
    """OR-Tools can return a solution whose break start is still its whole window (seen on a
    loaded machine with a 0.3 s budget). Reading its value would fail a CHECK and abort the
    process; the readback takes the earliest start instead, and the checker accepts the plan."""
    from ortools.constraint_solver import pywrapcp

    from solvers.routing.engines.ortools.model import build
    from solvers.routing.engines.ortools.readback import read_plan

    brk = Break("lunch", TimeWindow(200, 260), 60)
    p = problem(
        tuple(stop(f"s{i}", i, service_duration=100) for i in range(1, 6)),
        vehicles=(vehicle(breaks=(brk,), cost_per_hour=36.0),),
    )
    built = build(p)
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.time_limit.FromMilliseconds(500)
    found = built.routing.SolveWithParameters(params)
    assert found is not None
    loose = built.routing.solver().Assignment(found)
    interval = built.breaks[0][0]
    loose.SetStartRange(interval, 200, 260)
    evaluation = checked(p, read_plan(built, loose))
    timings = [t for t in evaluation.routes[0].visits if t.kind is VisitKind.BREAK]
    assert len(timings) == 1
    assert 200 <= timings[0].start <= 260


def test_break_not_owed_by_a_crew_home_before_the_window() -> None:
    """A 30 s route with a break window opening at 5000 needs no break visit at all."""
    brk = Break("lunch", TimeWindow(5000, 6000), 600)
    p = problem((stop("a", 1),), vehicles=(vehicle(breaks=(brk,)),))
    result = solve(p)
    checked(p, result.plan)
    assert all(v.kind is not VisitKind.BREAK for v in result.plan.routes[0].visits)


def test_skills_send_the_stop_to_the_skilled_crew() -> None:
    """Only v2 has the skill 'gas'; the gas job goes to v2 even though v1 is identical."""
    p = problem(
        (stop("gas", 3, required_skills=frozenset({"gas"})), stop("other", 1)),
        vehicles=(
            vehicle("v1", cost_per_hour=36.0),
            vehicle("v2", skills=frozenset({"gas"}), cost_per_hour=36.0),
        ),
    )
    result = solve(p)
    checked(p, result.plan)
    serving = {v.ref: r.vehicle for r in result.plan.routes for v in r.visits}
    assert serving[0] == 1


def test_allowed_vehicles_are_respected() -> None:
    """A stop restricted to vehicle 0 is served by it, even when vehicle 1 is cheaper."""
    p = problem(
        (stop("a", 2, allowed_vehicles=frozenset({0})),),
        vehicles=(vehicle("v1", cost_per_hour=100.0), vehicle("v2", cost_per_hour=1.0)),
    )
    result = solve(p)
    checked(p, result.plan)
    assert [r.vehicle for r in result.plan.routes] == [0]


def test_second_window_is_used_when_the_first_is_out_of_reach() -> None:
    """Stop at 5 (50 s away) with windows [0, 20] and [300, 400]: service starts at 300 or later.

    The gap (21..299) is removed from the start-time domain, so the solver cannot pretend to
    serve inside it.
    """
    p = problem(
        (stop("a", 5, time_windows=(TimeWindow(0, 20), TimeWindow(300, 400))),),
    )
    result = solve(p)
    checked(p, result.plan)
    (visit,) = result.plan.routes[0].visits
    assert visit.start is not None and 300 <= visit.start <= 400


def test_optional_stop_skipped_when_its_penalty_is_small() -> None:
    """A far optional stop (70 s away and back, 1.4 at 36/h) with penalty 1 is skipped."""
    p = problem(
        (stop("near", 1), stop("far", 7, optional=True, skip_penalty=1.0)),
        vehicles=(vehicle(cost_per_hour=36.0),),
    )
    result = solve(p)
    evaluation = checked(p, result.plan)
    assert result.plan.skipped == {1: SkipReason.SKIPPED_FOR_COST}
    assert evaluation.cost_terms["skip_penalty"] == pytest.approx(1.0)


def test_optional_stop_served_when_its_penalty_is_large() -> None:
    """The same far optional stop with penalty 100 is worth serving."""
    p = problem(
        (stop("near", 1), stop("far", 7, optional=True, skip_penalty=100.0)),
        vehicles=(vehicle(cost_per_hour=36.0),),
    )
    result = solve(p)
    evaluation = checked(p, result.plan)
    assert evaluation.served == frozenset({0, 1})


def test_unservable_mandatory_stop_is_reported_not_fatal() -> None:
    """A mandatory stop whose window closes before anyone can arrive is skipped with a reason.

    The penalty of a mandatory stop is far above any route cost, so everything else is still
    planned.
    """
    p = problem(
        (stop("late", 7, time_windows=(TimeWindow(0, 5),)), stop("fine", 2)),
    )
    result = solve(p)
    checked(p, result.plan)
    assert set(result.plan.skipped) == {0}
    assert result.plan.routes[0].visits[0].ref == 1


def test_max_stops_is_respected() -> None:
    """max_stops 2 with two vehicles and four stops: each vehicle serves exactly two."""
    p = problem(
        tuple(stop(f"s{i}", i) for i in range(1, 5)),
        vehicles=(vehicle("v1", max_stops=2), vehicle("v2", max_stops=2)),
    )
    result = solve(p)
    checked(p, result.plan)
    assert sorted(len(r.visits) for r in result.plan.routes) == [2, 2]


def test_min_vehicles_then_cost_uses_fewer_vehicles() -> None:
    """Windows at 100 and 1000: two crews cost 400 s of duty, one crew 1100 s.

    MIN_COST takes two crews; MIN_VEHICLES_THEN_COST takes one.
    """
    stops = (
        stop("early", 5, time_windows=(TimeWindow(100, 200),)),
        stop("late", 5, time_windows=(TimeWindow(1000, 1100),)),
    )
    fleet = (vehicle("v1", cost_per_hour=36.0), vehicle("v2", cost_per_hour=36.0))
    cheap = problem(stops, vehicles=fleet)
    few = replace(cheap, minimize_vehicles_first=True)
    assert len(solve(cheap).plan.routes) == 2
    result = solve(few)
    checked(few, result.plan)
    assert len(result.plan.routes) == 1


def test_no_costs_minimises_travel_time() -> None:
    """Without any cost coefficient the model minimises driving: 0-1-2-3-0 over 0-3-1-2-0."""
    p = problem(tuple(stop(f"s{i}", i) for i in (3, 1, 2)))
    result = solve(p)
    evaluation = checked(p, result.plan)
    assert evaluation.routes[0].travel_seconds == 60


def test_deterministic_mode_gives_the_same_plan_twice() -> None:
    """Solution limit instead of wall clock: two runs return identical plans."""
    rng = np.random.default_rng(7)
    n = 25
    points = rng.integers(0, 1000, (n, 2))
    durations = np.rint(
        np.hypot(*(points[:, None, :] - points[None, :, :]).transpose(2, 0, 1))
    ).astype(np.int64)
    base = problem((stop("x", 1),))
    p = replace(
        base,
        location_ids=tuple(f"L{i}" for i in range(n)),
        durations=(durations,),
        distances=(durations,),
        stops=tuple(stop(f"s{i}", i, demands=(1,)) for i in range(1, n)),
        vehicles=tuple(vehicle(f"v{k}", capacities=(8,), cost_per_hour=36.0) for k in range(4)),
        dimensions=("kg",),
    )
    first = solve(p, seconds=20, deterministic=True, solution_limit=40)
    second = solve(p, seconds=20, deterministic=True, solution_limit=40)
    checked(p, first.plan)
    assert first.plan == second.plan


def test_warm_start_is_accepted_and_improved() -> None:
    """A poor but valid initial plan (0-3-1-2-0) is read in and the search starts from it."""
    p = problem(tuple(stop(f"s{i}", i) for i in (1, 2, 3)), vehicles=(vehicle(cost_per_hour=36.0),))
    visits = tuple(PlannedVisit(VisitKind.STOP, i) for i in (2, 0, 1))
    initial = RoutingPlan((RoutePlan(0, visits),))
    result = solve(p, initial=initial)
    evaluation = checked(p, result.plan)
    assert result.warm_start_used
    assert evaluation.cost == pytest.approx(0.6)


def test_warm_start_with_unknown_parts_is_trimmed_not_rejected() -> None:
    """Facility visits in a problem without facilities are dropped; the rest is used."""
    p = problem(tuple(stop(f"s{i}", i) for i in (1, 2)))
    initial = RoutingPlan(
        (
            RoutePlan(
                0,
                (
                    PlannedVisit(VisitKind.STOP, 0),
                    PlannedVisit(VisitKind.FACILITY, 0),
                    PlannedVisit(VisitKind.STOP, 1),
                ),
            ),
        )
    )
    result = solve(p, initial=initial)
    checked(p, result.plan)
    assert result.warm_start_used


def test_excluded_stops_stay_out_of_the_model() -> None:
    """Stops ruled out by the pre-check are neither routed nor given a reason by the model."""
    p = problem((stop("a", 1), stop("b", 2)))
    result = solve(p, exclude=frozenset({1}))
    assert [v.ref for r in result.plan.routes for v in r.visits] == [0]
    assert 1 not in result.plan.skipped


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_problems())
def test_every_plan_passes_the_checker(p: RoutingProblem) -> None:
    """Random small problems with every feature: the plan is valid and every stop accounted for.

    Stops a solver leaves out must carry a reason; breaks, windows, capacities, facilities,
    skills, limits and shifts are all mixed here. Usually 50 accepted solutions end a search;
    a tiny problem may never reach them, so a few seconds of clock bound each example too
    (25 examples at 60 s once outran pytest's 300 s timeout on a loaded machine). Validity does
    not depend on which of the two ends the search.
    """
    result = solve(p, seconds=4, deterministic=True, solution_limit=50)
    evaluation = evaluate(p, result.plan)
    assert evaluation.feasible, evaluation.violations
    for index, s in enumerate(p.stops):
        assert index in evaluation.served or index in result.plan.skipped or s.optional


def _trucks() -> RoutingProblem:
    """Eight stops of load 1 on a line, two trucks of capacity 3 and a dump: trips are needed."""
    return problem(
        tuple(stop(f"s{i}", 1 + i % 6, demands=(1,), service_duration=5) for i in range(8)),
        vehicles=(
            vehicle(capacities=(3,), cost_per_hour=36.0),
            vehicle("v2", capacities=(3,), cost_per_hour=36.0),
        ),
        facilities=(Facility("dump", 7, unload_duration=30),),
        dimensions=("kg",),
    )


def test_engine_answers_with_strategy_count_and_phase_timings() -> None:
    """OrtoolsEngine.solve returns an EngineResult: a checked plan, the engine's name, the
    winning strategy, the improving solutions counted and the seconds of every phase run."""
    p = _trucks()
    result = ortools.OrtoolsEngine().solve(p, Deadline.after(BUDGET), EngineOptions())
    assert isinstance(result, EngineResult)
    assert checked(p, result.plan).served == frozenset(range(8))
    assert (result.engine, result.status) == ("ortools.routing", Status.FEASIBLE)
    assert result.strategy and result.solutions >= 1
    # Up to CONSTRUCT_ONLY_ABOVE stops with a dump both searches run, so every phase is timed
    # (the constructed start is repaired before it is searched from).
    assert set(result.timings) == {"build", "construct", "repair", "search", "readback"}
    assert all(seconds >= 0 for seconds in result.timings.values())


def test_engine_streams_improvements_whose_plans_pass_the_checker() -> None:
    """Each improving solution reaches on_solution in order; with plan_every 0 each carries
    the plan read from the search's current solution, and the checker accepts every one; the
    last is the plan returned."""
    p = _trucks()
    seen: list[Improvement] = []
    options = EngineOptions(on_solution=seen.append, settings={"plan_every": 0.0})
    result = ortools.OrtoolsEngine().solve(p, Deadline.after(BUDGET), options)
    assert len(seen) == result.solutions >= 1
    assert all(i.plan is not None for i in seen)
    for improvement in seen:
        checked(p, improvement.plan)
        assert improvement.vehicles == len(improvement.plan.routes)
    assert seen[-1].plan == result.plan


def test_streamed_plans_are_read_at_most_once_per_plan_every() -> None:
    """Reading a plan back costs search time, so within plan_every seconds of the last plan
    an improvement comes without one; the first always has one."""
    p = _trucks()
    seen: list[Improvement] = []
    options = EngineOptions(on_solution=seen.append, settings={"plan_every": 3600.0})
    ortools.OrtoolsEngine().solve(p, Deadline.after(BUDGET), options)
    assert seen[0].plan is not None
    assert all(i.plan is None for i in seen[1:])


def test_engine_maps_options_onto_the_search() -> None:
    """exclude keeps stops out, start is the warm start, settings pick the metaheuristic;
    an unknown setting is refused rather than silently ignored."""
    p = problem(tuple(stop(f"s{i}", i) for i in (1, 2, 3)), vehicles=(vehicle(cost_per_hour=36.0),))
    engine = ortools.OrtoolsEngine()
    assert engine.unsupported(p, frozenset()) == []
    gls = engine.solve(p, Deadline.after(BUDGET), EngineOptions(settings={"metaheuristic": "gls"}))
    assert gls.strategy.endswith("+gls")
    visits = tuple(PlannedVisit(VisitKind.STOP, i) for i in (2, 0, 1))
    warm = engine.solve(
        p,
        Deadline.after(BUDGET),
        EngineOptions(start=RoutingPlan((RoutePlan(0, visits),)), exclude=frozenset({1})),
    )
    assert warm.strategy == "warm_start+gls"
    assert sorted(v.ref for r in warm.plan.routes for v in r.visits) == [0, 2]
    with pytest.raises(ValueError, match="unknown settings"):
        engine.solve(p, Deadline.after(BUDGET), EngineOptions(settings={"metaheuristc": "gls"}))


def test_deterministic_option_gives_the_same_plan_twice() -> None:
    """options.deterministic switches the search to its solution limit: identical plans."""
    p = _trucks()
    options = EngineOptions(deterministic=True, settings={"solution_limit": 20})
    first = ortools.OrtoolsEngine().solve(p, Deadline.after(20.0), options)
    second = ortools.OrtoolsEngine().solve(p, Deadline.after(20.0), options)
    assert first.plan == second.plan


def test_deterministic_search_has_no_wall_clock_bound_per_neighbour():
    """OR-Tools' 100 ms bound on completing one LNS neighbour is wall-clock, so under load it
    made deterministic plans vary; deterministic mode lifts it to the whole solve's limit."""
    from solvers.routing.engines.ortools.search import FIRST_SOLUTION, METAHEURISTIC, _parameters

    first, guided = FIRST_SOLUTION.PATH_CHEAPEST_ARC, METAHEURISTIC.GUIDED_LOCAL_SEARCH
    fixed = _parameters(OrtoolsSettings(deterministic=True), 30.0, first, guided, False)
    clocked = _parameters(OrtoolsSettings(), 30.0, first, guided, False)
    assert fixed.lns_time_limit.ToMilliseconds() == fixed.time_limit.ToMilliseconds() == 30_000
    assert clocked.lns_time_limit.ToMilliseconds() < 30_000


def test_a_break_and_a_facility_closing_at_the_earliest_arrival_still_give_a_plan() -> None:
    """One truck (shift from 77, a zero-length break to start in 59-125), a disposal site 39 s
    away that closes at 116, and one stop with a load whose windows have passed: the plan is
    the idle truck with the stop skipped. The break (1 s in the model) pushes the arrival to
    117, so the site cannot be the final unload; when it was chosen anyway, OR-Tools found no
    first solution and the solve failed (found by test_every_plan_passes_the_checker)."""
    window = TimeWindow(start=0, end=0)
    truck = replace(
        vehicle(),
        start=2,
        end=0,
        shift=TimeWindow(start=77, end=745),
        daily_capacities=(0,),
        breaks=(Break(id="br0", start_window=TimeWindow(start=59, end=125), duration=0),),
    )
    late = replace(stop("s3", 0), demands=(1,), time_windows=(window, window))
    durations = np.zeros((5, 5), dtype=np.int64)
    durations[2, 4] = 39
    p = replace(
        problem((late,), vehicles=(truck,), n_locations=5, dimensions=("d0",)),
        facilities=(Facility(id="f0", location=4, opening=TimeWindow(start=22, end=116)),),
        durations=(durations,),
        distances=(np.zeros((5, 5), dtype=np.int64),),
    )
    result = solve(p, seconds=20, deterministic=True, solution_limit=50)
    assert result.plan.skipped.keys() == {0}
