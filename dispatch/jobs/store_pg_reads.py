"""Reads of the PostgreSQL job store, and the SQL pieces its writes share.

Kept apart from ``store_pg`` (leases, claims, writes) to keep each module small; the reads are
the SQLite store's, with PostgreSQL placeholders and the same row layout (``dispatch.jobs.rows``).
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any

from dispatch._proto.dispatch.v1 import jobs_pb2, routing_pb2
from dispatch.jobs.errors import JobNotFoundError
from dispatch.jobs.rows import (
    ALL_JOBS,
    COLUMNS,
    JobQuery,
    encode_token,
    list_query,
    row_to_job,
    timestamp,
)
from dispatch.jobs.store import FINAL_STATES, PAYLOAD_DROPPED_STATES, QUEUED, RUNNING, State


class PostgresReads:
    """The read half of PostgresJobStore; ``_session(transaction)`` is the store's."""

    def _session(self, transaction: bool) -> AbstractContextManager[Any]:
        raise NotImplementedError

    def used_bytes(self) -> int:
        """Bytes the store's tables and indexes take on disk."""
        with self._session(False) as conn:
            return used_bytes(conn)

    def get(
        self, job_id: str, include_request: bool = False, include_result: bool = True
    ) -> jobs_pb2.PlanJob:
        """The job as a PlanJob message, with its full history; JobNotFoundError if absent."""
        extra = ", result" if include_result else ", NULL"
        extra += ", request" if include_request else ", NULL"
        with self._session(False) as conn:
            row = conn.execute(
                f"SELECT {COLUMNS}{extra} FROM jobs WHERE job_id = %s", (job_id,)
            ).fetchone()
            if row is None:
                raise JobNotFoundError(job_id)
            history = conn.execute(
                "SELECT state, time_ns, reason FROM history WHERE job_id = %s ORDER BY seq",
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
        """The stored request of a job; empty once dropped."""
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
        with self._session(False) as conn:
            row = conn.execute(f"SELECT {column} FROM jobs WHERE job_id = %s", (job_id,)).fetchone()
        if row is None:
            raise JobNotFoundError(job_id)
        return row[0]

    def queued_ids(self) -> list[str]:
        """Ids of QUEUED jobs, oldest first."""
        with self._session(False) as conn:
            rows = conn.execute(
                "SELECT job_id FROM jobs WHERE state = %s ORDER BY create_ns, job_id", (QUEUED,)
            ).fetchall()
        return [r[0] for r in rows]

    def count(self, state: State) -> int:
        """How many jobs are in ``state``."""
        with self._session(False) as conn:
            row = conn.execute("SELECT COUNT(*) FROM jobs WHERE state = %s", (int(state),))
            return int(row.fetchone()[0])

    def list(
        self, query: JobQuery = ALL_JOBS, owner: str | None = None
    ) -> jobs_pb2.ListPlanJobsResponse:
        """A page of jobs newest first (as ``JobStore.list``; the same opaque tokens)."""
        sql, args, size = list_query(query, owner)
        with self._session(False) as conn:
            rows = conn.execute(sql.replace("?", "%s"), args).fetchall()
        response = jobs_pb2.ListPlanJobsResponse()
        for row in rows[:size]:
            response.jobs.append(row_to_job(tuple(row)))
        if len(rows) > size:
            last = rows[size - 1]
            response.next_page_token = encode_token(last[4], last[0])
        return response

    def leases(self, job_id: str) -> list[dict[str, Any]]:
        """The job's lease records, oldest first: who ran which attempt from when to when."""
        with self._session(False) as conn:
            cur = conn.execute(
                "SELECT attempt, replica, taken_at, renewed_at, expires_at, released_at, how "
                "FROM job_leases WHERE job_id = %s ORDER BY seq",
                (job_id,),
            )
            names = [d.name for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def state_sets(
    to_state: State,
    now_ns: int,
    error_message: str | None,
    result: routing_pb2.PlanRoutesResponse | None,
    progress: jobs_pb2.PlanJobProgress | None,
) -> tuple[list[str], list[object]]:
    """The SET clauses of a transition, as in the SQLite store."""
    sets = ["state = %s"]
    args: list[object] = [int(to_state)]
    if to_state == RUNNING:
        sets += ["attempts = attempts + 1", "start_ns = %s", "end_ns = NULL"]
        args.append(now_ns)
    if to_state in FINAL_STATES:
        sets.append("end_ns = %s")
        args.append(now_ns)
    if to_state in PAYLOAD_DROPPED_STATES:
        sets.append("request = NULL")
    if error_message is not None:
        sets.append("error_message = %s")
        args.append(error_message)
    if result is not None:
        sets.append("result = %s")
        args.append(result.SerializeToString())
    if progress is not None:
        sets.append("progress = %s")
        args.append(progress.SerializeToString())
    return sets, args


def release_lease(conn: Any, job_id: str, how: str) -> None:
    """Close the open lease record of a job (it left RUNNING, or its lease expired)."""
    conn.execute(
        "UPDATE job_leases SET released_at = clock_timestamp(), how = %s "
        "WHERE job_id = %s AND released_at IS NULL",
        (how, job_id),
    )


def queued_count(conn: Any) -> int:
    """How many jobs wait, across all replicas."""
    return int(conn.execute("SELECT COUNT(*) FROM jobs WHERE state = %s", (QUEUED,)).fetchone()[0])


def used_bytes(conn: Any) -> int:
    """Bytes the job tables and their indexes take (what the quota bounds)."""
    row = conn.execute(
        "SELECT pg_total_relation_size('jobs') + pg_total_relation_size('history') "
        "+ pg_total_relation_size('job_leases')"
    ).fetchone()
    return int(row[0])
