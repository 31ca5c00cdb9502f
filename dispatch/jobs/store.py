"""The durable job store: one SQLite file in WAL mode, written in short transactions.

Durability: the connection runs with ``journal_mode=WAL`` and ``synchronous=FULL``, so every
committed transaction (a job created, a state change, a result) has been fsynced to the WAL before
the call returns. A job reported SUCCEEDED therefore survives ``kill -9`` of the server and a power
cut alike. ``synchronous=NORMAL`` would survive a process crash but could lose the last commits on
power loss, which would break the promise made to a caller that already saw SUCCEEDED. The price,
one fsync per commit, is paid only on job events: progress is written at most every
``progress_interval`` seconds per job.

One connection is shared by all threads behind a lock; transactions are a handful of row writes,
so the lock is held for milliseconds. Opening, locking and checking the file is
``dispatch.jobs.store_file``; tables and migrations are ``dispatch.jobs.schema``.

A store that fails (corruption or an I/O error found while serving) records its ``problem``,
tells its listeners (the server turns the jobs health entry NOT_SERVING) and answers every later
call with StoreUnusableError (UNAVAILABLE) instead of touching the file again.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dispatch._proto.dispatch.v1 import jobs_pb2, routing_pb2
from dispatch.jobs import schema
from dispatch.jobs.errors import (
    JobNotFoundError,
    JobStoreFullError,
    StoreUnavailableError,
    StoreUnusableError,
)
from dispatch.jobs.recovery import Recovery, recover_jobs
from dispatch.jobs.rows import (
    ALL_JOBS,
    COLUMNS,
    JobQuery,
    encode_token,
    list_query,
    row_to_job,
    timestamp,
)
from dispatch.jobs.store_file import (
    StoreFile,
    give_back_free_pages,
    open_store_file,
    used_bytes,
)

log = logging.getLogger(__name__)

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

SCHEMA_VERSION = schema.SCHEMA_VERSION

# SQLite result codes after which the file is not trusted again until an operator looks at it.
_BROKEN_CODES = ("SQLITE_CORRUPT", "SQLITE_NOTADB", "SQLITE_IOERR", "SQLITE_CANTOPEN")


def request_digest(request: routing_pb2.PlanRoutesRequest) -> str:
    """A fingerprint of a request body, to tell a retry from a reused request_id."""
    return hashlib.sha256(request.SerializeToString(deterministic=True)).hexdigest()


class JobStore:
    """Jobs, their owners, state history, progress and results in one SQLite database.

    ``quota_bytes`` (0: none) bounds the bytes the database holds in use; a new job that would
    pass it is refused with JobStoreFullError. Results of admitted jobs are always stored, so the
    file may exceed the quota by the plans of the jobs already admitted.
    """

    def __init__(self, path: str | os.PathLike[str], quota_bytes: int = 0) -> None:
        if quota_bytes < 0:
            raise ValueError("quota_bytes must not be negative")
        self.path = Path(path)
        self.quota_bytes = quota_bytes
        #: Why the store cannot be used (set when opening or serving failed), else None.
        self.problem: str | None = None
        self._listeners: list[Callable[[str], None]] = []
        self._lock = threading.RLock()
        self._file: StoreFile | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def open(self) -> None:
        """Open (or create, if absent) the store, check it, migrate it and take the lock.

        Raises StoreInUseError when another server holds the file, and StoreUnusableError (also
        kept in ``problem``) when the file cannot be used as it is; it is then left untouched.
        """
        with self._lock:
            if self._file is not None:
                return
            try:
                self._file = open_store_file(self.path, schema.initialise, schema.prepare)
            except StoreUnusableError as exc:
                self._set_problem(str(exc))
                raise
            self.problem = None

    def close(self) -> None:
        """Close the database and release the lock; safe to call twice."""
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None

    def add_problem_listener(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(problem)`` when the store becomes unusable while serving."""
        self._listeners.append(listener)

    def _set_problem(self, problem: str) -> None:
        self.problem = problem
        for listener in list(self._listeners):
            listener(problem)

    def _connection(self) -> sqlite3.Connection:
        if self.problem is not None:
            raise StoreUnusableError(self.problem)
        if self._file is None:
            raise StoreUnavailableError("The job store is closed.")
        return self._file.conn

    def _translate(self, exc: sqlite3.Error) -> StoreUnavailableError:
        """UNAVAILABLE for the caller; a damaged or failing file also marks the store unusable."""
        name = getattr(exc, "sqlite_errorname", "") or type(exc).__name__
        if name.startswith(_BROKEN_CODES):
            self._set_problem(
                f"Job store {self.path} failed while serving ({name}: {exc}); it is no longer "
                "used. Repair or restore it, then restart the server."
            )
            return StoreUnusableError(self.problem)
        return StoreUnavailableError(f"Job store {self.path} error ({name}: {exc}); retry later.")

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction; BEGIN IMMEDIATE so read-then-write cannot race."""
        with self._lock:
            conn = self._connection()
            try:
                conn.execute("BEGIN IMMEDIATE")
                try:
                    yield conn
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                raise self._translate(exc) from exc

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            conn = self._connection()
            try:
                yield conn
            except sqlite3.Error as exc:
                raise self._translate(exc) from exc

    def _give_back_space(self) -> None:
        """Return free pages to the file system, after (not in) the transaction that freed them:
        the change is committed already, so a failure here is only logged."""
        try:
            with self._read() as conn:
                give_back_free_pages(conn)
        except StoreUnavailableError:
            log.warning("job store %s: free pages not given back", self.path, exc_info=True)

    def used_bytes(self) -> int:
        """Bytes the database holds in use (its pages minus free ones; the WAL not counted)."""
        with self._read() as conn:
            return used_bytes(conn)

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
            row = conn.execute(
                "SELECT job_id, request_digest FROM jobs WHERE owner = ? AND request_id = ?",
                (owner, request.request_id),
            ).fetchone()
            if row is not None:
                return row[0], row[1], False
            if queue_limit is not None:
                queued = conn.execute(
                    "SELECT COUNT(*) FROM jobs WHERE state = ?", (QUEUED,)
                ).fetchone()[0]
                if queued >= queue_limit:
                    return "", "", False
            if self.quota_bytes:
                used = used_bytes(conn)
                if used + len(payload) > self.quota_bytes:
                    raise JobStoreFullError(self.quota_bytes, used, len(payload))
            conn.execute(
                "INSERT INTO jobs (job_id, owner, request_id, label, state, create_ns, request, "
                "request_digest) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (job_id, owner, request.request_id, request.label, QUEUED, now_ns, payload, digest),
            )
            conn.execute(
                "INSERT INTO history (job_id, state, time_ns, reason) VALUES (?, ?, ?, ?)",
                (job_id, QUEUED, now_ns, "created"),
            )
            return job_id, digest, True

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
        race without one overwriting the other's final state. Entering RUNNING counts an attempt
        and sets start_time; entering a final state sets end_time; entering CANCELLED or FAILED
        deletes the request bytes (the row, its history and state stay).
        """
        froms = tuple(int(s) for s in from_states)
        sets = ["state = ?"]
        args: list[object] = [to_state]
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
        placeholders = ", ".join("?" for _ in froms)
        with self._tx() as conn:
            cur = conn.execute(
                f"UPDATE jobs SET {', '.join(sets)} WHERE job_id = ? AND state IN ({placeholders})",
                (*args, job_id, *froms),
            )
            if cur.rowcount == 0:
                return False
            conn.execute(
                "INSERT INTO history (job_id, state, time_ns, reason) VALUES (?, ?, ?, ?)",
                (job_id, to_state, now_ns, reason),
            )
        if to_state in PAYLOAD_DROPPED_STATES:
            self._give_back_space()
        return True

    def save_progress(self, job_id: str, progress: jobs_pb2.PlanJobProgress) -> None:
        """Record the latest progress of a running job (best effort between state changes)."""
        with self._tx() as conn:
            conn.execute(
                "UPDATE jobs SET progress = ? WHERE job_id = ? AND state = ?",
                (progress.SerializeToString(), job_id, RUNNING),
            )

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
            if queue_limit is not None:
                queued = conn.execute(
                    "SELECT COUNT(*) FROM jobs WHERE state = ?", (QUEUED,)
                ).fetchone()[0]
                if queued >= queue_limit:
                    return False
            if self.quota_bytes:
                used = used_bytes(conn)
                if used + len(payload) > self.quota_bytes:
                    raise JobStoreFullError(self.quota_bytes, used, len(payload))
            cur = conn.execute(
                "UPDATE jobs SET state = ?, attempts = 0, start_ns = NULL, end_ns = NULL, "
                "error_message = '', progress = NULL, result = NULL, request = ? "
                "WHERE job_id = ? AND state IN (?, ?)",
                (QUEUED, payload, job_id, FAILED, CANCELLED),
            )
            if cur.rowcount == 0:
                return False
            conn.execute(
                "INSERT INTO history (job_id, state, time_ns, reason) VALUES (?, ?, ?, ?)",
                (job_id, QUEUED, now_ns, reason),
            )
            return True

    def recover(self, now_ns: int, max_attempts: int) -> Recovery:
        """Requeue every job the previous server left QUEUED or RUNNING, or fail it for good
        after ``max_attempts`` starts (``dispatch.jobs.recovery``)."""
        with self._tx() as conn:
            recovery = recover_jobs(conn, now_ns, max_attempts)
        if recovery.failed:
            self._give_back_space()
        return recovery

    def purge_finished(self, before_ns: int) -> int:
        """Delete finished jobs that ended before ``before_ns``; returns how many."""
        finals = tuple(int(s) for s in FINAL_STATES)
        with self._tx() as conn:
            ids = [
                r[0]
                for r in conn.execute(
                    "SELECT job_id FROM jobs WHERE state IN (?, ?, ?) AND end_ns < ?",
                    (*finals, before_ns),
                ).fetchall()
            ]
            for job_id in ids:
                conn.execute("DELETE FROM history WHERE job_id = ?", (job_id,))
                conn.execute("DELETE FROM jobs WHERE job_id = ?", (job_id,))
        if ids:
            self._give_back_space()
        return len(ids)

    # -- reads -----------------------------------------------------------------------------

    def get(
        self, job_id: str, include_request: bool = False, include_result: bool = True
    ) -> jobs_pb2.PlanJob:
        """The job as a PlanJob message, with its full history; JobNotFoundError if absent."""
        extra = ", result" if include_result else ", NULL"
        extra += ", request" if include_request else ", NULL"
        with self._read() as conn:
            row = conn.execute(
                f"SELECT {COLUMNS}{extra} FROM jobs WHERE job_id = ?", (job_id,)
            ).fetchone()
            if row is None:
                raise JobNotFoundError(job_id)
            history = conn.execute(
                "SELECT state, time_ns, reason FROM history WHERE job_id = ? ORDER BY seq",
                (job_id,),
            ).fetchall()
        job = row_to_job(row[:10])
        if row[10] is not None:
            job.result.ParseFromString(row[10])
        if row[11] is not None:
            job.request.ParseFromString(row[11])
        for state, time_ns, reason in history:
            job.history.add(state=state, time=timestamp(time_ns), reason=reason)
        return job

    def get_request(self, job_id: str) -> routing_pb2.PlanRoutesRequest:
        """The stored request of a job; empty once dropped (the job ended CANCELLED or FAILED)."""
        payload = self._column(job_id, "request")
        request = routing_pb2.PlanRoutesRequest()
        if payload is not None:
            request.ParseFromString(payload)
        return request

    def owner_of(self, job_id: str) -> str:
        """The principal that created the job ('' without authentication)."""
        return self._column(job_id, "owner")

    def state(self, job_id: str) -> State:
        """Only the current state (cheap)."""
        return self._column(job_id, "state")

    def _column(self, job_id: str, column: str) -> Any:
        """One column of one job (a name from this module, never from a caller)."""
        with self._read() as conn:
            row = conn.execute(
                f"SELECT {column} FROM jobs WHERE job_id = ?",
                (job_id,),
            ).fetchone()
        if row is None:
            raise JobNotFoundError(job_id)
        return row[0]

    def queued_ids(self) -> list[str]:
        """Ids of QUEUED jobs, oldest first (the order they run in)."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT job_id FROM jobs WHERE state = ? ORDER BY create_ns, job_id", (QUEUED,)
            ).fetchall()
        return [r[0] for r in rows]

    def count(self, state: State) -> int:
        """How many jobs are in ``state``."""
        with self._read() as conn:
            return conn.execute("SELECT COUNT(*) FROM jobs WHERE state = ?", (state,)).fetchone()[0]

    def list(
        self, query: JobQuery = ALL_JOBS, owner: str | None = None
    ) -> jobs_pb2.ListPlanJobsResponse:
        """A page of jobs newest first, without request, result or history; only ``owner``'s
        jobs unless it is None.

        The token encodes the (create time, job id) of the last job returned, so pages stay
        consistent while new jobs are created (they sort before the cursor).
        """
        sql, args, size = list_query(query, owner)
        with self._read() as conn:
            rows = conn.execute(sql, args).fetchall()
        response = jobs_pb2.ListPlanJobsResponse()
        for row in rows[:size]:
            response.jobs.append(row_to_job(row))
        if len(rows) > size:
            last = rows[size - 1]
            response.next_page_token = encode_token(last[4], last[0])
        return response
