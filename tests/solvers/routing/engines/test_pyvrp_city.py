"""The PyVRP engine on what cities send: skills, several windows per stop, lunch breaks that
differ in length between crews, optional work. Real PyVRP; every plan goes through the checker.

Locations lie on a line, 10 s and 1000 m apart (``checker_cases``).
"""

from __future__ import annotations

import pytest
from checker_cases import problem, stop, vehicle
from hypothesis import given, settings
from hypothesis import strategies as st

from solvers.budget import Deadline
from solvers.errors import SolverFailedError
from solvers.routing.checker import evaluate
from solvers.routing.engine import EngineOptions, solve_alone
from solvers.routing.engines import pyvrp as pyvrp_engine
from solvers.routing.plan import SkipReason, ViolationType, VisitKind
from solvers.routing.problem import Break, TimeWindow

pytest.importorskip("pyvrp")

#: Work limit of every solve here: the plans must not depend on how loaded the machine is.
ITERATIONS = 200


def _solve(p):
    options = EngineOptions(seed=1, settings={"max_iterations": ITERATIONS})
    plan, _ = solve_alone(pyvrp_engine.PyvrpEngine(), p, Deadline.after(60), options)
    return plan, evaluate(p, plan)


def _route_of(plan, vehicle_index):
    return next(r for r in plan.routes if r.vehicle == vehicle_index)


def test_skills_are_respected_where_ignoring_them_would_be_cheaper():
    """The crane job at location 1 is 1 step from crew a's yard (0) but only b (yard 7) has a
    crane: ignoring skills, a would take it for 20 s of driving; PyVRP gives it to b, and the
    checker finds no skill violation."""
    p = problem(
        (stop("crane-job", 1, required_skills=frozenset({"crane"})), stop("plain", 6)),
        vehicles=(
            vehicle("a", start=0, end=0),
            vehicle("b", start=7, end=7, skills=frozenset({"crane"})),
        ),
    )
    assert pyvrp_engine.unsupported_features(p) == []
    plan, evaluation = _solve(p)
    assert evaluation.feasible, evaluation.violations
    assert evaluation.served == frozenset({0, 1})
    assert any(v.ref == 0 for v in _route_of(plan, 1).visits)
    assert not [v for v in evaluation.violations if v.type is ViolationType.SKILLS]


def test_a_stop_at_a_yard_that_only_some_crews_may_serve():
    """A job at crew a's own yard that only b may do gets a location of its own in a's
    routing profile (the yard itself must stay open to a): b serves it, a still goes home."""
    p = problem(
        (stop("at-yard", 0, allowed_vehicles=frozenset({1})), stop("plain", 2)),
        vehicles=(vehicle("a"), vehicle("b", start=3, end=3)),
    )
    plan, evaluation = _solve(p)
    assert evaluation.feasible, evaluation.violations
    assert evaluation.served == frozenset({0, 1})
    assert any(v.ref == 0 for v in _route_of(plan, 1).visits)


def test_two_window_stop_is_served_in_its_second_window_when_the_first_cannot_be_met():
    """Stop at location 3 (30 s away) open [0, 10] or [200, 300]: the morning window closes
    before the crew can arrive, so the afternoon copy is served and read back as the stop."""
    windows = (TimeWindow(0, 10), TimeWindow(200, 300))
    p = problem((stop("two", 3, time_windows=windows), stop("any", 2)))
    _plan, evaluation = _solve(p)
    assert evaluation.feasible, evaluation.violations
    assert evaluation.served == frozenset({0, 1})
    (route,) = evaluation.routes
    served = next(t for t in route.visits if t.kind is VisitKind.STOP and t.ref == 0)
    assert 200 <= served.start <= 300


