"""A small sanitation request and plans for it, shared by the EvaluatePlan tests.

Depot L0, stops on a line (10 s and 1000 m per step), a disposal site at L5. Truck t1 carries
5 units per trip, has a daily capacity of 9 and a lunch break window [300, 400].
"""

from __future__ import annotations

import numpy as np

from dispatch._proto.dispatch.v1 import routing_pb2
from dispatch.wire import matrices

Visit = routing_pb2.Visit


def line_request(n_locations: int = 6) -> routing_pb2.PlanRoutesRequest:
    """The sanitation request described in the module docstring."""
    steps = np.abs(np.arange(n_locations)[:, None] - np.arange(n_locations)[None, :])
    request = routing_pb2.PlanRoutesRequest(
        label="line",
        workload=routing_pb2.SANITATION,
        location_ids=[f"L{i}" for i in range(n_locations)],
        travel=matrices.encode(steps * 10, steps * 1000),
        load_dimensions=["bins"],
    )
    request.vehicles.add(
        id="t1",
        start_location_id="L0",
        end_location_id="L0",
        shift={"start": 0, "end": 1000},
        capacities=[5],
        daily_capacities=[9],
        skills=["lift"],
        fixed_cost=100.0,
        cost_per_hour=36.0,
        cost_per_km=2.0,
        max_route_duration=900,
        max_stops=3,
        breaks=[
            routing_pb2.Break(id="lunch", start_window={"start": 300, "end": 400}, duration=60)
        ],
    )
    request.vehicles.add(
        id="t2",
        start_location_id="L0",
        end_location_id="L0",
        shift={"start": 0, "end": 1000},
        capacities=[5],
        fixed_cost=100.0,
    )
    request.stops.add(
        id="s1",
        location_id="L1",
        demands=[3],
        service_duration=20,
        time_windows=[{"start": 0, "end": 500}],
    )
    request.stops.add(
        id="s2", location_id="L2", demands=[2], service_duration=20, required_skills=["lift"]
    )
    request.stops.add(
        id="s3", location_id="L3", demands=[4], service_duration=20, allowed_vehicle_ids=["t1"]
    )
    request.stops.add(
        id="s4",
        location_id="L4",
        demands=[1],
        service_duration=20,
        optional=True,
        skip_penalty=50.0,
    )
    request.facilities.add(
        id="dump", location_id="L5", unload_duration=30, opening={"start": 0, "end": 900}
    )
    return request


def visit(kind: int, id: str) -> routing_pb2.PlannedVisit:
    """A planned visit by kind and id."""
    return routing_pb2.PlannedVisit(kind=kind, id=id)


def good_routes() -> list[routing_pb2.PlannedRoute]:
    """A feasible plan: t1 takes s1, s2, unloads, lunch, s3, unloads; s4 is skipped."""
    return [
        routing_pb2.PlannedRoute(
            vehicle_id="t1",
            visits=[
                visit(Visit.STOP, "s1"),
                visit(Visit.STOP, "s2"),
                visit(Visit.FACILITY, "dump"),
                visit(Visit.BREAK, "lunch"),
                visit(Visit.STOP, "s3"),
                visit(Visit.FACILITY, "dump"),
            ],
        )
    ]


def evaluate_request(routes, problem=None) -> routing_pb2.EvaluatePlanRequest:
    """An EvaluatePlanRequest for ``routes`` on the line request."""
    return routing_pb2.EvaluatePlanRequest(
        label="eval", request_id="r-1", problem=problem or line_request(), routes=routes
    )
