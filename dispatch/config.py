"""Server configuration: one frozen value built from flags, environment or tests."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TypeVar

from dispatch.security.settings import check_fields
from dispatch.security.settings import env_overrides as security_env_overrides
from solvers import budget

#: 128 MiB: a 2000 x 2000 travel matrix is 16 MB as bytes and up to ~80 MB as a repeated field
#: (varints of large values), with durations and distances both present.
DEFAULT_MAX_MESSAGE_BYTES = 128 * 1024 * 1024
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
_T = TypeVar("_T")


# admission
def _default_inflight_assign_units() -> int:
    """The cores this process may use (at least 2): AssignUnits is solved in the server process
    and shares its GIL, so more at once makes every call and health check slower (measured at
    64 callers on 2 cores, one ad hoc run, not committed: health p50 7 ms with 2 in flight,
    31 ms with 4, 135 ms with 8)."""
    return max(2, budget.usable_cores())


#: 512 MiB of request bodies held by admitted calls at once (four maximal messages).
DEFAULT_MAX_INFLIGHT_REQUEST_BYTES = 512 * 1024 * 1024
_SIZE_UNITS = {"": 1, "k": 1000, "kb": 1000, "kib": 1024, "m": 1000**2, "mb": 1000**2}
_SIZE_UNITS |= {"mib": 1024**2, "g": 1000**3, "gb": 1000**3, "gib": 1024**3}


def parse_size(value: str) -> int:
    """A byte count such as ``536870912``, ``512MiB``, ``1GiB`` or ``200MB`` (ValueError if not)."""
    text = value.strip().lower().replace("_", "")
    digits = text.rstrip("abcdefghijklmnopqrstuvwxyz ")
    unit = text[len(digits) :].strip()
    if not digits.isdigit() or unit not in _SIZE_UNITS:
        raise ValueError(f"not a byte size: {value!r} (e.g. 536870912, 512MiB, 1GiB)")
    return int(digits) * _SIZE_UNITS[unit]


def _flag(env: Mapping[str, str], name: str) -> bool | None:
    """A yes/no environment variable: 1/true/yes/on or 0/false/no/off; None when unset."""
    value = env.get(name, "").strip().lower()
    if not value:
        return None
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{name} must be 1 or 0 (true/false), got {value!r}")


def _parsed(
    env: Mapping[str, str], name: str, parse: Callable[[str], _T], expected: str = ""
) -> _T | None:
    """An environment variable read by ``parse``; None when unset or empty. A value ``parse``
    refuses is a ValueError naming the variable: "must be ``expected``" when given, else the
    reason ``parse`` gave (a byte size explains its own format)."""
    value = env.get(name)
    if not value:
        return None
    try:
        return parse(value)
    except ValueError as exc:
        if expected:
            raise ValueError(f"{name} must be {expected}, got {value!r}") from exc
        raise ValueError(f"{name}: {exc}") from exc


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
    # admission
    #: AssignUnits calls in flight at once; more are refused at once (RESOURCE_EXHAUSTED with a
    #: RetryInfo). Default: the usable cores, at least 2.
    max_inflight_assign_units: int = field(default_factory=_default_inflight_assign_units)
    #: Request bytes held by admitted DispatchService calls at once; beyond it, refused likewise
    #: (a larger request is still taken when nothing else is in flight).
    max_inflight_request_bytes: int = DEFAULT_MAX_INFLIGHT_REQUEST_BYTES
    # metrics
    #: HOST:PORT of the Prometheus endpoint (``/metrics``); empty: no endpoint. Port 0 picks one.
    metrics_address: str = ""
    #: One OpenTelemetry span per call (needs the ``tracing`` extra; OTEL_* env picks the exporter).
    tracing: bool = False
    # security
    #: PEM certificate chain and private key: serve TLS (``dispatch.security``).
    tls_cert: str | None = None
    tls_key: str | None = None
    #: PEM CA file: clients must present a certificate it signed (mTLS).
    tls_client_ca: str | None = None
    #: Token file (``<principal> sha256:<hex> <scopes>`` per line): bearer tokens required.
    auth_tokens: str | None = None
    #: JWKS, JWK or PEM public key: bearer JWTs verified against it; issuer/audience checked
    #: when set (comma-separated lists allowed).
    jwt_keys: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    #: gRPC server reflection (grpcurl discovers the API through it).
    reflection: bool = True
    #: Allow a non-loopback address without TLS and authentication.
    insecure: bool = False
    # store
    #: Bytes the plan job store may hold in use (2 GiB); a CreatePlanJob that would pass it is
    #: RESOURCE_EXHAUSTED. 0: no quota.
    store_quota_bytes: int = 2 * 1024**3
    #: Seconds a replica's lease on a running job lasts unless renewed (PostgreSQL store only):
    #: how long the job of a replica that died waits before another replica takes it over.
    store_lease_seconds: float = 30.0
    # cluster
    #: Ray for big plan jobs (``dispatch.cluster``): "" = none, "local" = a Ray started in this
    #: process, or HOST:PORT of a running cluster; an unreachable one stops the server starting.
    #: "inline" solves the parts one after another in this process, without Ray (tests, trials).
    ray_address: str = ""
    #: Plan jobs with at least this many stops are decomposed and solved on Ray.
    ray_min_stops: int = 1_000
    #: Stops per part at most when a job is decomposed (a depot's stops are clustered above it).
    ray_part_stops: int = 500

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
        if self.max_inflight_assign_units < 1:  # admission
            raise ValueError("max_inflight_assign_units must be at least 1")
        if self.max_inflight_request_bytes < 1024 * 1024:  # admission
            raise ValueError("max_inflight_request_bytes must be at least 1 MiB")
        if self.metrics_address:
            from dispatch.metrics import parse_address

            parse_address(self.metrics_address)  # a bad address fails at start, not at scrape
        check_fields(self)  # security
        if self.store_quota_bytes < 0:  # store
            raise ValueError("store_quota_bytes must not be negative (0: no quota)")
        if not 0 < self.store_lease_seconds < float("inf"):  # store (NaN fails too)
            raise ValueError("store_lease_seconds must be a positive number of seconds")
        if self.ray_min_stops < 1:  # cluster
            raise ValueError("ray_min_stops must be at least 1")
        if self.ray_part_stops < 1:  # cluster
            raise ValueError("ray_part_stops must be at least 1")
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
        DISPATCH_LOG_LEVEL, DISPATCH_MAX_INFLIGHT_ASSIGN, DISPATCH_MAX_INFLIGHT_BYTES,
        DISPATCH_METRICS_ADDRESS, DISPATCH_TRACING, DISPATCH_STORE_QUOTA_BYTES,
        DISPATCH_STORE_LEASE_SECONDS, DISPATCH_RAY_ADDRESS over ``base``
        (flags override the result, see ``dispatch.cli``)."""
        env = os.environ if env is None else env
        config = base or cls()

        def integer(name: str) -> int | None:
            return _parsed(env, name, int, "an integer")

        def number(name: str) -> float | None:  # store
            return _parsed(env, name, float, "a number")

        def size(name: str) -> int | None:  # admission
            return _parsed(env, name, parse_size)

        return config.with_overrides(
            address=env.get("DISPATCH_ADDRESS") or None,
            routing_workers=integer("DISPATCH_WORKERS"),
            job_workers=integer("DISPATCH_JOB_WORKERS"),
            store_path=env.get("DISPATCH_STORE") or None,
            log_level=env.get("DISPATCH_LOG_LEVEL") or None,
            # admission
            max_inflight_assign_units=integer("DISPATCH_MAX_INFLIGHT_ASSIGN"),
            max_inflight_request_bytes=size("DISPATCH_MAX_INFLIGHT_BYTES"),
            # metrics
            metrics_address=env.get("DISPATCH_METRICS_ADDRESS") or None,
            tracing=_flag(env, "DISPATCH_TRACING"),
            # store
            store_quota_bytes=size("DISPATCH_STORE_QUOTA_BYTES"),
            store_lease_seconds=number("DISPATCH_STORE_LEASE_SECONDS"),
            # cluster
            ray_address=env.get("DISPATCH_RAY_ADDRESS") or None,
            # security: DISPATCH_TLS_*, DISPATCH_AUTH_TOKENS, DISPATCH_JWT_*, DISPATCH_INSECURE
            **security_env_overrides(env),
        )
