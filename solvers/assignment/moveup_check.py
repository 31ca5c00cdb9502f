"""The independent check of a move-up answer: rules re-verified, coverage recomputed from scratch.

Written apart from the solvers on purpose: it reads the raw matrices itself (no shared coverage
helpers, candidate masks, classes or lookup tables) and counts each zone's covering units
directly, so a solver's bookkeeping error cannot hide in the check.

Rules: every moved unit exists, is idle and moves once; the post exists and is not the post the
unit stands at; the move is within ``max_move_seconds`` when that is set; at most ``max_moves``
moves; each move's travel time is the matrix entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from solvers.assignment.moveup import Move, MoveUpProblem
from solvers.errors import PlanRejectedError

__all__ = ["MoveUpEvaluation", "check_moves"]


@dataclass(frozen=True)
class MoveUpEvaluation:
    """Coverage (expected covered calls per hour) before and after the dispatch and the moves."""

    total_demand: float
    before_dispatch: float
    after_dispatch: float
    after_moves: float
    uncovered_before_dispatch: int
    uncovered_after_dispatch: int
    uncovered_after_moves: int
    moves: int
    travel: int
    objective: float


def _coverage(problem: MoveUpProblem, covers: np.ndarray) -> tuple[float, int]:
    """(expected coverage, zones with demand that no unit covers) of a units x zones bool."""
    n = covers.sum(axis=0).astype(np.float64)
    demand = np.asarray(problem.demand, dtype=np.float64)
    value = float(np.sum(demand * (1.0 - float(problem.busy_fraction) ** n)))
    return value, int(np.sum((n == 0) & (demand > 0)))


def _rules(problem: MoveUpProblem, moves: Sequence[Move]) -> None:
    if len(moves) > problem.max_moves:
        raise PlanRejectedError(f"{len(moves)} moves, more than max_moves {problem.max_moves}.")
    seen: set[int] = set()
    for move in moves:
        u, p = int(move.unit), int(move.post)
        if not 0 <= u < problem.n_units or not 0 <= p < problem.n_posts:
            raise PlanRejectedError(f"Move {move} names a unit or post outside the problem.")
        if u in seen:
            raise PlanRejectedError(f"Unit {problem.unit_ids[u]!r} moves twice.")
        seen.add(u)
        if not bool(problem.idle[u]):
            raise PlanRejectedError(f"Unit {problem.unit_ids[u]!r} is not idle.")
        if int(problem.unit_post[u]) == p:
            raise PlanRejectedError(f"Unit {problem.unit_ids[u]!r} moves to its own post.")
        travel = int(problem.unit_to_post[u, p])
        if move.travel != travel:
            raise PlanRejectedError(f"Move {move} reports travel {move.travel}, not {travel}.")
        if problem.max_move_seconds and travel > problem.max_move_seconds:
            raise PlanRejectedError(f"Move {move} is longer than {problem.max_move_seconds} s.")


def check_moves(problem: MoveUpProblem, moves: Sequence[Move]) -> MoveUpEvaluation:
    """Verify ``moves`` (PlanRejectedError if a rule is broken) and recompute every figure."""
    _rules(problem, moves)
    r = problem.radius
    here = np.asarray(problem.unit_to_zone) <= r
    idle = np.asarray(problem.idle, dtype=bool)
    after = here.copy()
    for move in moves:
        after[int(move.unit)] = np.asarray(problem.post_to_zone[int(move.post)]) <= r
    before, unc_before = _coverage(problem, here)
    dispatched, unc_dispatched = _coverage(problem, here[idle])
    final, unc_final = _coverage(problem, after[idle])
    return MoveUpEvaluation(
        total_demand=float(np.sum(problem.demand)),
        before_dispatch=before,
        after_dispatch=dispatched,
        after_moves=final,
        uncovered_before_dispatch=unc_before,
        uncovered_after_dispatch=unc_dispatched,
        uncovered_after_moves=unc_final,
        moves=len(moves),
        travel=sum(int(m.travel) for m in moves),
        objective=final - problem.move_cost * len(moves),
    )
