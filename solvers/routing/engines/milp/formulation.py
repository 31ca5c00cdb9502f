"""The PuLP model, built constraint family by constraint family (``MILP.md`` has the maths).

Families are added in a fixed order and each names its rows, so the same problem always gives
the same model, column for column: the solver's path, and with it the plan among equal optima,
depends on that order.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pulp

from solvers.routing.engines.milp import loads, timing
from solvers.routing.engines.milp.graph import END, START, Arc, Endpoint, Graph
from solvers.routing.problem import RoutingProblem


@dataclass
class Formulation:
    """The model and the handles read back from it.

    ``visit[n, k]``, ``served[n]`` and ``used[k]`` are expressions over the arc binaries
    ``x[i, j, k]``; ``classes`` are groups of interchangeable vehicles and ``stop_rank`` the
    numbering their symmetry breaking uses. ``constant`` is the skip penalty of the excluded
    optional stops, which the model does not see but the checker charges.
    """

    graph: Graph
    lp: pulp.LpProblem
    x: dict[tuple[Endpoint, Endpoint, int], pulp.LpVariable] = field(default_factory=dict)
    visit: dict[tuple[int, int], pulp.LpAffineExpression] = field(default_factory=dict)
    served: dict[int, pulp.LpAffineExpression] = field(default_factory=dict)
    used: dict[int, pulp.LpAffineExpression] = field(default_factory=dict)
    t: dict[int, pulp.LpVariable] = field(default_factory=dict)
    dep: dict[int, pulp.LpVariable] = field(default_factory=dict)
    arr: dict[int, pulp.LpVariable] = field(default_factory=dict)
    classes: list[list[int]] = field(default_factory=list)
    stop_rank: dict[int, int] = field(default_factory=dict)
    vehicle_weight: float = 0.0
    mandatory_weight: float = 0.0
    constant: float = 0.0
    arcs_into: dict[tuple[Endpoint, int], list[pulp.LpVariable]] = field(default_factory=dict)
    arcs_out: dict[tuple[Endpoint, int], list[pulp.LpVariable]] = field(default_factory=dict)

    @property
    def problem(self) -> RoutingProblem:
        return self.graph.problem

    def into(self, j: Endpoint, k: int) -> list[pulp.LpVariable]:
        return self.arcs_into.get((j, k), [])

    def out_of(self, i: Endpoint, k: int) -> list[pulp.LpVariable]:
        return self.arcs_out.get((i, k), [])

    def arc_sum(self, i: Endpoint, j: Endpoint) -> pulp.LpAffineExpression:
        """Arc i -> j driven by any vehicle."""
        return pulp.lpSum(self.x[i, j, k] for k in self.graph.vehicles if (i, j, k) in self.x)


def formulate(graph: Graph, arcs: dict[int, list[Arc]], exclude: frozenset[int]) -> Formulation:
    """The complete model over ``arcs`` (the graph's, already counted against the limits)."""
    graph.arcs = arcs
    m = Formulation(graph, pulp.LpProblem("routing", pulp.LpMinimize))
    _arc_variables(m)
    _flow(m)
    _symmetry(m)
    timing.add_times(m)
    timing.add_window_choice(m)
    loads.add_loads(m)
    _objective(m, exclude)
    return m


def _arc_variables(m: Formulation) -> None:
    """x[i, j, k] binaries and the visit/served/used expressions over them."""
    g = m.graph
    assert g.arcs is not None
    m.x = {
        (i, j, k): m.lp.add_variable(f"x_{i}_{j}_{k}", cat=pulp.LpBinary)
        for k in g.vehicles
        for i, j in g.arcs[k]
    }
    for (i, j, k), var in m.x.items():
        m.arcs_out.setdefault((i, k), []).append(var)
        m.arcs_into.setdefault((j, k), []).append(var)
    m.visit = {(n, k): pulp.lpSum(m.into(n, k)) for k in g.vehicles for n in g.eligible[k]}
    m.served = {
        n: pulp.lpSum(m.visit[n, k] for k in g.vehicles if (n, k) in m.visit) for n in g.node_range
    }
    m.used = {k: pulp.lpSum(m.out_of(START, k)) for k in g.vehicles}


def _flow(m: Formulation) -> None:
    """One route per vehicle, flow conservation at every node, every node at most once."""
    g, lp = m.graph, m.lp
    for k in g.vehicles:
        lp += m.used[k] <= 1, f"one_route_{k}"
        lp += pulp.lpSum(m.into(END, k)) == m.used[k], f"route_ends_{k}"
        for n in g.eligible[k]:
            lp += m.visit[n, k] == pulp.lpSum(m.out_of(n, k)), f"flow_{n}_{k}"
            # Valid for integer plans, and it keeps fixed costs in the LP relaxation.
            lp += m.visit[n, k] <= m.used[k], f"needs_vehicle_{n}_{k}"
    for n in g.node_range:
        lp += m.served[n] <= 1, f"once_{n}"


def _symmetry(m: Formulation) -> None:
    """Interchangeable vehicles and facility copies are used in a fixed order.

    Routes of a class of identical vehicles are numbered by their lowest stop, so the class's
    p-th vehicle is used only if the one before it is, and it never serves a stop ranked
    below p.
    """
    g, lp, nodes = m.graph, m.lp, m.graph.nodes
    for k in g.vehicles:
        for group in m.classes:
            if _same_vehicle(g.problem, group[0], k):
                group.append(k)
                break
        else:
            m.classes.append([k])
    m.stop_rank = {n: r for r, n in enumerate(n for n in g.node_range if nodes[n].is_stop)}
    for group in m.classes:
        for position, k in enumerate(group):
            if position:
                lp += m.used[k] <= m.used[group[position - 1]], f"vehicle_order_{k}"
            for n in g.eligible[k]:
                if nodes[n].is_stop and m.stop_rank[n] < position:
                    lp += m.visit[n, k] == 0, f"lowest_stop_{n}_{k}"
    for n in g.node_range[1:]:
        if not nodes[n].is_stop and nodes[n - 1].facility == nodes[n].facility:
            lp += m.served[n] <= m.served[n - 1], f"copy_order_{n}"


_SAME_FIELDS = (
    "start",
    "end",
    "shift",
    "profile",
    "capacities",
    "daily_capacities",
    "skills",
    "fixed_cost",
    "cost_per_hour",
    "cost_per_km",
    "max_route_duration",
    "max_stops",
    "breaks",
)


def _same_vehicle(p: RoutingProblem, a: int, b: int) -> bool:
    """True when vehicles a and b can swap routes without changing anything."""
    va, vb = p.vehicles[a], p.vehicles[b]
    if any(getattr(va, f) != getattr(vb, f) for f in _SAME_FIELDS):
        return False
    return all(
        s.allowed_vehicles is None or ((a in s.allowed_vehicles) == (b in s.allowed_vehicles))
        for s in p.stops
    )


def _objective(m: Formulation, exclude: frozenset[int]) -> None:
    """Cost in the contract's units, plus the lexicographic weights above any plan's cost."""
    g, p, N = m.graph, m.problem, m.graph.node_range
    cost_terms, upper = _route_costs(m)
    optional_penalty = [
        p.stops[g.nodes[n].stop].skip_penalty * (1 - m.served[n])
        for n in N
        if g.nodes[n].is_stop and p.stops[g.nodes[n].stop].optional
    ]
    upper += sum(s.skip_penalty for s in p.stops if s.optional)
    m.vehicle_weight = upper + 1.0 if p.minimize_vehicles_first else 0.0
    m.mandatory_weight = (len(p.vehicles) + 1) * (upper + 1.0) + 1.0
    m.constant = sum(p.stops[i].skip_penalty for i in exclude if p.stops[i].optional)
    mandatory_missed = [
        1 - m.served[n] for n in N if g.nodes[n].is_stop and not p.stops[g.nodes[n].stop].optional
    ]
    m.lp += (
        pulp.lpSum(cost_terms)
        + pulp.lpSum(optional_penalty)
        + m.vehicle_weight * pulp.lpSum(m.used.values())
        + m.mandatory_weight * pulp.lpSum(mandatory_missed)
    )


def _route_costs(m: Formulation) -> tuple[list[pulp.LpAffineExpression], float]:
    """Fixed, time and distance terms per vehicle, and an upper bound on any plan's cost."""
    g, p = m.graph, m.problem
    cost_terms: list[pulp.LpAffineExpression] = []
    upper = 0.0
    for k in g.vehicles:
        v = p.vehicles[k]
        dist = p.distances[v.profile]
        cost_terms.append(v.fixed_cost * m.used[k])
        cost_terms.append(v.cost_per_hour / 3600.0 * (m.arr[k] - m.dep[k]))
        if dist is not None and v.cost_per_km:
            for (i, j, kk), var in m.x.items():
                if kk != k:
                    continue
                li, lj = g.endpoint_location(k, i), g.endpoint_location(k, j)
                cost_terms.append(v.cost_per_km / 1000.0 * int(dist[li, lj]) * var)
        span = v.shift.end - v.shift.start
        if v.max_route_duration:
            span = min(span, v.max_route_duration)
        span = min(span, g.horizon + g.max_travel)
        max_dist = int(dist.max()) if dist is not None and dist.size else 0
        upper += (
            v.fixed_cost
            + v.cost_per_hour * span / 3600.0
            + v.cost_per_km * max_dist * (len(g.nodes) + 1) / 1000.0
        )
    return cost_terms, upper
