"""Errors of the job service, as subclasses of the service errors ``dispatch/errors.py`` maps.

JobNotFoundError -> NOT_FOUND, RequestIdConflictError -> ALREADY_EXISTS,
JobQueueFullError, JobStoreFullError and TooManyWatchersError -> RESOURCE_EXHAUSTED,
StoreUnavailableError (and its StoreUnusableError, StoreInUseError) -> UNAVAILABLE.
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


class JobStoreFullError(QueueFullError):
    """The store holds ``quota`` bytes or more already; a new job would grow it past its quota.

    Finished jobs leave by retention and the payloads of cancelled and failed jobs are dropped
    when they end, so room comes back without an operator.
    """

    def __init__(self, quota: int, used: int, incoming: int) -> None:
        self.quota = quota
        self.used = used
        self.incoming = incoming
        super().__init__(
            f"The plan job store is full: {used} bytes in use plus this request's {incoming} "
            f"bytes exceed its quota of {quota} bytes; retry later."
        )


class StoreUnavailableError(UnavailableError):
    """The job store is closed, not started, unusable, or held by another server process."""


class StoreUnusableError(StoreUnavailableError):
    """The store file cannot be used as a job store: unreadable, not a regular file, empty, not
    a dispatch job store, of a newer schema, or failing its integrity check.

    The server keeps serving everything else and answers the job RPCs UNAVAILABLE with this
    message: emergency dispatch must not go down with a damaged file, and the file is left as it
    is for the operator (never reset, since resetting would silently lose every job).
    """


class StoreInUseError(StoreUnavailableError):
    """Another server process holds the store (the same file, by whatever path it was reached)."""
