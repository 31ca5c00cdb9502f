"""The start of a re-plan: the reference plan kept, cleaned and completed by insertion."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from solvers.budget import Deadline
from solvers.routing.break_clock import Clock
from solvers.routing.checker import evaluate, evaluate_route, route_violations
from solvers.routing.engine import EngineOptions
from solvers.routing.engine_choice import ortools_companion
from solvers.routing.engines.ortools.search import OrtoolsSettings, solve
from solvers.routing.engines.pyvrp.data import problem_data
from solvers.routing.engines.pyvrp.engine import PyvrpEngine, _initial
from solvers.routing.engines.pyvrp.features import kept_stops
from solvers.routing.live import VehicleState, apply_live_state
from solvers.routing.locks import Churn, Level, Lock, Replan
from solvers.routing.plan import PlannedVisit, RoutePlan, RoutingPlan, VisitKind
from solvers.routing.problem import Facility, RoutingProblem, Stop, TimeWindow, Vehicle
from solvers.routing.reference_start import reference_start

N_STOPS = 12
#: Reference: v0 serves 0..5 in that order, v1 serves 6..10; stop 11 is new.
REFERENCE = {i: (0 if i < 6 else 1) for i in range(N_STOPS - 1)}
CHURN = Churn(per_stop_moved=20.0, per_minute_eta_shift=1.0, eta_tolerance=600)


def city(seed: int = 3, **vehicle_fields) -> RoutingProblem:
    """Twelve stops on a Manhattan grid (location 1 is a facility site), two crews at depot 0."""
    rng = np.random.default_rng(seed)
    points = rng.integers(0, 1000, size=(N_STOPS + 2, 2))
    durations = np.abs(points[:, None, :] - points[None, :, :]).sum(-1).astype(np.int64)
    vehicles = tuple(
        Vehicle(f"v{k}", 0, 0, TimeWindow(0, 20_000), cost_per_hour=10.0, **vehicle_fields)
        for k in range(2)
    )
    stops = tuple(Stop(f"s{i}", i + 2, service_duration=60) for i in range(N_STOPS))
    ids = tuple(f"L{i}" for i in range(N_STOPS + 2))
    return RoutingProblem(ids, (durations,), (None,), vehicles=vehicles, stops=stops)


def with_reference(problem: RoutingProblem, *locks: Lock, churn: Churn = CHURN) -> RoutingProblem:
    """The problem with the reference plan REFERENCE, reference starts in index order."""
    replan = Replan(
        locks,
        churn,
        reference_vehicle=dict(REFERENCE),
        reference_start={i: 100 * i for i in REFERENCE},
    )
    return apply_live_state(problem, [], replan)


def stop_order(plan: RoutingPlan) -> dict[int, list[int]]:
    return {r.vehicle: [v.ref for v in r.visits if v.kind is VisitKind.STOP] for r in plan.routes}


def test_each_crew_keeps_its_reference_stops_in_order_and_the_new_stop_is_inserted() -> None:
    """Without locks or limits, v0 keeps 0..5 and v1 keeps 6..10 in reference order, stop 11
    is in one of them, and every route is clean by the checker."""
    problem = with_reference(city())
    start = reference_start(problem, (), Deadline.after(5))
    assert start is not None
    routes = stop_order(start)
    assert [i for i in routes[0] if i != 11] == [0, 1, 2, 3, 4, 5]
    assert [i for i in routes[1] if i != 11] == [6, 7, 8, 9, 10]
    assert 11 in routes[0] + routes[1]
    assert all(not route_violations(evaluate_route(problem, r)) for r in start.routes)


def test_a_frozen_prefix_leads_its_route_and_a_lock_moves_a_stop_to_its_vehicle() -> None:
    """v1's frozen 9, 6 come first on v1, in that order; stop 2, locked to v1, leaves v0."""
    locks = (Lock(9, 1, Level.KEEP_SEQUENCE), Lock(6, 1, Level.KEEP_SEQUENCE), Lock(2, 1))
    problem = with_reference(city(), *locks)
    start = reference_start(problem, (), Deadline.after(5))
    assert start is not None
    routes = stop_order(start)
    assert routes[1][:2] == [9, 6]
    assert 2 in routes[1] and 2 not in routes.get(0, [])
    assert evaluate(problem, start).feasible


def test_a_route_that_can_no_longer_be_driven_is_cut_to_a_clean_head() -> None:
    """v0 now free only from 17,000 s of a 20,000 s shift cannot drive its six reference stops:
    it keeps a head of them (its first reference stop still leads its own stops 0..5 kept in
    order but one), the rest go elsewhere, every stop is placed and every route is clean."""
    problem = with_reference(city())
    problem = apply_live_state(problem, [VehicleState(0, free_from=17_000)], problem.replan)
    whole = RoutePlan(0, tuple(PlannedVisit(VisitKind.STOP, i) for i in range(6)))
    assert route_violations(evaluate_route(problem, whole))
    start = reference_start(problem, (), Deadline.after(5))
    assert start is not None
    routes = stop_order(start)
    assert 0 < len(routes[0]) < 6 and routes[0].index(0) < routes[0].index(1)
    assert all(not route_violations(evaluate_route(problem, r)) for r in start.routes)
    served = [i for stops in routes.values() for i in stops]
    assert sorted(served) == list(range(N_STOPS)) and not start.skipped


