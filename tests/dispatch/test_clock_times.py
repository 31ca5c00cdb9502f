"""Clock times: answers echo horizon_start and carry absolute times beside every offset, and the
CLI prints them in the caller's time zone (``--tz``, default the machine's).

The conversion is checked as a property (timestamp - horizon_start == offset, to the nanosecond),
then through the real server on the bundled examples, then through the CLI as a subprocess.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

from google.protobuf import timestamp_pb2
from hypothesis import given
from hypothesis import strategies as st
from test_cli import dispatch, example, write_json

from dispatch._proto.dispatch.v1 import common_pb2, routing_pb2
from dispatch.render.clock import local_zone
from dispatch.wire.clock import at

#: 0001-01-01 .. 9000-01-01: Timestamps stay valid after adding any offset up to 2^31-1 s.
_SECONDS = st.integers(-62_135_596_800, 221_845_392_000)


def _nanos(stamp: timestamp_pb2.Timestamp) -> int:
    return stamp.seconds * 10**9 + stamp.nanos


@given(_SECONDS, st.integers(0, 999_999_999), st.integers(0, 2**31 - 1))
def test_timestamp_minus_horizon_start_is_the_offset(seconds, nanos, offset):
    """For any horizon and any offset the contract allows, the absolute time is exact."""
    horizon = timestamp_pb2.Timestamp(seconds=seconds, nanos=nanos)
    stamp = at(horizon, offset)
    assert stamp is not None
    assert _nanos(stamp) - _nanos(horizon) == offset * 10**9
    assert 0 <= stamp.nanos < 10**9


@given(st.integers(0, 2**31 - 1))
def test_without_a_horizon_there_is_no_absolute_time(offset):
    """A request without horizon_start gets offsets only."""
    assert at(None, offset) is None


def _assert_times_match(routes, horizon: timestamp_pb2.Timestamp) -> None:
    """Every visit's and route's absolute times are horizon + its offsets."""
    base = _nanos(horizon)
    checked = 0
    for route in routes:
        for visit in route.visits:
            for stamp, offset in (
                (visit.arrival_time, visit.arrival),
                (visit.service_start_time, visit.service_start),
                (visit.service_end_time, visit.service_end),
            ):
                assert _nanos(stamp) - base == offset * 10**9
                checked += 1
        assert _nanos(route.start_time) - base == route.visits[0].service_start * 10**9
        assert _nanos(route.end_time) - base == route.visits[-1].arrival * 10**9
    assert checked > 0


def _quick(request: routing_pb2.PlanRoutesRequest) -> routing_pb2.PlanRoutesRequest:
    request.options.time_budget.FromSeconds(2)
    request.options.solver = common_pb2.GREEDY
    return request


def test_plan_routes_answer_echoes_horizon_and_times_every_visit(stub, examples):
    """The sanitation example through the server: breaks, unloads, start and end included."""
    request = _quick(examples["sanitation"])
    answer = stub.PlanRoutes(request, timeout=60)
    assert answer.horizon_start == request.horizon_start
    kinds = {v.kind for r in answer.routes for v in r.visits}
    assert routing_pb2.Visit.BREAK in kinds and routing_pb2.Visit.FACILITY in kinds
    _assert_times_match(answer.routes, answer.horizon_start)


def test_evaluate_plan_answer_echoes_horizon_and_times_every_visit(stub, examples):
    """EvaluatePlan of a plan made by PlanRoutes: the same absolute times."""
    problem = _quick(examples["maintenance"])
    plan = stub.PlanRoutes(problem, timeout=60)
    request = routing_pb2.EvaluatePlanRequest(problem=problem)
    for route in plan.routes:
        request.routes.add(
            vehicle_id=route.vehicle_id,
            visits=[
                routing_pb2.PlannedVisit(kind=v.kind, id=v.id)
                for v in route.visits
                if v.kind not in (routing_pb2.Visit.START, routing_pb2.Visit.END)
            ],
        )
    answer = stub.EvaluatePlan(request, timeout=30)
    assert answer.horizon_start == problem.horizon_start
    _assert_times_match(answer.routes, problem.horizon_start)


def test_a_request_without_horizon_gets_no_absolute_times(stub, examples):
    """No horizon_start: no echo, no timestamps, the offsets as before."""
    request = _quick(examples["maintenance"])
    request.ClearField("horizon_start")
    answer = stub.PlanRoutes(request, timeout=60)
    assert not answer.HasField("horizon_start")
    assert answer.routes
    for route in answer.routes:
        assert not route.HasField("start_time")
        assert not any(v.HasField("service_start_time") for v in route.visits)


def _visit_rows(stdout: str) -> dict[str, list[list[str]]]:
    """vehicle -> the cells of its rows in ``--format visits``, in route order."""
    rows: dict[str, list[list[str]]] = {}
    for line in stdout.splitlines():
        cells = line.split()
        if len(cells) == 7 and cells[1] in ("START", "STOP", "FACILITY", "BREAK", "END"):
            rows.setdefault(cells[0], []).append(cells)
    return rows


def _solve(tmp_path, *args: str, env: dict[str, str] | None = None):
    document = example("sanitation")
    document["options"].update(solver="GREEDY", deterministic=True, time_budget="5s")
    path = write_json(tmp_path / "s.json", document)
    result = dispatch("solve", path, *args, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_cli_visits_show_the_answers_times_in_the_chosen_zone(tmp_path):
    """``--format visits --tz Asia/Tokyo``: each visit's start is horizon + offset in Tokyo
    (the night shift from 21:00 UTC starts at 06:00 there)."""
    answer = json.loads(_solve(tmp_path, "--format", "json"))
    shown = _solve(tmp_path, "--format", "visits", "--tz", "Asia/Tokyo")
    assert "(times in Asia/Tokyo, from 2026-03-15 06:00)" in shown
    rows = _visit_rows(shown)
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")
    horizon = dt.datetime(2026, 3, 14, 21, tzinfo=dt.UTC)
    compared = 0
    for route in answer["routes"]:
        lines = rows[route["vehicle_id"]]
        assert len(lines) == len(route["visits"])
        for visit, cells in zip(route["visits"], lines, strict=True):
            moment = horizon + dt.timedelta(seconds=int(visit["service_start"]))
            stamp = dt.datetime.fromisoformat(visit["service_start_time"].replace("Z", "+00:00"))
            assert stamp == moment
            assert (cells[1], cells[2]) == (visit["kind"], visit["id"])
            assert cells[4] == moment.astimezone(tokyo).strftime("%H:%M")
            compared += 1
    assert compared > 2


def test_cli_clock_defaults_to_the_machines_zone(tmp_path):
    """Without ``--tz`` the table reads the machine's zone (here set by TZ)."""
    shown = _solve(tmp_path, "--format", "table", env={"TZ": "America/New_York"})
    assert "(times in America/New_York, from 2026-03-14 17:00)" in shown


def test_local_zone_follows_tz(monkeypatch):
    """TZ names the zone; UTC's names give UTC itself."""
    monkeypatch.setenv("TZ", "Europe/Berlin")
    assert str(local_zone()) == "Europe/Berlin"
    monkeypatch.setenv("TZ", "Etc/UTC")
    assert local_zone() is dt.UTC
