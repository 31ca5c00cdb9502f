"""Admission control over a real server: beyond its limits a call is refused at once with
RESOURCE_EXHAUSTED and a RetryInfo, admitted calls answer, and health keeps answering."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import grpc
import pytest

from benchmarks.assign.requests import to_request
from benchmarks.assign.scenarios import city_problem
from benchmarks.load.clients import retry_delay
from dispatch import client
from dispatch.cli import build_parser
from dispatch.config import ServerConfig, parse_size


def _wait(predicate: Callable[[], bool], seconds: float = 30.0) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.01)
    return False


def _big_assign_request():
    """A 200-incident x 2000-unit city (about 2 MB on the wire): long enough to overlap."""
    return to_request(city_problem(200, 2000, seed=7, coverage=True), time_budget=5.0)


def test_assign_units_beyond_the_in_flight_limit_are_refused_with_retry_info(make_server):
    """With one AssignUnits slot, a burst of eight: the excess are RESOURCE_EXHAUSTED with a
    RetryInfo, every admitted call answers OK, and a health check during the burst is SERVING."""
    handle = make_server(max_inflight_assign_units=1)
    request = _big_assign_request()
    outcomes: list[object] = []
    health: list[str] = []
    start = threading.Barrier(8)
    with client.channel(handle.target) as chan:
        stub = client.stub(chan)
        grpc.channel_ready_future(chan).result(timeout=10)

        def caller() -> None:
            start.wait(30)
            try:
                outcomes.append(stub.AssignUnits(request, timeout=60))
            except grpc.RpcError as error:
                outcomes.append(error)

        def prober() -> None:
            state = handle.admission.state
            if _wait(lambda: state().assign_units_in_flight or state().refused_calls):
                health.append(client.health_status(chan, timeout=10))

        threads = [threading.Thread(target=caller) for _ in range(8)]
        threads.append(threading.Thread(target=prober))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    refused = [o for o in outcomes if isinstance(o, grpc.RpcError)]
    answered = [o for o in outcomes if not isinstance(o, grpc.RpcError)]
    assert len(outcomes) == 8
    assert refused and answered
    assert {e.code() for e in refused} == {grpc.StatusCode.RESOURCE_EXHAUSTED}
    assert all((retry_delay(e) or 0) > 0 for e in refused)
    assert all(a.solve_info.verified for a in answered)
    assert health == ["SERVING"]
    assert handle.admission.state().assign_units_in_flight == 0


def test_a_body_beyond_the_bytes_budget_is_refused_while_another_is_held(make_server, examples):
    """With 1 MiB of request bytes allowed in flight and a PlanRoutes holding some, a 1.4 MB
    AssignUnits is refused with a RetryInfo; a small one still fits and is answered."""
    handle = make_server(max_inflight_request_bytes=1024 * 1024, routing_workers=1)
    big = to_request(city_problem(300, 1000, seed=3), time_budget=2.0)
    assert big.ByteSize() > 1024 * 1024
    plan = examples["sanitation"]
    plan.options.time_budget.FromSeconds(30)
    with client.channel(handle.target) as chan:
        stub = client.stub(chan)
        held = stub.PlanRoutes.future(plan, timeout=90)
        try:
            assert _wait(lambda: handle.routing.pool.busy() == 1)
            assert handle.admission.state().request_bytes_in_flight == plan.ByteSize()
            with pytest.raises(grpc.RpcError) as info:
                stub.AssignUnits(big, timeout=30)
            assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
            assert "budget" in info.value.details()
            assert (retry_delay(info.value) or 0) > 0
            small = stub.AssignUnits(examples["emergency"], timeout=30)
            assert small.solve_info.verified
        finally:
            held.cancel()


def test_limits_come_from_flags_and_environment():
    """DISPATCH_MAX_INFLIGHT_ASSIGN / _BYTES set the limits; byte sizes take MiB/GiB units."""
    config = ServerConfig.from_env(
        {"DISPATCH_MAX_INFLIGHT_ASSIGN": "3", "DISPATCH_MAX_INFLIGHT_BYTES": "64MiB"}
    )
    assert config.max_inflight_assign_units == 3
    assert config.max_inflight_request_bytes == 64 * 1024 * 1024
    args = build_parser().parse_args(
        ["serve", "--max-inflight-assign", "5", "--max-inflight-bytes", "1GiB"]
    )
    assert (args.max_inflight_assign, args.max_inflight_bytes) == (5, 1024**3)
    assert parse_size("200MB") == 200_000_000


@pytest.mark.parametrize(
    "env",
    [
        {"DISPATCH_MAX_INFLIGHT_ASSIGN": "0"},
        {"DISPATCH_MAX_INFLIGHT_BYTES": "lots"},
        {"DISPATCH_MAX_INFLIGHT_BYTES": "1KiB"},
    ],
)
def test_unusable_limits_stop_the_server_at_start(env):
    """A limit that would refuse everything, or is not a size, fails at start naming itself."""
    with pytest.raises(ValueError, match=r"(?i)inflight|byte size"):
        ServerConfig.from_env(env)
