"""A dispatcher's hand-made plan for the sanitation example (the "before" of before/after).

Kept apart from generate.py, which writes it as examples/sanitation_dispatcher_plan.json.
"""

from __future__ import annotations

import math

from dispatch._proto.dispatch.v1 import common_pb2, routing_pb2

TRANSFER = "transfer-station-east"
UNLOAD_SECONDS = 900
BREAK_AFTER = 10800  # 01:00 local: the meal break window opens
BREAK_SECONDS = 1800


def manual_plan(
    request: routing_pb2.PlanRoutesRequest, centre: common_pb2.LatLng
) -> routing_pb2.EvaluatePlanRequest:
    """The night's routes as a dispatcher draws them by hand, for before/after comparisons.

    Routes only (no ``problem``): ``dispatch render examples/sanitation.json --before
    examples/sanitation_dispatcher_plan.json`` evaluates them against the sanitation example.
    The dispatcher's habits: every truck goes out; the city is cut into four sectors around the
    centre, one per truck; each truck drives to the nearest next stop, unloads at the always-open
    transfer station when the next bin would not fit, takes the meal break once 01:00 has passed,
    and unloads before going home.
    """
    index = {location: i for i, location in enumerate(request.location_ids)}
    n = len(request.location_ids)
    seconds = list(request.travel.durations)
    where = {
        loc: (c.longitude, c.latitude)
        for loc, c in zip(request.location_ids, request.location_coordinates, strict=True)
    }

    def sector(stop: routing_pb2.Stop) -> int:
        lon, lat = where[stop.location_id]
        angle = math.atan2(lat - centre.latitude, lon - centre.longitude)
        return int((angle + math.pi) / (2 * math.pi) * 4) % 4

    plan = routing_pb2.EvaluatePlanRequest(
        label="Night collection 2026-03-14, dispatcher's manual plan",
        request_id="sanitation-20260314-night-manual",
    )
    for k, vehicle in enumerate(request.vehicles):
        todo = [s for s in request.stops if sector(s) == k]
        route = plan.routes.add(vehicle_id=vehicle.id)
        here, clock, load, on_break = vehicle.start_location_id, 0, [0, 0], False
        while todo:
            stop = min(todo, key=lambda s: seconds[index[here] * n + index[s.location_id]])
            todo.remove(stop)
            if any(
                a + d > c for a, d, c in zip(load, stop.demands, vehicle.capacities, strict=True)
            ):
                route.visits.add(kind=routing_pb2.Visit.FACILITY, id=TRANSFER)
                clock += seconds[index[here] * n + index[TRANSFER]] + UNLOAD_SECONDS
                here, load = TRANSFER, [0, 0]
            clock += seconds[index[here] * n + index[stop.location_id]] + stop.service_duration
            here, load = stop.location_id, [a + d for a, d in zip(load, stop.demands, strict=True)]
            route.visits.add(kind=routing_pb2.Visit.STOP, id=stop.id)
            if clock >= BREAK_AFTER and not on_break:
                route.visits.add(kind=routing_pb2.Visit.BREAK, id="meal-break")
                clock, on_break = clock + BREAK_SECONDS, True
        if not on_break:
            route.visits.add(kind=routing_pb2.Visit.BREAK, id="meal-break")
        route.visits.add(kind=routing_pb2.Visit.FACILITY, id=TRANSFER)
    return plan
