"""The city suite: generator, VROOM converter, row scoring and a smoke run through the CLI.

Instances are generated, not read from ../shared/bench, so nothing here is skipped for a missing
instance folder; the VROOM tests need pyvroom (the ``.[bench]`` extra).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from benchmarks.city import generate
from benchmarks.city.run import score_city
from benchmarks.harness import read_rows
from benchmarks.problem import service_check
from benchmarks.scoring import RouteSeq, check_plan
from dispatch.wire import matrices

SMALL = "city-maint-20-1"


def _durations(request) -> np.ndarray:
    n = len(request.location_ids)
    return matrices.durations(request.travel, n, n)


def test_same_name_same_request_every_time():
    """The suite promises identical instances to every engineer and run: the generator is
    seeded from the name alone, so two builds must give byte-identical requests."""
    for name in ("city-maint-100-1", "city-san-100-2"):
        a, b = generate.build(name), generate.build(name)
        assert a.request.SerializeToString() == b.request.SerializeToString()
        assert np.array_equal(a.coords, b.coords)
    other = generate.build("city-maint-100-2")
    assert other.request.SerializeToString() != generate.build("city-maint-100-1").request


def test_suite_has_both_variants_at_every_size():
    """The issue asks for 100, 200 and 400 stops, both variants, at least 3 per size."""
    names = generate.names()
    assert len(names) >= 9
    for size in generate.SIZES:
        at_size = [n for n in names if n.split("-")[2] == str(size)]
        assert len(at_size) >= 3
        assert {n.split("-")[1] for n in at_size} == {"maint", "san"}
    assert generate.names("city-san-4*") == ["city-san-400-1", "city-san-400-2"]
    assert generate.names("city-maint-20-1") == ["city-maint-20-1"]


def test_maintenance_has_the_promised_features():
    """Skills (2-3 types, every one covered by a crew), ~40 % two-window stops, optional work,
    a 30-45 min lunch starting 11:30-13:30, 8-10 h shifts, two yards: what VROOM models and
    the public suites lack."""
    for index, n_skills in ((1, 3), (2, 2)):
        request = generate.build(f"city-maint-100-{index}").request
        needed = {x for s in request.stops for x in s.required_skills}
        crews = {x for v in request.vehicles for x in v.skills}
        assert len(needed) == n_skills and needed <= crews
        assert all(len(s.required_skills) == 1 for s in request.stops)
        two = sum(1 for s in request.stops if len(s.time_windows) == 2) / len(request.stops)
        assert 0.35 <= two <= 0.45
        assert 0 < sum(1 for s in request.stops if s.optional) < len(request.stops)
        assert all(600 <= s.service_duration <= 2700 for s in request.stops)
        assert len({v.start_location_id for v in request.vehicles}) == 2
        for v in request.vehicles:
            assert 8 * 3600 <= v.shift.end - v.shift.start <= 10 * 3600
            (lunch,) = v.breaks
            assert 1800 <= lunch.duration <= 2700
            assert (lunch.start_window.start, lunch.start_window.end) == (41400, 48600)


def test_sanitation_has_capacities_disposal_sites_and_breaks():
    """Trucks with a capacity too small for the day (so disposal trips are needed), one or two
    tips with opening hours and unload times, demands, lunch breaks and 8-10 h shifts."""
    for name, tips in (("city-san-100-1", 1), ("city-san-200-1", 2)):
        request = generate.build(name).request
        assert len(request.facilities) == tips
        assert all(f.HasField("opening") and f.unload_duration > 0 for f in request.facilities)
        capacity = request.vehicles[0].capacities[0]
        assert sum(s.demands[0] for s in request.stops) > capacity
        assert all(v.breaks and v.capacities for v in request.vehicles)
        assert all(8 * 3600 <= v.shift.end - v.shift.start <= 10 * 3600 for v in request.vehicles)


def test_travel_times_are_asymmetric_shortest_paths():
    """Road-like times: most arcs differ by direction, and the closure makes them shortest
    paths, so the triangle inequality holds exactly in the integer seconds solvers see."""
    t = _durations(generate.build("city-maint-100-1").request)
    assert (t != t.T).mean() > 0.5
    assert np.all(np.diag(t) == 0) and t[~np.eye(len(t), dtype=bool)].min() > 0
    via = (t[:, :, None] + t[None, :, :]).min(axis=1)
    assert np.all(t <= via)


def test_vroom_plan_passes_both_checkers():
    """The converter is exact (skills, two windows, breaks, two yards), so VROOM's plan must
    pass the service's checker and the harness's contract check without relaxation."""
    pytest.importorskip("vroom")
    from benchmarks.city import vroom_peer

    request = generate.build(SMALL).request
    answer = vroom_peer.solve(request, 1.0)
    routes = [RouteSeq.from_json(r) for r in answer["routes"]]
    assert routes and any(kind == "BREAK" for r in routes for kind, _ in r.visits)
    assert service_check(request, routes) == []
    assert check_plan(request, routes) == []


def test_vroom_declines_disposal_trips():
    """VROOM has no reload/disposal trips: the converter says so rather than relax them."""
    pytest.importorskip("vroom")
    from benchmarks.city import vroom_peer
    from benchmarks.runners import Unsupported

    with pytest.raises(Unsupported, match="declined: disposal trips"):
        vroom_peer.to_input(generate.build("city-san-20-1").request)


def test_rows_count_left_out_stops_and_late_answers():
    """A plan that leaves a mandatory stop out is not complete (so it never wins on travel),
    and an answer after budget + 0.5 s is late: the two goals the rows must show."""
    instance = generate.build(SMALL)
    request = instance.request
    dropped = next(s.id for s in request.stops if not s.optional)
    by_crew: dict[str, list] = {}
    for stop in request.stops:
        if stop.id != dropped:
            crew = next(v for v in request.vehicles if set(stop.required_skills) <= set(v.skills))
            by_crew.setdefault(crew.id, []).append(["STOP", stop.id])
    routes = [{"vehicle": k, "visits": v} for k, v in by_crew.items()]
    row = score_city(
        instance, "test", 1, 2.0, {"routes": routes, "status": "FEASIBLE", "wall": 2.6}
    )
    assert row["mandatory_skipped"] == 1
    assert row["vehicles"] == len(routes)
    assert not row["solved"] and row["late"]
    on_time = score_city(
        instance, "test", 1, 2.0, {"routes": routes, "status": "FEASIBLE", "wall": 2.4}
    )
    assert not on_time["late"]


def test_smoke_run_and_report(tmp_path: Path):
    """One small instance, 2 s per engine, through the CLI: one row per engine, PyVRP modelling
    the maintenance features (skills, two windows, lunches), every plan valid, and city.md
    written by ``report``."""
    pytest.importorskip("vroom")
    from benchmarks.cli import main

    out = tmp_path / "city"
    argv = ["run", "city", "--instances", SMALL, "--budget", "2", "--seed", "1"]
    argv += ["--solvers", "auto,ortools,pyvrp,vroom", "--out", str(out), "--no-progress"]
    assert main(argv) == 0
    rows = {r["solver"]: r for r in read_rows(out)}
    assert set(rows) == {"auto", "ortools", "pyvrp", "vroom"}
    assert rows["vroom"]["solved"] and rows["vroom"]["travel_s"] > 0
    for solver in ("auto", "ortools", "pyvrp"):
        assert rows[solver]["status"] in ("FEASIBLE", "OPTIMAL"), rows[solver].get("error")
        assert rows[solver]["check_problems"] == []
    assert main(["report", str(out)]) == 0
    text = (out / "city.md").read_text()
    assert "auto vs vroom" in text and SMALL in text
