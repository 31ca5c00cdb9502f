"""The routing portfolio entry point: engine order, fallback, pre-check reasons, checked results."""

from __future__ import annotations

from pathlib import Path

import pytest
from checker_cases import problem, stop, vehicle
from checker_cases import route as route_of

from benchmarks.readers.vrptw import read_vrptw
from benchmarks.readers.waste import read_waste
from benchmarks.suites import default_bench_dir
from dispatch.wire.routing import problem_from_request
from solvers.budget import Deadline
from solvers.routing.checker import evaluate
from solvers.routing.engine import EngineOptions, EngineResult
from solvers.routing.engine_choice import INSERTION_COMPANION_UP_TO, ortools_companion
from solvers.routing.engines.construct import greedy_plan
from solvers.routing.engines.ortools import CONSTRUCT_ONLY_ABOVE, OrtoolsEngine, OrtoolsSettings
from solvers.routing.plan import RoutingPlan, SkipReason, VisitKind
from solvers.routing.portfolio import Portfolio, RoutingOptions
from solvers.routing.problem import Break, Facility, RoutingProblem, TimeWindow
from solvers.routing.solve import solve, solve_checked
from solvers.status import SolverFamily, Status

BENCH = default_bench_dir()  # DISPATCH_BENCH_DIR, else ../shared/bench, as the benchmarks read it


def _sanitation_example() -> RoutingProblem:
    from google.protobuf import json_format

    from dispatch._proto.dispatch.v1 import routing_pb2

    root = Path(__file__).resolve().parents[3]
    request = json_format.Parse(
        (root / "examples" / "sanitation.json").read_text(), routing_pb2.PlanRoutesRequest()
    )
    return problem_from_request(request)


def test_report_carries_the_checkers_objective() -> None:
    """Objective and terms come from the checker; OR-Tools never claims OPTIMAL."""
    p = problem(
        (stop("a", 1), stop("b", 3)), vehicles=(vehicle(cost_per_hour=36.0, fixed_cost=10.0),)
    )
    plan, report = solve(p, Deadline.after(1.0))
    evaluation = evaluate(p, plan)
    assert report.family is SolverFamily.ORTOOLS
    assert report.status is Status.FEASIBLE
    assert report.objective == pytest.approx(evaluation.cost)
    assert report.objective_terms == pytest.approx(evaluation.cost_terms)
    assert report.objective == pytest.approx(10.6)
    assert report.fallback_reason == ""


def test_stop_nobody_can_serve_is_reported_with_its_reason() -> None:
    """A job needing a skill no crew has is left out of the model and reported as such."""
    p = problem((stop("weld", 2, required_skills=frozenset({"weld"})), stop("ok", 1)))
    outcome = solve_checked(p, Deadline.after(1.0))
    assert outcome.plan.skipped == {0: SkipReason.NO_VEHICLE_WITH_SKILLS}
    assert outcome.evaluation.served == frozenset({1})


def _crews_with_lunches_in_different_windows(stops) -> RoutingProblem:
    """Two crews whose lunch windows differ: one clock cannot cut both out, so PyVRP declines."""
    early, late = Break("lunch", TimeWindow(0, 100), 10), Break("lunch", TimeWindow(200, 300), 10)
    crews = (vehicle("a", breaks=(early,)), vehicle("b", breaks=(late,)))
    return problem(stops, vehicles=crews)


def test_declined_engine_falls_back_and_says_why() -> None:
    """PyVRP cannot model lunches whose windows differ between crews: asking for it yields an
    OR-Tools plan and the reason."""
    p = _crews_with_lunches_in_different_windows((stop("a", 1), stop("b", 2)))
    outcome = solve_checked(p, Deadline.after(2.0), RoutingOptions(solver=SolverFamily.PYVRP))
    assert outcome.report.family is SolverFamily.ORTOOLS
    assert "pyvrp" in outcome.report.fallback_reason
    assert outcome.evaluation.feasible


