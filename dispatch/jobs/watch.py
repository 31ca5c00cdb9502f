"""Watch streams of plan jobs: who follows which job, fan-out of events, the follow loop.

Each open stream holds a server thread, so their number is bounded. A stream gets the job's
current state first, then state changes, improving checked plans (each with the checker's
objective, the number the answer reports) and finished parts of a decomposed job, and ends after
a final state.

Events are derived from the job as read, not taken on trust from whoever published: a part event
is sent for each name ``progress.finished_parts`` gained since the last event, so a replica that
follows a job by polling (several parts between two reads) still sends one event per part.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator

from dispatch._proto.dispatch.v1 import jobs_pb2
from dispatch.jobs.errors import TooManyWatchersError
from dispatch.jobs.store import FINAL_STATES
from solvers.errors import DispatchError

__all__ = ["PART_FINISHED", "SOLUTION_IMPROVED", "STATE_CHANGED", "WatchHub", "WatchStream"]

STATE_CHANGED = jobs_pb2.PlanJobEvent.STATE_CHANGED
SOLUTION_IMPROVED = jobs_pb2.PlanJobEvent.SOLUTION_IMPROVED
PART_FINISHED = jobs_pb2.PlanJobEvent.PART_FINISHED

_Inbox = queue.SimpleQueue[jobs_pb2.PlanJobEvent]


class WatchStream(Iterator[jobs_pb2.PlanJobEvent]):
    """The events iterator; ``close()`` frees the subscription even if iteration never began."""

    def __init__(
        self, events: Iterator[jobs_pb2.PlanJobEvent], release: Callable[[], None]
    ) -> None:
        self._events = events
        self._release = release

    def __next__(self) -> jobs_pb2.PlanJobEvent:
        return next(self._events)

    def close(self) -> None:
        """Stop following the job (gRPC calls this when the client goes away)."""
        close = getattr(self._events, "close", None)
        if close is not None:
            close()
        self._release()


class WatchHub:
    """The open watch streams, at most ``max_watchers``; ``snapshot(job_id)`` is the job as a
    watcher sees it and raises for unknown jobs."""

    def __init__(self, snapshot: Callable[[str], jobs_pb2.PlanJob], max_watchers: int) -> None:
        self._snapshot = snapshot
        self.max_watchers = max_watchers
        self._inboxes: dict[str, list[_Inbox]] = {}
        self._lock = threading.Lock()
        #: Set to end every open stream now (shutdown); cleared when the service starts again.
        self.ended = threading.Event()

    def open_streams(self) -> int:
        """How many streams are open."""
        with self._lock:
            return sum(map(len, self._inboxes.values()))

    def watched_ids(self) -> list[str]:
        """Ids of the jobs someone follows (a shared store polls them for other replicas'
        changes)."""
        with self._lock:
            return list(self._inboxes)

    def open(self, job_id: str, is_active: Callable[[], bool]) -> WatchStream:
        """A stream of the job's events; raises TooManyWatchersError or the snapshot's error."""
        events: _Inbox = queue.SimpleQueue()
        with self._lock:
            if sum(map(len, self._inboxes.values())) >= self.max_watchers:
                raise TooManyWatchersError(self.max_watchers)
            self._inboxes.setdefault(job_id, []).append(events)
        try:
            first = self._snapshot(job_id)
        except BaseException:
            self._unsubscribe(job_id, events)
            raise
        return WatchStream(
            self._follow(job_id, first, events, is_active),
            lambda: self._unsubscribe(job_id, events),
        )

    def publish(self, job_id: str, kind: jobs_pb2.PlanJobEvent.Kind) -> None:
        """Tell the job's watchers about a change (the store already holds it)."""
        with self._lock:
            targets = list(self._inboxes.get(job_id, ()))
        if not targets:
            return
        try:
            event = jobs_pb2.PlanJobEvent(kind=kind, job=self._snapshot(job_id))
        except DispatchError:
            return
        for target in targets:
            target.put(event)

    def _unsubscribe(self, job_id: str, events: _Inbox) -> None:
        with self._lock:
            targets = self._inboxes.get(job_id, [])
            if events in targets:
                targets.remove(events)
            if not targets:
                self._inboxes.pop(job_id, None)

    def _follow(
        self,
        job_id: str,
        first: jobs_pb2.PlanJob,
        events: _Inbox,
        is_active: Callable[[], bool],
        poll: float = 0.2,
        resync: float = 2.0,
    ) -> Iterator[jobs_pb2.PlanJobEvent]:
        try:
            yield jobs_pb2.PlanJobEvent(kind=STATE_CHANGED, job=first)
            last_state = first.state
            last_plans = first.progress.plans_checked
            last_parts = len(first.progress.finished_parts)
            last_attempt = first.attempts
            next_resync = time.monotonic() + resync
            while last_state not in FINAL_STATES:
                if not is_active() or self.ended.is_set():
                    return
                try:
                    event = events.get(timeout=poll)
                except queue.Empty:
                    if time.monotonic() < next_resync:
                        continue
                    # Safety net: a missed notification must not leave a watcher hanging.
                    next_resync = time.monotonic() + resync
                    event = jobs_pb2.PlanJobEvent(kind=STATE_CHANGED, job=self._snapshot(job_id))
                job = event.job
                # A new attempt (after a requeue) counts its plans and parts from zero again.
                new_attempt = job.attempts != last_attempt
                parts = [
                    jobs_pb2.PlanJobEvent(kind=PART_FINISHED, job=job, part=part)
                    for part in job.progress.finished_parts[0 if new_attempt else last_parts :]
                ]
                if job.state != last_state or new_attempt:
                    change = jobs_pb2.PlanJobEvent(kind=STATE_CHANGED, job=job)
                    # An attempt's parts come after it starts and before it ends.
                    events_now = [change, *parts] if new_attempt else [*parts, change]
                    last_plans = job.progress.plans_checked
                elif event.kind == SOLUTION_IMPROVED and job.progress.plans_checked > last_plans:
                    events_now = [*parts, event]
                    last_plans = job.progress.plans_checked
                else:
                    events_now = parts  # nothing else new: a duplicate of what was sent
                last_state, last_attempt = job.state, job.attempts
                last_parts = len(job.progress.finished_parts)
                yield from events_now
        finally:
            self._unsubscribe(job_id, events)
