"""Shortest drives over a travel matrix: lower bounds on what any route needs between two places.

Why: travel matrices from road engines need not obey the triangle inequality (rounding, one-way
streets, a matrix cut from a bigger one), so a route may reach a place sooner through a third
one than directly. The one-stop pre-check (:mod:`solvers.routing.feasibility`) must never rule
out a stop the checker would accept in some route, so it reasons with these lower bounds, not
the direct entries: a stop at L3 whose direct drive home is 37 s but 2 s through another stop's
place L4 is servable, and the pre-check used to call it impossible.

A route only passes through places it visits, so only stops' and facilities' places relay a
drive (a depot or an unused place of the matrix does not): the bounds are as tight as that
allows. Dijkstra on the dense matrix, from the few places the pre-check starts or ends at
(depots and facilities), in numpy: O(n^2) per source, computed on demand and kept.
"""

from __future__ import annotations

import weakref

import numpy as np

from solvers.routing.problem import RoutingProblem

__all__ = ["ShortestDrives", "shortest_drives"]


def _dijkstra(matrix: np.ndarray, source: int, relays: np.ndarray) -> np.ndarray:
    """Shortest drive from ``source`` to every place, passing only through ``relays``."""
    n = matrix.shape[0]
    dist = np.full(n, np.iinfo(np.int64).max // 4, dtype=np.int64)
    dist[source] = 0
    done = np.zeros(n, dtype=bool)
    for _ in range(n):
        pending = np.where(done, np.iinfo(np.int64).max, dist)
        here = int(np.argmin(pending))
        if done[here]:
            break
        done[here] = True
        if relays[here] or here == source:
            np.minimum(dist, dist[here] + matrix[here], out=dist)
    return dist


class ShortestDrives:
    """Shortest drives of one problem, per travel profile, computed from a place or to a place."""

    def __init__(self, problem: RoutingProblem) -> None:
        self._matrices = [np.asarray(m, dtype=np.int64) for m in problem.durations]
        self._relays = np.zeros(len(problem.location_ids), dtype=bool)
        self._relays[[s.location for s in problem.stops]] = True
        self._relays[[f.location for f in problem.facilities]] = True
        self._from: dict[tuple[int, int], np.ndarray] = {}
        self._to: dict[tuple[int, int], np.ndarray] = {}

    def from_place(self, profile: int, source: int, target: int) -> int:
        """Shortest drive ``source`` -> ``target``, with the tree rooted at ``source`` kept."""
        key = (profile, source)
        if key not in self._from:
            self._from[key] = _dijkstra(self._matrices[profile], source, self._relays)
        return int(self._from[key][target])

    def to_place(self, profile: int, source: int, target: int) -> int:
        """Shortest drive ``source`` -> ``target``, with the tree rooted at ``target`` kept."""
        key = (profile, target)
        if key not in self._to:
            self._to[key] = _dijkstra(self._matrices[profile].T, target, self._relays)
        return int(self._to[key][source])


#: One ShortestDrives per problem: the pre-check runs once per stop, explain() once per skipped
#: stop, and the MILP's time bounds once per node, all of the same problem.
_BY_PROBLEM: weakref.WeakKeyDictionary[RoutingProblem, ShortestDrives] = weakref.WeakKeyDictionary()


def shortest_drives(problem: RoutingProblem) -> ShortestDrives:
    """The problem's ShortestDrives, shared by every caller while the problem lives."""
    drives = _BY_PROBLEM.get(problem)
    if drives is None:
        drives = _BY_PROBLEM[problem] = ShortestDrives(problem)
    return drives
