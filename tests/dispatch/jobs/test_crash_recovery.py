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

Job = jobs_pb2.PlanJob
HOST = Path(__file__).with_name("job_host.py")


def test_sigkill_mid_job_keeps_results_and_resumes_work(
    make_service: Callable[..., JobService], store_path: str
) -> None:
    """What a caller saw finish survives the crash; what was running or queued runs again."""
    proc = subprocess.Popen(
        [sys.executable, str(HOST), store_path, "done:0.3", "running:1.5", "queued:0.3"],
        stdout=subprocess.PIPE,
        text=True,
    )
    seen: dict[str, dict] = {}
    try:
        for line in proc.stdout:
            event = json.loads(line)
            seen[event["request_id"]] = event
            if seen.get("running", {}).get("state") == Job.RUNNING:
                break
        assert seen["done"]["state"] == Job.SUCCEEDED
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait(10)
    assert proc.returncode == -signal.SIGKILL

    service = make_service(path=store_path)
    done = service.get(seen["done"]["job_id"])
    assert done.state == Job.SUCCEEDED
    assert done.result.solve_info.objective == seen["done"]["objective"] > 0
    assert service.list(states=[Job.SUCCEEDED]).jobs[0].job_id == done.job_id
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
