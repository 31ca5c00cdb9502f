"""`dispatch serve` as a separate process, killed with SIGKILL mid-job and restarted."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from job_helpers import FINAL, sanitation, wait_for

from dispatch import client
from dispatch._proto.dispatch.v1 import jobs_pb2

Job = jobs_pb2.PlanJob
SERVING = re.compile(r"serving on (\S+) \(port (\d+)\)")


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (its routing workers), read from /proc."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        for task in Path(f"/proc/{parent}/task").glob("*"):
            try:
                children = (task / "children").read_text().split()
            except OSError:
                continue
            for child in map(int, children):
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


class Serve:
    """One `dispatch serve` process on a store."""

    def __init__(self, store: str, address: str = "127.0.0.1:0") -> None:
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dispatch.cli",
                "serve",
                "--address",
                address,
                "--store",
                store,
                "--workers",
                "1",
                "--job-workers",
                "1",
                "--log-level",
                "WARNING",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        line = self.proc.stdout.readline()  # type: ignore[union-attr]
        match = SERVING.search(line)
        assert match, f"no address in {line!r}"
        self.target = match.group(1)

    def stub(self):
        self.channel = client.channel(self.target)
        return client.stub(self.channel)

    def kill(self) -> None:
        """SIGKILL the server, then its worker processes (as a machine crash would)."""
        workers = _descendants(self.proc.pid)
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)
        for pid in workers:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def cleanup(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture
def serves(tmp_path: Path) -> Iterator[list[Serve]]:
    """Servers started by the test; all stopped (and their orphans killed) at teardown."""
    started: list[Serve] = []
    yield started
    for serve in started:
        serve.cleanup()


def test_sigkill_mid_job_then_restart_keeps_results_and_finishes_job(
    serves: list[Serve], tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """A finished plan reads back byte for byte; the interrupted job runs again and succeeds.

    A `dispatch jobs watch` started before the crash reconnects to the restarted server (same
    address) and ends with the plan: following a job does not depend on one connection.
    """
    store = str(tmp_path / "store" / "dispatch.sqlite3")
    first = Serve(store)
    serves.append(first)
    stub = first.stub()

    def create(stub, request_id: str, budget: float) -> Job:
        request = jobs_pb2.CreatePlanJobRequest(request=sanitation(request_id, budget))
        return stub.CreatePlanJob(request, timeout=30)

    def get(stub, job_id: str) -> Job:
        return stub.GetPlanJob(jobs_pb2.GetPlanJobRequest(job_id=job_id), timeout=10)

    done = create(stub, "done", 2.5)
    wait_for(lambda: get(stub, done.job_id).state in FINAL, timeout=30)
    finished = get(stub, done.job_id)
    assert finished.state == Job.SUCCEEDED
    # Long enough that the job is still solving when its first checked plan is seen, even when
    # a loaded machine delays that plan by several seconds (with 6 s it once ended first).
    running = create(stub, "running", 15.0)
    queued = create(stub, "queued", 2.0)
    watcher = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dispatch.cli",
            "jobs",
            "watch",
            running.job_id,
            "--json",
            "--target",
            first.target,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    request.addfinalizer(lambda: watcher.poll() is None and watcher.kill())
    first_event = watcher.stdout.readline()  # type: ignore[union-attr]
    assert '"STATE_CHANGED"' in first_event
    wait_for(lambda: get(stub, running.job_id).progress.solutions_found > 0, timeout=30)
    first.kill()
    first.channel.close()
    assert first.proc.returncode == -signal.SIGKILL

    second = Serve(store, address=first.target)
    serves.append(second)
    stub = second.stub()
    again = get(stub, done.job_id)
    assert again.result.SerializeToString() == finished.result.SerializeToString()
    assert again.state == Job.SUCCEEDED
    # Same request_id after the restart: still the same job, not a second solve.
    assert create(stub, "done", 2.5).job_id == done.job_id
    started = time.monotonic()
    for job_id in (running.job_id, queued.job_id):
        wait_for(lambda job_id=job_id: get(stub, job_id).state in FINAL, timeout=60)
    resumed = get(stub, running.job_id)
    assert resumed.state == Job.SUCCEEDED
    assert resumed.result.solve_info.verified
    assert resumed.attempts == 2
    assert "requeued after server restart" in resumed.history[2].reason
    later = get(stub, queued.job_id)
    assert (later.state, later.attempts) == (Job.SUCCEEDED, 1)
    assert time.monotonic() - started < 60
    out, err = watcher.communicate(timeout=30)
    assert watcher.returncode == 0, err
    assert "reconnecting" in err
    assert '"SUCCEEDED"' in out.strip().splitlines()[-1]
    second.channel.close()
