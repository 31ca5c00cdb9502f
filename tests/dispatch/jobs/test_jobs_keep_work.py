"""Plan jobs keep their work: the checked plan in hand survives a cancel or an overrun, a dead
worker is retried, failures are logged, a resubmitted failure runs again, and the live "best" is
the checked objective the answer reports.

Real parts: the real RoutingService (OR-Tools and PyVRP in worker processes), the real SQLite
store, and for the wire tests a real server on 127.0.0.1. Faults are real signals: SIGSTOP (a
worker starved or stuck past its budget) and SIGKILL (the OOM killer, a native crash).
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator

import pytest
from job_helpers import FINAL, plan_request, sanitation, wait_for, wait_state

from dispatch import client
from dispatch._proto.dispatch.v1 import common_pb2, jobs_pb2, routing_pb2
from dispatch.jobs import JobService
from dispatch.routing import RoutingService
from dispatch.server import ServerHandle

Job = jobs_pb2.PlanJob
Event = jobs_pb2.PlanJobEvent
MakeJobs = Callable[..., JobService]


@pytest.fixture
def real_jobs(store_path: str) -> Iterator[MakeJobs]:
    """Start a JobService with one slot over a real one-worker RoutingService it owns."""
    made: list[JobService] = []

    def make(max_attempts: int = 3) -> JobService:
        routing = RoutingService(workers=1)
        service = JobService(
            store_path, routing, 1, 10, max_attempts=max_attempts, owns_routing=True
        )
        service.start()
        made.append(service)
        return service

    yield make
    for service in made:
        service.close()


def _ortools(request_id: str, budget: float) -> routing_pb2.PlanRoutesRequest:
    """The sanitation example on OR-Tools, the engine that hands over checked plans while it
    searches (about one a second)."""
    request = sanitation(request_id, budget)
    request.options.solver = common_pb2.ORTOOLS
    return request


def _worker(service: JobService) -> int:
    """The pid of the job's routing worker (the service has exactly one)."""
    (pid,) = service.routing.pool.pids()
    return pid


def _final(service: JobService, job_id: str, timeout: float = 120) -> Job:
    wait_state(service, job_id, *FINAL, timeout=timeout)
    return service.get(job_id)


def _kill_once_it_searches(service: JobService, job_id: str) -> None:
    """SIGKILL the worker while it solves the job (after its first improving solution).

    The worker is frozen first and the job seen still RUNNING, so on a slow machine the kill
    cannot land after the solve has already ended (the job would then simply succeed)."""
    wait_for(lambda: service.get(job_id).progress.solutions_found > 0, timeout=60)
    worker = _worker(service)
    os.kill(worker, signal.SIGSTOP)
    assert service.get(job_id).state == Job.RUNNING, "the solve ended before the kill"
    os.kill(worker, signal.SIGKILL)


def _kill_before_it_solves(service: JobService, job_id: str) -> None:
    """Stop the idle worker, let the job start on it, then SIGKILL it: it dies with no plan."""
    stopped = _worker(service)
    os.kill(stopped, signal.SIGSTOP)
    wait_state(service, job_id, Job.RUNNING, timeout=30)
    wait_for(lambda: service.routing.pool.busy() == 1, timeout=30)  # the job is on that worker
    os.kill(stopped, signal.SIGKILL)


def test_job_cut_off_past_its_budget_ends_with_its_checked_plan(real_jobs: MakeJobs) -> None:
    """The worker freezes after handing over a checked plan: the job ends SUCCEEDED with that
    plan, verified, flagged stopped early, its figures those of the plan."""
    service = real_jobs()
    job = service.create(_ortools("frozen", budget=15))
    wait_for(lambda: service.get(job.job_id).progress.plans_checked > 0, timeout=60)
    assert service.get(job.job_id).state == Job.RUNNING  # still searching when it freezes
    os.kill(_worker(service), signal.SIGSTOP)
    done = _final(service, job.job_id)
    assert done.state == Job.SUCCEEDED
    assert done.progress.stopped_early
    info = done.result.solve_info
    assert info.verified and info.degraded
    assert "overran its deadline" in info.degraded_reason
    assert done.progress.best_objective == info.objective
    assert done.progress.vehicles_used == done.result.kpis.vehicles_used


def test_cancelled_job_keeps_its_checked_plan(make_server: Callable[..., ServerHandle]) -> None:
    """Over the wire: cancelling a job that reported a checked plan answers CANCELLED with that
    plan, and the watcher's last event carries it too."""
    handle = make_server(routing_workers=1, job_workers=1)
    with client.channel(handle.target) as chan:
        stub = client.stub(chan)
        create = jobs_pb2.CreatePlanJobRequest(request=_ortools("cancel-me", budget=120))
        job = stub.CreatePlanJob(create, timeout=10)
        events: list[Event] = []
        call = stub.WatchPlanJob(jobs_pb2.WatchPlanJobRequest(job_id=job.job_id))
        reader = threading.Thread(target=lambda: events.extend(call))
        reader.start()
        wait_for(lambda: any(e.job.progress.plans_checked > 0 for e in events), timeout=60)
        cancelled = stub.CancelPlanJob(jobs_pb2.CancelPlanJobRequest(job_id=job.job_id))
        reader.join(30)
    assert cancelled.state == Job.CANCELLED
    assert cancelled.progress.stopped_early
    assert cancelled.result.solve_info.verified
    assert cancelled.result.routes
    assert cancelled.progress.best_objective == cancelled.result.solve_info.objective
    assert [h.reason for h in cancelled.history][-1] == "cancelled by caller"
    assert events[-1].job.state == Job.CANCELLED
    assert events[-1].job.result == cancelled.result