def test_auto_puts_a_differently_tuned_ortools_beside_when_pyvrp_cannot_model() -> None:
    """With lunches in different windows (beyond PyVRP), AUTO's second core runs OR-Tools with
    other settings than the worker's own search; the answer is a checked OR-Tools plan."""
    p = _crews_with_lunches_in_different_windows(tuple(stop(f"s{i}", i) for i in range(1, 6)))
    beside = Portfolio(p, Deadline.after(3.0))._start_second_core()
    assert beside is not None and beside.family is SolverFamily.ORTOOLS
    beside.cancel()
    outcome = solve_checked(p, Deadline.after(3.0))
    assert outcome.report.family is SolverFamily.ORTOOLS
    assert outcome.evaluation.feasible


def test_the_answer_says_why_pyvrp_was_not_run() -> None:
    """A request PyVRP cannot model says so in the strategy of its answer, with the reason."""
    p = _crews_with_lunches_in_different_windows(tuple(stop(f"s{i}", i) for i in range(1, 6)))
    outcome = solve_checked(p, Deadline.after(3.0))
    assert "PyVRP not run" in outcome.report.strategy
    assert "start windows differ between vehicles" in outcome.report.strategy


def test_disposal_trips_go_to_pyvrp_only_when_its_trip_limits_keep_the_load() -> None:
    """PyVRP takes the second core for disposal trips when its limits on trips keep at least
    80 % of the daily and trip capacity (a day of two truckloads: all of it); a day of 1.4
    truckloads keeps 71 % (as Kim 102_stop), and OR-Tools keeps the second core."""
    stops = tuple(stop(f"s{i}", i, demands=(2,)) for i in range(1, 6))
    dump = (Facility("dump", 6, None, 30),)

    def companion_engine(daily: int) -> SolverFamily:
        truck = vehicle(capacities=(10,), daily_capacities=(daily,))
        p = problem(stops, vehicles=(truck,), facilities=dump, dimensions=("volume",))
        beside = Portfolio(p, Deadline.after(3.0))._start_second_core()
        assert beside is not None
        beside.cancel()
        return beside.family

    assert companion_engine(20) is SolverFamily.PYVRP
    assert companion_engine(14) is SolverFamily.ORTOOLS


def test_constructed_plan_replaces_one_that_drops_mandatory_stops() -> None:
    """A search answer that leaves mandatory stops out (Kim 2100_stop at 60 s: 1060 of 2092)
    is compared with the constructive plan, which serves them all here, and loses to it."""
    p = problem(tuple(stop(f"s{i}", i) for i in range(1, 5)))
    skipped = {i: SkipReason.NO_CAPACITY_LEFT for i in range(2, 4)}
    partial = RoutingPlan(routes=(route_of(0, ("S", 0), ("S", 1)),), skipped=skipped)
    portfolio = Portfolio(p, Deadline.after(1.0))
    portfolio._offer(portfolio._checked(SolverFamily.ORTOOLS, EngineResult(partial, "ortools")))
    assert not portfolio._settled(SolverFamily.GREEDY)
    portfolio._offer(portfolio._attempt(SolverFamily.GREEDY))
    outcome = portfolio.best
    assert outcome is not None
    assert outcome.report.engine == "greedy.construct"
    assert outcome.evaluation.served == frozenset(range(4))
    assert "left 2 stops out" in outcome.report.fallback_reason


def test_a_complete_search_answer_is_kept_without_construction() -> None:
    """When the search serves every mandatory stop, its answer stands as it is."""
    p = problem(tuple(stop(f"s{i}", i) for i in range(1, 3)))
    full = RoutingPlan(routes=(route_of(0, ("S", 0), ("S", 1)),))
    portfolio = Portfolio(p, Deadline.after(1.0))
    portfolio._offer(portfolio._checked(SolverFamily.ORTOOLS, EngineResult(full, "ortools")))
    assert portfolio._settled(SolverFamily.GREEDY)


def test_ortools_companion_differs_in_every_case() -> None:
    """The two OR-Tools searches of the portfolio are configured differently with and without
    facilities, small and large (identical searches would waste the second core)."""
    plain = problem((stop("a", 1),))
    small = problem((stop("a", 1),), facilities=(Facility("dump", 2),))
    middle, large = (
        problem(
            tuple(stop(f"s{i}", 1 + i % 5) for i in range(n)), facilities=(Facility("dump", 2),)
        )
        for n in (CONSTRUCT_ONLY_ABOVE + 1, INSERTION_COMPANION_UP_TO + 1)
    )
    seen = set()
    for p in (plain, small, middle, large):
        there = ortools_companion(p, {})
        assert OrtoolsSettings() != OrtoolsSettings(**there)
        seen.add(tuple(sorted(there.items())))
    assert len(seen) == 4  # each size class has its own companion


