"""Move-up alone at city size (100 zones, 50 posts, 300 units): wall time and status.

States are drawn on a city generated like the simulated one but with 3 km zones (a 30 km
region: 300 units on the 15 km city would leave nothing to move) and 3000 calls a day. Units
stand at posts drawn by demand, a tenth are on the road (no post, at a random zone), and a
share is not idle (dispatched or busy). Two loads: ``typical`` (25 % not idle) and
``stretched`` (60 % not idle, whole districts empty). Up to 5 moves, no limit on the drive (the
largest model), radius 420 s, q = 0.3, move cost 0.02 calls per hour, a 1 s budget; the time is
``solve_moveup`` end to end (greedy, HiGHS and CP-SAT if needed, the checks), as wall time and
as CPU time of the process (less sensitive to other work on a shared machine).
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks.dispatchsim.city import generate_city
from solvers.assignment.moveup import MoveUpProblem
from solvers.assignment.moveup_solve import solve_moveup
from solvers.budget import Deadline

__all__ = ["city_size_problem", "time_city_size"]

N_UNITS, N_POSTS = 300, 50
LOADS = {"typical": 0.25, "stretched": 0.6}


def city_size_problem(seed: int, busy: float, calls_per_day: float = 3000.0) -> MoveUpProblem:
    """One random state of the seed's city with ``busy`` of the 300 units not idle."""
    city = generate_city(seed, side=10, n_posts=N_POSTS, zone_metres=3000.0)
    rng = np.random.default_rng(seed * 7919 + int(busy * 100))
    post_weight = city.weight[city.posts] / city.weight[city.posts].sum()
    unit_post = rng.choice(N_POSTS, size=N_UNITS, p=post_weight).astype(np.int64)
    zone = city.posts[unit_post]
    road = rng.random(N_UNITS) < 0.1
    zone = np.where(road, rng.integers(0, city.n_zones, N_UNITS), zone)
    unit_post = np.where(road, -1, unit_post)
    return MoveUpProblem(
        unit_ids=tuple(f"u{k}" for k in range(N_UNITS)),
        post_ids=tuple(f"p{k}" for k in range(N_POSTS)),
        zone_ids=tuple(f"z{k}" for k in range(city.n_zones)),
        demand=city.weight * calls_per_day / 24.0,
        unit_to_zone=city.travel[zone],
        post_to_zone=city.travel[city.posts],
        unit_to_post=city.travel[np.ix_(zone, city.posts)],
        unit_post=unit_post,
        idle=rng.random(N_UNITS) >= busy,
        radius=420,
        busy_fraction=0.3,
        move_cost=0.02,
        max_moves=5,
    )


def time_city_size(seeds: list[int], repeats: int) -> dict:
    """Per load: wall-time percentiles (ms) and status counts over ``repeats`` states."""
    out = {}
    for load, busy in LOADS.items():
        times, cpu, statuses, moves = [], [], {}, []
        for k in range(repeats):
            problem = city_size_problem(seeds[k % len(seeds)] + 100 * k, busy)
            start, start_cpu = time.perf_counter(), time.process_time()
            result = solve_moveup(problem, Deadline.after(1.0))
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
            key = f"{result.report.engine}:{result.report.status.value}"
            statuses[key] = statuses.get(key, 0) + 1
            moves.append(result.evaluation.moves)
        ms = np.array(times) * 1000
        out[load] = {
            "share_not_idle": busy,
            "states": repeats,
            "p50_ms": float(np.percentile(ms, 50)),
            "p90_ms": float(np.percentile(ms, 90)),
            "max_ms": float(ms.max()),
            "within_200ms": int(np.sum(ms <= 200)),
            "cpu_p50_ms": float(np.percentile(cpu, 50) * 1000),
            "cpu_p90_ms": float(np.percentile(cpu, 90) * 1000),
            "status": statuses,
            "mean_moves": float(np.mean(moves)),
        }
    return out
