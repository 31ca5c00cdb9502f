"""Durable plan jobs: a SQLite store (or a PostgreSQL one shared by replicas), bounded job slots
over RoutingService, and watchers."""

from dispatch.jobs.errors import JobNotFoundError as JobNotFoundError
from dispatch.jobs.errors import JobQueueFullError as JobQueueFullError
from dispatch.jobs.errors import RequestIdConflictError as RequestIdConflictError
from dispatch.jobs.errors import StoreUnavailableError as StoreUnavailableError
from dispatch.jobs.errors import TooManyWatchersError as TooManyWatchersError
from dispatch.jobs.service import JobService as JobService
from dispatch.jobs.store import JobStore as JobStore
