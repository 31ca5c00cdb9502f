"""Exact assignment without coverage rules: min-cost flows, lexicographic level by level.

The objective's per-arc components (``levels.py``: fill by priority; late slots per priority;
weighted response; churn) are packed into as few integer costs as int64 allows, each pack a
big-M weighted sum whose optimum is lexicographic over its components. The first pack is solved
on the whole network (``network.py``); every later pack on the optimal face of the one before
(``network.restrict``), so the result is the lexicographic optimum of all components. On the
benchmark's 200 x 2000 cities that is two flows: fill + late slots of every level (weights up to
~1e10), then response + churn. Components that cannot vary on the current face are skipped,
and so is the last one when the flow so far already pays its floor on the face (churn's flow
on 7 of the 10 benchmark cities at 50 x 300: every re-routed unit has only re-routing arcs left).

Engines: with ``use_matching`` each flow is solved as a sparse assignment (``matching.py``,
SciPy's LAPJVsp) when its costs are exact in float64, and packs are closed at that bound too;
otherwise, or when a matching fails, by OR-Tools' ``SimpleMinCostFlow`` (``network.py``). A
pack OR-Tools refuses for its cost range is halved until accepted.

Pricing: on large requests the flows start without most arcs (each group keeps its cheapest
few) and read every left-out arc's reduced cost under each pack's potentials; an arc that any
pack prices negative is added and the flows start again (FORMULATION.md, "Pricing"). The
result is the same lexicographic optimum as with every arc; at 200 x 2000 the flows see about
one arc in nine.

Overflow: each pack is checked in Python integers before it is built (``levels.fits``); every
single component fits alone within the contract's bounds, so within them the flow never declines
(FORMULATION.md, "Overflow"). When the potentials of a face are not found before ``stop``, the
remaining components are reported ``pending`` and the plan is optimal for the levels before them.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np

from solvers.assignment import matching
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
from solvers.assignment.network import (
    CostRangeError,
    Network,
    build_network,
    face,
    fix_unit_arcs,
    potentials,
    restrict,
    solve_network,
    stable_order,
)
from solvers.errors import SolverFailedError

MIN_COST_FLOW = "ortools.min_cost_flow"
_log = logging.getLogger("solvers.assignment")


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
    priced_out: int = 0  # arcs no flow saw: pricing proved them unneeded
    engines: frozenset[str] = frozenset()  # what solved the flows of the plan returned

    @property
    def complete(self) -> bool:
        """True when every per-arc level was optimised."""
        return not self.pending


#: Pricing starts from this many cheapest arcs per group beyond its slot count (measured on
#: the 200 x 2000 benchmark cities, seeds 1-5: 34k-42k arcs -> about 4k, every first try
#: proven; 1 or 2 needed up to three tries and were slower, 16 was no faster).
_PRICED_EXTRA = 8
#: Below this many arcs one flow on every arc is fast enough; pricing starts above it.
_PRICING_MIN_ARCS = 4000


class _Pricing:
    """Arcs left out of the flows, and what the potentials of each solved pack say about them.

    A left-out arc is *open* while its reduced cost has been 0 under every pack priced so far,
    *out* once the first non-zero one is positive, and *wrong* once it is negative (FORMULATION.md,
    "Pricing")."""

    def __init__(self, network: Network, left_out: np.ndarray) -> None:
        self.index = left_out  # unit -> group arc indices
        nodes = network.n_units + left_out
        self.tail, self.head = network.tail[nodes], network.head[nodes]
        self.open = np.ones(len(left_out), dtype=bool)
        self.wrong = np.zeros(len(left_out), dtype=bool)
        self.open_arc = np.zeros(network.n_arcs, dtype=bool)
        self.open_arc[left_out] = True

    def touches(self, component: Component) -> bool:
        """True when the component is non-zero on an open arc: it may vary on the full face."""
        return bool(np.any(self.open_arc[component.index] & (component.values != 0)))

    def price(self, arc_cost: np.ndarray, dist: np.ndarray) -> None:
        """Read the reduced costs of the open arcs under one pack's potentials."""
        at = np.flatnonzero(self.open)
        reduced = arc_cost[self.index[at]] + dist[self.tail[at]] - dist[self.head[at]]
        self.wrong[at[reduced < 0]] = True
        self.open[at[reduced != 0]] = False
        self.open_arc[self.index[at[reduced != 0]]] = False

    def to_add(self) -> np.ndarray:
        """Arcs the flows must see: the wrong ones. An arc still open at the end (reduced cost
        0 under every pack) is on the full optimal face but proves nothing wrong: the plan is
        optimal with it left out."""
        return self.index[self.wrong]


