"""Node numbering of the OR-Tools model.

OR-Tools visits each node at most once, so a facility a truck may unload at several times
becomes several copies; a vehicle with a final unload ends its route at that facility (the drive
home after it is a fixed tail). Nodes: the kept stops, the facility copies, then one start node
per vehicle and one end node per vehicle.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from solvers.routing.engines.fleet import Fleet, fleet
from solvers.routing.problem import RoutingProblem

#: More copies per facility than this only slow the search down.
_FACILITY_COPY_CAP = 200


@dataclass
class Layout:
    """Node numbering: stops, facility copies, then one start and one end node per vehicle."""

    fleet: Fleet
    node_location: list[int] = field(default_factory=list)
    node_service: list[int] = field(default_factory=list)
    node_stop: dict[int, int] = field(default_factory=dict)  # node -> stop index
    node_facility: dict[int, int] = field(default_factory=dict)  # node -> facility index
    stop_node: dict[int, int] = field(default_factory=dict)
    facility_nodes: dict[int, list[int]] = field(default_factory=dict)
    start_nodes: list[int] = field(default_factory=list)
    end_nodes: list[int] = field(default_factory=list)

    @property
    def final_facility(self) -> tuple[int | None, ...]:
        """Per vehicle: the facility its end node stands for (None: it ends at home)."""
        return self.fleet.final_facility

    @property
    def tail_seconds(self) -> tuple[int, ...]:
        """Per vehicle: unload and drive home after the end node."""
        return self.fleet.tail_seconds

    @property
    def tail_metres(self) -> tuple[int, ...]:
        """Per vehicle: metres of the drive home after the end node."""
        return self.fleet.tail_metres

    @property
    def usable(self) -> tuple[bool, ...]:
        """Per vehicle: False when it must stay home."""
        return self.fleet.usable

    def add(self, location: int, service: int) -> int:
        """A new node at ``location`` with ``service`` seconds spent there; its number."""
        self.node_location.append(int(location))
        self.node_service.append(int(service))
        return len(self.node_location) - 1


def layout(problem: RoutingProblem, keep: list[int]) -> Layout:
    """The nodes of a model serving the stops in ``keep``."""
    out = Layout(fleet(problem, keep))
    for i in keep:
        stop = problem.stops[i]
        node = out.add(stop.location, stop.service_duration)
        out.node_stop[node] = i
        out.stop_node[i] = node
    if out.fleet.uses_facilities:
        copies = min(_FACILITY_COPY_CAP, _trips_estimate(problem, keep) + len(problem.vehicles))
        copies = max(1, min(copies, len(keep)))
        for f, facility in enumerate(problem.facilities):
            out.facility_nodes[f] = []
            for _ in range(copies):
                node = out.add(facility.location, facility.unload_duration)
                out.node_facility[node] = f
                out.facility_nodes[f].append(node)
    for vehicle in problem.vehicles:
        out.start_nodes.append(out.add(vehicle.start, 0))
    for vehicle, final in zip(problem.vehicles, out.final_facility, strict=True):
        location = problem.facilities[final].location if final is not None else vehicle.end
        out.end_nodes.append(out.add(location, 0))
    return out


def _trips_estimate(problem: RoutingProblem, keep: list[int]) -> int:
    """Upper estimate of the trips all vehicles together need (sizes the facility copies)."""
    trips = 1
    for d in range(problem.n_dims):
        total = sum(max(0, problem.stops[i].demands[d]) for i in keep)
        caps = [
            v.capacities[d]
            for v in problem.vehicles
            if v.capacities is not None and d < len(v.capacities) and v.capacities[d] > 0
        ]
        if caps and total:
            trips = max(trips, math.ceil(total / min(caps)))
    return trips
