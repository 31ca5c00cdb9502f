"""Start-up recovery: what happens to the jobs a previous server left QUEUED or RUNNING.

A RUNNING job was interrupted mid-solve: it goes back to QUEUED (its next start counts another
attempt) unless it has used ``max_attempts`` already, in which case it FAILS with the reason (and
its payload is dropped, as for every failed job), so a request that crashes the server cannot
crash it forever. QUEUED jobs stay queued, oldest first.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from dispatch._proto.dispatch.v1 import jobs_pb2

QUEUED = jobs_pb2.PlanJob.QUEUED
RUNNING = jobs_pb2.PlanJob.RUNNING
FAILED = jobs_pb2.PlanJob.FAILED


@dataclass(frozen=True)
class Recovery:
    """What start-up recovery did to jobs left QUEUED or RUNNING by the previous server."""

    requeued: tuple[str, ...]
    failed: tuple[str, ...]


def recover_jobs(conn: sqlite3.Connection, now_ns: int, max_attempts: int) -> Recovery:
    """Requeue or fail the unfinished jobs, inside the caller's write transaction."""
    requeued: list[str] = []
    failed: list[str] = []
    rows = conn.execute(
        "SELECT job_id, state, attempts FROM jobs WHERE state IN (?, ?) ORDER BY create_ns, job_id",
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
                "UPDATE jobs SET state = ?, end_ns = ?, error_message = ?, request = NULL "
                "WHERE job_id = ?",
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