def _left_out(problem: AssignmentProblem, arcs: Arcs, network: Network) -> np.ndarray:
    """Arcs pricing starts without: beyond each group's ``count + _PRICED_EXTRA`` cheapest in
    the lexicographic order of its own terms (the first-unit bonus, late, response; fill is the
    same for every arc of a group). Any choice is exact (pricing adds what it must); this one
    keeps the retries rare. Forced units keep every arc (their supply must
    leave), committed units their arc home; with coverage rules nothing is left out (coverage
    is not a per-arc term, FORMULATION.md)."""
    none = np.zeros(0, dtype=np.int64)
    if problem.coverage_rules or arcs.n_arcs < _PRICING_MIN_ARCS:
        return none
    order = _by_group_and_terms(arcs)
    sizes = np.bincount(arcs.group, minlength=len(arcs.group_count))
    starts = np.cumsum(sizes) - sizes
    position = np.empty(arcs.n_arcs, dtype=np.int64)
    position[order] = np.arange(arcs.n_arcs) - np.repeat(starts, sizes)
    out = position >= arcs.group_count[arcs.group] + _PRICED_EXTRA
    out &= ~network.forced_node[network.arc_unit_node]
    out &= ~((arcs.committed == 1) & (arcs.moved == 0))
    return np.flatnonzero(out)


def _by_group_and_terms(arcs: Arcs) -> np.ndarray:
    """Arc indices ordered by group, then the terms (first-unit bonus, late, response), then
    index: the same order on every CPU. One stable sort of a (group, terms) key when it fits
    int64 (the terms packed into ``4 * span`` values, span the range of response), else a
    stable sort by the terms followed by a stable one by group."""
    n, n_groups = arcs.n_arcs, len(arcs.group_count)
    if not n:
        return np.zeros(0, dtype=np.int64)
    low = int(arcs.response.min())
    span = int(arcs.response.max()) - low + 1
    if n_groups * 4 * span < 2**62:
        terms = (arcs.response - low) + arcs.late * span + (1 - arcs.first) * (2 * span)
        return _stable_argsort(arcs.group * (4 * span) + terms)
    # Response < 2**42 within the contract, so late and first-unit weights of 2**43 and 2**44
    # keep the order.
    key = arcs.response + (arcs.late << 43) - (arcs.first << 44)
    by_key = _stable_argsort(key)
    return by_key[stable_order(arcs.group[by_key], n_groups)]  # lexsort, faster


def _stable_argsort(key: np.ndarray) -> np.ndarray:
    """``np.argsort(key, kind="stable")``, by sorting ``key * n + index`` when that fits int64:
    the composite keys are unique, so any sort gives the stable order, and numpy's default sort
    is about 2.5x faster than its stable one on int64 (36k arcs: 0.9 vs 2.2 ms)."""
    n = len(key)
    if not n:
        return np.zeros(0, dtype=np.int64)
    low = int(key.min())
    if (int(key.max()) - low + 1) * n >= 2**62:
        return np.argsort(key, kind="stable")
    return np.argsort((key - low) * n + np.arange(n, dtype=np.int64))


@dataclass
class _Run:
    """One lexicographic pass over the components on a network (some arcs fixed at 0)."""

    network: Network
    flow: np.ndarray | None = None
    last: Pack | None = None
    stages: tuple[tuple[str, ...], ...] = ()
    pending: tuple[str, ...] = ()
    priced: bool = True  # the last pack's potentials were read by the pricing
    engines: frozenset[str] = frozenset()  # what solved the flows


def _solve_pack(
    run: _Run,
    remaining: list[Component],
    n_used: int,
    max_pack: int | None,
    matching_rows: int | None,
) -> tuple[Pack, np.ndarray]:
    """The longest pack that fits, and its flow; a pack whose costs OR-Tools refuses is halved
    until it is accepted (one component alone fits within the contract's bounds)."""
    size = max_pack
    while True:
        pack = next_pack(remaining, run.network.n_nodes, n_used, size, matching_rows)
        try:
            return pack, _solve(run, pack.cost(), matching_rows)
        except CostRangeError:
            if len(pack.components) == 1:
                raise
            size = len(pack.components) // 2


def _solve(run: _Run, arc_cost: np.ndarray, matching_rows: int | None) -> np.ndarray:
    """One flow on the run's network: as a matching when asked (``matching_rows`` not None)
    and exact there, else by OR-Tools' min-cost flow. A matching that fails (it should not: an
    optimal face always has a feasible flow) is logged and the flow is left to OR-Tools, whose
    answer is then named too."""
    flow = None
    if matching_rows is not None:
        try:
            flow = matching.solve(run.network, arc_cost)
        except SolverFailedError as exc:
            _log.warning("matching failed, solving this flow with OR-Tools: %s", exc)
    if flow is not None:
        run.engines |= {matching.ENGINE}
        return flow
    run.engines |= {MIN_COST_FLOW}
    return solve_network(run.network, arc_cost)


def _at_floor(run: _Run, pricing: _Pricing, remaining: list[Component]) -> bool:
    """True when the one component left is already at its lowest on the run's face under the
    flow solved so far (``Network.at_floor``), so its flow would prove nothing new. Only for
    the last component (a component with others after it still needs its own face) and only
    when no left-out arc is open, since an open one belongs to the full face too."""
    if len(remaining) != 1 or pricing.open.any():
        return False
    assert run.flow is not None
    return run.network.at_floor(run.flow, remaining[0].dense())


