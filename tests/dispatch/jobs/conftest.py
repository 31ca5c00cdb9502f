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
