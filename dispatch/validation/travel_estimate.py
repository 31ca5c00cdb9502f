"""``PlanRoutesRequest.travel_estimate``: one travel source, positions for every location, and
parameters inside the bounds routing.proto states.

The bounds are those that keep every estimated leg inside the matrices' int32 range for any
two points on Earth (40,000 km of plane x 5 detour at 5 km/h / 0.25 is 5.8e8 s < 2^31 - 1), so
an estimate can never build a leg a matrix could not carry. Positions in range are checked by
``coordinates`` for every request; here only their presence and count.
"""

from __future__ import annotations

import math

from dispatch._proto.dispatch.v1 import routing_pb2
from dispatch.errors import RequestTooLargeError
from dispatch.validation import limits
from dispatch.validation.common import Problems, check_enum, matrix_is_set, show
from solvers.routing.road_model import SLOW_KMH

#: Locations a request with an estimate may have: a location per stop, per vehicle start and
#: end and per facility at the request limits (no matrix grows with them).
MAX_ESTIMATED_LOCATIONS = limits.MAX_STOPS + 2 * limits.MAX_VEHICLES + limits.MAX_FACILITIES

#: Locations whose matrices are built from an estimate off the cluster: the limit of a request
#: that carries its matrix (10,000 locations are two 800 MB int64 matrices).
MAX_MATERIALISED_LOCATIONS = limits.MAX_LOCATIONS

#: field -> (lowest, highest) allowed when not 0 (0 takes the default).
_BOUNDS = {
    "detour_factor": (1.0, 5.0),
    "access_metres": (0.0, 5_000.0),
    "slow_kmh": (5.0, 150.0),
    "fast_kmh": (5.0, 150.0),
    "arterial_metres": (1.0, 1e6),
}
_SPEED_FACTOR = (0.25, 4.0)
_OWNER = "The travel estimate"


def location_limit(request: routing_pb2.PlanRoutesRequest) -> int:
    """The size limit on ``location_ids``: higher with an estimate, which needs no matrix."""
    if request.HasField("travel_estimate"):
        return MAX_ESTIMATED_LOCATIONS
    return limits.MAX_LOCATIONS


def too_big(n: int) -> str:
    """Why ``n`` locations' matrix is not built from an estimate, and what to do instead."""
    return (
        f"{n} locations exceed the limit of {MAX_MATERIALISED_LOCATIONS} for building the "
        "travel matrix from travel_estimate; submit it as a plan job to a server started with "
        "--ray-address, which decomposes it without a matrix."
    )


def check_materialisable(request: routing_pb2.PlanRoutesRequest, prefix: str = "") -> None:
    """RequestTooLargeError (RESOURCE_EXHAUSTED) for an estimate request whose matrix this call
    would have to build and may not: for the calls that never go to a cluster."""
    n = len(request.location_ids)
    if request.HasField("travel_estimate") and n > MAX_MATERIALISED_LOCATIONS:
        raise RequestTooLargeError(f"{prefix}travel_estimate", too_big(n))


def check_travel_estimate(request: routing_pb2.PlanRoutesRequest, problems: Problems) -> None:
    """Every problem of the estimate and of what it excludes (paths relative to the request)."""
    if not request.HasField("travel_estimate"):
        return
    estimate = request.travel_estimate
    if matrix_is_set(request.travel):
        problems.add(
            "travel_estimate", "Give either travel (a matrix) or travel_estimate, not both."
        )
    if request.vehicle_type_matrices:
        problems.add(
            "vehicle_type_matrices",
            "With travel_estimate, give vehicle type speeds in "
            "travel_estimate.vehicle_type_speeds, not matrices.",
        )
    if request.travel_periods:
        problems.add("travel_periods", "Time-of-day travel is not supported with travel_estimate.")
    if not request.location_coordinates and request.location_ids:
        problems.add(
            "location_coordinates",
            f"travel_estimate needs one position per location id ({len(request.location_ids)}).",
        )
    check_enum(
        problems,
        "travel_estimate.metric",
        estimate.metric,
        routing_pb2.TravelEstimate.Metric.DESCRIPTOR,
        _OWNER,
        required=False,
    )
    for field, (low, high) in _BOUNDS.items():
        value = getattr(estimate, field)
        if value != 0.0:  # NaN is not 0 and fails the range
            _check_range(problems, f"travel_estimate.{field}", value, low, high, field)
    slow = estimate.slow_kmh or SLOW_KMH
    if estimate.fast_kmh and estimate.fast_kmh < slow:
        problems.add(
            "travel_estimate.fast_kmh",
            f"{_OWNER} has fast_kmh {estimate.fast_kmh} below slow_kmh {slow}.",
        )
    _vehicle_type_speeds(request, problems)


def _check_range(
    problems: Problems, path: str, value: float, low: float, high: float, what: str
) -> None:
    if not (math.isfinite(value) and low <= value <= high):
        problems.add(path, f"{_OWNER} has {what} {value}; it must be 0 (default) or {low}..{high}.")


def _vehicle_type_speeds(request: routing_pb2.PlanRoutesRequest, problems: Problems) -> None:
    """Each factor names a type some vehicle has, once, with a factor in range."""
    used = {v.vehicle_type for v in request.vehicles if v.vehicle_type}
    seen: set[str] = set()
    low, high = _SPEED_FACTOR
    for i, typed in enumerate(request.travel_estimate.vehicle_type_speeds):
        path = f"travel_estimate.vehicle_type_speeds[{i}]"
        name = typed.vehicle_type
        if not name:
            problems.add(f"{path}.vehicle_type", f"Vehicle type speed {i} names no vehicle type.")
        elif name in seen:
            problems.add(f"{path}.vehicle_type", f"Duplicate vehicle type: {show(name)}.")
        elif name not in used:
            problems.add(f"{path}.vehicle_type", f"No vehicle has vehicle type {show(name)}.")
        seen.add(name)
        if typed.speed_factor != 0.0:
            _check_range(
                problems, f"{path}.speed_factor", typed.speed_factor, low, high, "speed_factor"
            )
        if problems.full:
            return
