"""The assignment as a flow network with lower and upper bounds, solved by OR-Tools'
``SimpleMinCostFlow``, and its restriction to the optimal face of a solved cost.

Graph: source -> unit (capacity 1) -> group (incident, capability) (capacity 1 per arc) ->
sink (capacity = slot count), plus a zero-cost source -> sink bypass so units may stay free.
A committed unit that must fill a slot (``model.committed_slots``) gets its supply of 1 on its
own node instead (source arc of capacity 0), so it cannot take the bypass: it flows to a slot
of its incident or, if allowed, of a strictly more urgent one. Placing every forced unit at
home is always feasible, so the flow is too.

Arc layout: ``[0, n_units)`` source -> unit, then one arc per ``Arcs`` entry (unit -> group),
then one group -> sink arc per group, then the bypass (last).

Why bounds: the lexicographic objective is solved as a sequence of flows (``flow.py``), each on
the optimal face of the one before. By complementary slackness a feasible flow is optimal for a
cost iff, with the potentials of any optimal flow, every arc of positive reduced cost sits at its
lower bound and every arc of negative reduced cost at its upper bound. Fixing those arcs
(``restrict``) therefore keeps exactly the optimal flows, and the next cost is minimised over
them. OR-Tools has no lower bounds, so they become node supplies when a network is solved.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from functools import cached_property

import numpy as np
from ortools.graph.python import min_cost_flow

from solvers.assignment.arcs import Arcs
from solvers.assignment.model import AssignmentProblem, committed_slots
from solvers.errors import SolverFailedError


@dataclass(frozen=True, eq=False)
class Network:
    """Arcs with bounds and node supplies (int64 arrays), plus what maps them back to units."""

    tail: np.ndarray
    head: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    supply: np.ndarray  # per node
    n_units: int  # unit nodes = source arcs; unit -> group arcs follow them
    n_arcs: int  # unit -> group arcs
    units: np.ndarray  # unit index of each unit node
    arc_unit_node: np.ndarray  # unit node (0-based) of each unit -> group arc
    forced_node: np.ndarray  # bool per unit node: supply on the node, source arc capacity 0
    by_head: np.ndarray  # arc indices sorted by head (for the potentials' rounds)
    by_tail: np.ndarray  # arc indices sorted by tail

    @property
    def n_nodes(self) -> int:
        """Source, sink, unit nodes and group nodes."""
        return len(self.supply)

    @property
    def unit_arcs(self) -> slice:
        """Where the unit -> group arcs sit in the arc arrays."""
        return slice(self.n_units, self.n_units + self.n_arcs)

    @property
    def n_groups(self) -> int:
        """Group nodes (one group -> sink arc each)."""
        return len(self.tail) - self.n_units - self.n_arcs - 1

    @property
    def group_arcs(self) -> slice:
        """Where the group -> sink arcs sit in the arc arrays (the bypass is last)."""
        return slice(self.n_units + self.n_arcs, len(self.tail) - 1)

    def full_cost(self, arc_cost: np.ndarray) -> np.ndarray:
        """A per-arc cost for the whole graph: ``arc_cost`` on unit -> group arcs, 0 elsewhere."""
        cost = np.zeros(len(self.tail), dtype=np.int64)
        cost[self.unit_arcs] = arc_cost
        return cost

    @cached_property
    def free_unit_arcs(self) -> np.ndarray:
        """Bool per unit -> group arc: its flow is not fixed (read once per component and face:
        kept)."""
        arcs = self.unit_arcs
        return self.lower[arcs] < self.upper[arcs]

    def varies(self, index: np.ndarray, values: np.ndarray) -> bool:
        """False when the sparse cost (``values`` on unit -> group arcs ``index``) is 0 on every
        such arc whose flow is not fixed: it is the same for every feasible flow, no solve."""
        return bool(np.any(self.free_unit_arcs[index] & (values != 0)))

    def at_floor(self, flow: np.ndarray, cost: np.ndarray) -> bool:
        """True when the non-negative ``cost`` on the unit -> group arcs is as low under
        ``flow`` as under any feasible flow of this network.

        Why it is a bound: a unit node that must send its unit (its own supply, or a source arc
        fixed at 1) uses exactly one of its open unit arcs, so every feasible flow pays at least
        the cheapest of them; other units pay at least 0. When ``flow`` pays exactly that sum it
        is optimal without a solve (``flow.py`` skips churn's flow on most faces this way)."""
        if np.any(cost < 0):
            return False
        n = self.n_units
        arcs = self.unit_arcs
        paid = int(cost @ flow[arcs])
        if paid == 0:
            return True
        open_arc = self.upper[arcs] > 0
        cheapest = np.full(n, _NO_ARC, dtype=np.int64)
        np.minimum.at(cheapest, self.arc_unit_node[open_arc], cost[open_arc])
        paying = (self.forced_node | (self.lower[:n] == 1)) & (cheapest < _NO_ARC)
        return int(cheapest[paying].sum()) == paid


def build_network(problem: AssignmentProblem, arcs: Arcs) -> Network:
    """The unrestricted network of an arc set."""
    units, unit_node = _present(arcs.unit, problem.n_units)
    n_units, n_groups = len(units), len(arcs.group_count)
    source, sink = 0, 1
    unit_base, group_base = 2, 2 + n_units
    forced = committed_slots(problem)[units] >= 0
    n_forced = int(forced.sum())
    tail = np.concatenate(
        [
            np.full(n_units, source),
            unit_base + unit_node,
            group_base + np.arange(n_groups),
            [source],
        ]
    ).astype(np.int64)
    head = np.concatenate(
        [
            unit_base + np.arange(n_units),
            group_base + arcs.group,
            np.full(n_groups, sink),
            [sink],
        ]
    ).astype(np.int64)
    upper = np.concatenate(
        [(~forced).astype(np.int64), np.ones(arcs.n_arcs), arcs.group_count, [n_units - n_forced]]
    ).astype(np.int64)
    supply = np.zeros(group_base + n_groups, dtype=np.int64)
    supply[source] = n_units - n_forced
    supply[unit_base + np.flatnonzero(forced)] = 1
    supply[sink] = -n_units
    return Network(
        tail=tail,
        head=head,
        lower=np.zeros(len(tail), dtype=np.int64),
        upper=upper,
        supply=supply,
        n_units=n_units,
        n_arcs=arcs.n_arcs,
        units=units,
        arc_unit_node=unit_node.astype(np.int64),
        forced_node=forced,
        by_head=stable_order(head, len(supply)),
        by_tail=stable_order(tail, len(supply)),
    )


def _present(values: np.ndarray, bound: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(values, return_inverse=True)`` for integers in ``[0, bound)``, by counting
    (about 20x faster at 36k arcs: this runs on every AssignUnits call)."""
    present = np.bincount(values, minlength=bound) > 0
    rank = np.cumsum(present) - 1
    return np.flatnonzero(present), rank[values].astype(np.int64)


#: A unit node's cheapest open arc before any is seen (``Network.at_floor``).
_NO_ARC = int(np.iinfo(np.int64).max)
#: ``np.iinfo`` builds an object per call; this runs several times per AssignUnits call.
_UINT16_MAX = int(np.iinfo(np.uint16).max)


def stable_order(values: np.ndarray, bound: int) -> np.ndarray:
    """``np.argsort(values, kind="stable")`` for integers in ``[0, bound)``: as 16-bit keys when
    they fit, which numpy sorts by radix (8x faster at 40k arcs)."""
    if bound <= _UINT16_MAX:
        return np.argsort(values.astype(np.uint16), kind="stable")
    return np.argsort(values, kind="stable")


def fix_unit_arcs(network: Network, index: np.ndarray) -> Network:
    """The network with the unit -> group arcs ``index`` fixed at flow 0 (pricing's left-out
    arcs: ``flow.py``). No solver sees a fixed arc; the potentials' rounds skip it too."""
    upper = network.upper.copy()
    upper[network.n_units + index] = network.lower[network.n_units + index]
    return replace(network, upper=upper)


def solve_network(network: Network, arc_cost: np.ndarray) -> np.ndarray:
    """An optimal flow (per arc, bounds included) for ``arc_cost`` on the unit -> group arcs.

    Only arcs whose flow is not fixed go to OR-Tools; fixed flows (lower bounds) become node
    supplies. On an optimal face that is a few hundred arcs out of tens of thousands. Raises
    SolverFailedError on any failure (the caller falls back)."""
    cost = network.full_cost(arc_cost)
    supply = network.supply.copy()
    bounded = np.flatnonzero(network.lower)
    np.subtract.at(supply, network.tail[bounded], network.lower[bounded])
    np.add.at(supply, network.head[bounded], network.lower[bounded])
    free = _live_arcs(network, supply)
    flows = network.lower.copy()
    # Nodes that no live arc touches and that have no supply are left out, the rest renumbered.
    kept = supply != 0
    kept[network.tail[free]] = True
    kept[network.head[free]] = True
    number = np.cumsum(kept) - 1
    try:
        solver = min_cost_flow.SimpleMinCostFlow()
        solver.add_arcs_with_capacity_and_unit_cost(
            number[network.tail[free]].astype(np.int32),
            number[network.head[free]].astype(np.int32),
            (network.upper - network.lower)[free],
            cost[free],
        )
        solver.set_nodes_supplies(np.arange(int(kept.sum()), dtype=np.int32), supply[kept])
        status = solver.solve()
        if status == solver.OPTIMAL and len(free):
            flows[free] += np.asarray(
                solver.flows(np.arange(len(free), dtype=np.int32)), dtype=np.int64
            )
    except Exception as exc:  # the C++ layer may raise anything; callers fall back
        raise SolverFailedError(f"min_cost_flow raised {type(exc).__name__}: {exc}") from exc
    if status == solver.BAD_COST_RANGE:
        raise CostRangeError(f"min_cost_flow ended with status {status}")
    if status != solver.OPTIMAL:
        raise SolverFailedError(f"min_cost_flow ended with status {status}")
    return flows


class CostRangeError(SolverFailedError):
    """OR-Tools refused a flow's costs as too large. Its node potentials, scaled by (nodes +
    1), may reach about nodes times the scaled costs, so a pack that passed ``levels.fits`` can
    still be refused on a large network; a smaller pack is accepted (``flow.py``)."""


def _live_arcs(network: Network, supply: np.ndarray) -> np.ndarray:
    """The arcs whose flow is not fixed, less the source arcs into dead ends: a unit node with
    no free arc out and no supply of its own (after lower bounds) can only take flow 0, so its
    source arc need not reach OR-Tools. With pricing most units are such dead ends, and fewer
    arcs and nodes make the cost scaling faster."""
    free = network.lower < network.upper
    leaves = np.zeros(network.n_nodes, dtype=bool)
    unit_arcs = network.unit_arcs
    leaves[network.tail[unit_arcs][free[unit_arcs]]] = True
    targets = network.head[: network.n_units]
    free[: network.n_units] &= leaves[targets] | (supply[targets] != 0)
    return np.flatnonzero(free)


def potentials(
    network: Network, flow: np.ndarray, cost: np.ndarray, stop: float | None
) -> np.ndarray | None:
    """Node potentials proving ``flow`` optimal for ``cost``, or None past ``stop``.

    Bellman-Ford from a virtual root (all distances start at 0) on the residual graph, in
    numpy rounds: forward residual arcs grouped by head and backward ones by tail (the
    network's presorted orders), one ``minimum.reduceat`` per group per round. No negative
    cycle exists because the flow is optimal; the rounds are the hop depth of the shortest
    paths, about ten on the benchmark's cities. Distances lie in [-(nodes - 1) * max|cost|, 0],
    inside int64 because the flow's own overflow guard bounds max|cost| * (nodes + 1).
    """
    by_head = network.by_head[(flow < network.upper)[network.by_head]]
    by_tail = network.by_tail[(flow > network.lower)[network.by_tail]]
    # (tails, targets, weights) of forward residual arcs, then of backward ones (head -> tail).
    sides = [
        (network.tail[by_head], network.head[by_head], cost[by_head]),
        (network.head[by_tail], network.tail[by_tail], -cost[by_tail]),
    ]
    groups = []
    for tails, heads, weights in sides:
        if len(heads):
            starts = np.flatnonzero(np.r_[True, heads[1:] != heads[:-1]])
            groups.append((tails, weights, starts, heads[starts]))
    dist = np.zeros(network.n_nodes, dtype=np.int64)
    for _ in range(network.n_nodes + 1):
        changed = False
        for tails, weights, starts, targets in groups:
            best = np.minimum.reduceat(dist[tails] + weights, starts)
            better = best < dist[targets]
            if better.any():
                dist[targets[better]] = best[better]
                changed = True
        if not changed:
            return dist
        if stop is not None and time.perf_counter() > stop:
            return None
    return None  # only with a negative cycle, which an optimal flow cannot have


def restrict(
    network: Network, flow: np.ndarray, arc_cost: np.ndarray, stop: float | None
) -> Network | None:
    """The network whose feasible flows are exactly the flows optimal for ``arc_cost`` (None
    when the potentials were not found before ``stop``)."""
    dist = potentials(network, flow, network.full_cost(arc_cost), stop)
    if dist is None:
        return None
    return face(network, flow, arc_cost, dist)


def face(network: Network, flow: np.ndarray, arc_cost: np.ndarray, dist: np.ndarray) -> Network:
    """``restrict`` with the potentials ``dist`` already found (the pricing in ``flow.py``
    reads the same potentials)."""
    cost = network.full_cost(arc_cost)
    reduced = cost + dist[network.tail] - dist[network.head]
    lower = np.where(reduced < 0, network.upper, network.lower)
    upper = np.where(reduced > 0, network.lower, network.upper)
    if np.any(flow < lower) or np.any(flow > upper):  # cannot happen with correct potentials
        raise SolverFailedError("min_cost_flow: optimal face does not contain the optimal flow")
    return replace(network, lower=lower, upper=upper)
