"""Border re-optimisation: re-solve the routes where two neighbouring parts meet.

Parts are solved blind to each other, so the stops near a border are served by whichever
side's routes the clustering chose. A border job takes, for a pair of neighbouring parts, the
routes of each side that run closest to the other side, one idle vehicle of each side, and both
parts' skipped stops, and re-solves them together from the stitched routes as a warm start
(:func:`~solvers.routing.decompose.parts.solve_part` keeps the start unless the checker ranks
the new plan better). Pairs in one round share no part, so a round's jobs run in parallel.
"""

from __future__ import annotations

import numpy as np

from solvers.routing.decompose.large import LargeProblem, Part
from solvers.routing.plan import RoutePlan, RoutingPlan, VisitKind

#: Routes taken from each side of a border.
ROUTES_PER_SIDE = 3
#: Stops sampled to place a part's centre when the problem has no positions.
CENTRE_SAMPLE = 30


def part_centres(large: LargeProblem, parts: list[Part]) -> np.ndarray:
    """One representative location per part (the stop location nearest its middle)."""
    out = []
    for part in parts:
        locations = np.asarray([large.stops[s].location for s in part.stops], dtype=np.int64)
        if len(locations) == 0:
            out.append(large.vehicles[part.vehicles[0]].start if part.vehicles else 0)
            continue
        if large.points is not None:
            xy = np.asarray(large.points, dtype=float)[locations]
            middle = xy.mean(axis=0)
            out.append(int(locations[np.argmin(((xy - middle) ** 2).sum(axis=1))]))
            continue
        sample = locations[:: max(1, len(locations) // CENTRE_SAMPLE)]
        seconds, _ = large.travel.block(0, sample, sample)
        out.append(int(sample[np.argmin(seconds.sum(axis=1) + seconds.sum(axis=0))]))
    return np.asarray(out, dtype=np.int64)


def pair_rounds(large: LargeProblem, parts: list[Part], rounds: int) -> list[list[tuple[int, int]]]:
    """Up to ``rounds`` matchings of neighbouring parts (closest pairs first, none repeated)."""
    active = [i for i, p in enumerate(parts) if p.vehicles]
    if len(active) < 2:
        return []
    centres = part_centres(large, [parts[i] for i in active])
    seconds, _ = large.travel.block(0, centres, centres)
    closeness = seconds + seconds.T
    pairs = sorted(
        (int(closeness[a, b]), active[a], active[b])
        for a in range(len(active))
        for b in range(a + 1, len(active))
    )
    used: set[tuple[int, int]] = set()
    out = []
    for _ in range(rounds):
        taken: set[int] = set()
        matching = []
        for _, a, b in pairs:
            if (a, b) in used or a in taken or b in taken:
                continue
            matching.append((a, b))
            used.add((a, b))
            taken.update((a, b))
        if matching:
            out.append(matching)
    return out


def border_part(
    large: LargeProblem, plan: RoutingPlan, home: list[int], a: Part, b: Part, name: str
) -> Part:
    """The border between parts a and b: routes facing each other, idle vehicles, skips.

    ``home[s]`` is the part index a stop was first given to (skipped stops go back to it).
    """
    centre_a, centre_b = part_centres(large, [a, b])
    by_vehicle = {r.vehicle: r for r in plan.routes}
    vehicles: list[int] = []
    stops: set[int] = set()
    for side, other in ((a, centre_b), (b, centre_a)):
        routes = [by_vehicle[v] for v in side.vehicles if v in by_vehicle]
        routes.sort(key=lambda r: _closeness(large, r, int(other)))
        for route in routes[:ROUTES_PER_SIDE]:
            vehicles.append(route.vehicle)
            stops.update(v.ref for v in route.visits if v.kind is VisitKind.STOP)
        idle = [v for v in side.vehicles if v not in by_vehicle]
        vehicles.extend(idle[:1])
    index_a, index_b = home[a.stops[0]] if a.stops else -1, home[b.stops[0]] if b.stops else -1
    stops.update(s for s in plan.skipped if home[s] in (index_a, index_b))
    return Part(name, tuple(sorted(stops)), tuple(sorted(vehicles)))


def _closeness(large: LargeProblem, route: RoutePlan, centre: int) -> float:
    """Mean round-trip seconds from ``centre`` to the route's stops."""
    locations = np.asarray(
        [large.stops[v.ref].location for v in route.visits if v.kind is VisitKind.STOP],
        dtype=np.int64,
    )
    if len(locations) == 0:
        return float("inf")
    row = np.asarray([centre], dtype=np.int64)
    out_leg, _ = large.travel.block(0, row, locations)
    back_leg, _ = large.travel.block(0, locations, row)
    return float((out_leg[0] + back_leg[:, 0]).mean())


def replace_part(plan: RoutingPlan, part: Part, solved: RoutingPlan) -> RoutingPlan:
    """``plan`` with the routes of the part's vehicles and its stops' skips replaced."""
    vehicles, stops = set(part.vehicles), set(part.stops)
    routes = [r for r in plan.routes if r.vehicle not in vehicles]
    routes.extend(solved.routes)
    skipped = {s: r for s, r in plan.skipped.items() if s not in stops}
    skipped.update(solved.skipped)
    return RoutingPlan(tuple(sorted(routes, key=lambda r: r.vehicle)), skipped)