def _lexicographic(
    full: Network,
    pricing: _Pricing,
    remaining: list[Component],
    n_used: int,
    stop: float | None,
    max_pack: int | None,
    matching_rows: int | None,
) -> _Run:
    """Every component in order, each pack on the optimal face of the one before, the left-out
    arcs priced by each pack's potentials. A component is skipped only when it is zero on every
    arc that is free on the (full) face: the free arcs of this network and the open left-out
    ones."""
    run = _Run(fix_unit_arcs(full, pricing.index) if len(pricing.index) else full)

    def varying(left: list[Component]) -> list[Component]:
        return [c for c in left if run.network.varies(c.index, c.values) or pricing.touches(c)]

    while remaining := varying(remaining):
        if run.flow is not None and run.last is not None:
            if _at_floor(run, pricing, remaining):
                # Already at its floor on this (wider) network, so on the face too: no face
                # needed (churn 0 when nobody was re-routed).
                break
            if stop is not None and time.perf_counter() > stop:
                # Past the deadline's share: keep the flow solved so far (optimal for every
                # level before these), flagged pending, rather than start another phase.
                run.pending = tuple(c.name for c in remaining)
                break
            cost = run.last.cost()
            dist = potentials(run.network, run.flow, run.network.full_cost(cost), stop)
            if dist is None:
                run.pending = tuple(c.name for c in remaining)
                break
            pricing.price(cost, dist)
            run.priced = True
            if pricing.wrong.any():  # this try is lost: the caller adds arcs and starts again
                return run
            run.network = face(run.network, run.flow, cost, dist)
            remaining = varying(remaining)
            if not remaining or _at_floor(run, pricing, remaining):
                break
        run.last, run.flow = _solve_pack(run, remaining, n_used, max_pack, matching_rows)
        run.stages += (run.last.names,)
        run.priced = False
        remaining = remaining[len(run.last.components) :]
    if run.flow is None:  # nothing to optimise: any feasible flow (forced units placed)
        run.flow = _solve(run, np.zeros(full.n_arcs, dtype=np.int64), matching_rows)
    elif run.last is not None and not run.priced and pricing.open.any():
        # The last pack is priced too (its face is not needed otherwise); without a deadline
        # check, since the plan's claims rest on it. On a few thousand arcs it is ~1 ms.
        cost = run.last.cost()
        dist = potentials(run.network, run.flow, run.network.full_cost(cost), None)
        if dist is None:  # cannot happen for an optimal flow; fall back to every arc
            pricing.wrong[pricing.open] = True
        else:
            pricing.price(cost, dist)
    return run


def solve_flow(
    problem: AssignmentProblem,
    arcs: Arcs,
    stop: float | None = None,
    max_pack: int | None = None,
    left_out: np.ndarray | None = None,
    use_matching: bool = False,
) -> FlowResult:
    """The lexicographic optimum by a sequence of flows (see the module docstring).

    ``stop`` (a ``time.perf_counter`` value) is checked between phases: once it has passed, no
    further face or flow is started and the components left are reported ``pending``; the
    first flow always runs (it is what makes the plan feasible). ``max_pack`` caps the
    components per flow (tests set 1 to run every level on the face of the one before, as
    large requests do). ``left_out`` overrides the arcs pricing starts without (tests; None:
    ``_left_out``; ignored with coverage rules). The flows see every arc pricing could not rule
    out, so the result is the same optimum as with every arc.
    Raises SolverFailedError when a flow fails or a component does not fit int64 even alone.
    """
    start = time.perf_counter()
    full = build_network(problem, arcs)
    n_used = n_used_bound(arcs)
    every = components(arcs, problem.priority_levels())
    if left_out is None:
        out = _left_out(problem, arcs, full)
    elif problem.coverage_rules:  # the coverage stage needs the full face: nothing left out
        out = np.zeros(0, dtype=np.int64)
    else:  # forced units keep every arc, whatever the caller asked
        out = np.unique(np.asarray(left_out, dtype=np.int64))
        out = out[~full.forced_node[full.arc_unit_node[out]]]
    for attempt in range(3):
        if attempt == 2:  # two tries proved nothing: every arc
            out = out[:0]
        pricing = _Pricing(full, out)
        rows = matching.rows_bound(full) if use_matching else None
        run = _lexicographic(full, pricing, list(every), n_used, stop, max_pack, rows)
        add = pricing.to_add()
        if not len(add):
            break
        out = np.setdiff1d(out, add, assume_unique=True)
    assert run.flow is not None
    used = run.flow[run.network.unit_arcs] > 0
    return FlowResult(
        plan=arcs.plan(problem, used),
        used=used,
        stages=run.stages,
        pending=run.pending,
        network=run.network,
        flow=run.flow,
        last=run.last,
        wall_time=time.perf_counter() - start,
        priced_out=len(out),
        engines=run.engines,
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
