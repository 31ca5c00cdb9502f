"""The call wrapper around every DispatchService method: error mapping and one log line per call.

Handlers in ``dispatch.service`` raise; this wrapper turns an exception into a status once (via
``dispatch.errors``) and writes one JSON log line with the method, the caller's request_id and
label, the status code and the latency. Handlers that take raw bytes
(``dispatch.decoding.RawRequestHandler``) are decoded inside the wrapper, so a body that is not a
valid message is mapped and logged like any other bad request (INVALID_ARGUMENT) and the log line
of a good one still carries its ids. Health and reflection calls pass through untouched: load
balancers poll them every few seconds and they would drown the log.
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import grpc
from google.protobuf.message import Message

from dispatch import errors
from dispatch.admission import Admission, admitted
from dispatch.decoding import RawRequestHandler

SERVICE_PREFIX = "/dispatch.v1.DispatchService/"

_log = logging.getLogger("dispatch.calls")


@dataclass(frozen=True)
class CallRecord:
    """One finished call, as call observers (metrics, tracing) see it."""

    method: str  # without the service prefix, e.g. "AssignUnits"
    code: grpc.StatusCode
    start_ns: int  # wall clock (time.time_ns) when the call reached the wrapper
    seconds: float
    tags: dict[str, str]
    response: Any  # the answer of a unary call that succeeded, else None
    metadata: tuple[tuple[str, Any], ...]


#: Told about every call after its log line; an observer that raises is logged, never the caller's
#: problem.
CallObserver = Callable[[CallRecord], None]


def request_tags(request: object) -> dict[str, str]:
    """The caller's correlation fields of a request: request_id, label and job_id when present.

    CreatePlanJob wraps a PlanRoutesRequest in ``request``; its tags are read from there.
    """
    tags: dict[str, str] = {}
    if not isinstance(request, Message):
        return tags
    fields = request.DESCRIPTOR.fields_by_name
    inner = request
    if "request" in fields and fields["request"].message_type is not None:
        inner = request.request  # type: ignore[attr-defined]
    for message in (request, inner):
        names = message.DESCRIPTOR.fields_by_name
        for name in ("request_id", "label", "job_id"):
            if name in names and name not in tags:
                value = getattr(message, name)
                if value:
                    tags[name] = value
    return tags


def _final_code(context: grpc.ServicerContext) -> grpc.StatusCode:
    code = context.code()  # None until something sets it
    if code is None:
        # Still unset: success, unless the caller went away (a cancelled watch stream).
        code = grpc.StatusCode.OK if context.is_active() else grpc.StatusCode.CANCELLED
    return code


def _log_call(
    method: str, tags: dict[str, str], context: grpc.ServicerContext, start: float
) -> None:
    code = _final_code(context)
    level = logging.ERROR if code == grpc.StatusCode.INTERNAL else logging.INFO
    record: dict[str, Any] = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "level": logging.getLevelName(level),
        "event": "rpc",
        "method": method.removeprefix(SERVICE_PREFIX),
        "code": code.name,
        "latency_ms": round((time.perf_counter() - start) * 1000.0, 3),
    }
    record.update(tags)
    _log.log(level, json.dumps(record, sort_keys=True))


def _fail(context: grpc.ServicerContext, exc: Exception) -> None:
    """Abort with the mapped status, unless the handler already aborted on its own."""
    if context.code() is not None:  # context.abort() raised this; the status is already set
        raise exc
    errors.abort(context, exc)


@dataclass
class _Call:
    """What the log line of one call needs to know: the request once it is decoded."""

    request: Any = None
    response: Any = None


def _notify(
    observers: Sequence[CallObserver],
    method: str,
    call: _Call,
    context: grpc.ServicerContext,
    times: tuple[int, float],
) -> None:
    code = _final_code(context)
    record = CallRecord(
        method=method.removeprefix(SERVICE_PREFIX),
        code=code,
        start_ns=times[0],
        seconds=time.perf_counter() - times[1],
        tags=request_tags(call.request),
        response=call.response if code == grpc.StatusCode.OK else None,
        metadata=tuple(context.invocation_metadata() or ()),
    )
    for observe in observers:
        try:
            observe(record)
        except Exception:
            logging.getLogger("dispatch.observers").exception("call observer failed")


def refusal_reporter(
    observers: Sequence[CallObserver],
) -> Callable[[str, grpc.ServicerContext, tuple[int, float]], None]:
    """How a gate in front of this wrapper (authentication) reports a call it refused, with the
    status already set on ``context``: the same observers count it, so metrics and traces see
    UNAUTHENTICATED and PERMISSION_DENIED like any other code. ``times`` is (wall ns, perf)."""

    def report(method: str, context: grpc.ServicerContext, times: tuple[int, float]) -> None:
        if observers:
            _notify(observers, method, _Call(), context, times)

    return report


@contextlib.contextmanager
def _handled(
    method: str, context: grpc.ServicerContext, observers: Sequence[CallObserver] = ()
) -> Iterator[_Call]:
    """Map an exception to its status, log the call however it ends, then tell the observers."""
    start = time.perf_counter()
    start_ns = time.time_ns()
    call = _Call()
    try:
        yield call
    except Exception as exc:
        _fail(context, exc)
        raise  # pragma: no cover - abort always raises
    finally:
        _log_call(method, request_tags(call.request), context, start)
        if observers:
            _notify(observers, method, call, context, (start_ns, start))


def _parts(behavior: Callable[..., Any]) -> tuple[Callable[[Any], Any], Callable[..., Any]]:
    """(decode, handle) of a handler: raw-bytes handlers decode here, others get a message."""
    if isinstance(behavior, RawRequestHandler):
        return behavior.decode, behavior.behavior
    return (lambda request: request), behavior


def _wrap_unary(
    behavior: Callable[..., Any],
    method: str,
    observers: Sequence[CallObserver] = (),
    admission: Admission | None = None,
) -> Callable[..., Any]:
    decode, handle = _parts(behavior)

    def handler(request: Any, context: grpc.ServicerContext) -> Any:
        # Admitted (or refused at once) before decoding: the raw body's size is known now.
        with _handled(method, context, observers) as call, admitted(admission, method, request):
            call.request = decode(request)
            call.response = handle(call.request, context)
            return call.response

    return handler


def _wrap_stream(
    behavior: Callable[..., Iterator[Any]],
    method: str,
    observers: Sequence[CallObserver] = (),
    admission: Admission | None = None,
) -> Callable[..., Any]:
    decode, handle = _parts(behavior)

    def handler(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        with _handled(method, context, observers) as call, admitted(admission, method, request):
            call.request = decode(request)
            yield from handle(call.request, context)

    return handler


class DispatchServiceInterceptor(grpc.ServerInterceptor):
    """Base of the interceptors that wrap DispatchService handlers; health and reflection pass
    untouched. A subclass says how to wrap a unary and a server-streaming behaviour (the kinds
    DispatchService has) and what to do with any other kind."""

    def wrap_unary(self, behavior: Callable[..., Any], method: str) -> Callable[..., Any]:
        raise NotImplementedError

    def wrap_stream(self, behavior: Callable[..., Any], method: str) -> Callable[..., Any]:
        raise NotImplementedError

    def other_kind(self, handler: grpc.RpcMethodHandler) -> grpc.RpcMethodHandler | None:
        return handler

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or not method.startswith(SERVICE_PREFIX):
            return handler
        codec = {
            "request_deserializer": handler.request_deserializer,
            "response_serializer": handler.response_serializer,
        }
        if handler.unary_unary is not None:
            wrapped = self.wrap_unary(handler.unary_unary, method)
            return grpc.unary_unary_rpc_method_handler(wrapped, **codec)
        if handler.unary_stream is not None:
            wrapped = self.wrap_stream(handler.unary_stream, method)
            return grpc.unary_stream_rpc_method_handler(wrapped, **codec)
        return self.other_kind(handler)


class CallInterceptor(DispatchServiceInterceptor):
    """Wraps unary-unary and unary-stream handlers of DispatchService (the only kinds it has).

    ``observers`` (metrics, tracing) are told about each call once it has ended; ``admission``
    (``dispatch.admission``) refuses at once the calls beyond the server's limits.
    """

    def __init__(
        self, observers: Sequence[CallObserver] = (), admission: Admission | None = None
    ) -> None:
        self._observers = tuple(observers)
        self._admission = admission

    def wrap_unary(self, behavior: Callable[..., Any], method: str) -> Callable[..., Any]:
        return _wrap_unary(behavior, method, self._observers, self._admission)

    def wrap_stream(self, behavior: Callable[..., Any], method: str) -> Callable[..., Any]:
        return _wrap_stream(behavior, method, self._observers, self._admission)
