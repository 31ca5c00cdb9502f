"""The job manager over a routing service whose solves are real worker processes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from job_helpers import FINAL, plan_request, wait_for, wait_state

from dispatch._proto.dispatch.v1 import jobs_pb2
from dispatch.jobs import (
    JobNotFoundError,
    JobQueueFullError,
    JobService,
    RequestIdConflictError,
    TooManyWatchersError,
)
from dispatch.jobs.rows import JobQuery
from dispatch.jobs.service import job_time_budget

Job = jobs_pb2.PlanJob
Event = jobs_pb2.PlanJobEvent
MakeService = Callable[..., JobService]


def test_create_is_idempotent_on_request_id(make_service: MakeService) -> None:
    """A scheduler retrying after a lost answer must not start a second solve."""
    service = make_service()
    first = service.create(plan_request("night-42"))
    again = service.create(plan_request("night-42"))
    assert again.job_id == first.job_id
    assert len(service.list().jobs) == 1


def test_reused_request_id_with_other_body_conflicts(make_service: MakeService) -> None:
    """Returning the old job for a different problem would hand back the wrong plan."""
    service = make_service()
    service.create(plan_request("night-42", stops=2))
    with pytest.raises(RequestIdConflictError):
        service.create(plan_request("night-42", stops=3))


def test_empty_request_id_gets_a_generated_one(make_service: MakeService) -> None:
    """Without a key every create is a new job, still findable by the id it was given."""
    service = make_service()
    a = service.create(plan_request(""))
    b = service.create(plan_request(""))
    assert a.job_id != b.job_id
    assert a.request_id and b.request_id and a.request_id != b.request_id
    assert service.get(a.job_id, include_request=True).request.request_id == a.request_id


def test_job_runs_to_success_with_result_and_history(make_service: MakeService) -> None:
    """The plan, final figures and the whole lifecycle are readable after the job ends."""
    service = make_service()
    job = service.create(plan_request("r1", budget=0.5))
    wait_state(service, job.job_id, *FINAL)
    done = service.get(job.job_id)
    assert done.state == Job.SUCCEEDED
    assert done.result.request_id == "r1"
    assert done.progress.solutions_found >= 1
    assert done.progress.best_objective == done.result.solve_info.objective
    assert done.attempts == 1
    assert [h.state for h in done.history] == [Job.QUEUED, Job.RUNNING, Job.SUCCEEDED]
    assert done.end_time.ToNanoseconds() >= done.start_time.ToNanoseconds()


def test_crashing_worker_fails_job_with_reason(make_service: MakeService) -> None:
    """A dead worker process is a FAILED job with a message, and the slot keeps working."""
    service = make_service()
    bad = service.create(plan_request("bad", label="crash"))
    good = service.create(plan_request("good", budget=0.3))
    wait_state(service, good.job_id, *FINAL)
    failed = service.get(bad.job_id)
    assert failed.state == Job.FAILED
    assert "status 3" in failed.error_message
    assert not failed.HasField("result")
    assert service.get(good.job_id).state == Job.SUCCEEDED


def test_watch_streams_improvements_then_final_state(make_service: MakeService) -> None:
    """A watcher sees the current state first, improving solutions, and the stream ends."""
    service = make_service()
    job = service.create(plan_request("w", budget=1.0))
    events = list(service.watch(job.job_id, lambda: True))
    assert events[0].kind == Event.STATE_CHANGED
    assert events[0].job.state in (Job.QUEUED, Job.RUNNING)
    improved = [e for e in events if e.kind == Event.SOLUTION_IMPROVED]
    assert len(improved) >= 3
    found = [e.job.progress.solutions_found for e in improved]
    assert found == sorted(set(found))
    objectives = [e.job.progress.best_objective for e in improved]
    assert objectives == sorted(objectives, reverse=True)
    assert events[-1].kind == Event.STATE_CHANGED
    assert events[-1].job.state == Job.SUCCEEDED
    assert events[-1].job.HasField("result")
    assert not any(e.job.HasField("request") for e in events)


def test_watch_of_finished_job_is_one_event(make_service: MakeService) -> None:
    """Watching after the fact returns the final state at once instead of hanging."""
    service = make_service()
    job = service.create(plan_request("w", budget=0.2))
    wait_state(service, job.job_id, *FINAL)
    events = list(service.watch(job.job_id, lambda: True))
    assert [(e.kind, e.job.state) for e in events] == [(Event.STATE_CHANGED, Job.SUCCEEDED)]


def test_watch_stops_promptly_when_caller_goes_away(make_service: MakeService) -> None:
    """A disconnected watcher must not hold a server thread until a 10-minute solve ends."""
    service = make_service()
    job = service.create(plan_request("w", budget=30))
    active = threading.Event()
    active.set()
    stream = service.watch(job.job_id, active.is_set)
    next(stream)
    active.clear()
    started = time.monotonic()
    rest = list(stream)
    assert time.monotonic() - started < 2.0  # polls every 0.2 s; slack for a loaded machine
    assert all(e.job.state not in FINAL for e in rest)
    service.cancel(job.job_id)


def test_watch_unknown_job_raises_at_call(make_service: MakeService) -> None:
    """NOT_FOUND must reach the caller before the stream starts."""
    service = make_service()
    with pytest.raises(JobNotFoundError):
        service.watch("missing", lambda: True)


def test_cancel_queued_job_never_runs(make_service: MakeService) -> None:
    """A queued job that is cancelled must never take a slot."""
    service = make_service(workers=1)
    blocker = service.create(plan_request("blocker", budget=30))
    queued = service.create(plan_request("queued"))
    cancelled = service.cancel(queued.job_id)
    assert cancelled.state == Job.CANCELLED
    assert cancelled.attempts == 0
    service.cancel(blocker.job_id)
    time.sleep(0.3)
    assert service.get(queued.job_id).attempts == 0


def test_cancel_running_job_kills_worker_and_frees_slot(make_service: MakeService) -> None:
    """Cancelling must stop the solve for real, and the next job must get the slot."""
    service = make_service(workers=1)
    long = service.create(plan_request("long", budget=60))
    nxt = service.create(plan_request("next", budget=0.3))
    wait_state(service, long.job_id, Job.RUNNING)
    wait_for(lambda: service.routing.processes and service.routing.processes[0].is_alive())
    worker = service.routing.processes[0]
    started = time.monotonic()
    cancelled = service.cancel(long.job_id)
    assert time.monotonic() - started < 5
    assert cancelled.state == Job.CANCELLED
    assert not worker.is_alive()
    assert [h.reason for h in cancelled.history][-1] == "cancelled by caller"
    wait_state(service, nxt.job_id, Job.SUCCEEDED)


def test_cancel_finished_job_changes_nothing(make_service: MakeService) -> None:
    """Retrying a cancel after the job ended is harmless and keeps the plan."""
    service = make_service()
    job = service.create(plan_request("r", budget=0.2))
    wait_state(service, job.job_id, *FINAL)
    assert service.cancel(job.job_id).state == Job.SUCCEEDED
    with pytest.raises(JobNotFoundError):
        service.cancel("missing")


def test_full_queue_refuses_new_jobs_but_not_retries(make_service: MakeService) -> None:
    """Back-pressure: the scheduler is told to retry later, and its retries stay idempotent."""
    service = make_service(workers=1, queue_limit=2)
    running = service.create(plan_request("run", budget=30))
    wait_state(service, running.job_id, Job.RUNNING)
    service.create(plan_request("q1"))
    service.create(plan_request("q2"))
    with pytest.raises(JobQueueFullError):
        service.create(plan_request("q3"))
    assert service.create(plan_request("q2")).request_id == "q2"
    service.cancel(running.job_id)


def test_slots_bound_concurrent_solves(make_service: MakeService) -> None:
    """No more solves run at once than there are slots, so jobs cannot starve the machine."""
    service = make_service(workers=2, queue_limit=10)
    jobs = [service.create(plan_request(f"r{i}", budget=0.6)) for i in range(4)]
    peak = 0
    end = time.monotonic() + 20
    while time.monotonic() < end:
        states = [service.get(j.job_id).state for j in jobs]
        peak = max(peak, states.count(Job.RUNNING))
        if all(s in FINAL for s in states):
            break
        time.sleep(0.02)
    assert peak == 2
    assert all(service.get(j.job_id).state == Job.SUCCEEDED for j in jobs)


def test_close_requeues_running_job_for_next_start(
    make_service: MakeService, store_path: str
) -> None:
    """A graceful shutdown must not lose the job it interrupts."""
    service = make_service()
    job = service.create(plan_request("r", budget=60))
    wait_state(service, job.job_id, Job.RUNNING)
    service.close()
    restarted = make_service(path=store_path)
    wait_state(restarted, job.job_id, Job.RUNNING)
    again = restarted.get(job.job_id)
    assert again.attempts == 2
    assert "shut down" in again.history[-2].reason
    restarted.cancel(job.job_id)


def test_list_shows_live_progress_of_running_job(make_service: MakeService) -> None:
    """Progress is visible while a job runs, not only when it ends."""
    service = make_service()
    job = service.create(plan_request("r", budget=30))
    wait_for(lambda: service.get(job.job_id).progress.solutions_found >= 2)
    listed = service.list(JobQuery(states=[Job.RUNNING])).jobs
    assert [j.job_id for j in listed] == [job.job_id]
    assert listed[0].progress.solutions_found >= 2
    service.cancel(job.job_id)


def test_retention_deletes_old_finished_jobs_on_start(
    make_service: MakeService, store_path: str
) -> None:
    """Finished jobs past retention are removed when the server starts."""
    service = make_service()
    job = service.create(plan_request("r", budget=0.2))
    wait_state(service, job.job_id, *FINAL)
    service.close()
    restarted = make_service(path=store_path, retention_days=1e-9)
    with pytest.raises(JobNotFoundError):
        restarted.get(job.job_id)


def test_watchers_are_bounded(make_service: MakeService) -> None:
    """Each watch holds a server thread; unbounded watches would starve emergency calls."""
    service = make_service(max_watchers=2)
    job = service.create(plan_request("r", budget=30))
    streams = [service.watch(job.job_id, lambda: True) for _ in range(2)]
    with pytest.raises(TooManyWatchersError):
        service.watch(job.job_id, lambda: True)
    next(streams[0])
    for stream in streams:
        stream.close()  # started or not, closing frees the place
    assert service.watches.open_streams() == 0
    service.watch(job.job_id, lambda: True).close()
    service.cancel(job.job_id)


def test_retention_also_runs_periodically(make_service: MakeService) -> None:
    """A server that runs for months must not keep every night's plan forever."""
    # One second of retention, not zero: a job that expires the instant it finishes can be
    # deleted between its last state change and the watcher's final event.
    service = make_service(retention_days=1 / 86400, retention_interval=0.1)
    job = service.create(plan_request("r", budget=0.2))
    events = list(service.watch(job.job_id, lambda: True))
    assert events[-1].job.state == Job.SUCCEEDED

    def gone() -> bool:
        try:
            service.get(job.job_id)
        except JobNotFoundError:
            return True
        return False

    wait_for(gone, timeout=10)


