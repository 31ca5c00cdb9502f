"""Locks, live state and churn of a re-plan (issue #13 item 1): the checker's rules, the live
transform, the relaxation of undrivable prefixes, and the engines that keep or decline them."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from solvers.budget import Deadline
from solvers.routing.checker import evaluate, evaluate_route, route_violations
from solvers.routing.engines.construct import greedy_plan
from solvers.routing.live import VehicleState, apply_live_state
from solvers.routing.locks import (
    Churn,
    Level,
    Lock,
    Replan,
    churn_cost,
    declined_features,
    route_lock_violations,
    unkept_locks,
)
from solvers.routing.plan import (
    PlannedVisit,
    RoutePlan,
    RoutingPlan,
    SkipReason,
    ViolationType,
    VisitKind,
)
from solvers.routing.problem import Break, Facility, RoutingProblem, Stop, TimeWindow, Vehicle
from solvers.routing.solve import RoutingOptions, solve_checked
from solvers.status import SolverFamily

N_STOPS = 11


def city(n_vehicles: int = 2, seed: int = 1, **vehicle_fields) -> RoutingProblem:
    """Eleven stops on a Manhattan grid, two crews at one depot, a long shift."""
    rng = np.random.default_rng(seed)
    points = rng.integers(0, 1000, size=(N_STOPS + 1, 2))
    durations = np.abs(points[:, None, :] - points[None, :, :]).sum(-1).astype(np.int64)
    vehicles = tuple(
        Vehicle(f"v{k}", 0, 0, TimeWindow(0, 20_000), cost_per_hour=10.0, **vehicle_fields)
        for k in range(n_vehicles)
    )
    stops = tuple(Stop(f"s{i}", i + 1, service_duration=60) for i in range(N_STOPS))
    ids = tuple(f"L{i}" for i in range(N_STOPS + 1))
    return RoutingProblem(ids, (durations,), (None,), vehicles=vehicles, stops=stops)


def stops(*refs: int) -> tuple[PlannedVisit, ...]:
    return tuple(PlannedVisit(VisitKind.STOP, i) for i in refs)


def locked(problem: RoutingProblem, *locks: Lock, **fields) -> RoutingProblem:
    return replace(problem, replan=Replan(tuple(locks), **fields))


def lock_types(problem: RoutingProblem, route: RoutePlan) -> list[ViolationType]:
    return [v.type for v in route_violations(evaluate_route(problem, route))]


# -- the checker's lock rules ---------------------------------------------------------------------


def test_a_stop_on_another_vehicle_than_its_lock_is_a_lock_violation() -> None:
    """Stop 3 is locked to v1; v0 serving it breaks the lock once."""
    problem = locked(city(), Lock(3, 1))
    assert lock_types(problem, RoutePlan(0, stops(2, 3))).count(ViolationType.LOCK) == 1
    assert ViolationType.LOCK not in lock_types(problem, RoutePlan(1, stops(2, 3)))


def test_a_frozen_prefix_out_of_order_is_one_lock_violation() -> None:
    """v0's prefix is 4 then 5: serving 5 first, or anything before 4, breaks it."""
    problem = locked(city(), Lock(4, 0, Level.KEEP_SEQUENCE), Lock(5, 0, Level.KEEP_SEQUENCE))
    assert ViolationType.LOCK not in lock_types(problem, RoutePlan(0, stops(4, 5, 1)))
    assert lock_types(problem, RoutePlan(0, stops(5, 4))).count(ViolationType.LOCK) == 1
    assert lock_types(problem, RoutePlan(0, stops(1, 4, 5))).count(ViolationType.LOCK) == 1


def test_a_break_may_fall_inside_a_frozen_prefix_but_an_unload_may_not() -> None:
    """Breaks are taken wherever the crew is; an unload between locked stops changes the
    sequence the crew was given."""
    base = city(breaks=(Break("lunch", TimeWindow(0, 20_000), 60),))
    base = replace(base, facilities=(Facility("tip", 0),))
    problem = locked(base, Lock(4, 0, Level.KEEP_SEQUENCE), Lock(5, 0, Level.KEEP_SEQUENCE))
    with_break = (*stops(4), PlannedVisit(VisitKind.BREAK, 0), *stops(5))
    with_unload = (*stops(4), PlannedVisit(VisitKind.FACILITY, 0), *stops(5))
    assert not route_lock_violations(problem, RoutePlan(0, with_break))
    assert len(route_lock_violations(problem, RoutePlan(0, with_unload))) == 1


