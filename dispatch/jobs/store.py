"""The durable job store: one SQLite file in WAL mode, written in short transactions.

Durability: the connection runs with ``journal_mode=WAL`` and ``synchronous=FULL``, so every
committed transaction (a job created, a state change, a result) has been fsynced to the WAL before
the call returns. A job reported SUCCEEDED therefore survives ``kill -9`` of the server and a power
cut alike. ``synchronous=NORMAL`` would survive a process crash but could lose the last commits on
power loss, which would break the promise made to a caller that already saw SUCCEEDED. The price,
one fsync per commit, is paid only on job events: progress is written at most every
``progress_interval`` seconds per job.

One connection is shared by all threads behind a lock; transactions are a handful of row writes,
so the lock is held for milliseconds. A lock file next to the database keeps a second server
from running the same jobs at the same time.
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from google.protobuf.timestamp_pb2 import Timestamp

from dispatch._proto.dispatch.v1 import jobs_pb2, routing_pb2
from dispatch.jobs.errors import JobNotFoundError, StoreUnavailableError
from dispatch.validation.limits import MAX_PAGE_TOKEN_LENGTH
from solvers.errors import FieldProblem, InvalidProblemError

State = jobs_pb2.PlanJob.State
QUEUED = jobs_pb2.PlanJob.QUEUED
RUNNING = jobs_pb2.PlanJob.RUNNING
SUCCEEDED = jobs_pb2.PlanJob.SUCCEEDED
FAILED = jobs_pb2.PlanJob.FAILED
CANCELLED = jobs_pb2.PlanJob.CANCELLED
FINAL_STATES = frozenset({SUCCEEDED, FAILED, CANCELLED})
ACTIVE_STATES = frozenset({QUEUED, RUNNING})

SCHEMA_VERSION = 1
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500

_SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    job_id          TEXT PRIMARY KEY,
    request_id      TEXT NOT NULL UNIQUE,
    label           TEXT NOT NULL,
    state           INTEGER NOT NULL,
    create_ns       INTEGER NOT NULL,
    start_ns        INTEGER,
    end_ns          INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    error_message   TEXT NOT NULL DEFAULT '',
    request         BLOB NOT NULL,
    request_digest  TEXT NOT NULL,
    progress        BLOB,
    result          BLOB
);
CREATE INDEX IF NOT EXISTS jobs_newest ON jobs (create_ns DESC, job_id DESC);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs (state);
CREATE TABLE IF NOT EXISTS history (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id   TEXT NOT NULL,
    state    INTEGER NOT NULL,
    time_ns  INTEGER NOT NULL,
    reason   TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS history_job ON history (job_id, seq);
"""

_COLUMNS = (
    "job_id, request_id, label, state, create_ns, start_ns, end_ns, attempts, error_message, "
    "progress"
)


def request_digest(request: routing_pb2.PlanRoutesRequest) -> str:
    """A fingerprint of a request body, to tell a retry from a reused request_id."""
    return hashlib.sha256(request.SerializeToString(deterministic=True)).hexdigest()


def _timestamp(ns: int | None) -> Timestamp | None:
    if ns is None:
        return None
    ts = Timestamp()
    ts.FromNanoseconds(ns)
    return ts


@dataclass(frozen=True)
class Recovery:
    """What start-up recovery did to jobs left QUEUED or RUNNING by the previous server."""

    requeued: tuple[str, ...]
    failed: tuple[str, ...]


