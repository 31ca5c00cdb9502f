"""The job manager: durable queue, bounded job slots, cancellation and watchers.

Each job slot is a thread that takes the oldest QUEUED job and hands it to
``RoutingService.plan_routes``, which solves in a worker process; the thread only waits, so the
server process keeps answering emergency calls while nightly plans are solved. Every state change
is committed to the store before anyone is told about it (watchers, the caller of ``cancel``), so
what a caller saw is what survives a crash.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from dispatch._proto.dispatch.v1 import common_pb2, jobs_pb2, routing_pb2
from dispatch.jobs.errors import (
    JobQueueFullError,
    RequestIdConflictError,
    StoreUnavailableError,
)
from dispatch.jobs.store import (
    CANCELLED,
    FAILED,
    QUEUED,
    RUNNING,
    SUCCEEDED,
    JobStore,
    State,
    request_digest,
)
from dispatch.jobs.watch import SOLUTION_IMPROVED, STATE_CHANGED, WatchHub
from dispatch.routing import RoutingProgress, RoutingService
from dispatch.validation import limits
from dispatch.wire.durations import duration, seconds
from solvers.budget import Deadline
from solvers.errors import CancelledError, DispatchError

log = logging.getLogger(__name__)


# The contract's routing default when options.time_budget is unset (common.proto, SolveOptions).
DEFAULT_TIME_BUDGET = 10.0
# A job never solves longer than validation lets any request ask for (one hour), so a budget that
# passed validation is honoured as asked.
MAX_TIME_BUDGET = float(limits.MAX_TIME_BUDGET_SECONDS)


@dataclass
class _Running:
    """A job a slot is working on: the cancel flag its worker polls, and its live progress."""

    cancel: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    progress: jobs_pb2.PlanJobProgress = field(default_factory=jobs_pb2.PlanJobProgress)
    last_saved: float = 0.0


def _now_ns() -> int:
    return time.time_ns()


def job_time_budget(request: routing_pb2.PlanRoutesRequest) -> float:
    """Seconds a job may solve: the request's time budget, or the routing default, capped."""
    budget = DEFAULT_TIME_BUDGET
    if request.options.HasField("time_budget"):
        asked = seconds(request.options.time_budget)
        if asked > 0:
            budget = asked
    return min(budget, MAX_TIME_BUDGET)