@settings(max_examples=60, deadline=None)
@given(
    order=st.permutations(range(N_STOPS)),
    split=st.integers(0, N_STOPS),
    frozen=st.integers(0, N_STOPS),
    data=st.data(),
)
def test_locks_taken_from_a_route_hold_and_any_swap_in_the_prefix_breaks_them(
    order: list[int], split: int, frozen: int, data: st.DataObject
) -> None:
    """Locks read off a plan (its first stops frozen, the rest kept on their vehicle) give that
    plan no violation; swapping two stops of which one is frozen, or moving a stop to the other
    vehicle, gives at least one LOCK violation."""
    problem = city()
    routes = (RoutePlan(0, stops(*order[:split])), RoutePlan(1, stops(*order[split:])))
    locks = []
    for route in routes:
        refs = [v.ref for v in route.visits]
        head = min(frozen, len(refs))
        locks += [Lock(i, route.vehicle, Level.KEEP_SEQUENCE) for i in refs[:head]]
        locks += [Lock(i, route.vehicle) for i in refs[head:]]
    problem = locked(problem, *locks)
    plan = RoutingPlan(routes)
    assert not [v for v in evaluate(problem, plan).violations if v.type is ViolationType.LOCK]
    route = routes[data.draw(st.integers(0, 1))]
    refs = [v.ref for v in route.visits]
    head = min(frozen, len(refs))
    if head >= 1 and len(refs) >= 2:
        a = data.draw(st.integers(0, head - 1))
        b = data.draw(st.integers(0, len(refs) - 1).filter(lambda x: x != a))
        refs[a], refs[b] = refs[b], refs[a]
        swapped = RoutePlan(route.vehicle, stops(*refs))
        assert route_lock_violations(problem, swapped)
    if refs:
        moved = RoutePlan(1 - route.vehicle, stops(refs[0]))
        assert route_lock_violations(problem, moved)


# -- churn -----------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(order=st.permutations(range(N_STOPS)), split=st.integers(0, N_STOPS))
def test_churn_prices_moved_stops_and_eta_shift_beyond_the_tolerance(
    order: list[int], split: int
) -> None:
    """Against itself a plan costs nothing; against the same plan on swapped vehicles every
    stop is moved; the ETA part is per minute beyond the tolerance, pro rata."""
    base = city()
    plan = RoutingPlan((RoutePlan(0, stops(*order[:split])), RoutePlan(1, stops(*order[split:]))))
    timed = evaluate(base, plan)
    owner = {t.ref: r.vehicle for r in timed.routes for t in r.visits if t.kind is VisitKind.STOP}
    start = {t.ref: t.start for r in timed.routes for t in r.visits if t.kind is VisitKind.STOP}
    churn = Churn(per_stop_moved=7.0, per_minute_eta_shift=3.0, eta_tolerance=120)
    same = locked(base, churn=churn, reference_vehicle=owner, reference_start=start)
    assert churn_cost(same, evaluate(same, plan)) == (0.0, 0, 0)
    swapped = {i: 1 - k for i, k in owner.items()}
    late = {i: t - 420 for i, t in start.items()}  # every stop now 300 s over the tolerance
    other = locked(base, churn=churn, reference_vehicle=swapped, reference_start=late)
    cost, moved, excess = churn_cost(other, evaluate(other, plan))
    assert (moved, excess) == (N_STOPS, 300 * N_STOPS)
    assert cost == pytest.approx(7.0 * N_STOPS + 3.0 * 5 * N_STOPS)
    assert evaluate(other, plan).cost_terms["churn_cost"] == pytest.approx(cost)


# -- live state and settling -----------------------------------------------------------------------


