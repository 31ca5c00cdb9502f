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
from collections.abc import Callable, Iterator

from dispatch._proto.dispatch.v1 import jobs_pb2, routing_pb2
from dispatch.cluster.routing import PartProgress
from dispatch.jobs.errors import (
    JobNotFoundError,
    JobQueueFullError,
    RequestIdConflictError,
    StoreUnavailableError,
    StoreUnusableError,
)
from dispatch.jobs.outcome import (
    CANCELLED_REASON,
    Attempt,
    Ending,
    RunningJob,
    attempt_of,
    log_failure,
    settle,
)
from dispatch.jobs.rows import ALL_JOBS, JobQuery
from dispatch.jobs.store import (
    CANCELLED,
    FAILED,
    QUEUED,
    RUNNING,
    JobStore,
    State,
    request_digest,
)
from dispatch.jobs.watch import PART_FINISHED, SOLUTION_IMPROVED, STATE_CHANGED, WatchHub
from dispatch.routing import RoutingCheckpoint, RoutingProgress, RoutingService
from dispatch.security.principal import Principal, current_principal, may_see
from dispatch.validation import limits
from dispatch.validation.travel_estimate import check_materialisable
from dispatch.wire.durations import seconds
from solvers.budget import Deadline
from solvers.errors import DispatchError

log = logging.getLogger(__name__)


