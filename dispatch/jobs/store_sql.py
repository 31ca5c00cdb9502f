"""What the SQLite and the PostgreSQL job stores do the same way, written once.

Both keep the same ``jobs`` and ``history`` rows (``dispatch.jobs.rows`` reads them) and answer
the same contract (``dispatch.jobs.store_protocol``). ``SqlJobStore`` holds the reads, the
idempotent create, the resubmit and the SET clauses of a state change; a store supplies its
connection (``_tx``/``_read``), its placeholder, and the few steps its database does differently
(how a state change is applied, how bytes in use are measured, what a history row records).
SQL here is written with ``?`` placeholders; a store whose driver wants ``%s`` says so in
``placeholder`` and ``_execute`` rewrites it (no statement here contains a literal ``?``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any

from dispatch._proto.dispatch.v1 import jobs_pb2, routing_pb2
from dispatch.jobs.errors import JobNotFoundError, JobStoreFullError
from dispatch.jobs.recovery import Recovery
from dispatch.jobs.rows import (
    ALL_JOBS,
    COLUMNS,
    JobQuery,
    encode_token,
    list_query,
    row_to_job,
    timestamp,
)

State = jobs_pb2.PlanJob.State
QUEUED = jobs_pb2.PlanJob.QUEUED
RUNNING = jobs_pb2.PlanJob.RUNNING
SUCCEEDED = jobs_pb2.PlanJob.SUCCEEDED
FAILED = jobs_pb2.PlanJob.FAILED
CANCELLED = jobs_pb2.PlanJob.CANCELLED
FINAL_STATES = frozenset({SUCCEEDED, FAILED, CANCELLED})
ACTIVE_STATES = frozenset({QUEUED, RUNNING})
#: Jobs whose request bytes are deleted when they end: nothing will ever read them again (no plan
#: to advise on, nothing to rerun), and they were what filled stores with cancelled 100 MB jobs.
PAYLOAD_DROPPED_STATES = frozenset({FAILED, CANCELLED})


def request_digest(request: routing_pb2.PlanRoutesRequest) -> str:
    """A fingerprint of a request body, to tell a retry from a reused request_id."""
    return hashlib.sha256(request.SerializeToString(deterministic=True)).hexdigest()


def state_sets(
    to_state: State,
    now_ns: int,
    error_message: str | None,
    result: routing_pb2.PlanRoutesResponse | None,
    progress: jobs_pb2.PlanJobProgress | None,
) -> tuple[list[str], list[object]]:
    """The SET clauses (``?`` placeholders) and arguments of a move to ``to_state``: entering
    RUNNING counts an attempt and sets start_time; entering a final state sets end_time;
    entering CANCELLED or FAILED deletes the request bytes (the row, its history and state stay).
    """
    sets = ["state = ?"]
    args: list[object] = [int(to_state)]
    if to_state == RUNNING:
        sets += ["attempts = attempts + 1", "start_ns = ?", "end_ns = NULL"]
        args.append(now_ns)
    if to_state in FINAL_STATES:
        sets.append("end_ns = ?")
        args.append(now_ns)
    if to_state in PAYLOAD_DROPPED_STATES:
        sets.append("request = NULL")
    if error_message is not None:
        sets.append("error_message = ?")
        args.append(error_message)
    if result is not None:
        sets.append("result = ?")
        args.append(result.SerializeToString())
    if progress is not None:
        sets.append("progress = ?")
        args.append(progress.SerializeToString())
    return sets, args


@dataclass(frozen=True)
class StateChange:
    """One asked-for move of a job: to ``to_state`` from one of ``froms``, writing ``sets``
    (SET clauses, ``?`` placeholders) with ``args``; ``reason`` goes to the history."""

    job_id: str
    to_state: State
    now_ns: int
    reason: str
    froms: frozenset[int]
    sets: tuple[str, ...]
    args: tuple[object, ...]


class SqlJobStore:
    """The store contract ``JobService`` relies on, and its SQL where both stores agree.

    The contract: durable jobs with history, atomic state changes (check and write in one
    transaction), idempotent create per (owner, request_id), cursor pages, start-up recovery
    and retention. ``problem`` is why the store is unusable, else None; ``quota_bytes`` (0:
    none) bounds the bytes in use, checked when a job's request is stored. The methods that
    raise NotImplementedError are what each database does its own way.
    """

    #: The driver's parameter placeholder ("?" for sqlite3, "%s" for psycopg).
    placeholder = "?"
    #: Further SET clauses of a resubmit (columns only one database has).
    requeue_clears = ""
    problem: str | None
    quota_bytes: int

    # -- what each store supplies: its lifecycle ---------------------------------------------

    def open(self) -> None:
        """Connect, check and migrate the store; StoreUnusableError (kept in ``problem``) when
        it cannot be used as it is."""
        raise NotImplementedError

    def close(self) -> None:
        """Disconnect; safe to call twice."""
        raise NotImplementedError

    def add_problem_listener(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(problem)`` when the store becomes unusable while serving."""
        raise NotImplementedError

    def save_progress(self, job_id: str, progress: jobs_pb2.PlanJobProgress) -> None:
        """Record the latest progress of a running job (best effort between state changes)."""
        raise NotImplementedError

    def recover(self, now_ns: int, max_attempts: int) -> Recovery:
        """At start: requeue the jobs a dead server left unfinished, or fail them for good after
        ``max_attempts`` starts."""
        raise NotImplementedError

    def purge_finished(self, before_ns: int) -> int:
        """Delete finished jobs that ended before ``before_ns``; returns how many."""
        raise NotImplementedError

    # -- what each store supplies: its connection and dialect --------------------------------

    def _tx(self) -> AbstractContextManager[Any]:
        """A connection in one write transaction; database errors become store errors."""
        raise NotImplementedError

    def _read(self) -> AbstractContextManager[Any]:
        """A connection for reads; database errors become store errors."""
        raise NotImplementedError

    def _used_bytes(self, conn: Any) -> int:
        """Bytes the database holds in use (what the quota bounds)."""
        raise NotImplementedError

    def _history(self, conn: Any, job_id: str, state: State, now_ns: int, reason: str) -> None:
        """Record that the job entered ``state``."""
        raise NotImplementedError

    def _serialise_creates(self, conn: Any) -> None:
        """Make creates and resubmits take turns, so the queue limit and request-id idempotency
        hold; one SQLite write transaction already does (BEGIN IMMEDIATE)."""

    def _apply_transition(self, change: StateChange) -> bool:
        """Write the change's SET clauses if the job is in one of ``change.froms`` and record
        the history, in one transaction; False when the job is not (or not found)."""
        raise NotImplementedError

    def _execute(self, conn: Any, sql: str, args: Iterable[object] = ()) -> Any:
        """Run ``sql`` (``?`` placeholders) with the driver's placeholder."""
        if self.placeholder != "?":
            sql = sql.replace("?", self.placeholder)
        return conn.execute(sql, tuple(args))

    def _select(self, sql: str, args: Iterable[object] = ()) -> list[Any]:
        """Every row one read query returns."""
        with self._read() as conn:
            return self._execute(conn, sql, args).fetchall()

    # -- writes ----------------------------------------------------------------------------

    def insert_or_get(
        self,
        job_id: str,
        request: routing_pb2.PlanRoutesRequest,
        now_ns: int,
        queue_limit: int | None = None,
        *,
        owner: str = "",
    ) -> tuple[str, str, bool]:
        """Create a QUEUED job of ``owner`` unless that owner already used the request_id.

        Returns ``(job_id, stored_digest, created)``; when the owner's request_id is already taken
        the existing job's id and digest come back with ``created`` False, so the caller decides
        between a retry and a conflict. Request ids are per owner: another principal's job never
        answers for this one. ``queue_limit`` (checked in the same transaction) makes the insert
        return ``("", "", False)`` when that many jobs are already QUEUED; a job that would take
        the store past ``quota_bytes`` raises JobStoreFullError.
        """
        digest = request_digest(request)
        payload = request.SerializeToString()
        with self._tx() as conn:
            self._serialise_creates(conn)
            row = self._execute(
                conn,
                "SELECT job_id, request_digest FROM jobs WHERE owner = ? AND request_id = ?",
                (owner, request.request_id),
            ).fetchone()
            if row is not None:
                return row[0], row[1], False
            if not self._admits(conn, queue_limit, len(payload)):
                return "", "", False
            self._execute(
                conn,
                "INSERT INTO jobs (job_id, owner, request_id, label, state, create_ns, request, "
                "request_digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (job_id, owner, request.request_id, request.label, QUEUED, now_ns, payload, digest),
            )
            self._history(conn, job_id, QUEUED, now_ns, "created")
            return job_id, digest, True

    def _admits(self, conn: Any, queue_limit: int | None, incoming: int) -> bool:
        """False when ``queue_limit`` jobs are QUEUED already; JobStoreFullError when
        ``incoming`` more bytes would pass the quota."""
        if queue_limit is not None and self._count(conn, QUEUED) >= queue_limit:
            return False
        if self.quota_bytes:
            used = self._used_bytes(conn)
            if used + incoming > self.quota_bytes:
                raise JobStoreFullError(self.quota_bytes, used, incoming)
        return True

    def _count(self, conn: Any, state: State) -> int:
        """How many jobs are in ``state`` (across all replicas, for a shared store)."""
        row = self._execute(conn, "SELECT COUNT(*) FROM jobs WHERE state = ?", (int(state),))
        return int(row.fetchone()[0])

    def transition(
        self,
        job_id: str,
        to_state: State,
        now_ns: int,
        reason: str,
        from_states: Iterable[State],
        *,
        error_message: str | None = None,
        result: routing_pb2.PlanRoutesResponse | None = None,
        progress: jobs_pb2.PlanJobProgress | None = None,
    ) -> bool:
        """Move a job to ``to_state`` if it is in one of ``from_states``; False otherwise.

        The check and the write share one transaction, so a cancel and a finishing worker can
        race without one overwriting the other's final state (``state_sets`` says what each
        state writes).
        """
        sets, args = state_sets(to_state, now_ns, error_message, result, progress)
        froms = frozenset(int(s) for s in from_states)
        change = StateChange(job_id, to_state, now_ns, reason, froms, tuple(sets), tuple(args))
        return self._apply_transition(change)

    def resubmit(
        self,
        job_id: str,
        request: routing_pb2.PlanRoutesRequest,
        now_ns: int,
        reason: str,
        queue_limit: int | None = None,
    ) -> bool:
        """Queue a FAILED or CANCELLED job again, for its request submitted again.

        A new series of attempts: attempts, times, error, progress and result are cleared and the
        request bytes (dropped when the job ended) are stored again; the history keeps it all.
        False when the job is no longer FAILED or CANCELLED, or ``queue_limit`` jobs are QUEUED
        already; past ``quota_bytes`` raises JobStoreFullError, as a new job would.
        """
        payload = request.SerializeToString()
        with self._tx() as conn:
            self._serialise_creates(conn)
            if not self._admits(conn, queue_limit, len(payload)):
                return False
            cur = self._execute(
                conn,
                "UPDATE jobs SET state = ?, attempts = 0, start_ns = NULL, end_ns = NULL, "
                "error_message = '', progress = NULL, result = NULL, request = ?"
                f"{self.requeue_clears} WHERE job_id = ? AND state IN (?, ?)",
                (QUEUED, payload, job_id, FAILED, CANCELLED),
            )
            if cur.rowcount == 0:
                return False
            self._history(conn, job_id, QUEUED, now_ns, reason)
            return True

    # -- reads -----------------------------------------------------------------------------

    def used_bytes(self) -> int:
        """Bytes the store holds in use (what the quota bounds)."""
        with self._read() as conn:
            return self._used_bytes(conn)

    def get(
        self, job_id: str, include_request: bool = False, include_result: bool = True
    ) -> jobs_pb2.PlanJob:
        """The job as a PlanJob message, with its full history; JobNotFoundError if absent."""
        extra = ", result" if include_result else ", NULL"
        extra += ", request" if include_request else ", NULL"
        with self._read() as conn:
            row = self._execute(
                conn, f"SELECT {COLUMNS}{extra} FROM jobs WHERE job_id = ?", (job_id,)
            ).fetchone()
            if row is None:
                raise JobNotFoundError(job_id)
            history = self._execute(
                conn,
                "SELECT state, time_ns, reason FROM history WHERE job_id = ? ORDER BY seq",
                (job_id,),
            ).fetchall()
        job = row_to_job(tuple(row[:10]))
        if row[10] is not None:
            job.result.ParseFromString(bytes(row[10]))
        if row[11] is not None:
            job.request.ParseFromString(bytes(row[11]))
        for state, time_ns, reason in history:
            job.history.add(state=state, time=timestamp(time_ns), reason=reason)
        return job

    def get_request(self, job_id: str) -> routing_pb2.PlanRoutesRequest:
        """The stored request of a job; empty once dropped (the job ended CANCELLED or FAILED)."""
        payload = self._column(job_id, "request")
        request = routing_pb2.PlanRoutesRequest()
        if payload is not None:
            request.ParseFromString(bytes(payload))
        return request

    def owner_of(self, job_id: str) -> str:
        """The principal that created the job ('' without authentication)."""
        return self._column(job_id, "owner")

    def state(self, job_id: str) -> State:
        """Only the current state (cheap)."""
        return self._column(job_id, "state")

    def _column(self, job_id: str, column: str) -> Any:
        """One column of one job (a name from this module, never from a caller)."""
        rows = self._select(f"SELECT {column} FROM jobs WHERE job_id = ?", (job_id,))
        if not rows:
            raise JobNotFoundError(job_id)
        return rows[0][0]

    def queued_ids(self) -> list[str]:
        """Ids of QUEUED jobs, oldest first (the order they run in)."""
        rows = self._select(
            "SELECT job_id FROM jobs WHERE state = ? ORDER BY create_ns, job_id", (QUEUED,)
        )
        return [r[0] for r in rows]

    def count(self, state: State) -> int:
        """How many jobs are in ``state``."""
        with self._read() as conn:
            return self._count(conn, state)

    def list(
        self, query: JobQuery = ALL_JOBS, owner: str | None = None
    ) -> jobs_pb2.ListPlanJobsResponse:
        """A page of jobs newest first, without request, result or history; only ``owner``'s
        jobs unless it is None.

        The token encodes the (create time, job id) of the last job returned, so pages stay
        consistent while new jobs are created (they sort before the cursor).
        """
        sql, args, size = list_query(query, owner)
        rows = self._select(sql, args)
        response = jobs_pb2.ListPlanJobsResponse()
        for row in rows[:size]:
            response.jobs.append(row_to_job(tuple(row)))
        if len(rows) > size:
            last = rows[size - 1]
            response.next_page_token = encode_token(last[4], last[0])
        return response
