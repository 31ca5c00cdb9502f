"""Build, start and stop the gRPC server: one code path for tests, ``dispatch serve`` and Docker.

``start(config)`` returns a :class:`ServerHandle` that owns everything with a lifetime (the
server, the health servicer, the RoutingService worker pool, the job service) and shuts it down in
the right order: NOT_SERVING first so load balancers stop sending work, then ``server.stop(grace)``
so in-flight calls finish, then the job service and the routing workers.
"""

from __future__ import annotations

import logging
import threading
import weakref
from concurrent import futures
from dataclasses import dataclass, field
from typing import Any

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from dispatch import jobs as jobs_package
from dispatch import tracing
from dispatch._proto.dispatch.v1 import dispatch_service_pb2
from dispatch.admission import Admission, AdmissionLimits
from dispatch.config import ServerConfig
from dispatch.interceptors import CallInterceptor, CallObserver, refusal_reporter
from dispatch.jobs.shared import SharedJobService
from dispatch.jobs.store_pg import is_postgres_url
from dispatch.metrics import JOB_ANSWERS, Metrics, MetricsEndpoint, routing_service
from dispatch.routing import RoutingService
from dispatch.security.serving import ServerSecurity
from dispatch.security.serving import prepare as prepare_security
from dispatch.service import DispatchServicer, add_to_server

SERVICE_NAME = dispatch_service_pb2.DESCRIPTOR.services_by_name["DispatchService"].full_name
#: Health entry of the plan-job RPCs alone: NOT_SERVING while the job store is unusable, when
#: the overall "" and SERVICE_NAME entries stay SERVING (the other RPCs do not need the store).
JOBS_HEALTH_NAME = f"{SERVICE_NAME}.jobs"

_log = logging.getLogger("dispatch.server")


@dataclass
class ServerHandle:
    """A started server and what it owns; ``shutdown`` is idempotent and thread-safe."""

    server: grpc.Server
    port: int
    config: ServerConfig
    health: health.HealthServicer
    routing: RoutingService
    jobs: Any | None = None
    metrics: Metrics | None = None
    metrics_endpoint: MetricsEndpoint | None = None
    tracer: tracing.CallTracer | None = None
    #: The admission limits' state (calls and request bytes in flight, refusals).
    admission: Admission | None = None
    #: The DispatchService servicer (its inline-plan cache, for tests and reports).
    servicer: DispatchServicer | None = None
    _stopped: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def target(self) -> str:
        """Where a client on this machine dials the server (``127.0.0.1:port``)."""
        host = self.config.address.rsplit(":", 1)[0]
        if host in ("0.0.0.0", "[::]", "", "localhost"):
            host = "127.0.0.1"
        return f"{host}:{self.port}"

    @property
    def metrics_port(self) -> int | None:
        """The bound port of the Prometheus endpoint, or None when metrics are off."""
        return None if self.metrics_endpoint is None else self.metrics_endpoint.port

    def shutdown(self, grace: float | None = None) -> None:
        """NOT_SERVING, then stop accepting and let in-flight calls finish for ``grace`` seconds,
        then close the job service and the routing workers."""
        with self._lock:
            if self._stopped.is_set():
                return
            grace = self.config.grace_seconds if grace is None else grace
            _log.info("shutting down (grace %.1f s)", grace)
            self.health.enter_graceful_shutdown()
            end_watches = getattr(self.jobs, "end_watches", None)
            if end_watches is not None:
                # Watch streams follow jobs for hours; they would hold the whole grace period.
                end_watches()
            self.server.stop(grace).wait()
            try:
                if self.jobs is not None:
                    self.jobs.close()
            finally:
                self.routing.close()
                # Last: a scrape during the drain still sees the calls finishing.
                if self.metrics_endpoint is not None:
                    self.metrics_endpoint.close()
                if self.tracer is not None:
                    self.tracer.close()
                self._stopped.set()
                _log.info("stopped")

    def wait(self) -> None:
        """Block until ``shutdown`` has completed (used by ``dispatch serve``)."""
        self._stopped.wait()


_HANDLES: weakref.WeakKeyDictionary[grpc.Server, ServerHandle] = weakref.WeakKeyDictionary()


def _build_jobs(config: ServerConfig, metrics: Metrics | None = None) -> Any | None:
    """The JobService, or None when job_workers is 0 or this build has none (job RPCs then
    answer UNIMPLEMENTED).

    Jobs get a RoutingService of their own (``job_workers`` processes): sharing the PlanRoutes
    pool would let a nightly job hold the worker a blocking PlanRoutes caller waits for, and let
    PlanRoutes calls eat a job's budget.
    """
    job_service_class = getattr(jobs_package, "JobService", None)
    if job_service_class is None or config.job_workers == 0:
        return None
    # The store creates its folder itself: one it cannot create makes the job RPCs UNAVAILABLE
    # instead of stopping the whole server.
    kwargs: dict[str, Any] = {"store_quota_bytes": config.store_quota_bytes}
    if is_postgres_url(config.store_path):  # replicas share the queue (dispatch.jobs.shared)
        job_service_class = SharedJobService
        kwargs["lease_seconds"] = config.store_lease_seconds
    job_routing = routing_service(metrics, "jobs", config.job_workers, JOB_ANSWERS)
    try:
        if config.ray_address:  # big requests' parts on Ray (dispatch.cluster); refuse if down
            from dispatch.cluster.routing import ClusterRouting

            job_routing = ClusterRouting(
                job_routing, config.ray_address, config.ray_min_stops, config.ray_part_stops
            )
        return job_service_class(
            store_path=config.store_path,
            routing=job_routing,
            workers=config.job_workers,
            queue_limit=config.job_queue_limit,
            owns_routing=True,
            **kwargs,
        )
    except BaseException:
        job_routing.close()
        raise


