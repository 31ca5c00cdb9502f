"""The MILP fallback: proven optima on hand-made and brute-forced tiny cases, honest status."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest
from checker_cases import problem, stop, vehicle
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from solvers.budget import Deadline
from solvers.errors import SolverFailedError
from solvers.routing.checker import evaluate
from solvers.routing.engine import EngineOptions, Improvement, solve_alone
from solvers.routing.engines import milp
from solvers.routing.feasibility import prefilter
from solvers.routing.plan import PlannedVisit, RoutePlan, RoutingPlan, SkipReason, VisitKind
from solvers.routing.problem import Break, Facility, RoutingProblem, Stop, TimeWindow, Vehicle
from solvers.status import Status

COSTLY = {"fixed_cost": 100.0, "cost_per_hour": 36.0, "cost_per_km": 2.0}


def solve(p: RoutingProblem, seconds: float = 20.0):
    plan, report = solve_alone(milp.MilpEngine(), p, Deadline.after(seconds))
    evaluation = evaluate(p, plan)
    assert evaluation.feasible, evaluation.violations
    assert report.objective == pytest.approx(evaluation.cost)
    return plan, report


def stops_of(plan: RoutingPlan) -> list[list[int]]:
    return [[v.ref for v in r.visits if v.kind is VisitKind.STOP] for r in plan.routes]


def test_sanitation_trips_optimum():
    """Two 3-unit stops on a 5-unit truck must unload in between: 100 s, 8 km, skip c for 7."""
    p = problem(
        (
            stop("a", 2, service_duration=5, demands=(3,)),
            stop("b", 4, service_duration=5, demands=(3,)),
            stop("c", 6, optional=True, skip_penalty=7.0, demands=(1,)),
        ),
        vehicles=(vehicle(capacities=(5,), **COSTLY), vehicle("v2", capacities=(5,), **COSTLY)),
        facilities=(Facility("dump", 3, None, 5),),
        dimensions=("kg",),
    )
    plan, report = solve(p)
    assert report.status is Status.OPTIMAL
    assert report.objective == pytest.approx(100.0 + 1.0 + 16.0 + 7.0)
    assert report.gap == 0.0
    (r,) = plan.routes
    assert [v.kind for v in r.visits] == [VisitKind.STOP, VisitKind.FACILITY] * 2
    assert plan.skipped == {2: SkipReason.SKIPPED_FOR_COST}


def test_optional_stop_served_when_its_penalty_exceeds_the_detour():
    """Serving c at L6 adds 4 km (8) and 40 s (0.4) to the route; a penalty of 50 pays for it."""
    p = problem(
        (stop("a", 4), stop("c", 6, optional=True, skip_penalty=50.0)),
        vehicles=(vehicle(**COSTLY),),
    )
    plan, report = solve(p)
    assert report.status is Status.OPTIMAL
    # Out to L6 and back, either way round (the line is symmetric).
    assert [sorted(s) for s in stops_of(plan)] == [[0, 1]]
    assert report.objective == pytest.approx(100.0 + 1.2 + 24.0)


def test_second_window_chosen_when_it_is_cheaper():
    """Windows [0, 10] and [100, 110] at L3: the first cannot be met, the second is used."""
    p = problem(
        (stop("a", 3, time_windows=(TimeWindow(0, 10), TimeWindow(100, 110))),),
        vehicles=(vehicle(cost_per_hour=3600.0),),
    )
    plan, report = solve(p)
    e = evaluate(p, plan)
    assert e.routes[0].visits[1].start == 100
    # Leaving at 70 avoids waiting: 60 s at 1/s.
    assert report.objective == pytest.approx(60.0)


def test_skills_and_allowed_vehicles_decide_the_vehicle():
    """Only v2 has 'gas'; only v1 is allowed at b."""
    p = problem(
        (
            stop("a", 2, required_skills=frozenset({"gas"})),
            stop("b", 3, allowed_vehicles=frozenset({0})),
        ),
        vehicles=(vehicle("v1"), vehicle("v2", skills=frozenset({"gas"}))),
    )
    plan, _ = solve(p)
    assert {r.vehicle: stops_of(RoutingPlan((r,)))[0] for r in plan.routes} == {0: [1], 1: [0]}


def test_time_windows_force_the_order():
    """a at L5 must start by 60, b at L1 only from 100: a first although b is nearer."""
    p = problem(
        (
            stop("a", 5, time_windows=(TimeWindow(0, 60),)),
            stop("b", 1, time_windows=(TimeWindow(100, 200),)),
        ),
        vehicles=(vehicle(cost_per_km=1.0),),
    )
    plan, report = solve(p)
    assert stops_of(plan) == [[0, 1]]
    assert report.status is Status.OPTIMAL


def test_min_vehicles_first_uses_one_vehicle():
    """Two cheap vehicles at both ends would be cheaper, but one vehicle is minimised first."""
    durations = np.array(
        [[0, 10, 100, 100], [10, 0, 100, 100], [100, 100, 0, 10], [100, 100, 10, 0]], dtype=np.int64
    )
    p = RoutingProblem(
        location_ids=("D1", "A", "D2", "B"),
        durations=(durations,),
        distances=(durations,),
        vehicles=(
            Vehicle("v1", 0, 0, TimeWindow(0, 10_000), cost_per_km=1000.0),
            Vehicle("v2", 2, 2, TimeWindow(0, 10_000), cost_per_km=1000.0),
        ),
        stops=(Stop("a", 1), Stop("b", 3)),
    )
    plan, _ = solve(p)
    assert len(plan.routes) == 2
    from dataclasses import replace

    plan, report = solve(replace(p, minimize_vehicles_first=True))
    assert len(plan.routes) == 1
    assert report.status is Status.OPTIMAL


def test_mandatory_stop_that_cannot_fit_is_reported_not_dropped():
    """Two mandatory stops whose windows a single vehicle cannot both meet: one is served,
    the other comes back skipped with NO_CAPACITY_LEFT (each is servable alone)."""
    p = problem(
        (
            stop("a", 5, time_windows=(TimeWindow(50, 50),), service_duration=10),
            stop("b", 5, time_windows=(TimeWindow(50, 50),), service_duration=10),
        ),
        vehicles=(vehicle(),),
    )
    plan, _ = solve(p)
    assert sum(len(s) for s in stops_of(plan)) == 1
    assert list(plan.skipped.values()) == [SkipReason.NO_CAPACITY_LEFT]


def test_excluded_stops_stay_out_with_their_reason():
    """Stops ruled out by the pre-check are not modelled and are reported as skipped."""
    p = problem((stop("a", 2), stop("b", 3, required_skills=frozenset({"x"}))))
    excluded = prefilter(p)
    plan, _ = solve_alone(
        milp.MilpEngine(), p, Deadline.after(10), EngineOptions(exclude=frozenset(excluded))
    )
    assert plan.skipped == {1: SkipReason.NO_VEHICLE_WITH_SKILLS}
    assert evaluate(p, plan).feasible


def test_breaks_are_declined():
    """The MILP does not model breaks and says so instead of returning a wrong plan."""
    p = problem(
        (stop("a", 2),), vehicles=(vehicle(breaks=(Break("lunch", TimeWindow(0, 100), 10),)),)
    )
    with pytest.raises(SolverFailedError, match="breaks"):
        solve_alone(milp.MilpEngine(), p, Deadline.after(5))


def test_expired_deadline_is_refused():
    """No time left means no solve, not a late answer."""
    with pytest.raises(SolverFailedError):
        solve_alone(milp.MilpEngine(), problem((stop("a", 2),)), Deadline.after(-1))


def _hard_instance() -> RoutingProblem:
    """25 random stops, four trucks of 10: too hard to prove optimal in a second."""
    rng = np.random.default_rng(7)
    n = 26
    xy = rng.integers(0, 1000, size=(n, 2))
    durations = np.rint(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)))
    durations = durations.astype(np.int64)
    return RoutingProblem(
        location_ids=tuple(f"L{i}" for i in range(n)),
        durations=(durations,),
        distances=(durations,),
        vehicles=tuple(
            Vehicle(f"v{k}", 0, 0, TimeWindow(0, 100_000), capacities=(10,), cost_per_km=1.0)
            for k in range(4)
        ),
        stops=tuple(Stop(f"s{i}", i, demands=(int(rng.integers(1, 4)),)) for i in range(1, n)),
        dimensions=("kg",),
    )


def test_deadline_is_respected_on_a_hard_instance():
    """A 25-stop instance with a 1 s budget answers (FEASIBLE or a failure) near its deadline.

    Proving it optimal takes far longer than the bound below; the bound is loose so that a
    loaded machine's slow model build does not fail a test about stopping, not about speed."""
    p = _hard_instance()
    started = time.monotonic()
    try:
        plan, report = solve_alone(milp.MilpEngine(), p, Deadline.after(1.0))
    except SolverFailedError:
        pass
    else:
        assert report.status in (Status.FEASIBLE, Status.OPTIMAL)
        assert evaluate(p, plan).feasible
        if report.bound is not None:
            # A proven bound in cost units: never above the plan, never below zero here.
            assert 0.0 <= report.bound <= report.objective + 1e-6
    assert time.monotonic() - started < 10.0


