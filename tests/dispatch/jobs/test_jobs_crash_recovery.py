"""kill -9 of the process that owns the jobs, then a restart on the same store."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from job_helpers import FINAL, wait_state

from dispatch._proto.dispatch.v1 import jobs_pb2
from dispatch.jobs import JobService
from dispatch.jobs.rows import JobQuery

Job = jobs_pb2.PlanJob
HOST = Path(__file__).with_name("job_host.py")


def _run_host_until(
    store: str, max_attempts: int, specs: list[str], done: Callable[[dict[str, dict]], bool]
) -> dict[str, dict]:
    """Start a job host, read its reports until ``done(latest by request_id)``, then SIGKILL it."""
    proc = subprocess.Popen(
        [sys.executable, str(HOST), store, str(max_attempts), *specs],
        stdout=subprocess.PIPE,
        text=True,
    )
    seen: dict[str, dict] = {}
    try:
        for line in proc.stdout:  # type: ignore[union-attr]
            event = json.loads(line)
            seen[event["request_id"]] = event
            if done(seen):
                break
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL
    return seen


def test_sigkill_mid_job_keeps_results_and_resumes_work(
    make_service: Callable[..., JobService], store_path: str
) -> None:
    """What a caller saw finish survives the crash; what was running or queued runs again."""
    seen = _run_host_until(
        store_path,
        3,
        ["done:0.3", "running:1.5", "queued:0.3"],
        lambda seen: seen.get("running", {}).get("state") == Job.RUNNING,
    )
    assert seen["done"]["state"] == Job.SUCCEEDED

    service = make_service(path=store_path)
    done = service.get(seen["done"]["job_id"])
    assert done.state == Job.SUCCEEDED
    assert done.result.solve_info.objective == seen["done"]["objective"] > 0
    assert service.list(JobQuery(states=[Job.SUCCEEDED])).jobs[0].job_id == done.job_id
    for name, attempts in (("running", 2), ("queued", 1)):
        wait_state(service, seen[name]["job_id"], *FINAL)
        job = service.get(seen[name]["job_id"])
        assert job.state == Job.SUCCEEDED, name
        assert job.attempts == attempts, name
    resumed = service.get(seen["running"]["job_id"])
    assert [h.state for h in resumed.history] == [
        Job.QUEUED,
        Job.RUNNING,
        Job.QUEUED,
        Job.RUNNING,
        Job.SUCCEEDED,
    ]
    assert "restart" in resumed.history[2].reason


def test_job_that_keeps_dying_with_the_server_fails_after_max_attempts(
    make_service: Callable[..., JobService], store_path: str
) -> None:
    """A request that takes the server down each time must stop being retried, with a reason."""

    def running_attempt(n: int) -> Callable[[dict[str, dict]], bool]:
        return lambda seen: (
            seen.get("poison", {}).get("state") == Job.RUNNING and (seen["poison"]["attempts"] == n)
        )

    _run_host_until(store_path, 2, ["poison:60"], running_attempt(1))
    seen = _run_host_until(store_path, 2, [], running_attempt(2))
    service = make_service(path=store_path, max_attempts=2)
    job = service.get(seen["poison"]["job_id"])
    assert job.state == Job.FAILED
    assert job.attempts == 2
    assert "attempt 2 of 2" in job.error_message
    assert [h.state for h in job.history][-1] == Job.FAILED
