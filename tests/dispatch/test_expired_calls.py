"""Calls whose caller has gone (deadline passed, cancelled) are stopped, not solved: real server.

Under overload a handler thread can lose the CPU until its caller's deadline has passed; then
everything it still does is wasted. To make that happen on cue, a :class:`Pause` holds the
server's handler thread just before one of its checkpoints (as a debugger breakpoint would)
until the client has seen its deadline pass; then the real checkpoint runs. Nothing here sleeps
for a guessed time: each wait is for an event (the pause reached, the client's error, the
server's log line or metric).
"""

from __future__ import annotations

import json
import logging
import threading
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from prometheus_client.parser import text_string_to_metric_families

from dispatch import client, emergency, service, validation
from dispatch.config import ServerConfig
from dispatch.server import ServerHandle, start
from solvers.errors import CancelledError

#: Every wait for the server is bounded by this, far above any call's real need.
WAIT = 60.0
#: The first deadline tried (seconds); doubled when the transfer alone took it (see _expire).
FIRST_TIMEOUT = 0.25


def _until(condition: Callable[[], Any]) -> Any:
    """Poll ``condition`` until it is truthy (the server works in its own threads)."""
    tick = threading.Event()
    for _ in range(int(WAIT / 0.005)):
        value = condition()
        if value:
            return value
        tick.wait(0.005)
    raise AssertionError("the server never got there")


def _deadline_passed(context: grpc.ServicerContext) -> bool:
    return context.time_remaining() <= 0


class Pause:
    """Holds the server's handler thread before checkpoint ``step`` of the calls whose
    request_id is in ``request_ids``, until the test releases it and the call is over by the
    server's own view (``over``: by default its deadline has passed). Then the real checkpoint
    runs. ``held`` names the calls that reached the pause."""

    def __init__(
        self, step: str, over: Callable[[grpc.ServicerContext], bool] = _deadline_passed
    ) -> None:
        self.step = step
        self.over = over
        self.request_ids: set[str] = set()
        self.held: set[str] = set()
        self.changed = threading.Condition()
        self._released = threading.Event()

    def install(self, monkeypatch: pytest.MonkeyPatch) -> Pause:
        original = service.checkpoint_for

        def checkpoint_for(method: str, request: Any, context: grpc.ServicerContext) -> Any:
            checkpoint = original(method, request, context)

            def paused(step: str) -> None:
                if step == self.step and request.request_id in self.request_ids:
                    self._hold(request.request_id, context)
                checkpoint(step)

            return paused

        monkeypatch.setattr(service, "checkpoint_for", checkpoint_for)
        return self

    def _hold(self, request_id: str, context: grpc.ServicerContext) -> None:
        with self.changed:
            self.held.add(request_id)
            self.changed.notify_all()
        if not self._released.wait(WAIT):
            raise AssertionError("the test never released the pause")
        # The server's deadline starts when the headers arrive, a little after the client's,
        # and a cancel takes a moment to arrive: wait until the server sees the call is over.
        _until(lambda: self.over(context))

    def release(self) -> None:
        self._released.set()


class Calls:
    """Counts the calls of a wrapped function (which still runs)."""

    def __init__(self) -> None:
        self.count = 0

    def wrap(self, function: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            self.count += 1
            return function(*args, **kwargs)

        return counted


@pytest.fixture(scope="module")
def handle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerHandle]:
    """A server with the smallest thread pool (4) and metrics; 4 AssignUnits may run at once."""
    folder: Path = tmp_path_factory.mktemp("expired")
    config = ServerConfig(
        address="127.0.0.1:0",
        metrics_address="127.0.0.1:0",
        routing_workers=1,
        job_workers=1,
        store_path=str(folder / "dispatch.sqlite3"),
        thread_pool_size=4,
        reserved_threads=1,
        max_inflight_assign_units=4,
        grace_seconds=1.0,
    )
    server = start(config)
    yield server
    server.shutdown(grace=1.0)


