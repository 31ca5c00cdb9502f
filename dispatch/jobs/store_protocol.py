"""The store contract the job service relies on, and the choice of store from ``--store``.

Two stores implement it: ``JobStore`` (one SQLite file, one server: the embedded default) and
``PostgresJobStore`` (a PostgreSQL database shared by several replicas). The contract tests
(``tests/dispatch/jobs/test_store_contract.py``) run the same cases against both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Protocol, runtime_checkable

from dispatch._proto.dispatch.v1 import jobs_pb2, routing_pb2
from dispatch.jobs.recovery import Recovery
from dispatch.jobs.rows import JobQuery
from dispatch.jobs.store import JobStore, State
from dispatch.jobs.store_pg import DEFAULT_LEASE_SECONDS, PostgresJobStore, is_postgres_url


@runtime_checkable
class JobStoreProtocol(Protocol):
    """What ``JobService`` asks of a store: durable jobs with history, atomic state changes
    (check and write in one transaction), idempotent create per (owner, request_id), cursor
    pages, start-up recovery and retention. ``problem`` is why it is unusable, else None."""

    problem: str | None
    quota_bytes: int

    def open(self) -> None: ...
    def close(self) -> None: ...
    def add_problem_listener(self, listener: Callable[[str], None]) -> None: ...
    def used_bytes(self) -> int: ...
    def insert_or_get(
        self,
        job_id: str,
        request: routing_pb2.PlanRoutesRequest,
        now_ns: int,
        queue_limit: int | None = None,
        *,
        owner: str = "",
    ) -> tuple[str, str, bool]: ...
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
    ) -> bool: ...
    def save_progress(self, job_id: str, progress: jobs_pb2.PlanJobProgress) -> None: ...
    def resubmit(
        self,
        job_id: str,
        request: routing_pb2.PlanRoutesRequest,
        now_ns: int,
        reason: str,
        queue_limit: int | None = None,
    ) -> bool: ...
    def recover(self, now_ns: int, max_attempts: int) -> Recovery: ...
    def purge_finished(self, before_ns: int) -> int: ...
    def get(
        self, job_id: str, include_request: bool = False, include_result: bool = True
    ) -> jobs_pb2.PlanJob: ...
    def get_request(self, job_id: str) -> routing_pb2.PlanRoutesRequest: ...
    def owner_of(self, job_id: str) -> str: ...
    def state(self, job_id: str) -> State: ...
    def queued_ids(self) -> list[str]: ...
    def count(self, state: State) -> int: ...
    def list(
        self, query: JobQuery = ..., owner: str | None = None
    ) -> jobs_pb2.ListPlanJobsResponse: ...


def make_store(
    store: str, quota_bytes: int = 0, *, lease_seconds: float = DEFAULT_LEASE_SECONDS
) -> JobStoreProtocol:
    """The store ``--store`` names: a ``postgresql://`` URL or a SQLite file path."""
    if is_postgres_url(store):
        return PostgresJobStore(store, quota_bytes, lease_seconds=lease_seconds)
    return JobStore(store, quota_bytes=quota_bytes)
