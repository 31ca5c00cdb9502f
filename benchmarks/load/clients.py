"""The load: closed-loop AssignUnits clients, background PlanRoutes clients, a health prober.

Each AssignUnits client has its own channel (as separate CAD callers would) and calls again as
soon as it has an answer. A refused call (RESOURCE_EXHAUSTED) waits as the README tells callers
to: the RetryInfo delay, times a random factor in [0.5, 1.5), doubled on each refusal in a row
up to 2 s; ``honour_retry_info=False`` retries at once instead (a misbehaving caller).
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import grpc
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from dispatch import client

#: Longest wait between a refusal and the next try, whatever RetryInfo and the backoff say.
MAX_BACKOFF_SECONDS = 2.0
#: Wait after a refusal without RetryInfo.
DEFAULT_RETRY_SECONDS = 0.1
#: One health check every this many seconds.
HEALTH_INTERVAL_SECONDS = 0.05
SERVICE = "dispatch.v1.DispatchService"


@dataclass
class Tally:
    """What one kind of call saw: every status code, and latencies (ms) by outcome."""

    codes: Counter[str] = field(default_factory=Counter)
    ok_ms: list[float] = field(default_factory=list)
    refused_ms: list[float] = field(default_factory=list)
    other_ms: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def merge(self, other: Tally) -> None:
        """Add another tally's calls (from another client process) to this one."""
        with self.lock:
            self.codes.update(other.codes)
            self.ok_ms += other.ok_ms
            self.refused_ms += other.refused_ms
            self.other_ms += other.other_ms

    def __getstate__(self) -> dict[str, object]:  # sent between processes without its lock
        return {k: v for k, v in self.__dict__.items() if k != "lock"}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.__dict__.update(state)
        self.lock = threading.Lock()

    def add(self, code: grpc.StatusCode, milliseconds: float) -> None:
        with self.lock:
            self.codes[code.name] += 1
            if code == grpc.StatusCode.OK:
                self.ok_ms.append(milliseconds)
            elif code == grpc.StatusCode.RESOURCE_EXHAUSTED:
                self.refused_ms.append(milliseconds)
            else:
                self.other_ms.append(milliseconds)


def retry_delay(error: grpc.RpcError) -> float | None:
    """The google.rpc.RetryInfo delay of a failed call, in seconds, or None."""
    try:
        status = rpc_status.from_call(error)  # type: ignore[arg-type]
    except ValueError:
        return None
    if status is None:
        return None
    for detail in status.details:
        info = error_details_pb2.RetryInfo()
        if detail.Unpack(info):
            return info.retry_delay.ToTimedelta().total_seconds()
    return None


def _timed(call, request: bytes, timeout: float) -> tuple[grpc.StatusCode, float, float | None]:
    """(code, milliseconds, retry delay) of one blocking call."""
    started = time.perf_counter()
    try:
        call(request, timeout=timeout)
        code, delay = grpc.StatusCode.OK, None
    except grpc.RpcError as error:
        code, delay = error.code(), retry_delay(error)  # type: ignore[attr-defined]
    return code, (time.perf_counter() - started) * 1000.0, delay


@dataclass(frozen=True)
class CallerSpec:
    """One closed-loop caller: which method, what request, with which deadline.

    The request travels as its serialised bytes and answers are not parsed: the client spends
    its CPU on calling, not on protobuf (and a spec pickles into a client process).
    """

    method: str
    request: bytes
    deadline_seconds: float
    honour_retry_info: bool = True

    @classmethod
    def of(cls, method: str, request: Message, deadline: float, honour: bool = True) -> CallerSpec:
        """A spec for a request message."""
        return cls(method, request.SerializeToString(), deadline, honour)


def run_caller(
    target: str, spec: CallerSpec, stop: threading.Event, tally: Tally, seed: int
) -> None:
    """Call ``spec.method`` again and again until ``stop`` is set."""
    rng = random.Random(seed)
    refusals_in_a_row = 0
    with client.channel(target) as chan:
        # Bytes in, bytes out: no serialiser on either side.
        call = chan.unary_unary(f"/{SERVICE}/{spec.method}")
        while not stop.is_set():
            code, milliseconds, delay = _timed(call, spec.request, spec.deadline_seconds)
            tally.add(code, milliseconds)
            if code not in (grpc.StatusCode.RESOURCE_EXHAUSTED, grpc.StatusCode.UNAVAILABLE):
                refusals_in_a_row = 0
                continue
            refusals_in_a_row += 1
            if not spec.honour_retry_info:
                continue
            base = DEFAULT_RETRY_SECONDS if delay is None else delay
            backoff = base * 2 ** min(refusals_in_a_row - 1, 5) * rng.uniform(0.5, 1.5)
            stop.wait(min(MAX_BACKOFF_SECONDS, backoff))


def run_health_prober(target: str, stop: threading.Event, tally: Tally, timeout: float) -> None:
    """Check overall health every HEALTH_INTERVAL_SECONDS; a NOT_SERVING answer counts as
    UNAVAILABLE, a timeout as DEADLINE_EXCEEDED (at the timeout's latency)."""
    with client.channel(target) as chan:
        check = health_pb2_grpc.HealthStub(chan).Check
        request = health_pb2.HealthCheckRequest(service="")
        while not stop.is_set():
            started = time.perf_counter()
            try:
                answer = check(request, timeout=timeout)
                serving = answer.status == health_pb2.HealthCheckResponse.SERVING
                code = grpc.StatusCode.OK if serving else grpc.StatusCode.UNAVAILABLE
            except grpc.RpcError as error:
                code = error.code()  # type: ignore[attr-defined]
            tally.add(code, (time.perf_counter() - started) * 1000.0)
            stop.wait(HEALTH_INTERVAL_SECONDS)
