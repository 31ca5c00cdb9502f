"""Greedy move-up: add the single best move while it pays for itself (the fallback).

Each round evaluates every allowed (class of identical idle units, post) pair at once in numpy:
the gain of a move is the coverage with one unit of the class taken from where it stands and
added at the post, minus the coverage now, minus ``move_cost``; ties go to the shorter drive.
It stops at ``max_moves`` or when no move gains more than it costs. Milliseconds at city size;
never claims optimality.
"""

from __future__ import annotations

import numpy as np

from solvers.assignment.moveup import Move, MoveUpProblem, candidate_pairs, unit_classes

__all__ = ["coverage_table", "solve_greedy_moveup"]

#: Gains at or below this are treated as zero (floating-point noise is not worth a move).
_EPS = 1e-9


def coverage_table(busy_fraction: float, largest: int) -> np.ndarray:
    """``1 - q**n`` for n = 0..largest (a lookup beats ``np.power`` on every trial count)."""
    return 1.0 - np.power(float(busy_fraction), np.arange(largest + 1, dtype=np.float64))


def solve_greedy_moveup(problem: MoveUpProblem) -> list[Move]:
    """Moves chosen one at a time, best net gain first (no move when none pays)."""
    classes = unit_classes(problem)
    if not classes or problem.max_moves == 0:
        return []
    reps = np.array([members[0] for members in classes], dtype=np.int64)
    left = np.array([len(members) for members in classes], dtype=np.int64)
    allowed = candidate_pairs(problem)[reps]
    covers = problem.unit_covers()
    class_cover = covers[reps].astype(np.int64)
    post_cover = problem.post_covers().astype(np.int64)
    counts = covers[problem.idle.astype(bool)].sum(axis=0).astype(np.int64)
    demand = problem.demand.astype(np.float64)
    table = coverage_table(problem.busy_fraction, problem.n_units + 1)
    travel = problem.unit_to_post[reps]
    moves: list[Move] = []
    for _ in range(problem.max_moves):
        usable = allowed & (left > 0)[:, None]
        if not usable.any():
            break
        now = float(table[counts] @ demand)
        trial = counts[None, None, :] - class_cover[:, None, :] + post_cover[None, :, :]
        gain = table[trial] @ demand - now - problem.move_cost
        gain[~usable] = -np.inf
        best = float(gain.max())
        if best <= _EPS:
            break
        ties = np.argwhere(gain >= best - _EPS)
        c, post = ties[int(np.argmin(travel[ties[:, 0], ties[:, 1]]))]
        unit = classes[c][len(classes[c]) - int(left[c])]
        moves.append(Move(unit, int(post), int(problem.unit_to_post[unit, post])))
        counts = counts - class_cover[c] + post_cover[post]
        left[c] -= 1
    return moves
