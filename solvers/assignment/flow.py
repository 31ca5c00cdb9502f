"""Exact assignment without coverage rules: one min-cost flow (OR-Tools SimpleMinCostFlow).

Graph: source -> unit (capacity 1) -> group (incident, capability) (capacity 1 per arc) ->
sink (capacity = slot count), plus a zero-cost source -> sink bypass so units may stay free.
A committed unit that must fill a slot (``model.committed_slots``) gets its supply of 1 on its
own node instead (source arc of capacity 0), so it cannot take the bypass: it flows to a slot
of its incident or, if allowed, of a strictly more urgent one. Placing every forced unit at
home is always feasible, so the flow is too.

The lexicographic objective becomes one integer cost per arc,

    cost = -rank_bonus * C + response_cost * K + moved,

with K = (largest possible churn) + 1, so churn only breaks ties in response cost, and
C = (range of everything below level 1) + 1, so filling slots outranks all of it. Filling slots
by priority is exact with one bonus per level because the sets of slots that can be filled at
once form a (transversal) matroid: a maximum-weight basis under weights that decrease with the
priority rank is lexicographically maximal level by level.

Overflow: every bound is computed with Python integers before the graph is built. OR-Tools'
cost scaling multiplies costs by about (nodes + 1), so the largest arc cost times (nodes + 1)
must stay below 2**62. When churn's factor K would break that bound, the flow is solved with
K = 1 (churn not minimised; status FEASIBLE, said so); when even that does not fit the solver
raises SolverFailedError and the caller falls back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from ortools.graph.python import min_cost_flow

from solvers.assignment.arcs import Arcs
from solvers.assignment.model import AssignmentPlan, AssignmentProblem, committed_slots
from solvers.errors import SolverFailedError

_LIMIT = 2**62


@dataclass(frozen=True)
class FlowWeights:
    """The integer weights that make one flow cost lexicographic (see the module docstring)."""

    bonus: int  # C
    response: int  # K
    churn_optimised: bool


@dataclass(frozen=True, eq=False)
class FlowGraph:
    """The solved graph, kept for reduced-cost arguments (``stages.optimal_arc_mask``)."""

    tail: np.ndarray
    head: np.ndarray
    capacity: np.ndarray
    cost_without_churn: np.ndarray
    flow: np.ndarray
    n_nodes: int
    first_unit_arc: int  # = number of unit nodes; unit arcs follow the source arcs
    units: np.ndarray  # unit index of each unit node
    arc_unit_node: np.ndarray  # unit node (0-based) of each unit -> group arc
    forced_node: np.ndarray  # bool per unit node: supply on the node, source arc capacity 0


@dataclass(frozen=True, eq=False)
class FlowResult:
    """The optimal flow's plan and the arcs it uses."""

    plan: AssignmentPlan
    used: np.ndarray  # bool per arc
    weights: FlowWeights
    graph: FlowGraph
    wall_time: float


def flow_weights(arcs: Arcs, n_nodes: int) -> FlowWeights:
    """Weights that separate the levels exactly, or SolverFailedError if int64 cannot hold them."""
    if arcs.n_arcs == 0:
        return FlowWeights(1, 1, True)
    t_max = int(arcs.cost.max())
    n_used = min(len(np.unique(arcs.unit)), int(arcs.group_count.sum()))
    max_churn = len(np.unique(arcs.unit[arcs.moved == 1]))
    for k, churn_optimised in ((max_churn + 1, True), (1, max_churn == 0)):
        lower = n_used * t_max * k + (k - 1)
        c = lower + 1
        biggest = arcs.n_levels * c + t_max * k + 1
        if biggest * (n_nodes + 1) < _LIMIT and biggest * (n_used + 1) < _LIMIT:
            return FlowWeights(c, k, churn_optimised)
    raise SolverFailedError("min_cost_flow: objective weights do not fit in int64")


def solve_flow(problem: AssignmentProblem, arcs: Arcs) -> FlowResult:
    """Solve the assignment exactly by min-cost flow; raises SolverFailedError on any failure."""
    start = time.perf_counter()
    units, unit_node = np.unique(arcs.unit, return_inverse=True)
    n_units, n_groups = len(units), len(arcs.group_count)
    source, sink = 0, 1
    unit_base, group_base = 2, 2 + n_units
    n_nodes = group_base + n_groups
    weights = flow_weights(arcs, n_nodes)
    forced = committed_slots(problem)[units] >= 0
    n_forced = int(forced.sum())
    lexicographic = -arcs.rank_bonus * weights.bonus + arcs.cost * weights.response
    arc_cost = lexicographic + (arcs.moved if weights.churn_optimised else 0)
    tails = np.concatenate(
        [
            np.full(n_units, source),
            unit_base + unit_node,
            group_base + np.arange(n_groups),
            [source],
        ]
    ).astype(np.int32)
    heads = np.concatenate(
        [
            unit_base + np.arange(n_units),
            group_base + arcs.group,
            np.full(n_groups, sink),
            [sink],
        ]
    ).astype(np.int32)
    capacities = np.concatenate(
        [(~forced).astype(np.int64), np.ones(arcs.n_arcs), arcs.group_count, [n_units - n_forced]]
    ).astype(np.int64)
    costs = np.concatenate([np.zeros(n_units), arc_cost, np.zeros(n_groups), [0]]).astype(np.int64)

    try:
        solver = min_cost_flow.SimpleMinCostFlow()
        all_arcs = solver.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
        solver.set_node_supply(source, n_units - n_forced)
        for node in np.flatnonzero(forced).tolist():
            solver.set_node_supply(unit_base + node, 1)
        solver.set_node_supply(sink, -n_units)
        status = solver.solve()
    except Exception as exc:  # the C++ layer may raise anything; callers fall back
        raise SolverFailedError(f"min_cost_flow raised {type(exc).__name__}: {exc}") from exc
    if status != solver.OPTIMAL:
        raise SolverFailedError(f"min_cost_flow ended with status {status}")
    flows = np.asarray(solver.flows(np.asarray(all_arcs)), dtype=np.int64)
    used = flows[n_units : n_units + arcs.n_arcs] > 0
    plan = arcs.plan(problem, used)
    graph = FlowGraph(
        tail=tails.astype(np.int64),
        head=heads.astype(np.int64),
        capacity=capacities,
        cost_without_churn=np.concatenate(
            [np.zeros(n_units), lexicographic, np.zeros(n_groups), [0]]
        ).astype(np.int64),
        flow=flows,
        n_nodes=n_nodes,
        first_unit_arc=n_units,
        units=units,
        arc_unit_node=unit_node,
        forced_node=forced,
    )
    return FlowResult(plan, used, weights, graph, time.perf_counter() - start)
