"""Readers on the real instance files: shapes, unit conversions, BKS lookup, service validation."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.readers import Convention, read_cvrplib, read_vrptw, read_waste
from benchmarks.suites import ROUTING_SUITES, default_bench_dir
from dispatch.validation import validate_plan_routes
from dispatch.wire import matrices


def _matrix(instance, which: str = "durations") -> np.ndarray:
    n = len(instance.request.location_ids)
    decode = matrices.durations if which == "durations" else matrices.distances
    return decode(instance.request.travel, n, n)


def test_solomon_dimacs_arcs_are_truncated_tenths(bench_dir):
    """DIMACS arcs are floor(10 x euclid) as both seconds and metres, as the optima assume."""
    instance = read_vrptw(bench_dir / "solomon" / "R101.txt")
    assert len(instance.request.stops) == 100 and len(instance.request.vehicles) == 25
    durations, distances = _matrix(instance), _matrix(instance, "distances")
    # depot (35, 35) -> customer 1 (41, 49): sqrt(232) = 15.23 -> 152
    assert durations[0, 1] == 152 and distances[0, 1] == 152
    expected = np.floor(10 * np.hypot(*(instance.coords[:, None] - instance.coords[None]).T))
    assert np.array_equal(durations, expected.T.astype(np.int64))


def test_solomon_dimacs_scales_times_by_ten(bench_dir):
    """Service times, windows and the depot horizon are x10 so they match the arcs' unit."""
    instance = read_vrptw(bench_dir / "solomon" / "R101.txt")
    first = instance.request.stops[0]
    assert (first.id, first.service_duration) == ("c1", 100)
    assert (first.time_windows[0].start, first.time_windows[0].end) == (1610, 1710)
    shift = instance.request.vehicles[0].shift
    assert (shift.start, shift.end) == (0, 2300)
    assert instance.request.vehicles[0].capacities == [200]
    assert instance.bks_objective == pytest.approx(1637.7)


def test_solomon_sintef_durations_never_undercut_exact_travel(bench_dir):
    """SINTEF times are ceil(1000 x euclid): feasible here means feasible in exact arithmetic."""
    instance = read_vrptw(bench_dir / "solomon" / "RC105.txt", Convention.SINTEF)
    exact = 1000 * np.hypot(*(instance.coords[:, None] - instance.coords[None]).T).T
    durations, distances = _matrix(instance), _matrix(instance, "distances")
    assert np.all(durations >= exact - 1e-6) and np.all(durations < exact + 1)
    assert np.all(np.abs(distances - exact) <= 0.5 + 1e-9)
    assert instance.request.objective.mode == instance.request.objective.MIN_VEHICLES_THEN_COST
    assert (instance.bks_vehicles, instance.bks_objective) == (13, pytest.approx(1629.44))


def test_homberger_reads_200_customers_and_dimacs_bks(bench_dir):
    """Homberger uses the Solomon format with 50 vehicles and the DIMACS BKS column."""
    instance = read_vrptw(bench_dir / "homberger" / "C1_2_1.txt")
    assert (instance.name, instance.family) == ("C1_2_1", "C1")
    assert len(instance.request.stops) == 200 and len(instance.request.vehicles) == 50
    assert instance.bks_objective == pytest.approx(2698.6)


def test_cvrplib_fleet_exceeds_minimum_routes(bench_dir):
    """The CVRP fleet is unlimited in the convention, so the request offers k plus slack."""
    instance = read_cvrplib(bench_dir / "cvrplib" / "X-n148-k46.vrp")
    assert len(instance.request.stops) == 147
    assert len(instance.request.vehicles) > instance.bks_vehicles == 47
    assert instance.request.vehicles[0].capacities == [18]
    assert not any(s.time_windows for s in instance.request.stops)


def test_waste_converts_feet_to_seconds_and_metres(bench_dir):
    """Kim's example: 15387 ft -> 2.914 mi -> 262 s at 40 mph, and 4690 m."""
    instance = read_waste(bench_dir / "waste" / "102_stop.txt")
    ids = list(instance.request.location_ids)
    a, b = ids.index("n0"), ids.index("n1")
    assert _matrix(instance)[a, b] == 262
    assert _matrix(instance, "distances")[a, b] == round(15387 * 0.3048)


def test_waste_models_trucks_facilities_and_lunch(bench_dir):
    """Capacities in hundredths of a yard, depot hours as the shift, lunch 11:00-12:00."""
    instance = read_waste(bench_dir / "waste" / "102_stop.txt")
    request = instance.request
    assert (len(request.stops), len(request.facilities)) == (99, 2)
    truck = request.vehicles[0]
    assert (truck.capacities, truck.daily_capacities, truck.max_stops) == ([28000], [40000], 500)
    assert (truck.shift.start, truck.shift.end) == (4 * 3600, 15 * 3600)
    (lunch,) = truck.breaks
    assert (lunch.start_window.start, lunch.start_window.end, lunch.duration) == (
        39600,
        43200,
        3600,
    )
    facility = request.facilities[0]
    assert (facility.unload_duration, facility.opening.end) == (1600, 86400)
    first = request.stops[0]
    assert (first.id, first.demands, first.service_duration) == ("s3", [1200], 180)
    assert len(request.vehicles) == instance.bks_vehicles + 3


@pytest.mark.parametrize(
    ("name", "depots", "customers", "sites"),
    [("335_stop", 1, 330, 4), ("804_stop", 1, 784, 19), ("2100_stop", 1, 2092, 7)],
)
def test_waste_node_counts_match_the_dataset_readme(bench_dir, name, depots, customers, sites):
    """Node counts per type are those the dataset's README states."""
    instance = read_waste(bench_dir / "waste" / f"{name}.txt")
    assert len(instance.request.location_ids) == depots + customers + sites
    assert len(instance.request.stops) == customers
    assert len(instance.request.facilities) == sites


@pytest.mark.parametrize("suite", sorted(ROUTING_SUITES))
def test_reader_output_passes_service_validation(bench_dir, suite):
    """Every suite's requests are valid PlanRoutesRequests for the service (first and last file)."""
    files = ROUTING_SUITES[suite].files(bench_dir)
    assert files, f"no files for {suite}"
    for path in (files[0], files[-1]):
        instance = ROUTING_SUITES[suite].read(path)
        validate_plan_routes(instance.request)
        ids = [s.id for s in instance.request.stops]
        assert len(set(ids)) == len(ids)


def test_suite_counts_match_the_shared_folder(bench_dir):
    """The suites find every instance the shared README lists."""
    counts = {name: len(s.files(bench_dir)) for name, s in ROUTING_SUITES.items()}
    assert counts["solomon"] == 56 and counts["homberger"] == 6
    assert counts["cvrplib"] == 11 and counts["waste"] == 10


def test_bench_dir_follows_environment_variable(monkeypatch, tmp_path):
    """DISPATCH_BENCH_DIR overrides the sibling shared/bench folder."""
    monkeypatch.setenv("DISPATCH_BENCH_DIR", str(tmp_path))
    assert default_bench_dir() == tmp_path


def test_quick_selection_is_small(bench_dir):
    """--quick keeps a few named instances per suite."""
    quick = ROUTING_SUITES["solomon"].files(bench_dir, quick=True)
    assert [p.stem for p in quick] == ["C101", "R101", "RC201"]
    assert len(ROUTING_SUITES["cvrplib"].files(bench_dir, quick=True)) == 1
