"""A greedy plan handed to the solver as its first incumbent.

HiGHS accepts values for some columns and completes the rest by a sub-MIP, so only the arc
binaries of the greedy plan are given; times, loads and window choices are left to HiGHS.
"""

from __future__ import annotations

import itertools

import pulp

from solvers.budget import Deadline
from solvers.routing.checker import evaluate
from solvers.routing.engines.milp.formulation import Formulation
from solvers.routing.engines.milp.graph import END, START, Endpoint
from solvers.routing.plan import PlannedVisit, RoutePlan, RoutingPlan, SkipReason, VisitKind
from solvers.routing.problem import RoutingProblem

#: Larger models get no warm start: the greedy pass would eat the solving time.
MAX_WARM_START_STOPS = 40


def warm_start(m: Formulation, deadline: Deadline) -> dict[pulp.LpVariable, float] | None:
    """Arc values of a greedy plan (every arc of the model set), or None when none fits."""
    g = m.graph
    if len(g.stops) > MAX_WARM_START_STOPS:
        return None
    routes = _relabelled(m, greedy(g.problem, g.stops, deadline))
    copies: dict[int, list[int]] = {}
    for n, node in enumerate(g.nodes):
        if not node.is_stop:
            copies.setdefault(node.facility, []).append(n)
    stop_node = {node.stop: n for n, node in enumerate(g.nodes) if node.is_stop}
    chosen: set[tuple[Endpoint, Endpoint, int]] = set()
    for route in routes:
        path: list[Endpoint] = [START]
        for visit in route.visits:
            if visit.kind is VisitKind.STOP:
                path.append(stop_node[visit.ref])
            elif copies.get(visit.ref):
                path.append(copies[visit.ref].pop(0))
            else:
                return None
        path.append(END)
        for i, j in itertools.pairwise(path):
            if (i, j, route.vehicle) not in m.x:
                return None
            chosen.add((i, j, route.vehicle))
    return {var: 1.0 if key in chosen else 0.0 for key, var in m.x.items()}


def _relabelled(m: Formulation, routes: list[RoutePlan]) -> list[RoutePlan]:
    """Identical vehicles' routes handed out in the order the symmetry breaking demands."""
    stop_node = {node.stop: n for n, node in enumerate(m.graph.nodes) if node.is_stop}
    lowest = {
        r.vehicle: min(m.stop_rank[stop_node[v.ref]] for v in r.visits if v.kind is VisitKind.STOP)
        for r in routes
    }
    by_vehicle = {r.vehicle: r for r in routes}
    relabelled: list[RoutePlan] = []
    for group in m.classes:
        mine = sorted(
            (by_vehicle[k] for k in group if k in by_vehicle), key=lambda r: lowest[r.vehicle]
        )
        relabelled += [RoutePlan(k, r.visits) for k, r in zip(group, mine, strict=False)]
    return relabelled


def with_unloads(p: RoutingProblem, k: int, sequence: list[int]) -> tuple[PlannedVisit, ...]:
    """Stop visits in order, with an unload before any stop that would overflow the vehicle and
    at the end when loaded (at the facility with the smallest detour)."""
    if not p.facilities:
        return tuple(PlannedVisit(VisitKind.STOP, i) for i in sequence)
    v = p.vehicles[k]
    caps = v.capacities
    load = [0] * p.n_dims
    visits: list[PlannedVisit] = []
    here = v.start

    def unload(before: int) -> None:
        best = min(
            range(len(p.facilities)),
            key=lambda f: (
                p.travel(k, here, p.facilities[f].location)
                + p.travel(k, p.facilities[f].location, before)
            ),
        )
        visits.append(PlannedVisit(VisitKind.FACILITY, best))

    for i in sequence:
        stop = p.stops[i]
        q = stop.demands
        if (
            caps is not None
            and any(d < len(caps) and load[d] + q[d] > caps[d] for d in range(p.n_dims))
            and any(load)
        ):
            unload(stop.location)
            load = [0] * p.n_dims
        visits.append(PlannedVisit(VisitKind.STOP, i))
        load = [a + b for a, b in zip(load, q, strict=True)]
        here = stop.location
    if any(load):
        unload(v.end)
    return tuple(visits)


def greedy(p: RoutingProblem, stops: list[int], deadline: Deadline) -> list[RoutePlan]:
    """Cheapest feasible insertion, every candidate route checked by the independent checker.

    Mandatory stops first (earliest closing window first), optional ones only when serving them
    costs less than their penalty. Stops with no feasible position stay out. Stops when the
    deadline passes, keeping what it has (any subset of feasible routes is a valid start).
    """
    everyone = {i: SkipReason.NO_CAPACITY_LEFT for i in range(len(p.stops))}
    sequences: dict[int, list[int]] = {k: [] for k in range(len(p.vehicles))}
    costs = dict.fromkeys(sequences, 0.0)

    def closing(i: int) -> int:
        return max((w.end for w in p.stops[i].time_windows), default=2**62)

    for i in sorted(stops, key=lambda i: (p.stops[i].optional, closing(i))):
        if deadline.expired():
            break
        best: tuple[float, int, list[int]] | None = None
        for k, sequence in sequences.items():
            if deadline.expired():
                break
            for position in range(len(sequence) + 1):
                candidate = [*sequence[:position], i, *sequence[position:]]
                route = RoutePlan(k, with_unloads(p, k, candidate))
                e = evaluate(p, RoutingPlan((route,), skipped=everyone))
                if not e.feasible:
                    continue
                extra = e.routes[0].cost - costs[k]
                if best is None or extra < best[0]:
                    best = (extra, k, candidate)
        if best is None:
            continue
        extra, k, candidate = best
        if p.stops[i].optional and extra >= p.stops[i].skip_penalty:
            continue
        sequences[k] = candidate
        costs[k] += extra
    return [RoutePlan(k, with_unloads(p, k, seq)) for k, seq in sequences.items() if seq]
