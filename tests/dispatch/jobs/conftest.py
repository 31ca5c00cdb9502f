"""Fixtures for the job tests: a started JobService on a temporary store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest
from job_helpers import Served
from ticking_routing import TickingRouting

import dispatch.metrics
import dispatch.server
from dispatch._proto.dispatch.v1 import dispatch_service_pb2_grpc
from dispatch.config import ServerConfig
from dispatch.jobs import JobService


@pytest.fixture
def store_path(tmp_path: Path) -> str:
    """A store path in a folder that does not exist yet (the service must create it)."""
    return str(tmp_path / "var" / "jobs.sqlite3")


@pytest.fixture
def make_service(store_path: str) -> Iterator[Callable[..., JobService]]:
    """Build and start JobServices over TickingRouting; all are closed at teardown."""
    made: list[JobService] = []

    def make(
        workers: int = 1, queue_limit: int = 10, path: str | None = None, **kwargs: object
    ) -> JobService:
        routing = TickingRouting(workers=workers)
        service = JobService(path or store_path, routing, workers, queue_limit, **kwargs)
        service.start()
        made.append(service)
        return service

    yield make
    for service in made:
        service.close()


@pytest.fixture
def served(store_path: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    """A real server on 127.0.0.1:0 (one job slot, queue of two) over the process stand-in.

    The stand-in replaces only the solver behind RoutingService, so job tests control how long
    a solve runs; server, store, gRPC and worker processes are the real ones.
    """
    # The server builds its pools in dispatch.metrics (plain, or reported when metrics are on).
    monkeypatch.setattr(dispatch.metrics, "RoutingService", TickingRouting)
    config = ServerConfig(store_path=store_path, job_workers=1, job_queue_limit=2)
    handle = dispatch.server.start(config)
    channel = grpc.insecure_channel(handle.target)
    try:
        yield Served(
            dispatch_service_pb2_grpc.DispatchServiceStub(channel), handle.jobs, handle.target
        )
    finally:
        channel.close()
        handle.shutdown(grace=0.5)


# -- PostgreSQL: a real server from the distribution's packages (tests/postgres_server.py) ------


@pytest.fixture(scope="session")
def postgres() -> Iterator[object]:
    """One throw-away PostgreSQL cluster for the session (initdb + pg_ctl on a free port).

    Skipped only when PostgreSQL cannot be had here (no psycopg, or no server binaries and not
    root); with DISPATCH_REQUIRE_POSTGRES=1 (CI) that is a failure instead.
    """
    import os

    import postgres_server

    reason = postgres_server.unavailable_reason()
    if reason is not None:
        if os.environ.get(postgres_server.REQUIRE_ENV) == "1":
            pytest.fail(f"{postgres_server.REQUIRE_ENV}=1 but {reason}")
        pytest.skip(reason)
    server = postgres_server.PostgresServer()
    try:
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture
def pg_url(postgres: object) -> str:
    """The URL of a fresh, empty database on the session's PostgreSQL server."""
    return postgres.new_database()  # type: ignore[attr-defined]


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store_path(request: pytest.FixtureRequest, store_path: str) -> str:
    """The same test against both stores: a SQLite file path, then a PostgreSQL URL."""
    if request.param == "sqlite":
        return store_path
    return request.getfixturevalue("pg_url")