# ----------------------------------------------------------------------- brute force


def _best_route(p: RoutingProblem, k: int, order: tuple[int, ...]) -> float | None:
    """Cheapest feasible way for vehicle k to serve ``order``: every departure is tried."""
    v = p.vehicles[k]
    visits = tuple(PlannedVisit(VisitKind.STOP, i) for i in order)
    best = None
    for departure in range(v.shift.start, min(v.shift.end, v.shift.start + 400) + 1):
        e = evaluate(
            p,
            RoutingPlan(
                (RoutePlan(k, visits, departure=departure),),
                skipped={i: SkipReason.NO_CAPACITY_LEFT for i in range(len(p.stops))},
            ),
        )
        if e.feasible:
            cost = e.routes[0].cost
            best = cost if best is None else min(best, cost)
    return best


def brute_force(p: RoutingProblem) -> float:
    """Minimum total cost over every assignment and order (mandatory stops all served)."""
    n = len(p.stops)
    route_cost: dict[tuple[int, tuple[int, ...]], float | None] = {}
    for k in range(len(p.vehicles)):
        for r in range(1, n + 1):
            for order in itertools.permutations(range(n), r):
                route_cost[k, order] = _best_route(p, k, order)
    best = float("inf")
    # Each stop goes to one vehicle (0..K-1) or is skipped (K).
    K = len(p.vehicles)
    for owner in itertools.product(range(K + 1), repeat=n):
        if any(owner[i] == K and not p.stops[i].optional for i in range(n)):
            continue
        penalty = sum(p.stops[i].skip_penalty for i in range(n) if owner[i] == K)
        total = penalty
        for k in range(K):
            mine = [i for i in range(n) if owner[i] == k]
            if not mine:
                continue
            options = [route_cost[k, o] for o in itertools.permutations(mine)]
            options = [c for c in options if c is not None]
            if not options:
                total = float("inf")
                break
            total += min(options)
        best = min(best, total)
    return best


