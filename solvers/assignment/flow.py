"""Exact assignment without coverage rules: min-cost flows, lexicographic level by level.

The objective's per-arc components (``levels.py``: fill by priority; late slots per priority;
weighted response; churn) are packed into as few integer costs as int64 allows, each pack a
big-M weighted sum whose optimum is lexicographic over its components. The first pack is solved
on the whole network (``network.py``); every later pack on the optimal face of the one before
(``network.restrict``), so the result is the lexicographic optimum of all components. On the
benchmark's 200 x 2000 cities that is two flows: fill + late slots of every level (weights up to
~1e10), then response + churn. Components that cannot vary on the current face are skipped.

Overflow: each pack is checked in Python integers before it is built (``levels.fits``); every
single component fits alone within the contract's bounds, so within them the flow never declines
(FORMULATION.md, "Overflow"). When the potentials of a face are not found before ``stop``, the
remaining components are reported ``pending`` and the plan is optimal for the levels before them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from solvers.assignment.arcs import Arcs
from solvers.assignment.levels import (
    CHURN,
    Component,
    Pack,
    components,
    n_used_bound,
    next_pack,
)
from solvers.assignment.model import AssignmentPlan, AssignmentProblem
from solvers.assignment.network import Network, build_network, restrict, solve_network


@dataclass(frozen=True, eq=False)
class FlowResult:
    """The last flow's plan, how it was reached, and what the coverage stage needs."""

    plan: AssignmentPlan
    used: np.ndarray  # bool per arc
    stages: tuple[tuple[str, ...], ...]  # the components of each flow solved, in order
    pending: tuple[str, ...]  # components left unoptimised (no time for a face)
    network: Network  # the network the last flow was solved on
    flow: np.ndarray  # the last flow, per network arc
    last: Pack | None  # the last pack solved (None: nothing could vary)
    wall_time: float

    @property
    def complete(self) -> bool:
        """True when every per-arc level was optimised."""
        return not self.pending


def _varying(network: Network, remaining: list[Component]) -> list[Component]:
    return [c for c in remaining if network.varies(c.index, c.values)]


def solve_flow(
    problem: AssignmentProblem,
    arcs: Arcs,
    stop: float | None = None,
    max_pack: int | None = None,
) -> FlowResult:
    """The lexicographic optimum by a sequence of flows (see the module docstring).

    ``stop`` (a ``time.perf_counter`` value) is checked between phases: once it has passed, no
    further face or flow is started and the components left are reported ``pending``; the
    first flow always runs (it is what makes the plan feasible). ``max_pack`` caps the
    components per flow (tests set 1 to run every level on the face of the one before, as
    large requests do).
    Raises SolverFailedError when a flow fails or a component does not fit int64 even alone.
    """
    start = time.perf_counter()
    network = build_network(problem, arcs)
    n_used = n_used_bound(arcs)
    remaining = components(arcs, problem.priority_levels())
    stages: list[tuple[str, ...]] = []
    flow: np.ndarray | None = None
    last: Pack | None = None
    pending: tuple[str, ...] = ()
    while remaining := _varying(network, remaining):
        if flow is not None and last is not None:
            if stop is not None and time.perf_counter() > stop:
                # Past the deadline's share: keep the flow solved so far (optimal for every
                # level before these), flagged pending, rather than start another phase.
                pending = tuple(c.name for c in remaining)
                break
            face = restrict(network, flow, last.cost(), stop)
            if face is None:
                pending = tuple(c.name for c in remaining)
                break
            network = face
            remaining = _varying(network, remaining)
            if not remaining:
                break
        last = next_pack(remaining, network.n_nodes, n_used, max_pack)
        flow = solve_network(network, last.cost())
        stages.append(last.names)
        remaining = remaining[len(last.components) :]
    if flow is None:  # nothing to optimise: any feasible flow (forced units placed)
        flow = solve_network(network, np.zeros(arcs.n_arcs, dtype=np.int64))
    used = flow[network.unit_arcs] > 0
    return FlowResult(
        plan=arcs.plan(problem, used),
        used=used,
        stages=tuple(stages),
        pending=pending,
        network=network,
        flow=flow,
        last=last,
        wall_time=time.perf_counter() - start,
    )


def face_before_churn(result: FlowResult, stop: float | None) -> Network | None:
    """The network whose feasible flows are exactly the plans optimal for every per-arc level
    above churn (fill, late slots, response): where coverage (level 4) is decided, with churn
    after it. None when the potentials were not found before ``stop``."""
    last = result.last
    if last is None or last.names == (CHURN,):
        # Nothing varied, or churn was solved alone on the face of everything above it.
        return result.network
    return restrict(result.network, result.flow, last.cost(without=CHURN), stop)