def test_live_state_moves_the_start_and_spends_the_day_already_worked() -> None:
    """A crew at stop 4's place, free at 5000, with 3 of its 4 stops done: it starts there and
    then, and may serve one more stop; one with all 4 done may serve none."""
    problem = city(max_stops=4)
    live = apply_live_state(
        problem,
        [VehicleState(0, location=5, free_from=5000, stops_done=3), VehicleState(1, stops_done=4)],
        None,
    )
    crew, done = live.vehicles
    assert (crew.start, crew.shift.start, crew.max_stops) == (5, 5000, 1)
    assert done.shift.end == done.shift.start  # nothing left: no stop fits
    route = evaluate_route(live, RoutePlan(0, stops(1, 2)))
    assert ViolationType.MAX_STOPS in [v.type for v in route_violations(route)]


def test_a_load_on_board_fills_the_first_trip() -> None:
    """Capacity 10 with 8 on board: a stop of 3 overflows the trip by 1."""
    base = city()
    problem = replace(
        base,
        dimensions=("kg",),
        vehicles=tuple(replace(v, capacities=(10,)) for v in base.vehicles),
        stops=tuple(replace(s, demands=(3,)) for s in base.stops),
    )
    live = apply_live_state(problem, [VehicleState(0, load_on_board=(8,))], None)
    route = evaluate_route(live, RoutePlan(0, stops(1)))
    (overflow,) = [v for v in route_violations(route) if v.type is ViolationType.CAPACITY]
    assert overflow.amount == 1


def test_a_prefix_that_cannot_be_driven_is_kept_on_its_vehicle_with_the_reason() -> None:
    """Stop 5's window closes at 10 s, before v0 can get there after stop 4: from stop 5 on the
    sequence gives way to KEEP_VEHICLE, and the answer's unkept locks say why."""
    base = city()
    late = replace(base.stops[5], time_windows=(TimeWindow(0, 10),))
    base = replace(base, stops=(*base.stops[:5], late, *base.stops[6:]))
    replan = Replan((Lock(4, 0, Level.KEEP_SEQUENCE), Lock(5, 0, Level.KEEP_SEQUENCE)))
    live = apply_live_state(base, [], replan)
    assert live.replan.prefix(0) == (4,)
    (relaxed,) = live.replan.relaxed
    assert (relaxed.stop, relaxed.served, relaxed.reason) == (
        5,
        True,
        SkipReason.CANNOT_MEET_TIME_WINDOW,
    )
    assert live.stops[5].allowed_vehicles == frozenset({0})
    plan = RoutingPlan((RoutePlan(0, stops(4)),), skipped={5: SkipReason.CANNOT_MEET_TIME_WINDOW})
    (unkept,) = unkept_locks(live, evaluate(live, plan), plan.skipped)
    assert (unkept.stop, unkept.served, unkept.level) == (5, False, Level.KEEP_SEQUENCE)


# -- engines ---------------------------------------------------------------------------------


def _replan(problem: RoutingProblem) -> RoutingProblem:
    """Two frozen stops on v1, stop 3 kept on v0, churn against an alternating reference."""
    replan = Replan(
        (Lock(5, 1, Level.KEEP_SEQUENCE), Lock(0, 1, Level.KEEP_SEQUENCE), Lock(3, 0)),
        Churn(per_stop_moved=5.0, per_minute_eta_shift=1.0, eta_tolerance=300),
        reference_vehicle={i: i % 2 for i in range(N_STOPS)},
        reference_start={i: 600 * i for i in range(N_STOPS)},
    )
    return apply_live_state(problem, [VehicleState(0, location=4, free_from=1000)], replan)


def test_ortools_keeps_every_lock_and_prices_churn() -> None:
    """The portfolio's plan (OR-Tools) starts v1 with 5 then 0, serves 3 on v0, has no
    violation, and reports the churn term the checker computes."""
    problem = _replan(city())
    outcome = solve_checked(problem, Deadline.after(5), RoutingOptions(deterministic=True))
    assert outcome.report.engine == "ortools.routing"
    assert outcome.evaluation.feasible
    routes = {r.vehicle: [v.ref for v in r.visits] for r in outcome.plan.routes}
    assert routes[1][:2] == [5, 0] and 3 in routes[0]
    assert outcome.evaluation.cost_terms["churn_cost"] == pytest.approx(
        churn_cost(problem, outcome.evaluation)[0]
    )


