"""The PostgreSQL store's own promises: versioned schema, shared queue, leases and takeover.

Two store objects on one database stand for two replicas (each has its own replica name and
connection). The server-level test with two real server processes is test_jobs_replicas.py.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st
from job_helpers import plan_request

from dispatch.jobs.errors import StoreUnavailableError, StoreUnusableError
from dispatch.jobs.store import CANCELLED, FAILED, QUEUED, RUNNING, SUCCEEDED
from dispatch.jobs.store_pg import PostgresJobStore, redact
from dispatch.jobs.store_pg_schema import PG_SCHEMA_VERSION

NS = 1_000_000_000


def _sql(url: str, statement: str) -> list[tuple]:
    """Run one statement on the database directly (psycopg imported here: without it the
    ``postgres`` fixture skips, or fails in CI, with the reason)."""
    import psycopg

    with psycopg.connect(url) as conn:
        cur = conn.execute(statement)
        return cur.fetchall() if cur.description else []


@pytest.fixture
def replicas(pg_url: str) -> Iterator[Callable[..., PostgresJobStore]]:
    """Open stores on one fresh database, as replicas would; all closed at teardown."""
    made: list[PostgresJobStore] = []

    def make(lease_seconds: float = 30.0, name: str | None = None) -> PostgresJobStore:
        store = PostgresJobStore(pg_url, lease_seconds=lease_seconds, replica=name)
        store.open()
        made.append(store)
        return store

    yield make
    for store in made:
        store.close()


def test_schema_is_created_once_and_versioned(pg_url: str, replicas: Callable) -> None:
    """The first replica creates the schema and records its version; later ones find it."""
    replicas()
    replicas()
    assert _sql(pg_url, "SELECT version FROM dispatch_schema_version") == [(PG_SCHEMA_VERSION,)]


def test_newer_schema_is_refused(pg_url: str, replicas: Callable) -> None:
    """A database migrated by a newer server is refused rather than misread."""
    replicas()
    _sql(pg_url, "INSERT INTO dispatch_schema_version (version) VALUES (99)")
    store = PostgresJobStore(pg_url)
    with pytest.raises(StoreUnusableError, match="schema version 99"):
        store.open()
    assert store.problem is not None


def test_foreign_jobs_table_is_refused(pg_url: str) -> None:
    """Another program's ``jobs`` table is never taken for a job store."""
    _sql(pg_url, "CREATE TABLE jobs (id integer)")
    with pytest.raises(StoreUnusableError, match="not a dispatch job store"):
        PostgresJobStore(pg_url).open()


def test_unreachable_database_names_what_is_missing(postgres: object) -> None:
    """No server at the address: StoreUnavailableError naming the URL (without password).
    (``postgres`` only for its skip rule: psycopg must be installed.)"""
    from postgres_server import free_port

    url = f"postgresql://dispatch:secret@127.0.0.1:{free_port()}/nightly"
    with pytest.raises(StoreUnavailableError) as raised:
        PostgresJobStore(url).open()
    message = str(raised.value)
    assert redact(url) in message and "unreachable" in message
    assert "secret" not in message


_SECRET = st.text(st.characters(blacklist_characters="@/:", min_codepoint=33), min_size=3)


@given(user=st.from_regex(r"[a-z]{1,8}", fullmatch=True), password=_SECRET)
def test_redact_never_shows_the_password(user: str, password: str) -> None:
    """Store URLs appear in logs and errors; their password must not."""
    url = f"postgresql://{user}:{password}@db.example:5432/jobs"
    shown = redact(url)
    assert password not in shown
    assert shown == f"postgresql://{user}:***@db.example:5432/jobs"


