"""Validation of PlanRoutesRequest.reference_plan (the plan the crews have now).

Lenient on ids, strict on shape: the reference plan is this morning's plan, so a stop or vehicle
the request no longer has is allowed (it shows in the diff as dropped or untimed). What makes
the plan contradict itself is INVALID_ARGUMENT with its field path: a vehicle with two routes, a
stop in two places, a visit without an id or of a kind a route cannot hold.
"""

from __future__ import annotations

from dispatch._proto.dispatch.v1 import routing_pb2
from dispatch.validation import limits
from dispatch.validation.common import Problems, show

__all__ = ["check_reference_plan", "check_reference_size"]

_KINDS = {routing_pb2.Visit.STOP, routing_pb2.Visit.FACILITY, routing_pb2.Visit.BREAK}


def check_reference_size(request: routing_pb2.PlanRoutesRequest, prefix: str = "") -> None:
    """Raise RequestTooLargeError when the reference plan is larger than any plan may be."""
    path = f"{prefix}reference_plan.routes"
    routes = request.reference_plan.routes
    visits = sum(len(route.visits) for route in routes)
    limits.check_count(path, visits, limits.MAX_PLANNED_VISITS, "planned visits")
    limits.check_count(path, len(routes), limits.MAX_VEHICLES, "routes")


def _check_id(problems: Problems, path: str, value: str, what: str) -> bool:
    """A non-empty, bounded id; False when it is not usable."""
    if not value:
        problems.add(path, f"{what} names no id.")
        return False
    if len(value) > limits.MAX_ID_LENGTH:
        problems.add(path, f"{what} has an id longer than {limits.MAX_ID_LENGTH}.")
        return False
    return True


def check_reference_plan(request: routing_pb2.PlanRoutesRequest, problems: Problems) -> None:
    """Every problem of the reference plan's shape into ``problems`` (ids may be unknown)."""
    if not request.HasField("reference_plan"):
        return
    path = "reference_plan.routes"
    vehicles: dict[str, int] = {}
    stops: dict[str, str] = {}
    for i, route in enumerate(request.reference_plan.routes):
        where = f"{path}[{i}]"
        if _check_id(problems, f"{where}.vehicle_id", route.vehicle_id, f"Reference route {i}"):
            if route.vehicle_id in vehicles:
                problems.add(
                    f"{where}.vehicle_id",
                    f"Vehicle {show(route.vehicle_id)} already has a reference route "
                    f"({path}[{vehicles[route.vehicle_id]}]).",
                )
            vehicles.setdefault(route.vehicle_id, i)
        owner = f"Reference route of {show(route.vehicle_id)}"
        for j, visit in enumerate(route.visits):
            at = f"{where}.visits[{j}]"
            if visit.kind not in _KINDS:
                problems.add(
                    f"{at}.kind", f"{owner} has a visit that is not STOP, FACILITY or BREAK."
                )
                continue
            if not _check_id(problems, f"{at}.id", visit.id, f"{owner}, visit {j},"):
                continue
            if visit.kind == routing_pb2.Visit.STOP:
                if visit.id in stops:
                    problems.add(
                        f"{at}.id", f"Stop {show(visit.id)} is already in {stops[visit.id]}."
                    )
                stops.setdefault(visit.id, at)
            if problems.full:
                return
