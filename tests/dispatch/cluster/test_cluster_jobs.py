"""Plan jobs on a server started with a local Ray: big requests are decomposed into Ray tasks."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path

import pytest

pytest.importorskip("ray")

from benchmarks.city.generate import build
from dispatch import client
from dispatch._proto.dispatch.v1 import jobs_pb2
from dispatch.cluster import ClusterUnavailableError
from dispatch.config import ServerConfig
from dispatch.server import ServerHandle, start
from dispatch.wire.durations import duration

Job = jobs_pb2.PlanJob
FINAL = (Job.SUCCEEDED, Job.FAILED, Job.CANCELLED)


def test_a_big_job_is_solved_in_parts_on_ray(
    make_server: Callable[..., ServerHandle], local_ray: int
) -> None:
    """A 200-stop job (Ray from 100 stops, parts of 60; the session's local Ray) succeeds
    verified; parts done show as progress while it runs."""
    server = make_server(ray_address="local", ray_min_stops=100, ray_part_stops=60)
    request = build("city-san-200-1").request
    request.options.time_budget.CopyFrom(duration(10.0))
    parts_seen = 0
    with client.channel(server.target) as chan:
        stub = client.stub(chan)
        job = stub.CreatePlanJob(jobs_pb2.CreatePlanJobRequest(request=request), timeout=10)
        end = time.monotonic() + 120
        while time.monotonic() < end:
            got = stub.GetPlanJob(jobs_pb2.GetPlanJobRequest(job_id=job.job_id), timeout=10)
            if got.state == Job.RUNNING:
                parts_seen = max(parts_seen, got.progress.parts_done)
            if got.state in FINAL:
                break
            time.sleep(0.2)
    assert got.state == Job.SUCCEEDED, got.error_message
    info = got.result.solve_info
    assert info.verified
    assert "decomposed on Ray" in info.engine
    served = {v.id for r in got.result.routes for v in r.visits if v.kind == v.STOP}
    skipped = {s.stop_id for s in got.result.skipped_stops}
    assert served | skipped == {s.id for s in request.stops}
    assert parts_seen >= 1


def test_an_unreachable_ray_cluster_stops_the_server_starting(tmp_path: Path) -> None:
    """With --ray-address pointing nowhere, start() raises ClusterUnavailableError naming it."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        address = f"127.0.0.1:{s.getsockname()[1]}"
    config = ServerConfig(
        address="127.0.0.1:0",
        store_path=str(tmp_path / "dispatch.sqlite3"),
        ray_address=address,
    )
    with pytest.raises(ClusterUnavailableError, match=address):
        start(config)
