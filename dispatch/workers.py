"""A bounded pool of solver worker PROCESSES, each killable on cancel or overrun.

Why processes: ``RoutingModel.SolveWithParameters`` holds the GIL for the whole solve (DESIGN), so
a solve in a server thread would stop health checks and emergency calls. Workers are children
started by ``solvers.processes`` (fresh interpreters, never a fork of the threaded gRPC server;
dying with the server; ``WORKER_NICENESS`` below it), so a worker may start children of its own
(the second-core companion). The calling thread sends one job, then waits for the worker's
messages in short steps, so it notices a cancel, an overrun or a crash within ~50 ms while
holding no lock and not the GIL.

Protocol (frames over the child's pipes, see ``solvers.processes``):
  parent -> worker  (job_id, payload_bytes, deadline_at); closing the input stops the worker
  worker -> parent  ("progress", job_id, obj) | ("result", job_id, bytes)
                    | ("error", job_id, kind, message, field_problems)
``deadline_at`` is a ``time.monotonic()`` value: on Linux that clock is system-wide, so both
processes read the same deadline.

A worker that is cancelled, overruns its deadline plus a grace, or dies is killed (SIGKILL) and
replaced at once, so its slot is free for the next job; a worker found dead while idle is
replaced before it is handed a job.

Failures a caller can retry have their own classes (mapped in ``dispatch.errors``):
:class:`WorkersBusyError` when every worker stayed busy until the job's deadline
(RESOURCE_EXHAUSTED), :class:`WorkerCrashedError` when the worker died under the job and
:class:`PoolClosedError` when the pool is shutting down (both UNAVAILABLE). Each carries
``retry_after``, the seconds after which a retry may find a worker.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from dispatch import logs
from solvers import errors as solver_errors
from solvers.processes import (
    Child,
    ChildExited,
    ChildSilent,
    ChildSpec,
    Parent,
    load_entry,
    spawn,
)

__all__ = [
    "LateAnswer",
    "PoolClosedError",
    "WorkerCrashedError",
    "WorkerPool",
    "WorkerTimeoutError",
    "WorkersBusyError",
]

log = logging.getLogger(__name__)

_POLL_SECONDS = 0.05
#: Niceness added to solver workers, so the server's own threads (AssignUnits, health) keep a
#: core when every worker is busy; the real-time path runs at 0.
WORKER_NICENESS = 10


#: Seconds a replacement worker needs before it takes a job (a fresh interpreter and imports).
RESPAWN_SECONDS = 1.0
#: Bounds of the retry delay offered to a caller refused because every worker was busy.
_BUSY_RETRY_BOUNDS = (0.1, 60.0)


class WorkerTimeoutError(solver_errors.CancelledError):
    """No answer by the deadline plus grace: the worker was killed (a deadline is a promise)."""


class WorkersBusyError(solver_errors.DispatchError):
    """Every worker stayed busy until the job's deadline; no worker ran it.

    Retryable: ``retry_after`` is the time until the earliest busy job must end.
    """

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class WorkerCrashedError(solver_errors.SolverFailedError):
    """The worker process died under the job (a native crash, the OOM killer, a kill -9).

    Retryable: the pool has already started a replacement, ready after ``retry_after``.
    """

    retry_after = RESPAWN_SECONDS


class PoolClosedError(solver_errors.DispatchError):
    """The pool is shutting down and takes no more jobs (a restarted server will)."""

    retry_after = RESPAWN_SECONDS


def _start_worker(
    handler_path: str, warm_up: str | None, log_level: str = "WARNING"
) -> Callable[[Parent], None]:
    """Worker entry (in the child): log as the server does, import the handler and warm up
    once, before any job.

    The child writes to the server's stderr; without its own JSON handler a solver's warning
    there (a degraded answer) came out as a bare text line among the server's JSON lines.
    """
    logs.configure(log_level)
    handler = load_entry(handler_path)
    if warm_up is not None:
        load_entry(warm_up)()
    return functools.partial(_serve_jobs, handler)


def _serve_jobs(handler: Callable[..., bytes], parent: Parent) -> None:
    """Run jobs one at a time until the pool closes our input."""
    while True:
        try:
            job_id, payload, deadline_at = parent.receive()
        except EOFError:
            return

        def emit(obj: Any, job_id: int = job_id) -> None:
            parent.send(("progress", job_id, obj))

        parent.send(_answer(handler, job_id, payload, deadline_at, emit))


def _answer(
    handler: Callable[..., bytes],
    job_id: int,
    payload: bytes,
    deadline_at: float,
    emit: Callable[[Any], None],
) -> tuple:
    """The handler's result, or its error as a message that keeps the exception's type."""
    try:
        return ("result", job_id, handler(payload, deadline_at, emit))
    except solver_errors.InvalidProblemError as exc:
        problems = [(p.path, p.description) for p in exc.problems]
        return ("error", job_id, "invalid", str(exc), problems)
    except solver_errors.PlanRejectedError as exc:
        return ("error", job_id, "rejected", str(exc), exc.violations)
    except solver_errors.CancelledError as exc:
        return ("error", job_id, "cancelled", str(exc), [])
    except solver_errors.DispatchError as exc:
        return ("error", job_id, "failed", f"{type(exc).__name__}: {exc}", [])
    except Exception:
        return ("error", job_id, "internal", traceback.format_exc(), [])


@dataclass(frozen=True)
class LateAnswer:
    """What the caller answers, at ``at`` (a monotonic time), when the worker has not."""

    at: float
    answer: Callable[[], bytes | None]


@dataclass
class _Worker:
    child: Child
    busy: bool = False
    #: The running job's deadline (a monotonic time), to tell refused callers when to retry.
    deadline_at: float = 0.0


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
        level = logging.getLevelName(logging.getLogger().getEffectiveLevel())
        self._spec = ChildSpec(
            "dispatch.workers:_start_worker", (handler, warm_up, level), niceness=WORKER_NICENESS
        )
        self._lock = threading.Condition()
        self._closed = False
        self._jobs = 0
        self._workers: list[_Worker] = [_Worker(spawn(self._spec)) for _ in range(size)]

    def pids(self) -> list[int]:
        """Process ids of the current workers (for tests and diagnostics)."""
        with self._lock:
            return [w.child.pid for w in self._workers]

    def busy(self) -> int:
        """Number of workers running a job now."""
        with self._lock:
            return sum(1 for w in self._workers if w.busy)

    def _acquire(self, deadline_at: float, is_cancelled: Callable[[], bool]) -> tuple[_Worker, int]:
        """A free worker, now busy, and the job's id (both taken under the lock).

        Waits for a worker until the job's deadline (a queue: a worker often frees in time),
        then raises WorkersBusyError saying when the earliest busy job must end.
        """
        with self._lock:
            while True:
                if self._closed:
                    raise PoolClosedError("the routing service is shutting down; retry later")
                # Before taking a worker: a job sent and then cancelled costs the worker its life.
                if is_cancelled():
                    raise solver_errors.CancelledError(
                        "cancelled while waiting for a routing worker"
                    )
                worker = self._take_free(deadline_at)
                if worker is not None:
                    self._jobs += 1
                    return worker, self._jobs
                now = time.monotonic()
                if now >= deadline_at:
                    raise WorkersBusyError(
                        "every routing worker was busy until the deadline; retry later or "
                        "use CreatePlanJob",
                        self._busy_retry_after(now),
                    )
                self._lock.wait(min(_POLL_SECONDS, deadline_at - now))

    def _take_free(self, deadline_at: float) -> _Worker | None:
        """An idle worker marked busy (a dead one is replaced first), or None; under the lock."""
        for index, worker in enumerate(self._workers):
            if worker.busy:
                continue
            if not worker.child.alive():
                # Died while idle (the OOM killer, an operator): the job gets a fresh one.
                log.warning("routing worker %d died while idle; replaced", worker.child.pid)
                worker.child.kill()
                worker = self._workers[index] = _Worker(spawn(self._spec))
            worker.busy = True
            worker.deadline_at = deadline_at
            return worker
        return None

    def _busy_retry_after(self, now: float) -> float:
        """Seconds until the earliest busy job must end (its deadline and the late answer)."""
        ends = [w.deadline_at for w in self._workers if w.busy]
        earliest = min(ends, default=now) - now + RESPAWN_SECONDS
        low, high = _BUSY_RETRY_BOUNDS
        return min(high, max(low, earliest))

    def _release(self, worker: _Worker, replace: bool) -> None:
        if replace:
            worker.child.kill()
        with self._lock:
            if replace and worker in self._workers and not self._closed:
                index = self._workers.index(worker)
                self._workers[index] = _Worker(spawn(self._spec))
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
        answer comes by the deadline plus grace (killed), WorkersBusyError when no worker
        was free by the deadline, WorkerCrashedError when the worker dies (replaced),
        PoolClosedError after ``close()``, and the worker's own InvalidProblemError /
        SolverFailedError otherwise. With ``late``, a worker still busy at ``late.at`` is
        killed and ``late.answer()`` is the result, unless it returns None.
        """
        worker, job_id = self._acquire(deadline_at, is_cancelled)
        replace = True
        try:
            if not worker.child.alive():
                raise WorkerCrashedError("routing worker died before the job started; replaced")
            worker.child.send((job_id, payload, deadline_at))
            message = self._follow(
                worker.child, job_id, deadline_at, is_cancelled, on_progress, late
            )
            if message[0] == "late":
                return message[1]
            replace = False
            if message[0] == "result":
                return message[2]
            _raise_worker_error(message)
        finally:
            self._release(worker, replace)

    def _follow(
        self,
        child: Child,
        job_id: int,
        deadline_at: float,
        is_cancelled: Callable[[], bool],
        on_progress: Callable[[Any], None] | None,
        late: LateAnswer | None,
    ) -> tuple:
        """Pass the job's progress on until its final message, or ("late", answer).

        Raises for a cancel, an overrun past the grace, or a worker that died.
        """
        kill_at = deadline_at + self.grace_seconds
        while True:
            if is_cancelled():
                raise solver_errors.CancelledError("solve cancelled by the caller; worker stopped")
            if late is not None and time.monotonic() > late.at:
                answer, late = late.answer(), None
                if answer is not None:
                    return ("late", answer)
            if time.monotonic() > kill_at:
                raise WorkerTimeoutError(
                    f"no answer {self.grace_seconds:.1f} s after the deadline; worker stopped"
                )
            try:
                message = child.receive(_POLL_SECONDS)
            except ChildSilent:
                continue
            except ChildExited as exc:
                if self._closed:  # close() killed it: the server is stopping, nothing crashed
                    raise PoolClosedError("the routing service shut down during the solve") from exc
                log.error(
                    "routing worker %d died under a job (exit code %s)", child.pid, exc.exitcode
                )
                raise WorkerCrashedError(
                    f"routing worker crashed (exit code {exc.exitcode}); it has been replaced, "
                    "retry the call"
                ) from exc
            if message[1] != job_id:
                continue
            if message[0] != "progress":
                return message
            if on_progress is not None:
                try:
                    on_progress(message[2])
                except Exception:
                    log.exception("progress callback failed")

    def close(self) -> None:
        """Stop every worker (running jobs are killed)."""
        with self._lock:
            self._closed = True
            workers = list(self._workers)
            self._lock.notify_all()
        for worker in workers:
            if not worker.busy:
                worker.child.close_input()  # an idle worker ends on its own
        deadline = time.monotonic() + 1.0
        for worker in workers:
            worker.child.wait(max(0.0, deadline - time.monotonic()))
            worker.child.kill()


def _raise_worker_error(message: tuple) -> NoReturn:
    _, _, kind, text, details = message
    if kind == "invalid":
        raise solver_errors.InvalidProblemError(
            [solver_errors.FieldProblem(path, desc) for path, desc in details]
        )
    if kind == "rejected":
        raise solver_errors.PlanRejectedError(list(details))
    if kind == "cancelled":
        raise solver_errors.CancelledError(text)
    if kind == "failed":
        raise solver_errors.SolverFailedError(text)
    log.error("routing worker raised:\n%s", text)
    raise RuntimeError("routing worker raised an unexpected error")