def test_worker_killed_mid_solve_is_retried_and_the_job_succeeds(real_jobs: MakeJobs) -> None:
    """A SIGKILLed worker is a retry, like a server crash: attempt 2 solves the job."""
    service = real_jobs(max_attempts=3)
    job = service.create(_ortools("killed-once", budget=20))
    _kill_once_it_searches(service, job.job_id)
    done = _final(service, job.job_id)
    assert done.state == Job.SUCCEEDED
    assert done.attempts == 2
    assert done.result.solve_info.verified
    reasons = [h.reason for h in done.history]
    assert any(r.startswith("requeued: the routing worker died on attempt 1 of 3") for r in reasons)
    assert [h.state for h in done.history] == [
        Job.QUEUED,
        Job.RUNNING,
        Job.QUEUED,
        Job.RUNNING,
        Job.SUCCEEDED,
    ]


def test_worker_death_on_the_last_attempt_fails_with_a_logged_reason(
    real_jobs: MakeJobs, caplog: pytest.LogCaptureFixture
) -> None:
    """Out of attempts, a dead worker is FAILED with the reason, and one JSON line says so."""
    service = real_jobs(max_attempts=1)
    job = service.create(plan_request("dies", budget=5))
    with caplog.at_level(logging.ERROR, logger="dispatch.jobs.events"):
        _kill_before_it_solves(service, job.job_id)
        done = _final(service, job.job_id)
    assert done.state == Job.FAILED, [h.reason for h in done.history]
    assert done.attempts == 1
    assert "died on attempt 1 of 1; not retried again" in done.error_message
    assert not done.HasField("result")
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "dispatch.jobs.events"]
    assert [(line["event"], line["job_id"]) for line in lines] == [("plan_job_failed", job.job_id)]
    assert lines[0]["reason"] == done.error_message


def test_resubmitting_a_failed_job_runs_it_again(real_jobs: MakeJobs) -> None:
    """The same request after a FAILED job queues that job again, says why, and solves it."""
    service = real_jobs(max_attempts=1)
    request = plan_request("again", budget=1)
    job = service.create(request)
    _kill_before_it_solves(service, job.job_id)
    assert _final(service, job.job_id).state == Job.FAILED
    again = service.create(request)
    assert again.job_id == job.job_id
    assert again.state in (Job.QUEUED, Job.RUNNING)
    done = _final(service, job.job_id)
    assert done.state == Job.SUCCEEDED
    assert done.attempts == 1
    assert not done.error_message
    assert any(h.reason.startswith("resubmitted after FAILED: ") for h in done.history)


def test_resubmitting_a_cancelled_job_runs_it_again(make_service: MakeJobs) -> None:
    """A job cancelled while queued runs when its request is submitted again."""
    service = make_service(workers=1)
    blocker = service.create(plan_request("blocker", budget=30))
    queued = service.create(plan_request("queued", budget=0.3))
    assert service.cancel(queued.job_id).state == Job.CANCELLED
    again = service.create(plan_request("queued", budget=0.3))
    assert (again.job_id, again.state) == (queued.job_id, Job.QUEUED)
    assert again.history[-1].reason == "resubmitted after CANCELLED: cancelled by caller"
    service.cancel(blocker.job_id)
    assert _final(service, queued.job_id, timeout=30).state == Job.SUCCEEDED


def test_live_best_is_the_checked_objective_the_answer_reports(
    make_server: Callable[..., ServerHandle],
) -> None:
    """Every "best" a watcher sees is a checked plan's objective, and the last one is the
    answer's (the engine's own objective, e.g. PyVRP's relaxation, is never shown)."""
    handle = make_server(routing_workers=1, job_workers=1)
    with client.channel(handle.target) as chan:
        stub = client.stub(chan)
        create = jobs_pb2.CreatePlanJobRequest(request=sanitation("live-best", 5))
        job = stub.CreatePlanJob(create, timeout=10)
        events = list(stub.WatchPlanJob(jobs_pb2.WatchPlanJobRequest(job_id=job.job_id)))
    final = events[-1].job
    assert final.state == Job.SUCCEEDED
    improved = [e.job.progress for e in events if e.kind == Event.SOLUTION_IMPROVED]
    assert improved
    assert improved[-1].best_objective == final.result.solve_info.objective
    assert final.progress.best_objective == final.result.solve_info.objective
    assert all(p.plans_checked >= 1 and p.best_objective > 0 for p in improved)
