"""Tables of the PostgreSQL job store, created and migrated by the service itself, versioned.

``dispatch_schema_version`` holds one row per applied version (the highest is the schema's
version). Every replica runs ``migrate`` when it opens the store; an advisory transaction lock
makes the replicas that start together take turns, so each step runs exactly once, and all steps
of one start commit together (PostgreSQL DDL is transactional: a failed migration leaves the
previous schema intact). A database of a newer schema is refused (an older replica would misread
it) and a database holding a ``jobs`` table without the version table is another program's.

Version 1: ``jobs`` (the SQLite columns plus the lease: ``lease_owner``, ``lease_expires``),
``history`` (as in SQLite, plus the replica that wrote each row) and ``job_leases``: one row per
lease a replica took on a running job (attempt, replica, when taken, last renewed, when released
and how), the record that shows no two replicas ran one job at the same time.
"""

from __future__ import annotations

from typing import Any

from dispatch.jobs.errors import StoreUnusableError

#: The schema this server writes; databases of a higher version are refused.
PG_SCHEMA_VERSION = 1

#: pg_advisory_xact_lock key serialising migrations ("DSPJ" as a 32-bit integer).
MIGRATION_LOCK = int.from_bytes(b"DSPJ", "big")
#: pg_advisory_xact_lock key serialising creates, so queue limits hold across replicas.
CREATE_LOCK = MIGRATION_LOCK + 1

_VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS dispatch_schema_version (
    version     integer PRIMARY KEY,
    applied_at  timestamptz NOT NULL DEFAULT clock_timestamp()
)
"""

_V1 = (
    """
    CREATE TABLE jobs (
        job_id          text PRIMARY KEY,
        owner           text NOT NULL DEFAULT '',
        request_id      text NOT NULL,
        label           text NOT NULL,
        state           integer NOT NULL,
        create_ns       bigint NOT NULL,
        start_ns        bigint,
        end_ns          bigint,
        attempts        integer NOT NULL DEFAULT 0,
        error_message   text NOT NULL DEFAULT '',
        request         bytea,
        request_digest  text NOT NULL,
        progress        bytea,
        result          bytea,
        lease_owner     text,
        lease_expires   timestamptz,
        UNIQUE (owner, request_id)
    )
    """,
    "CREATE INDEX jobs_newest ON jobs (create_ns DESC, job_id DESC)",
    "CREATE INDEX jobs_owner_newest ON jobs (owner, create_ns DESC, job_id DESC)",
    "CREATE INDEX jobs_queue ON jobs (state, create_ns, job_id)",
    """
    CREATE TABLE history (
        seq      bigserial PRIMARY KEY,
        job_id   text NOT NULL,
        state    integer NOT NULL,
        time_ns  bigint NOT NULL,
        reason   text NOT NULL,
        replica  text NOT NULL DEFAULT ''
    )
    """,
    "CREATE INDEX history_job ON history (job_id, seq)",
    """
    CREATE TABLE job_leases (
        seq          bigserial PRIMARY KEY,
        job_id       text NOT NULL,
        attempt      integer NOT NULL,
        replica      text NOT NULL,
        taken_at     timestamptz NOT NULL,
        renewed_at   timestamptz NOT NULL,
        expires_at   timestamptz NOT NULL,
        released_at  timestamptz,
        how          text NOT NULL DEFAULT ''
    )
    """,
    "CREATE INDEX job_leases_job ON job_leases (job_id, seq)",
)

#: Steps from version N-1 to N, by N.
MIGRATIONS: dict[int, tuple[str, ...]] = {1: _V1}


def migrate(conn: Any, where: str) -> int:
    """Bring the database to PG_SCHEMA_VERSION in one transaction; returns the version found.

    ``conn`` is a psycopg connection outside any transaction; ``where`` names the database in
    errors (StoreUnusableError for another program's tables or a newer schema).
    """
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        tables = {
            r[0]
            for r in conn.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema()"
            ).fetchall()
        }
        if "dispatch_schema_version" not in tables and tables & {"jobs", "history"}:
            raise StoreUnusableError(
                f"{where} holds a jobs or history table but no dispatch_schema_version: it is not "
                "a dispatch job store; refusing to use it. Point --store at an empty database."
            )
        conn.execute(_VERSION_TABLE)
        found = conn.execute("SELECT COALESCE(MAX(version), 0) FROM dispatch_schema_version")
        version = int(found.fetchone()[0])
        if version > PG_SCHEMA_VERSION:
            raise StoreUnusableError(
                f"Job store {where} has schema version {version}, newer than this server's "
                f"{PG_SCHEMA_VERSION}; run the newer server on every replica."
            )
        for step in range(version + 1, PG_SCHEMA_VERSION + 1):
            for statement in MIGRATIONS[step]:
                conn.execute(statement)
            conn.execute("INSERT INTO dispatch_schema_version (version) VALUES (%s)", (step,))
    return version