# The contract's routing default when options.time_budget is unset (common.proto, SolveOptions).
DEFAULT_TIME_BUDGET = 10.0
# A job never solves longer than validation lets any request ask for (one hour), so a budget that
# passed validation is honoured as asked.
MAX_TIME_BUDGET = float(limits.MAX_TIME_BUDGET_SECONDS)
_now_ns = time.time_ns  # wall clock: job times are shown to people and kept across restarts


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
        store_quota_bytes: int = 0,
    ) -> None:
        if workers < 1:
            raise ValueError("workers must be at least 1")
        if queue_limit < 0:
            raise ValueError("queue_limit must not be negative")
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.store = self._make_store(store_path, store_quota_bytes)
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
        self._running: dict[str, RunningJob] = {}
        self.watches = WatchHub(self._snapshot, max_watchers)
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._started = False

    def _make_store(self, store_path: str, quota_bytes: int) -> JobStore:
        """The store the jobs live in: a SQLite file here (``SharedJobService``: PostgreSQL)."""
        return JobStore(store_path, quota_bytes=quota_bytes)

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Open the store, requeue what the last server left unfinished, start the slots.

        A store that cannot be used (damaged, empty, foreign, unreadable) does not raise: the
        service stays down with ``store.problem`` saying why, its calls answer UNAVAILABLE, and
        the server keeps serving everything else. A store held by another server still raises.
        """
        if self._started:
            return
        try:
            self.store.open()
            recovery = self.store.recover(_now_ns(), self.max_attempts)
            self.store.purge_finished(self._retention_cutoff())
            queued = self.store.queued_ids()
        except StoreUnusableError as exc:
            self.store.close()
            log.error("plan jobs unavailable: %s", exc)
            return
        except BaseException:
            self.store.close()
            raise
        if recovery.requeued or recovery.failed:
            log.info(
                "job recovery: %d requeued, %d failed after too many attempts",
                len(recovery.requeued),
                len(recovery.failed),
            )
        for job_id in recovery.failed:
            job = self.store.get(job_id, include_result=False)
            log_failure(job, job.error_message)
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

    def check_runnable(self, request: routing_pb2.PlanRoutesRequest) -> None:
        """RequestTooLargeError (RESOURCE_EXHAUSTED) for a valid request these jobs could only
        run by building a travel matrix over the limit: one given by a travel estimate that
        the routing solves whole (no cluster, or too few stops for one). Refused when it is
        submitted rather than failing once it runs."""
        if not self.routing.decomposes(request):
            check_materialisable(request, "request.")

    def create(self, request: routing_pb2.PlanRoutesRequest) -> jobs_pb2.PlanJob:
        """Queue a validated request as a job; the same request_id returns the same job.

        An empty request_id gets a generated one (so the job is still findable by it). The same
        request_id with a different body raises RequestIdConflictError; a full queue raises
        JobQueueFullError, unless the request_id names an existing job. The job belongs to the
        current principal, and request ids are per principal (another caller's same id is
        another job); a request that would take the store past its quota raises
        JobStoreFullError. A request whose job ended FAILED or CANCELLED is queued again (see
        ``_resubmit``) instead of answering with the old ending.
        """
        self._require_started()
        self.check_runnable(request)
        if not request.request_id:
            copy = routing_pb2.PlanRoutesRequest()
            copy.CopyFrom(request)
            copy.request_id = f"auto-{uuid.uuid4().hex}"
            request = copy
        job_id = uuid.uuid4().hex
        found_id, digest, created = self.store.insert_or_get(
            job_id, request, _now_ns(), self.queue_limit, owner=_owner(current_principal())
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
        return self._resubmit(found_id, request)

    def _resubmit(self, job_id: str, request: routing_pb2.PlanRoutesRequest) -> jobs_pb2.PlanJob:
        """The job of a request submitted again: queued again if it ended FAILED or CANCELLED.

        A scheduler that resubmits wants the plan, not the old failure: the same job (same id)
        gets a new series of attempts, and its history says why (``resubmitted after FAILED:
        <reason>``). A job still QUEUED, RUNNING or SUCCEEDED is returned as it is (a retried
        create stays idempotent).
        """
        job = self.get(job_id)
        if job.state not in (FAILED, CANCELLED):
            return job
        ended = jobs_pb2.PlanJob.State.Name(job.state)
        why = job.error_message or (job.history[-1].reason if job.history else "")
        reason = f"resubmitted after {ended}: {why}" if why else f"resubmitted after {ended}"
        if not self.store.resubmit(job_id, request, _now_ns(), reason, self.queue_limit):
            if self.store.state(job_id) in (FAILED, CANCELLED):
                raise JobQueueFullError(self.queue_limit)
            return self.get(job_id)  # someone else resubmitted it meanwhile
        with self._cond:
            self._queue.append(job_id)
            self._cond.notify()
        self.watches.publish(job_id, STATE_CHANGED)
        return self.get(job_id)

    def get(self, job_id: str, include_request: bool = False) -> jobs_pb2.PlanJob:
        """The job with its history, live progress and (once SUCCEEDED) its plan."""
        self._require_started()
        self._check_access(job_id)
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
        self._check_access(job_id)
        return self.watches.open(job_id, is_active)

    def cancel(self, job_id: str) -> jobs_pb2.PlanJob:
        """Cancel a queued or running job; a running job's worker process is stopped.

        Returns once the worker has let go of its slot (or after ``cancel_wait`` seconds). A
        running job is recorded CANCELLED by its slot, with the best checked plan the solve had
        found (``progress.stopped_early``); only if the slot does not let go in time is it
        recorded here, without a plan. A job that already finished is returned unchanged, so
        retrying a cancel is harmless.
        """
        self._require_started()
        self._check_access(job_id)
        running = self._running.get(job_id)
        if running is not None:
            running.cancel.set()
            running.done.wait(self.cancel_wait)
        changed = self.store.transition(
            job_id, CANCELLED, _now_ns(), CANCELLED_REASON, (QUEUED, RUNNING)
        )
        if not changed:
            return self.get(job_id)  # raises JobNotFoundError for unknown ids
        running = self._running.get(job_id)
        if running is not None:  # it started meanwhile: stop it too
            running.cancel.set()
        with self._cond, contextlib.suppress(ValueError):
            self._queue.remove(job_id)
        self.watches.publish(job_id, STATE_CHANGED)
        return self.get(job_id)

    def list(self, query: JobQuery = ALL_JOBS) -> jobs_pb2.ListPlanJobsResponse:
        """Jobs newest first, filtered by state and label, with opaque page tokens; only the
        current principal's jobs unless it is an admin (or authentication is off)."""
        self._require_started()
        principal = current_principal()
        everyone = principal is None or principal.is_admin
        response = self.store.list(query, None if everyone else principal.name)
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
        running = RunningJob()
        # Registered before the job turns RUNNING, so a cancel that sees RUNNING finds the flag.
        self._running[job_id] = running
        try:
            attempt = self.store.get(job_id, include_result=False).attempts + 1
            if running.cancel.is_set():
                self._end_queued(job_id, CANCELLED, CANCELLED_REASON)
                return
            if not self.store.transition(
                job_id, RUNNING, _now_ns(), f"started (attempt {attempt})", (QUEUED,)
            ):
                return  # cancelled while waiting
            self.watches.publish(job_id, STATE_CHANGED)
            started = time.monotonic()
            outcome = self._attempt(job_id, request, running)
            ending = settle(
                running,
                outcome,
                elapsed=time.monotonic() - started,
                cancelled=running.cancel.is_set(),
                stopping=self._stopping.is_set(),
                attempts=attempt,
                max_attempts=self.max_attempts,
            )
            self._finish(job_id, running, ending)
        finally:
            self._running.pop(job_id, None)
            running.done.set()

    def _attempt(
        self, job_id: str, request: routing_pb2.PlanRoutesRequest, running: RunningJob
    ) -> Attempt:
        """One solve in a routing worker, keeping the checked plans it hands over on the way."""
        deadline = Deadline.after(job_time_budget(request))

        def is_cancelled() -> bool:
            return running.cancel.is_set() or self._stopping.is_set()

        def searched(update: RoutingProgress) -> None:
            running.searched(update)
            part = isinstance(update, PartProgress)  # saved at once: other replicas follow parts
            self._save_progress(job_id, running, every_time=part)
            if part:
                self.watches.publish(job_id, PART_FINISHED)

        def checked(checkpoint: RoutingCheckpoint) -> None:
            running.checked(checkpoint)
            self._save_progress(job_id, running)
            self.watches.publish(job_id, SOLUTION_IMPROVED)

        return attempt_of(
            job_id,
            lambda: self.routing.plan_routes(
                request,
                deadline,
                is_cancelled=is_cancelled,
                on_progress=searched,
                on_checkpoint=checked,
                on_late=running.mark_late,
            ),
        )

    def _save_progress(self, job_id: str, running: RunningJob, every_time: bool = False) -> None:
        """Write the live progress (best effort) at most every ``progress_interval`` seconds,
        or now when ``every_time`` (a finished part: each solves for a second or more)."""
        if not running.due_for_save(0.0 if every_time else self.progress_interval):
            return
        try:
            self.store.save_progress(job_id, running.progress)
        except DispatchError:
            log.warning("plan job %s: progress not saved", job_id, exc_info=True)

    def _finish(self, job_id: str, running: RunningJob, ending: Ending) -> None:
        """Record how the attempt ended (only if the job is still RUNNING) and tell watchers.

        A final plan the watchers have not seen yet (the answer after the search, or a plan
        made without the worker) is shown as one more improvement first, so the last ``best``
        a watcher saw is the objective the answer reports.
        """
        if ending.result is not None and (
            ending.progress.plans_checked > running.progress.plans_checked
        ):
            shown = jobs_pb2.PlanJobProgress()
            shown.CopyFrom(ending.progress)
            shown.stopped_early = False
            running.progress = shown
            self.watches.publish(job_id, SOLUTION_IMPROVED)
        if not self.store.transition(
            job_id,
            ending.state,
            _now_ns(),
            ending.reason,
            (RUNNING,),
            error_message=ending.error_message,
            result=ending.result,
            progress=ending.progress,
        ):
            return  # cancel() gave up waiting and recorded CANCELLED itself
        if ending.state == QUEUED:
            with self._cond:
                self._queue.appendleft(job_id)  # it was the oldest when it started
                self._cond.notify()
            log.warning("plan job %s: %s", job_id, ending.reason)
        if ending.state == FAILED:
            log_failure(self.store.get(job_id, include_result=False), ending.reason)
        self.watches.publish(job_id, STATE_CHANGED)

    def _end_queued(self, job_id: str, state: State, reason: str) -> None:
        """End a job that never started (cancelled before its slot took it)."""
        if self.store.transition(job_id, state, _now_ns(), reason, (QUEUED,)):
            self.watches.publish(job_id, STATE_CHANGED)

    def _retention_loop(self) -> None:
        while not self._stopping.wait(self.retention_interval):
            try:
                deleted = self.purge_expired()
                if deleted:
                    log.info("job retention: deleted %d finished jobs", deleted)
            except DispatchError:
                log.warning("job retention failed", exc_info=True)

    def _snapshot(self, job_id: str) -> jobs_pb2.PlanJob:
        """The job as watchers see it: no request; a result only once it has ended."""
        return self.get(job_id)

    def _require_started(self) -> None:
        if not self._started:
            if self.store.problem is not None:
                raise StoreUnusableError(f"Plan jobs are unavailable: {self.store.problem}")
            raise StoreUnavailableError("The job service is not started.")

    def _check_access(self, job_id: str) -> None:
        """Another principal's job is NOT_FOUND (not PERMISSION_DENIED), so ids of other
        callers' jobs cannot be probed for existence."""
        if not may_see(self.store.owner_of(job_id), current_principal()):
            raise JobNotFoundError(job_id)


def _owner(principal: Principal | None) -> str:
    """Who a new job belongs to: the caller, or '' (the anonymous operator) without auth."""
    return "" if principal is None else principal.name