def test_a_high_moving_cost_keeps_every_stop_on_its_reference_vehicle() -> None:
    """With 1000 per stop moved, no stop leaves its reference vehicle."""
    problem = city()
    reference = {i: (0 if i < 6 else 1) for i in range(N_STOPS)}
    problem = replace(
        problem, replan=Replan(churn=Churn(per_stop_moved=1000.0), reference_vehicle=reference)
    )
    outcome = solve_checked(problem, Deadline.after(5), RoutingOptions(deterministic=True))
    assert churn_cost(problem, outcome.evaluation)[1] == 0


@pytest.mark.parametrize("family", [SolverFamily.MILP, SolverFamily.PYVRP])
def test_engines_that_cannot_keep_a_prefix_decline_and_say_so(family: SolverFamily) -> None:
    """Asked for by name, MILP and PyVRP decline a frozen prefix; OR-Tools answers instead and
    the fallback reason names the declined feature."""
    problem = _replan(city())
    assert declined_features(family, problem)
    outcome = solve_checked(problem, Deadline.after(5), RoutingOptions(solver=family))
    assert outcome.report.engine == "ortools.routing"
    assert "frozen prefixes" in outcome.report.fallback_reason
    assert outcome.evaluation.feasible


def test_the_constructive_fallback_keeps_prefixes_and_loads_on_board() -> None:
    """The heuristic (the last resort) serves v1's frozen 5, 0 first and 3 on v0, with 8 of 10
    on board of v0 and stops of 1: no rule or lock broken."""
    base = city()
    base = replace(
        base,
        dimensions=("kg",),
        vehicles=tuple(replace(v, capacities=(10,)) for v in base.vehicles),
        stops=tuple(replace(s, demands=(1,)) for s in base.stops),
    )
    problem = _replan(base)
    problem = replace(
        problem, vehicles=(replace(problem.vehicles[0], initial_load=(8,)), problem.vehicles[1])
    )
    plan = greedy_plan(problem)
    evaluation = evaluate(problem, plan)
    assert evaluation.feasible, evaluation.violations
    routes = {r.vehicle: [v.ref for v in r.visits] for r in plan.routes}
    assert routes[1][:2] == [5, 0] and 3 in routes[0]
    assert sum(1 for v in routes[0] if v in range(N_STOPS)) <= 2


def test_ortools_plans_around_a_load_on_board() -> None:
    """Capacity 10 and stops of 1: v0 with 8 on board takes at most 2 stops, and the plan
    still serves all eleven (v1 takes the rest) without a broken rule."""
    base = city()
    base = replace(
        base,
        dimensions=("kg",),
        vehicles=tuple(replace(v, capacities=(10,)) for v in base.vehicles),
        stops=tuple(replace(s, demands=(1,)) for s in base.stops),
    )
    problem = apply_live_state(base, [VehicleState(0, load_on_board=(8,))], None)
    options = RoutingOptions(solver=SolverFamily.ORTOOLS, deterministic=True)
    outcome = solve_checked(problem, Deadline.after(5), options)
    assert outcome.report.engine == "ortools.routing"
    assert outcome.evaluation.feasible and len(outcome.evaluation.served) == N_STOPS
    v0 = [r for r in outcome.evaluation.routes if r.vehicle == 0]
    assert sum(r.stops for r in v0) <= 2


def test_a_high_eta_shift_cost_keeps_every_stop_near_its_reference_time() -> None:
    """Reference times from a plan of the same problem and 100 per minute of shift beyond 60 s:
    the re-plan's ETAs stay within the tolerance of the reference ones."""
    base = city()
    first = solve_checked(base, Deadline.after(5), RoutingOptions(deterministic=True))
    timings = [t for r in first.evaluation.routes for t in r.visits if t.kind is VisitKind.STOP]
    start = {t.ref: t.start for t in timings}
    churn = Churn(per_minute_eta_shift=100.0, eta_tolerance=60)
    problem = replace(base, replan=Replan(churn=churn, reference_start=start))
    outcome = solve_checked(problem, Deadline.after(5), RoutingOptions(deterministic=True))
    assert outcome.evaluation.feasible
    assert churn_cost(problem, outcome.evaluation)[2] == 0
