"""``dispatch jobs result`` and ``jobs get --format``: a job's plan for people, real server."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from test_cli import dispatch

from dispatch import client
from dispatch._proto.dispatch.v1 import common_pb2, jobs_pb2
from dispatch.config import ServerConfig
from dispatch.examples import read_text
from dispatch.server import ServerHandle, start

Job = jobs_pb2.PlanJob


@pytest.fixture(scope="module")
def jobs_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerHandle]:
    """A real server with one job slot and its own store, shared by this module's tests."""
    folder = tmp_path_factory.mktemp("jobs-cli")
    config = ServerConfig(
        address="127.0.0.1:0",
        routing_workers=1,
        job_workers=1,
        store_path=str(Path(folder) / "jobs.sqlite3"),
        grace_seconds=1.0,
    )
    handle = start(config)
    yield handle
    handle.shutdown(grace=0.5)


def submit(handle, request_id: str, seconds: float, solver: int = common_pb2.GREEDY) -> str:
    """Submit the maintenance example as a job; returns its id."""
    request = client.parse_request("PlanRoutes", read_text("maintenance"))
    request.request_id = request_id
    request.options.solver = solver
    request.options.time_budget.FromNanoseconds(int(seconds * 1e9))
    with client.channel(handle.target) as chan:
        job = client.stub(chan).CreatePlanJob(jobs_pb2.CreatePlanJobRequest(request=request))
    return job.job_id


def wait_until(handle, job_id: str, states: tuple[int, ...], timeout: float = 60) -> Job:
    """Poll the job until it is in one of ``states``."""
    ends = time.monotonic() + timeout
    with client.channel(handle.target) as chan:
        while True:
            job = client.stub(chan).GetPlanJob(jobs_pb2.GetPlanJobRequest(job_id=job_id))
            if job.state in states or time.monotonic() > ends:
                return job
            time.sleep(0.1)


@pytest.fixture(scope="module")
def finished(jobs_server) -> str:
    """A SUCCEEDED job (the maintenance example, constructive engine)."""
    job_id = submit(jobs_server, "cli-finished", seconds=2)
    assert wait_until(jobs_server, job_id, (Job.SUCCEEDED,)).state == Job.SUCCEEDED
    return job_id


def test_result_prints_the_plan_as_json(jobs_server, finished):
    """``jobs result`` prints the PlanRoutesResponse itself, zero values included."""
    result = dispatch("jobs", "result", finished, "--target", jobs_server.target)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["request_id"] == "cli-finished"
    assert answer["routes"] and "skipped_stops" in answer
    assert answer["solve_info"]["degraded"] in (True, False)


def test_result_table_uses_the_jobs_clock(jobs_server, finished):
    """The route sheet of a job's plan shows clock times from its request's horizon_start."""
    args = ("jobs", "result", finished, "--target", jobs_server.target, "--format", "table")
    result = dispatch(*args)
    assert result.returncode == 0, result.stderr
    assert "(times in UTC, from 2026-03-16 06:00)" in result.stdout
    assert any(line.startswith("crew-") for line in result.stdout.splitlines())


def test_result_geojson_has_a_line_per_route(jobs_server, finished):
    """GeoJSON of a job's plan: one LineString per route, from the job's coordinates."""
    args = ("jobs", "result", finished, "--target", jobs_server.target, "--format", "geojson")
    result = dispatch(*args)
    assert result.returncode == 0, result.stderr
    collection = json.loads(result.stdout)
    routes = [f for f in collection["features"] if f["properties"]["kind"] == "route"]
    plan = json.loads(dispatch("jobs", "result", finished, "--target", jobs_server.target).stdout)
    assert len(routes) == len(plan["routes"])
    assert all(f["geometry"]["type"] == "LineString" for f in routes)


def test_get_summary_heads_with_the_job(jobs_server, finished):
    """``jobs get --format summary``: the job line, then the plan's summary."""
    args = ("jobs", "get", finished, "--target", jobs_server.target, "--format", "summary")
    result = dispatch(*args)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"job:       {finished}  SUCCEEDED")
    assert any(line.startswith("engine:") for line in lines)
    assert any(line.startswith("skipped:") for line in lines)


def test_get_json_leaves_the_request_out_unless_asked(jobs_server, finished):
    """JSON ``jobs get`` prints every field of the job but not the request (not asked for)."""
    result = dispatch("jobs", "get", finished, "--target", jobs_server.target)
    assert result.returncode == 0, result.stderr
    job = json.loads(result.stdout)
    assert job["state"] == "SUCCEEDED" and job["error_message"] == ""
    assert "request" not in job


def test_result_of_an_unfinished_job_exits_3(jobs_server):
    """A job still queued or running has no plan yet: exit 3 and a pointer to ``jobs watch``."""
    job_id = submit(jobs_server, "cli-running", seconds=30, solver=common_pb2.AUTO)
    try:
        result = dispatch("jobs", "result", job_id, "--target", jobs_server.target)
        assert result.returncode == 3
        assert "no plan yet" in result.stderr and f"dispatch jobs watch {job_id}" in result.stderr
    finally:
        dispatch("jobs", "cancel", job_id, "--target", jobs_server.target)


def test_result_of_a_cancelled_job_exits_4(jobs_server):
    """A cancelled job ends without a plan: exit 4, as ``jobs watch`` does."""
    job_id = submit(jobs_server, "cli-cancelled", seconds=30, solver=common_pb2.AUTO)
    cancelled = dispatch("jobs", "cancel", job_id, "--target", jobs_server.target)
    assert cancelled.returncode == 0, cancelled.stderr
    result = dispatch("jobs", "result", job_id, "--target", jobs_server.target)
    assert result.returncode == 4
    assert "CANCELLED" in result.stderr


def test_result_of_an_unknown_job_exits_3(jobs_server):
    """No such job: NOT_FOUND on stderr, exit 3."""
    result = dispatch("jobs", "result", "no-such-job", "--target", jobs_server.target)
    assert result.returncode == 3
    assert "NOT_FOUND" in result.stderr
