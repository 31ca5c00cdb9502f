"""The job service over a store shared by several replicas (PostgreSQL).

What changes against the single-server ``JobService``: the queue is the database, not a list in
memory. A slot asks the store for the next job (``PostgresJobStore.claim``: ``SELECT ... FOR
UPDATE SKIP LOCKED``), so replicas share one queue and a job runs on one replica at a time. Jobs
created here still wake a slot at once; jobs created on other replicas, or put back in the queue
when their replica died, are found within ``poll_interval`` seconds.

Watching follows jobs solved elsewhere by polling: every ``poll_interval`` seconds each followed
job that does not run here is read again, and a watcher gets an event when its state changed or
its checked plans grew (progress is saved by the solving replica every ``progress_interval``
seconds). Polling rather than LISTEN/NOTIFY: it needs no extra connection per replica, survives
a reconnect without missed notifications, and the watch loop already resyncs every 2 s.

A job this replica no longer holds the lease of (cancelled on another replica, or taken over
after this replica stalled past its lease) is stopped here and its ending is not recorded: the
other replica's word stands.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from dispatch.jobs.errors import StoreUnavailableError
from dispatch.jobs.outcome import Ending, RunningJob, log_failure
from dispatch.jobs.service import JobService, _now_ns
from dispatch.jobs.store_pg import DEFAULT_LEASE_SECONDS, Claim, PostgresJobStore
from dispatch.jobs.watch import SOLUTION_IMPROVED, STATE_CHANGED
from solvers.errors import DispatchError

log = logging.getLogger(__name__)


class SharedJobService(JobService):
    """``JobService`` whose slots take jobs from a PostgreSQL store shared with other replicas;
    ``lease_seconds`` is how long a dead replica's job waits before it is taken over."""

    store: PostgresJobStore

    def __init__(
        self,
        *args: Any,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        poll_interval: float = 1.0,
        **kwargs: Any,
    ) -> None:
        """``args`` and ``kwargs`` are ``JobService``'s."""
        self.lease_seconds = lease_seconds
        super().__init__(*args, **kwargs)
        self.store.add_lease_listener(self._lease_lost)
        self.poll_interval = poll_interval
        #: Runs whose lease went elsewhere, by job id (the object: a later run is not one).
        self._lost: dict[str, RunningJob] = {}
        self._down_since: float | None = None

    def _make_store(self, store_path: str, quota_bytes: int) -> PostgresJobStore:
        return PostgresJobStore(store_path, quota_bytes, lease_seconds=self.lease_seconds)

    def start(self) -> None:
        """Open the store (StoreUnavailableError when the database is unreachable: the server
        then refuses to start), start the slots and the watch poller."""
        super().start()
        if self._started:
            t = threading.Thread(target=self._poll_watched, name="plan-job-watch-poll", daemon=True)
            t.start()
            self._threads.append(t)

    def _next_job(self) -> str | None:
        """The next job from the shared queue, waiting for a local create or the next poll."""
        while True:
            with self._cond:
                if not self._queue and not self._stopping.is_set():
                    self._cond.wait(self.poll_interval)
                if self._queue:
                    self._queue.popleft()  # only a hint that there is work: the store decides
                if self._stopping.is_set():
                    return None
            claim = self._claim()
            if claim is not None and claim.job_id is not None:
                return claim.job_id

    def _claim(self) -> Claim | None:
        """One claim; None while the database is unreachable (logged once per outage)."""
        try:
            claim = self.store.claim(_now_ns(), self.max_attempts)
        except DispatchError as exc:
            if self._down_since is None:
                self._down_since = time.monotonic()
                log.error("plan jobs: shared store unreachable, slots idle: %s", exc)
            return None
        if self._down_since is not None:
            log.info("plan jobs: shared store reachable again")
            self._down_since = None
        for job_id in claim.requeued:
            self.watches.publish(job_id, STATE_CHANGED)
        for job_id in claim.failed:
            try:  # a slot must outlive the database: never raise from here
                job = self.store.get(job_id, include_result=False)
                log_failure(job, job.error_message)
            except DispatchError:
                log.warning("plan job %s: failed after its lease expired", job_id)
            self.watches.publish(job_id, STATE_CHANGED)
        return claim

    def _run(self, job_id: str) -> None:
        """Run a claimed job; when the database is lost while starting or ending it, let its
        lease lapse so the job is taken over once the database is back (nothing is lost)."""
        try:
            super()._run(job_id)
        except StoreUnavailableError as exc:
            self.store.forget(job_id)
            log.warning("plan job %s: left to its lease, the store was lost: %s", job_id, exc)

    def _lease_lost(self, job_id: str) -> None:
        """Another replica cancelled or took over the job: stop solving it here."""
        running = self._running.get(job_id)
        if running is not None:
            self._lost[job_id] = running
            running.cancel.set()

    def _finish(self, job_id: str, running: RunningJob, ending: Ending) -> None:
        """Record the ending, unless the job is no longer this replica's to end."""
        if self._lost.pop(job_id, None) is running:
            self.store.forget(job_id)
            log.warning("plan job %s: stopped here, its lease is another replica's", job_id)
            self.watches.publish(job_id, STATE_CHANGED)
            return
        super()._finish(job_id, running, ending)

    def _poll_watched(self) -> None:
        """Probe the database (``store.ping``, so ``store.reachable`` and the jobs health entry
        follow it within ``poll_interval`` even with no job call), and give watchers of jobs
        solved on other replicas their state changes and progress."""
        while not self._stopping.wait(self.poll_interval):
            if not self.store.ping():
                continue
            for job_id in self.watches.watched_ids():
                if job_id not in self._running:
                    self.watches.publish(job_id, SOLUTION_IMPROVED)
