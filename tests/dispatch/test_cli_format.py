"""``--format json|table|summary|geojson`` of ``dispatch solve`` and ``dispatch call``, run as a
real subprocess against real solvers and a real server (the printed text is the contract)."""

from __future__ import annotations

import json
import re

from test_cli import EXAMPLES, dispatch, example, write_json


def _quick(name: str, solver: str = "") -> dict:
    """An example with a 1 s budget (and a fixed engine when given), to keep solves short."""
    document = example(name)
    document["options"]["time_budget"] = "1s"
    if solver:
        document["options"]["solver"] = solver
    return document


def test_json_prints_zero_values_and_enum_names(tmp_path):
    """Zero values appear (``units_reassigned: 0``, ``degraded: false``); enums are names."""
    path = write_json(tmp_path / "e.json", _quick("emergency"))
    result = dispatch("solve", path, "--format", "json")
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["kpis"]["units_reassigned"] == 0
    assert answer["solve_info"]["degraded"] is False
    assert answer["solve_info"]["fallback_reason"] == ""
    assert answer["solve_info"]["solver"] == "SCIPY"
    assert answer["reassignments"] == []


def test_routing_table_has_one_row_per_route_with_clock_times(tmp_path):
    """Each route is one row: vehicle, stops, start and end as HH:MM from horizon_start."""
    # The table and the JSON come from two solves: deterministic mode (with time to spare)
    # makes them the same plan, as the greedy repair is otherwise cut short by the clock.
    document = _quick("sanitation", solver="GREEDY")
    document["options"].update(deterministic=True, time_budget="10s")
    path = write_json(tmp_path / "s.json", document)
    answer = json.loads(dispatch("solve", path).stdout)
    result = dispatch("solve", path, "--format", "table")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "(times in UTC, from 2026-03-14 21:00)" in lines
    header = next(line for line in lines if line.startswith("vehicle"))
    assert header.split() == [
        "vehicle", "stops", "start", "end", "duration", "travel", "load", "trips", "cost"
    ]  # fmt: skip
    for route in answer["routes"]:
        row = next(line for line in lines if line.startswith(route["vehicle_id"] + " "))
        cells = row.split()
        assert int(cells[1]) == route["totals"]["stops"]
        assert re.fullmatch(r"\d\d:\d\d(\+\dd)?", cells[2]) and re.fullmatch(
            r"\d\d:\d\d(\+\dd)?", cells[3]
        )
        assert "volume_l" in row and "weight_kg" in row


def test_table_clock_follows_tz(tmp_path):
    """``--tz Europe/Berlin`` shows the night shift from 22:00 local, as the label says."""
    path = write_json(tmp_path / "s.json", _quick("sanitation", solver="GREEDY"))
    result = dispatch("solve", path, "--format", "table", "--tz", "Europe/Berlin")
    assert result.returncode == 0, result.stderr
    assert "(times in Europe/Berlin, from 2026-03-14 22:00)" in result.stdout


def test_table_without_horizon_counts_from_midnight(tmp_path):
    """No horizon_start: offsets are shown as a clock from 00:00 (3600 s reads 01:00)."""
    document = _quick("maintenance", solver="GREEDY")
    del document["horizon_start"]
    result = dispatch("solve", write_json(tmp_path / "m.json", document), "--format", "table")
    assert result.returncode == 0, result.stderr
    assert "clock times count from 00:00" in result.stdout
    starts = {line.split()[2] for line in result.stdout.splitlines() if line.startswith("crew-")}
    assert starts and all(re.fullmatch(r"0\d:\d\d", s) for s in starts), starts


def test_summary_names_engine_status_objective_and_skips(tmp_path):
    """The summary's few lines: engine and status, degraded, objective, vehicles, skipped."""
    path = write_json(tmp_path / "m.json", _quick("maintenance", solver="GREEDY"))
    answer = json.loads(dispatch("solve", path).stdout)
    result = dispatch("solve", path, "--format", "summary")
    assert result.returncode == 0, result.stderr
    heads = [line.split(":", 1)[0] for line in result.stdout.splitlines()]
    assert heads == ["engine", "degraded", "objective", "vehicles", "stops", "skipped"]
    assert answer["solve_info"]["engine"] in result.stdout
    assert answer["solve_info"]["status"] in result.stdout
    for skipped in answer["skipped_stops"]:
        assert skipped["reason"] in result.stdout


def test_emergency_table_lists_every_incident(tmp_path):
    """The emergency sheet: one row per incident with its units' ETAs, then ETAs by priority."""
    document = _quick("emergency")
    result = dispatch("solve", write_json(tmp_path / "e.json", document), "--format", "table")
    assert result.returncode == 0, result.stderr
    for incident in document["incidents"]:
        assert re.search(rf"^{incident['id']}\s+P{incident['priority']}\s", result.stdout, re.M)
    assert re.search(r"^P1\s+\d+\s+\d+", result.stdout, re.M)


def test_call_prints_summary_from_server(server, tmp_path):
    """``call --format summary`` formats the server's answer the same way as ``solve``."""
    path = write_json(tmp_path / "e.json", _quick("emergency"))
    result = dispatch("call", "AssignUnits", path, "--target", server.target, "--format", "summary")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("engine:")
    assert "fully staffed" in result.stdout and "unfilled:" in result.stdout


def test_geojson_of_an_assignment_is_rfc7946(tmp_path):
    """A FeatureCollection of Points and LineStrings, positions [lon, lat], no crs member."""
    document = _quick("emergency")
    result = dispatch("solve", write_json(tmp_path / "e.json", document), "--format", "geojson")
    assert result.returncode == 0, result.stderr
    collection = json.loads(result.stdout)
    assert collection["type"] == "FeatureCollection" and "crs" not in collection
    kinds = {f["properties"]["kind"] for f in collection["features"]}
    assert kinds == {"incident", "unit", "assignment"}
    for feature in collection["features"]:
        geometry = feature["geometry"]
        positions = geometry["coordinates"]
        positions = [positions] if geometry["type"] == "Point" else positions
        assert geometry["type"] in {"Point", "LineString"}
        assert all(-180 <= lon <= 180 and -90 <= lat <= 90 for lon, lat in positions)
    unit = document["units"][0]
    point = next(f for f in collection["features"] if f["properties"].get("id") == unit["id"])
    assert point["geometry"]["coordinates"] == [
        unit["position"]["longitude"],
        unit["position"]["latitude"],
    ]


def test_geojson_without_coordinates_is_a_usage_error(tmp_path):
    """No coordinates in the request: exit 2 before solving, naming the field to fill."""
    document = _quick("sanitation")
    del document["location_coordinates"]
    result = dispatch("solve", write_json(tmp_path / "s.json", document), "--format", "geojson")
    assert result.returncode == 2
    assert "location_coordinates" in result.stderr
    assert result.stdout == ""


def test_unknown_format_is_a_usage_error():
    """An unknown ``--format`` is refused by the parser (exit 2) with the choices."""
    result = dispatch("solve", str(EXAMPLES / "emergency.json"), "--format", "xml")
    assert result.returncode == 2
    assert "table" in result.stderr and "summary" in result.stderr
