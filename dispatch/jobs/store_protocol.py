"""The store contract the job service relies on, and the choice of store from ``--store``.

Two stores implement it: ``JobStore`` (one SQLite file, one server: the embedded default) and
``PostgresJobStore`` (a PostgreSQL database shared by several replicas). Both derive from
``SqlJobStore``, which states the contract once (signatures and docstrings) and implements what
the two databases do alike. The contract tests (``tests/dispatch/jobs/test_store_contract.py``)
run the same cases against both.
"""

from __future__ import annotations

from dispatch.jobs.store import JobStore
from dispatch.jobs.store_pg import DEFAULT_LEASE_SECONDS, PostgresJobStore, is_postgres_url
from dispatch.jobs.store_sql import SqlJobStore

#: What ``JobService`` asks of a store (``SqlJobStore`` documents each call).
JobStoreProtocol = SqlJobStore


def make_store(
    store: str, quota_bytes: int = 0, *, lease_seconds: float = DEFAULT_LEASE_SECONDS
) -> JobStoreProtocol:
    """The store ``--store`` names: a ``postgresql://`` URL or a SQLite file path."""
    if is_postgres_url(store):
        return PostgresJobStore(store, quota_bytes, lease_seconds=lease_seconds)
    return JobStore(store, quota_bytes=quota_bytes)
