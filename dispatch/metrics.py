"""Prometheus metrics of one server, served on a port of their own.

Each server gets its own ``CollectorRegistry`` (never the process-wide default), so several servers
in one process (the tests) keep separate counts. Three kinds of numbers:

- per call, from the call wrapper (``dispatch.interceptors``): latency by method and code;
- per answer that carries a ``SolveInfo`` (AssignUnits, PlanRoutes, and plan jobs when their
  solve ends): solve time by engine, answers by status, fallbacks and degraded answers;
- read at scrape time: routing workers (total, busy, calls waiting for one) and jobs by state.
  A job store that cannot be read reports ``dispatch_job_store_up 0`` instead of failing the
  scrape, so the endpoint keeps working exactly when an operator needs it.

Engine names are a small fixed set (``SolveInfo.engine``), so they are safe as label values; the
free-text reasons of fallbacks and degraded answers are not, and stay in the answer and the log.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from google.protobuf.message import Message
from prometheus_client import CollectorRegistry, Counter, Histogram, start_http_server
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from dispatch._proto.dispatch.v1 import common_pb2, jobs_pb2
from dispatch.interceptors import CallRecord
from dispatch.routing import RoutingService

_log = logging.getLogger("dispatch.metrics")

#: From a 5 ms AssignUnits to a 5 min nightly plan.
LATENCY_BUCKETS = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    120.0,
    300.0,
)
#: ``method`` label of answers that plan jobs produce (their solve ends long after the call).
JOB_ANSWERS = "CreatePlanJob"
#: (name, value) of every job state but UNSPECIFIED: QUEUED, RUNNING, SUCCEEDED, ...
_JOB_STATES = [(n, v) for n, v in jobs_pb2.PlanJob.State.items() if v != 0]


def parse_address(address: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[v6]:PORT`` too) as (host, port); raises ValueError with the reason."""
    host, sep, port_text = address.rpartition(":")
    if not sep or not host or not port_text.isdigit():
        raise ValueError(f"metrics address must be HOST:PORT, not {address!r}")
    port = int(port_text)
    if port > 65535:
        raise ValueError(f"metrics port must be at most 65535, not {port}")
    return host.removeprefix("[").removesuffix("]"), port


class ObservedRoutingService(RoutingService):
    """A RoutingService that counts callers inside ``plan_routes`` and reports their answers.

    Callers beyond the busy workers are waiting for one: that is the routing queue depth.
    ``on_answer`` sees every answer, which is how plan jobs' answers (solved long after their
    CreatePlanJob call ended) reach the metrics.
    """

    def __init__(self, workers: int, on_answer: Any = None, **kwargs: Any) -> None:
        super().__init__(workers, **kwargs)
        self._on_answer = on_answer
        self._inside = 0
        self._inside_lock = threading.Lock()

    def plan_routes(self, *args: Any, **kwargs: Any) -> Any:
        with self._inside_lock:
            self._inside += 1
        try:
            response = super().plan_routes(*args, **kwargs)
        finally:
            with self._inside_lock:
                self._inside -= 1
        if self._on_answer is not None:
            self._on_answer(response)
        return response

    def waiting(self) -> int:
        """Calls in ``plan_routes`` that no worker has taken yet."""
        with self._inside_lock:
            inside = self._inside
        return max(0, inside - self.pool.busy())


@dataclass
class _Pool:
    name: str
    service: RoutingService


