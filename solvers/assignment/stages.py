"""The staged (lexicographic) view of the objective shared by the CP-SAT and MILP models.

Each stage is one integer linear expression over the arc variables (plus coverage shortfall
variables). Solving stage by stage and fixing each optimum before the next is exact and keeps
every objective's coefficients small, which matters for MILP solvers with float tolerances.

With coverage rules, levels 1 to 3 are already proven by the min-cost flow; the remaining
choice is only among plans tied on them. Those plans use only arcs of zero reduced cost (or
arcs the flow uses): by complementary slackness every optimal flow satisfies the same dual
conditions, so restricting the model to those arcs loses no optimal plan and leaves CP-SAT a
tiny model even at 200 incidents x 2000 units. The conditions are all unit-coefficient
counts, which CP-SAT and MILP handle far better than an equality on a large weighted sum.
"""

from __future__ import annotations

import enum
import time
from dataclasses import dataclass

import numpy as np

from solvers.assignment.arcs import Arcs
from solvers.assignment.flow import FlowResult


class Stage(enum.Enum):
    """One level of the objective; all are minimised (filling slots as negative bonus)."""

    FILL = "fill"  # -sum rank_bonus: level 1
    RESPONSE = "response"  # sum cost: levels 2+3
    COVERAGE = "coverage"  # sum shortfall: level 4
    CHURN = "churn"  # sum moved: level 5


ORDER = (Stage.FILL, Stage.RESPONSE, Stage.COVERAGE, Stage.CHURN)


def arc_coefficients(arcs: Arcs, stage: Stage) -> np.ndarray | None:
    """Per-arc coefficients of a stage's objective (None for coverage, which uses its own)."""
    if stage is Stage.FILL:
        return -arcs.rank_bonus
    if stage is Stage.RESPONSE:
        return arcs.cost
    if stage is Stage.CHURN:
        return arcs.moved
    return None


def stage_values(arcs: Arcs, used: np.ndarray) -> dict[Stage, int]:
    """Values of the arc-only stages for a set of used arcs."""
    values = {}
    for stage in (Stage.FILL, Stage.RESPONSE, Stage.CHURN):
        coefficients = arc_coefficients(arcs, stage)
        assert coefficients is not None
        values[stage] = int(coefficients[used].sum())
    return values


@dataclass(frozen=True, eq=False)
class Restriction:
    """Complementary-slackness conditions that exactly characterise the plans optimal for
    levels 1-3: arcs allowed, units that must be used, groups that must be full, and the total
    number of arcs used when the bypass arc forces it."""

    arcs: np.ndarray  # bool per arc
    forced: np.ndarray  # bool per arc: negative reduced cost, used in every optimal plan
    must_use_units: np.ndarray  # unit indices
    must_fill_groups: np.ndarray  # group indices
    total: int | None


def optimal_restriction(result: FlowResult, arcs: Arcs, time_left: float) -> Restriction | None:
    """The optimal face of the flow polytope, or None if the potentials took too long.

    Potentials come from Bellman-Ford on the optimal flow's residual graph (numpy-vectorised
    rounds; no negative cycle exists because the flow is optimal). By complementary slackness,
    a flow is optimal iff every arc with positive reduced cost is empty and every arc with
    negative reduced cost is saturated; this holds for all optimal flows with the same
    potentials, so the conditions below lose no optimal plan.
    """
    stop = time.perf_counter() + time_left
    graph = result.graph
    cost = graph.cost_without_churn
    forward = graph.flow < graph.capacity
    backward = graph.flow > 0
    tails = np.concatenate([graph.tail[forward], graph.head[backward]])
    heads = np.concatenate([graph.head[forward], graph.tail[backward]])
    weights = np.concatenate([cost[forward], -cost[backward]])
    dist = np.zeros(graph.n_nodes, dtype=np.int64)
    for _ in range(graph.n_nodes + 1):
        candidate = dist[tails] + weights
        updated = dist.copy()
        np.minimum.at(updated, heads, candidate)
        if np.array_equal(updated, dist):
            break
        dist = updated
        if time.perf_counter() > stop:
            return None
    else:
        return None
    reduced = cost + dist[graph.tail] - dist[graph.head]
    n_units = graph.first_unit_arc
    n_groups = len(arcs.group_count)
    unit_rc = reduced[:n_units].copy()
    # A forced unit's source arc has capacity 0 (its supply sits on its node): it is used in
    # every feasible flow, so its own reduced cost says nothing.
    unit_rc[graph.forced_node] = -1
    arc_rc = reduced[n_units : n_units + arcs.n_arcs]
    group_rc = reduced[n_units + arcs.n_arcs : n_units + arcs.n_arcs + n_groups]
    bypass_rc = int(reduced[-1])
    units = graph.units
    allowed = (arc_rc == 0) & (unit_rc[graph.arc_unit_node] <= 0) & (group_rc[arcs.group] <= 0)
    allowed |= result.used
    total = None
    if bypass_rc < 0:
        total = int(graph.forced_node.sum())
    elif bypass_rc > 0:
        total = n_units
    return Restriction(
        arcs=allowed,
        forced=arc_rc < 0,
        must_use_units=units[unit_rc < 0],
        must_fill_groups=np.flatnonzero(group_rc < 0),
        total=total,
    )
