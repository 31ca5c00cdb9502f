"""A bounded pool of solver worker PROCESSES, each killable on cancel or overrun.

Why processes: ``RoutingModel.SolveWithParameters`` holds the GIL for the whole solve (DESIGN), so
a solve in a server thread would stop health checks and emergency calls. Workers are started with
the "spawn" context (never fork a threaded gRPC server). Each worker owns one duplex pipe; the
calling thread sends one job, then polls the pipe in short steps so it notices a cancel, an
overrun or a crash within ~50 ms while holding no lock and not the GIL.

Protocol (tuples over the pipe):
  parent -> worker  ("job", job_id, payload_bytes, deadline_at) | ("stop",)
  worker -> parent  ("ready", pid) | ("progress", job_id, obj) | ("result", job_id, bytes)
                    | ("error", job_id, kind, message, field_problems)
``deadline_at`` is a ``time.monotonic()`` value: on Linux that clock is system-wide, so both
processes read the same deadline.

A worker that is cancelled, overruns its deadline plus a grace, or dies is killed (SIGKILL) and
replaced at once, so its slot is free for the next job.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import multiprocessing
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from solvers.errors import (
    CancelledError,
    DispatchError,
    FieldProblem,
    InvalidProblemError,
    PlanRejectedError,
    SolverFailedError,
)
from solvers.processes import die_with_parent, lower_priority

__all__ = ["LateAnswer", "WorkerPool", "WorkerTimeoutError"]

log = logging.getLogger(__name__)

_POLL_SECONDS = 0.05
_CONTEXT = multiprocessing.get_context("spawn")
#: Niceness added to solver workers (see _worker_main); the real-time path runs at 0.
WORKER_NICENESS = 10


class WorkerTimeoutError(CancelledError):
    """No answer by the deadline plus grace: the worker was killed (a deadline is a promise)."""


def _load(path: str) -> Any:
    module, name = path.split(":")
    return getattr(importlib.import_module(module), name)


def _worker_main(
    conn: Connection, handler_path: str, parent_pid: int, warm_up: str | None = None
) -> None:
    """Worker process body: import the handler once, then serve jobs until told to stop.

    A worker runs at a lower CPU priority, so on a machine with as many busy workers as cores
    the server's own threads (AssignUnits, health) still get a core when they need one; and it
    dies with the server, so a SIGKILLed server leaves no solve running until its deadline.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    die_with_parent(parent_pid)
    lower_priority(WORKER_NICENESS)
    handler = _load(handler_path)
    if warm_up is not None:
        _load(warm_up)()
    try:
        conn.send(("ready", multiprocessing.current_process().pid))
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                return  # parent went away
            if message[0] != "job":
                return
            _, job_id, payload, deadline_at = message

            def emit(obj: Any, job_id: int = job_id) -> None:
                conn.send(("progress", job_id, obj))

            try:
                result = handler(payload, deadline_at, emit)
                conn.send(("result", job_id, result))
            except InvalidProblemError as exc:
                problems = [(p.path, p.description) for p in exc.problems]
                conn.send(("error", job_id, "invalid", str(exc), problems))
            except PlanRejectedError as exc:
                conn.send(("error", job_id, "rejected", str(exc), exc.violations))
            except CancelledError as exc:
                conn.send(("error", job_id, "cancelled", str(exc), []))
            except DispatchError as exc:
                conn.send(("error", job_id, "failed", f"{type(exc).__name__}: {exc}", []))
            except Exception:
                conn.send(("error", job_id, "internal", traceback.format_exc(), []))
    except (BrokenPipeError, EOFError, OSError):
        return


@dataclass(frozen=True)
class LateAnswer:
    """What the caller answers, at ``at`` (a monotonic time), when the worker has not."""

    at: float
    answer: Callable[[], bytes | None]


@dataclass
class _Worker:
    process: Any
    conn: Connection
    busy: bool = False
    started: float = field(default_factory=time.monotonic)


