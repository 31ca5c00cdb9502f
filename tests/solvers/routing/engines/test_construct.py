"""The constructive plan: the warm start for big sanitation problems and the last resort."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from checker_cases import problem, random_problems, stop, vehicle
from hypothesis import HealthCheck, given, settings

from solvers.budget import Deadline
from solvers.routing.checker import evaluate, rank
from solvers.routing.engine import EngineOptions, EngineResult
from solvers.routing.engines import ortools
from solvers.routing.engines.construct import (
    ConstructEngine,
    Urgency,
    construct,
    construct_best,
    greedy_plan,
)
from solvers.routing.engines.fleet import eligible_vehicles, fleet
from solvers.routing.plan import VisitKind
from solvers.routing.problem import Break, Facility, RoutingProblem, TimeWindow
from solvers.routing.solve import RoutingOptions, solve_checked
from solvers.status import SolverFamily, Status


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_problems())
def test_constructed_plans_pass_the_checker(p: RoutingProblem) -> None:
    """On random problems with every feature the constructed plan breaks no rule.

    It is returned as the last resort, so it must be valid on its own; every stop it leaves
    out carries a reason.
    """
    plan = greedy_plan(p)
    evaluation = evaluate(p, plan)
    assert evaluation.feasible, evaluation.violations
    assert evaluation.skipped <= set(plan.skipped)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_problems())
def test_best_of_the_urgency_settings_is_never_worse_than_soonest_first(p: RoutingProblem) -> None:
    """construct_best keeps plain soonest-first among its candidates, so it never ranks below it."""
    p = replace(p, minimize_vehicles_first=True)
    keep = list(range(len(p.stops)))
    vehicles = fleet(p, keep)
    eligible = eligible_vehicles(p, vehicles, keep)
    final = vehicles.final_facility
    best = rank(p, evaluate(p, construct_best(p, eligible, final)))
    assert best <= rank(p, evaluate(p, construct(p, eligible, final)))


def test_urgency_serves_a_closing_window_first_and_saves_a_truck() -> None:
    """A near stop and a far one whose window closes soon, on opposite sides of the depot.

    Soonest-first serves the near one, then cannot reach the far one in time, so a second
    truck goes; with the urgency bonus one truck serves both.
    """
    seconds = np.array([[0, 100, 1000], [100, 0, 1100], [1000, 1100, 0]], dtype=np.int64)
    base = problem(
        (stop("near", 1), stop("far", 2, time_windows=(TimeWindow(0, 1150),))),
        vehicles=(vehicle("v1"), vehicle("v2")),
        n_locations=3,
    )
    p = replace(base, durations=(seconds,), distances=(seconds,), minimize_vehicles_first=True)
    eligible = {0: [0, 1], 1: [0, 1]}
    final = [None, None]
    plain = construct(p, eligible, final)
    urgent = construct(p, eligible, final, Urgency(0.5, 3600))
    best = construct_best(p, eligible, final)
    assert len(plain.routes) == 2
    assert [len(r.visits) for r in urgent.routes] == [2]
    assert evaluate(p, best).feasible and len(best.routes) == 1


def test_a_wait_for_the_break_window_counts_against_the_shift() -> None:
    """The last stop ends at 1 s, the break may start only at 8 s, and the final unload and the
    drive home take 112 s of a 148 s shift. The route waits 7 s for the break before it drives,
    so break and wait together leave no room: the construction must not promise the return at
    143 s that the break's duration alone suggests (found by the property test above)."""
    seconds = np.zeros((3, 3), dtype=np.int64)
    seconds[0, 2], seconds[2, 0] = 54, 58
    truck = vehicle(
        start=1,
        shift=TimeWindow(0, 148),
        breaks=(Break("lunch", TimeWindow(8, 8), 30),),
    )
    base = problem(
        (stop("s0", 0, demands=(1,), service_duration=1), stop("s1", 0, demands=(1,))),
        vehicles=(truck,),
        facilities=(Facility("tip", 2),),
        n_locations=3,
        dimensions=("kg",),
    )
    p = replace(base, durations=(seconds,), distances=(np.zeros_like(seconds),))
    plan = greedy_plan(p)
    evaluation = evaluate(p, plan)
    assert evaluation.feasible, evaluation.violations
    assert evaluation.skipped <= set(plan.skipped)


def test_small_truck_makes_trips_with_a_break() -> None:
    """Capacity 2 and six stops of 1: three trips, every one ending with an unload; lunch taken."""
    brk = Break("lunch", TimeWindow(100, 120), 30)
    p = problem(
        tuple(stop(f"s{i}", 1 + i % 6, demands=(1,), service_duration=20) for i in range(6)),
        vehicles=(vehicle(capacities=(2,), breaks=(brk,)),),
        facilities=(Facility("dump", 7, unload_duration=10),),
        dimensions=("kg",),
    )
    plan = greedy_plan(p)
    evaluation = evaluate(p, plan)
    assert evaluation.feasible, evaluation.violations
    (route,) = plan.routes
    assert sum(v.kind is VisitKind.FACILITY for v in route.visits) == 3
    assert route.visits[-1].kind is VisitKind.FACILITY
    assert any(v.kind is VisitKind.BREAK for v in route.visits)


