"""The lexicographic objective as an ordered list of per-arc components, and their packing into
as few integer min-cost-flow costs as int64 allows.

Components, most important first (all minimised over the arcs a plan uses):

1. ``fill``: ``-(levels + 1 - rank)`` per filled slot. One component suffices for "filled slots
   per priority level, most urgent first": the sets of slots that can be filled together form a
   transversal matroid, and every maximum-weight independent set under weights that decrease
   with the rank fills the most of every prefix of levels (so it is lexicographically maximal).
2. ``first_p<p>`` and ``late_p<p>``, per priority level, most urgent first (``first_p`` before
   ``late_p`` of the same level, each only when the level has such terms): ``first_p`` is -1 per
   lead arc arriving within its requirement's first-unit target (maximise the requirements whose
   first unit is in time; exact by the lead/rest split of ``arcs.py``), ``late_p`` 1 per filled
   slot of that level reached after its target. Given level 1 (filled slots per level fixed),
   fewer late slots per level is exactly more slots within target per level. These need one
   component per level: which slots are reached in time depends on the (unit, slot) pair, not
   on the set of slots, and no matroid argument holds (one on-time P1 slot can cost any number
   of on-time P2 slots along an alternating cycle; tests/solvers/assignment/test_lexicographic.py
   has it).
3. ``response``: ``w(p) * eta`` per filled slot.
4. (coverage shortfall: not a per-arc sum; CP-SAT handles it on the optimal face, stages.py.)
5. ``churn``: 1 per re-routed EN_ROUTE unit.

A pack of consecutive components j..m is one cost ``sum M_j * c_j`` with ``M_m = 1`` and
``M_j = 1 + sum_{i > j} M_i * span_i`` (``span_i`` bounds how much component i's total can differ
between two plans): one unit of a higher component outweighs every possible total of the lower
ones, so the pack's optimum is lexicographic over its components. A pack is closed when the next
component would push the largest arc cost times (nodes + 1) (OR-Tools' cost scaling) or times
(used arcs + 1) (the total) past ``INT64_GUARD``; the next pack is solved on the optimal face of
the previous one (``network.restrict``), which keeps it exact. Each single component fits by
itself at the largest request the contract accepts (see FORMULATION.md, "Overflow"), so the flow
never has to decline there; beyond it a component that does not fit alone raises.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from solvers.assignment.arcs import INT64_GUARD, Arcs
from solvers.assignment.matching import fits as matching_fits
from solvers.assignment.network import stable_order
from solvers.errors import SolverFailedError

CHURN = "churn"
RESPONSE = "response"
FILL = "fill"


@dataclass(frozen=True, eq=False)
class Component:
    """One lexicographic term, minimised: integer coefficients on some arcs (sparse: a request
    may have up to 1000 priority levels, and one dense array per level would not fit memory),
    the largest coefficient, and a bound on how far its total can differ between two plans."""

    name: str
    index: np.ndarray  # arc indices with a coefficient, each once
    values: np.ndarray  # int64, parallel to index
    span: int
    n_arcs: int

    @cached_property
    def biggest(self) -> int:
        """Largest absolute coefficient (read for every pack tried: kept)."""
        return int(np.abs(self.values).max()) if len(self.values) else 0

    def dense(self) -> np.ndarray:
        """Coefficients on every arc (int64), for one solve at a time."""
        out = np.zeros(self.n_arcs, dtype=np.int64)
        out[self.index] = self.values
        return out


@dataclass(frozen=True, eq=False)
class Pack:
    """Consecutive components weighted into one flow cost (Python-int weights)."""

    components: tuple[Component, ...]
    weights: tuple[int, ...]
    _costs: dict[str, np.ndarray] = field(default_factory=dict, init=False, repr=False)

    @property
    def names(self) -> tuple[str, ...]:
        """Component names, most important first."""
        return tuple(c.name for c in self.components)

    def cost(self, without: str = "") -> np.ndarray:
        """The pack's per-arc cost (int64), optionally leaving one component out.

        Leaving out the last component (churn) keeps the others' weights valid: each still
        exceeds everything below it, so the result is the pack's prefix, lexicographically.
        Built once per ``without`` (the flow, its potentials and the pricing all read it) and
        returned read-only."""
        total = self._costs.get(without)
        if total is None:
            total = np.zeros(self.components[0].n_arcs, dtype=np.int64)
            for component, weight in zip(self.components, self.weights, strict=True):
                if component.name != without:
                    total[component.index] += np.int64(weight) * component.values
            total.flags.writeable = False
            self._costs[without] = total
        return total


def n_used_bound(arcs: Arcs) -> int:
    """Most arcs any plan can use: one per unit with an arc, and no more than there are slots."""
    units = int(np.count_nonzero(np.bincount(arcs.unit))) if arcs.n_arcs else 0
    return min(units, int(arcs.group_count.sum()))


def components(arcs: Arcs, levels: tuple[int, ...]) -> list[Component]:
    """The objective's per-arc components in lexicographic order (see the module docstring).

    ``levels`` are the problem's priority levels, most urgent first (rank r is levels[r - 1]).
    """
    n, n_used = arcs.n_arcs, n_used_bound(arcs)
    every = np.arange(n, dtype=np.int64)
    out = [Component(FILL, every, -arcs.rank_bonus, n_used * arcs.n_levels, n)]
    timely = _per_rank(arcs, arcs.first, "first", -1) + _per_rank(arcs, arcs.late, "late", 1)
    # Most urgent level first; within a level the first-unit targets before the slots.
    for (rank, _), name, chunk, values, span in sorted(timely, key=lambda t: t[0]):
        out.append(Component(f"{name}_p{levels[rank - 1]}", chunk, values, span, n))
    biggest = int(arcs.response.max()) if n else 0
    out.append(Component(RESPONSE, every, arcs.response, n_used * biggest, n))
    moves = np.flatnonzero(arcs.moved == 1)
    movers = int(np.count_nonzero(np.bincount(arcs.unit[moves]))) if len(moves) else 0
    out.append(Component(CHURN, moves, np.ones(len(moves), dtype=np.int64), movers, n))
    return out


def _per_rank(
    arcs: Arcs, marked: np.ndarray, name: str, value: int
) -> list[tuple[tuple[int, int], str, np.ndarray, np.ndarray, int]]:
    """Per priority rank, the arcs where ``marked`` is 1 with coefficient ``value``: (sort key
    (rank, 0 for first-unit, 1 for late), name, arc indices, values, span). Span: at most one
    slot per unit, and no more than the slots of the groups the marked arcs enter."""
    chosen = np.flatnonzero(marked == 1)
    chosen = chosen[stable_order(arcs.rank[chosen], arcs.n_levels + 2)]  # grouped by rank
    order = 0 if name == "first" else 1
    out = []
    for chunk in np.split(chosen, np.flatnonzero(np.diff(arcs.rank[chosen])) + 1):
        if not len(chunk):
            continue
        groups = np.flatnonzero(np.bincount(arcs.group[chunk]))
        units = int(np.count_nonzero(np.bincount(arcs.unit[chunk])))
        span = min(units, int(arcs.group_count[groups].sum()))
        values = np.full(len(chunk), value, dtype=np.int64)
        out.append(((int(arcs.rank[chunk[0]]), order), name, chunk, values, span))
    return out


def _weights(chosen: list[Component]) -> list[int]:
    """M_m = 1, M_j = 1 + sum_{i > j} M_i * span_i (Python ints, never overflow)."""
    weights = [0] * len(chosen)
    below = 0
    for k in range(len(chosen) - 1, -1, -1):
        weights[k] = below + 1
        below += weights[k] * chosen[k].span
    return weights


def biggest_cost(chosen: list[Component]) -> int:
    """Largest absolute per-arc cost of the weighted sum of ``chosen``, or a bound on it."""
    weights = _weights(chosen)
    return sum(w * c.biggest for w, c in zip(weights, chosen, strict=True))


def fits(chosen: list[Component], n_nodes: int, n_used: int) -> bool:
    """True when the weighted sum of ``chosen`` stays inside int64 for OR-Tools' min-cost flow:
    largest arc cost times (nodes + 1) (its cost scaling) and times (used arcs + 1) (the total)
    below ``INT64_GUARD``."""
    biggest = biggest_cost(chosen)
    return biggest * (n_nodes + 1) < INT64_GUARD and biggest * (n_used + 1) < INT64_GUARD


def next_pack(
    remaining: list[Component],
    n_nodes: int,
    n_used: int,
    max_size: int | None = None,
    matching_rows: int | None = None,
) -> Pack:
    """The longest prefix of ``remaining`` that fits one flow (at most ``max_size`` components,
    which tests use to force the face-by-face path); SolverFailedError when even the first
    component alone does not fit (only beyond the contract's bounds).

    With ``matching_rows`` (the flows are solved as a matching of that many rows at most) a
    pack whose first component is exact in the matching's float arithmetic stays so: more,
    smaller packs, each solved far faster than one flow in OR-Tools (``matching.py``)."""
    if not remaining:
        raise ValueError("no component left to pack")
    if not fits(remaining[:1], n_nodes, n_used):
        raise SolverFailedError(
            f"min_cost_flow: the {remaining[0].name} level alone does not fit in int64"
        )
    exact_rows = matching_rows
    if exact_rows is not None and not matching_fits(biggest_cost(remaining[:1]), exact_rows):
        exact_rows = None  # the first component is OR-Tools' anyway: pack for OR-Tools

    def grows(chosen: list[Component]) -> bool:
        if exact_rows is not None and not matching_fits(biggest_cost(chosen), exact_rows):
            return False
        return fits(chosen, n_nodes, n_used)

    size, limit = 1, min(len(remaining), max_size or len(remaining))
    while size < limit and grows(remaining[: size + 1]):
        size += 1
    chosen = remaining[:size]
    return Pack(tuple(chosen), tuple(_weights(chosen)))