@pytest.fixture(scope="module")
def stub(handle: ServerHandle) -> Iterator[Any]:
    """A DispatchService stub on a channel of this module's server."""
    with client.channel(handle.target) as channel:
        grpc.channel_ready_future(channel).result(timeout=WAIT)
        yield client.stub(channel)


@pytest.fixture
def solves(monkeypatch: pytest.MonkeyPatch) -> Calls:
    """Counts the AssignUnits solves the server starts."""
    calls = Calls()
    monkeypatch.setattr(emergency, "solve", calls.wrap(emergency.solve))
    return calls


def _expire(pause: Pause, call: Any, request: Any) -> str:
    """Start ``call`` and return its request_id once the server holds it at ``pause`` and the
    client has seen its deadline pass. A call whose transfer alone took the deadline never
    reaches the server's handler (grpcio drops it): it is tried again, under a new request_id,
    with twice the time."""
    timeout = FIRST_TIMEOUT
    base = request.request_id
    for attempt in range(6):
        request_id = request.request_id = f"{base}-{attempt}"
        # Earlier tries stay held too if they arrive late, so none of them runs on unheld.
        pause.request_ids.add(request_id)
        future = call.future(request, timeout=timeout)
        future.add_done_callback(lambda _: _notify(pause))
        with pause.changed:
            pause.changed.wait_for(
                lambda name=request_id, call=future: name in pause.held or call.done(), WAIT
            )
        error = future.exception(timeout=WAIT)
        assert isinstance(error, grpc.RpcError)
        assert error.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        if request_id in pause.held:
            return request_id
        timeout *= 2
    raise AssertionError("no call reached the server's checkpoint before its deadline")


def _notify(pause: Pause) -> None:
    with pause.changed:
        pause.changed.notify_all()


def _stopped(caplog: pytest.LogCaptureFixture, request_id: str) -> logging.LogRecord:
    """The server's 'call stopped' record of ``request_id`` (waits for it)."""

    def record() -> logging.LogRecord | None:
        for item in list(caplog.records):
            if item.name == "dispatch.service" and getattr(item, "request_id", "") == request_id:
                return item
        return None

    return _until(record)


def _rpc_code(caplog: pytest.LogCaptureFixture, request_id: str) -> str:
    """The status code in the call wrapper's log line of ``request_id`` (waits for it)."""

    def code() -> str | None:
        for item in list(caplog.records):
            if item.name == "dispatch.calls" and f'"{request_id}"' in item.getMessage():
                return json.loads(item.getMessage())["code"]
        return None

    return _until(code)


def _rpc_count(handle: ServerHandle, method: str, code: str) -> float:
    """Calls of ``method`` that ended with ``code``, from the server's /metrics page."""
    url = f"http://127.0.0.1:{handle.metrics_port}/metrics"
    with urllib.request.urlopen(url, timeout=WAIT) as page:
        text = page.read().decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = sample.labels
            if (
                sample.name == "dispatch_rpc_duration_seconds_count"
                and labels.get("method") == method
                and labels.get("code") == code
            ):
                return sample.value
    return 0.0


def _assign(examples: dict[str, Any], request_id: str) -> Any:
    request = examples["emergency"]
    request.request_id = request_id
    return request


def test_deadline_passed_before_validation_skips_validation_and_solve(
    handle, stub, examples, solves, monkeypatch, caplog
):
    """A call whose deadline passes before validation is neither validated nor solved; the
    server ends it DEADLINE_EXCEEDED and logs where it stopped."""
    pause = Pause("validation").install(monkeypatch)
    validations = Calls()
    checked = validations.wrap(validation.validate_assign_units)
    monkeypatch.setattr(validation, "validate_assign_units", checked)
    with caplog.at_level(logging.INFO):
        request_id = _expire(pause, stub.AssignUnits, _assign(examples, "before-validation"))
        pause.release()
        assert _stopped(caplog, request_id).stopped_before == "validation"
        assert _rpc_code(caplog, request_id) == "DEADLINE_EXCEEDED"
    assert validations.count == 0
    assert solves.count == 0


