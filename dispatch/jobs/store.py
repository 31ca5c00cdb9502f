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
``dispatch.jobs.store_file``; tables and migrations are ``dispatch.jobs.schema``; the reads
and writes it shares with the PostgreSQL store are ``dispatch.jobs.store_sql``.

A store that fails (corruption or an I/O error found while serving) records its ``problem``,
tells its listeners (the server turns the jobs health entry NOT_SERVING) and answers every later
call with StoreUnusableError (UNAVAILABLE) instead of touching the file again.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from dispatch._proto.dispatch.v1 import jobs_pb2
from dispatch.jobs import schema
from dispatch.jobs.errors import StoreUnavailableError, StoreUnusableError
from dispatch.jobs.recovery import Recovery, recover_jobs
from dispatch.jobs.store_file import (
    StoreFile,
    give_back_free_pages,
    open_store_file,
    used_bytes,
)

# The states and the digest belong to both stores (dispatch.jobs.store_sql); callers import them
# from here, the SQLite store being the default one.
from dispatch.jobs.store_sql import ACTIVE_STATES as ACTIVE_STATES
from dispatch.jobs.store_sql import CANCELLED as CANCELLED
from dispatch.jobs.store_sql import FAILED as FAILED
from dispatch.jobs.store_sql import FINAL_STATES as FINAL_STATES
from dispatch.jobs.store_sql import PAYLOAD_DROPPED_STATES as PAYLOAD_DROPPED_STATES
from dispatch.jobs.store_sql import QUEUED as QUEUED
from dispatch.jobs.store_sql import RUNNING as RUNNING
from dispatch.jobs.store_sql import SUCCEEDED as SUCCEEDED
from dispatch.jobs.store_sql import SqlJobStore, StateChange
from dispatch.jobs.store_sql import State as State
from dispatch.jobs.store_sql import request_digest as request_digest

log = logging.getLogger(__name__)

SCHEMA_VERSION = schema.SCHEMA_VERSION

# SQLite result codes after which the file is not trusted again until an operator looks at it.
_BROKEN_CODES = ("SQLITE_CORRUPT", "SQLITE_NOTADB", "SQLITE_IOERR", "SQLITE_CANTOPEN")


class JobStore(SqlJobStore):
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

    def _used_bytes(self, conn: sqlite3.Connection) -> int:
        """Bytes the database holds in use (its pages minus free ones; the WAL not counted)."""
        return used_bytes(conn)

    # -- writes ----------------------------------------------------------------------------

    def _history(
        self, conn: sqlite3.Connection, job_id: str, state: State, now_ns: int, reason: str
    ) -> None:
        conn.execute(
            "INSERT INTO history (job_id, state, time_ns, reason) VALUES (?, ?, ?, ?)",
            (job_id, state, now_ns, reason),
        )

    def _apply_transition(self, change: StateChange) -> bool:
        """One conditional UPDATE: the state check is its WHERE clause. Request bytes dropped
        by the move are given back to the file system after the commit."""
        froms = tuple(change.froms)
        placeholders = ", ".join("?" for _ in froms)
        with self._tx() as conn:
            cur = conn.execute(
                f"UPDATE jobs SET {', '.join(change.sets)} WHERE job_id = ? "
                f"AND state IN ({placeholders})",
                (*change.args, change.job_id, *froms),
            )
            if cur.rowcount == 0:
                return False
            self._history(conn, change.job_id, change.to_state, change.now_ns, change.reason)
        if change.to_state in PAYLOAD_DROPPED_STATES:
            self._give_back_space()
        return True

    def save_progress(self, job_id: str, progress: jobs_pb2.PlanJobProgress) -> None:
        """Record the latest progress of a running job (best effort between state changes)."""
        with self._tx() as conn:
            conn.execute(
                "UPDATE jobs SET progress = ? WHERE job_id = ? AND state = ?",
                (progress.SerializeToString(), job_id, RUNNING),
            )

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