def test_optional_two_window_stop_is_served_once_for_its_penalty():
    """An optional stop with two windows and a penalty is one optional group: served at most
    once, and served (the penalty outweighs the detour)."""
    windows = (TimeWindow(0, 100), TimeWindow(300, 400))
    p = problem(
        (stop("opt", 5, time_windows=windows, optional=True, skip_penalty=50.0),),
        vehicles=(vehicle(cost_per_km=1.0),),
    )
    plan, evaluation = _solve(p)
    assert evaluation.feasible, evaluation.violations
    assert evaluation.served == frozenset({0})
    assert [v.ref for r in plan.routes for v in r.visits] == [0]


def test_without_rates_optional_work_comes_before_driving():
    """No crew has a rate, so the contract's cost is the skip penalties alone and driving only
    breaks ties: an optional job 70 s away with a penalty of 1 is served, not skipped."""
    p = problem((stop("far", 7, optional=True, skip_penalty=1.0),))
    plan, evaluation = _solve(p)
    assert evaluation.served == frozenset({0})
    assert evaluation.cost_terms["skip_penalty"] == 0.0
    assert plan.skipped == {}


def _lunch(duration: int) -> tuple[Break, ...]:
    return (Break("lunch", TimeWindow(100, 200), duration),)


def test_breaks_of_different_lengths_are_placed_and_the_plan_passes_the_checker():
    """Crews a (30 s lunch) and b (60 s lunch) share the lunch window [100, 200] and work
    through it (jobs before 90 and after 250): the clock cuts out the longer break for both,
    and each route comes back with its own lunch placed where the checker accepts it."""
    early = {"service_duration": 20, "time_windows": (TimeWindow(0, 90),)}
    stops = (
        *(stop(f"x{i}", i, required_skills=frozenset({"x"}), **early) for i in (1, 2)),
        *(stop(f"y{i}", i, required_skills=frozenset({"y"}), **early) for i in (5, 6)),
        stop("late-x", 3, required_skills=frozenset({"x"}), time_windows=(TimeWindow(250, 600),)),
        stop("late-y", 7, required_skills=frozenset({"y"}), time_windows=(TimeWindow(250, 600),)),
    )
    shift = TimeWindow(0, 900)
    p = problem(
        stops,
        vehicles=(
            vehicle("a", skills=frozenset({"x"}), shift=shift, breaks=_lunch(30)),
            vehicle("b", skills=frozenset({"y"}), shift=shift, breaks=_lunch(60)),
        ),
    )
    assert pyvrp_engine.unsupported_features(p) == []
    _plan, evaluation = _solve(p)
    assert evaluation.feasible, evaluation.violations
    assert evaluation.served == frozenset(range(6))
    taken = {r.vehicle: r.break_seconds for r in evaluation.routes}
    assert taken == {0: 30, 1: 60}


def test_breaks_whose_windows_differ_between_crews_are_declined():
    """One clock cannot cut out lunches with different start windows: declined, with a reason."""
    p = problem(
        (stop("s", 2),),
        vehicles=(
            vehicle("a", breaks=(Break("lunch", TimeWindow(100, 200), 30),)),
            vehicle("b", breaks=(Break("lunch", TimeWindow(300, 400), 30),)),
        ),
    )
    assert pyvrp_engine.unsupported_features(p) == [
        "driver breaks whose start windows differ between vehicles"
    ]
    with pytest.raises(SolverFailedError, match="start windows differ"):
        _solve(p)


def test_a_stop_limit_is_declined_only_when_it_can_bind():
    """Without facilities PyVRP counts no stops: a limit of 2 with three stops to serve is
    declined, a limit of 3 restricts nothing and is modelled exactly by leaving it out."""
    stops = tuple(stop(f"s{i}", i) for i in (1, 2, 3))
    binding = problem(stops, vehicles=(vehicle(max_stops=2),))
    assert pyvrp_engine.unsupported_features(binding) == [
        "max stops per vehicle below the stops it may serve (no facilities)"
    ]
    loose = problem(stops, vehicles=(vehicle(max_stops=3),))
    assert pyvrp_engine.unsupported_features(loose) == []


