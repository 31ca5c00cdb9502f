"""Independent scoring: published solutions reproduce their BKS exactly; broken plans are caught
by both the benchmark check and the service checker."""

from __future__ import annotations

import itertools
import math

import pytest

from benchmarks.problem import service_check
from benchmarks.readers import Convention, read_cvrplib, read_vrptw, read_waste
from benchmarks.readers.cvrplib import read_solution_routes
from benchmarks.scoring import RouteSeq, check_plan, convention_objective, gap_percent, score


def _as_routes(instance, sequences: list[list[str]]) -> list[RouteSeq]:
    vehicles = instance.request.vehicles
    return [
        RouteSeq(vehicles[k].id, tuple(("STOP", s) for s in seq)) for k, seq in enumerate(sequences)
    ]


@pytest.mark.parametrize("name", ["X-n101-k25", "X-n148-k46", "X-n303-k21"])
def test_cvrplib_solutions_reproduce_their_cost(bench_dir, name):
    """A published optimal .sol scores exactly its BKS and passes both checkers."""
    instance = read_cvrplib(bench_dir / "cvrplib" / f"{name}.vrp")
    routes = _as_routes(instance, read_solution_routes(bench_dir / "cvrplib" / f"{name}.sol"))
    result = score(instance, routes)
    assert result.feasible, result.problems[:3]
    assert service_check(instance.request, routes) == []
    assert result.objective == instance.bks_objective
    assert result.vehicles == instance.bks_vehicles


@pytest.mark.parametrize("name", ["R1_10_1", "RC2_10_1"])
def test_dimacs_solutions_reproduce_their_distance(bench_dir, name):
    """1000-customer DIMACS solutions are feasible under our x10 windows and score their BKS."""
    instance = read_vrptw(bench_dir / "homberger1000" / f"{name}.txt")
    sol = bench_dir / "homberger1000" / f"{name}.dimacs.sol"
    routes = _as_routes(instance, read_solution_routes(sol))
    result = score(instance, routes)
    assert result.feasible, result.problems[:3]
    assert service_check(instance.request, routes) == []
    assert result.objective == pytest.approx(instance.bks_objective)


def test_reversed_time_window_route_is_rejected_by_both_checkers(bench_dir):
    """Reversing a tight-window route makes service late: both checkers must say so."""
    instance = read_vrptw(bench_dir / "homberger1000" / "R1_10_1.txt")
    routes = _as_routes(
        instance, read_solution_routes(bench_dir / "homberger1000" / "R1_10_1.dimacs.sol")
    )
    routes[0] = RouteSeq(routes[0].vehicle_id, routes[0].visits[::-1])
    assert any("after its windows" in p for p in check_plan(instance.request, routes))
    assert any(p.startswith("TIME_WINDOW") for p in service_check(instance.request, routes))


def test_merged_routes_break_capacity(bench_dir):
    """Two CVRP routes merged into one exceed the capacity."""
    instance = read_cvrplib(bench_dir / "cvrplib" / "X-n101-k25.vrp")
    sequences = read_solution_routes(bench_dir / "cvrplib" / "X-n101-k25.sol")
    merged = [sequences[0] + sequences[1], *sequences[2:]]
    problems = check_plan(instance.request, _as_routes(instance, merged))
    assert any("capacity" in p for p in problems)
    service = service_check(instance.request, _as_routes(instance, merged))
    assert any(p.startswith("CAPACITY") for p in service)


def test_missing_and_duplicate_stops_are_reported(bench_dir):
    """Dropping one stop and repeating another are both hard errors."""
    instance = read_cvrplib(bench_dir / "cvrplib" / "X-n101-k25.vrp")
    sequences = read_solution_routes(bench_dir / "cvrplib" / "X-n101-k25.sol")
    dropped = sequences[0][0]
    sequences[0] = sequences[0][1:]
    sequences[1] = [*sequences[1], sequences[2][0]]
    problems = check_plan(instance.request, _as_routes(instance, sequences))
    assert f"stop {dropped} not served" in problems
    assert any("visited 2 times" in p for p in problems)


def test_sintef_objective_is_double_precision_distance(bench_dir):
    """SINTEF scores the exact Euclidean length, not the request's rounded integers."""
    instance = read_vrptw(bench_dir / "solomon" / "R101.txt", Convention.SINTEF)
    route = [RouteSeq(instance.request.vehicles[0].id, (("STOP", "c1"),))]
    assert convention_objective(instance, route) == pytest.approx(2 * math.sqrt(36 + 196))