def test_job_budget_is_the_request_budget_or_the_routing_default() -> None:
    """A job solves for what the caller asked (10 s like PlanRoutes when unset), at most 1 h."""
    assert job_time_budget(plan_request(budget=2.5)) == 2.5
    unset = plan_request()
    unset.options.ClearField("time_budget")
    assert job_time_budget(unset) == 10.0
    assert job_time_budget(plan_request(budget=7200)) == 3600.0


def test_concurrent_creates_with_one_request_id_make_one_job(make_service: MakeService) -> None:
    """A scheduler's retries can overlap the original call; still exactly one job."""
    service = make_service(queue_limit=50)
    results: list[str] = []
    barrier = threading.Barrier(8)

    def create() -> None:
        barrier.wait()
        results.append(service.create(plan_request("same", budget=0.2)).job_id)

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(results) == 8 and len(set(results)) == 1
    assert len(service.list().jobs) == 1


def test_same_instance_can_be_restarted(make_service: MakeService) -> None:
    """close() then start() (a server reload) resumes queued work once, oldest first."""
    service = make_service(workers=1)
    first = service.create(plan_request("a", budget=30))
    second = service.create(plan_request("b", budget=0.2))
    wait_state(service, first.job_id, Job.RUNNING)
    service.close()
    service.start()
    wait_state(service, first.job_id, Job.RUNNING)
    assert service.get(second.job_id).state == Job.QUEUED
    service.cancel(first.job_id)
    wait_state(service, second.job_id, *FINAL)
    done = service.get(second.job_id)
    assert (done.state, done.attempts) == (Job.SUCCEEDED, 1)
    assert [h.state for h in done.history].count(Job.RUNNING) == 1
