"""The job RPCs over a real gRPC server (the job semantics; the solver is the process stand-in)."""

from __future__ import annotations

import itertools
import threading

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status
from job_helpers import FINAL, Served, plan_request, wait_for

from dispatch._proto.dispatch.v1 import jobs_pb2

Job = jobs_pb2.PlanJob
Event = jobs_pb2.PlanJobEvent


def _create(served: Served, request_id: str, budget: float = 0.3, **kw: object) -> Job:
    request = plan_request(request_id, budget=budget, **kw)
    return served.stub.CreatePlanJob(jobs_pb2.CreatePlanJobRequest(request=request), timeout=10)


def _get(served: Served, job_id: str) -> Job:
    return served.stub.GetPlanJob(jobs_pb2.GetPlanJobRequest(job_id=job_id), timeout=10)


def _code(call: object) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as info:
        call()  # type: ignore[operator]
    return info.value.code()


def test_create_twice_returns_same_job(served: Served) -> None:
    """A retried CreatePlanJob (same request_id and body) must not queue a second solve."""
    first = _create(served, "night-1")
    second = _create(served, "night-1")
    assert first.job_id and second.job_id == first.job_id
    listed = served.stub.ListPlanJobs(jobs_pb2.ListPlanJobsRequest(), timeout=10)
    assert [j.job_id for j in listed.jobs] == [first.job_id]


def test_reused_request_id_is_already_exists(served: Served) -> None:
    """The same key for a different problem is the caller's mistake, reported as such."""
    _create(served, "night-1", stops=2)
    assert _code(lambda: _create(served, "night-1", stops=3)) == grpc.StatusCode.ALREADY_EXISTS


def test_unknown_job_is_not_found(served: Served) -> None:
    """Get, cancel and watch of an unknown id answer NOT_FOUND."""
    assert _code(lambda: _get(served, "nope")) == grpc.StatusCode.NOT_FOUND
    cancel = jobs_pb2.CancelPlanJobRequest(job_id="nope")
    assert _code(lambda: served.stub.CancelPlanJob(cancel)) == grpc.StatusCode.NOT_FOUND
    watch = jobs_pb2.WatchPlanJobRequest(job_id="nope")
    assert _code(lambda: list(served.stub.WatchPlanJob(watch))) == grpc.StatusCode.NOT_FOUND


def test_full_queue_is_resource_exhausted(served: Served) -> None:
    """Back-pressure reaches the caller as a retryable status, not a hang or INTERNAL."""
    running = _create(served, "run", budget=30)
    wait_for(lambda: _get(served, running.job_id).state == Job.RUNNING)
    _create(served, "q1")
    _create(served, "q2")
    assert _code(lambda: _create(served, "q3")) == grpc.StatusCode.RESOURCE_EXHAUSTED
    served.stub.CancelPlanJob(jobs_pb2.CancelPlanJobRequest(job_id=running.job_id))


def test_watch_streams_improvements_then_final_state(served: Served) -> None:
    """Over the wire: current state, improving solutions in order, then SUCCEEDED, then end."""
    job = _create(served, "w", budget=1.0)
    events = list(served.stub.WatchPlanJob(jobs_pb2.WatchPlanJobRequest(job_id=job.job_id)))
    assert events[0].kind == Event.STATE_CHANGED
    improved = [e.job.progress for e in events if e.kind == Event.SOLUTION_IMPROVED]
    assert len(improved) >= 3
    assert all(a.best_objective > b.best_objective for a, b in itertools.pairwise(improved))
    assert all(p.vehicles_used > 0 and p.elapsed.ToNanoseconds() > 0 for p in improved)
    assert (events[-1].kind, events[-1].job.state) == (Event.STATE_CHANGED, Job.SUCCEEDED)
    assert events[-1].job.result.solve_info.objective == improved[-1].best_objective


def test_watch_cancelled_by_client_releases_server(served: Served) -> None:
    """A client that hangs up must not leave a subscriber (and a server thread) behind."""
    job = _create(served, "w", budget=30)
    call = served.stub.WatchPlanJob(jobs_pb2.WatchPlanJobRequest(job_id=job.job_id))
    next(call)
    wait_for(lambda: served.jobs.watches.open_streams() > 0)
    call.cancel()
    wait_for(lambda: served.jobs.watches.open_streams() == 0, timeout=2)
    served.stub.CancelPlanJob(jobs_pb2.CancelPlanJobRequest(job_id=job.job_id))


def test_cancel_running_job_stops_worker_and_ends_watch(served: Served) -> None:
    """Cancel kills the worker process, the watcher sees CANCELLED, the slot runs the next job."""
    job = _create(served, "long", budget=60)
    following = _create(served, "next", budget=0.3)
    events: list[Event] = []
    call = served.stub.WatchPlanJob(jobs_pb2.WatchPlanJobRequest(job_id=job.job_id))
    reader = threading.Thread(target=lambda: events.extend(call))
    reader.start()
    wait_for(lambda: any(e.job.state == Job.RUNNING for e in events))
    worker = served.jobs.routing.processes[0]
    assert worker.is_alive()
    answer = served.stub.CancelPlanJob(jobs_pb2.CancelPlanJobRequest(job_id=job.job_id))
    assert answer.state == Job.CANCELLED
    assert not worker.is_alive()
    reader.join(5)
    assert events[-1].job.state == Job.CANCELLED
    wait_for(lambda: _get(served, following.job_id).state in FINAL)
    assert _get(served, following.job_id).state == Job.SUCCEEDED


def test_list_pages_and_filters_over_rpc(served: Served) -> None:
    """Paging with the returned token visits every job once, newest first; filters apply."""
    ids = []
    for i in range(4):
        job = _create(served, f"r{i}", budget=0.05, label="north" if i % 2 else "south")
        wait_for(lambda job=job: _get(served, job.job_id).state in FINAL)  # queue holds two
        ids.append(job)
    seen: list[str] = []
    token = ""
    while True:
        page = served.stub.ListPlanJobs(
            jobs_pb2.ListPlanJobsRequest(page_size=3, page_token=token), timeout=10
        )
        seen += [j.job_id for j in page.jobs]
        token = page.next_page_token
        if not token:
            break
    assert seen == [j.job_id for j in reversed(ids)]
    north = served.stub.ListPlanJobs(jobs_pb2.ListPlanJobsRequest(label="north"), timeout=10)
    assert {j.job_id for j in north.jobs} == {ids[1].job_id, ids[3].job_id}


def test_bad_page_token_names_the_field(served: Served) -> None:
    """A corrupted token is INVALID_ARGUMENT with a BadRequest pointing at page_token."""
    with pytest.raises(grpc.RpcError) as info:
        served.stub.ListPlanJobs(jobs_pb2.ListPlanJobsRequest(page_token="xx!"), timeout=10)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    status = rpc_status.from_call(info.value)
    bad = error_details_pb2.BadRequest()
    assert status.details[0].Unpack(bad)
    assert [v.field for v in bad.field_violations] == ["page_token"]
