"""Errors of the job service, as subclasses of the service errors ``dispatch/errors.py`` maps.

JobNotFoundError -> NOT_FOUND, RequestIdConflictError -> ALREADY_EXISTS,
JobQueueFullError and TooManyWatchersError -> RESOURCE_EXHAUSTED,
StoreUnavailableError -> UNAVAILABLE.
"""

from __future__ import annotations

from dispatch.errors import AlreadyExistsError, NotFoundError, QueueFullError, UnavailableError


class JobNotFoundError(NotFoundError):
    """No job with that id exists (never created, or deleted by retention)."""

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        super().__init__(f"No plan job with id {job_id!r}.")


class RequestIdConflictError(AlreadyExistsError):
    """A request_id was reused with a different request body.

    Idempotency only holds for the same request: silently returning the old job would hand the
    caller a plan for a problem it did not send.
    """

    def __init__(self, request_id: str, job_id: str) -> None:
        self.request_id = request_id
        self.job_id = job_id
        super().__init__(
            f"request_id {request_id!r} already names job {job_id!r} with a different request."
        )


class JobQueueFullError(QueueFullError):
    """queue_limit jobs are waiting already; the caller should retry later."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"The plan job queue is full ({limit} jobs waiting); retry later.")


class TooManyWatchersError(QueueFullError):
    """max_watchers watch streams are open; each holds a server thread, so no more are taken."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(f"{limit} job watches are open already; retry later or poll GetPlanJob.")


class StoreUnavailableError(UnavailableError):
    """The job store is closed, not started, or held by another server process."""
