"""A generated night as a PlanRoutesRequest, for the server path (``dispatch jobs submit``).

Two travel forms (``travel``):

* ``matrix``: the full matrices in the bytes encoding, 8 bytes per location pair for seconds
  and metres, so the server's default 128 MiB message limit holds about 4,000 locations and
  protobuf's 2 GB about 16,000 (``--max-message-bytes`` on both sides).
* ``estimate``: the locations' positions and a ``TravelEstimate`` with the generator's own
  road model (Manhattan x 1.25 + 150 m, 30-40 km/h): about 250 bytes per stop, so a
  20,000-stop night is a few MB. The generator's planar metres are placed as WGS84 positions
  around :data:`CENTRE` by the inverse of the server's local projection, so the server's
  estimate reproduces the generator's travel times (to rounding).
"""

from __future__ import annotations

import numpy as np

from benchmarks.readers.common import skeleton, window
from dispatch._proto.dispatch.v1 import routing_pb2
from solvers.routing.decompose import LargeProblem
from solvers.routing.decompose.travel import EARTH_RADIUS_M
from solvers.routing.road_model import ACCESS_M, ARTERIAL_M, DETOUR, FAST_KMH, SLOW_KMH

#: (latitude, longitude) the generated city is placed around (Brussels).
CENTRE = (50.85, 4.35)
TRAVEL_FORMS = ("matrix", "estimate")


def to_request(
    large: LargeProblem, budget_seconds: float, travel: str = "matrix"
) -> routing_pb2.PlanRoutesRequest:
    """The whole night as one request, with matrices from the travel model or (``estimate``)
    with the positions and the model's parameters."""
    ids = list(large.location_ids)
    if travel == "estimate":
        request = skeleton(
            large.label, routing_pb2.SANITATION, ids, *_empty(), False, list(large.dimensions)
        )
        request.ClearField("travel")
        _add_estimate(request, large)
    else:
        every = np.arange(len(ids), dtype=np.int64)
        seconds, metres = large.travel.block(0, every, every)
        if metres is None:
            metres = np.zeros_like(seconds)
        request = skeleton(
            large.label, routing_pb2.SANITATION, ids, seconds, metres, False, list(large.dimensions)
        )
    for v in large.vehicles:
        request.vehicles.add(
            id=v.id,
            start_location_id=ids[v.start],
            end_location_id=ids[v.end],
            shift=window(v.shift.start, v.shift.end),
            capacities=list(v.capacities or ()),
            breaks=[
                routing_pb2.Break(
                    id=b.id,
                    start_window=window(b.start_window.start, b.start_window.end),
                    duration=b.duration,
                )
                for b in v.breaks
            ],
        )
    for f in large.facilities:
        opening = window(f.opening.start, f.opening.end) if f.opening else None
        request.facilities.add(
            id=f.id, location_id=ids[f.location], opening=opening, unload_duration=f.unload_duration
        )
    for s in large.stops:
        request.stops.add(
            id=s.id,
            location_id=ids[s.location],
            demands=list(s.demands),
            service_duration=s.service_duration,
            time_windows=[window(w.start, w.end) for w in s.time_windows],
        )
    request.options.time_budget.seconds = int(budget_seconds)
    return request


def _empty() -> tuple[np.ndarray, np.ndarray]:
    return np.zeros((0, 0), dtype=np.int64), np.zeros((0, 0), dtype=np.int64)


def _add_estimate(request: routing_pb2.PlanRoutesRequest, large: LargeProblem) -> None:
    """Positions around CENTRE for the night's planar points, and the generator's road model."""
    if large.points is None:
        raise ValueError(f"{large.label}: no planar points to place")
    points = np.asarray(large.points, dtype=np.float64)
    east, north = (points - points.mean(axis=0)).T
    lat0, lon0 = CENTRE
    latitudes = lat0 + np.degrees(north / EARTH_RADIUS_M)
    longitudes = lon0 + np.degrees(east / (EARTH_RADIUS_M * np.cos(np.radians(lat0))))
    for lat, lon in zip(latitudes, longitudes, strict=True):
        request.location_coordinates.add(latitude=float(lat), longitude=float(lon))
    request.travel_estimate.CopyFrom(
        routing_pb2.TravelEstimate(
            metric=routing_pb2.TravelEstimate.MANHATTAN,
            detour_factor=DETOUR,
            access_metres=ACCESS_M,
            slow_kmh=SLOW_KMH,
            fast_kmh=FAST_KMH,
            arterial_metres=ARTERIAL_M,
        )
    )
