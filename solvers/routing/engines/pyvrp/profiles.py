"""Routing profiles for PyVRP: one per (travel matrix, eligibility pattern) of the vehicles.

PyVRP 0.14 has no skills or allowed vehicles, but every vehicle type drives on a routing profile
with its own distance and duration matrices. A vehicle's *eligibility pattern* is the set of
kept stops it may serve (``RoutingProblem.eligible``). Vehicles with the same travel matrix and
pattern share a profile, in which every arc into a stop outside the pattern lasts and costs
``forbidden`` (far beyond any shift: a route that uses one has time warp, so PyVRP never calls
it feasible). This is exact. Vehicles that may serve every kept stop keep the plain matrix.

Arcs are forbidden per location, so a stop that some profile forbids needs a location of its
own: when it shares its location with a depot, a facility or a stop of another pattern, it gets
a copy of that location (the same rows and columns; zero to and from the original). Without
forbidden stops nothing is copied.

Memory: PyVRP holds two int64 L x L matrices per profile (L = locations + copies + virtual
ends), :func:`matrix_bytes`, which ``unsupported_features`` limits; our masked copies exist
beside them while PyVRP copies them (one per profile when the cost is the travel time).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from solvers.routing import multitrip
from solvers.routing.problem import RoutingProblem

__all__ = ["Profiles", "matrices", "matrix_bytes", "profiles"]


@dataclass(frozen=True)
class Profiles:
    """The PyVRP routing profiles of a problem and the locations they are over."""

    keys: tuple[tuple[int, bytes | None], ...]  # per profile: (travel matrix, pattern or None)
    of_vehicle: tuple[int, ...]  # the profile of every vehicle
    forbidden: tuple[tuple[int, ...], ...]  # per profile: locations no arc may enter
    sources: tuple[int, ...]  # our location behind each PyVRP location (ours first, then copies)
    stop_location: dict[int, int]  # kept stop -> its PyVRP location
    ends: tuple[int, ...]  # virtual end locations (disposal trips only), after the sources

    @property
    def n_locations(self) -> int:
        """PyVRP locations: ours, the copies, then one virtual end per distinct end."""
        return len(self.sources) + len(self.ends)

    @property
    def masks(self) -> bool:
        """True when some profile forbids arcs."""
        return any(self.forbidden)


def profiles(problem: RoutingProblem, keep: list[int]) -> Profiles:
    """The profiles of the vehicles when the stops in ``keep`` are to be served."""
    rows = problem.eligible[keep]
    patterns: list[bytes | None] = [
        None if rows[:, k].all() else np.packbits(rows[:, k]).tobytes()
        for k in range(len(problem.vehicles))
    ]
    keys = list(
        dict.fromkeys((v.profile, p) for v, p in zip(problem.vehicles, patterns, strict=True))
    )
    index = {key: j for j, key in enumerate(keys)}
    of_vehicle = tuple(
        index[(v.profile, p)] for v, p in zip(problem.vehicles, patterns, strict=True)
    )
    sources = list(range(len(problem.location_ids)))
    stop_location = {i: problem.stops[i].location for i in keep}
    if any(p is not None for p in patterns):
        _own_locations(problem, keep, rows, sources, stop_location)
    forbidden = []
    for key in keys:
        k = of_vehicle.index(index[key])  # a vehicle of this profile
        banned = {stop_location[keep[j]] for j in np.flatnonzero(~rows[:, k])}
        forbidden.append(tuple(sorted(banned)))
    ends = tuple(sorted({v.end for v in problem.vehicles})) if problem.facilities else ()
    return Profiles(tuple(keys), of_vehicle, tuple(forbidden), tuple(sources), stop_location, ends)


def _own_locations(
    problem: RoutingProblem,
    keep: list[int],
    rows: np.ndarray,
    sources: list[int],
    stop_location: dict[int, int],
) -> None:
    """Give every stop some profile forbids a location no other kind of visit uses."""
    fixed = {v.start for v in problem.vehicles} | {v.end for v in problem.vehicles}
    fixed |= {f.location for f in problem.facilities}
    kinds: dict[int, set[bytes]] = {}
    for j, i in enumerate(keep):
        kinds.setdefault(problem.stops[i].location, set()).add(rows[j].tobytes())
    copies: dict[tuple[int, bytes], int] = {}
    for j, i in enumerate(keep):
        location = problem.stops[i].location
        if rows[j].all() or (location not in fixed and len(kinds[location]) == 1):
            continue
        key = (location, rows[j].tobytes())
        if key not in copies:
            copies[key] = len(sources)
            sources.append(location)
        stop_location[i] = copies[key]


def matrix_bytes(problem: RoutingProblem, keep: list[int]) -> int:
    """Bytes of the distance and duration matrices PyVRP holds for the profiles of ``problem``."""
    prof = profiles(problem, keep)
    return len(prof.keys) * 2 * 8 * prof.n_locations**2


def matrices(
    problem: RoutingProblem, prof: Profiles, any_rates: bool, forbidden: int
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Duration and cost matrices per profile, arcs into forbidden stops at ``forbidden``.

    Costs are metres when some vehicle has a rate, else travel seconds (the OR-Tools model also
    minimises driving time when there are no costs).
    """
    base: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for p in sorted({p for p, _ in prof.keys}):
        seconds = np.asarray(problem.durations[p], dtype=np.int64)
        metres = problem.distances[p]
        cost = np.asarray(metres, dtype=np.int64) if any_rates and metres is not None else seconds
        if len(prof.sources) > len(problem.location_ids):
            src = np.asarray(prof.sources)
            seconds, cost = seconds[np.ix_(src, src)], cost[np.ix_(src, src)]
        if prof.ends:
            seconds, cost = _with_virtual_ends(problem, seconds, cost, list(prof.ends))
        base[p] = (seconds, cost)
    durations, costs = [], []
    for (p, _), banned in zip(prof.keys, prof.forbidden, strict=True):
        seconds, cost = base[p]
        if banned:
            same = cost is seconds  # no rates: the cost is the travel time, one copy serves both
            seconds = _forbid(seconds, banned, forbidden)
            cost = seconds if same else _forbid(cost, banned, forbidden)
        durations.append(seconds)
        costs.append(cost)
    return durations, costs


def _forbid(matrix: np.ndarray, banned: tuple[int, ...], value: int) -> np.ndarray:
    """A copy of ``matrix`` where every arc into ``banned`` is ``value`` (self-loops stay 0)."""
    out = matrix.copy()
    cols = np.asarray(banned)
    out[:, cols] = value
    out[cols, cols] = 0
    return out


def _with_virtual_ends(
    problem: RoutingProblem, durations: np.ndarray, costs: np.ndarray, ends: list[int]
) -> tuple[np.ndarray, np.ndarray]:
    """The matrices with one more location per end: home through the cheapest last unload."""
    n = durations.shape[0]
    size = n + len(ends)
    seconds = np.zeros((size, size), dtype=np.int64)
    cost = np.zeros((size, size), dtype=np.int64)
    seconds[:n, :n] = durations
    cost[:n, :n] = costs
    for j, end in enumerate(ends):
        cost[:n, n + j], seconds[:n, n + j] = multitrip.end_legs(problem, costs, durations, end)
        cost[n + j, :n], seconds[n + j, :n] = costs[end], durations[end]  # never driven
    return seconds, cost