class WorkerPool:
    """``size`` worker processes running ``handler`` (a "module:function" path).

    ``handler(payload: bytes, deadline_at: float, emit) -> bytes`` runs in the worker; ``emit``
    sends a picklable progress object to the caller's ``on_progress``. ``warm_up`` (another
    "module:function") runs once in each worker after the import, before it reports ready.
    """

    def __init__(
        self, size: int, handler: str, grace_seconds: float = 2.0, warm_up: str | None = None
    ) -> None:
        if size < 1:
            raise ValueError("a worker pool needs at least one worker")
        self.size = size
        self.handler = handler
        self.warm_up = warm_up
        self.grace_seconds = grace_seconds
        self._lock = threading.Condition()
        self._closed = False
        self._jobs = 0
        self._workers: list[_Worker] = [self._spawn() for _ in range(size)]

    def _spawn(self) -> _Worker:
        parent, child = _CONTEXT.Pipe(duplex=True)
        process = _CONTEXT.Process(
            target=_worker_main,
            args=(child, self.handler, os.getpid(), self.warm_up),
            name="dispatch-solver",
            daemon=True,
        )
        process.start()
        child.close()
        return _Worker(process, parent)

    def pids(self) -> list[int]:
        """Process ids of the current workers (for tests and diagnostics)."""
        with self._lock:
            return [w.process.pid for w in self._workers]

    def busy(self) -> int:
        """Number of workers running a job now."""
        with self._lock:
            return sum(1 for w in self._workers if w.busy)

    def _acquire(self, deadline_at: float, is_cancelled: Callable[[], bool]) -> _Worker:
        with self._lock:
            while True:
                if self._closed:
                    raise CancelledError("the routing service is shutting down")
                for worker in self._workers:
                    if not worker.busy:
                        worker.busy = True
                        self._jobs += 1
                        return worker
                if is_cancelled():
                    raise CancelledError("cancelled while waiting for a routing worker")
                if time.monotonic() >= deadline_at:
                    raise WorkerTimeoutError("deadline passed while every routing worker was busy")
                self._lock.wait(_POLL_SECONDS)

    def _release(self, worker: _Worker, replace: bool) -> None:
        if replace:
            _kill(worker)
        with self._lock:
            if replace and worker in self._workers:
                index = self._workers.index(worker)
                self._workers[index] = self._spawn() if not self._closed else worker
            worker.busy = False
            self._lock.notify_all()

    def run(
        self,
        payload: bytes,
        deadline_at: float,
        is_cancelled: Callable[[], bool] = lambda: False,
        on_progress: Callable[[Any], None] | None = None,
        late: LateAnswer | None = None,
    ) -> bytes:
        """Run one job in a free worker; blocks only the calling thread.

        Raises CancelledError on a cancel (the worker is killed), WorkerTimeoutError when no
        answer comes by the deadline plus grace (killed), SolverFailedError when the worker
        dies, and the worker's own InvalidProblemError / SolverFailedError otherwise. With
        ``late``, a worker still busy at ``late.at`` is killed and ``late.answer()`` is the
        result, unless it returns None.
        """
        worker = self._acquire(deadline_at, is_cancelled)
        job_id = self._jobs
        replace = True
        try:
            try:
                worker.conn.send(("job", job_id, payload, deadline_at))
            except (BrokenPipeError, OSError) as exc:
                raise SolverFailedError("routing worker died before the job started") from exc
            kill_at = deadline_at + self.grace_seconds
            while True:
                if is_cancelled():
                    raise CancelledError("solve cancelled by the caller; worker stopped")
                if late is not None and time.monotonic() > late.at:
                    answer, late = late.answer(), None
                    if answer is not None:
                        return answer
                if time.monotonic() > kill_at:
                    raise WorkerTimeoutError(
                        f"no answer {self.grace_seconds:.1f} s after the deadline; worker stopped"
                    )
                try:
                    ready = worker.conn.poll(_POLL_SECONDS)
                    message = worker.conn.recv() if ready else None
                except (EOFError, OSError) as exc:
                    code = worker.process.exitcode
                    raise SolverFailedError(
                        f"routing worker crashed (exit code {code}); it has been replaced"
                    ) from exc
                if message is None:
                    if not worker.process.is_alive():
                        raise SolverFailedError(
                            f"routing worker crashed (exit code {worker.process.exitcode}); "
                            "it has been replaced"
                        )
                    continue
                kind = message[0]
                if kind == "ready":
                    continue
                if message[1] != job_id:
                    continue
                if kind == "progress":
                    if on_progress is not None:
                        try:
                            on_progress(message[2])
                        except Exception:
                            log.exception("progress callback failed")
                    continue
                replace = False
                if kind == "result":
                    return message[2]
                _raise_worker_error(message)
        finally:
            self._release(worker, replace)

    def close(self) -> None:
        """Stop every worker (running jobs are killed)."""
        with self._lock:
            self._closed = True
            workers = list(self._workers)
            self._lock.notify_all()
        for worker in workers:
            if not worker.busy:
                with contextlib.suppress(BrokenPipeError, OSError):
                    worker.conn.send(("stop",))
        deadline = time.monotonic() + 1.0
        for worker in workers:
            worker.process.join(max(0.0, deadline - time.monotonic()))
            _kill(worker)


def _kill(worker: _Worker) -> None:
    """Kill a worker for real and reap it."""
    process = worker.process
    if process.is_alive():
        process.kill()
    process.join(2.0)
    with contextlib.suppress(OSError):
        worker.conn.close()


def _raise_worker_error(message: tuple) -> None:
    _, _, kind, text, details = message
    if kind == "invalid":
        raise InvalidProblemError([FieldProblem(path, desc) for path, desc in details])
    if kind == "rejected":
        raise PlanRejectedError(list(details))
    if kind == "cancelled":
        raise CancelledError(text)
    if kind == "failed":
        raise SolverFailedError(text)
    log.error("routing worker raised:\n%s", text)
    raise RuntimeError("routing worker raised an unexpected error")
