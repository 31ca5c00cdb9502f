"""The worker-process pool: real spawned processes, faults injected for real."""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Iterator

import pytest

from dispatch.workers import (
    LateAnswer,
    PoolClosedError,
    WorkerPool,
    WorkersBusyError,
    WorkerTimeoutError,
)
from solvers.errors import CancelledError, InvalidProblemError, SolverFailedError


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A killed child that is not reaped yet is a zombie: gone for our purposes.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def _wait_gone(pid: int, seconds: float = 5.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def make_pool() -> Iterator:
    pools: list[WorkerPool] = []

    def make(
        handler: str, size: int = 1, grace: float = 0.5, warm_up: str | None = None
    ) -> WorkerPool:
        pool = WorkerPool(size, f"worker_handlers:{handler}", grace_seconds=grace, warm_up=warm_up)
        pools.append(pool)
        return pool

    yield make
    for pool in pools:
        pool.close()


def test_result_and_progress_come_back(make_pool) -> None:
    """A job's answer returns to the caller and every progress message reaches on_progress."""
    pool = make_pool("echo")
    seen: list[object] = []
    result = pool.run(b"abc", time.monotonic() + 30, on_progress=seen.append)
    assert result == b"cba"
    assert seen == [0, 1, 2]


def test_warm_up_runs_once_in_each_worker_before_jobs(make_pool) -> None:
    """The warm-up hook runs in the worker process itself, once, before it takes a job."""
    pool = make_pool("warmed", warm_up="worker_handlers:warm")
    assert pool.run(b"", time.monotonic() + 30) == b"1"
    assert pool.run(b"", time.monotonic() + 30) == b"1"


def test_cancel_kills_the_worker_and_frees_the_slot(make_pool) -> None:
    """is_cancelled() turning true kills the busy worker; the replacement takes the next job."""
    pool = make_pool("overrun")
    (old,) = pool.pids()
    started = threading.Event()
    flag = threading.Event()

    def cancel_soon(_: object) -> None:
        started.set()
        threading.Timer(0.2, flag.set).start()

    with pytest.raises(CancelledError):
        pool.run(b"", time.monotonic() + 60, is_cancelled=flag.is_set, on_progress=cancel_soon)
    assert started.is_set()
    assert _wait_gone(old)
    assert pool.busy() == 0
    (new,) = pool.pids()
    assert new != old


def test_overrun_past_deadline_and_grace_is_killed(make_pool) -> None:
    """A worker still busy at deadline + grace is killed and replaced (a deadline is a promise)."""
    pool = make_pool("overrun", grace=0.3)
    (old,) = pool.pids()
    begin = time.monotonic()
    with pytest.raises(WorkerTimeoutError):
        pool.run(b"", time.monotonic() + 0.5)
    assert time.monotonic() - begin < 5.0
    assert _wait_gone(old)
    assert pool.pids()[0] != old


def test_late_answer_replaces_an_overrunning_worker(make_pool) -> None:
    """A worker still busy at the late-answer time is killed; the caller's answer is returned."""
    pool = make_pool("overrun", grace=30.0)
    (old,) = pool.pids()
    seen: list[object] = []
    # Seconds, not tenths: a worker still starting up beside two busy loops had not taken the
    # job by 0.5 s (the late answer then came first, correctly, but proved nothing here).
    late = LateAnswer(time.monotonic() + 5.0, lambda: b"best so far")
    answer = pool.run(b"", time.monotonic() + 4.9, on_progress=seen.append, late=late)
    assert answer == b"best so far"
    assert seen == [old]  # the worker did start the job
    assert _wait_gone(old)
    assert pool.busy() == 0


def test_late_answer_of_none_keeps_waiting_for_the_worker(make_pool) -> None:
    """A caller with nothing to answer leaves the worker its grace; the overrun rule applies."""
    pool = make_pool("overrun", grace=0.3)
    late = LateAnswer(time.monotonic() + 0.2, lambda: None)
    with pytest.raises(WorkerTimeoutError):
        pool.run(b"", time.monotonic() + 0.2, late=late)


def test_crashed_worker_is_reported_and_replaced(make_pool) -> None:
    """A worker that dies mid-job raises SolverFailedError; the pool spawns a new one."""
    pool = make_pool("crash")
    (old,) = pool.pids()
    with pytest.raises(SolverFailedError):
        pool.run(b"", time.monotonic() + 30)
    assert pool.pids()[0] != old
    assert pool.busy() == 0


def test_worker_errors_keep_their_type_and_field_paths(make_pool) -> None:
    """InvalidProblemError raised in the worker arrives with its field path; no respawn."""
    pool = make_pool("invalid")
    (old,) = pool.pids()
    with pytest.raises(InvalidProblemError) as info:
        pool.run(b"", time.monotonic() + 30)
    assert info.value.problems[0].path == "stops[2].location_id"
    assert pool.pids() == [old]


def test_pool_is_bounded(make_pool) -> None:
    """With one worker, two concurrent jobs run one after the other in that same process."""
    pool = make_pool("pid")
    results: list[bytes] = []
    threads = [
        threading.Thread(target=lambda: results.append(pool.run(b"", time.monotonic() + 30)))
        for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(results) == 2
    assert results[0] == results[1] == str(pool.pids()[0]).encode()


def test_a_job_cancelled_before_it_starts_leaves_the_free_worker_alone(make_pool) -> None:
    """A caller gone before its job took a worker gets CancelledError, and the free worker is
    neither sent the job nor killed for it: the same process serves the next job."""
    pool = make_pool("echo")
    before = pool.pids()
    with pytest.raises(CancelledError):
        pool.run(b"abc", time.monotonic() + 30, is_cancelled=lambda: True)
    assert pool.pids() == before
    assert pool.run(b"abc", time.monotonic() + 30) == b"cba"


def test_waiting_for_a_busy_pool_respects_the_deadline(make_pool) -> None:
    """When every worker stays busy past a job's deadline, that job gives up instead of hanging
    (WorkersBusyError: retryable, RESOURCE_EXHAUSTED)."""
    pool = make_pool("overrun", grace=30)

    def block() -> None:
        # Ends when the fixture closes the pool (the overrunning worker is then killed).
        with contextlib.suppress(SolverFailedError, CancelledError, PoolClosedError):
            pool.run(b"", time.monotonic() + 3)

    blocker = threading.Thread(target=block, daemon=True)
    blocker.start()
    while pool.busy() == 0:
        time.sleep(0.01)
    with pytest.raises(WorkersBusyError):
        pool.run(b"", time.monotonic() + 0.3)


def test_workers_die_with_a_killed_server(tmp_path) -> None:
    """A SIGKILLed server process takes its busy solver workers with it (mid-solve they would
    otherwise keep a core each until their deadline), and workers run at a lower CPU priority
    than the server."""
    import signal
    import subprocess
    import sys
    import textwrap

    pid_file = tmp_path / "pids"
    host = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, threading, time
                sys.path.insert(0, {os.path.dirname(__file__)!r})
                from dispatch.workers import WorkerPool
                if __name__ == "__main__":
                    pool = WorkerPool(2, "worker_handlers:overrun")
                    for _ in range(2):  # both workers busy in a solve that ignores the clock
                        threading.Thread(
                            target=pool.run, args=(b"", time.monotonic() + 600), daemon=True
                        ).start()
                    open({str(pid_file)!r}, "w").write(" ".join(map(str, pool.pids())))
                    time.sleep(120)
                """
            ),
        ]
    )
    try:
        end = time.monotonic() + 60
        while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < end:
            time.sleep(0.05)
        workers = [int(p) for p in pid_file.read_text().split()]

        def lowered(pid: int) -> bool:  # a spawned worker lowers itself once it has started
            return os.getpriority(os.PRIO_PROCESS, pid) > os.getpriority(os.PRIO_PROCESS, 0)

        while not all(lowered(p) for p in workers) and time.monotonic() < end:
            time.sleep(0.05)
        assert all(lowered(p) for p in workers)
        time.sleep(0.5)  # let both jobs reach their workers
        os.kill(host.pid, signal.SIGKILL)
        host.wait()
        assert all(_wait_gone(p) for p in workers)
    finally:
        if host.poll() is None:
            host.kill()


def test_a_workers_log_records_are_json_lines(make_pool, capfd) -> None:
    """A warning logged in the worker process reaches the server's stderr as one JSON line
    (a degraded routing answer was once a bare text line among the server's JSON lines)."""
    pool = make_pool("warn")
    assert pool.run(b"xyz", time.monotonic() + 30) == b"xyz"
    pool.close()
    lines = [line for line in capfd.readouterr().err.splitlines() if "degraded answer" in line]
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["level"] == "WARNING" and "degraded answer xyz" in record["message"]
