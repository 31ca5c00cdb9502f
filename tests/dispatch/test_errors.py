"""The one mapping from exceptions to gRPC status (dispatch/errors.py)."""

from __future__ import annotations

import logging

import grpc
import pytest
from google.rpc import error_details_pb2, status_pb2

from dispatch import errors
from solvers.errors import PlanRejectedError, SolverFailedError


def _bad_request(status: errors.RpcStatus) -> error_details_pb2.BadRequest:
    grpc_status = status.to_grpc()
    trailer = dict(grpc_status.trailing_metadata)["grpc-status-details-bin"]
    rich = status_pb2.Status.FromString(trailer)
    bad_request = error_details_pb2.BadRequest()
    assert rich.details[0].Unpack(bad_request)
    return bad_request


def test_invalid_problem_carries_field_violations():
    """Each FieldProblem becomes one BadRequest violation, in order, with its description."""
    exc = errors.InvalidProblemError(
        [
            errors.FieldProblem("units[3].capabilities", "Unit 'M-12' has an empty capability."),
            errors.FieldProblem("incidents[0].priority", "Incident 'i' has priority 0."),
        ]
    )
    status = errors.to_rpc_status(exc)
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT
    violations = _bad_request(status).field_violations
    assert [(v.field, v.description) for v in violations] == [
        ("units[3].capabilities", "Unit 'M-12' has an empty capability."),
        ("incidents[0].priority", "Incident 'i' has priority 0."),
    ]


@pytest.mark.parametrize(
    ("exc", "code"),
    [
        (errors.RequestTooLargeError("stops", "too many"), grpc.StatusCode.RESOURCE_EXHAUSTED),
        (errors.QueueFullError("full"), grpc.StatusCode.RESOURCE_EXHAUSTED),
        (errors.NotFoundError("no job"), grpc.StatusCode.NOT_FOUND),
        (errors.AlreadyExistsError("reused"), grpc.StatusCode.ALREADY_EXISTS),
        (errors.FailedPreconditionError("state"), grpc.StatusCode.FAILED_PRECONDITION),
        (errors.UnavailableError("closing"), grpc.StatusCode.UNAVAILABLE),
        (errors.CancelledError("gone"), grpc.StatusCode.CANCELLED),
        (NotImplementedError("later"), grpc.StatusCode.UNIMPLEMENTED),
    ],
)
def test_service_errors_map_to_their_codes(exc, code):
    """Each documented class has its status code and keeps its caller-facing message."""
    status = errors.to_rpc_status(exc)
    assert status.code == code
    assert str(exc) in status.message


def test_subclass_defined_elsewhere_maps_like_its_base():
    """dispatch.jobs defines its own subclasses; they need no new table entries."""

    class JobGone(errors.NotFoundError):
        pass

    assert errors.to_rpc_status(JobGone("x")).code == grpc.StatusCode.NOT_FOUND


@pytest.mark.parametrize(
    "exc",
    [
        RuntimeError("secret path /etc/shadow"),
        KeyError("internal_table"),
        SolverFailedError("cbc exploded at /opt/x"),
        PlanRejectedError(["stop s1 served twice"]),
    ],
)
def test_unexpected_errors_are_internal_without_details(exc, caplog):
    """Callers learn nothing about internals; the log keeps the traceback."""
    with caplog.at_level(logging.ERROR, logger="dispatch.errors"):
        status = errors.to_rpc_status(exc)
    assert status.code == grpc.StatusCode.INTERNAL
    assert str(exc).strip("'") not in status.message
    assert caplog.records and caplog.records[-1].exc_info is not None
