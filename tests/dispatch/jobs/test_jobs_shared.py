"""The job service over both stores, and replicas sharing a PostgreSQL store.

``SharedJobService`` is what ``dispatch serve --store postgresql://...`` runs: slots claim jobs
from the database, so two services on one database behave as two server replicas. The solves
are real worker processes (TickingRouting); the database is a real PostgreSQL server.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from job_helpers import FINAL, plan_request, wait_for, wait_state
from ticking_routing import TickingRouting

from dispatch._proto.dispatch.v1 import jobs_pb2
from dispatch.jobs import JobService, RequestIdConflictError
from dispatch.jobs.shared import SharedJobService
from dispatch.jobs.store_pg import is_postgres_url

Job = jobs_pb2.PlanJob
Event = jobs_pb2.PlanJobEvent
MakeService = Callable[..., JobService]


def _factory(store: str) -> tuple[MakeService, list[JobService]]:
    made: list[JobService] = []

    def make(workers: int = 1, **kwargs: object) -> JobService:
        kind = SharedJobService if is_postgres_url(store) else JobService
        if kind is SharedJobService:
            kwargs.setdefault("poll_interval", 0.2)
        service = kind(store, TickingRouting(workers=workers), workers, 10, **kwargs)
        service.start()
        made.append(service)
        return service

    return make, made


@pytest.fixture
def any_service(any_store_path: str) -> Iterator[MakeService]:
    """Started job services on a SQLite file, then on a PostgreSQL database."""
    make, made = _factory(any_store_path)
    yield make
    for service in made:
        service.close()


@pytest.fixture
def replica(pg_url: str) -> Iterator[MakeService]:
    """Started SharedJobServices on one PostgreSQL database: replicas of one deployment."""
    make, made = _factory(pg_url)
    yield make
    for service in made:
        service.close()


def _follow(service: JobService, job_id: str, events: list[Event]) -> threading.Thread:
    def run() -> None:
        events.extend(service.watch(job_id, lambda: True))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_job_runs_to_success_on_either_store(any_service: MakeService) -> None:
    """Create, run, succeed with a plan: the same lifecycle whichever store holds the job."""
    service = any_service()
    job = service.create(plan_request("r1", budget=0.5))
    wait_state(service, job.job_id, *FINAL, timeout=30)
    done = service.get(job.job_id)
    assert (done.state, done.attempts) == (Job.SUCCEEDED, 1)
    assert done.result.solve_info.objective > 0
    assert [h.state for h in done.history] == [Job.QUEUED, Job.RUNNING, Job.SUCCEEDED]


def test_idempotency_and_conflict_on_either_store(any_service: MakeService) -> None:
    """A retried create returns the job; the same id with another body is a conflict."""
    service = any_service()
    first = service.create(plan_request("night-1", budget=0.3))
    assert service.create(plan_request("night-1", budget=0.3)).job_id == first.job_id
    with pytest.raises(RequestIdConflictError):
        service.create(plan_request("night-1", stops=3))


def test_cancel_running_job_keeps_plan_on_either_store(any_service: MakeService) -> None:
    """Cancelling on the replica that runs the job stops it and keeps the best checked plan."""
    service = any_service()
    job = service.create(plan_request("r1", budget=20))
    wait_for(lambda: service.get(job.job_id).progress.plans_checked >= 2, timeout=30)
    cancelled = service.cancel(job.job_id)
    assert cancelled.state == Job.CANCELLED
    assert cancelled.progress.stopped_early and cancelled.HasField("result")


def test_replicas_share_one_queue(replica: MakeService) -> None:
    """Jobs created on one replica are solved by both, each exactly once."""
    a, b = replica(), replica()
    jobs = [a.create(plan_request(f"r{i}", budget=1.0)) for i in range(4)]
    for job in jobs:
        wait_state(b, job.job_id, *FINAL, timeout=60)
    ran_on = set()
    for job in jobs:
        done = b.get(job.job_id)
        assert (done.state, done.attempts) == (Job.SUCCEEDED, 1)
        leases = b.store.leases(job.job_id)
        assert len(leases) == 1
        ran_on.add(leases[0]["replica"])
    assert ran_on == {a.store.replica, b.store.replica}


def test_same_request_id_on_two_replicas_is_one_job(replica: MakeService) -> None:
    """A scheduler retrying on another replica behind the load balancer gets the same job."""
    a, b = replica(), replica()
    first = a.create(plan_request("night-7", budget=0.3))
    assert b.create(plan_request("night-7", budget=0.3)).job_id == first.job_id
    with pytest.raises(RequestIdConflictError):
        b.create(plan_request("night-7", stops=3))


def test_watch_on_another_replica_follows_the_solve(replica: MakeService) -> None:
    """A watcher on replica B sees the job A solves: improving plans, then SUCCEEDED with the
    plan (B polls the store for jobs it does not run)."""
    a = replica(progress_interval=0.2)
    job = a.create(plan_request("watched", budget=4))
    wait_state(a, job.job_id, Job.RUNNING, timeout=30)
    b = replica()
    events: list[Event] = []
    thread = _follow(b, job.job_id, events)
    thread.join(60)
    assert not thread.is_alive()
    assert events[0].job.state == Job.RUNNING
    assert any(e.kind == Event.SOLUTION_IMPROVED for e in events)
    assert events[-1].job.state == Job.SUCCEEDED
    assert events[-1].job.result.solve_info.objective > 0
    assert [lease["replica"] for lease in b.store.leases(job.job_id)] == [a.store.replica]


def test_cancel_on_another_replica_stops_the_solve(replica: MakeService) -> None:
    """CancelPlanJob on B ends a job running on A; A's heartbeat stops the solve, frees its slot
    and records nothing over the cancel."""
    a = replica(lease_seconds=1.5)
    job = a.create(plan_request("long", budget=60))
    wait_state(a, job.job_id, Job.RUNNING, timeout=30)
    b = replica()
    cancelled = b.cancel(job.job_id)
    assert cancelled.state == Job.CANCELLED
    wait_for(lambda: not a._running, timeout=20)  # A let go of the slot
    after = a.get(job.job_id)
    assert after.state == Job.CANCELLED
    assert after.history[-1].reason == "cancelled by caller"
    assert a.store.leases(job.job_id)[0]["how"] == "cancelled by caller"
