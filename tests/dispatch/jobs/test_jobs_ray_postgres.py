"""Ray and PostgreSQL together: a server on a shared store solves a big job in parts on Ray.

Skipped where Ray is not installed; CI's test extra installs it. It shares the session's local
Ray (``local_ray`` in tests/conftest.py).
"""

from __future__ import annotations

import pytest

pytest.importorskip("ray")

from benchmarks.city.generate import build
from dispatch import client
from dispatch._proto.dispatch.v1 import jobs_pb2
from dispatch.config import ServerConfig
from dispatch.server import start
from dispatch.wire.durations import duration

Job = jobs_pb2.PlanJob
Event = jobs_pb2.PlanJobEvent


def test_a_big_job_on_a_shared_store_is_solved_on_ray(pg_url: str, local_ray: int) -> None:
    """`--store postgresql://...` with a local Ray: a 200-stop job (Ray from 100 stops, parts
    of 60) ends SUCCEEDED with a verified plan serving or skipping every stop, stored in
    PostgreSQL, and its watch stream has one PART_FINISHED per part."""
    config = ServerConfig(
        address="127.0.0.1:0",
        store_path=pg_url,
        routing_workers=1,
        job_workers=1,
        ray_address="local",
        ray_min_stops=100,
        ray_part_stops=60,
    )
    handle = start(config)
    request = build("city-san-200-1").request
    request.options.time_budget.CopyFrom(duration(10.0))
    try:
        with client.channel(handle.target) as chan:
            stub = client.stub(chan)
            job = stub.CreatePlanJob(jobs_pb2.CreatePlanJobRequest(request=request), timeout=30)
            watch = jobs_pb2.WatchPlanJobRequest(job_id=job.job_id)
            events = list(stub.WatchPlanJob(watch, timeout=300))
            stored = stub.GetPlanJob(jobs_pb2.GetPlanJobRequest(job_id=job.job_id), timeout=30)
    finally:
        handle.shutdown(grace=0.5)
    assert stored.state == Job.SUCCEEDED, stored.error_message
    info = stored.result.solve_info
    assert info.verified and "decomposed on Ray" in info.engine
    served = {v.id for r in stored.result.routes for v in r.visits if v.kind == v.STOP}
    skipped = {s.stop_id for s in stored.result.skipped_stops}
    assert served | skipped == {s.id for s in request.stops}
    parts = [e.part for e in events if e.kind == Event.PART_FINISHED]
    assert parts == list(stored.progress.finished_parts) and len(parts) >= 3
