"""The job store on PostgreSQL (psycopg 3), shared by several server replicas.

Same contract as the SQLite ``JobStore`` (``dispatch.jobs.store_protocol.JobStoreProtocol``);
what sharing adds is the lease. A replica takes the oldest QUEUED job with ``SELECT ... FOR
UPDATE SKIP LOCKED`` (replicas claiming at once never wait for or take the same row) and reserves
it for itself; the move to RUNNING records a lease (``lease_owner``, ``lease_expires``) and a
``job_leases`` row. A heartbeat thread renews the leases of the jobs this replica runs every third
of the lease. When a replica dies its leases expire, and the next claim on any replica puts the
job back in the queue (or FAILS it after ``max_attempts`` starts), where it is taken like any
other: the takeover counts an attempt. Only the lease holder may end a RUNNING job (any replica
may cancel it); a replica whose lease was taken (it was frozen longer than the lease) learns it
from the heartbeat, which calls the lease listeners so the service stops that solve.

Lease times use the database's clock (``clock_timestamp()``), so replicas' clocks need not agree.
One connection per store, behind a lock, in autocommit mode with explicit transactions. A lost
connection makes that call StoreUnavailableError (UNAVAILABLE) and the next call reconnects.

``reachable`` says whether the database answered the last call: a lost or refused connection
turns it false, the next call that gets through turns it true again, and the reachability
listeners hear each change (the server drives the jobs health entry from them; the job service
calls ``ping`` every poll interval, so the entry follows the database without any job call).
"""

from __future__ import annotations

import logging
import os
import re
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

from dispatch._proto.dispatch.v1 import jobs_pb2
from dispatch.jobs.errors import StoreUnavailableError, StoreUnusableError
from dispatch.jobs.recovery import Recovery
from dispatch.jobs.store_pg_reads import PostgresReads, release_lease
from dispatch.jobs.store_pg_schema import CREATE_LOCK, migrate
from dispatch.jobs.store_sql import (
    CANCELLED,
    FAILED,
    FINAL_STATES,
    QUEUED,
    RUNNING,
    State,
    StateChange,
)

log = logging.getLogger(__name__)

#: Seconds a lease lasts unless renewed (``--store-lease``).
DEFAULT_LEASE_SECONDS = 30.0
_CONNECT_TIMEOUT = 5


def is_postgres_url(store: str) -> bool:
    """Whether ``--store`` names a PostgreSQL database rather than a SQLite file."""
    return store.startswith(("postgresql://", "postgres://"))


def redact(url: str) -> str:
    """The URL without its password, fit for logs and error messages."""
    return re.sub(r"(://[^:/@]*):[^@]*@", r"\1:***@", url)


@dataclass(frozen=True)
class Claim:
    """What one claim did: the job reserved for this replica (None: queue empty) and the jobs
    whose expired lease made them FAIL (their replica died on their last attempt)."""

    job_id: str | None
    failed: tuple[str, ...] = ()
    requeued: tuple[str, ...] = ()