def test_concurrent_claims_never_share_a_job(replicas: Callable) -> None:
    """Replicas claiming at once (SKIP LOCKED) each get different jobs, and all get taken."""
    a, b = replicas(name="a"), replicas(name="b")
    for i in range(20):
        a.insert_or_get(f"j{i:02}", plan_request(f"r{i}"), (i + 1) * NS)
    taken: dict[str, list[str]] = {"a": [], "b": []}

    def drain(store: PostgresJobStore) -> None:
        while (job_id := store.claim(time.time_ns(), 3).job_id) is not None:
            taken[store.replica].append(job_id)

    threads = [threading.Thread(target=drain, args=(s,)) for s in (a, b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    everything = taken["a"] + taken["b"]
    assert sorted(everything) == [f"j{i:02}" for i in range(20)]


def test_create_is_idempotent_across_replicas(replicas: Callable) -> None:
    """The same request_id sent to two replicas at once makes one job."""
    a, b = replicas(), replicas()
    answers: list[tuple[str, str, bool]] = []
    barrier = threading.Barrier(2)

    def create(store: PostgresJobStore, job_id: str) -> None:
        barrier.wait()
        answers.append(store.insert_or_get(job_id, plan_request("same"), NS))

    threads = [threading.Thread(target=create, args=(s, j)) for s, j in ((a, "ja"), (b, "jb"))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(created for _, _, created in answers) == [False, True]
    assert len({job_id for job_id, _, _ in answers}) == 1
    assert a.count(QUEUED) == 1


def test_only_the_lease_holder_ends_a_running_job(replicas: Callable) -> None:
    """Another replica cannot finish or requeue a job it does not run, but may cancel it; the
    holder then learns from its heartbeat that the lease is gone."""
    a, b = replicas(name="a"), replicas(name="b")
    a.insert_or_get("j1", plan_request("r1"), NS)
    assert a.claim(2 * NS, 3).job_id == "j1"
    assert not b.transition("j1", RUNNING, 2 * NS, "started", (QUEUED,))  # a's reservation
    assert a.transition("j1", RUNNING, 2 * NS, "started (attempt 1)", (QUEUED,))
    assert not b.transition("j1", SUCCEEDED, 3 * NS, "done", (RUNNING,))
    assert not b.transition("j1", QUEUED, 3 * NS, "requeued", (RUNNING,))
    lost: list[str] = []
    a.add_lease_listener(lost.append)
    assert a.renew_leases() == [] and lost == []
    assert b.transition("j1", CANCELLED, 3 * NS, "cancelled by caller", (QUEUED, RUNNING))
    assert a.renew_leases() == ["j1"] and lost == ["j1"]
    assert not a.transition("j1", SUCCEEDED, 4 * NS, "done", (RUNNING,))
    assert a.leases("j1")[0]["how"] == "cancelled by caller"


def test_expired_lease_is_taken_over_and_counted(replicas: Callable) -> None:
    """A replica that stops renewing (it died) loses the job after its lease: the next claim
    requeues it with the reason, another replica runs attempt 2, and the lease records do not
    overlap."""
    dead, alive = replicas(lease_seconds=0.5, name="dead"), replicas(name="alive")
    dead.insert_or_get("j1", plan_request("r1"), NS)
    assert dead.claim(2 * NS, 3).job_id == "j1"
    assert dead.transition("j1", RUNNING, 2 * NS, "started (attempt 1)", (QUEUED,))
    dead.close()  # its heartbeat stops with it
    deadline = time.monotonic() + 30
    claim = alive.claim(4 * NS, 3)
    while claim.job_id is None and time.monotonic() < deadline:
        time.sleep(0.1)
        claim = alive.claim(4 * NS, 3)
    assert claim.job_id == "j1"
    assert alive.transition("j1", RUNNING, 5 * NS, "started (attempt 2)", (QUEUED,))
    job = alive.get("j1")
    assert job.attempts == 2
    assert any(
        "replica dead stopped renewing its lease on attempt 1 of 3" in h.reason for h in job.history
    )
    first, second = alive.leases("j1")
    assert (first["replica"], first["how"], second["replica"]) == ("dead", "expired", "alive")
    assert first["expires_at"] <= second["taken_at"]


def test_expired_lease_on_the_last_attempt_fails_the_job(replicas: Callable) -> None:
    """A job whose replica died on its last attempt FAILS with the reason and drops its request."""
    dead, alive = replicas(lease_seconds=0.3, name="dead"), replicas(name="alive")
    dead.insert_or_get("j1", plan_request("r1"), NS)
    dead.transition("j1", RUNNING, 2 * NS, "started (attempt 1)", (QUEUED,))
    dead.close()
    deadline = time.monotonic() + 30
    while alive.state("j1") != FAILED and time.monotonic() < deadline:
        time.sleep(0.1)
        claim = alive.claim(3 * NS, max_attempts=1)
    assert claim.failed == ("j1",)
    job = alive.get("j1", include_request=True)
    assert "on attempt 1 of 1; not retried again" in job.error_message
    assert not job.HasField("request")


def test_heartbeat_keeps_a_live_lease(replicas: Callable) -> None:
    """A replica that keeps renewing is never taken over, however long the solve runs."""
    a, b = replicas(lease_seconds=2.0, name="a"), replicas(name="b")
    a.insert_or_get("j1", plan_request("r1"), NS)
    a.transition("j1", RUNNING, 2 * NS, "started (attempt 1)", (QUEUED,))
    end = time.monotonic() + 5.0
    while time.monotonic() < end:
        assert b.claim(3 * NS, 3).job_id is None
        time.sleep(0.1)
    assert b.state("j1") == RUNNING
    assert a.get("j1").attempts == 1
