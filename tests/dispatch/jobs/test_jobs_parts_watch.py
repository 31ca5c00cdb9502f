"""WatchPlanJob of a decomposed job: one PART_FINISHED event per finished part, on the replica
that solves it and on a replica that follows it through the shared PostgreSQL store; and the
follow loop's rule that turns polled reads into one event per part.

Real parts: two servers on one real PostgreSQL database, real gRPC, the real decomposition and
solvers; the parts run with the inline runner (``--ray-address inline``), so Ray is not needed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from job_helpers import wait_for

from benchmarks.city.generate import build
from dispatch import client
from dispatch._proto.dispatch.v1 import jobs_pb2
from dispatch.config import ServerConfig
from dispatch.jobs.watch import WatchHub
from dispatch.server import ServerHandle, start
from dispatch.wire.durations import duration

Job = jobs_pb2.PlanJob
Event = jobs_pb2.PlanJobEvent


@pytest.fixture
def replicas(pg_url: str) -> Iterator[list[ServerHandle]]:
    """Two servers on one database; big jobs (60 stops up) are solved in parts of 40, inline."""
    config = ServerConfig(
        address="127.0.0.1:0",
        store_path=pg_url,
        routing_workers=1,
        job_workers=1,
        ray_address="inline",
        ray_min_stops=60,
        ray_part_stops=40,
    )
    handles = [start(config), start(config)]
    yield handles
    for handle in handles:
        handle.shutdown(grace=0.5)


def _watch(target: str, job_id: str, into: list[Event]) -> None:
    """Collect the job's events from ``target`` until its stream ends."""
    with client.channel(target) as chan:
        request = jobs_pb2.WatchPlanJobRequest(job_id=job_id)
        into.extend(client.stub(chan).WatchPlanJob(request, timeout=180))


def test_each_finished_part_is_one_event_on_both_replicas(replicas: list[ServerHandle]) -> None:
    """Both replicas' streams carry one PART_FINISHED per part, named as `finished_parts`,
    between RUNNING and SUCCEEDED; the solving replica's counts go up one by one."""
    request = build("city-san-100-1").request
    request.options.time_budget.CopyFrom(duration(8.0))
    with client.channel(replicas[0].target) as chan:
        created = client.stub(chan).CreatePlanJob(
            jobs_pb2.CreatePlanJobRequest(request=request), timeout=30
        )
    streams: list[list[Event]] = [[], []]
    threads = [
        threading.Thread(target=_watch, args=(r.target, created.job_id, events))
        for r, events in zip(replicas, streams, strict=True)
    ]
    for t in threads:
        t.start()
    wait_for(lambda: all(events for events in streams), timeout=30)  # both streams opened
    for t in threads:
        t.join(200)
    [lease] = replicas[0].jobs.store.leases(created.job_id)
    solver = next(i for i, r in enumerate(replicas) if r.jobs.store.replica == lease["replica"])
    done = streams[solver][-1].job
    assert done.state == Job.SUCCEEDED, done.error_message
    assert "decomposed in process" in done.result.solve_info.engine
    assert done.result.solve_info.verified
    names = list(done.progress.finished_parts)
    assert len(names) == done.progress.parts_done >= 3
    assert done.progress.parts_total == done.progress.parts_done
    for events in streams:
        kinds = [e.kind for e in events]
        parts = [e for e in events if e.kind == Event.PART_FINISHED]
        assert [e.part for e in parts] == names
        first, last = (
            kinds.index(Event.PART_FINISHED),
            len(kinds) - 1 - kinds[::-1].index(Event.PART_FINISHED),
        )
        running = [i for i, e in enumerate(events) if e.job.state == Job.RUNNING]
        assert running and running[0] < first and last < len(events) - 1
        assert events[-1].job.state == Job.SUCCEEDED
    counts = [e.job.progress.parts_done for e in streams[solver] if e.kind == Event.PART_FINISHED]
    assert counts == list(range(1, len(names) + 1))


def test_part_fields_are_empty_for_a_job_solved_whole(replicas: list[ServerHandle]) -> None:
    """A job below the decomposition threshold shows no parts and no PART_FINISHED event."""
    request = build("city-san-20-1").request
    request.options.time_budget.CopyFrom(duration(1.0))
    with client.channel(replicas[0].target) as chan:
        stub = client.stub(chan)
        job = stub.CreatePlanJob(jobs_pb2.CreatePlanJobRequest(request=request), timeout=30)
        events = list(
            stub.WatchPlanJob(jobs_pb2.WatchPlanJobRequest(job_id=job.job_id), timeout=120)
        )
    assert events[-1].job.state == Job.SUCCEEDED
    assert Event.PART_FINISHED not in [e.kind for e in events]
    progress = events[-1].job.progress
    assert (progress.parts_done, progress.parts_total, list(progress.finished_parts)) == (0, 0, [])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=4), min_size=1, max_size=8), st.booleans())
def test_polled_parts_become_one_event_each(chunks: list[int], final_has_more: bool) -> None:
    """However the finished parts are grouped between two reads of the job (a replica polling
    another's job), the stream sends one PART_FINISHED per part, in order, before the end."""
    names = [f"part-{i}" for i in range(sum(chunks) + int(final_has_more))]
    current = {"job": Job(job_id="j", state=Job.RUNNING, attempts=1)}
    hub = WatchHub(lambda job_id: current["job"], max_watchers=1)
    stream = hub.open("j", lambda: True)
    done = 0
    for chunk in chunks:
        done += chunk
        job = Job(job_id="j", state=Job.RUNNING, attempts=1)
        job.progress.finished_parts.extend(names[:done])
        current["job"] = job
        hub.publish("j", Event.SOLUTION_IMPROVED)  # what the poller publishes
    final = Job(job_id="j", state=Job.SUCCEEDED, attempts=1)
    final.progress.finished_parts.extend(names)
    current["job"] = final
    hub.publish("j", Event.STATE_CHANGED)
    events = list(stream)
    assert [e.part for e in events if e.kind == Event.PART_FINISHED] == names
    assert (events[-1].kind, events[-1].job.state) == (Event.STATE_CHANGED, Job.SUCCEEDED)
