"""A store written by the previous version (schema 1) is migrated in place, keeping every job."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from job_helpers import plan_request

from dispatch.jobs import JobStore
from dispatch.jobs.schema import APPLICATION_ID, SCHEMA_VERSION
from dispatch.jobs.store import CANCELLED, QUEUED, request_digest

# The schema 1 DDL exactly as the previous version wrote it (request_id unique for everyone).
_V1 = """
CREATE TABLE jobs (
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
CREATE INDEX jobs_newest ON jobs (create_ns DESC, job_id DESC);
CREATE INDEX jobs_state ON jobs (state);
CREATE TABLE history (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id   TEXT NOT NULL,
    state    INTEGER NOT NULL,
    time_ns  INTEGER NOT NULL,
    reason   TEXT NOT NULL
);
CREATE INDEX history_job ON history (job_id, seq);
PRAGMA user_version=1;
"""


@pytest.fixture
def v1_store(tmp_path: Path) -> Path:
    """A schema 1 store with a queued job and a cancelled one, both still holding requests."""
    path = tmp_path / "jobs.sqlite3"
    conn = sqlite3.connect(path)
    conn.executescript(_V1)
    for job_id, state in (("queued", QUEUED), ("cancelled", CANCELLED)):
        request = plan_request(f"req-{job_id}")
        conn.execute(
            "INSERT INTO jobs (job_id, request_id, label, state, create_ns, request, "
            "request_digest) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                job_id,
                request.request_id,
                "night",
                state,
                1,
                request.SerializeToString(),
                request_digest(request),
            ),
        )
        conn.execute(
            "INSERT INTO history (job_id, state, time_ns, reason) VALUES (?, ?, ?, ?)",
            (job_id, state, 1, "created"),
        )
    conn.commit()
    conn.close()
    return path


def test_v1_store_is_migrated_and_keeps_its_jobs(v1_store: Path) -> None:
    """Existing jobs become the anonymous operator's; requests of live jobs are kept."""
    store = JobStore(v1_store)
    store.open()
    try:
        assert store.owner_of("queued") == ""
        job = store.get("queued", include_request=True)
        assert job.state == QUEUED and job.request.request_id == "req-queued"
        assert [h.reason for h in job.history] == ["created"]
        assert store.get("cancelled").state == CANCELLED
    finally:
        store.close()
    conn = sqlite3.connect(v1_store)
    try:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        dropped = conn.execute("SELECT request FROM jobs WHERE job_id = 'cancelled'").fetchone()
        assert dropped == (None,)
    finally:
        conn.close()


def test_migrated_store_takes_request_ids_per_owner(v1_store: Path) -> None:
    """After migration another principal may reuse an id the anonymous operator used."""
    store = JobStore(v1_store)
    store.open()
    try:
        job_id, _, created = store.insert_or_get(
            "alices", plan_request("req-queued"), 2, owner="alice"
        )
        assert created and job_id == "alices"
        again = store.insert_or_get("dup", plan_request("req-queued"), 3)
        assert again[0] == "queued" and not again[2]
    finally:
        store.close()
