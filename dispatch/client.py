"""A small client for DispatchService: dialling, calling by method name, reading rich errors.

Used by the CLI (``dispatch call``, ``serve --examples``, ``health``), the tests and benchmarks.
:class:`ClientSecurity` (re-exported here) carries the TLS files and bearer token of a secured
server.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from dispatch._proto.dispatch.v1 import (
    dispatch_service_pb2_grpc,
    emergency_pb2,
    jobs_pb2,
    replanning_pb2,
    routing_pb2,
)
from dispatch.config import DEFAULT_MAX_MESSAGE_BYTES
from dispatch.security.credentials import ClientSecurity


@dataclass(frozen=True)
class Method:
    """One RPC of DispatchService: its request type and whether it streams answers."""

    name: str
    request_type: type[Message]
    streaming: bool = False


METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method("AssignUnits", emergency_pb2.AssignUnitsRequest),
        Method("PlanRoutes", routing_pb2.PlanRoutesRequest),
        Method("EvaluatePlan", routing_pb2.EvaluatePlanRequest),
        Method("AdviseInsertion", replanning_pb2.AdviseInsertionRequest),
        Method("CreatePlanJob", jobs_pb2.CreatePlanJobRequest),
        Method("GetPlanJob", jobs_pb2.GetPlanJobRequest),
        Method("WatchPlanJob", jobs_pb2.WatchPlanJobRequest, streaming=True),
        Method("CancelPlanJob", jobs_pb2.CancelPlanJobRequest),
        Method("ListPlanJobs", jobs_pb2.ListPlanJobsRequest),
    )
}


def channel(
    target: str,
    max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    security: ClientSecurity | None = None,
) -> grpc.Channel:
    """A channel that accepts answers as large as the server may send.

    Plaintext unless ``security`` asks for TLS (a CA file, a client certificate for mTLS) or a
    bearer token; a token is sent over TLS, or in clear only to a loopback target.
    """
    options: list[tuple[str, Any]] = [
        ("grpc.max_receive_message_length", max_message_bytes),
        ("grpc.max_send_message_length", max_message_bytes),
    ]
    if security is None or not security.active:
        return grpc.insecure_channel(target, options=options)
    credentials = security.channel_credentials(target)
    return grpc.secure_channel(target, credentials, options=[*options, *security.channel_options()])


def stub(chan: grpc.Channel) -> dispatch_service_pb2_grpc.DispatchServiceStub:
    """The generated DispatchService stub on ``chan``."""
    return dispatch_service_pb2_grpc.DispatchServiceStub(chan)


def parse_request(method: str, text: str) -> Message:
    """A request of ``method`` from its protobuf canonical JSON (unknown fields are an error)."""
    message = METHODS[method].request_type()
    json_format.Parse(text, message)
    return message


def to_json(message: Message) -> str:
    """Canonical protobuf JSON with proto field names, as request files are written."""
    return json_format.MessageToJson(message, preserving_proto_field_name=True, indent=2)


def call(
    chan: grpc.Channel, method: str, request: Message, timeout: float | None = None
) -> Message | Iterator[Message]:
    """Call ``method``; a streaming method returns the iterator of answers."""
    if method not in METHODS:
        raise KeyError(f"unknown method {method!r}; one of {', '.join(METHODS)}")
    return getattr(stub(chan), method)(request, timeout=timeout)


@dataclass(frozen=True)
class ErrorDetails:
    """What a failed call said: code, message and any BadRequest field violations."""

    code: grpc.StatusCode
    message: str
    field_violations: tuple[tuple[str, str], ...] = ()

    @property
    def fields(self) -> list[str]:
        """Just the field paths, in order."""
        return [f for f, _ in self.field_violations]


def error_details(error: grpc.RpcError) -> ErrorDetails:
    """Read code, message and ``google.rpc.BadRequest`` violations back from a failed call."""
    code: grpc.StatusCode = error.code()  # type: ignore[attr-defined]
    message: str = error.details() or ""  # type: ignore[attr-defined]
    violations: list[tuple[str, str]] = []
    status = rpc_status.from_call(error)  # type: ignore[arg-type]
    if status is not None:
        message = status.message
        for detail in status.details:
            if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad_request = error_details_pb2.BadRequest()
                detail.Unpack(bad_request)
                violations.extend((v.field, v.description) for v in bad_request.field_violations)
    return ErrorDetails(code, message, tuple(violations))


def health_status(chan: grpc.Channel, service: str = "", timeout: float = 3.0) -> str:
    """The health status name (``SERVING``, ``NOT_SERVING``, ...) of ``service`` on ``chan``."""
    response = health_pb2_grpc.HealthStub(chan).Check(
        health_pb2.HealthCheckRequest(service=service), timeout=timeout
    )
    return health_pb2.HealthCheckResponse.ServingStatus.Name(response.status)


def summarize(method: str, answer: Any) -> str:
    """One short human line about an answer (``dispatch serve --examples``)."""
    info = getattr(answer, "solve_info", None)
    head = ""
    if info is not None and answer.HasField("solve_info"):
        from dispatch._proto.dispatch.v1 import common_pb2

        head = (
            f"{common_pb2.SolveStatus.Name(info.status)} by {info.engine or '?'}, "
            f"objective {info.objective:g}, {info.wall_time.ToTimedelta().total_seconds():.2f} s; "
        )
        if info.degraded:  # a weaker answer than usual must not read like a normal one
            head = f"DEGRADED ({info.degraded_reason}) {head}"
    if isinstance(answer, emergency_pb2.AssignUnitsResponse):
        k = answer.kpis
        return (
            f"{head}{k.fully_staffed}/{k.incidents} incidents fully staffed, "
            f"{k.units_dispatched} units dispatched, {k.units_reassigned} re-routed, "
            f"{k.share_within_target:.0%} within target"
        )
    if isinstance(answer, routing_pb2.PlanRoutesResponse):
        k = answer.kpis
        return (
            f"{head}{k.vehicles_used} vehicles, {k.stops_served} stops served, "
            f"{k.stops_skipped} skipped, total cost {k.total_cost:.2f}"
        )
    if isinstance(answer, routing_pb2.EvaluatePlanResponse):
        return f"feasible={answer.feasible}, {len(answer.violations)} violations"
    return f"{method}: {type(answer).__name__}"
