"""A damaged job store over the wire: the job RPCs go UNAVAILABLE, everything else keeps serving.

Each store is damaged for real on disk (bytes overwritten, a zero-byte file, a directory) before
a real server starts on it; the solvers are the real ones.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest
from job_helpers import FINAL, plan_request, wait_for

from dispatch import client
from dispatch._proto.dispatch.v1 import (
    common_pb2,
    dispatch_service_pb2_grpc,
    emergency_pb2,
    jobs_pb2,
    routing_pb2,
)
from dispatch.jobs import JobStore
from dispatch.jobs.errors import StoreInUseError
from dispatch.server import JOBS_HEALTH_NAME, SERVICE_NAME, ServerHandle
from dispatch.wire import enums

Job = jobs_pb2.PlanJob
PAGE = 4096


def _store_with_a_job(path: Path) -> None:
    """A real store holding one queued job, closed cleanly (its WAL folded into the file)."""
    store = JobStore(path)
    store.open()
    store.insert_or_get("j1", plan_request("before-damage"), 1)
    store.close()


def _corrupt_pages(path: Path) -> None:
    """Overwrite every page after the first (tables and indexes) with garbage."""
    size = path.stat().st_size
    assert size > PAGE
    with path.open("r+b") as f:
        f.seek(PAGE)
        f.write(b"\xab\xcd" * ((size - PAGE) // 2))


@pytest.fixture
def server_on(
    make_server: Callable[..., ServerHandle],
) -> Iterator[Callable[[Path], tuple[ServerHandle, dispatch_service_pb2_grpc.DispatchServiceStub]]]:
    """Start a real server on a given store path; a channel to it is closed at teardown."""
    channels: list[grpc.Channel] = []

    def start(path: Path) -> tuple[ServerHandle, dispatch_service_pb2_grpc.DispatchServiceStub]:
        handle = make_server(store_path=str(path), routing_workers=1, job_workers=1)
        chan = client.channel(handle.target)
        channels.append(chan)
        return handle, client.stub(chan)

    yield start
    for chan in channels:
        chan.close()


def _job_rpcs_unavailable(stub: dispatch_service_pb2_grpc.DispatchServiceStub) -> list[str]:
    """Every job RPC's code and message (they must all be UNAVAILABLE)."""
    calls = [
        lambda: stub.CreatePlanJob(jobs_pb2.CreatePlanJobRequest(request=plan_request("x"))),
        lambda: stub.GetPlanJob(jobs_pb2.GetPlanJobRequest(job_id="j1")),
        lambda: stub.CancelPlanJob(jobs_pb2.CancelPlanJobRequest(job_id="j1")),
        lambda: stub.ListPlanJobs(jobs_pb2.ListPlanJobsRequest()),
        lambda: list(stub.WatchPlanJob(jobs_pb2.WatchPlanJobRequest(job_id="j1"))),
    ]
    messages = []
    for call in calls:
        with pytest.raises(grpc.RpcError) as info:
            call()
        details = client.error_details(info.value)
        assert details.code == grpc.StatusCode.UNAVAILABLE, details
        messages.append(details.message)
    return messages


def _other_rpcs_serve(
    stub: dispatch_service_pb2_grpc.DispatchServiceStub, emergency: emergency_pb2.AssignUnitsRequest
) -> None:
    """AssignUnits, PlanRoutes and EvaluatePlan answer normally."""
    assigned = stub.AssignUnits(emergency, timeout=30)
    assert assigned.incidents and assigned.solve_info.status == common_pb2.OPTIMAL
    request = plan_request("sync", budget=0.5)
    planned = stub.PlanRoutes(request, timeout=60)
    assert planned.routes
    routes = [
        routing_pb2.PlannedRoute(
            vehicle_id=route.vehicle_id,
            visits=[
                routing_pb2.PlannedVisit(kind=v.kind, id=v.id)
                for v in route.visits
                if v.kind in enums.VISIT_KIND_IN
            ],
        )
        for route in planned.routes
    ]
    evaluated = stub.EvaluatePlan(
        routing_pb2.EvaluatePlanRequest(problem=request, routes=routes), timeout=30
    )
    assert evaluated.feasible


def test_corrupted_store_leaves_other_rpcs_serving(
    server_on: Callable, tmp_path: Path, examples: dict[str, object]
) -> None:
    """Emergency dispatch must not go down with the job store: jobs UNAVAILABLE, rest SERVING."""
    store = tmp_path / "var" / "dispatch.sqlite3"
    _store_with_a_job(store)
    _corrupt_pages(store)
    damaged = store.read_bytes()
    handle, stub = server_on(store)
    messages = _job_rpcs_unavailable(stub)
    assert all(str(store) in m for m in messages)
    _other_rpcs_serve(stub, examples["emergency"])
    with client.channel(handle.target) as chan:
        assert client.health_status(chan, "") == "SERVING"
        assert client.health_status(chan, SERVICE_NAME) == "SERVING"
        assert client.health_status(chan, JOBS_HEALTH_NAME) == "NOT_SERVING"
    handle.shutdown(grace=0.5)
    assert store.read_bytes() == damaged  # left for the operator, not reset