def test_progress_reports_improving_solutions() -> None:
    """on_progress sees each improving solution; the last one is the plan returned.

    Its objective leaves out the modelling penalties, so (without breaks, whose placement the
    reader may adjust) the last progress objective is the checker's cost of the answer.
    """
    p = problem(
        tuple(stop(f"s{i}", i) for i in range(1, 7)),
        vehicles=(vehicle(cost_per_hour=36.0), vehicle("v2", cost_per_hour=36.0)),
    )
    seen: list[tuple[float, int, int]] = []
    options = RoutingOptions(solver=SolverFamily.ORTOOLS)
    _, report = solve(
        p,
        Deadline.after(1.0),
        options,
        on_progress=lambda obj, used, n: seen.append((obj, used, n)),
    )
    assert seen
    counts = [n for _, _, n in seen]
    assert counts == sorted(counts)
    assert seen[-1][0] == pytest.approx(report.objective)


@pytest.mark.skipif(not (BENCH / "solomon" / "C101.txt").exists(), reason="no bench data")
def test_solomon_c101_through_the_public_request() -> None:
    """C101 read by the benchmark reader into a PlanRoutesRequest: all 100 customers routed.

    Quality is measured in benchmarks/, not asserted here; this checks the whole path.
    """
    instance = read_vrptw(BENCH / "solomon" / "C101.txt")
    p = problem_from_request(instance.request)
    outcome = solve_checked(p, Deadline.after(2.0))
    assert outcome.evaluation.feasible
    assert len(outcome.evaluation.served) == 100
    assert len(outcome.plan.routes) <= len(p.vehicles)


@pytest.mark.skipif(not (BENCH / "waste" / "102_stop.txt").exists(), reason="no bench data")
def test_kim_waste_instance_unloads_before_returning() -> None:
    """Kim 102_stop (facilities, lunch breaks, trip and daily capacities, max stops).

    Every route ends with an unload, every stop is served or reported, the plan is verified.
    """
    instance = read_waste(BENCH / "waste" / "102_stop.txt")
    p = problem_from_request(instance.request)
    outcome = solve_checked(p, Deadline.after(3.0))
    assert outcome.evaluation.feasible
    for route in outcome.plan.routes:
        non_breaks = [v for v in route.visits if v.kind is not VisitKind.BREAK]
        assert non_breaks[-1].kind is VisitKind.FACILITY
    assert set(outcome.evaluation.served) | set(outcome.plan.skipped) == set(range(len(p.stops)))


def test_auto_runs_pyvrp_beside_ortools_and_keeps_a_checked_optimum() -> None:
    """With a request PyVRP can model and 2 s, AUTO also runs the PyVRP companion.

    Whichever plan is kept, it is checked and (on this line world) optimal: 0-5-0 at 36/h.
    """
    p = problem(
        tuple(stop(f"s{i}", i) for i in (5, 2, 4, 1, 3)),
        vehicles=(vehicle(cost_per_hour=36.0), vehicle("v2", cost_per_hour=36.0)),
    )
    outcome = solve_checked(p, Deadline.after(2.0))
    assert outcome.report.engine in ("ortools.routing", "pyvrp")
    assert outcome.evaluation.feasible
    assert outcome.evaluation.cost == pytest.approx(1.0)


def test_sanitation_example_needs_a_second_trip_and_gets_it() -> None:
    """examples/sanitation.json: 88 660 units of waste, four trucks of 22 000 per trip.

    One trip each cannot carry it all, so a plan serving every stop needs a reload trip; the
    insertion heuristics alone never add one (they skipped a stop here), the constructed start
    does.
    """
    p = _sanitation_example()
    outcome = solve_checked(p, Deadline.after(2.0))
    assert outcome.evaluation.feasible
    assert outcome.evaluation.skipped == frozenset()
    assert max(r.trips for r in outcome.evaluation.routes) >= 2