class JobStore:
    """Jobs, their state history, progress and results in one SQLite database."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None
        self._lock_file: int | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def open(self) -> None:
        """Create the folder and schema if needed and take the single-server lock."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_fd = os.open(f"{self.path}.lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(lock_fd)
            raise StoreUnavailableError(
                f"Job store {self.path} is in use by another server process."
            ) from None
        self._lock_file = lock_fd
        conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=10.0
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA busy_timeout=10000")
        conn.executescript(_SCHEMA)
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version == 0:
            conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        elif version != SCHEMA_VERSION:
            conn.close()
            raise StoreUnavailableError(
                f"Job store {self.path} has schema version {version}; expected {SCHEMA_VERSION}."
            )
        self._conn = conn

    def close(self) -> None:
        """Close the database and release the lock; safe to call twice."""
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            if self._lock_file is not None:
                os.close(self._lock_file)
                self._lock_file = None

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction; BEGIN IMMEDIATE so read-then-write cannot race."""
        with self._lock:
            if self._conn is None:
                raise StoreUnavailableError("The job store is closed.")
            conn = self._conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._conn is None:
                raise StoreUnavailableError("The job store is closed.")
            yield self._conn

    # -- writes ----------------------------------------------------------------------------

    def insert_or_get(
        self,
        job_id: str,
        request: routing_pb2.PlanRoutesRequest,
        now_ns: int,
        queue_limit: int | None = None,
    ) -> tuple[str, str, bool]:
        """Create a QUEUED job unless its request_id exists.

        Returns ``(job_id, stored_digest, created)``; when the request_id is already taken the
        existing job's id and digest come back with ``created`` False, so the caller decides
        between a retry and a conflict. ``queue_limit`` (checked in the same transaction) makes
        the insert return ``("", "", False)`` when that many jobs are already QUEUED.
        """
        digest = request_digest(request)
        with self._tx() as conn:
            row = conn.execute(
                "SELECT job_id, request_digest FROM jobs WHERE request_id = ?",
                (request.request_id,),
            ).fetchone()
            if row is not None:
                return row[0], row[1], False
            if queue_limit is not None:
                queued = conn.execute(
                    "SELECT COUNT(*) FROM jobs WHERE state = ?", (QUEUED,)
                ).fetchone()[0]
                if queued >= queue_limit:
                    return "", "", False
            conn.execute(
                "INSERT INTO jobs (job_id, request_id, label, state, create_ns, request, "
                "request_digest) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    job_id,
                    request.request_id,
                    request.label,
                    QUEUED,
                    now_ns,
                    request.SerializeToString(),
                    digest,
                ),
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
        and sets start_time; entering a final state sets end_time.
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
            return True

    def save_progress(self, job_id: str, progress: jobs_pb2.PlanJobProgress) -> None:
        """Record the latest progress of a running job (best effort between state changes)."""
        with self._tx() as conn:
            conn.execute(
                "UPDATE jobs SET progress = ? WHERE job_id = ? AND state = ?",
                (progress.SerializeToString(), job_id, RUNNING),
            )

    def recover(self, now_ns: int, max_attempts: int) -> Recovery:
        """Requeue every job the previous server left QUEUED or RUNNING, or fail it for good.

        A RUNNING job was interrupted mid-solve: it goes back to QUEUED (its next start counts
        another attempt) unless it has used ``max_attempts`` already, in which case it FAILS with
        the reason, so a request that crashes the server cannot crash it forever.
        """
        requeued: list[str] = []
        failed: list[str] = []
        with self._tx() as conn:
            rows = conn.execute(
                "SELECT job_id, state, attempts FROM jobs WHERE state IN (?, ?) "
                "ORDER BY create_ns, job_id",
                (QUEUED, RUNNING),
            ).fetchall()
            for job_id, state, attempts in rows:
                if state == QUEUED:
                    requeued.append(job_id)
                    continue
                if attempts >= max_attempts:
                    message = (
                        f"interrupted by a server restart on attempt {attempts} of "
                        f"{max_attempts}; not retried again"
                    )
                    conn.execute(
                        "UPDATE jobs SET state = ?, end_ns = ?, error_message = ? WHERE job_id = ?",
                        (FAILED, now_ns, message, job_id),
                    )
                    conn.execute(
                        "INSERT INTO history (job_id, state, time_ns, reason) VALUES (?,?,?,?)",
                        (job_id, FAILED, now_ns, message),
                    )
                    failed.append(job_id)
                else:
                    conn.execute("UPDATE jobs SET state = ? WHERE job_id = ?", (QUEUED, job_id))
                    conn.execute(
                        "INSERT INTO history (job_id, state, time_ns, reason) VALUES (?,?,?,?)",
                        (
                            job_id,
                            QUEUED,
                            now_ns,
                            f"requeued after server restart (attempt {attempts} interrupted)",
                        ),
                    )
                    requeued.append(job_id)
        return Recovery(tuple(requeued), tuple(failed))

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
                f"SELECT {_COLUMNS}{extra} FROM jobs WHERE job_id = ?", (job_id,)
            ).fetchone()
            if row is None:
                raise JobNotFoundError(job_id)
            history = conn.execute(
                "SELECT state, time_ns, reason FROM history WHERE job_id = ? ORDER BY seq",
                (job_id,),
            ).fetchall()
        job = _row_to_job(row[:10])
        if row[10] is not None:
            job.result.ParseFromString(row[10])
        if row[11] is not None:
            job.request.ParseFromString(row[11])
        for state, time_ns, reason in history:
            job.history.add(state=state, time=_timestamp(time_ns), reason=reason)
        return job

    def get_request(self, job_id: str) -> routing_pb2.PlanRoutesRequest:
        """The stored request of a job."""
        with self._read() as conn:
            row = conn.execute("SELECT request FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
        if row is None:
            raise JobNotFoundError(job_id)
        request = routing_pb2.PlanRoutesRequest()
        request.ParseFromString(row[0])
        return request

    def state(self, job_id: str) -> State:
        """Only the current state (cheap)."""
        with self._read() as conn:
            row = conn.execute("SELECT state FROM jobs WHERE job_id = ?", (job_id,)).fetchone()
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
        self,
        page_size: int = 0,
        page_token: str = "",
        states: Iterable[State] = (),
        label: str = "",
    ) -> jobs_pb2.ListPlanJobsResponse:
        """A page of jobs newest first, without request, result or history.

        The token encodes the (create time, job id) of the last job returned, so pages stay
        consistent while new jobs are created (they sort before the cursor).
        """
        if page_size < 0:
            raise InvalidProblemError(FieldProblem("page_size", "must not be negative"))
        size = min(page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        where: list[str] = []
        args: list[object] = []
        state_list = sorted({int(s) for s in states})
        for i, s in enumerate(state_list):
            if s not in State.values() or s == jobs_pb2.PlanJob.STATE_UNSPECIFIED:
                raise InvalidProblemError(FieldProblem(f"states[{i}]", "unknown job state"))
        if state_list:
            where.append(f"state IN ({', '.join('?' for _ in state_list)})")
            args += state_list
        if label:
            where.append("label = ?")
            args.append(label)
        if page_token:
            create_ns, last_id = _decode_token(page_token)
            where.append("(create_ns < ? OR (create_ns = ? AND job_id < ?))")
            args += [create_ns, create_ns, last_id]
        sql = f"SELECT {_COLUMNS} FROM jobs"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY create_ns DESC, job_id DESC LIMIT ?"
        args.append(size + 1)
        with self._read() as conn:
            rows = conn.execute(sql, args).fetchall()
        response = jobs_pb2.ListPlanJobsResponse()
        for row in rows[:size]:
            response.jobs.append(_row_to_job(row))
        if len(rows) > size:
            last = rows[size - 1]
            response.next_page_token = _encode_token(last[4], last[0])
        return response


def _row_to_job(row: tuple) -> jobs_pb2.PlanJob:
    job_id, request_id, label, state, create_ns, start_ns, end_ns, attempts, error, progress = row
    job = jobs_pb2.PlanJob(
        job_id=job_id,
        request_id=request_id,
        label=label,
        state=state,
        create_time=_timestamp(create_ns),
        start_time=_timestamp(start_ns),
        end_time=_timestamp(end_ns),
        attempts=attempts,
        error_message=error,
    )
    if progress is not None:
        job.progress.ParseFromString(progress)
    return job


def _encode_token(create_ns: int, job_id: str) -> str:
    raw = json.dumps([create_ns, job_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


_INT64_MAX = 2**63 - 1


def _decode_token(token: str) -> tuple[int, str]:
    """(create_ns, job_id) of a token from _encode_token; InvalidProblemError at ``page_token``
    for anything else: too long, not base64 JSON of [int, str], or a time outside SQLite's
    int64 (binding one raised OverflowError: INTERNAL)."""
    try:
        if len(token) > MAX_PAGE_TOKEN_LENGTH:
            raise ValueError("too long")
        raw = base64.b64decode(token + "=" * (-len(token) % 4), altchars=b"-_", validate=True)
        decoded = json.loads(raw)
        if not isinstance(decoded, list) or len(decoded) != 2:
            raise ValueError("not a pair")
        create_ns, job_id = decoded
        if type(create_ns) is not int or not 0 <= create_ns <= _INT64_MAX:
            raise ValueError("create time out of range")
        if not isinstance(job_id, str):
            raise ValueError("job id not a string")
        job_id.encode("utf-8")  # a lone surrogate ("\ud800") cannot be bound as SQLite text
    except (ValueError, TypeError, RecursionError) as exc:
        raise InvalidProblemError(
            FieldProblem("page_token", "not a token returned by ListPlanJobs")
        ) from exc
    return create_ns, job_id