@st.composite
def tiny_problems(draw: st.DrawFn) -> RoutingProblem:
    """Three stops, two vehicles, windows, skills, capacities, optional work; no facilities."""
    n_loc = 5
    raw = draw(st.lists(st.integers(1, 40), min_size=n_loc * n_loc, max_size=n_loc * n_loc))
    durations = np.array(raw, dtype=np.int64).reshape(n_loc, n_loc)
    np.fill_diagonal(durations, 0)
    vehicles = tuple(
        Vehicle(
            f"v{k}",
            draw(st.integers(0, n_loc - 1)),
            draw(st.integers(0, n_loc - 1)),
            TimeWindow(0, draw(st.integers(60, 300))),
            capacities=(draw(st.integers(2, 6)),),
            skills=frozenset(draw(st.lists(st.sampled_from("ab"), max_size=1))),
            fixed_cost=draw(st.sampled_from([0.0, 20.0])),
            cost_per_hour=draw(st.sampled_from([36.0, 360.0])),
            cost_per_km=1.0,
            max_stops=draw(st.sampled_from([0, 2])),
        )
        for k in range(2)
    )
    stops = []
    for i in range(3):
        windows = ()
        if draw(st.booleans()):
            a = draw(st.integers(0, 150))
            windows = (TimeWindow(a, a + draw(st.integers(0, 60))),)
        stops.append(
            Stop(
                f"s{i}",
                draw(st.integers(0, n_loc - 1)),
                demands=(draw(st.integers(0, 4)),),
                service_duration=draw(st.integers(0, 20)),
                time_windows=windows,
                required_skills=frozenset(draw(st.lists(st.sampled_from("ab"), max_size=1))),
                optional=draw(st.booleans()),
                skip_penalty=draw(st.sampled_from([5.0, 50.0])),
            )
        )
    return RoutingProblem(
        location_ids=tuple(f"L{i}" for i in range(n_loc)),
        durations=(durations,),
        distances=(durations * 100,),
        vehicles=vehicles,
        stops=tuple(stops),
        dimensions=("kg",),
    )


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tiny_problems())
def test_milp_optimum_matches_brute_force(p):
    """On tiny instances the proven MILP optimum equals exhaustive search over all plans."""
    expected = brute_force(p)
    if expected == float("inf"):
        # Some mandatory stop cannot be served: the MILP must say so with a reason.
        plan, _ = solve_alone(milp.MilpEngine(), p, Deadline.after(20))
        assert any(not p.stops[i].optional for i in plan.skipped)
        return
    plan, report = solve(p)
    assert report.status is Status.OPTIMAL
    assert report.objective == pytest.approx(expected, abs=1e-6)