def test_dimacs_objective_truncates_each_arc(bench_dir):
    """DIMACS sums floor(10 x arc) / 10 per arc, so 2 x 15.23 scores 30.4, not 30.5."""
    instance = read_vrptw(bench_dir / "solomon" / "R101.txt")
    route = [RouteSeq(instance.request.vehicles[0].id, (("STOP", "c1"),))]
    assert convention_objective(instance, route) == pytest.approx(30.4)


def _waste_route(instance, visits):
    return [RouteSeq(instance.request.vehicles[0].id, tuple(visits))]


def _route_problems(request, routes) -> list[str]:
    """Problems of the given routes only (the rest of the instance is left unserved on purpose)."""
    return [p for p in check_plan(request, routes) if "not served" not in p]


def _service_route_problems(request, routes) -> list[str]:
    return [p for p in service_check(request, routes) if not p.startswith("MISSING")]


def test_waste_route_with_disposal_is_feasible_and_scored_in_miles(bench_dir):
    """Collect one stop, dump, return before lunch: feasible; miles = Manhattan feet / 5280."""
    instance = read_waste(bench_dir / "waste" / "102_stop.txt")
    routes = _waste_route(instance, [("STOP", "s4"), ("FACILITY", "f1")])
    assert _route_problems(instance.request, routes) == []
    assert _service_route_problems(instance.request, routes) == []
    c = instance.coords
    ids = list(instance.request.location_ids)
    path = [ids.index(x) for x in ("n0", "n4", "n1", "n0")]
    feet = sum(abs(c[a] - c[b]).sum() for a, b in itertools.pairwise(path))
    assert convention_objective(instance, routes) == pytest.approx(feet / 5280)


def test_waste_route_without_disposal_is_rejected(bench_dir):
    """A truck that collected must unload before going home: both checkers agree."""
    instance = read_waste(bench_dir / "waste" / "102_stop.txt")
    routes = _waste_route(instance, [("STOP", "s4")])
    assert any("returns loaded" in p for p in check_plan(instance.request, routes))
    assert any(p.startswith("DISPOSAL_BEFORE_END") for p in service_check(instance.request, routes))


def test_waste_lunch_listed_first_is_taken_at_eleven(bench_dir):
    """A break listed before the first stop is taken when its window opens: feasible."""
    instance = read_waste(bench_dir / "waste" / "102_stop.txt")
    routes = _waste_route(instance, [("BREAK", "lunch"), ("STOP", "s4"), ("FACILITY", "f1")])
    assert _route_problems(instance.request, routes) == []
    assert _service_route_problems(instance.request, routes) == []


def test_waste_long_route_without_lunch_is_rejected(bench_dir):
    """A truck still out when the lunch window opens must take lunch: both checkers agree."""
    instance = read_waste(bench_dir / "waste" / "102_stop.txt")
    stops = [("STOP", s.id) for s in instance.request.stops[:40]]
    routes = _waste_route(instance, [*stops, ("FACILITY", "f1")])
    assert any("break lunch not taken" in p for p in check_plan(instance.request, routes))
    assert any(p.startswith("BREAK") for p in service_check(instance.request, routes))


def test_gap_percent_is_relative_to_bks():
    """Gap is (objective - BKS) / BKS in percent, unknown when either side is."""
    assert gap_percent(110.0, 100.0) == pytest.approx(10.0)
    assert gap_percent(None, 100.0) is None and gap_percent(1.0, None) is None


def test_route_starting_after_the_lunch_window_owes_no_lunch(bench_dir):
    """A crew that only leaves in the afternoon (its first stop opens at 13:00) needs no lunch
    break: the departure moves to avoid idling at the first stop, as in the service's checker."""
    instance = read_waste(bench_dir / "waste" / "102_stop.txt")
    request = instance.request
    stop = next(s for s in request.stops if s.id == "s4")
    stop.time_windows[0].start = 13 * 3600
    routes = _waste_route(instance, [("STOP", "s4"), ("FACILITY", "f1")])
    assert _route_problems(request, routes) == []
    assert _service_route_problems(request, routes) == []
    stop.time_windows[0].start = 11 * 3600 + 1800  # now the route runs during the window
    assert any("break lunch not taken" in p for p in check_plan(request, routes))
    assert any(p.startswith("BREAK") for p in service_check(request, routes))
