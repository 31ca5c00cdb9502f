"""Plan jobs over a real server with the real RoutingService (OR-Tools in worker processes)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from job_helpers import FINAL, sanitation, wait_for

from dispatch import client
from dispatch._proto.dispatch.v1 import common_pb2, jobs_pb2
from dispatch.jobs import JobService, StoreUnavailableError
from dispatch.routing import RoutingService
from dispatch.server import ServerHandle

Job = jobs_pb2.PlanJob
Event = jobs_pb2.PlanJobEvent


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie is dead too
        return stat.read().split(")")[-1].split()[0] != "Z"


@pytest.fixture
def job_server(make_server: Callable[..., ServerHandle]) -> ServerHandle:
    """A server with one routing worker and one job slot."""
    return make_server(routing_workers=1, job_workers=1)


def test_watch_sees_solver_improvements_then_verified_plan(job_server: ServerHandle) -> None:
    """The real solver's improving checked plans reach a watcher, then the final plan."""
    with client.channel(job_server.target) as chan:
        stub = client.stub(chan)
        job = stub.CreatePlanJob(
            jobs_pb2.CreatePlanJobRequest(request=sanitation("night-real", 10.0)), timeout=10
        )
        events = list(stub.WatchPlanJob(jobs_pb2.WatchPlanJobRequest(job_id=job.job_id)))
    improved = [e.job.progress for e in events if e.kind == Event.SOLUTION_IMPROVED]
    # PyVRP (AUTO's engine here) hands over checked plans only as its searches return.
    assert len(improved) >= 1
    assert [p.plans_checked for p in improved] == sorted({p.plans_checked for p in improved})
    # Each figure is a checked plan's, whatever the engine reports while it searches.
    assert all(p.vehicles_used >= 1 and p.best_objective > 0 for p in improved)
    final = events[-1].job
    assert final.state == Job.SUCCEEDED
    info = final.result.solve_info
    assert info.verified
    assert info.status in (common_pb2.FEASIBLE, common_pb2.OPTIMAL)
    assert final.progress.best_objective == info.objective
    assert final.progress.vehicles_used == final.result.kpis.vehicles_used


def test_cancel_kills_the_solving_worker_and_frees_the_slot(job_server: ServerHandle) -> None:
    """After CancelPlanJob the worker process solving the job is gone and the next job runs."""
    with client.channel(job_server.target) as chan:
        stub = client.stub(chan)
        create = stub.CreatePlanJob
        long = create(jobs_pb2.CreatePlanJobRequest(request=sanitation("long", 60)), timeout=10)
        nxt = create(jobs_pb2.CreatePlanJobRequest(request=sanitation("next", 10)), timeout=10)

        def get(job_id: str) -> Job:
            return stub.GetPlanJob(jobs_pb2.GetPlanJobRequest(job_id=job_id), timeout=10)

        wait_for(lambda: get(long.job_id).progress.solutions_found > 0, timeout=30)
        job_pool = job_server.jobs.routing.pool
        assert job_pool.busy() == 1
        solving = job_pool.pids()
        cancelled = stub.CancelPlanJob(jobs_pb2.CancelPlanJobRequest(job_id=long.job_id))
        assert cancelled.state == Job.CANCELLED
        wait_for(lambda: not any(_alive(pid) for pid in solving), timeout=5)
        wait_for(lambda: get(nxt.job_id).state in FINAL, timeout=30)
        assert get(nxt.job_id).state == Job.SUCCEEDED


def test_second_server_on_the_same_store_refuses_to_start(
    make_server: Callable[..., ServerHandle], tmp_path: Path
) -> None:
    """Two servers on one store would run every queued job twice; the second must not start."""
    store = str(tmp_path / "shared" / "dispatch.sqlite3")
    make_server(store_path=store)
    with pytest.raises(StoreUnavailableError):
        make_server(store_path=store)


def test_job_service_owning_its_routing_pool_stops_it_on_close(store_path: str) -> None:
    """A dedicated job pool (owns_routing) must not outlive the service that owns it."""
    routing = RoutingService(workers=1)
    service = JobService(store_path, routing, workers=1, queue_limit=5, owns_routing=True)
    service.start()
    job = service.create(sanitation("own", 30))
    wait_for(lambda: service.get(job.job_id).progress.solutions_found > 0, timeout=30)
    service.close()
    # The cancelled solve's worker is replaced by a fresh one; closing must stop that too.
    wait_for(lambda: not any(_alive(pid) for pid in routing.pool.pids()), timeout=10)
