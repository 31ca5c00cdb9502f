"""How job rows become PlanJob messages, and how a page of ListPlanJobs is asked of SQLite.

Page tokens are cursors, not offsets: base64 of JSON ``[create_ns, job_id]`` of the last job
returned, so jobs created between pages cause neither repeats nor gaps.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from dataclasses import dataclass

from google.protobuf.timestamp_pb2 import Timestamp

from dispatch._proto.dispatch.v1 import jobs_pb2
from dispatch.validation.limits import MAX_PAGE_TOKEN_LENGTH
from solvers.errors import FieldProblem, InvalidProblemError

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500

#: The columns row_to_job reads, in its order.
COLUMNS = (
    "job_id, request_id, label, state, create_ns, start_ns, end_ns, attempts, error_message, "
    "progress"
)


def timestamp(ns: int | None) -> Timestamp | None:
    """A Timestamp of nanoseconds since the epoch, or None for a time not reached yet."""
    if ns is None:
        return None
    ts = Timestamp()
    ts.FromNanoseconds(ns)
    return ts


@dataclass(frozen=True)
class JobQuery:
    """Which page of jobs to list: newest first, filtered by state and label; the cursor of the
    previous page in ``page_token``; 0 for the default page size."""

    page_size: int = 0
    page_token: str = ""
    states: Iterable[int] = ()
    label: str = ""


#: Every job, first page, default size.
ALL_JOBS = JobQuery()


def list_query(query: JobQuery, owner: str | None) -> tuple[str, list[object], int]:
    """The SELECT for one page (one row more than the page, to know if another follows), its
    arguments and the page size; InvalidProblemError names a bad page_size, state or token."""
    if query.page_size < 0:
        raise InvalidProblemError(FieldProblem("page_size", "must not be negative"))
    size = min(query.page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    where: list[str] = []
    args: list[object] = []
    state_list = sorted({int(s) for s in query.states})
    for i, s in enumerate(state_list):
        if s not in jobs_pb2.PlanJob.State.values() or s == jobs_pb2.PlanJob.STATE_UNSPECIFIED:
            raise InvalidProblemError(FieldProblem(f"states[{i}]", "unknown job state"))
    if state_list:
        where.append(f"state IN ({', '.join('?' for _ in state_list)})")
        args += state_list
    if query.label:
        where.append("label = ?")
        args.append(query.label)
    if owner is not None:
        where.append("owner = ?")
        args.append(owner)
    if query.page_token:
        create_ns, last_id = decode_token(query.page_token)
        where.append("(create_ns < ? OR (create_ns = ? AND job_id < ?))")
        args += [create_ns, create_ns, last_id]
    sql = f"SELECT {COLUMNS} FROM jobs"
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += " ORDER BY create_ns DESC, job_id DESC LIMIT ?"
    args.append(size + 1)
    return sql, args, size


def row_to_job(row: tuple) -> jobs_pb2.PlanJob:
    """A PlanJob (no request, result or history) from a row of COLUMNS."""
    job_id, request_id, label, state, create_ns, start_ns, end_ns, attempts, error, progress = row
    job = jobs_pb2.PlanJob(
        job_id=job_id,
        request_id=request_id,
        label=label,
        state=state,
        create_time=timestamp(create_ns),
        start_time=timestamp(start_ns),
        end_time=timestamp(end_ns),
        attempts=attempts,
        error_message=error,
    )
    if progress is not None:
        job.progress.ParseFromString(progress)
    return job


def encode_token(create_ns: int, job_id: str) -> str:
    """The page token after the job (create_ns, job_id): base64 of JSON, opaque to callers."""
    raw = json.dumps([create_ns, job_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


_INT64_MAX = 2**63 - 1


def decode_token(token: str) -> tuple[int, str]:
    """(create_ns, job_id) of a token from encode_token; InvalidProblemError at ``page_token``
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
