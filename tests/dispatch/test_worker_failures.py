"""Routing workers that are all busy or that die: the caller gets a retryable status
(RESOURCE_EXHAUSTED or UNAVAILABLE, with a RetryInfo), never CANCELLED or INTERNAL, and the
pool replaces a dead worker. Real server, real workers, faults injected for real (kill -9)."""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Callable

import grpc
import pytest

from benchmarks.load.clients import retry_delay
from dispatch import client
from dispatch.workers import PoolClosedError, WorkerCrashedError, WorkerPool, WorkersBusyError
from solvers.errors import CancelledError

RETRYABLE = {grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.UNAVAILABLE}


def _wait(predicate: Callable[[], bool], seconds: float = 30.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return False


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] == "Z"
    except FileNotFoundError:
        return True


def test_plan_routes_while_every_worker_is_busy_is_retryable(make_server, examples):
    """One worker, held by a long solve: a second PlanRoutes whose deadline passes while it waits
    is RESOURCE_EXHAUSTED or UNAVAILABLE with a RetryInfo, never CANCELLED, before its deadline."""
    handle = make_server(routing_workers=1)
    long_solve = examples["sanitation"]
    long_solve.options.time_budget.FromSeconds(30)
    with client.channel(handle.target) as chan:
        stub = client.stub(chan)
        held = stub.PlanRoutes.future(long_solve, timeout=90)
        try:
            assert _wait(lambda: handle.routing.pool.busy() == 1)
            with pytest.raises(grpc.RpcError) as info:
                stub.PlanRoutes(examples["maintenance"], timeout=4.0)
            assert info.value.code() in RETRYABLE, info.value.details()
            assert (retry_delay(info.value) or 0) > 0
            assert not held.done()  # the held solve was not disturbed
        finally:
            held.cancel()


def test_worker_killed_mid_solve_is_unavailable_and_replaced(make_server, examples):
    """kill -9 of the worker under a PlanRoutes: the caller gets UNAVAILABLE with a RetryInfo
    (not INTERNAL), and the next call is answered by a replacement worker."""
    handle = make_server(routing_workers=1)
    (old,) = handle.routing.pool.pids()
    request = examples["sanitation"]
    request.options.time_budget.FromSeconds(30)
    with client.channel(handle.target) as chan:
        stub = client.stub(chan)
        future = stub.PlanRoutes.future(request, timeout=90)
        assert _wait(lambda: handle.routing.pool.busy() == 1)
        os.kill(old, signal.SIGKILL)
        with pytest.raises(grpc.RpcError) as info:
            future.result(timeout=60)
        assert info.value.code() == grpc.StatusCode.UNAVAILABLE, info.value.details()
        assert (retry_delay(info.value) or 0) > 0
        assert _gone(old)
        (new,) = handle.routing.pool.pids()
        assert new != old
        quick = examples["maintenance"]
        quick.options.deterministic = True  # ends on work limits, whatever the machine's load
        quick.options.time_budget.FromSeconds(25)
        assert stub.PlanRoutes(quick, timeout=60).solve_info.verified
        assert handle.routing.pool.pids() == [new]


def test_worker_killed_while_idle_is_replaced_before_the_next_call(make_server, examples):
    """A worker that died between calls (the OOM killer) is replaced when the next call comes:
    that call is answered, not failed."""
    handle = make_server(routing_workers=1)
    (old,) = handle.routing.pool.pids()
    os.kill(old, signal.SIGKILL)
    assert _wait(lambda: _gone(old))
    request = examples["maintenance"]
    request.options.deterministic = True
    request.options.time_budget.FromSeconds(25)
    with client.channel(handle.target) as chan:
        response = client.stub(chan).PlanRoutes(request, timeout=60)
    assert response.solve_info.verified
    assert handle.routing.pool.pids() != [old]


def test_busy_pool_retry_delay_is_the_time_until_the_busy_job_must_end():
    """WorkersBusyError says when a worker must be free: the busy job's deadline (plus the time
    a replacement needs), so a caller does not retry into the same wall."""
    import threading

    pool = WorkerPool(1, "worker_handlers:overrun", grace_seconds=30)
    try:
        busy_until = time.monotonic() + 6.0

        def block() -> None:
            with contextlib.suppress(WorkerCrashedError, CancelledError, PoolClosedError):
                pool.run(b"", busy_until)

        threading.Thread(target=block, daemon=True).start()
        assert _wait(lambda: pool.busy() == 1)
        with pytest.raises(WorkersBusyError) as info:
            pool.run(b"", time.monotonic() + 0.3)
        remaining = busy_until - time.monotonic()
        assert remaining < info.value.retry_after < remaining + 5.0
    finally:
        pool.close()
