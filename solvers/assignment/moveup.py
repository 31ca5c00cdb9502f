"""Move-up (relocation) problem: which idle units should drive to which posts after a dispatch.

The model is MEXCLP, the maximum expected covering location problem of Daskin (1983,
*Transportation Science* 17(1):48-70), with a cost per move and a cap on moves (see
``FORMULATION.md``, "Move-up"). Each unit is busy with probability ``busy_fraction`` (q), so a
zone covered by ``n`` units within ``radius`` seconds is served in time with probability
``1 - q**n``; expected coverage is ``sum_z demand_z * (1 - q**n_z)`` in calls per hour. With
q = 0 it is the maximal covering location problem (a zone counts once one unit covers it).

Why MEXCLP and not the double-standard model: it has one objective and no hard constraint, so
it always has an answer (after a large incident every zone within r2 may be impossible), its
busy fraction gives a second or third unit near busy zones a value the dispatcher can read
(calls per hour), and it is the model behind the dynamic relocation results the issue anchors
on (Jagtenberg et al.: DMEXCLP).

Units that may move are the problem's units with ``idle`` set (free after the dispatch); units
without it (dispatched) count only in the coverage *before* the dispatch. Indices, not ids,
cross-reference; ids only name things.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "Move",
    "MoveUpProblem",
    "candidate_pairs",
    "unit_classes",
]


@dataclass(frozen=True, eq=False)
class MoveUpProblem:
    """Everything the move-up solvers need (times are integer seconds).

    ``unit_to_zone`` (units x zones): where each unit is now; ``post_to_zone`` (posts x zones):
    where a unit would be after moving to a post; ``unit_to_post`` (units x posts): how long the
    move takes; ``unit_post``: the post a unit stands at now, or -1 (on the road, at a hospital).
    ``idle``: free after the dispatch (may move and counts after it). ``demand`` in calls per
    hour per zone; ``move_cost`` in the same unit per move; ``max_move_seconds`` 0 = no limit.
    """

    unit_ids: tuple[str, ...]
    post_ids: tuple[str, ...]
    zone_ids: tuple[str, ...]
    demand: np.ndarray
    unit_to_zone: np.ndarray
    post_to_zone: np.ndarray
    unit_to_post: np.ndarray
    unit_post: np.ndarray
    idle: np.ndarray
    radius: int
    busy_fraction: float = 0.0
    move_cost: float = 0.0
    max_moves: int = 0
    max_move_seconds: int = 0

    def __post_init__(self) -> None:
        u, p, z = len(self.unit_ids), len(self.post_ids), len(self.zone_ids)
        shapes = {
            "demand": (self.demand, (z,)),
            "unit_to_zone": (self.unit_to_zone, (u, z)),
            "post_to_zone": (self.post_to_zone, (p, z)),
            "unit_to_post": (self.unit_to_post, (u, p)),
            "unit_post": (self.unit_post, (u,)),
            "idle": (self.idle, (u,)),
        }
        for name, (array, shape) in shapes.items():
            if np.shape(array) != shape:
                raise ValueError(f"{name} has shape {np.shape(array)}, expected {shape}.")
        if self.radius <= 0:
            raise ValueError("radius must be positive.")
        if not 0.0 <= self.busy_fraction < 1.0:
            raise ValueError("busy_fraction must be in [0, 1).")
        if self.move_cost < 0 or self.max_moves < 0 or self.max_move_seconds < 0:
            raise ValueError("move_cost, max_moves and max_move_seconds must not be negative.")
        if np.any(self.demand < 0) or not np.all(np.isfinite(self.demand)):
            raise ValueError("demand must be finite and not negative.")

    @property
    def n_units(self) -> int:
        """Units in the problem (idle or not)."""
        return len(self.unit_ids)

    @property
    def n_posts(self) -> int:
        """Posts a unit may move to."""
        return len(self.post_ids)

    @property
    def n_zones(self) -> int:
        """Demand zones."""
        return len(self.zone_ids)

    def unit_covers(self) -> np.ndarray:
        """Bool (units x zones): the unit reaches the zone within the radius from where it is."""
        return self.unit_to_zone <= self.radius

    def post_covers(self) -> np.ndarray:
        """Bool (posts x zones): a unit at the post reaches the zone within the radius."""
        return self.post_to_zone <= self.radius


@dataclass(frozen=True)
class Move:
    """One recommended relocation: ``unit`` drives to ``post`` in ``travel`` seconds."""

    unit: int
    post: int
    travel: int


def candidate_pairs(problem: MoveUpProblem) -> np.ndarray:
    """Bool (units x posts): the unit is idle, the post is not its own, the move is short enough."""
    allowed = np.repeat(problem.idle[:, None], problem.n_posts, axis=1).astype(bool)
    own = problem.unit_post
    rows = np.flatnonzero(own >= 0)
    allowed[rows, own[rows]] = False
    if problem.max_move_seconds > 0:
        allowed &= problem.unit_to_post <= problem.max_move_seconds
    return allowed


def unit_classes(problem: MoveUpProblem) -> list[list[int]]:
    """Idle units grouped into classes of identical units (post, coverage row, travel row).

    Units of one class are interchangeable in every term of the objective: solvers decide how
    many of a class move where, then take its members in index order.
    """
    cover = problem.unit_covers()
    keys: dict[tuple[int, bytes, bytes], int] = {}
    members: list[list[int]] = []
    for u in np.flatnonzero(problem.idle).tolist():
        key = (
            int(problem.unit_post[u]),
            np.packbits(cover[u]).tobytes(),
            problem.unit_to_post[u].tobytes(),
        )
        c = keys.setdefault(key, len(keys))
        if c == len(members):
            members.append([])
        members[c].append(u)
    return members
