"""The job store's tables, how a file proves it is a job store, and migrations between versions.

A store is recognised by SQLite's ``application_id`` header field (``DSPJ``) and its schema
version by ``user_version``. A file with another application id is some other program's database
and is refused, never reused or reset: pointing ``--store`` at the wrong file must not quietly
turn it into an empty job store. Stores written before the application id existed (version 1,
application id 0, with the ``jobs`` and ``history`` tables) are recognised by their tables and
migrated.

Version 2 adds ``owner`` (the principal that created the job; '' is the anonymous operator of a
server without authentication), makes request ids unique per owner rather than globally (two
callers who pick the same request id get two jobs), and lets ``request`` be NULL once a job's
payload is dropped (the job ended CANCELLED or FAILED).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from dispatch._proto.dispatch.v1 import jobs_pb2
from dispatch.jobs.errors import StoreUnusableError

#: "DSPJ": marks a SQLite file as a dispatch job store.
APPLICATION_ID = int.from_bytes(b"DSPJ", "big")
SCHEMA_VERSION = 2

_DROPPED_STATES = (jobs_pb2.PlanJob.FAILED, jobs_pb2.PlanJob.CANCELLED)

_JOBS_TABLE = """
CREATE TABLE {name} (
    job_id          TEXT PRIMARY KEY,
    owner           TEXT NOT NULL DEFAULT '',
    request_id      TEXT NOT NULL,
    label           TEXT NOT NULL,
    state           INTEGER NOT NULL,
    create_ns       INTEGER NOT NULL,
    start_ns        INTEGER,
    end_ns          INTEGER,
    attempts        INTEGER NOT NULL DEFAULT 0,
    error_message   TEXT NOT NULL DEFAULT '',
    request         BLOB,
    request_digest  TEXT NOT NULL,
    progress        BLOB,
    result          BLOB,
    UNIQUE (owner, request_id)
)
"""

_JOBS_INDEXES = """
CREATE INDEX jobs_newest ON jobs (create_ns DESC, job_id DESC);
CREATE INDEX jobs_owner_newest ON jobs (owner, create_ns DESC, job_id DESC);
CREATE INDEX jobs_state ON jobs (state);
"""

_HISTORY = """
CREATE TABLE history (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    job_id   TEXT NOT NULL,
    state    INTEGER NOT NULL,
    time_ns  INTEGER NOT NULL,
    reason   TEXT NOT NULL
);
CREATE INDEX history_job ON history (job_id, seq);
"""

# The version 1 columns, in the order the version 2 copy selects them.
_V1_COLUMNS = (
    "job_id",
    "request_id",
    "label",
    "state",
    "create_ns",
    "start_ns",
    "end_ns",
    "attempts",
    "error_message",
    "request",
    "request_digest",
    "progress",
    "result",
)


def initialise(conn: sqlite3.Connection) -> None:
    """Write the current schema into a new, empty database (called on a private temp file).

    ``auto_vacuum=INCREMENTAL`` must precede the first table; it lets the store give the pages
    of dropped payloads and purged jobs back to the file system.
    """
    conn.execute("PRAGMA auto_vacuum=INCREMENTAL")
    conn.execute("BEGIN IMMEDIATE")
    for statement in _statements(_JOBS_TABLE.format(name="jobs") + ";" + _JOBS_INDEXES + _HISTORY):
        conn.execute(statement)
    conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    conn.execute("COMMIT")


def prepare(conn: sqlite3.Connection, path: Path) -> None:
    """Check that the open database is a job store and bring it to the current version.

    Raises StoreUnusableError for another program's database, a job store of a newer version
    (this server would misread it), or a recognised store whose tables are missing.
    """
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    tables = _tables(conn)
    if app_id == APPLICATION_ID:
        if version > SCHEMA_VERSION:
            raise StoreUnusableError(
                f"Job store {path} has schema version {version}, newer than this server's "
                f"{SCHEMA_VERSION}; run the newer server or restore a backup."
            )
        if not {"jobs", "history"} <= tables:
            raise StoreUnusableError(f"Job store {path} is missing its tables (damaged).")
        if version < SCHEMA_VERSION:
            _migrate(conn, version)
        return
    if app_id == 0 and version == 1 and _is_v1(conn, tables):
        _migrate(conn, 1)
        return
    raise StoreUnusableError(
        f"{path} is a SQLite database but not a dispatch job store (application_id "
        f"{app_id:#x}, user_version {version}); refusing to use it. Point --store at the job "
        "store, or at a path that does not exist yet to create a new one."
    )


def _migrate(conn: sqlite3.Connection, version: int) -> None:
    """Every step from ``version`` to SCHEMA_VERSION in one transaction: all or nothing."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        if version == 1:
            _v1_to_v2(conn)
        conn.execute(f"PRAGMA application_id={APPLICATION_ID}")
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _v1_to_v2(conn: sqlite3.Connection) -> None:
    """Add ``owner`` (every existing job is the anonymous operator's), make request ids unique per
    owner, and drop the payloads of jobs that already ended CANCELLED or FAILED.

    SQLite cannot drop a column's UNIQUE constraint in place, so the table is rebuilt.
    """
    columns = ", ".join(_V1_COLUMNS)
    conn.execute(_JOBS_TABLE.format(name="jobs_v2"))
    conn.execute(f"INSERT INTO jobs_v2 ({columns}) SELECT {columns} FROM jobs")
    conn.execute("DROP TABLE jobs")
    conn.execute("ALTER TABLE jobs_v2 RENAME TO jobs")
    for statement in _statements(_JOBS_INDEXES):
        conn.execute(statement)
    conn.execute(
        "UPDATE jobs SET request = NULL WHERE state IN (?, ?)",
        tuple(int(s) for s in _DROPPED_STATES),
    )


def _is_v1(conn: sqlite3.Connection, tables: set[str]) -> bool:
    """Whether a file without application id is a version 1 job store (and not a stranger's)."""
    if not {"jobs", "history"} <= tables:
        return False
    columns = {row[1] for row in conn.execute("PRAGMA table_info(jobs)")}
    return set(_V1_COLUMNS) <= columns and "owner" not in columns


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def _statements(script: str) -> list[str]:
    return [s.strip() for s in script.split(";") if s.strip()]
