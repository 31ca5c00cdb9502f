"""The PyVRP engine: what it declines, and that what it returns passes the independent checker."""

from __future__ import annotations

import pytest
from checker_cases import problem, stop, vehicle
from hypothesis import given, settings
from hypothesis import strategies as st

from solvers.budget import Deadline
from solvers.errors import SolverFailedError
from solvers.routing import pyvrp_engine
from solvers.routing.evaluate import evaluate
from solvers.routing.model import Break, Facility, TimeWindow
from solvers.routing.plan import SkipReason

pytest.importorskip("pyvrp")

BUDGET = 0.3


def _solve(p, **kwargs):
    return pyvrp_engine.solve(p, Deadline.after(BUDGET), **kwargs)


def test_declines_breaks():
    """A request with driver breaks is not PyVRP's to solve: it must say so, not drop the break."""
    p = problem(
        (stop("s1", 2),),
        vehicles=(vehicle(breaks=(Break("lunch", TimeWindow(0, 100), 30),)),),
    )
    assert pyvrp_engine.unsupported_features(p) == ["driver breaks"]
    with pytest.raises(SolverFailedError):
        _solve(p)


def test_declines_disposal_facilities():
    """PyVRP has no unload-before-depot rule, so sanitation requests with facilities stay with
    OR-Tools."""
    p = problem((stop("s1", 2),), facilities=(Facility("tip", 5, None, 60),))
    assert "disposal facilities (unload before returning)" in pyvrp_engine.unsupported_features(p)


def test_declines_restrictive_skills_but_not_universal_ones():
    """Skills every vehicle has restrict nothing; skills only some vehicles have are declined."""
    everyone = problem(
        (stop("s1", 2, required_skills=frozenset({"crane"})),),
        vehicles=(
            vehicle("a", skills=frozenset({"crane"})),
            vehicle("b", skills=frozenset({"crane"})),
        ),
    )
    assert pyvrp_engine.unsupported_features(everyone) == []
    some = problem(
        (stop("s1", 2, required_skills=frozenset({"crane"})),),
        vehicles=(vehicle("a", skills=frozenset({"crane"})), vehicle("b")),
    )
    assert pyvrp_engine.unsupported_features(some) == ["skills or allowed vehicles"]


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
    runs = [
        pyvrp_engine.solve(p, Deadline.after(30), seed=7, max_iterations=200)[0] for _ in range(2)
    ]
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
    try:
        plan, _ = pyvrp_engine.solve(p, Deadline.after(5), seed=1, max_iterations=100)
    except SolverFailedError:
        return
    evaluation = evaluate(p, plan)
    assert evaluation.feasible, evaluation.violations
    assert evaluation.served | set(plan.skipped) == set(range(len(stops)))