def test_deadline_passed_during_validation_skips_the_solve_and_is_counted(
    handle, stub, examples, solves, monkeypatch, caplog
):
    """A call whose deadline passes while it is validated is not converted or solved; the
    metrics count it under code DEADLINE_EXCEEDED."""
    before = _rpc_count(handle, "AssignUnits", "DEADLINE_EXCEEDED")
    pause = Pause("conversion").install(monkeypatch)
    conversions = Calls()
    monkeypatch.setattr(emergency, "to_problem", conversions.wrap(emergency.to_problem))
    with caplog.at_level(logging.INFO):
        request_id = _expire(pause, stub.AssignUnits, _assign(examples, "before-conversion"))
        pause.release()
        assert _stopped(caplog, request_id).code == "DEADLINE_EXCEEDED"
    assert _until(lambda: _rpc_count(handle, "AssignUnits", "DEADLINE_EXCEEDED") == before + 1)
    assert conversions.count == 0
    assert solves.count == 0


def test_deadline_passed_during_conversion_skips_the_solve(
    handle, stub, examples, solves, monkeypatch, caplog
):
    """The check between conversion and solve: the converted problem is not solved."""
    pause = Pause("solve").install(monkeypatch)
    with caplog.at_level(logging.INFO):
        request_id = _expire(pause, stub.AssignUnits, _assign(examples, "before-solve"))
        pause.release()
        assert _stopped(caplog, request_id).stopped_before == "solve"
        assert _rpc_code(caplog, request_id) == "DEADLINE_EXCEEDED"
    assert solves.count == 0


def test_deadline_passed_during_the_solve_skips_the_answer(
    handle, stub, examples, solves, monkeypatch, caplog
):
    """The check between solve and answer: the plan is not turned into an answer."""
    pause = Pause("answer").install(monkeypatch)
    answers = Calls()
    monkeypatch.setattr(emergency, "to_response", answers.wrap(emergency.to_response))
    with caplog.at_level(logging.INFO):
        request_id = _expire(pause, stub.AssignUnits, _assign(examples, "before-answer"))
        pause.release()
        assert _stopped(caplog, request_id).stopped_before == "answer"
    assert solves.count >= 1
    assert answers.count == 0


def test_cancelled_call_is_stopped_as_cancelled(
    handle, stub, examples, solves, monkeypatch, caplog
):
    """A caller that cancels before its deadline stops the work too, logged CANCELLED."""
    pause = Pause("conversion", over=lambda context: not context.is_active()).install(monkeypatch)
    pause.request_ids = {"cancelled"}
    with caplog.at_level(logging.INFO):
        future = stub.AssignUnits.future(_assign(examples, "cancelled"), timeout=WAIT)
        with pause.changed:
            assert pause.changed.wait_for(lambda: "cancelled" in pause.held, WAIT)
        assert future.cancel()
        pause.release()
        record = _stopped(caplog, "cancelled")
        assert (record.stopped_before, record.code) == ("conversion", "CANCELLED")
        assert _rpc_code(caplog, "cancelled") == "CANCELLED"
    assert solves.count == 0


def test_plan_routes_past_its_deadline_never_reaches_a_worker(
    handle, stub, examples, monkeypatch, caplog
):
    """A PlanRoutes call whose deadline passes while it is validated is not sent to a routing
    worker (where conversion and solving would take a whole process)."""
    pause = Pause("conversion").install(monkeypatch)
    routed = Calls()
    monkeypatch.setattr(handle.routing, "plan_routes", routed.wrap(handle.routing.plan_routes))
    request = examples["maintenance"]
    request.request_id = "routing"
    with caplog.at_level(logging.INFO):
        request_id = _expire(pause, stub.PlanRoutes, request)
        pause.release()
        assert _stopped(caplog, request_id).stopped_before == "conversion"
        assert _rpc_code(caplog, request_id) == "DEADLINE_EXCEEDED"
    assert routed.count == 0