def test_the_first_checkpoint_serves_the_stops_the_construction_left_out() -> None:
    """The constructed plan of the sanitation example leaves mandatory stops out with trucks
    idle; the first checkpoint (what a late worker's answer falls back on) is that plan
    repaired: every stop served, verified, and labelled as repaired."""
    p = _sanitation_example()
    assert greedy_plan(p).skipped  # the construction alone falls short
    checkpoints = []
    options = RoutingOptions(solver=SolverFamily.GREEDY)
    solve_checked(p, Deadline.after(5.0), options, on_checkpoint=checkpoints.append)
    first = checkpoints[0]
    assert first.evaluation.feasible and first.evaluation.skipped == frozenset()
    assert "repair" in first.report.strategy


def test_the_constructive_fallback_answers_with_the_first_checkpoints_plan(monkeypatch) -> None:
    """When the constructive fallback's turn comes, the construction made (and repaired) for
    the first checkpoint is the answer: it is not constructed again after the engines spent
    the time, when only the repair's minimum is left."""
    import solvers.routing.portfolio as portfolio_module

    built = []
    original = portfolio_module.engine_for

    def counting(family):
        engine = original(family)
        if family is SolverFamily.GREEDY:
            solve_once = engine.solve

            def solve(*args, **kwargs):
                built.append(family)
                return solve_once(*args, **kwargs)

            engine.solve = solve
        return engine

    monkeypatch.setattr(portfolio_module, "engine_for", counting)
    p = _sanitation_example()
    checkpoints: list = []
    options = RoutingOptions(solver=SolverFamily.GREEDY)
    answer = solve_checked(p, Deadline.after(5.0), options, on_checkpoint=checkpoints.append)
    assert len(built) == 1
    assert answer.plan == checkpoints[0].plan and answer.evaluation.skipped == frozenset()


def test_ortools_searches_from_a_repaired_constructed_start() -> None:
    """The construction leaves mandatory stops of the sanitation example out; OR-Tools'
    constructed start is repaired before the search, so every plan of that search, from the
    first on, serves every stop."""
    p = _sanitation_example()
    assert greedy_plan(p).skipped
    seen: list = []
    settings = {"plan_every": 0.0, "start": "construct"}
    options = EngineOptions(on_solution=seen.append, settings=settings)
    OrtoolsEngine().solve(p, Deadline.after(10.0), options)
    assert seen and all(evaluate(p, i.plan).skipped == frozenset() for i in seen)


def test_an_answer_from_a_fallback_engine_is_flagged_degraded() -> None:
    """Asked for MILP on a request with a driver break (MILP declines breaks), OR-Tools answers;
    the report says the answer is degraded and why, not only in fallback_reason."""
    brk = Break("lunch", TimeWindow(0, 100), 10)
    p = problem(tuple(stop(f"s{i}", i) for i in range(1, 4)), vehicles=(vehicle(breaks=(brk,)),))
    outcome = solve_checked(p, Deadline.after(5.0), RoutingOptions(solver=SolverFamily.MILP))
    assert outcome.report.family is SolverFamily.ORTOOLS
    assert outcome.report.degraded
    assert "fallback" in outcome.report.degraded_reason


def test_a_plan_leaving_out_servable_mandatory_stops_is_flagged_degraded() -> None:
    """A verified plan that skips mandatory stops no pre-check ruled out is flagged degraded
    with the count, so a caller never mistakes it for a full plan."""
    p = problem(tuple(stop(f"s{i}", i) for i in range(1, 5)))
    skipped = {i: SkipReason.NO_CAPACITY_LEFT for i in range(2, 4)}
    partial = RoutingPlan(routes=(route_of(0, ("S", 0), ("S", 1)),), skipped=skipped)
    portfolio = Portfolio(p, Deadline.after(1.0))
    outcome = portfolio._checked(SolverFamily.ORTOOLS, EngineResult(partial, "ortools"))
    assert outcome is not None
    flagged = portfolio._flagged(outcome)
    assert flagged.report.degraded
    assert "2 mandatory stops" in flagged.report.degraded_reason


def test_a_full_plan_from_the_first_engine_is_not_degraded() -> None:
    """The ordinary answer carries no degraded flag."""
    p = problem((stop("a", 1), stop("b", 3)))
    outcome = solve_checked(p, Deadline.after(1.0))
    assert not outcome.report.degraded
    assert outcome.report.degraded_reason == ""
