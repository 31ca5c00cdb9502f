"""A flow network of ``network.py`` solved as a sparse linear assignment (SciPy's LAPJVsp).

Every flow of the assignment network is a matching between units and slots. Each flow is first
solved on the small *slot graph*, and on the square graph only when that one cannot decide.

The slot graph (rectangular: a matching that uses every row):

- rows: the slots; columns: the units that may work, then one *empty* column per slot;
- slot of group g - unit u, for every free arc (u, g): the arc's cost, less a bonus ``B`` when u
  must work (u fills the slot);
- slot - its empty column: 0, unless the slot must be filled (it stays empty).

A matching that uses every row and employs every unit that must work is exactly a feasible flow,
and every such matching collects the same total bonus. So when the slot graph's optimum employs
every unit that must work, it is optimal among all of them, i.e. an optimal flow; otherwise the
square graph decides. ``B = 2 max|cost| + 1`` is what makes the first case the usual one: a
unit that must work left idle next to a slot held by a unit that need not work (or by nobody)
would be one cheaper swap away, so the slot graph can only leave a must-work unit idle when
every slot it could fill is held by another must-work unit. Exactness does not rest on ``B``.
On the benchmark cities (10 x 50 to 200 x 2,000, seeds 1-10) every flow was decided here.

The square graph (the usual reduction for an assignment where both sides may stay unmatched):

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

Why matchings: on the benchmark's 200 x 2000 cities the flows took 0.57 of the time OR-Tools'
cost-scaling ``SimpleMinCostFlow`` takes, with the same plans, on the square graph alone. Why
two graphs: the slot graph has a row per slot only (97 rows and 3,594 edges against 358 and
7,338 on the 50 x 300 latency city), and LAPJVsp augments the rows one by one; the flows alone
then took 0.80 of the square graph's time at 50 x 300 and 0.88 at 200 x 2,000. Both figures
are in FORMULATION.md, "The flows as matchings". The square graph stays for the case the slot
graph cannot decide.

Exactness: LAPJVsp computes in float64 with no tolerance, so on integer costs it is exact as
long as every cost, dual and path length it forms is an integer below 2**53. Weights are shifted
to be positive (SciPy reads a zero as a missing edge; every matching that uses every row has
the same number of edges, so the shift changes no choice). The duals and path lengths of a
shortest-augmenting-path method stay within about (rows + 1) times the largest weight (the
usual bound, argued rather than proven for SciPy's code), and ``fits`` keeps a margin of 16
on that, for each graph with its own rows and largest weight. A network whose costs fit
neither graph is left to OR-Tools (``solve`` returns None), as is the one shape these graphs
do not express: a bypass bounded to a value between 0 and its capacity (faces only ever fix
it at a bound).
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
    chosen = _match_slots(shape, cost, biggest)
    if chosen is None:
        if not fits(biggest, shape.n_rows):
            return None
        chosen = _match_square(shape, cost, biggest + 1)
    return _flows(network, shape, chosen)


class _Shape:
    """Both graphs of one network, before costs: which units, slots and edges."""

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
        self.n_rows = len(self.workers) + self.n_slots  # of the square graph
        # The unit - slot edges both graphs share: one per usable arc and copy of its group.
        copies = self.copies[self.group]
        self.edge_arc = np.repeat(np.arange(len(arcs)), copies)
        within = np.arange(len(self.edge_arc)) - np.repeat(np.cumsum(copies) - copies, copies)
        self.edge_slot = self.first_slot[self.group][self.edge_arc] + within
        self.edge_row = self.unit_row[self.edge_arc]  # the unit's index among the workers
        self.group_of_slot = np.repeat(np.arange(len(self.copies)), self.copies)
        slot_index = np.arange(self.n_slots) - self.first_slot[self.group_of_slot]
        self.may_stay_empty = np.flatnonzero(slot_index >= self.filled_at_least[self.group_of_slot])

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


def _match_slots(shape: _Shape, cost: np.ndarray, biggest: int) -> np.ndarray | None:
    """The usable arcs an optimal flow uses (bool per usable arc), from the slot graph; None
    when its weights do not fit or its optimum leaves a unit that must work idle (then the
    square graph decides; see the module docstring)."""
    n_workers, n_slots = len(shape.workers), shape.n_slots
    bonus = 2 * biggest + 1
    top = biggest + bonus  # the largest |weight| before the shift
    if not n_slots or not fits(top, n_slots):
        return None
    n_edges = len(shape.edge_arc)
    rows = np.concatenate([shape.edge_slot, shape.may_stay_empty])
    cols = np.concatenate([shape.edge_row, n_workers + shape.may_stay_empty])
    weights = np.full(len(rows), float(top + 1))
    weights[:n_edges] += cost[shape.edge_arc] - bonus * shape.must_work[shape.edge_row]
    graph = _csr(rows, cols, weights, n_slots, n_workers + n_slots)
    try:
        _, col = min_weight_full_bipartite_matching(graph)
    except ValueError:  # a slot that must be filled and cannot be: the square graph says so
        return None
    filled = np.flatnonzero(col < n_workers)
    workers = col[filled]
    if np.count_nonzero(shape.must_work[workers]) != np.count_nonzero(shape.must_work):
        return None
    return _chosen(shape, workers, shape.group_of_slot[filled])


def _match_square(shape: _Shape, cost: np.ndarray, shift: int) -> np.ndarray:
    """The usable arcs an optimal perfect matching of the square graph uses (bool per usable
    arc)."""
    n_workers, n_slots = len(shape.workers), shape.n_slots
    n_edges = len(shape.edge_arc)
    may_idle = np.flatnonzero(~shape.must_work)
    spare = n_workers + shape.edge_slot
    rows = np.concatenate([shape.edge_row, spare, may_idle, n_workers + shape.may_stay_empty])
    cols = np.concatenate(
        [shape.edge_slot, n_slots + shape.edge_row, n_slots + may_idle, shape.may_stay_empty]
    )
    weights = np.full(len(rows), float(shift))
    weights[:n_edges] += cost[shape.edge_arc].astype(np.float64)
    size = n_workers + n_slots
    try:
        _, col = min_weight_full_bipartite_matching(_csr(rows, cols, weights, size, size))
    except ValueError as exc:
        raise SolverFailedError(f"{ENGINE}: {exc}") from exc
    fills = np.flatnonzero(col[:n_workers] < n_slots)
    return _chosen(shape, fills, shape.group_of_slot[col[fills]])


def _chosen(shape: _Shape, workers: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """The usable arcs of the matched (worker, group) pairs (bool per usable arc).

    Each filled slot's arc is the one from its unit to its group. Arcs are unique per (unit,
    group) pair (``arcs.build_arcs``), which is what lets the weights sit in one sparse matrix;
    a pair found twice would have had its costs added, so it is refused."""
    filled_group = np.full(len(shape.workers), -1, dtype=np.int64)
    filled_group[workers] = groups
    chosen = filled_group[shape.unit_row] == shape.group
    if np.count_nonzero(chosen) != len(workers):
        raise SolverFailedError(f"{ENGINE}: two arcs join one unit to one group")
    return chosen


def _csr(
    rows: np.ndarray, cols: np.ndarray, weights: np.ndarray, n_rows: int, n_cols: int
) -> csr_array:
    """The biadjacency matrix, built straight as CSR: the entries are unique by construction,
    so SciPy's COO conversion (and its sort for duplicates) is not needed."""
    order = stable_order(rows, n_rows)
    indptr = np.zeros(n_rows + 1, dtype=np.int32)
    np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
    indices = cols[order].astype(np.int32)
    return csr_array((weights[order], indices, indptr), shape=(n_rows, n_cols))


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
