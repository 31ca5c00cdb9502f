"""Load dimensions of the OR-Tools model: per-trip load, daily load, stops per vehicle.

A facility copy empties the vehicle without knowing its load: its transit takes off the largest
capacity and the dimension's slack, allowed only at facility copies, gives back what was not on
board, so the load after an unload can be zero.
"""

from __future__ import annotations

from ortools.constraint_solver import pywrapcp

from solvers.routing.engines.ortools.layout import Layout
from solvers.routing.problem import RoutingProblem


def add_loads(
    problem: RoutingProblem,
    nodes: Layout,
    manager: pywrapcp.RoutingIndexManager,
    routing: pywrapcp.RoutingModel,
) -> None:
    """Per-trip load (reset at facilities through slack) and daily load per dimension."""
    vehicles = problem.vehicles
    for d in range(problem.n_dims):
        demand = [0] * len(nodes.node_location)
        for node, i in nodes.node_stop.items():
            demand[node] = max(0, problem.stops[i].demands[d])
        on_board = [v.initial_load[d] if d < len(v.initial_load) else 0 for v in vehicles]
        total = sum(demand) + max(on_board, default=0) + 1
        caps = [
            int(v.capacities[d]) if v.capacities is not None and d < len(v.capacities) else total
            for v in vehicles
        ]
        caps = [min(c, total) for c in caps]
        limited = any(c < total for c in caps)
        if limited:
            _add_trip_load(nodes, manager, routing, d, demand, caps, not any(on_board))
        daily = [
            int(v.daily_capacities[d])
            if v.daily_capacities is not None and d < len(v.daily_capacities)
            else total
            for v in vehicles
        ]
        daily = [min(c, total) for c in daily]
        if any(c < total for c in daily) and (
            nodes.node_facility
            or not limited
            or any(a < b for a, b in zip(daily, caps, strict=True))
        ):
            evaluator = routing.RegisterUnaryTransitVector(demand)
            routing.AddDimensionWithVehicleCapacity(evaluator, 0, daily, True, f"daily{d}")


def _add_trip_load(
    nodes: Layout,
    manager: pywrapcp.RoutingIndexManager,
    routing: pywrapcp.RoutingModel,
    d: int,
    demand: list[int],
    caps: list[int],
    start_empty: bool = True,
) -> None:
    """Load of dimension d per trip: a facility copy takes up to a full load off as slack.

    Not ``start_empty``: some vehicle starts with a load on board, which ``replan`` sets as the
    start cumul of every vehicle (0 for the others).
    """
    reload = max(caps)
    trip = list(demand)
    for node in nodes.node_facility:
        trip[node] = -reload
    evaluator = routing.RegisterUnaryTransitVector(trip)
    slack = reload if nodes.node_facility else 0
    routing.AddDimensionWithVehicleCapacity(evaluator, slack, caps, start_empty, f"load{d}")
    if slack:
        dim = routing.GetDimensionOrDie(f"load{d}")
        for index in range(routing.Size()):
            if manager.IndexToNode(index) not in nodes.node_facility:
                dim.SlackVar(index).SetValue(0)


def add_max_stops(problem: RoutingProblem, nodes: Layout, routing: pywrapcp.RoutingModel) -> None:
    """Max stops per vehicle as a count dimension (facility copies do not count)."""
    if not any(v.max_stops for v in problem.vehicles):
        return
    counts = [0] * len(nodes.node_location)
    for node in nodes.node_stop:
        counts[node] = 1
    evaluator = routing.RegisterUnaryTransitVector(counts)
    limit = len(nodes.node_stop) + 1
    caps = [v.max_stops if v.max_stops else limit for v in problem.vehicles]
    routing.AddDimensionWithVehicleCapacity(evaluator, 0, caps, True, "stops")