def test_solving_prints_nothing_on_stdout():
    """``dispatch solve`` prints its JSON answer on stdout, so a MILP solve in a fresh process
    (where HiGHS would print its banner) must leave stdout untouched."""
    import subprocess
    import sys

    code = (
        "from solvers.budget import Deadline\n"
        "from solvers.routing.engine import solve_alone\n"
        "from solvers.routing.engines import milp\n"
        "from solvers.routing.problem import *\n"
        "import numpy as np\n"
        "d = np.array([[0, 5], [5, 0]])\n"
        "p = RoutingProblem(('a', 'b'), (d,), (None,),"
        " vehicles=(Vehicle('v', 0, 0, TimeWindow(0, 99)),), stops=(Stop('s', 1),))\n"
        "solve_alone(milp.MilpEngine(), p, Deadline.after(10))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout == ""


def test_model_too_big_for_the_budget_is_declined_at_once():
    """60 stops and 10 vehicles (36 600 arcs) cannot even be built in 1 s: the MILP says so
    immediately instead of overrunning the deadline."""
    rng = np.random.default_rng(3)
    n = 61
    durations = rng.integers(1, 500, size=(n, n)).astype(np.int64)
    p = RoutingProblem(
        location_ids=tuple(f"L{i}" for i in range(n)),
        durations=(durations,),
        distances=(None,),
        vehicles=tuple(Vehicle(f"v{k}", 0, 0, TimeWindow(0, 100_000)) for k in range(10)),
        stops=tuple(Stop(f"s{i}", i) for i in range(1, n)),
    )
    started = time.monotonic()
    with pytest.raises(SolverFailedError, match="time"):
        solve_alone(milp.MilpEngine(), p, Deadline.after(1.0))
    assert time.monotonic() - started < 0.5


def test_greedy_start_is_a_feasible_plan_serving_what_fits():
    """The warm start handed to HiGHS is checker-feasible route by route and serves every
    mandatory stop of an easy instance."""
    from solvers.routing.engines.milp.warm_start import greedy

    p = problem(
        tuple(stop(f"s{i}", i + 1, demands=(2,)) for i in range(5)),
        vehicles=(vehicle(capacities=(4,)), vehicle("v2", capacities=(4,))),
        facilities=(Facility("dump", 7, None, 10),),
        dimensions=("kg",),
    )
    routes = greedy(p, list(range(5)), Deadline.after(5))
    e = evaluate(p, RoutingPlan(tuple(routes)))
    assert e.feasible
    assert e.served == set(range(5))


def test_cbc_fallback_engine_proves_the_same_optimum():
    """Without highspy the MILP runs on CBC: same model, same optimum, reported as pulp.cbc."""
    p = problem(
        (stop("a", 4), stop("c", 6, optional=True, skip_penalty=50.0)),
        vehicles=(vehicle(**COSTLY),),
    )
    plan, report = solve_alone(
        milp.MilpEngine(), p, Deadline.after(30), EngineOptions(settings={"engine": "pulp.cbc"})
    )
    assert report.engine == "pulp.cbc"
    assert report.status is Status.OPTIMAL
    assert evaluate(p, plan).feasible
    assert report.objective == pytest.approx(100.0 + 1.2 + 24.0)


# ----------------------------------------------------------------------- engine protocol


def _trips_problem() -> RoutingProblem:
    return problem(
        (
            stop("a", 2, service_duration=5, demands=(3,)),
            stop("b", 4, service_duration=5, demands=(3,)),
            stop("c", 6, optional=True, skip_penalty=7.0, demands=(1,)),
        ),
        vehicles=(vehicle(capacities=(5,), **COSTLY), vehicle("v2", capacities=(5,), **COSTLY)),
        facilities=(Facility("dump", 3, None, 5),),
        dimensions=("kg",),
    )


def test_engine_claims_a_proven_optimum_with_its_cost_as_bound():
    """MilpEngine.solve answers an EngineResult: OPTIMAL (proven) with the checked cost as its
    bound, the back end as engine, and seconds for building, solving and reading back."""
    p = _trips_problem()
    result = milp.MilpEngine().solve(p, Deadline.after(20), EngineOptions(seed=3))
    evaluation = evaluate(p, result.plan)
    assert evaluation.feasible
    assert result.status is Status.OPTIMAL
    assert result.bound == pytest.approx(evaluation.cost) == pytest.approx(124.0)
    assert result.engine == milp.available_engine()
    assert list(result.timings) == ["build", "solve", "readback"]
    assert all(seconds >= 0.0 for seconds in result.timings.values())


def test_engine_back_end_can_be_chosen_and_exclusions_are_honoured():
    """settings["engine"] picks CBC; excluded stops stay out of the model and of the routes."""
    p = _trips_problem()
    options = EngineOptions(exclude=frozenset({1}), settings={"engine": "pulp.cbc"})
    result = milp.MilpEngine().solve(p, Deadline.after(30), options)
    assert result.engine == "pulp.cbc"
    assert result.status is Status.OPTIMAL
    assert all(v.ref != 1 for r in result.plan.routes for v in r.visits if v.kind is VisitKind.STOP)


def test_engine_hands_its_plan_to_the_solution_sink():
    """The solver streams no incumbents, so the sink hears of exactly the final plan."""
    seen: list[Improvement] = []
    p = _trips_problem()
    result = milp.MilpEngine().solve(p, Deadline.after(20), EngineOptions(on_solution=seen.append))
    assert [i.plan for i in seen] == [result.plan]
    assert seen[0].vehicles == len(result.plan.routes)


def test_engine_feasible_answer_carries_at_most_a_valid_bound():
    """Under a tight budget the engine answers FEASIBLE (or fails); a bound, when there is one,
    is finite and never above the plan's checked cost."""
    p = _hard_instance()
    try:
        result = milp.MilpEngine().solve(p, Deadline.after(1.0), EngineOptions())
    except SolverFailedError:
        return
    cost = evaluate(p, result.plan).cost
    assert result.status in (Status.FEASIBLE, Status.OPTIMAL)
    if result.bound is not None:
        assert 0.0 <= result.bound <= cost + 1e-6


def test_engine_names_what_it_cannot_take():
    """Breaks and models over MAX_ARCS are reported up front; a small problem has no reason."""
    assert milp.MilpEngine().unsupported(_trips_problem(), frozenset()) == []
    with_breaks = problem(
        (stop("a", 2),), vehicles=(vehicle(breaks=(Break("lunch", TimeWindow(0, 100), 10),)),)
    )
    assert milp.MilpEngine().unsupported(with_breaks, frozenset()) == ["driver breaks"]
    n = 80
    big = RoutingProblem(
        location_ids=tuple(f"L{i}" for i in range(n)),
        durations=(np.ones((n, n), dtype=np.int64),),
        distances=(None,),
        vehicles=tuple(Vehicle(f"v{k}", 0, 0, TimeWindow(0, 100_000)) for k in range(10)),
        stops=tuple(Stop(f"s{i}", i) for i in range(1, n)),
    )
    (reason,) = milp.MilpEngine().unsupported(big, frozenset())
    assert str(milp.MAX_ARCS) in reason
    # Excluding most stops brings the model under the limit.
    assert milp.MilpEngine().unsupported(big, frozenset(range(20, n - 1))) == []
