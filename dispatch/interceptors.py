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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import grpc
from google.protobuf.message import Message

from dispatch import errors
from dispatch.decoding import RawRequestHandler

SERVICE_PREFIX = "/dispatch.v1.DispatchService/"

_log = logging.getLogger("dispatch.calls")


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


def _log_call(
    method: str, tags: dict[str, str], context: grpc.ServicerContext, start: float
) -> None:
    code = context.code()  # None until something sets it
    if code is None:
        # Still unset: success, unless the caller went away (a cancelled watch stream).
        code = grpc.StatusCode.OK if context.is_active() else grpc.StatusCode.CANCELLED
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


@contextlib.contextmanager
def _handled(method: str, context: grpc.ServicerContext) -> Iterator[_Call]:
    """Map an exception to its status and log the call however it ends."""
    start = time.perf_counter()
    call = _Call()
    try:
        yield call
    except Exception as exc:
        _fail(context, exc)
        raise  # pragma: no cover - abort always raises
    finally:
        _log_call(method, request_tags(call.request), context, start)


def _parts(behavior: Callable[..., Any]) -> tuple[Callable[[Any], Any], Callable[..., Any]]:
    """(decode, handle) of a handler: raw-bytes handlers decode here, others get a message."""
    if isinstance(behavior, RawRequestHandler):
        return behavior.decode, behavior.behavior
    return (lambda request: request), behavior


def _wrap_unary(behavior: Callable[..., Any], method: str) -> Callable[..., Any]:
    decode, handle = _parts(behavior)

    def handler(request: Any, context: grpc.ServicerContext) -> Any:
        with _handled(method, context) as call:
            call.request = decode(request)
            return handle(call.request, context)

    return handler


def _wrap_stream(behavior: Callable[..., Iterator[Any]], method: str) -> Callable[..., Any]:
    decode, handle = _parts(behavior)

    def handler(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
        with _handled(method, context) as call:
            call.request = decode(request)
            yield from handle(call.request, context)

    return handler


class LogFormatter(logging.Formatter):
    """Plain text for the server's own messages; call records stay one bare JSON object per line,
    so log shippers can parse them without a prefix."""

    def format(self, record: logging.LogRecord) -> str:
        if record.name == _log.name:
            return record.getMessage()
        return super().format(record)


class CallInterceptor(grpc.ServerInterceptor):
    """Wraps unary-unary and unary-stream handlers of DispatchService (the only kinds it has)."""

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], grpc.RpcMethodHandler | None],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler | None:
        handler = continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or not method.startswith(SERVICE_PREFIX):
            return handler
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                _wrap_unary(handler.unary_unary, method),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                _wrap_stream(handler.unary_stream, method),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler
