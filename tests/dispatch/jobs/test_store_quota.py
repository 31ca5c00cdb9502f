"""The store's byte quota and the early drop of cancelled and failed jobs' payloads."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import grpc
import pytest
from job_helpers import FINAL, plan_request, wait_state

from dispatch import client
from dispatch._proto.dispatch.v1 import jobs_pb2
from dispatch.config import ServerConfig
from dispatch.jobs import JobService, JobStore
from dispatch.jobs.errors import JobStoreFullError
from dispatch.jobs.store import CANCELLED, FAILED, QUEUED, RUNNING
from dispatch.server import ServerHandle

Job = jobs_pb2.PlanJob
MakeService = Callable[..., JobService]
#: 300 stops: a travel matrix of 301 x 301 durations, about 200 KB serialised.
BIG_STOPS = 300


def _fresh_used_bytes(path: Path) -> int:
    """Bytes an empty store holds in use (tables and indexes)."""
    store = JobStore(path)
    store.open()
    try:
        return store.used_bytes()
    finally:
        store.close()


def _stored_request(path: str, job_id: str) -> bytes | None:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT request FROM jobs WHERE job_id = ?", (job_id,)).fetchone()[0]
    finally:
        conn.close()


def test_create_beyond_quota_is_resource_exhausted_over_the_wire(
    make_server: Callable[..., ServerHandle], tmp_path: Path
) -> None:
    """A request that would take the store past its quota is refused; small ones still fit."""
    path = tmp_path / "store" / "dispatch.sqlite3"
    quota = _fresh_used_bytes(path) + 64 * 1024
    big = plan_request("big", stops=BIG_STOPS)
    assert big.ByteSize() > 64 * 1024
    handle = make_server(store_path=str(path), store_quota_bytes=quota, job_workers=1)
    with client.channel(handle.target) as chan:
        stub = client.stub(chan)
        small = stub.CreatePlanJob(jobs_pb2.CreatePlanJobRequest(request=plan_request("s1")))
        assert small.job_id
        with pytest.raises(grpc.RpcError) as info:
            stub.CreatePlanJob(jobs_pb2.CreatePlanJobRequest(request=big))
        details = client.error_details(info.value)
        assert details.code == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert f"quota of {quota} bytes" in details.message
        again = stub.CreatePlanJob(jobs_pb2.CreatePlanJobRequest(request=plan_request("s1")))
        assert again.job_id == small.job_id  # a retry is answered even near the quota
        listed = stub.ListPlanJobs(jobs_pb2.ListPlanJobsRequest())
        assert [j.request_id for j in listed.jobs] == ["s1"]


def test_quota_comes_from_config_and_environment() -> None:
    """Operators set it as DISPATCH_STORE_QUOTA_BYTES (sizes with units accepted)."""
    config = ServerConfig.from_env({"DISPATCH_STORE_QUOTA_BYTES": "512MiB"})
    assert config.store_quota_bytes == 512 * 1024 * 1024
    assert ServerConfig.from_env({"DISPATCH_STORE_QUOTA_BYTES": "0"}).store_quota_bytes == 0
    with pytest.raises(ValueError, match="store_quota_bytes"):
        ServerConfig(store_quota_bytes=-1)


def test_cancelled_job_drops_its_request_but_stays_readable(
    make_service: MakeService, store_path: str
) -> None:
    """The payload goes when the job is cancelled; state, history and reason stay."""
    service = make_service()
    job = service.create(plan_request("cancel-me", budget=60, stops=BIG_STOPS))
    assert _stored_request(store_path, job.job_id) is not None
    cancelled = service.cancel(job.job_id)
    assert cancelled.state == Job.CANCELLED
    assert _stored_request(store_path, job.job_id) is None
    again = service.get(job.job_id, include_request=True)
    assert again.state == Job.CANCELLED
    assert again.request_id == "cancel-me"
    assert not again.HasField("request")
    assert again.history[-1].reason == "cancelled by caller"


def test_failed_job_drops_its_request(make_service: MakeService, store_path: str) -> None:
    """A job that ends FAILED keeps its error message, not its payload."""
    service = make_service()
    job = service.create(plan_request("fails", label="crash"))
    wait_state(service, job.job_id, *FINAL, timeout=60)
    failed = service.get(job.job_id)
    assert failed.state == Job.FAILED and failed.error_message
    assert _stored_request(store_path, job.job_id) is None


def test_cancelling_gives_its_bytes_back_to_the_quota(
    make_service: MakeService, tmp_path: Path
) -> None:
    """A cancelled big job no longer counts: the next big job fits where it was refused."""
    path = tmp_path / "q" / "jobs.sqlite3"
    big_size = plan_request("x", stops=BIG_STOPS).ByteSize()
    quota = _fresh_used_bytes(path) + int(big_size * 1.5)
    service = make_service(path=str(path), store_quota_bytes=quota, workers=1)
    first = service.create(plan_request("big-1", budget=60, stops=BIG_STOPS))
    with pytest.raises(JobStoreFullError):
        service.create(plan_request("big-2", budget=60, stops=BIG_STOPS))
    used_before = service.store.used_bytes()
    service.cancel(first.job_id)
    assert service.store.used_bytes() < used_before - big_size // 2
    second = service.create(plan_request("big-2", budget=60, stops=BIG_STOPS))
    assert second.state in (Job.QUEUED, Job.RUNNING)


def test_store_level_drop_on_failure_and_on_recovery_failure(tmp_path: Path) -> None:
    """Both ways a job can fail (a transition, or too many restarts) drop the payload."""
    path = tmp_path / "jobs.sqlite3"
    store = JobStore(path)
    store.open()
    try:
        for job_id in ("a", "b"):
            store.insert_or_get(job_id, plan_request(f"r-{job_id}"), 1)
            assert store.transition(job_id, RUNNING, 2, "started", (QUEUED,))
        assert store.transition("a", FAILED, 3, "boom", (RUNNING,), error_message="boom")
        store.recover(4, max_attempts=1)
        for job_id in ("a", "b"):
            assert store.get(job_id).state == FAILED
            assert _stored_request(str(path), job_id) is None
    finally:
        store.close()


def test_dropped_payload_shrinks_the_file_on_disk(tmp_path: Path) -> None:
    """Freed pages go back to the file system, not only to SQLite's free list."""
    path = tmp_path / "jobs.sqlite3"
    big = plan_request("big", stops=BIG_STOPS)
    store = JobStore(path)
    store.open()
    store.insert_or_get("big", big, 1)
    store.close()  # the last connection checkpoints the WAL into the file
    with_payload = path.stat().st_size
    store.open()
    assert store.transition("big", CANCELLED, 2, "cancelled by caller", (QUEUED,))
    store.close()
    assert path.stat().st_size < with_payload - big.ByteSize() // 2
