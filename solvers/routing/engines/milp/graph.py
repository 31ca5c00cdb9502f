"""The model's nodes and arcs: which stops and facility copies exist, who may visit them, when.

Everything here is plain Python over the problem; nothing touches PuLP, so the size of a model
(:func:`count_arcs`) is known before a single variable is built.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from solvers.routing.problem import RoutingProblem
from solvers.routing.shortest_drives import shortest_drives

#: Largest model built (arcs summed over vehicles); beyond it the exact model is hopeless in a
#: fallback's budget and building it in PuLP alone would take seconds.
MAX_ARCS = 40_000
#: Arc endpoints that are not nodes: a vehicle's start and end locations.
START, END = "start", "end"

Endpoint = int | str
Arc = tuple[Endpoint, Endpoint]


@dataclass(frozen=True)
class Node:
    """A model node: a stop (facility < 0) or a copy of a facility (stop < 0)."""

    stop: int = -1
    facility: int = -1

    @property
    def is_stop(self) -> bool:
        return self.stop >= 0


@dataclass
class Graph:
    """Nodes, per-vehicle eligibility and time bounds of one problem (arcs once listed).

    ``earliest[n]``/``latest[n]`` bound the start of service at node n; ``eligible[k]`` lists
    the nodes vehicle k may visit, nodes no vehicle can start in time already removed.
    """

    problem: RoutingProblem
    stops: list[int]
    nodes: list[Node]
    loaded: bool
    eligible: dict[int, list[int]]
    earliest: list[int]
    latest: list[int]
    horizon: int
    max_travel: int
    arcs: dict[int, list[Arc]] | None = None

    @property
    def vehicles(self) -> range:
        return range(len(self.problem.vehicles))

    @property
    def node_range(self) -> range:
        return range(len(self.nodes))

    def demand(self, n: int, d: int) -> int:
        node = self.nodes[n]
        return self.problem.stops[node.stop].demands[d] if node.is_stop else 0

    def loads_anything(self, n: int) -> bool:
        return any(self.demand(n, d) for d in range(self.problem.n_dims))

    def service(self, n: int) -> int:
        node = self.nodes[n]
        if node.is_stop:
            return self.problem.stops[node.stop].service_duration
        return self.problem.facilities[node.facility].unload_duration

    def location(self, n: int) -> int:
        node = self.nodes[n]
        if node.is_stop:
            return self.problem.stops[node.stop].location
        return self.problem.facilities[node.facility].location

    def windows(self, n: int) -> list[tuple[int, int]]:
        node = self.nodes[n]
        if node.is_stop:
            return [(w.start, w.end) for w in self.problem.stops[node.stop].time_windows]
        opening = self.problem.facilities[node.facility].opening
        return [] if opening is None else [(opening.start, opening.end)]

    def endpoint_location(self, k: int, e: Endpoint) -> int:
        """Location of an arc endpoint for vehicle k (START and END are its own depots)."""
        v = self.problem.vehicles[k]
        if e == START:
            return v.start
        if e == END:
            return v.end
        return self.location(e)  # type: ignore[arg-type]


def build_graph(
    problem: RoutingProblem, exclude: frozenset[int], facility_copies: bool = True
) -> Graph:
    """Nodes, eligibility and time bounds for ``problem`` without the ``exclude`` stops.

    Without ``facility_copies`` the graph is the stops' alone: cheap for large problems, and
    its stop -> stop arcs are a subset of the full graph's (copies only widen the horizon).
    """
    stops = [i for i in range(len(problem.stops)) if i not in exclude]
    total = [sum(problem.stops[i].demands[d] for i in stops) for d in range(problem.n_dims)]
    loaded = bool(problem.facilities) and any(total)
    copies = 0
    if loaded and facility_copies:
        # Exact: a facility visit only pays after a trip with load, so no plan needs more
        # unloads than there are loaded stops (fewer copies could cut off the optimum).
        copies = sum(1 for i in stops if any(problem.stops[i].demands))
    nodes = [Node(stop=i) for i in stops]
    nodes += [Node(facility=f) for f in range(len(problem.facilities)) for _ in range(copies)]
    K = range(len(problem.vehicles))
    eligible = {
        k: [n for n in range(len(nodes)) if not nodes[n].is_stop or _fits(problem, nodes[n], k)]
        for k in K
    }
    graph = Graph(problem, stops, nodes, loaded, eligible, [], [], 0, 0)
    _bound_times(graph)
    return graph


def _fits(problem: RoutingProblem, node: Node, k: int) -> bool:
    """Vehicle k may serve the stop: eligible, and its demand fits a trip and a day."""
    if not problem.eligible[node.stop, k]:
        return False
    v, demands = problem.vehicles[k], problem.stops[node.stop].demands
    for limits in (v.capacities, v.daily_capacities):
        if limits is not None and any(
            d < len(limits) and q > limits[d] for d, q in enumerate(demands)
        ):
            return False
    return True


def _bound_times(g: Graph) -> None:
    """Horizon and per-node service start bounds; drops nodes no vehicle can start in time."""
    p, N, K = g.problem, g.node_range, g.vehicles
    # Horizon: no sensible schedule starts anything later than this.
    g.max_travel = max((int(m.max()) for m in p.durations if m.size), default=0)
    window_starts = [a for n in N for a, _ in g.windows(n)]
    shift_starts = [v.shift.start for v in p.vehicles]
    g.horizon = (
        max(window_starts + shift_starts, default=0)
        + sum(g.service(n) for n in N)
        + (len(g.nodes) + 1) * g.max_travel
    )
    eligible_sets = {k: set(g.eligible[k]) for k in K}
    # Shortest drives, not direct ones: matrices need not be metric, and a route may reach a
    # node sooner through others, so only lower bounds make safe bounds.
    drives = shortest_drives(p)

    def earliest(n: int) -> int:
        lo = min((a for a, _ in g.windows(n)), default=0)
        reach = [
            v.shift.start + drives.from_place(v.profile, v.start, g.location(n))
            for k, v in enumerate(p.vehicles)
            if n in eligible_sets.get(k, ())
        ]
        return max(lo, min(reach, default=lo))

    def latest(n: int) -> int:
        hi = max((b for _, b in g.windows(n)), default=g.horizon)
        back = [
            v.shift.end - g.service(n) - drives.to_place(v.profile, g.location(n), v.end)
            for k, v in enumerate(p.vehicles)
            if n in eligible_sets.get(k, ())
        ]
        return min(hi, max(back, default=hi), g.horizon)

    # Copies of a facility share their bounds: compute them once per distinct node.
    first = {node: n for n, node in reversed(list(enumerate(g.nodes)))}
    bounds = {node: (earliest(n), latest(n)) for node, n in first.items()}
    a = [bounds[node][0] for node in g.nodes]
    b = [bounds[node][1] for node in g.nodes]
    # A node no vehicle can start in time is left out of every route.
    impossible = {n for n in N if a[n] > b[n]}
    for k in K:
        g.eligible[k] = [n for n in g.eligible[k] if n not in impossible]
    g.earliest = a
    g.latest = [max(a[n], b[n]) for n in N]


def _may_end(g: Graph, n: int) -> bool:
    """With facilities, a stop that loads anything cannot be the last visit."""
    return not (g.loaded and g.nodes[n].is_stop and g.loads_anything(n))


def count_arcs(g: Graph) -> int:
    """How many arcs :func:`list_arcs` would list, without listing them."""
    total = 0
    for k in g.vehicles:
        el = g.eligible[k]
        n_stops = sum(1 for n in el if g.nodes[n].is_stop)
        n_copies = len(el) - n_stops
        pairs = len(el) * (len(el) - 1) - n_copies * (n_copies - 1)
        total += n_stops + pairs + sum(1 for n in el if _may_end(g, n))
    return total


def count_stop_pairs(g: Graph) -> int:
    """Stop -> stop arcs over all vehicles: a lower bound on :func:`count_arcs`."""
    total = 0
    for k in g.vehicles:
        n_stops = sum(1 for n in g.eligible[k] if g.nodes[n].is_stop)
        total += n_stops * (n_stops - 1)
    return total


def list_arcs(g: Graph) -> dict[int, list[Arc]]:
    """Arcs per vehicle: START -> stop, node -> node (not facility -> facility), node -> END."""
    arcs: dict[int, list[Arc]] = {}
    for k in g.vehicles:
        el = g.eligible[k]
        ks: list[Arc] = [(START, n) for n in el if g.nodes[n].is_stop]
        ks += [
            (i, j)
            for i, j in itertools.permutations(el, 2)
            if g.nodes[i].is_stop or g.nodes[j].is_stop
        ]
        ks += [(n, END) for n in el if _may_end(g, n)]
        arcs[k] = ks
    return arcs