def _city(n_stops: int, seed: int = 3) -> RoutingProblem:
    rng = np.random.default_rng(seed)
    points = rng.integers(0, 20_000, (n_stops + 2, 2))
    metres = np.abs(points[:, None, :] - points[None, :, :]).sum(axis=2).astype(np.int64)
    seconds = metres // 10
    base = problem((stop("x", 1),))
    return replace(
        base,
        location_ids=tuple(f"L{i}" for i in range(n_stops + 2)),
        durations=(seconds,),
        distances=(metres,),
        stops=tuple(
            stop(f"s{i}", i, demands=(int(rng.integers(1, 4)),), service_duration=60)
            for i in range(1, n_stops + 1)
        ),
        vehicles=tuple(
            vehicle(f"v{k}", shift=TimeWindow(0, 40_000), capacities=(60,), cost_per_km=1.0)
            for k in range(6)
        ),
        facilities=(Facility("dump", n_stops + 1, unload_duration=600),),
        dimensions=("kg",),
    )


def test_big_sanitation_search_starts_from_the_constructed_plan() -> None:
    """Above 200 stops with facilities OR-Tools starts from the constructed multi-trip plan."""
    p = _city(260)
    result = ortools.solve(p, Deadline.after(3.0))
    evaluation = evaluate(p, result.plan)
    assert result.strategy == "construct+gls"
    assert evaluation.feasible, evaluation.violations
    assert len(evaluation.served) == 260
    assert any(sum(v.kind is VisitKind.FACILITY for v in r.visits) > 1 for r in result.plan.routes)


def test_large_sanitation_with_lunch_breaks_searches_from_the_constructed_plan() -> None:
    """1800 stops, lunch breaks and a dump with opening hours: the search starts and improves.

    Before the time transit became a callback for break models, OR-Tools copied the whole
    transit matrix on every break propagation and this search found nothing (Kim 1932/2100).
    """
    n = 1800
    base = _city(n)
    lunch = (Break("lunch", TimeWindow(18_000, 21_600), 1_800),)
    p = replace(
        base,
        vehicles=tuple(
            replace(base.vehicles[0], id=f"v{k}", shift=TimeWindow(0, 50_000), breaks=lunch)
            for k in range(14)
        ),
        facilities=(
            Facility("dump", n + 1, unload_duration=600, opening=TimeWindow(5_000, 50_000)),
        ),
    )
    # Five accepted solutions, not a clock: on a loaded machine 6 s went by in the construction.
    limit = ortools.OrtoolsSettings(deterministic=True, solution_limit=5)
    result = ortools.solve(p, Deadline.after(300.0), limit)
    evaluation = evaluate(p, result.plan)
    assert result.strategy == "construct+gls"
    assert result.solutions > 1
    assert evaluation.feasible, evaluation.violations
    assert len(evaluation.served) == n


def test_greedy_can_be_asked_for() -> None:
    """solver=GREEDY returns the constructed plan, labelled as such and checked."""
    p = _city(30)
    outcome = solve_checked(p, Deadline.after(1.0), RoutingOptions(solver=SolverFamily.GREEDY))
    assert outcome.report.family is SolverFamily.GREEDY
    assert outcome.report.engine == "greedy.construct"
    assert outcome.evaluation.feasible


def test_construct_engine_answers_with_the_greedy_plan_and_its_timing() -> None:
    """ConstructEngine.solve wraps greedy_plan: the same plan (deterministic: no clock), named
    greedy.construct, with the construction time; excluded stops stay out."""
    p = _city(30)
    engine = ConstructEngine()
    assert engine.unsupported(p, frozenset()) == []
    result = engine.solve(p, Deadline.after(1.0), EngineOptions(deterministic=True))
    assert isinstance(result, EngineResult)
    assert result.plan == greedy_plan(p)
    assert (result.engine, result.status) == ("greedy.construct", Status.FEASIBLE)
    assert set(result.timings) == {"construct"}
    assert evaluate(p, result.plan).feasible
    fewer = engine.solve(p, Deadline.after(1.0), EngineOptions(exclude=frozenset({0, 1})))
    served = {v.ref for r in fewer.plan.routes for v in r.visits if v.kind is VisitKind.STOP}
    assert served.isdisjoint({0, 1}) and not {0, 1} & set(fewer.plan.skipped)
