"""Move-up instances for the tests: a hand-made line city and random tiny ones (numpy only)."""

from __future__ import annotations

import itertools

import numpy as np

from solvers.assignment.moveup import Move, MoveUpProblem, candidate_pairs
from solvers.assignment.moveup_check import check_moves


def line_city(
    idle: list[bool],
    unit_post: list[int],
    *,
    demand: tuple[float, ...] = (1.0, 1.0, 1.0),
    move_cost: float = 0.0,
    max_moves: int = 2,
    busy_fraction: float = 0.0,
    max_move_seconds: int = 0,
) -> MoveUpProblem:
    """Three zones and three posts on a line 600 s apart; post k sits in zone k; radius 300 s.

    Each unit stands at the post ``unit_post[u]``; a unit covers only its own post's zone.
    """
    positions = np.array([0, 600, 1200])
    post_to_zone = np.abs(positions[:, None] - positions[None, :]).astype(np.int64)
    units = np.array(unit_post, dtype=np.int64)
    return MoveUpProblem(
        unit_ids=tuple(f"u{k}" for k in range(len(units))),
        post_ids=("west", "centre", "east"),
        zone_ids=("z-west", "z-centre", "z-east"),
        demand=np.array(demand, dtype=np.float64),
        unit_to_zone=post_to_zone[units],
        post_to_zone=post_to_zone,
        unit_to_post=post_to_zone[units],
        unit_post=units,
        idle=np.array(idle, dtype=bool),
        radius=300,
        busy_fraction=busy_fraction,
        move_cost=move_cost,
        max_moves=max_moves,
        max_move_seconds=max_move_seconds,
    )


def random_problem(rng: np.random.Generator, n_units: int, n_posts: int, n_zones: int, **kw):
    """Points on a 10-minute square, Manhattan travel; some units on the road (no post)."""
    zones = rng.uniform(0, 600, (n_zones, 2))
    posts = rng.uniform(0, 600, (n_posts, 2))
    at_post = rng.random(n_units) < 0.7
    unit_post = np.where(at_post, rng.integers(0, n_posts, n_units), -1).astype(np.int64)
    units = np.where(
        at_post[:, None], posts[np.maximum(unit_post, 0)], rng.uniform(0, 600, (n_units, 2))
    )

    def travel(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.rint(np.abs(a[:, None, :] - b[None, :, :]).sum(axis=-1)).astype(np.int64)

    return MoveUpProblem(
        unit_ids=tuple(f"u{k}" for k in range(n_units)),
        post_ids=tuple(f"p{k}" for k in range(n_posts)),
        zone_ids=tuple(f"z{k}" for k in range(n_zones)),
        demand=np.round(rng.uniform(0, 4, n_zones) * 2) / 2,
        unit_to_zone=travel(units, zones),
        post_to_zone=travel(posts, zones),
        unit_to_post=travel(units, posts),
        unit_post=unit_post,
        idle=rng.random(n_units) < 0.7,
        radius=int(rng.integers(150, 450)),
        **kw,
    )


def brute_force(problem: MoveUpProblem) -> list[tuple[float, int, list[Move]]]:
    """Every allowed set of moves with (objective, travel), by full enumeration."""
    allowed = candidate_pairs(problem)
    options = [
        [None, *np.flatnonzero(allowed[u]).tolist()] if problem.idle[u] else [None]
        for u in range(problem.n_units)
    ]
    out = []
    for choice in itertools.product(*options):
        moves = [
            Move(u, p, int(problem.unit_to_post[u, p]))
            for u, p in enumerate(choice)
            if p is not None
        ]
        if len(moves) <= problem.max_moves:
            e = check_moves(problem, moves)
            out.append((e.objective, e.travel, moves))
    return out
