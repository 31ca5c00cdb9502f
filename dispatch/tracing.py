"""OpenTelemetry spans, one per DispatchService call; off unless ``--tracing`` / DISPATCH_TRACING.

Nothing here imports OpenTelemetry until tracing is switched on, so the base install (without the
``tracing`` extra) never needs it. Where spans go is configured the standard OpenTelemetry way:

- a tracer provider the embedding program already installed globally (e.g. under
  ``opentelemetry-instrument``) is used as it is;
- otherwise one is built here, named by OTEL_SERVICE_NAME / OTEL_RESOURCE_ATTRIBUTES (default
  service name ``city-dispatch``), exporting to each exporter named in OTEL_TRACES_EXPORTER
  (``console``, ``otlp`` when ``opentelemetry-exporter-otlp`` is installed, ``none``; any
  exporter package that registers an ``opentelemetry_traces_exporter`` entry point works).

A span is written when its call ends, with the call's measured start and end times. It joins the
caller's trace when the call's metadata carries a W3C ``traceparent``.
"""

from __future__ import annotations

import logging
import os
import sys
from importlib.metadata import entry_points
from typing import Any

import grpc

from dispatch.interceptors import CallRecord

_log = logging.getLogger("dispatch.tracing")

DEFAULT_SERVICE_NAME = "city-dispatch"
SERVICE = "dispatch.v1.DispatchService"
#: Server-side codes that mark a span as an error (OpenTelemetry's gRPC conventions): a caller's
#: mistake (INVALID_ARGUMENT, NOT_FOUND, ...) is the caller's failure, not the server's.
SERVER_ERRORS = frozenset(
    {
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.UNIMPLEMENTED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DATA_LOSS,
    }
)


class TracingUnavailableError(ValueError):
    """Tracing was asked for but cannot be set up (package or exporter missing)."""


def _import_sdk() -> Any:
    try:
        from opentelemetry.sdk import trace as sdk_trace
    except ImportError as exc:
        raise TracingUnavailableError(
            "tracing needs OpenTelemetry: pip install 'city-dispatch[tracing]'"
        ) from exc
    return sdk_trace


def _exporter(name: str, defaulted: bool) -> Any | None:
    """The span exporter registered as ``name``; None for "none"."""
    if name == "none":
        return None
    if name == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        # One JSON object per line, like the log (the default is indented over many lines).
        return ConsoleSpanExporter(
            out=sys.stdout, formatter=lambda span: span.to_json(indent=None) + "\n"
        )
    found = list(entry_points(group="opentelemetry_traces_exporter", name=name))
    if found:
        return found[0].load()()
    if defaulted:
        # OpenTelemetry's default is otlp; without its package, print spans rather than drop them.
        _log.warning("no %r span exporter installed; writing spans to stdout", name)
        return _exporter("console", defaulted=False)
    raise TracingUnavailableError(
        f"OTEL_TRACES_EXPORTER names {name!r}, which is not installed"
        + (" (pip install opentelemetry-exporter-otlp)" if name.startswith("otlp") else "")
    )


def provider_from_env(env: dict[str, str] | None = None) -> Any:
    """A new SDK tracer provider configured from the OTEL_* environment (see the module doc)."""
    env = dict(os.environ) if env is None else env
    sdk_trace = _import_sdk()
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    resource = Resource.create()
    if str(resource.attributes.get("service.name", "")).startswith("unknown_service"):
        resource = resource.merge(Resource({"service.name": DEFAULT_SERVICE_NAME}))
    provider = sdk_trace.TracerProvider(resource=resource)
    setting = env.get("OTEL_TRACES_EXPORTER", "")
    names = [n.strip() for n in setting.split(",") if n.strip()] or ["otlp"]
    for name in names:
        exporter = _exporter(name, defaulted=not setting)
        if exporter is not None:
            provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


class CallTracer:
    """A call observer (``dispatch.interceptors.CallObserver``) writing one span per call.

    ``owned`` providers (built here) are flushed and shut down by :meth:`close`; a provider the
    program installed itself is left to the program.
    """

    def __init__(self, provider: Any, owned: bool = False) -> None:
        from opentelemetry import propagate
        from opentelemetry.trace import SpanKind, Status, StatusCode

        self._provider = provider
        self._owned = owned
        self._tracer = provider.get_tracer("dispatch")
        self._propagate = propagate
        self._kind = SpanKind.SERVER
        self._error = lambda code: Status(StatusCode.ERROR, code.name)

    def __call__(self, call: CallRecord) -> None:
        carrier = {str(k).lower(): v for k, v in call.metadata if isinstance(v, str)}
        parent = self._propagate.extract(carrier)
        span = self._tracer.start_span(
            f"{SERVICE}/{call.method}",
            context=parent,
            kind=self._kind,
            start_time=call.start_ns,
            attributes=_attributes(call),
        )
        if call.code in SERVER_ERRORS:
            span.set_status(self._error(call.code))
        span.end(end_time=call.start_ns + int(call.seconds * 1e9))

    def close(self) -> None:
        """Flush and stop the provider when it was built here."""
        if self._owned:
            self._provider.shutdown()


def _attributes(call: CallRecord) -> dict[str, Any]:
    attributes: dict[str, Any] = {
        "rpc.system": "grpc",
        "rpc.service": SERVICE,
        "rpc.method": call.method,
        "rpc.grpc.status_code": call.code.value[0],
        "dispatch.code": call.code.name,
    }
    for name, value in call.tags.items():
        attributes[f"dispatch.{name}"] = value
    info = getattr(call.response, "solve_info", None)
    if info is not None:
        from dispatch._proto.dispatch.v1 import common_pb2

        attributes["dispatch.engine"] = info.engine
        attributes["dispatch.solve_status"] = common_pb2.SolveStatus.Name(info.status)
        attributes["dispatch.degraded"] = info.degraded
    return attributes


def call_tracer(enabled: bool, provider: Any | None = None) -> CallTracer | None:
    """The tracer for a server: None when tracing is off and no provider was given.

    ``provider`` (tests pass one with an in-memory exporter) wins; then a provider the program
    installed globally; then one built from the environment.
    """
    if provider is not None:
        return CallTracer(provider)
    if not enabled:
        return None
    _import_sdk()
    from opentelemetry import trace

    installed = trace.get_tracer_provider()
    if isinstance(installed, _import_sdk().TracerProvider):
        return CallTracer(installed)
    return CallTracer(provider_from_env(), owned=True)