def test_an_unload_is_put_where_a_trip_would_overflow() -> None:
    """Capacity 10 and stops of 4 with a facility: v0's six reference stops need unloads,
    which the start puts in, and the route is clean (last unload included)."""
    base = city()
    base = replace(
        base,
        dimensions=("kg",),
        facilities=(Facility("tip", 1),),
        vehicles=tuple(replace(v, capacities=(10,)) for v in base.vehicles),
        stops=tuple(replace(s, demands=(4,)) for s in base.stops),
    )
    problem = with_reference(base)
    start = reference_start(problem, (), Deadline.after(5))
    assert start is not None
    v0 = next(r for r in start.routes if r.vehicle == 0)
    assert sum(1 for v in v0.visits if v.kind is VisitKind.FACILITY) >= 2
    assert evaluate(problem, start).feasible


def test_no_reference_plan_gives_no_start() -> None:
    """A plan from scratch (no replan) and a re-plan with frozen prefixes but no reference
    plan have no reference start: the engines' own first solutions build those."""
    assert reference_start(city(), (), Deadline.after(5)) is None
    prefix_only = apply_live_state(city(), [], Replan((Lock(3, 0, Level.KEEP_SEQUENCE),)))
    assert reference_start(prefix_only, (), Deadline.after(5)) is None


def test_ortools_searches_from_the_reference_and_never_ends_worse_than_it() -> None:
    """The OR-Tools search starts from the reference plan (strategy "reference...") and its
    plan costs no more, by the checker (churn included), than that start."""
    problem = with_reference(city())
    start = reference_start(problem, (), Deadline.after(5))
    assert start is not None
    result = solve(problem, Deadline.after(5), OrtoolsSettings(deterministic=True))
    assert result.strategy.startswith("reference")
    before, after = evaluate(problem, start), evaluate(problem, result.plan)
    assert after.feasible
    assert after.cost <= before.cost * (1 + 1e-6) + 1e-6


def test_ortools_from_scratch_when_asked() -> None:
    """``reference_start=False`` searches from scratch (the portfolio's other core)."""
    problem = with_reference(city())
    settings = OrtoolsSettings(deterministic=True, reference_start=False)
    result = solve(problem, Deadline.after(5), settings)
    assert not result.strategy.startswith("reference")


@pytest.mark.parametrize("facilities", [False, True])
def test_the_second_core_searches_a_replan_from_scratch(facilities: bool) -> None:
    """For a re-plan the companion's OR-Tools settings turn the reference start off."""
    base = city()
    if facilities:
        base = replace(base, facilities=(Facility("tip", 1),))
    settings = ortools_companion(with_reference(base), {})
    assert settings.get("reference_start") is False


def test_pyvrp_takes_the_reference_start_as_its_initial_solution() -> None:
    """A re-plan PyVRP models (a reference plan, no churn, no frozen prefix): the reference
    start converts into a PyVRP solution serving every stop of it, and the engine, starting
    from it, returns a plan the checker accepts."""
    pyvrp = pytest.importorskip("pyvrp")
    problem = with_reference(city(), churn=Churn())
    start = reference_start(problem, (), Deadline.after(5))
    assert start is not None
    keep = kept_stops(problem, frozenset())
    data, layout = problem_data(pyvrp, problem, keep, Clock.without(()))
    solution = _initial(pyvrp, data, layout, start)
    assert solution is not None
    assert solution.num_clients() == sum(len(v) for v in stop_order(start).values())
    options = EngineOptions(settings={"max_iterations": 50})
    result = PyvrpEngine().solve(problem, Deadline.after(5), options)
    assert "reference" in result.timings
    assert evaluate(problem, result.plan).feasible


def test_a_start_that_leaves_a_stop_out_is_searched_beside_a_plan_from_scratch() -> None:
    """v0 may do six stops and has six in the reference; new stop 11 may only go on v0, so
    insertion leaves it out. The search then also runs from scratch, and the answer serves all
    twelve (one of v0's stops moves to v1)."""
    base = city(max_stops=6)
    stops = list(base.stops)
    stops[11] = replace(stops[11], allowed_vehicles=frozenset({0}))
    problem = with_reference(replace(base, stops=tuple(stops)))
    start = reference_start(problem, (), Deadline.after(5))
    assert start is not None and 11 in start.skipped
    result = solve(problem, Deadline.after(5), OrtoolsSettings(deterministic=True))
    assert any(a.startswith("reference") for a in result.attempts)
    assert any(not a.startswith("reference") for a in result.attempts)
    evaluation = evaluate(problem, result.plan)
    assert evaluation.feasible and len(evaluation.served) == N_STOPS
