"""The exact move-up model shared by the MILP (HiGHS) and CP-SAT engines.

Idle units are grouped into *classes* of identical units (same post, same coverage row, same
travel to every post; ``moveup.unit_classes``): they are interchangeable in every term of the
objective, so the model counts moves per (class, post): ``x[c, p]`` in 0..min(max_moves, |c|),
with no symmetric solutions for the search to wade through.

Coverage of zone z after the moves is ``n_z = base_z - sum_(c,p) coef[(c,p), z] * x[c, p]``
with ``coef = cover_c[z] - cover_p[z]`` (+1: the move takes a covering unit away, -1: it brings
one). MEXCLP's concave ``1 - q**n`` is the usual staircase: one 0/1 ``y[z, k]`` per k-th covering
unit with weight ``d_z (1 - q) q**(k - 1)``; weights fall with k, so maximising fills the first
ones and ``sum_k y[z, k] <= n_z`` is enough (y may even be continuous: the LP fills them in
order). ``n_z`` moves at most ``max_moves`` away from ``base_z``, so only the steps from
``lo = max(0, base_z - max_moves) + 1`` on are variables, and only while their weight is not 0.

Objective (maximised): ``T * (sum w y - cost * moves) - travel`` with the step weights and the
move cost scaled to integers (``SCALE`` per call per hour: 1e-4 calls per hour resolution) and
``T = max_moves x longest move + 1``, so one unit of coverage outweighs any total drive:
coverage minus cost first, then the shortest total drive. Exact for the rounded weights (each
within 0.5e-4 calls per hour of the true one).

Reductions (all exact): a zone whose variable steps all weigh 0 after rounding is constant; a
(class, post) pair that brings a unit to no active zone is left out, because undoing such a move
never lowers an active zone's count and saves its cost and drive; and a pair (c, p') is left out
when a kept pair (c, p) covers every active zone p' covers with no longer drive (``_undominated``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solvers.assignment.moveup import Move, MoveUpProblem, candidate_pairs, unit_classes

__all__ = ["SCALE", "MoveModel", "build_model"]

#: Integer units per call per hour in the exact models' objective.
SCALE = 10_000


@dataclass(frozen=True, eq=False)
class MoveModel:
    """The model as arrays: pairs (class, post), active zones and their staircases."""

    classes: list[list[int]]
    pair_class: np.ndarray
    pair_post: np.ndarray
    pair_upper: np.ndarray
    travel: np.ndarray
    coef: np.ndarray  # pairs x active zones, int8
    steps: list[list[int]]  # per active zone, the variable step weights (scaled)
    rhs: np.ndarray  # per active zone: base - lo
    constant: int  # scaled value of every fixed step
    t: int
    cost: int
    max_moves: int

    @property
    def n_pairs(self) -> int:
        """Move variables."""
        return len(self.pair_class)

    def class_limits(self) -> list[tuple[np.ndarray, int]]:
        """(pair indices, limit) for classes smaller than max_moves with several pairs."""
        out = []
        for c in np.unique(self.pair_class).tolist():
            size = len(self.classes[c])
            pairs = np.flatnonzero(self.pair_class == c)
            if size < self.max_moves and len(pairs) > 1:
                out.append((pairs, size))
        return out

    def moves(self, problem: MoveUpProblem, counts: list[int]) -> list[Move]:
        """Moves from per-pair counts: a class's members are taken in index order."""
        taken = [0] * len(self.classes)
        moves: list[Move] = []
        for k, count in enumerate(counts):
            c, p = int(self.pair_class[k]), int(self.pair_post[k])
            for u in self.classes[c][taken[c] : taken[c] + count]:
                moves.append(Move(u, p, int(problem.unit_to_post[u, p])))
            taken[c] += count
        return moves

    def value_bound(self, objective_bound: float) -> float:
        """Upper bound on coverage minus move cost (calls per hour) from a bound on the
        objective: T * A - travel <= U with 0 <= travel < T gives A <= floor((U + T - 1) / T)."""
        best = int(np.floor(objective_bound + 1e-6))
        return (self.constant + (best + self.t - 1) // self.t) / SCALE


def _weights(problem: MoveUpProblem, z: int, hi: int) -> list[int]:
    """Scaled MEXCLP step weights of zone z for the k-th covering unit, k = 1 .. hi."""
    d, q = float(problem.demand[z]), float(problem.busy_fraction)
    return [round(d * (1.0 - q) * q ** (k - 1) * SCALE) for k in range(1, hi + 1)]


def _zones(problem: MoveUpProblem, base: np.ndarray) -> tuple[list[int], list[list[int]], int]:
    """Active zones, their variable step weights, and the constant of the fixed steps."""
    m = problem.max_moves
    active, steps, constant = [], [], 0
    for z in np.flatnonzero(problem.demand > 0).tolist():
        b = int(base[z])
        lo = max(0, b - m)
        weights = _weights(problem, z, b + m)
        constant += sum(weights[:lo])
        variable = [w for w in weights[lo:] if w]  # weights never rise with k: zeros trail
        if variable:
            active.append(z)
            steps.append(variable)
        else:
            constant += sum(weights[lo:b])
    return active, steps, constant


def _undominated(keep: np.ndarray, cover_p: np.ndarray, travel: np.ndarray) -> np.ndarray:
    """``keep`` without pairs (c, p') beaten by a kept (c, p): p covers every active zone p'
    covers and is no farther from c (equal covers: nearer, then lower index). Exact: moving
    to p instead leaves no zone with fewer units, the same number of moves, no longer drive."""
    covers = cover_p.astype(bool)
    # [p, p']: no zone that p' covers and p misses, i.e. p covers a superset of p'.
    superset = ~np.any(covers[:, None, :] < covers[None, :, :], axis=2)
    equal = superset & superset.T
    index = np.arange(len(covers))
    out = keep.copy()
    for c in np.flatnonzero(keep.any(axis=1)).tolist():
        t = travel[c]
        nearer = (t[:, None] < t[None, :]) | (
            (t[:, None] == t[None, :]) & (index[:, None] < index[None, :])
        )
        beats = (
            superset & keep[c][:, None] & ((~equal & (t[:, None] <= t[None, :])) | (equal & nearer))
        )
        out[c] &= ~beats.any(axis=0)
    return out


def build_model(problem: MoveUpProblem) -> MoveModel:
    """The arrays of the exact model (see the module docstring)."""
    classes = unit_classes(problem)
    cover = problem.unit_covers()
    base = cover[problem.idle.astype(bool)].sum(axis=0)
    active, steps, constant = _zones(problem, base)
    m = problem.max_moves
    reps = np.array([members[0] for members in classes], dtype=np.int64)
    cover_c = cover[np.ix_(reps, active)].astype(np.int8)
    cover_p = problem.post_covers()[:, active].astype(np.int8)
    coef = cover_c[:, None, :] - cover_p[None, :, :]  # classes x posts x active zones
    keep = candidate_pairs(problem)[reps] & (coef < 0).any(axis=2) if m else np.zeros((0, 0), bool)
    if keep.size:
        keep = _undominated(keep, cover_p, problem.unit_to_post[reps])
    cs, ps = np.nonzero(keep)
    rhs = np.array([int(base[z]) - max(0, int(base[z]) - m) for z in active], dtype=np.int64)
    if not len(cs):  # nothing can change: every active zone keeps its count
        constant += sum(sum(s[: int(r)]) for s, r in zip(steps, rhs, strict=True))
        active, steps, rhs = [], [], np.zeros(0, dtype=np.int64)
    travel = (
        problem.unit_to_post[reps[cs], ps].astype(np.int64) if len(cs) else np.zeros(0, np.int64)
    )
    return MoveModel(
        classes=classes,
        pair_class=cs.astype(np.int64),
        pair_post=ps.astype(np.int64),
        pair_upper=np.minimum(m, np.array([len(classes[c]) for c in cs], dtype=np.int64)),
        travel=travel,
        coef=coef[cs, ps][:, : len(active)] if len(cs) else np.zeros((0, 0), np.int8),
        steps=steps,
        rhs=rhs,
        constant=constant,
        t=m * int(travel.max(initial=0)) + 1,
        cost=round(problem.move_cost * SCALE),
        max_moves=m,
    )
