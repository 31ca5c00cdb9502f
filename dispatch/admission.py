"""Admission control: refuse at once the calls the server cannot take on, so the ones it takes
keep their promises.

Two limits, both server-wide, checked before a request body is decoded (handlers receive raw
bytes, ``dispatch.decoding``, so its size is known at no cost):

- **AssignUnits calls in flight.** Emergency assignments are solved in the server process and
  share its GIL; past a few at once every call only gets slower, until admitted ones miss their
  deadline and health checks time out (issue 15: 23 of 64 concurrent calls missed a 2 s deadline).
- **Request bytes in flight**, over every DispatchService call: a decoded message takes several
  times its wire size, so a burst of large requests could exhaust memory. grpcio has already
  read a refused body (up to ``max_message_bytes``); the budget bounds what admitted calls hold
  while they are decoded, validated and solved.

A call beyond either limit is answered RESOURCE_EXHAUSTED at once, with a ``google.rpc.RetryInfo``
saying when a retry may succeed: about the time one admitted call of that kind has taken lately.
Health and reflection never pass through here, so they always answer.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

from dispatch.errors import QueueFullError

__all__ = [
    "Admission",
    "AdmissionLimits",
    "AdmissionRefusedError",
    "AdmissionState",
    "admitted",
    "request_size",
]

#: Methods counted against the in-flight call limit (solved in the server process).
LIMITED_METHODS = frozenset({"AssignUnits"})
#: Bounds of the retry delay offered to a refused caller (seconds).
RETRY_BOUNDS = (0.05, 5.0)
#: Weight of the newest call in the running mean of call durations.
_SMOOTHING = 0.2
#: The running mean before any call has ended (a typical AssignUnits over loopback).
_FIRST_GUESS_SECONDS = 0.05


class AdmissionRefusedError(QueueFullError):
    """A call refused by a limit: RESOURCE_EXHAUSTED with a RetryInfo of ``retry_after``."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class AdmissionLimits:
    """The limits: AssignUnits calls in flight, and request bytes held by admitted calls."""

    max_inflight_assign_units: int
    max_inflight_request_bytes: int

    def __post_init__(self) -> None:
        if self.max_inflight_assign_units < 1:
            raise ValueError("max_inflight_assign_units must be at least 1")
        if self.max_inflight_request_bytes < 1:
            raise ValueError("max_inflight_request_bytes must be at least 1")


class _Mean:
    """An exponentially weighted running mean of call durations (seconds)."""

    def __init__(self) -> None:
        self.value = _FIRST_GUESS_SECONDS

    def add(self, seconds: float) -> None:
        self.value += _SMOOTHING * (seconds - self.value)

    def retry_after(self) -> float:
        low, high = RETRY_BOUNDS
        return round(min(high, max(low, self.value)), 3)


@dataclass(frozen=True)
class AdmissionState:
    """What is in flight now, and what has been refused since the server started."""

    assign_units_in_flight: int
    request_bytes_in_flight: int
    refused_calls: int
    refused_bytes: int


class Admission:
    """The server's admission state; one instance per server, shared by every handler thread."""

    def __init__(self, limits: AdmissionLimits) -> None:
        self.limits = limits
        self._lock = threading.Lock()
        self._calls = 0
        self._bytes = 0
        self._refused_calls = 0
        self._refused_bytes = 0
        self._call_time = _Mean()
        self._byte_time = _Mean()

    def state(self) -> AdmissionState:
        """A consistent snapshot (for tests, metrics and diagnostics)."""
        with self._lock:
            return AdmissionState(
                self._calls, self._bytes, self._refused_calls, self._refused_bytes
            )

    @contextlib.contextmanager
    def admit(self, method: str, size: int) -> Iterator[None]:
        """Hold the call's share of both limits while the body runs, or refuse at once.

        ``method`` is the short or full gRPC method name; ``size`` the request's wire bytes.
        Raises AdmissionRefusedError (nothing held) when a limit would be exceeded.
        """
        counted = method.rsplit("/", 1)[-1] in LIMITED_METHODS
        self._take(counted, size)
        started = time.monotonic()
        try:
            yield
        finally:
            self._give_back(counted, size, time.monotonic() - started)

    def _take(self, counted: bool, size: int) -> None:
        limits = self.limits
        with self._lock:
            if counted and self._calls >= limits.max_inflight_assign_units:
                self._refused_calls += 1
                raise AdmissionRefusedError(
                    f"too many AssignUnits calls in flight ({self._calls}, the limit is "
                    f"{limits.max_inflight_assign_units}); retry after the delay in RetryInfo",
                    self._call_time.retry_after(),
                )
            if self._bytes and self._bytes + size > limits.max_inflight_request_bytes:
                self._refused_bytes += 1
                raise AdmissionRefusedError(
                    f"the server holds {self._bytes} request bytes in flight; this request's "
                    f"{size} bytes would exceed its budget of "
                    f"{limits.max_inflight_request_bytes}; retry after the delay in RetryInfo",
                    self._byte_time.retry_after(),
                )
            self._bytes += size
            if counted:
                self._calls += 1

    def _give_back(self, counted: bool, size: int, seconds: float) -> None:
        with self._lock:
            self._bytes -= size
            self._byte_time.add(seconds)
            if counted:
                self._calls -= 1
                self._call_time.add(seconds)


def request_size(request: object) -> int:
    """Wire bytes of a request: raw bytes as received, or a message's serialised size."""
    if isinstance(request, (bytes, bytearray, memoryview)):
        return len(request)
    byte_size = getattr(request, "ByteSize", None)
    return int(byte_size()) if callable(byte_size) else 0


def admitted(
    admission: Admission | None, method: str, request: object
) -> contextlib.AbstractContextManager[None]:
    """``admission.admit`` for this call, or nothing to hold when admission control is off."""
    if admission is None:
        return contextlib.nullcontext()
    return admission.admit(method, request_size(request))
