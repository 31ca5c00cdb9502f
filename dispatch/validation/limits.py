"""Size limits of one request, the check that enforces them, and the bounds of every number.

A request over a size limit is answered RESOURCE_EXHAUSTED (``RequestTooLargeError``), not
INVALID_ARGUMENT: it may be perfectly well formed, the service just will not take it in one call.
The limits sit well above the largest workloads we plan for (a 2000-location sanitation night,
a 2000-unit emergency board) and well below what would exhaust memory or the message size.

Value bounds (a value outside them is INVALID_ARGUMENT naming its field; the proto comments
state them) keep every coefficient an engine derives from one field, and every single arc, visit
or slot cost, inside the engines' integer arithmetic for any request within the size limits;
the two totals keep the summed fixed costs and penalties inside it too. Money is in the request's
own currency units (routing objective units). The tightest engine is OR-Tools routing, which
counts COST_SCALE = 360 000 model units per currency unit in int64 (max 9.2e18) and caps the
penalty of a mandatory stop at 2**61 (2.3e18):

* ``MAX_COST`` 1e9 (fixed_cost, skip_penalty): 3.6e14 model units each.
* ``MAX_COST_RATE`` 1e6 per hour and per km: 1e8 model units per second and 3.6e8 per metre, so
  one arc at the type limits (2**32 s of travel plus service, 2**31 m) costs at most 1.2e18, a
  sixth of int64. (OR-Tools builds its arc cost matrices in numpy int64, which would wrap
  silently, not fail.)
* ``MAX_TOTAL_SKIP_PENALTY`` and ``MAX_TOTAL_FIXED_COST`` 1e12 each: together at most 7.2e17
  model units, below the 2**61 mandatory-stop penalty, so no amount of optional work outweighs a
  mandatory stop (20 000 stops x 1e9 alone would be 7.2e18).
* ``MAX_DEMAND`` 1e9 and ``MAX_CAPACITY`` 1e12 load units: total demand of the largest request is
  2e13, far inside int64 for the load dimensions (OR-Tools, PyVRP) and the checker's sums, and
  exact in MILP's doubles. (A demand of 2**63-1 overflowed the checker: INTERNAL.)
* Times and durations: 0..``MAX_TIME`` (2**31-1 s) as before; matrices are int32 by type.
* Soft time windows: late and early costs per hour up to ``MAX_COST_RATE`` and allowances that
  keep every start inside 0..``MAX_TIME``: one visit's soft cost is at most 1e8 x 2**31 = 2.1e17
  model units, like one arc.
* ``MAX_PRIORITY`` 1000: the assignment weights w(p) = P + 1 - p multiply travel times; with
  P <= 1000 a weighted time, even summed over the largest board (1000 x 2**31 x 20 000 = 4.3e16),
  stays far inside the 2**62 guard of ``solvers.assignment.arcs`` (priority 2**31-1 tripped it:
  every exact engine declined and greedy answered).
* ``MAX_REQUIREMENT_COUNT`` (requirement count, coverage min_units) = ``MAX_UNITS``: no more units
  than a request may hold could ever fill it.

PyVRP scales every rate by the lcm of their denominators; with costs given to the cent that
factor is at most 1.8e6, so a 1e9 penalty is 1.8e15 and the 1e12 totals 1.8e18, inside int64.
MILP works in doubles and only needs the values finite and moderate.

What no per-field bound can cap depends on the travel matrices or on how the costs are written:
OR-Tools' vehicle-minimising bonus (MIN_VEHICLES_THEN_COST) is a bound on every route's cost,
longest arc x nodes, summed over vehicles, and overflows int64 when a matrix holds huge entries
(an unreachable pair marked 2**31-1) at high rates; PyVRP's common factor grows with every
distinct fraction among the costs. The engine then raises, and the portfolio answers with
another engine (a normal, verified answer, flagged in ``fallback_reason``).
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
#: Characters of a ListPlanJobs page_token (the service's own tokens are under 100).
MAX_PAGE_TOKEN_LENGTH = 512
#: Value bounds (see the module docstring for why these numbers are safe for every engine).
MAX_COST = 1e9  # fixed_cost of a vehicle, skip_penalty of a stop (currency units)
MAX_COST_RATE = 1e6  # cost_per_hour and cost_per_km (currency units per hour / per km)
MAX_TOTAL_SKIP_PENALTY = 1e12  # skip penalties of the optional stops of one request, summed
MAX_TOTAL_FIXED_COST = 1e12  # fixed costs of the vehicles of one request, summed
MAX_DEMAND = 10**9  # a stop's demand per load dimension (load units)
MAX_CAPACITY = 10**12  # a vehicle's capacity or daily capacity per load dimension (load units)
MAX_PRIORITY = 1000  # incident priority (1 = most urgent)
MAX_REQUIREMENT_COUNT = MAX_UNITS  # units an incident requirement or a coverage rule asks for


def check_count(path: str, count: int, limit: int, what: str) -> None:
    """Raise RequestTooLargeError when ``count`` exceeds ``limit``."""
    if count > limit:
        raise RequestTooLargeError(path, f"{count} {what} exceed the limit of {limit} per request.")