def test_zero_byte_store_is_unavailable_and_not_overwritten(
    server_on: Callable, tmp_path: Path, examples: dict[str, object]
) -> None:
    """A truncated store is lost jobs, not a fresh start: say so and keep the file as it is."""
    store = tmp_path / "dispatch.sqlite3"
    store.touch()
    handle, stub = server_on(store)
    messages = _job_rpcs_unavailable(stub)
    assert "empty (0 bytes)" in messages[0]
    _other_rpcs_serve(stub, examples["emergency"])
    with client.channel(handle.target) as chan:
        assert client.health_status(chan, JOBS_HEALTH_NAME) == "NOT_SERVING"
    handle.shutdown(grace=0.5)
    assert store.stat().st_size == 0
    assert not Path(f"{store}-wal").exists()


def test_directory_in_place_of_the_store_is_unavailable(
    server_on: Callable, tmp_path: Path, examples: dict[str, object]
) -> None:
    """A wrong file type (here a folder at the store path) is refused without a traceback."""
    store = tmp_path / "dispatch.sqlite3"
    store.mkdir()
    _, stub = server_on(store)
    messages = _job_rpcs_unavailable(stub)
    assert "not a regular file" in messages[0]
    _other_rpcs_serve(stub, examples["emergency"])


def test_healthy_store_reports_jobs_serving(server_on: Callable, tmp_path: Path) -> None:
    """The jobs health entry is SERVING when the store is fine (it is not always NOT_SERVING)."""
    handle, stub = server_on(tmp_path / "fresh" / "dispatch.sqlite3")
    with client.channel(handle.target) as chan:
        assert client.health_status(chan, JOBS_HEALTH_NAME) == "SERVING"
    job = stub.CreatePlanJob(jobs_pb2.CreatePlanJobRequest(request=plan_request("ok")))
    # Accepted and stored; a free job slot may already have started it.
    assert job.job_id
    assert job.state in (Job.QUEUED, Job.RUNNING, Job.SUCCEEDED)


def test_second_server_through_a_symlink_is_refused_and_first_keeps_working(
    server_on: Callable, make_server: Callable[..., ServerHandle], tmp_path: Path
) -> None:
    """The lock belongs to the file, so another path to it cannot run the same jobs twice."""
    real = tmp_path / "data" / "dispatch.sqlite3"
    _, stub = server_on(real)
    link = tmp_path / "elsewhere.sqlite3"
    link.symlink_to(real)
    with pytest.raises(StoreInUseError, match="in use by another server"):
        make_server(store_path=str(link), routing_workers=1, job_workers=1)
    job = stub.CreatePlanJob(jobs_pb2.CreatePlanJobRequest(request=plan_request("after")))

    def state() -> int:
        return stub.GetPlanJob(jobs_pb2.GetPlanJobRequest(job_id=job.job_id), timeout=10).state

    wait_for(lambda: state() in FINAL, timeout=60)
    assert state() == Job.SUCCEEDED
    assert os.path.samefile(link, real)


def test_store_damaged_while_serving_turns_jobs_unavailable(
    server_on: Callable, tmp_path: Path, examples: dict[str, object]
) -> None:
    """Corruption found by a call (not at start) takes the jobs out of service, health too.

    The store holds far more than SQLite's page cache (about 2 MB), so reading every job after
    the damage must reach a damaged page on disk.
    """
    store = tmp_path / "dispatch.sqlite3"
    seed = JobStore(store)
    seed.open()
    now = time.time_ns()  # recent, or retention would delete the jobs at start
    for i in range(30):
        seed.insert_or_get(f"j{i}", plan_request(f"r{i}", stops=300), now + i)
        seed.transition(f"j{i}", Job.RUNNING, now + i, "started", (Job.QUEUED,))
        seed.transition(f"j{i}", Job.SUCCEEDED, now + i, "solved", (Job.RUNNING,))
    seed.close()
    handle, stub = server_on(store)
    with client.channel(handle.target) as chan:
        assert client.health_status(chan, JOBS_HEALTH_NAME) == "SERVING"
        _corrupt_pages(store)
        codes = []
        for i in range(30):
            try:
                stub.GetPlanJob(
                    jobs_pb2.GetPlanJobRequest(job_id=f"j{i}", include_request=True), timeout=10
                )
                codes.append(grpc.StatusCode.OK)
            except grpc.RpcError as error:
                codes.append(client.error_details(error).code)
        assert grpc.StatusCode.UNAVAILABLE in codes
        assert set(codes) <= {grpc.StatusCode.OK, grpc.StatusCode.UNAVAILABLE}
        assert client.health_status(chan, JOBS_HEALTH_NAME) == "NOT_SERVING"
        assert client.health_status(chan, "") == "SERVING"
        messages = _job_rpcs_unavailable(stub)
        assert "failed while serving" in messages[0]
        _other_rpcs_serve(stub, examples["emergency"])