class _ScrapeTimeCollector(Collector):
    """Gauges read when Prometheus scrapes: routing workers and jobs by state."""

    def __init__(self) -> None:
        self.pools: list[_Pool] = []
        self.jobs: Any | None = None
        self.admission: Any | None = None
        self.store_down = False

    def describe(self) -> list[Metric]:
        return []  # names are not known before the first scrape; registering must not read them

    def collect(self) -> Iterator[Metric]:
        yield from self._routing()
        if self.admission is not None:
            yield from self._admission()
        if self.jobs is not None:
            yield from self._jobs()

    def _routing(self) -> Iterator[Metric]:
        size = GaugeMetricFamily(
            "dispatch_routing_workers", "Routing worker processes.", labels=["pool"]
        )
        busy = GaugeMetricFamily(
            "dispatch_routing_workers_busy",
            "Routing worker processes running a solve now.",
            labels=["pool"],
        )
        queue = GaugeMetricFamily(
            "dispatch_routing_queue_depth",
            "Routing solves waiting for a free worker.",
            labels=["pool"],
        )
        for pool in self.pools:
            size.add_metric([pool.name], pool.service.pool.size)
            busy.add_metric([pool.name], pool.service.pool.busy())
            if isinstance(pool.service, ObservedRoutingService):
                queue.add_metric([pool.name], pool.service.waiting())
        yield from (size, busy, queue)

    def _admission(self) -> Iterator[Metric]:
        state = self.admission.state()
        limits = self.admission.limits
        in_flight = "dispatch_assign_units_in_flight"
        held = "dispatch_request_bytes_in_flight"
        yield GaugeMetricFamily(
            in_flight,
            "AssignUnits calls admitted and not yet answered.",
            value=state.assign_units_in_flight,
        )
        yield GaugeMetricFamily(
            f"{in_flight}_limit",
            "AssignUnits calls admitted at most at once.",
            value=limits.max_inflight_assign_units,
        )
        yield GaugeMetricFamily(
            held, "Request bytes held by admitted calls.", value=state.request_bytes_in_flight
        )
        yield GaugeMetricFamily(
            f"{held}_limit",
            "Request bytes admitted calls may hold.",
            value=limits.max_inflight_request_bytes,
        )
        refused = CounterMetricFamily(
            "dispatch_admission_refusals",
            "Calls refused RESOURCE_EXHAUSTED at once, by the limit they would have passed.",
            labels=["limit"],
        )
        refused.add_metric(["assign_units_in_flight"], state.refused_calls)
        refused.add_metric(["request_bytes_in_flight"], state.refused_bytes)
        yield refused

    def _jobs(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "dispatch_job_store_up", "1 when the plan job store answered this scrape, else 0."
        )
        states = GaugeMetricFamily("dispatch_jobs", "Plan jobs by state.", labels=["state"])
        try:
            store = self.jobs.store
            counts = [(name, store.count(value)) for name, value in _JOB_STATES]
        except Exception as exc:  # a damaged or closed store: say so, keep the scrape working
            if not self.store_down:  # once per outage, not once per scrape
                _log.warning("job store unreadable during a metrics scrape: %s", exc)
            self.store_down = True
            up.add_metric([], 0)
            yield up
            return
        self.store_down = False
        for name, count in counts:
            states.add_metric([name], count)
        up.add_metric([], 1)
        yield from (up, states)


#: What each instrument recorded as calls end counts; every one is labelled by method and one
#: more label (see ``Metrics``).
_HELP = {
    "dispatch_rpc_duration_seconds": (
        "DispatchService call latency, decoding to last byte, by method and status code."
    ),
    "dispatch_solve_duration_seconds": (
        "Service wall time of solved answers (SolveInfo.wall_time) by engine."
    ),
    "dispatch_answers": "Answers carrying a SolveInfo, by solve status.",
    "dispatch_fallback_answers": (
        "Answers produced after the first-choice engine failed, by the engine that answered."
    ),
    "dispatch_degraded_answers": (
        "Answers flagged degraded (weaker than usual, still verified), by engine."
    ),
}


