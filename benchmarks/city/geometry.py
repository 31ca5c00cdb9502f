"""A synthetic city: clustered points and road-like, asymmetric travel matrices.

Why not Euclidean: real street networks give travel times that are longer than the straight line
(a grid plus detours), differ by direction (one-way streets, turns) and obey the triangle
inequality only because they are shortest paths. The matrices here copy those three traits so
that solvers tuned on Euclidean benchmarks meet the shape of a city request:

* distance = Manhattan metres x a per-pair detour factor (1.1-1.4) x per-arc noise (one way may
  be up to ~15 % longer than the other) + a short access leg;
* time = distance / speed, the speed 30 km/h on short hops rising to 40 km/h on long arcs
  (arterials), so time and distance are not proportional;
* both matrices are closed under shortest paths on the (integer) times, and the distance kept is
  the one of the path chosen for time: the triangle inequality holds exactly for times, and
  distances are the metres actually driven.
"""

from __future__ import annotations

import numpy as np

#: Side of the square city in metres.
CITY_SIDE_M = 12_000.0
#: Metres added to every arc: leaving a kerb and finding the address.
ACCESS_M = 150.0
SLOW_KMH = 30.0
FAST_KMH = 40.0
#: Arc length (metres) from which the fast speed applies.
ARTERIAL_M = 6_000.0


def clustered_points(rng: np.random.Generator, n: int, clusters: int) -> np.ndarray:
    """``n`` points (metres) in neighbourhoods: 80 % around cluster centres, 20 % anywhere.

    Work orders and bins come in neighbourhoods, not uniformly: the mix gives solvers both dense
    clusters and the long connecting arcs between them.
    """
    margin = 0.1 * CITY_SIDE_M
    centres = rng.uniform(margin, CITY_SIDE_M - margin, size=(clusters, 2))
    spread = rng.uniform(400.0, 1_200.0, size=clusters)
    in_cluster = rng.random(n) < 0.8
    which = rng.integers(0, clusters, size=n)
    around = centres[which] + rng.normal(size=(n, 2)) * spread[which, None]
    anywhere = rng.uniform(0.0, CITY_SIDE_M, size=(n, 2))
    points = np.where(in_cluster[:, None], around, anywhere)
    return np.clip(points, 0.0, CITY_SIDE_M)


def road_matrices(rng: np.random.Generator, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(seconds, metres) int64 matrices over ``points``: asymmetric, shortest-path closed."""
    n = len(points)
    manhattan = np.abs(points[:, None, :] - points[None, :, :]).sum(axis=2)
    detour = rng.uniform(1.1, 1.4, size=(n, n))
    detour = (detour + detour.T) / 2.0  # the street layout between two places is shared
    one_way = rng.lognormal(mean=0.0, sigma=0.07, size=(n, n))  # ... the direction is not
    metres = manhattan * detour * one_way + ACCESS_M
    kmh = SLOW_KMH + (FAST_KMH - SLOW_KMH) * np.minimum(1.0, metres / ARTERIAL_M)
    seconds = metres / (kmh / 3.6)
    np.fill_diagonal(metres, 0.0)
    np.fill_diagonal(seconds, 0.0)
    return shortest_paths(np.rint(seconds).astype(np.int64), np.rint(metres).astype(np.int64))


def shortest_paths(seconds: np.ndarray, metres: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Floyd-Warshall on integer times; distances follow the paths chosen for time.

    Done on the rounded integers so the closure is exact in the units the solvers see (rounding
    after the closure could break the triangle inequality by a second).
    """
    t = seconds.copy()
    d = metres.copy()
    for k in range(len(t)):
        via_t = t[:, k, None] + t[None, k, :]
        better = via_t < t
        if better.any():
            via_d = d[:, k, None] + d[None, k, :]
            t = np.where(better, via_t, t)
            d = np.where(better, via_d, d)
    return t, d
