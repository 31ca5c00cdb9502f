"""The PyVRP engine: what it declines, and that what it returns passes the independent checker."""

from __future__ import annotations

from dataclasses import replace

import pytest
from checker_cases import problem, stop, vehicle
from hypothesis import given, settings
from hypothesis import strategies as st

from solvers.budget import Deadline
from solvers.errors import SolverFailedError
from solvers.routing.checker import evaluate
from solvers.routing.engine import EngineOptions, solve_alone
from solvers.routing.engines import pyvrp as pyvrp_engine
from solvers.routing.plan import SkipReason, VisitKind
from solvers.routing.problem import Break, Facility, TimeWindow
from solvers.status import SolverFamily, Status

pytest.importorskip("pyvrp")

BUDGET = 0.3


def _run(p, seconds=BUDGET, seed=0, max_iterations=None):
    """PyVRP alone, its plan priced by the checker."""
    settings = {} if max_iterations is None else {"max_iterations": max_iterations}
    options = EngineOptions(seed=seed, settings=settings)
    return solve_alone(pyvrp_engine.PyvrpEngine(), p, Deadline.after(seconds), options)


def _solve(p, seed=0):
    return _run(p, seed=seed)


def _assert_checked_or_failed(p):
    """PyVRP's plan for ``p`` passes the checker and accounts for every stop, or it failed."""
    try:
        plan, _ = _run(p, 5, seed=1, max_iterations=100)
    except SolverFailedError:
        return
    evaluation = evaluate(p, plan)
    assert evaluation.feasible, evaluation.violations
    assert evaluation.served | set(plan.skipped) == set(range(len(p.stops)))


def test_declines_breaks_that_differ_between_vehicles():
    """With disposal trips, breaks are cut out of one clock shared by every stop window, so
    vehicles whose breaks have different start windows cannot be relaxed that way and are
    declined."""
    p = problem(
        (stop("s1", 2),),
        vehicles=(
            vehicle("a", breaks=(Break("lunch", TimeWindow(100, 200), 30),)),
            vehicle("b", breaks=(Break("lunch", TimeWindow(300, 400), 30),)),
        ),
        facilities=(Facility("tip", 5, None, 60),),
    )
    assert pyvrp_engine.unsupported_features(p) == [
        "driver breaks whose start windows differ between vehicles"
    ]


def _trips_problem(**vehicle_fields):
    """Five stops of 2 units on a line, trucks of 4: three trips to the tip at location 6."""
    stops = tuple(stop(f"s{i}", i, demands=(2,)) for i in range(1, 6))
    fields = {"capacities": (4,), "breaks": (Break("lunch", TimeWindow(60, 160), 50),)}
    fields.update(vehicle_fields)
    return problem(
        stops,
        vehicles=(vehicle("a", **fields),),
        facilities=(Facility("tip", 6, TimeWindow(0, 5000), 30),),
        dimensions=("volume",),
    )


def test_disposal_trips_with_a_break_pass_the_checker():
    """Facilities are PyVRP reload depots; the break and the last unload are added after, and
    the plan serves everything, unloads three times and takes the lunch break."""
    p = _trips_problem()
    plan, report = _solve(p, seed=2)
    evaluation = evaluate(p, plan)
    assert evaluation.feasible, evaluation.violations
    assert evaluation.served == frozenset(range(5))
    (route,) = plan.routes
    kinds = [v.kind for v in route.visits]
    assert kinds.count(VisitKind.FACILITY) == 3
    assert kinds.count(VisitKind.BREAK) == 1
    assert kinds[-1] is VisitKind.FACILITY  # unloaded before going home
    assert report.engine == "pyvrp"


def test_daily_capacity_caps_the_trips():
    """A daily capacity of two truckloads allows two trips, never more: the third load goes to
    a second truck instead of over the daily limit."""
    p = _trips_problem(daily_capacities=(8,))
    p = replace(p, vehicles=(p.vehicles[0], replace(p.vehicles[0], id="b")))
    plan, _ = _solve(p, seed=2)
    evaluation = evaluate(p, plan)
    assert evaluation.feasible, evaluation.violations
    assert evaluation.served == frozenset(range(5))
    assert all(r.trips <= 2 for r in evaluation.routes)
    assert len(evaluation.routes) == 2


@settings(max_examples=15, deadline=None)
@given(
    locations=st.lists(st.integers(1, 7), min_size=1, max_size=6),
    window_ends=st.lists(st.integers(150, 600), min_size=6, max_size=6),
    capacity=st.integers(2, 6),
    break_start=st.integers(0, 300),
)
def test_every_returned_disposal_plan_passes_the_checker(
    locations, window_ends, capacity, break_start
):
    """Whatever small disposal problem with a break PyVRP accepts, the finished plan is feasible
    for the independent checker, or the engine raises SolverFailedError."""
    stops = tuple(
        stop(f"s{i}", loc, demands=(2,), time_windows=(TimeWindow(0, window_ends[i]),))
        for i, loc in enumerate(locations)
    )
    lunch = (Break("lunch", TimeWindow(break_start, break_start + 60), 40),)
    p = problem(
        stops,
        vehicles=tuple(
            vehicle(k, capacities=(capacity,), shift=TimeWindow(0, 900), breaks=lunch)
            for k in ("a", "b")
        ),
        facilities=(Facility("tip", 3, None, 20), Facility("far", 7, TimeWindow(0, 400), 10)),
        dimensions=("volume",),
    )
    _assert_checked_or_failed(p)


