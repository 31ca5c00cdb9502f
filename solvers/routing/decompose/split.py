"""Cutting a large problem into parts: by depot first, then by clustering within a depot.

OR-Tools' maintainers advise decomposing routing problems above about 1,000 stops
(or-tools #1213); a part of a few hundred stops is where both engines search well in seconds.

1. Depots. Vehicles are grouped by start location; every stop goes to the depot closest by
   round trip, with each depot taking at most its share of the stops (its share of the fleet,
   plus slack), so one depot near the centre does not swallow the city.
2. Clusters. A depot group above ``max_part_stops`` is cut into k balanced clusters: k-means on
   positions when the problem has them, else k-medoids on travel times (only k x n travel
   cells are read, never the n x n matrix). Clusters are capped at 110 % of n/k.
3. Vehicles. A depot's vehicles are apportioned to its clusters by the D'Hondt rule on the
   work (service plus an average drive) each vehicle may do there, specialists first, so a
   cluster gets crews with the skills its stops need in proportion to its work.

Every step reads only depot- or centre-sized blocks of the travel model.
"""

from __future__ import annotations

import math

import numpy as np

from solvers.routing.decompose.large import LargeProblem, Part
from solvers.routing.problem import eligibility as problem_eligibility

#: Stops per part above which a depot group is clustered.
MAX_PART_STOPS = 500
#: Seconds of driving counted per stop when weighing a cluster's work.
DRIVE_PER_STOP = 300
#: A depot or cluster may take this much more than its share of the stops.
SLACK = 1.1


def split(large: LargeProblem, max_part_stops: int = MAX_PART_STOPS, seed: int = 0) -> list[Part]:
    """Parts covering every stop and vehicle exactly once (a part may have no stops)."""
    eligible = eligibility(large)
    parts: list[Part] = []
    for depot, vehicles, stops in _depot_groups(large, eligible):
        k = min(math.ceil(len(stops) / max_part_stops), len(vehicles))
        if k <= 1:
            parts.append(Part(f"depot{depot}", tuple(stops), tuple(vehicles)))
            continue
        labels = _clusters(large, np.asarray(stops), k, seed)
        shares = _apportion(large, eligible, vehicles, stops, labels, k)
        for c in range(k):
            members = tuple(int(s) for s, lab in zip(stops, labels, strict=True) if lab == c)
            parts.append(Part(f"depot{depot}-c{c}", members, tuple(sorted(shares[c]))))
    return parts


def eligibility(large: LargeProblem) -> np.ndarray:
    """Stops x vehicles: the vehicle has the stop's skills and is among its allowed ones."""
    return problem_eligibility(large.stops, large.vehicles)


def capped_assign(cost: np.ndarray, caps: np.ndarray) -> np.ndarray:
    """Each row to a column of least cost with room left, rows with most to lose first.

    A row whose finite choices are all full goes to its cheapest finite column anyway (caps
    are soft), and a row with no finite cost to its cheapest column.
    """
    n, k = cost.shape
    finite = np.where(
        np.isfinite(cost), cost, np.nanmax(np.where(np.isfinite(cost), cost, 0)) * 4 + 1
    )
    ordered = np.sort(finite, axis=1)
    regret = ordered[:, 1] - ordered[:, 0] if k > 1 else np.zeros(n)
    labels = np.empty(n, dtype=np.int64)
    room = caps.astype(np.int64).copy()
    for row in np.argsort(-regret, kind="stable"):
        choices = np.argsort(finite[row], kind="stable")
        pick = next((int(c) for c in choices if room[c] > 0 and np.isfinite(cost[row, c])), None)
        if pick is None:
            pick = int(choices[0])
        labels[row] = pick
        room[pick] -= 1
    return labels


def _depot_groups(
    large: LargeProblem, eligible: np.ndarray
) -> list[tuple[int, list[int], list[int]]]:
    """(depot location, vehicles, stops) per start location of the fleet."""
    depots = sorted({v.start for v in large.vehicles})
    fleet = {d: [k for k, v in enumerate(large.vehicles) if v.start == d] for d in depots}
    if len(depots) == 1:
        return [(depots[0], fleet[depots[0]], list(range(len(large.stops))))]
    locations = np.asarray([s.location for s in large.stops], dtype=np.int64)
    rows = np.asarray(depots, dtype=np.int64)
    out_leg, _ = large.travel.block(0, rows, locations)
    back_leg, _ = large.travel.block(0, locations, rows)
    cost = (out_leg.T + back_leg).astype(float)
    for j, d in enumerate(depots):
        cost[~eligible[:, fleet[d]].any(axis=1), j] = np.inf
    n = len(large.stops)
    caps = np.array([math.ceil(SLACK * n * len(fleet[d]) / len(large.vehicles)) for d in depots])
    labels = capped_assign(cost, caps)
    return [
        (d, fleet[d], [int(i) for i in np.flatnonzero(labels == j)]) for j, d in enumerate(depots)
    ]