def test_a_stop_no_crew_may_serve_is_left_out_with_its_reason():
    """A job needing a skill nobody has is not in the PyVRP model; the engine reports it as
    NO_VEHICLE_WITH_SKILLS and routes the rest."""
    p = problem((stop("weld", 2, required_skills=frozenset({"weld"})), stop("ok", 1)))
    result = pyvrp_engine.PyvrpEngine().solve(
        p, Deadline.after(60), EngineOptions(deterministic=True)
    )
    assert result.plan.skipped == {0: SkipReason.NO_VEHICLE_WITH_SKILLS}
    assert evaluate(p, result.plan).served == frozenset({1})


def test_the_maintenance_city_of_100_stops_gets_a_plan_without_violations():
    """city-maint-100-1 (benchmarks/city: 2-3 skills, 40 % of stops with two windows, lunches of
    30-45 min in one window, 8-10 h shifts, optional work, two yards) is modelled, and a short
    deterministic PyVRP run gives a plan the checker accepts, serving every mandatory stop."""
    from benchmarks.city import generate
    from dispatch.wire.routing import problem_from_request

    p = problem_from_request(generate.build("city-maint-100-1").request)
    assert pyvrp_engine.unsupported_features(p) == []
    result = pyvrp_engine.PyvrpEngine().solve(
        p, Deadline.after(120), EngineOptions(seed=1, settings={"max_iterations": ITERATIONS})
    )
    evaluation = evaluate(p, result.plan)
    assert evaluation.violations == ()
    mandatory = {i for i, s in enumerate(p.stops) if not s.optional}
    assert mandatory <= evaluation.served


_SKILLS = st.sampled_from([frozenset(), frozenset({"x"}), frozenset({"y"})])


@st.composite
def _city_problems(draw):
    """Up to 6 jobs on the line (the yard at 0 included) with skills, none, one or two
    windows, some optional; 2-3 crews with skills and one lunch in a shared window whose
    length differs between crews."""
    n = draw(st.integers(1, 6))
    stops = []
    for i in range(n):
        kind = draw(st.sampled_from(["none", "one", "two"]))
        first_end = draw(st.integers(20, 400))
        windows = {
            "none": (),
            "one": (TimeWindow(0, first_end),),
            "two": (TimeWindow(0, first_end), TimeWindow(first_end + 50, first_end + 250)),
        }[kind]
        optional = draw(st.booleans())
        stops.append(
            stop(
                f"s{i}",
                draw(st.integers(0, 7)),
                service_duration=draw(st.integers(0, 40)),
                time_windows=windows,
                required_skills=draw(_SKILLS),
                optional=optional,
                skip_penalty=float(draw(st.integers(1, 50))) if optional else 0.0,
            )
        )
    lunch_start = draw(st.integers(0, 300))
    crews = []
    for k in range(draw(st.integers(2, 3))):
        lunch = Break("lunch", TimeWindow(lunch_start, lunch_start + 100), draw(st.integers(0, 60)))
        skills = draw(st.sampled_from([frozenset(), frozenset({"x"}), frozenset({"x", "y"})]))
        crews.append(vehicle(f"c{k}", skills=skills, shift=TimeWindow(0, 900), breaks=(lunch,)))
    return problem(tuple(stops), vehicles=tuple(crews))


@settings(max_examples=25, deadline=None)
@given(_city_problems())
def test_every_plan_for_a_small_city_problem_passes_the_checker(p):
    """Whatever small problem with skills, two windows and lunches of different lengths PyVRP
    gets, it models it, and the plan it returns breaks no rule and accounts for every stop; the
    only other outcome allowed is SolverFailedError (e.g. a mandatory stop nobody can reach)."""
    assert pyvrp_engine.unsupported_features(p) == []
    try:
        plan, evaluation = _solve(p)
    except SolverFailedError:
        return
    assert evaluation.feasible, evaluation.violations
    assert evaluation.served | set(plan.skipped) == set(range(len(p.stops)))