def test_capacitated_plan_passes_checker():
    """Two trucks, demands that need both: the plan is checker-feasible and serves every stop."""
    stops = tuple(stop(f"s{i}", i, demands=(4,)) for i in range(1, 6))
    p = problem(
        stops,
        vehicles=(vehicle("a", capacities=(12,)), vehicle("b", capacities=(12,))),
        dimensions=("volume",),
    )
    plan, report = _solve(p, seed=3)
    evaluation = evaluate(p, plan)
    assert evaluation.feasible, evaluation.violations
    assert evaluation.served == frozenset(range(5))
    assert report.engine == "pyvrp"


def test_expensive_optional_stop_is_skipped_for_cost():
    """An optional stop far away whose penalty is below its detour cost is left out as
    SKIPPED_FOR_COST, and the cost terms include that penalty."""
    stops = (stop("near", 1), stop("far", 7, optional=True, skip_penalty=1.0))
    p = problem(stops, vehicles=(vehicle(cost_per_km=10.0),))
    plan, _ = _solve(p)
    assert plan.skipped == {1: SkipReason.SKIPPED_FOR_COST}
    evaluation = evaluate(p, plan)
    assert evaluation.feasible
    assert evaluation.cost_terms["skip_penalty"] == pytest.approx(1.0)


def test_same_seed_and_iteration_limit_give_the_same_plan():
    """Deterministic mode (iteration limit instead of time) is reproducible."""
    stops = tuple(stop(f"s{i}", i, time_windows=(TimeWindow(0, 400),)) for i in range(1, 8))
    p = problem(stops, vehicles=(vehicle("a"), vehicle("b")), n_locations=8)
    runs = [_run(p, 30, seed=7, max_iterations=200)[0] for _ in range(2)]
    assert runs[0] == runs[1]


@settings(max_examples=15, deadline=None)
@given(
    locations=st.lists(st.integers(1, 7), min_size=1, max_size=6),
    window_ends=st.lists(st.integers(50, 400), min_size=6, max_size=6),
    capacity=st.integers(3, 10),
)
def test_every_returned_plan_passes_the_checker(locations, window_ends, capacity):
    """Whatever small problem PyVRP accepts, its plan is feasible for the independent checker,
    or it raises SolverFailedError; it never returns a broken plan."""
    stops = tuple(
        stop(f"s{i}", loc, demands=(2,), time_windows=(TimeWindow(0, window_ends[i]),))
        for i, loc in enumerate(locations)
    )
    p = problem(
        stops,
        vehicles=(vehicle("a", capacities=(capacity,)), vehicle("b", capacities=(capacity,))),
        dimensions=("volume",),
    )
    _assert_checked_or_failed(p)


def _windows_problem():
    stops = tuple(stop(f"s{i}", i, time_windows=(TimeWindow(0, 400),)) for i in range(1, 8))
    return problem(stops, vehicles=(vehicle("a"), vehicle("b")), n_locations=8)


def test_engine_result_is_feasible_without_bound_with_phase_timings():
    """PyvrpEngine.solve answers an EngineResult: engine "pyvrp", FEASIBLE (PyVRP proves
    nothing, so no bound), and seconds for building the data, searching and finishing."""
    p = _windows_problem()
    result = pyvrp_engine.PyvrpEngine().solve(
        p, Deadline.after(BUDGET), EngineOptions(seed=1, settings={"max_iterations": 50})
    )
    assert result.engine == "pyvrp"
    assert result.status is Status.FEASIBLE
    assert result.bound is None
    assert list(result.timings) == ["build", "search", "finish"]
    assert evaluate(p, result.plan).feasible


def test_deterministic_mode_is_the_documented_iteration_limit():
    """Deterministic mode stops after DETERMINISTIC_ITERATIONS: the same plan as that limit set
    explicitly, whatever the clock does."""
    p = _windows_problem()
    engine = pyvrp_engine.PyvrpEngine()
    deterministic = engine.solve(p, Deadline.after(30), EngineOptions(seed=4, deterministic=True))
    expected, _ = _run(p, 30, seed=4, max_iterations=pyvrp_engine.DETERMINISTIC_ITERATIONS)
    assert deterministic.plan == expected


def test_engine_honours_exclusions_and_declines_like_the_function():
    """Excluded stops are neither routed nor reported by the engine (the caller reports them),
    and ``unsupported`` is ``unsupported_features`` for the stops left (a limit of one stop
    binds with two stops to serve, not with one)."""
    p = _windows_problem()
    result = pyvrp_engine.PyvrpEngine().solve(
        p, Deadline.after(BUDGET), EngineOptions(exclude=frozenset({0, 3}), deterministic=True)
    )
    routed = {v.ref for r in result.plan.routes for v in r.visits if v.kind is VisitKind.STOP}
    assert routed == {1, 2, 4, 5, 6}
    assert not set(result.plan.skipped) & {0, 3}
    engine = pyvrp_engine.PyvrpEngine()
    assert engine.family is SolverFamily.PYVRP
    limited = problem((stop("s1", 2), stop("s2", 3)), vehicles=(vehicle("a", max_stops=1),))
    assert engine.unsupported(limited, frozenset()) == pyvrp_engine.unsupported_features(limited)
    assert engine.unsupported(limited, frozenset()) != []
    assert engine.unsupported(limited, frozenset({0})) == []
