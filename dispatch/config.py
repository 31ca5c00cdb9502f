"""Server configuration: one frozen value built from flags, environment or tests."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace

#: 128 MiB: a 2000 x 2000 travel matrix is 16 MB as bytes and up to ~80 MB as a repeated field
#: (varints of large values), with durations and distances both present.
DEFAULT_MAX_MESSAGE_BYTES = 128 * 1024 * 1024
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@dataclass(frozen=True)
class ServerConfig:
    """Everything ``create_server`` needs; the defaults suit a developer laptop and the tests.

    ``thread_pool_size`` bounds concurrent calls. Routing solves block a handler thread while a
    worker process computes, so the pool must be larger than the routing workers plus the
    watchers of jobs, or AssignUnits and health checks would queue behind nightly plans.
    """

    address: str = "127.0.0.1:0"
    routing_workers: int = 1
    job_workers: int = 1
    job_queue_limit: int = 1000
    store_path: str = "./var/dispatch.sqlite3"
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES
    grace_seconds: float = 10.0
    log_level: str = "INFO"
    thread_pool_size: int = 32
    #: Handler threads kept free of long calls (PlanRoutes, WatchPlanJob) for AssignUnits,
    #: health and the quick job RPCs.
    reserved_threads: int = 8

    def __post_init__(self) -> None:
        if self.routing_workers < 1:
            raise ValueError("routing_workers must be at least 1")
        if self.job_workers < 0:
            raise ValueError("job_workers must not be negative")
        if self.thread_pool_size < 4:
            raise ValueError("thread_pool_size must be at least 4")
        if not 1 <= self.reserved_threads < self.thread_pool_size:
            raise ValueError("reserved_threads must be at least 1 and below thread_pool_size")
        if self.max_message_bytes < 4 * 1024 * 1024:
            raise ValueError("max_message_bytes must be at least 4 MiB")
        if self.grace_seconds < 0:
            raise ValueError("grace_seconds must not be negative")
        if self.log_level.upper() not in LOG_LEVELS:
            raise ValueError(
                f"log level must be one of {', '.join(LOG_LEVELS)}, not {self.log_level!r}"
            )

    @property
    def long_call_limit(self) -> int:
        """How many PlanRoutes and WatchPlanJob calls may hold a handler thread at once."""
        return self.thread_pool_size - self.reserved_threads

    def with_overrides(self, **changes: object) -> ServerConfig:
        """A copy with the given fields replaced (``None`` values are ignored)."""
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, base: ServerConfig | None = None
    ) -> ServerConfig:
        """Read DISPATCH_ADDRESS, DISPATCH_WORKERS, DISPATCH_JOB_WORKERS, DISPATCH_STORE,
        DISPATCH_LOG_LEVEL over ``base`` (flags override the result, see ``dispatch.cli``)."""
        env = os.environ if env is None else env
        config = base or cls()

        def integer(name: str) -> int | None:
            value = env.get(name)
            if value is None or value == "":
                return None
            try:
                return int(value)
            except ValueError as exc:
                raise ValueError(f"{name} must be an integer, got {value!r}") from exc

        return config.with_overrides(
            address=env.get("DISPATCH_ADDRESS") or None,
            routing_workers=integer("DISPATCH_WORKERS"),
            job_workers=integer("DISPATCH_JOB_WORKERS"),
            store_path=env.get("DISPATCH_STORE") or None,
            log_level=env.get("DISPATCH_LOG_LEVEL") or None,
        )
