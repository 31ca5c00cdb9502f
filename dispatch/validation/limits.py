"""Size limits of one request, and the check that enforces them before anything else runs.

A request over a limit is answered RESOURCE_EXHAUSTED (``RequestTooLargeError``), not
INVALID_ARGUMENT: it may be perfectly well formed, the service just will not take it in one call.
The limits sit well above the largest workloads we plan for (a 2000-location sanitation night,
a 2000-unit emergency board) and well below what would exhaust memory or the message size.
"""

from __future__ import annotations

from dispatch.errors import RequestTooLargeError

#: PlanRoutes / EvaluatePlan
MAX_LOCATIONS = 10_000
MAX_STOPS = 20_000
MAX_VEHICLES = 5_000
MAX_FACILITIES = 1_000
MAX_VEHICLE_TYPE_MATRICES = 32
MAX_LOAD_DIMENSIONS = 16
MAX_TIME_WINDOWS_PER_STOP = 64
MAX_BREAKS_PER_VEHICLE = 16
MAX_PLANNED_VISITS = 100_000  # over all routes of a plan or warm start
#: AssignUnits
MAX_UNITS = 20_000
MAX_INCIDENTS = 5_000
MAX_UNIT_INCIDENT_PAIRS = 10_000_000  # cells of unit_to_incident (40 MB as bytes)
MAX_DISTRICTS = 1_000
MAX_UNIT_DISTRICT_PAIRS = 10_000_000
MAX_COVERAGE_RULES = 10_000
MAX_REQUIREMENTS_PER_INCIDENT = 64
#: Everywhere
MAX_STRINGS_PER_LIST = 256  # capabilities of a unit, skills of a vehicle or stop
MAX_ID_LENGTH = 256  # characters of any id, name or label
MAX_TIME_BUDGET_SECONDS = 3600
MAX_TIME = 2**31 - 1  # seconds from the time origin (68 years); fits the solvers' int arithmetic
MAX_PAGE_SIZE = 500


def check_count(path: str, count: int, limit: int, what: str) -> None:
    """Raise RequestTooLargeError when ``count`` exceeds ``limit``."""
    if count > limit:
        raise RequestTooLargeError(path, f"{count} {what} exceed the limit of {limit} per request.")
