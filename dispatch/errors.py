"""Service-level errors and the one mapping from the exception hierarchy to gRPC status.

Everything the service raises on purpose descends from ``solvers.errors.DispatchError``. Handlers
raise; the call wrapper in ``dispatch.interceptors`` calls :func:`to_rpc_status` exactly once and
aborts the call with the result. Keeping the table here means a new error class needs one line,
and no handler can leak a traceback to a caller by accident.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import grpc
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from dispatch.workers import PoolClosedError, WorkerCrashedError, WorkersBusyError
from solvers.errors import (
    CancelledError,
    DispatchError,
    FieldProblem,
    InvalidProblemError,
    PlanRejectedError,
    SolverFailedError,
)

__all__ = [
    "AlreadyExistsError",
    "CancelledError",
    "DispatchError",
    "FailedPreconditionError",
    "FieldProblem",
    "InvalidProblemError",
    "NotFoundError",
    "QueueFullError",
    "RequestTooLargeError",
    "UnavailableError",
    "abort",
    "to_rpc_status",
]

_log = logging.getLogger("dispatch.errors")

#: What a caller sees for any failure we did not anticipate: nothing about our internals.
INTERNAL_MESSAGE = "internal error; the server log has the details"


class RequestTooLargeError(DispatchError):
    """The request is larger than the service accepts (a documented limit in validation.limits)."""

    def __init__(self, path: str, description: str) -> None:
        self.path = path
        self.description = description
        super().__init__(f"{path}: {description}" if path else description)


class NotFoundError(DispatchError, LookupError):
    """The named resource (a plan job) does not exist."""


class AlreadyExistsError(DispatchError):
    """A resource with that key exists with different content (e.g. a reused request_id)."""


class FailedPreconditionError(DispatchError):
    """The request is valid but the resource is in the wrong state for it."""


class QueueFullError(DispatchError):
    """No room to accept more work now; the caller may retry later.

    ``retry_after`` (seconds), when set, reaches the caller as a ``google.rpc.RetryInfo``.
    """

    retry_after: float | None = None


class UnavailableError(DispatchError):
    """The service is shutting down or a dependency is not ready; retrying may help.

    ``retry_after`` (seconds), when set, reaches the caller as a ``google.rpc.RetryInfo``.
    """

    retry_after: float | None = None


@dataclass(frozen=True)
class RpcStatus:
    """A gRPC outcome before it is sent: the code, a message and optional rich details."""

    code: grpc.StatusCode
    message: str
    field_violations: tuple[FieldProblem, ...] = ()
    #: Seconds after which a retry may succeed (a ``google.rpc.RetryInfo`` detail), or None.
    retry_after: float | None = None

    def to_grpc(self) -> grpc.Status:
        """The ``grpc.Status`` for ``context.abort_with_status`` (google.rpc.Status in trailers)."""
        status = status_pb2.Status(code=_CODE_NUMBERS[self.code], message=self.message)
        if self.retry_after is not None:
            retry_info = error_details_pb2.RetryInfo()
            retry_info.retry_delay.FromNanoseconds(round(self.retry_after * 1e9))
            status.details.add().Pack(retry_info)
        if self.field_violations:
            bad_request = error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(
                        field=problem.path, description=problem.description
                    )
                    for problem in self.field_violations
                ]
            )
            status.details.add().Pack(bad_request)
        return rpc_status.to_status(status)


_CODE_NUMBERS: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.INVALID_ARGUMENT: code_pb2.INVALID_ARGUMENT,
    grpc.StatusCode.RESOURCE_EXHAUSTED: code_pb2.RESOURCE_EXHAUSTED,
    grpc.StatusCode.NOT_FOUND: code_pb2.NOT_FOUND,
    grpc.StatusCode.ALREADY_EXISTS: code_pb2.ALREADY_EXISTS,
    grpc.StatusCode.FAILED_PRECONDITION: code_pb2.FAILED_PRECONDITION,
    grpc.StatusCode.UNIMPLEMENTED: code_pb2.UNIMPLEMENTED,
    grpc.StatusCode.CANCELLED: code_pb2.CANCELLED,
    grpc.StatusCode.DEADLINE_EXCEEDED: code_pb2.DEADLINE_EXCEEDED,
    grpc.StatusCode.UNAVAILABLE: code_pb2.UNAVAILABLE,
    grpc.StatusCode.INTERNAL: code_pb2.INTERNAL,
}

# Plain (message-only) mappings; order matters only between a class and its subclasses, so
# subclasses defined by other modules (e.g. dispatch.jobs.errors) are matched by isinstance.
# Retryable failures (the refused, the busy, the crashed) are RESOURCE_EXHAUSTED or UNAVAILABLE,
# never CANCELLED or INTERNAL: those tell a caller not to retry. A ``retry_after`` attribute
# becomes a google.rpc.RetryInfo detail.
_SIMPLE: tuple[tuple[type[BaseException], grpc.StatusCode], ...] = (
    (RequestTooLargeError, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (QueueFullError, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (WorkersBusyError, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (WorkerCrashedError, grpc.StatusCode.UNAVAILABLE),
    (PoolClosedError, grpc.StatusCode.UNAVAILABLE),
    (NotFoundError, grpc.StatusCode.NOT_FOUND),
    (AlreadyExistsError, grpc.StatusCode.ALREADY_EXISTS),
    (FailedPreconditionError, grpc.StatusCode.FAILED_PRECONDITION),
    (UnavailableError, grpc.StatusCode.UNAVAILABLE),
    (CancelledError, grpc.StatusCode.CANCELLED),
)


def to_rpc_status(exc: BaseException) -> RpcStatus:
    """Map any exception to the status a caller should see (logging unexpected ones).

    Messages of our own errors are written for callers (one sentence naming the id); solver
    failures and anything unexpected get a generic message, with the traceback in the log only.
    """
    if isinstance(exc, InvalidProblemError):
        problems = tuple(exc.problems)
        count = len(problems)
        if problems:
            first = problems[0]
            plural = "s" if count != 1 else ""
            message = f"invalid request ({count} problem{plural}); first: "
            # An empty path is the request as a whole (e.g. a body that does not decode).
            message += f"{first.path}: {first.description}" if first.path else first.description
        else:
            message = "invalid request"
        return RpcStatus(grpc.StatusCode.INVALID_ARGUMENT, message, problems)
    if isinstance(exc, RequestTooLargeError):
        violation = (FieldProblem(exc.path, exc.description),) if exc.path else ()
        return RpcStatus(grpc.StatusCode.RESOURCE_EXHAUSTED, str(exc), violation)
    for cls, code in _SIMPLE:
        if isinstance(exc, cls):
            return RpcStatus(code, str(exc) or cls.__name__, retry_after=_retry_after(exc))
    if isinstance(exc, NotImplementedError):
        return RpcStatus(grpc.StatusCode.UNIMPLEMENTED, str(exc) or "not implemented")
    if isinstance(exc, (SolverFailedError, PlanRejectedError)):
        # A solver bug or crash: the caller can do nothing with the detail, operators can.
        _log.error("solver failure", exc_info=exc)
        return RpcStatus(grpc.StatusCode.INTERNAL, "the solver failed; the server log has details")
    _log.error("unexpected error", exc_info=exc)
    return RpcStatus(grpc.StatusCode.INTERNAL, INTERNAL_MESSAGE)


def _retry_after(exc: BaseException) -> float | None:
    """The retry delay an error offers, if it is a finite non-negative number of seconds."""
    delay = getattr(exc, "retry_after", None)
    if isinstance(delay, (int, float)) and math.isfinite(delay) and delay >= 0:
        return float(delay)
    return None


def abort(context: grpc.ServicerContext, exc: BaseException) -> None:
    """End the call with the status ``exc`` maps to (raises, as ``context.abort`` does)."""
    context.abort_with_status(to_rpc_status(exc).to_grpc())