def _clusters(large: LargeProblem, stops: np.ndarray, k: int, seed: int) -> np.ndarray:
    """Balanced cluster labels (0..k-1) of ``stops``."""
    rng = np.random.default_rng(seed)
    caps = np.full(k, math.ceil(SLACK * len(stops) / k))
    locations = np.asarray([large.stops[s].location for s in stops], dtype=np.int64)
    if large.points is not None:
        xy = np.asarray(large.points, dtype=float)[locations]
        centres = kmeans(xy, k, rng)
        cost = np.linalg.norm(xy[:, None, :] - centres[None, :, :], axis=2)
    else:
        medoids = _medoids(large, locations, k, rng)
        out_leg, _ = large.travel.block(0, medoids, locations)
        back_leg, _ = large.travel.block(0, locations, medoids)
        cost = (out_leg.T + back_leg).astype(float)
    return capped_assign(cost, caps)


def kmeans(xy: np.ndarray, k: int, rng: np.random.Generator, rounds: int = 25) -> np.ndarray:
    """Lloyd's k-means with k-means++ seeding: k centres of the points ``xy``."""
    centres = [xy[rng.integers(len(xy))]]
    for _ in range(1, k):
        d2 = np.min(((xy[:, None, :] - np.asarray(centres)[None]) ** 2).sum(axis=2), axis=1)
        total = d2.sum()
        pick = rng.choice(len(xy), p=d2 / total) if total > 0 else rng.integers(len(xy))
        centres.append(xy[pick])
    c = np.asarray(centres, dtype=float)
    for _ in range(rounds):
        labels = np.argmin(((xy[:, None, :] - c[None]) ** 2).sum(axis=2), axis=1)
        moved = np.array(
            [xy[labels == j].mean(axis=0) if (labels == j).any() else c[j] for j in range(k)]
        )
        if np.allclose(moved, c):
            break
        c = moved
    return c


def _medoids(
    large: LargeProblem, locations: np.ndarray, k: int, rng: np.random.Generator
) -> np.ndarray:
    """k spread-out stop locations by farthest-point on round-trip times (k x n cells read)."""
    chosen = [int(locations[rng.integers(len(locations))])]
    nearest = np.full(len(locations), np.inf)
    for _ in range(1, k):
        last = np.asarray([chosen[-1]], dtype=np.int64)
        out_leg, _ = large.travel.block(0, last, locations)
        back_leg, _ = large.travel.block(0, locations, last)
        nearest = np.minimum(nearest, out_leg[0] + back_leg[:, 0])
        chosen.append(int(locations[int(np.argmax(nearest))]))
    return np.asarray(chosen, dtype=np.int64)


def _apportion(
    large: LargeProblem,
    eligible: np.ndarray,
    vehicles: list[int],
    stops: list[int],
    labels: np.ndarray,
    k: int,
) -> list[list[int]]:
    """Vehicles per cluster by D'Hondt on the work each vehicle may do there."""
    work = np.array([large.stops[s].service_duration + DRIVE_PER_STOP for s in stops], dtype=float)
    member = np.zeros((len(stops), k), dtype=bool)
    member[np.arange(len(stops)), labels] = True
    sub = eligible[np.asarray(stops)][:, vehicles]  # stops x depot vehicles
    per_vehicle = (sub * work[:, None]).T @ member  # depot vehicles x clusters
    shares: list[list[int]] = [[] for _ in range(k)]
    given = np.zeros(k)
    for j in np.argsort(sub.sum(axis=0), kind="stable"):  # specialists first
        scores = per_vehicle[j] / (given + 1.0)
        c = int(np.argmax(scores)) if scores.max() > 0 else int(np.argmin(given))
        shares[c].append(vehicles[j])
        given[c] += 1
    return shares