def _report_jobs_health(jobs: Any, health_servicer: health.HealthServicer) -> None:
    """JOBS_HEALTH_NAME is SERVING while the job store is usable and NOT_SERVING from the moment
    it is not (found damaged at start or while serving) until a restart; on a shared store
    (PostgreSQL) also NOT_SERVING while the database is unreachable, and SERVING again once it
    answers (``store.reachable``, probed every poll interval by the job service)."""
    status = health_pb2.HealthCheckResponse
    store = jobs.store

    def report(*_: object) -> None:
        serving = store.problem is None and getattr(store, "reachable", True)
        health_servicer.set(JOBS_HEALTH_NAME, status.SERVING if serving else status.NOT_SERVING)

    store.add_problem_listener(report)
    if hasattr(store, "add_reachability_listener"):
        store.add_reachability_listener(report)
    report()


def _grpc_server(
    config: ServerConfig,
    security: ServerSecurity,
    observers: list[CallObserver],
    admission: Admission,
) -> grpc.Server:
    """The bare gRPC server: authentication first (its refusals reported to the observers),
    then the call wrapper with admission, logging, metrics and traces."""
    options = [
        ("grpc.max_receive_message_length", config.max_message_bytes),
        ("grpc.max_send_message_length", config.max_message_bytes),
        # A restarted server must not silently share a port with a stale one.
        ("grpc.so_reuseport", 0),
    ]
    gates = security.interceptors(refusal_reporter(observers))
    return grpc.server(
        futures.ThreadPoolExecutor(
            max_workers=config.thread_pool_size, thread_name_prefix="dispatch-rpc"
        ),
        interceptors=[*gates, CallInterceptor(observers, admission)],
        options=options,
        maximum_concurrent_rpcs=None,
    )


def _add_services(
    server: grpc.Server, servicer: DispatchServicer, reflection_on: bool
) -> health.HealthServicer:
    """DispatchService, health (every name NOT_SERVING until start says otherwise), reflection."""
    # Handlers take raw bytes and parse them (dispatch.decoding): a body grpcio fails to
    # decode would otherwise be INTERNAL, a logged traceback and ~20 KB kept per call.
    add_to_server(servicer, server)
    health_servicer = health.HealthServicer(
        experimental_non_blocking=True,
        experimental_thread_pool=futures.ThreadPoolExecutor(max_workers=2),
    )
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    if reflection_on:
        reflection.enable_server_reflection(
            (SERVICE_NAME, health.SERVICE_NAME, reflection.SERVICE_NAME), server
        )
    return health_servicer


def _bind(server: grpc.Server, security: ServerSecurity, address: str) -> int:
    try:
        port = security.bind(server, address)
    except RuntimeError as exc:  # grpc raises RuntimeError("Failed to bind ...")
        raise OSError(f"cannot listen on {address}: {exc}") from exc
    if port == 0:
        raise OSError(f"cannot listen on {address}")
    return port


def start(config: ServerConfig | None = None, *, tracer_provider: Any = None) -> ServerHandle:
    """Build and start a server per ``config``; the caller must ``shutdown()`` the handle.

    ``tracer_provider`` (an OpenTelemetry one) turns tracing on with it, whatever the config says.
    """
    config = config or ServerConfig()
    security = prepare_security(config)  # unsafe exposure, bad certificate: ValueError, first
    metrics = Metrics() if config.metrics_address else None
    tracer = tracing.call_tracer(config.tracing, tracer_provider)
    observers: list[CallObserver] = [o for o in (metrics and metrics.observe, tracer) if o]
    admission = Admission(
        AdmissionLimits(config.max_inflight_assign_units, config.max_inflight_request_bytes)
    )
    server = _grpc_server(config, security, observers, admission)
    routing = routing_service(metrics, "plan_routes", config.routing_workers)
    jobs = None
    endpoint = None
    try:
        jobs = _build_jobs(config, metrics)
        servicer = DispatchServicer(routing, jobs, config.long_call_limit)
        health_servicer = _add_services(server, servicer, security.reflection)
        port = _bind(server, security, config.address)
        if jobs is not None:
            jobs.start()
        if metrics is not None:
            metrics.watch_admission(admission)
            if jobs is not None:
                metrics.watch_jobs(jobs)
            endpoint = metrics.serve(config.metrics_address)
        # SERVING before the first call can arrive: a probe never sees a half-started server.
        for name in ("", SERVICE_NAME):
            health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
        if jobs is not None:
            _report_jobs_health(jobs, health_servicer)
        server.start()
    except BaseException:
        server.stop(None)
        for part in (endpoint, jobs, routing, tracer):
            if part is not None:
                part.close()
        raise
    handle = ServerHandle(
        server,
        port,
        config,
        health_servicer,
        routing,
        jobs,
        metrics,
        endpoint,
        tracer,
        admission,
        servicer,
    )
    _HANDLES[server] = handle
    _log.info("serving on %s (port %d)", config.address, port)
    if endpoint is not None:
        _log.info("metrics on %s (port %d)", config.metrics_address, endpoint.port)
    return handle


def create_server(
    address: str = "127.0.0.1:0", config: ServerConfig | None = None
) -> tuple[grpc.Server, int]:
    """Start a server on ``address`` (port 0 picks a free one); returns it and the bound port.

    Stop it with ``handle_of(server).shutdown()`` so the routing workers and job service close
    too (a bare ``server.stop()`` leaves them running until the process exits).
    """
    config = (config or ServerConfig()).with_overrides(address=address)
    handle = start(config)
    return handle.server, handle.port


def handle_of(server: grpc.Server) -> ServerHandle:
    """The handle that owns a server returned by ``create_server``."""
    return _HANDLES[server]