class Metrics:
    """The instruments of one server and the registry that holds them."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.rpc_duration = self._timing("dispatch_rpc_duration_seconds", "code")
        self.solve_duration = self._timing("dispatch_solve_duration_seconds", "engine")
        self.answers = self._count("dispatch_answers", "status")
        self.fallbacks = self._count("dispatch_fallback_answers", "engine")
        self.degraded = self._count("dispatch_degraded_answers", "engine")
        self._scraped = _ScrapeTimeCollector()
        self.registry.register(self._scraped)
        ProcessCollector(registry=self.registry)

    def _timing(self, name: str, label: str) -> Histogram:
        """A latency histogram by method and ``label``."""
        return Histogram(
            name, _HELP[name], ["method", label], buckets=LATENCY_BUCKETS, registry=self.registry
        )

    def _count(self, name: str, label: str) -> Counter:
        """A counter by method and ``label`` (exported with the ``_total`` suffix)."""
        return Counter(name, _HELP[name], ["method", label], registry=self.registry)

    # -- what is read at scrape time ---------------------------------------------------------

    def routing_service(self, pool: str, workers: int, answers_as: str | None = None) -> Any:
        """A RoutingService whose workers are reported under ``pool``; with ``answers_as``,
        its answers are counted under that method label too."""

        def on_answer(response: Message) -> None:
            self.observe_answer(answers_as or "", response)

        service = ObservedRoutingService(workers, on_answer if answers_as else None)
        self._scraped.pools.append(_Pool(pool, service))
        return service

    def watch_admission(self, admission: Any) -> None:
        """Report the admission limits, what they hold now and their refusals at each scrape
        (``dispatch.admission.Admission``: ``state()`` and ``limits``)."""
        self._scraped.admission = admission

    def watch_jobs(self, jobs: Any) -> None:
        """Report the job service's jobs by state (``jobs.store.count(state)``) at each scrape."""
        self._scraped.jobs = jobs

    # -- what is recorded as it happens ------------------------------------------------------

    def observe(self, call: CallRecord) -> None:
        """One finished DispatchService call (a call observer for ``CallInterceptor``)."""
        self.rpc_duration.labels(call.method, call.code.name).observe(call.seconds)
        if call.response is not None:
            self.observe_answer(call.method, call.response)

    def observe_answer(self, method: str, response: Any) -> None:
        """Count an answer that carries a SolveInfo; other messages are ignored."""
        if not isinstance(response, Message):
            return
        if "solve_info" not in response.DESCRIPTOR.fields_by_name:
            return
        info = response.solve_info  # type: ignore[attr-defined]
        engine = info.engine or "none"
        self.answers.labels(method, common_pb2.SolveStatus.Name(info.status)).inc()
        if info.status != common_pb2.NOT_SOLVED:
            seconds = info.wall_time.seconds + info.wall_time.nanos / 1e9
            self.solve_duration.labels(method, engine).observe(seconds)
        if info.fallback_reason:
            self.fallbacks.labels(method, engine).inc()
        if info.degraded:
            self.degraded.labels(method, engine).inc()

    # -- the endpoint --------------------------------------------------------------------------

    def serve(self, address: str) -> MetricsEndpoint:
        """Serve ``/metrics`` on ``address`` (HOST:PORT; port 0 picks a free one)."""
        host, port = parse_address(address)
        try:
            server, thread = start_http_server(port, host, registry=self.registry)
        except OSError as exc:
            raise OSError(f"cannot serve metrics on {address}: {exc}") from exc
        return MetricsEndpoint(server, thread)


def routing_service(
    metrics: Metrics | None, pool: str, workers: int, answers_as: str | None = None
) -> RoutingService:
    """The server's RoutingService for ``pool``: reported in ``metrics``, or plain without them."""
    if metrics is None:
        return RoutingService(workers=workers)
    return metrics.routing_service(pool, workers, answers_as)


class MetricsEndpoint:
    """The running HTTP server of ``Metrics.serve``; ``close`` stops it and frees the port."""

    def __init__(self, server: Any, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread
        self.port: int = server.server_port

    def close(self) -> None:
        """Stop serving and release the port (idempotent)."""
        if self._server is None:
            return
        server, self._server = self._server, None
        server.shutdown()
        server.server_close()
        self._thread.join(timeout=5.0)
