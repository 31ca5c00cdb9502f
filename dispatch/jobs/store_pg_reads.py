"""The PostgreSQL job store's own reads and SQL pieces: bytes in use, the lease records.

Kept apart from ``store_pg`` (leases, claims, writes) to keep each module small; every read both
stores answer alike (jobs, pages, history) is ``dispatch.jobs.store_sql.SqlJobStore``'s.
"""

from __future__ import annotations

from typing import Any

from dispatch.jobs.store_sql import SqlJobStore


class PostgresReads(SqlJobStore):
    """The read half of PostgresJobStore: what only the PostgreSQL store measures or keeps."""

    def _used_bytes(self, conn: Any) -> int:
        """Bytes the store's tables and indexes take on disk."""
        return used_bytes(conn)

    def leases(self, job_id: str) -> list[dict[str, Any]]:
        """The job's lease records, oldest first: who ran which attempt from when to when."""
        with self._read() as conn:
            cur = conn.execute(
                "SELECT attempt, replica, taken_at, renewed_at, expires_at, released_at, how "
                "FROM job_leases WHERE job_id = %s ORDER BY seq",
                (job_id,),
            )
            names = [d.name for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def release_lease(conn: Any, job_id: str, how: str) -> None:
    """Close the open lease record of a job (it left RUNNING, or its lease expired)."""
    conn.execute(
        "UPDATE job_leases SET released_at = clock_timestamp(), how = %s "
        "WHERE job_id = %s AND released_at IS NULL",
        (how, job_id),
    )


def used_bytes(conn: Any) -> int:
    """Bytes the job tables and their indexes take (what the quota bounds)."""
    row = conn.execute(
        "SELECT pg_total_relation_size('jobs') + pg_total_relation_size('history') "
        "+ pg_total_relation_size('job_leases')"
    ).fetchone()
    return int(row[0])
