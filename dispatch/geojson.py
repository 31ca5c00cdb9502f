"""GeoJSON (RFC 7946) of a plan: routes and visits, or assignments of units to incidents.

GIS tools are where a city's planners already look, so a plan exported here opens in QGIS or
geojson.io with no conversion. RFC 7946 fixes the shape: one ``FeatureCollection``,
positions as ``[longitude, latitude]`` in WGS84, no ``crs`` member. Positions come from the
request (``location_coordinates``, ``Unit.position``, ``Incident.position``); the answer only
names places, so both are needed. Times are given as offsets (seconds, as in the contract) and
as clock times (ISO 8601 when the request has ``horizon_start``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from google.protobuf.message import Message

from dispatch._proto.dispatch.v1 import emergency_pb2, jobs_pb2, routing_pb2
from dispatch.render.clock import Clock

Position = tuple[float, float]  # (longitude, latitude), the GeoJSON order
Routes = Sequence[routing_pb2.Route]


class NoCoordinatesError(ValueError):
    """The request carries no positions, so there is nothing to place on a map."""


def routing_problem(request: Message) -> routing_pb2.PlanRoutesRequest:
    """The PlanRoutesRequest inside any routing request (EvaluatePlan, CreatePlanJob)."""
    if isinstance(request, routing_pb2.EvaluatePlanRequest):
        return request.problem
    if isinstance(request, jobs_pb2.CreatePlanJobRequest):
        return request.request
    if isinstance(request, routing_pb2.PlanRoutesRequest):
        return request
    raise TypeError(f"not a routing request: {type(request).__name__}")


def clock_of(request: Message, tz: Any = None) -> Clock:
    """The clock of any request: its horizon start (or of the problem it wraps)."""
    inner = request
    if not isinstance(request, emergency_pb2.AssignUnitsRequest):
        inner = routing_problem(request)
    start = inner.horizon_start if inner.HasField("horizon_start") else None  # type: ignore[attr-defined]
    return Clock.of(start) if tz is None else Clock.of(start, tz)


def location_positions(problem: routing_pb2.PlanRoutesRequest) -> dict[str, Position]:
    """Location id -> (lon, lat); empty when the request has no coordinates."""
    return {
        location: (point.longitude, point.latitude)
        for location, point in zip(problem.location_ids, problem.location_coordinates, strict=False)
    }


def _position(placed: emergency_pb2.Unit | emergency_pb2.Incident) -> Position:
    return (placed.position.longitude, placed.position.latitude)


def _positions(
    placed: Iterable[emergency_pb2.Unit] | Iterable[emergency_pb2.Incident],
) -> dict[str, Position]:
    """Id -> (lon, lat) of the units or incidents that have a position (the others are left
    off the map)."""
    return {x.id: _position(x) for x in placed if x.HasField("position")}


def has_coordinates(request: Message) -> bool:
    """True when a map can be drawn: locations, or some units or incidents, have positions."""
    if isinstance(request, emergency_pb2.AssignUnitsRequest):
        return any(x.HasField("position") for x in [*request.units, *request.incidents])
    return bool(routing_problem(request).location_coordinates)


def require_coordinates(request: Message) -> None:
    """Raise NoCoordinatesError naming the fields to fill when nothing can be placed."""
    if has_coordinates(request):
        return
    if isinstance(request, emergency_pb2.AssignUnitsRequest):
        where = "units[].position and incidents[].position"
    else:
        where = "location_coordinates (one per location id)"
    raise NoCoordinatesError(f"the request has no coordinates; set {where} to draw a map")


def _feature(geometry: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {"type": "Feature", "geometry": geometry, "properties": properties}


def _point(position: Position) -> dict[str, Any]:
    return {"type": "Point", "coordinates": list(position)}


def _line(positions: Iterable[Position]) -> dict[str, Any]:
    """A LineString without repeated consecutive points (a break is taken where one stands)."""
    coordinates: list[list[float]] = []
    for position in positions:
        if not coordinates or coordinates[-1] != list(position):
            coordinates.append(list(position))
    if len(coordinates) == 1:  # RFC 7946: a LineString needs two positions
        coordinates.append(coordinates[0])
    return {"type": "LineString", "coordinates": coordinates}


def _collection(features: list[dict[str, Any]], **members: Any) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": features, **members}


def enum_name(enum: Any, value: int) -> str:
    """The name of an enum value; the number only when the contract has no such value."""
    values = enum.DESCRIPTOR.values_by_number
    return values[value].name if value in values else str(value)


def _visit_kind(kind: int) -> str:
    return enum_name(routing_pb2.Visit.Kind, kind).lower()


def routing_collection(
    request: Message,
    routes: Routes,
    skipped: Sequence[routing_pb2.SkippedStop] = (),
    clock: Clock | None = None,
) -> dict[str, Any]:
    """Routes as LineStrings and visits as Points; skipped stops as Points with their reason."""
    require_coordinates(request)
    problem = routing_problem(request)
    clock = clock or clock_of(request)
    where = location_positions(problem)
    features: list[dict[str, Any]] = []
    for route in routes:
        placed = [v for v in route.visits if v.location_id in where]
        features.append(
            _feature(
                _line(where[v.location_id] for v in placed),
                kind="route",
                vehicle_id=route.vehicle_id,
                stops=route.totals.stops,
                trips=route.totals.trips,
                duration_seconds=route.totals.duration,
                travel_metres=route.totals.travel_metres,
                cost=route.totals.cost,
            )
        )
        for sequence, visit in enumerate(route.visits):
            if visit.location_id not in where:
                continue
            features.append(
                _feature(
                    _point(where[visit.location_id]),
                    kind=_visit_kind(visit.kind),
                    id=visit.id,
                    location_id=visit.location_id,
                    vehicle_id=route.vehicle_id,
                    sequence=sequence,
                    arrival_seconds=visit.arrival,
                    service_start_seconds=visit.service_start,
                    service_end_seconds=visit.service_end,
                    arrival=clock.iso(visit.arrival),
                    service_start=clock.iso(visit.service_start),
                )
            )
    stop_locations = {s.id: s.location_id for s in problem.stops}
    for stop in skipped:
        location = stop_locations.get(stop.stop_id, "")
        if location in where:
            features.append(
                _feature(
                    _point(where[location]),
                    kind="skipped_stop",
                    id=stop.stop_id,
                    location_id=location,
                    reason=enum_name(routing_pb2.SkippedStop.Reason, stop.reason),
                    detail=stop.detail,
                )
            )
    return _collection(features)


def emergency_collection(
    request: emergency_pb2.AssignUnitsRequest,
    answer: emergency_pb2.AssignUnitsResponse,
) -> dict[str, Any]:
    """Incidents and units as Points, each assignment as a unit -> incident LineString."""
    require_coordinates(request)
    incidents = {x.id: x for x in request.incidents}
    incident_at, unit_at = _positions(request.incidents), _positions(request.units)
    sent_to = {u.unit_id: a.incident_id for a in answer.incidents for u in a.units}
    features: list[dict[str, Any]] = []
    for decision in answer.incidents:
        target = incident_at.get(decision.incident_id)
        if target is None:
            continue
        incident = incidents[decision.incident_id]
        features.append(
            _feature(
                _point(target),
                kind="incident",
                id=incident.id,
                priority=incident.priority,
                fully_staffed=decision.fully_staffed,
                unfilled_slots=sum(s.count for s in decision.unfilled),
                last_arrival_seconds=decision.last_arrival_seconds,
            )
        )
        for assigned in decision.units:
            origin = unit_at.get(assigned.unit_id)
            if origin is None:
                continue
            features.append(
                _feature(
                    _line([origin, target]),
                    kind="assignment",
                    unit_id=assigned.unit_id,
                    incident_id=incident.id,
                    capability=assigned.capability,
                    eta_seconds=assigned.eta_seconds,
                    within_target=assigned.within_target,
                    reassigned=assigned.reassigned,
                )
            )
    for unit in request.units:
        if unit.HasField("position"):
            features.append(
                _feature(
                    _point(_position(unit)),
                    kind="unit",
                    id=unit.id,
                    agency=unit.agency,
                    status=enum_name(emergency_pb2.Unit.Status, unit.status),
                    capabilities=list(unit.capabilities),
                    assigned_incident_id=sent_to.get(unit.id, ""),
                )
            )
    return _collection(features)


def collection(request: Message, answer: Message, clock: Clock | None = None) -> dict[str, Any]:
    """The FeatureCollection of any answer with its request (routing or emergency)."""
    if isinstance(answer, emergency_pb2.AssignUnitsResponse):
        assert isinstance(request, emergency_pb2.AssignUnitsRequest)
        return emergency_collection(request, answer)
    if isinstance(answer, routing_pb2.PlanRoutesResponse):
        return routing_collection(request, answer.routes, answer.skipped_stops, clock)
    if isinstance(answer, routing_pb2.EvaluatePlanResponse):
        return routing_collection(request, answer.routes, (), clock)
    raise TypeError(f"no GeoJSON for {type(answer).__name__}")
