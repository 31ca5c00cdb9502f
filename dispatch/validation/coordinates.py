"""WGS84 positions: in range, finite, and (for locations) one per location id.

Positions only draw maps and GeoJSON, so a bad one never reaches a solver; it is still an
INVALID_ARGUMENT naming the field, because a point at latitude 95 would put a truck off the
globe in every GIS tool the plan is exported to.
"""

from __future__ import annotations

from collections.abc import Sequence

from dispatch._proto.dispatch.v1 import common_pb2, emergency_pb2, routing_pb2
from dispatch.validation.common import Problems, show


def check_position(problems: Problems, path: str, point: common_pb2.LatLng, owner: str) -> None:
    """Latitude -90..90 and longitude -180..180 (NaN fails both comparisons)."""
    if not -90.0 <= point.latitude <= 90.0:
        problems.add(
            f"{path}.latitude",
            f"{owner} has latitude {point.latitude}; it must be between -90 and 90.",
        )
    if not -180.0 <= point.longitude <= 180.0:
        problems.add(
            f"{path}.longitude",
            f"{owner} has longitude {point.longitude}; it must be between -180 and 180.",
        )


def check_location_coordinates(
    problems: Problems,
    location_ids: Sequence[str],
    coordinates: Sequence[common_pb2.LatLng],
) -> None:
    """``location_coordinates`` is empty or parallel to ``location_ids``, every point in range."""
    if coordinates and len(coordinates) != len(location_ids):
        problems.add(
            "location_coordinates",
            f"There are {len(coordinates)} location coordinates for {len(location_ids)} "
            "location ids; give one per location id, in the same order, or none.",
        )
    for i, point in enumerate(coordinates):
        name = location_ids[i] if i < len(location_ids) else ""
        owner = f"Location {show(name)}" if name else f"Location coordinate {i}"
        check_position(problems, f"location_coordinates[{i}]", point, owner)
        if problems.full:
            return


def check_routing_coordinates(request: routing_pb2.PlanRoutesRequest, problems: Problems) -> None:
    """The coordinates of a PlanRoutes request (paths relative to the request)."""
    check_location_coordinates(problems, request.location_ids, request.location_coordinates)


def check_emergency_positions(
    request: emergency_pb2.AssignUnitsRequest, problems: Problems, placed_units: Sequence[int]
) -> None:
    """Positions of units and incidents, where given.

    Only items with a position are visited: most CAD requests carry none, and AssignUnits is
    latency-bound at thousands of units. ``placed_units`` are the units with one, from
    validation's one pass over the units; incidents are found by one ``HasField`` pass.
    """
    for kind, items in (("units", request.units), ("incidents", request.incidents)):
        noun = "Unit" if kind == "units" else "Incident"
        placed = (
            placed_units
            if kind == "units"
            else [i for i, item in enumerate(items) if item.HasField("position")]
        )
        for i in placed:
            item = items[i]
            path = f"{kind}[{i}].position"
            check_position(problems, path, item.position, f"{noun} {show(item.id)}")
            if problems.full:
                return
