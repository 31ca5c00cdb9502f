"""Fixtures for the job tests: a started JobService on a temporary store."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from ticking_routing import TickingRouting

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

