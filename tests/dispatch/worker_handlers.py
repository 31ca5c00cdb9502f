"""Worker-process handlers for the pool tests: real code run in real spawned processes.

They stand in for the routing solve only where a fault must be injected for real (a worker that
overruns, crashes or fails); the routing handler itself is exercised in test_routing_rpc.py.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from solvers.errors import FieldProblem, InvalidProblemError

_WARMED: list[int] = []


def warm() -> None:
    """A warm-up hook: remember that it ran in this process."""
    _WARMED.append(os.getpid())


def warmed(payload: bytes, deadline_at: float, emit: Callable[[object], None]) -> bytes:
    """Answer how many times the warm-up hook ran in this worker."""
    return str(_WARMED.count(os.getpid())).encode()


def echo(payload: bytes, deadline_at: float, emit: Callable[[object], None]) -> bytes:
    """Report three progress steps, then answer the payload reversed."""
    for step in range(3):
        emit(step)
    return payload[::-1]


def pid(payload: bytes, deadline_at: float, emit: Callable[[object], None]) -> bytes:
    """Answer this worker's process id (to see which worker ran a job)."""
    return str(os.getpid()).encode()


def overrun(payload: bytes, deadline_at: float, emit: Callable[[object], None]) -> bytes:
    """Ignore the deadline (a solver stuck in a phase that does not watch the clock)."""
    emit(os.getpid())
    time.sleep(3600)
    return b""


def crash(payload: bytes, deadline_at: float, emit: Callable[[object], None]) -> bytes:
    """Die the way a native solver crash does: no exception, the process is just gone."""
    emit(os.getpid())
    time.sleep(0.2)
    os._exit(3)


def invalid(payload: bytes, deadline_at: float, emit: Callable[[object], None]) -> bytes:
    """Reject the input with a field path, as request conversion does."""
    raise InvalidProblemError([FieldProblem("stops[2].location_id", "unknown location 'x'")])


def warn(payload: bytes, deadline_at: float, emit: Callable[[object], None]) -> bytes:
    """Log a warning (as a solver does for a degraded answer), then answer the payload."""
    import logging

    logging.getLogger("solvers.routing.portfolio").warning("degraded answer %s", payload.decode())
    return payload