def _replica_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class PostgresJobStore(PostgresReads):
    """Jobs in a PostgreSQL database shared by replicas; ``lease_seconds`` bounds how long a
    dead replica's job waits before another replica takes it over."""

    shared = True
    placeholder = "%s"
    requeue_clears = ", lease_owner = NULL, lease_expires = NULL"

    def __init__(
        self,
        url: str,
        quota_bytes: int = 0,
        *,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        replica: str | None = None,
    ) -> None:
        if quota_bytes < 0:
            raise ValueError("quota_bytes must not be negative")
        if lease_seconds <= 0:
            raise ValueError("lease_seconds must be positive")
        self.url = url
        self.path = redact(url)  # what errors and logs call the store, as for SQLite
        self.quota_bytes = quota_bytes
        self.lease_seconds = lease_seconds
        self.replica = replica or _replica_name()
        #: Why the store cannot be used (another program's database, a newer schema), else None.
        self.problem: str | None = None
        self._listeners: list[Callable[[str], None]] = []
        self._lease_listeners: list[Callable[[str], None]] = []
        self._reach_listeners: list[Callable[[bool], None]] = []
        #: Whether the database answered the last call (see the module docstring).
        self.reachable = True
        self._lock = threading.RLock()
        self._conn: Any = None
        self._opened = False
        self._held: set[str] = set()  # RUNNING jobs whose lease this replica renews
        self._stop = threading.Event()
        self._heartbeat: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def open(self) -> None:
        """Connect, create or migrate the schema, start the lease heartbeat.

        An unreachable database raises StoreUnavailableError naming the server and database
        (the server then refuses to start); a database that is not a job store, or of a newer
        schema, raises StoreUnusableError (kept in ``problem``).
        """
        with self._lock:
            if self._opened:
                return
            conn = self._connect()
            try:
                migrate(conn, self.path)
            except StoreUnusableError as exc:
                conn.close()
                self.problem = str(exc)
                raise
            except Exception as exc:
                conn.close()
                raise StoreUnavailableError(f"Job store {self.path}: {exc}") from exc
            self._conn = conn
            self._opened = True
            self._stop.clear()
            self._heartbeat = threading.Thread(
                target=self._renew_loop, name="job-lease-heartbeat", daemon=True
            )
            self._heartbeat.start()

    def _connect(self) -> Any:
        try:
            import psycopg
        except ImportError as exc:
            raise StoreUnavailableError(
                f"Job store {self.path} needs psycopg: pip install 'city-dispatch[postgres]'"
            ) from exc
        try:
            return psycopg.connect(self.url, autocommit=True, connect_timeout=_CONNECT_TIMEOUT)
        except psycopg.Error as exc:
            reason = " ".join(str(exc).split())
            raise StoreUnavailableError(
                f"PostgreSQL job store {self.path} is unreachable: {reason}. Is the PostgreSQL "
                "server running there, and do the database and role exist?"
            ) from exc

    def close(self) -> None:
        """Stop the heartbeat and disconnect; safe to call twice. Leases held lapse by expiry."""
        self._stop.set()
        if self._heartbeat is not None:
            self._heartbeat.join(10)
            self._heartbeat = None
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            self._opened = False
            self._held.clear()

    def forget(self, job_id: str) -> None:
        """Stop renewing the job's lease (its ending could not be recorded: the database was
        lost), so it lapses and the job is taken over, here or on another replica."""
        with self._lock:
            self._held.discard(job_id)

    def add_problem_listener(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(problem)`` when the store becomes unusable."""
        self._listeners.append(listener)

    def add_lease_listener(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(job_id)`` when this replica finds it no longer holds a job's lease
        (another replica cancelled it, or took it over after the lease expired)."""
        self._lease_listeners.append(listener)

    def add_reachability_listener(self, listener: Callable[[bool], None]) -> None:
        """Call ``listener(reachable)`` each time the database is lost or answers again (quick
        listeners only: they run in the caller's thread, with the store's lock held)."""
        self._reach_listeners.append(listener)

    def ping(self) -> bool:
        """One round trip to the database (reconnecting if needed); returns ``reachable``."""
        try:
            with self._session(False) as conn:
                conn.execute("SELECT 1")
        except StoreUnavailableError:
            pass
        return self.reachable

    def _set_reachable(self, reachable: bool) -> None:
        """Record whether the database answered; tell the listeners when that changed."""
        if reachable == self.reachable:
            return
        self.reachable = reachable
        if reachable:
            log.info("job store %s: reachable again", self.path)
        else:
            log.error("job store %s: unreachable", self.path)
        for listener in list(self._reach_listeners):
            listener(reachable)

    @contextmanager
    def _session(self, transaction: bool) -> Iterator[Any]:
        """The connection (reconnecting after a loss), in a transaction when asked; psycopg
        errors become StoreUnavailableError, and a broken connection is dropped (the database
        is then unreachable until a call gets through)."""
        import psycopg

        with self._lock:
            if not self._opened:
                raise StoreUnavailableError("The job store is closed.")
            try:
                if self._conn is None or self._conn.closed:
                    try:
                        self._conn = self._connect()
                    except StoreUnavailableError:
                        self._set_reachable(False)
                        raise
                if transaction:
                    with self._conn.transaction():
                        yield self._conn
                else:
                    yield self._conn
            except psycopg.Error as exc:
                if self._conn is not None and (
                    self._conn.broken or isinstance(exc, psycopg.OperationalError)
                ):
                    self._conn.close()
                    self._conn = None
                    self._set_reachable(False)
                reason = " ".join(str(exc).split())
                raise StoreUnavailableError(
                    f"Job store {self.path} error ({type(exc).__name__}: {reason}); retry later."
                ) from exc
            self._set_reachable(True)

    def _tx(self) -> AbstractContextManager[Any]:
        return self._session(True)

    def _read(self) -> AbstractContextManager[Any]:
        return self._session(False)

    # -- writes ----------------------------------------------------------------------------

    def _serialise_creates(self, conn: Any) -> None:
        """Creates and resubmits on all replicas take turns (an advisory transaction lock), so
        the queue limit and request-id idempotency hold across them."""
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (CREATE_LOCK,))

    def _history(self, conn: Any, job_id: str, state: State, now_ns: int, reason: str) -> None:
        conn.execute(
            "INSERT INTO history (job_id, state, time_ns, reason, replica) "
            "VALUES (%s, %s, %s, %s, %s)",
            (job_id, int(state), now_ns, reason, self.replica),
        )

    def _apply_transition(self, change: StateChange) -> bool:
        """With the lease: entering RUNNING takes it (refused while another replica's
        reservation or lease is alive), leaving RUNNING releases it, and only the holder may end
        a RUNNING job other than by cancelling it."""
        job_id, to_state = change.job_id, change.to_state
        with self._session(True) as conn:
            row = conn.execute(
                "SELECT state, attempts, lease_owner, "
                "COALESCE(lease_expires < clock_timestamp(), TRUE) FROM jobs "
                "WHERE job_id = %s FOR UPDATE",
                (job_id,),
            ).fetchone()
            if row is None or row[0] not in change.froms:
                return False
            state, attempts, holder, expired = row
            mine = holder == self.replica
            if state == RUNNING and to_state != CANCELLED and not mine:
                return False  # the lease went to another replica: its ending is not ours
            if to_state == RUNNING and holder is not None and not mine and not expired:
                return False  # reserved or run by another replica
            sets, args = [*change.sets], [*change.args]
            if to_state == RUNNING:
                sets += [
                    "lease_owner = ?",
                    "lease_expires = clock_timestamp() + make_interval(secs => ?)",
                ]
                args += [self.replica, self.lease_seconds]
            else:
                sets += ["lease_owner = NULL", "lease_expires = NULL"]
            self._execute(
                conn, f"UPDATE jobs SET {', '.join(sets)} WHERE job_id = ?", (*args, job_id)
            )
            if state == RUNNING:
                release_lease(conn, job_id, change.reason)
            if to_state == RUNNING:
                conn.execute(
                    "INSERT INTO job_leases (job_id, attempt, replica, taken_at, renewed_at, "
                    "expires_at) SELECT job_id, %s, %s, clock_timestamp(), clock_timestamp(), "
                    "lease_expires FROM jobs WHERE job_id = %s",  # the very expiry of the job row
                    (attempts + 1, self.replica, job_id),
                )
            self._history(conn, job_id, to_state, change.now_ns, change.reason)
        with self._lock:
            if to_state == RUNNING:
                self._held.add(job_id)
            else:
                self._held.discard(job_id)
        return True

    def save_progress(self, job_id: str, progress: jobs_pb2.PlanJobProgress) -> None:
        """Record the latest progress of a job this replica runs (best effort)."""
        with self._session(False) as conn:
            conn.execute(
                "UPDATE jobs SET progress = %s WHERE job_id = %s AND state = %s "
                "AND lease_owner = %s",
                (progress.SerializeToString(), job_id, RUNNING, self.replica),
            )

    def claim(self, now_ns: int, max_attempts: int) -> Claim:
        """Reserve the oldest QUEUED job for this replica, after putting the jobs of dead
        replicas (lease expired) back in the queue or failing them after ``max_attempts``.

        The reservation lasts one lease; the service's move to RUNNING turns it into a lease.
        """
        with self._session(True) as conn:
            requeued, failed = self._expire(conn, now_ns, max_attempts)
            row = conn.execute(
                "SELECT job_id FROM jobs WHERE state = %s AND (lease_owner IS NULL OR "
                "lease_expires < clock_timestamp()) ORDER BY create_ns, job_id LIMIT 1 "
                "FOR UPDATE SKIP LOCKED",
                (QUEUED,),
            ).fetchone()
            if row is not None:
                conn.execute(
                    "UPDATE jobs SET lease_owner = %s, "
                    "lease_expires = clock_timestamp() + make_interval(secs => %s) "
                    "WHERE job_id = %s",
                    (self.replica, self.lease_seconds, row[0]),
                )
        return Claim(None if row is None else row[0], failed, requeued)

    def _expire(
        self, conn: Any, now_ns: int, max_attempts: int
    ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Requeue (or fail, on the last attempt) RUNNING jobs whose lease expired."""
        rows = conn.execute(
            "SELECT job_id, attempts, lease_owner FROM jobs WHERE state = %s AND "
            "lease_expires < clock_timestamp() ORDER BY create_ns, job_id FOR UPDATE SKIP LOCKED",
            (RUNNING,),
        ).fetchall()
        requeued: list[str] = []
        failed: list[str] = []
        for job_id, attempts, holder in rows:
            lapse = f"replica {holder} stopped renewing its lease on attempt {attempts} of "
            lapse += str(max_attempts)
            if attempts >= max_attempts:
                reason = f"{lapse}; not retried again"
                conn.execute(
                    "UPDATE jobs SET state = %s, end_ns = %s, error_message = %s, request = NULL, "
                    "lease_owner = NULL, lease_expires = NULL WHERE job_id = %s",
                    (FAILED, now_ns, reason, job_id),
                )
                self._history(conn, job_id, FAILED, now_ns, reason)
                failed.append(job_id)
            else:
                reason = f"requeued: {lapse} (lease expired)"
                conn.execute(
                    "UPDATE jobs SET state = %s, lease_owner = NULL, lease_expires = NULL "
                    "WHERE job_id = %s",
                    (QUEUED, job_id),
                )
                self._history(conn, job_id, QUEUED, now_ns, reason)
                requeued.append(job_id)
            release_lease(conn, job_id, "expired")
        return tuple(requeued), tuple(failed)

    def recover(self, now_ns: int, max_attempts: int) -> Recovery:
        """At start: only jobs whose lease expired are recovered (other replicas' RUNNING jobs
        are alive); the rest happens in every ``claim``."""
        with self._session(True) as conn:
            requeued, failed = self._expire(conn, now_ns, max_attempts)
        return Recovery(requeued, failed)

    def purge_finished(self, before_ns: int) -> int:
        """Delete finished jobs that ended before ``before_ns``; returns how many."""
        with self._session(True) as conn:
            ids = [
                r[0]
                for r in conn.execute(
                    "DELETE FROM jobs WHERE state = ANY(%s) AND end_ns < %s RETURNING job_id",
                    ([int(s) for s in FINAL_STATES], before_ns),
                ).fetchall()
            ]
            if ids:
                conn.execute("DELETE FROM history WHERE job_id = ANY(%s)", (ids,))
                conn.execute("DELETE FROM job_leases WHERE job_id = ANY(%s)", (ids,))
        return len(ids)

    # -- the heartbeat ---------------------------------------------------------------------

    def _renew_loop(self) -> None:
        while not self._stop.wait(self.lease_seconds / 3):
            try:
                self.renew_leases()
            except StoreUnavailableError:
                log.warning("job store %s: leases not renewed", self.path, exc_info=True)

    def renew_leases(self) -> list[str]:
        """Extend the leases of this replica's RUNNING jobs; returns (and tells the lease
        listeners) the jobs whose lease it no longer holds."""
        with self._lock:
            held = sorted(self._held)
        if not held:
            return []
        with self._session(True) as conn:
            renewed = {
                r[0]
                for r in conn.execute(
                    "UPDATE jobs SET lease_expires = clock_timestamp() + make_interval(secs => %s) "
                    "WHERE job_id = ANY(%s) AND lease_owner = %s AND state = %s RETURNING job_id",
                    (self.lease_seconds, held, self.replica, RUNNING),
                ).fetchall()
            }
            conn.execute(  # the very expiry written to the job rows
                "UPDATE job_leases l SET renewed_at = clock_timestamp(), "
                "expires_at = j.lease_expires FROM jobs j WHERE j.job_id = l.job_id "
                "AND l.job_id = ANY(%s) AND l.replica = %s AND l.released_at IS NULL",
                (sorted(renewed), self.replica),
            )
        with self._lock:
            lost = [j for j in held if j not in renewed and j in self._held]
            self._held.difference_update(lost)
        for job_id in lost:
            log.warning("plan job %s: this replica no longer holds its lease", job_id)
            for listener in list(self._lease_listeners):
                listener(job_id)
        return lost
