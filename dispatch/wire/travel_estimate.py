"""``PlanRoutesRequest.travel_estimate`` on the wire: the request's positions and parameters as
the solvers' :class:`~solvers.routing.decompose.travel.CoordinateTravel`.

Two uses. A server with a Ray cluster decomposes a big request through the model itself and
never builds its matrix (``dispatch.cluster.routing``). Every other solve (PlanRoutes,
EvaluatePlan, AdviseInsertion, a small plan job) gets ordinary matrices from
:func:`estimate_matrices`, so those paths stay exactly as they are for a matrix request, up to
:data:`~dispatch.validation.travel_estimate.MAX_MATERIALISED_LOCATIONS` (the largest matrix a
request may carry).
"""

from __future__ import annotations

import numpy as np

from dispatch._proto.dispatch.v1 import routing_pb2
from dispatch.validation.travel_estimate import MAX_MATERIALISED_LOCATIONS, too_big
from solvers.errors import FieldProblem, InvalidProblemError
from solvers.routing.decompose.travel import CoordinateTravel, materialise, project_wgs84
from solvers.routing.road_model import (
    ACCESS_M,
    ARTERIAL_M,
    DETOUR,
    FAST_KMH,
    SLOW_KMH,
    RoadModel,
)

__all__ = ["estimate_matrices", "estimate_model", "road_model"]


def road_model(estimate: routing_pb2.TravelEstimate) -> RoadModel:
    """The estimate's parameters, each default where it is 0 (validated before)."""
    slow = estimate.slow_kmh or SLOW_KMH
    return RoadModel(
        detour=estimate.detour_factor or DETOUR,
        access_m=estimate.access_metres or ACCESS_M,
        slow_kmh=slow,
        fast_kmh=estimate.fast_kmh or max(FAST_KMH, slow),
        arterial_m=estimate.arterial_metres or ARTERIAL_M,
        straight=estimate.metric == routing_pb2.TravelEstimate.STRAIGHT_LINE,
    )


def estimate_model(
    request: routing_pb2.PlanRoutesRequest,
) -> tuple[CoordinateTravel, dict[str, int]]:
    """The travel model of a validated request with an estimate, and each vehicle type's
    profile (profile 0: factor 1, for vehicles without a listed type)."""
    estimate = request.travel_estimate
    coordinates = request.location_coordinates
    latitudes = np.fromiter((c.latitude for c in coordinates), np.float64, len(coordinates))
    longitudes = np.fromiter((c.longitude for c in coordinates), np.float64, len(coordinates))
    speeds = estimate.vehicle_type_speeds
    types = {typed.vehicle_type: k + 1 for k, typed in enumerate(speeds)}
    factors = (1.0, *(typed.speed_factor or 1.0 for typed in speeds))
    points = project_wgs84(latitudes, longitudes)
    return CoordinateTravel(points, factors, road_model(estimate)), types


def estimate_matrices(
    request: routing_pb2.PlanRoutesRequest, path: str = ""
) -> tuple[list[np.ndarray], list[np.ndarray | None], dict[str, int]]:
    """Durations and distances per profile, as a matrix request would give them.

    Above MAX_MATERIALISED_LOCATIONS raises InvalidProblemError (it crosses the worker
    processes with its field path; PlanRoutes, EvaluatePlan and CreatePlanJob refuse such a
    request earlier, RESOURCE_EXHAUSTED, by ``check_materialisable``; a job queued before that
    check existed still ends here): only a server with a cluster, which never builds the
    matrix, solves it.
    """
    n = len(request.location_ids)
    if n > MAX_MATERIALISED_LOCATIONS:
        raise InvalidProblemError(FieldProblem(f"{path}travel_estimate", too_big(n)))
    travel, types = estimate_model(request)
    durations, distances = materialise(travel)
    return durations, distances, types
