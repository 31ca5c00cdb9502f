"""A flow network of ``network.py`` solved as a sparse linear assignment (SciPy's LAPJVsp).

Every flow of the assignment network is a matching between units and slots, so each flow can
be solved as a perfect matching on a square graph (the usual reduction for an assignment where
both sides may stay unmatched):

- rows: the units that may work, then one *spare* row per slot;
- columns: the slots, then one *idle* column per unit;
- unit u - slot of group g, for every free arc (u, g): the arc's cost (u fills the slot);
- unit u - its idle column: 0, unless u must work (u stays free);
- spare row of a slot - the slot's column: 0, unless the slot must be filled (it stays empty);
- spare row of a slot of g - the idle column of every unit with a free arc to g: 0 (when u
  fills that slot, the slot's spare row takes u's idle column).

A perfect matching restricted to the unit - slot edges is a feasible flow with the same cost,
and every feasible flow completes to a perfect matching (each filled slot's spare row takes
the idle column of the unit that filled it), so an optimal matching is an optimal flow. The
slots of a group are interchangeable copies; a group whose flow is bounded below by ``l``
(an optimal face) has ``l`` copies that must be filled.

Why: on the benchmark's 200 x 2000 cities the flows take 0.57 of the time OR-Tools'
cost-scaling ``SimpleMinCostFlow`` takes, with the same plans (FORMULATION.md, "The flows as
matchings").

Exactness: LAPJVsp computes in float64 with no tolerance, so on integer costs it is exact as
long as every cost, dual and path length it forms is an integer below 2**53. Costs are shifted
into [1, 2 * max|cost| + 1] (SciPy reads a zero as a missing edge). The duals and path lengths
of a shortest-augmenting-path method stay within about (rows + 1) times the largest weight
(the usual bound, argued rather than proven for SciPy's code), and ``fits`` keeps a margin of
16 on that. A network whose costs do not fit is left to OR-Tools (``solve`` returns None), as is the
one shape this reduction does not express: a bypass bounded to a value between 0 and its
capacity (faces only ever fix it at a bound).
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import csr_array
from scipy.sparse.csgraph import min_weight_full_bipartite_matching

from solvers.assignment.network import Network, stable_order
from solvers.errors import SolverFailedError

ENGINE = "scipy.lapjvsp"
#: Largest cost times (rows + 1) the matching accepts: 2**53 (float64's exact integers) / 16.
FLOAT_GUARD = 2**49


def fits(biggest: int, rows: int) -> bool:
    """True when costs of magnitude at most ``biggest`` are exact in a matching of ``rows``
    rows (the shift into positive weights doubles them)."""
    return (2 * biggest + 2) * (rows + 1) < FLOAT_GUARD


def rows_bound(network: Network) -> int:
    """Most rows any matching of this network can have: every unit node and every slot."""
    return network.n_units + int(network.upper[network.group_arcs].sum())


def solve(network: Network, arc_cost: np.ndarray) -> np.ndarray | None:
    """An optimal flow (per network arc) for ``arc_cost`` on the unit -> group arcs, or None
    when this network is left to OR-Tools (see the module docstring). Raises
    SolverFailedError when no feasible flow exists (an optimal face always has one)."""
    shape = _Shape.of(network)
    if shape is None:
        return None
    cost = arc_cost[shape.arcs]
    biggest = int(np.abs(cost).max()) if len(cost) else 0
    if not fits(biggest, shape.n_rows):
        return None
    chosen = _match(shape, cost, biggest + 1)
    return _flows(network, shape, chosen)


class _Shape:
    """The square graph of one network, before costs: which units, slots and edges."""

    def __init__(self, network: Network, arcs: np.ndarray, must_work: np.ndarray) -> None:
        self.arcs = arcs  # usable unit -> group arcs (indices into the unit arcs)
        unit_node = network.arc_unit_node[arcs]
        groups = network.group_arcs
        self.group = network.head[network.n_units + arcs] - (network.n_nodes - network.n_groups)
        present = must_work.copy()
        present[unit_node] = True
        self.workers = np.flatnonzero(present)
        self.row_of_unit = np.full(network.n_units, -1, dtype=np.int64)
        self.row_of_unit[self.workers] = np.arange(len(self.workers))
        self.unit_row = self.row_of_unit[unit_node]  # per usable arc
        self.must_work = must_work[self.workers]
        self.copies = network.upper[groups]  # slots per group
        self.filled_at_least = network.lower[groups]
        self.first_slot = np.cumsum(self.copies) - self.copies
        self.n_slots = int(self.copies.sum())
        self.n_rows = len(self.workers) + self.n_slots

    @classmethod
    def of(cls, network: Network) -> _Shape | None:
        """The graph, or None for a bypass bounded strictly inside its range."""
        n, unit_arcs = network.n_units, network.unit_arcs
        capacity, low, high = _bypass_capacity(network), network.lower[-1], network.upper[-1]
        all_idle = low == capacity > 0
        all_work = high == 0
        if not ((low == 0 and high == capacity) or all_idle or all_work):
            return None
        fixed_on = network.lower[unit_arcs] == 1
        usable = network.upper[unit_arcs] == 1
        busy = np.zeros(n, dtype=bool)
        busy[network.arc_unit_node[fixed_on]] = True
        # A unit with an arc fixed at 1 may use only that arc; one whose source arc is fixed
        # at 0 (or every unit, when the bypass must carry them all) may use none.
        usable &= ~busy[network.arc_unit_node] | fixed_on
        idle = (network.upper[:n] == 0) & ~network.forced_node
        if all_idle:
            idle |= ~network.forced_node
        usable &= ~idle[network.arc_unit_node]
        must_work = network.forced_node | (network.lower[:n] == 1) | busy
        if all_work:
            must_work |= ~network.forced_node
        return cls(network, np.flatnonzero(usable), must_work)


def _match(shape: _Shape, cost: np.ndarray, shift: int) -> np.ndarray:
    """The usable arcs an optimal perfect matching uses (bool per usable arc)."""
    n_workers, n_slots = len(shape.workers), shape.n_slots
    copies = shape.copies[shape.group]
    edge_arc = np.repeat(np.arange(len(shape.arcs)), copies)
    within = np.arange(len(edge_arc)) - np.repeat(np.cumsum(copies) - copies, copies)
    edge_slot = shape.first_slot[shape.group][edge_arc] + within
    edge_row = shape.unit_row[edge_arc]
    may_idle = np.flatnonzero(~shape.must_work)
    group_of_slot = np.repeat(np.arange(len(shape.copies)), shape.copies)
    slot_index = np.arange(n_slots) - shape.first_slot[group_of_slot]
    may_stay_empty = np.flatnonzero(slot_index >= shape.filled_at_least[group_of_slot])
    rows = np.concatenate([edge_row, n_workers + edge_slot, may_idle, n_workers + may_stay_empty])
    cols = np.concatenate([edge_slot, n_slots + edge_row, n_slots + may_idle, may_stay_empty])
    weights = np.full(len(rows), float(shift))
    weights[: len(edge_arc)] += cost[edge_arc].astype(np.float64)
    graph = _csr(rows, cols, weights, n_workers + n_slots)
    try:
        _, col = min_weight_full_bipartite_matching(graph)
    except ValueError as exc:
        raise SolverFailedError(f"{ENGINE}: {exc}") from exc
    fills = np.flatnonzero(col[:n_workers] < n_slots)
    # Each filled slot's arc: the one from its unit's row to its group. Arcs are unique per
    # (unit, group) pair (``arcs.build_arcs``), which is what lets the weights sit in one
    # sparse matrix; a pair found twice would have had its costs added, so it is refused.
    filled_group = np.full(n_workers, -1, dtype=np.int64)
    filled_group[fills] = group_of_slot[col[fills]]
    chosen = filled_group[shape.unit_row] == shape.group
    if np.count_nonzero(chosen) != len(fills):
        raise SolverFailedError(f"{ENGINE}: two arcs join one unit to one group")
    return chosen


def _csr(rows: np.ndarray, cols: np.ndarray, weights: np.ndarray, size: int) -> csr_array:
    """The square biadjacency matrix, built straight as CSR: the entries are unique by
    construction, so SciPy's COO conversion (and its sort for duplicates) is not needed."""
    order = stable_order(rows, size)
    indptr = np.zeros(size + 1, dtype=np.int32)
    np.cumsum(np.bincount(rows, minlength=size), out=indptr[1:])
    indices = cols[order].astype(np.int32)
    return csr_array((weights[order], indices, indptr), shape=(size, size))


def _flows(network: Network, shape: _Shape, chosen: np.ndarray) -> np.ndarray:
    """Per-arc flows of the matching, checked against the network's bounds."""
    n = network.n_units
    flows = np.zeros(len(network.tail), dtype=np.int64)
    arcs = shape.arcs[chosen]
    flows[n + arcs] = 1
    working = network.arc_unit_node[arcs]
    free_units = ~network.forced_node[working]
    flows[working[free_units]] = 1
    flows[network.group_arcs] = np.bincount(shape.group[chosen], minlength=len(shape.copies))
    flows[-1] = _bypass_capacity(network) - int(free_units.sum())
    if np.any(flows < network.lower) or np.any(flows > network.upper):
        raise SolverFailedError(f"{ENGINE}: the matching breaks a bound of the network")
    return flows


def _bypass_capacity(network: Network) -> int:
    """Units free to stay home: the source's supply (not changed by any face)."""
    return int(network.supply[0])