class JobService:
    """Durable plan jobs over a SQLite store, solved through a bounded RoutingService.

    ``workers`` is the number of job slots (jobs solved at once); ``queue_limit`` the number of
    jobs that may wait; ``max_attempts`` how many starts a job gets when server crashes keep
    interrupting it; finished jobs older than ``retention_days`` are deleted on start and every
    ``retention_interval`` seconds. At most ``max_watchers`` watch streams are open at once.

    Give the jobs a RoutingService of their own (``workers`` processes) and ``owns_routing=True``
    (``close()`` then closes it): sharing the synchronous PlanRoutes pool lets a nightly job hold
    the worker a PlanRoutes caller is waiting for, and lets PlanRoutes calls eat a job's budget.
    """

    def __init__(
        self,
        store_path: str,
        routing: RoutingService,
        workers: int,
        queue_limit: int,
        max_attempts: int = 3,
        retention_days: float = 30,
        *,
        progress_interval: float = 2.0,
        retention_interval: float = 3600.0,
        cancel_wait: float = 10.0,
        max_watchers: int = 16,
        owns_routing: bool = False,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        if queue_limit < 0:
            raise ValueError("queue_limit must not be negative")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.store = JobStore(store_path)
        self.routing = routing
        self.workers = workers
        self.queue_limit = queue_limit
        self.max_attempts = max_attempts
        self.retention_days = retention_days
        self.progress_interval = progress_interval
        self.retention_interval = retention_interval
        self.cancel_wait = cancel_wait
        self.owns_routing = owns_routing
        self._cond = threading.Condition()
        self._queue: collections.deque[str] = collections.deque()
        self._running: dict[str, _Running] = {}
        self.watches = WatchHub(self._snapshot, max_watchers)
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._started = False

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Open the store, requeue what the last server left unfinished, start the slots."""
        if self._started:
            return
        self.store.open()
        try:
            recovery = self.store.recover(_now_ns(), self.max_attempts)
            self.store.purge_finished(self._retention_cutoff())
            queued = self.store.queued_ids()
        except BaseException:
            self.store.close()
            raise
        if recovery.requeued or recovery.failed:
            log.info(
                "job recovery: %d requeued, %d failed after too many attempts",
                len(recovery.requeued),
                len(recovery.failed),
            )
        with self._cond:
            self._queue.clear()
            self._queue.extend(queued)
        self._stopping.clear()
        self.watches.ended.clear()
        for i in range(self.workers):
            t = threading.Thread(target=self._slot, name=f"plan-job-slot-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        t = threading.Thread(target=self._retention_loop, name="plan-job-retention", daemon=True)
        t.start()
        self._threads.append(t)
        self._started = True

    def end_watches(self) -> None:
        """End every open watch stream now (call before ``server.stop(grace)`` on shutdown).

        Without it a watcher holds its RPC until the grace period runs out; its client
        (``dispatch jobs watch``) reconnects to the restarted server.
        """
        self.watches.ended.set()

    def close(self, timeout: float = 30.0) -> None:
        """Stop the slots; jobs still running are put back in the queue for the next start."""
        if not self._started:
            if self.owns_routing:
                self.routing.close()
            return
        self._stopping.set()
        self.watches.ended.set()
        with self._cond:
            self._cond.notify_all()
        end = time.monotonic() + timeout
        for t in self._threads:
            t.join(max(0.0, end - time.monotonic()))
        self._threads.clear()
        self.store.close()
        self._started = False
        if self.owns_routing:
            self.routing.close()

    # -- the five operations ---------------------------------------------------------------

    def create(self, request: routing_pb2.PlanRoutesRequest) -> jobs_pb2.PlanJob:
        """Queue a validated request as a job; the same request_id returns the same job.

        An empty request_id gets a generated one (so the job is still findable by it). The same
        request_id with a different body raises RequestIdConflictError; a full queue raises
        JobQueueFullError, unless the request_id names an existing job.
        """
        self._require_started()
        if not request.request_id:
            copy = routing_pb2.PlanRoutesRequest()
            copy.CopyFrom(request)
            copy.request_id = f"auto-{uuid.uuid4().hex}"
            request = copy
        job_id = uuid.uuid4().hex
        found_id, digest, created = self.store.insert_or_get(
            job_id, request, _now_ns(), self.queue_limit
        )
        if created:
            with self._cond:
                self._queue.append(job_id)
                self._cond.notify()
            return self.get(job_id)
        if not found_id:
            raise JobQueueFullError(self.queue_limit)
        if digest != request_digest(request):
            raise RequestIdConflictError(request.request_id, found_id)
        return self.get(found_id)

    def get(self, job_id: str, include_request: bool = False) -> jobs_pb2.PlanJob:
        """The job with its history, live progress and (once SUCCEEDED) its plan."""
        self._require_started()
        job = self.store.get(job_id, include_request=include_request)
        running = self._running.get(job_id)
        if running is not None and job.state == RUNNING:
            job.progress.CopyFrom(running.progress)
        return job

    def watch(self, job_id: str, is_active: Callable[[], bool]) -> Iterator[jobs_pb2.PlanJobEvent]:
        """Events of a job: its current state first, then changes and improving solutions.

        Raises JobNotFoundError here (not on first iteration), and TooManyWatchersError when
        ``max_watchers`` streams are open: each stream holds a server thread, and threads are
        what emergency calls need. The iterator ends after an event carrying a final state, when
        ``is_active()`` turns false, or when the service closes.
        """
        self._require_started()
        return self.watches.open(job_id, is_active)

    def cancel(self, job_id: str) -> jobs_pb2.PlanJob:
        """Cancel a queued or running job; a running job's worker process is stopped.

        Returns once the worker has let go of its slot (or after ``cancel_wait`` seconds). A job
        that already finished is returned unchanged, so retrying a cancel is harmless.
        """
        self._require_started()
        running = self._running.get(job_id)
        changed = self.store.transition(
            job_id, CANCELLED, _now_ns(), "cancelled by caller", (QUEUED, RUNNING)
        )
        if not changed:
            return self.get(job_id)  # raises JobNotFoundError for unknown ids
        running = self._running.get(job_id) or running
        if running is not None:
            running.cancel.set()
        with self._cond, contextlib.suppress(ValueError):
            self._queue.remove(job_id)
        self.watches.publish(job_id, STATE_CHANGED)
        if running is not None:
            running.done.wait(self.cancel_wait)
        return self.get(job_id)

    def list(
        self,
        page_size: int = 0,
        page_token: str = "",
        states: Iterable[State] = (),
        label: str = "",
    ) -> jobs_pb2.ListPlanJobsResponse:
        """Jobs newest first, filtered by state and label, with opaque page tokens."""
        self._require_started()
        response = self.store.list(page_size, page_token, states, label)
        for job in response.jobs:
            running = self._running.get(job.job_id)
            if running is not None and job.state == RUNNING:
                job.progress.CopyFrom(running.progress)
        return response

    def purge_expired(self) -> int:
        """Delete finished jobs older than retention_days; returns how many were deleted."""
        self._require_started()
        return self.store.purge_finished(self._retention_cutoff())

    def _retention_cutoff(self) -> int:
        return _now_ns() - int(self.retention_days * 86400 * 1e9)

    # -- slots -----------------------------------------------------------------------------

    def _next_job(self) -> str | None:
        with self._cond:
            while not self._queue and not self._stopping.is_set():
                self._cond.wait()
            if self._stopping.is_set():
                return None
            return self._queue.popleft()

    def _slot(self) -> None:
        while True:
            job_id = self._next_job()
            if job_id is None:
                return
            try:
                self._run(job_id)
            except Exception:  # a bug here must not kill the slot
                log.exception("plan job %s: unexpected error in its slot", job_id)

    def _run(self, job_id: str) -> None:
        request = self.store.get_request(job_id)
        running = _Running()
        # Registered before the job turns RUNNING, so a cancel that sees RUNNING finds the flag.
        self._running[job_id] = running
        try:
            attempt = self.store.get(job_id, include_result=False).attempts + 1
            if not self.store.transition(
                job_id, RUNNING, _now_ns(), f"started (attempt {attempt})", (QUEUED,)
            ):
                return  # cancelled while waiting
            self.watches.publish(job_id, STATE_CHANGED)
            self._solve(job_id, request, running)
        finally:
            self._running.pop(job_id, None)
            running.done.set()

    def _solve(
        self, job_id: str, request: routing_pb2.PlanRoutesRequest, running: _Running
    ) -> None:
        started = time.monotonic()
        deadline = Deadline.after(job_time_budget(request))

        def is_cancelled() -> bool:
            return running.cancel.is_set() or self._stopping.is_set()

        def on_progress(p: RoutingProgress) -> None:
            progress = jobs_pb2.PlanJobProgress(
                solutions_found=p.solutions_found,
                best_objective=p.best_objective,
                vehicles_used=p.vehicles_used,
                elapsed=duration(p.elapsed_seconds),
            )
            running.progress = progress
            now = time.monotonic()
            if now - running.last_saved >= self.progress_interval:
                running.last_saved = now
                try:
                    self.store.save_progress(job_id, progress)
                except DispatchError:
                    log.warning("plan job %s: progress not saved", job_id, exc_info=True)
            self.watches.publish(job_id, SOLUTION_IMPROVED)

        response: routing_pb2.PlanRoutesResponse | None = None
        error = ""
        try:
            response = self.routing.plan_routes(
                request, deadline, is_cancelled=is_cancelled, on_progress=on_progress
            )
        except CancelledError as exc:
            error = f"solve stopped: {exc}"
        except DispatchError as exc:
            error = f"{type(exc).__name__}: {exc}"
        except Exception as exc:
            log.exception("plan job %s: solve raised", job_id)
            error = f"internal error: {type(exc).__name__}: {exc}"

        now = _now_ns()
        if running.cancel.is_set():
            # cancel() already recorded CANCELLED; this only covers an unforeseen interleaving.
            self.store.transition(job_id, CANCELLED, now, "cancelled by caller", (RUNNING,))
            return
        if response is None and self._stopping.is_set():
            # Interrupted by close(): run again after the restart. A solve that finished
            # just before the shutdown keeps its result below instead.
            if self.store.transition(
                job_id, QUEUED, now, "requeued: server shut down while running", (RUNNING,)
            ):
                self.watches.publish(job_id, STATE_CHANGED)
            return
        final = self._final_progress(running.progress, response, time.monotonic() - started)
        if response is not None and response.solve_info.status in (
            common_pb2.OPTIMAL,
            common_pb2.FEASIBLE,
            common_pb2.INFEASIBLE,
        ):
            self.store.transition(
                job_id, SUCCEEDED, now, "solved", (RUNNING,), result=response, progress=final
            )
        else:
            if response is not None:
                status = common_pb2.SolveStatus.Name(response.solve_info.status)
                error = f"no plan: solver status {status}"
                if response.solve_info.fallback_reason:
                    error += f" ({response.solve_info.fallback_reason})"
            self.store.transition(
                job_id, FAILED, now, error, (RUNNING,), error_message=error, progress=final
            )
        self.watches.publish(job_id, STATE_CHANGED)

    @staticmethod
    def _final_progress(
        live: jobs_pb2.PlanJobProgress,
        response: routing_pb2.PlanRoutesResponse | None,
        elapsed: float,
    ) -> jobs_pb2.PlanJobProgress:
        final = jobs_pb2.PlanJobProgress()
        final.CopyFrom(live)
        final.elapsed.CopyFrom(duration(elapsed))
        if response is not None and response.solve_info.status in (
            common_pb2.OPTIMAL,
            common_pb2.FEASIBLE,
        ):
            final.best_objective = response.solve_info.objective
            final.vehicles_used = response.kpis.vehicles_used
            final.solutions_found = max(final.solutions_found, 1)
        return final

    def _retention_loop(self) -> None:
        while not self._stopping.wait(self.retention_interval):
            try:
                deleted = self.purge_expired()
                if deleted:
                    log.info("job retention: deleted %d finished jobs", deleted)
            except DispatchError:
                log.warning("job retention failed", exc_info=True)

    def _snapshot(self, job_id: str) -> jobs_pb2.PlanJob:
        """The job as watchers see it: no request, and a result only once SUCCEEDED."""
        job = self.get(job_id)
        if job.state != SUCCEEDED:
            job.ClearField("result")
        return job

    def _require_started(self) -> None:
        if not self._started:
            raise StoreUnavailableError("The job service is not started.")