def test_call_queued_past_its_deadline_is_never_solved(
    handle, stub, examples, solves, monkeypatch, caplog
):
    """With every handler thread held, a call that waits in the queue past its deadline is
    never solved: grpcio drops it before any handler code runs when it has seen the deadline
    pass, the first checkpoint stops it otherwise. The held calls are answered."""
    pause = Pause("conversion", over=lambda context: True).install(monkeypatch)
    held = [f"held-{n}" for n in range(handle.config.thread_pool_size)]
    pause.request_ids = set(held)
    futures = [stub.AssignUnits.future(_assign(examples, name), timeout=WAIT) for name in held]
    with pause.changed:
        assert pause.changed.wait_for(lambda: pause.held == set(held), WAIT)
    with caplog.at_level(logging.INFO):
        queued = stub.AssignUnits.future(_assign(examples, "queued"), timeout=FIRST_TIMEOUT)
        error = queued.exception(timeout=WAIT)
        pause.release()
        answers = [future.result(timeout=WAIT) for future in futures]
        for name in held:
            assert _rpc_code(caplog, name) == "OK"
        # The first thread to finish took the queued call; wait until nothing is in flight.
        _until(lambda: handle.admission.state().assign_units_in_flight == 0)
    assert error.code() == grpc.StatusCode.DEADLINE_EXCEEDED
    assert all(answer.solve_info.verified for answer in answers)
    assert solves.count == len(held)
    queued_codes = {
        json.loads(r.getMessage())["code"]
        for r in caplog.records
        if r.name == "dispatch.calls" and '"queued"' in r.getMessage()
    }
    assert queued_codes <= {"DEADLINE_EXCEEDED", "CANCELLED"}


def _stopped_in_routing(handle: ServerHandle, monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """The routing service stops as its worker pool does when the call is over: it waits until
    ``is_cancelled()`` and raises CancelledError (no worker is taken or held). The event is set
    once a call has reached it."""
    reached = threading.Event()

    def plan_routes(request: Any, deadline: Any, is_cancelled: Callable[[], bool], **_: Any):
        reached.set()
        _until(is_cancelled)
        raise CancelledError("solve cancelled by the caller; worker stopped")

    monkeypatch.setattr(handle.routing, "plan_routes", plan_routes)
    return reached


def test_plan_routes_stopped_by_its_deadline_in_the_routing_is_deadline_exceeded(
    handle, stub, examples, monkeypatch, caplog
):
    """A PlanRoutes call whose deadline passes while the routing service has it (waiting for a
    worker or solving) is logged and counted DEADLINE_EXCEEDED, not CANCELLED: the caller did
    not cancel it, it timed out."""
    reached = _stopped_in_routing(handle, monkeypatch)
    request = examples["maintenance"]
    request.request_id = "timed-out-in-routing"
    before = _rpc_count(handle, "PlanRoutes", "DEADLINE_EXCEEDED")
    with caplog.at_level(logging.INFO):
        with pytest.raises(grpc.RpcError) as caught:
            stub.PlanRoutes(request, timeout=2.0)
        assert caught.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED
        assert reached.wait(WAIT)
        assert _rpc_code(caplog, "timed-out-in-routing") == "DEADLINE_EXCEEDED"
    assert _rpc_count(handle, "PlanRoutes", "DEADLINE_EXCEEDED") == before + 1


def test_plan_routes_cancelled_in_the_routing_stays_cancelled(
    handle, stub, examples, monkeypatch, caplog
):
    """A PlanRoutes call its caller cancels before the deadline, while the routing service has
    it, is still logged CANCELLED."""
    reached = _stopped_in_routing(handle, monkeypatch)
    request = examples["maintenance"]
    request.request_id = "cancelled-in-routing"
    with caplog.at_level(logging.INFO):
        future = stub.PlanRoutes.future(request, timeout=WAIT)
        assert reached.wait(WAIT)
        assert future.cancel()
        assert _rpc_code(caplog, "cancelled-in-routing") == "CANCELLED"
