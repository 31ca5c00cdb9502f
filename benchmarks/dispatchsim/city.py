"""A generated city and a day of its emergency calls (numpy only, fixed by the seed).

The city is a grid of square zones (1.5 km unless asked otherwise). Roads join neighbouring
zones; every fourth row and column is an arterial (about 60 km/h), other roads are slower in
the centre (25 km/h) than at the edge (45 km/h), each with some noise; travel times are
shortest paths over that graph (scipy's Dijkstra) plus a minute inside the zone, so they obey
the triangle inequality and look like a road network rather than straight lines. Posts and
hospitals sit in zones; units and incidents are located at zone centres (a zone is the unit of
place in the simulation).

Calls: a non-homogeneous Poisson process per zone and hour. Zone weights are log-normal and
higher in the centre; the hourly profile peaks in the early evening (about 2.5x the night
rate). Each call has a priority, a requirement (P1 needs an ALS unit and a second ambulance),
an on-scene time and whether a patient is transported to the nearest hospital.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import dijkstra

__all__ = [
    "CALL_TYPES",
    "TARGETS",
    "Call",
    "CallType",
    "City",
    "generate_calls",
    "generate_city",
]

#: Response-time targets in seconds from the call (NFPA-style: P1 8 min).
TARGETS = {1: 480, 2: 720, 3: 1200}
#: Seconds from dispatch until a unit sent from rest rolls.
TURNOUT = 60


@dataclass(frozen=True)
class CallType:
    """Priority, requirement (capability -> count), share of calls, transport probability."""

    priority: int
    requirement: tuple[tuple[str, int], ...]
    share: float
    transport: float
    on_scene_minutes: float


CALL_TYPES = (
    CallType(1, (("als", 1), ("ambulance", 1)), 0.22, 0.8, 20.0),
    CallType(2, (("ambulance", 1),), 0.30, 0.6, 15.0),
    CallType(2, (("ambulance", 2),), 0.05, 0.7, 20.0),
    CallType(3, (("ambulance", 1),), 0.43, 0.4, 12.0),
)


@dataclass(frozen=True, eq=False)
class City:
    """Zones, posts and hospitals (zone indices), travel seconds between zones, demand weights."""

    side: int
    travel: np.ndarray  # zones x zones, int64 seconds
    posts: np.ndarray  # zone of each post
    hospitals: np.ndarray  # zone of each hospital
    weight: np.ndarray  # share of calls per zone, sums to 1

    @property
    def n_zones(self) -> int:
        """Zones in the city."""
        return self.side * self.side


@dataclass(frozen=True)
class Call:
    """One call: when (s), where (zone), which type, on-scene seconds, transport or not."""

    time: int
    zone: int
    kind: int
    on_scene: int
    transport: bool


def _roads(side: int, rng: np.random.Generator, zone_metres: float) -> np.ndarray:
    """Zone-to-zone shortest travel seconds over the road grid."""
    centre = (side - 1) / 2
    rows, cols, secs = [], [], []
    for r in range(side):
        for c in range(side):
            for dr, dc in ((0, 1), (1, 0)):
                r2, c2 = r + dr, c + dc
                if r2 >= side or c2 >= side:
                    continue
                arterial = (dr == 0 and r % 4 == 1) or (dc == 0 and c % 4 == 1)
                dist = max(abs(r - centre), abs(c - centre)) / centre
                kmh = 60.0 if arterial else 25.0 + 20.0 * dist
                t = zone_metres / (kmh / 3.6) * rng.uniform(0.85, 1.25)
                a, b = r * side + c, r2 * side + c2
                rows += [a, b]
                cols += [b, a]
                secs += [t, t]
    n = side * side
    graph = coo_matrix((secs, (rows, cols)), shape=(n, n)).tocsr()
    return dijkstra(graph, directed=False)


def generate_city(
    seed: int,
    side: int = 10,
    n_posts: int = 50,
    n_hospitals: int = 4,
    zone_metres: float = 1500.0,
) -> City:
    """The city of ``seed``: side x side zones, posts and hospitals placed by demand."""
    rng = np.random.default_rng(seed)
    travel = np.rint(_roads(side, rng, zone_metres) + 60.0).astype(np.int64)
    centre = (side - 1) / 2
    r, c = np.divmod(np.arange(side * side), side)
    closeness = 1.0 - np.hypot(r - centre, c - centre) / np.hypot(centre, centre)
    weight = rng.lognormal(0.0, 0.6, side * side) * (0.4 + closeness)
    weight /= weight.sum()
    posts = np.sort(rng.choice(side * side, size=n_posts, replace=False, p=weight))
    hospitals = np.sort(rng.choice(side * side, size=n_hospitals, replace=False, p=weight))
    return City(side, travel, posts, hospitals, weight)


def hourly_profile() -> np.ndarray:
    """Relative call rate per hour of the day (mean 1): night trough, early-evening peak."""
    hours = np.arange(24)
    profile = 1.0 + 0.45 * np.sin((hours - 11.0) / 24.0 * 2 * np.pi)
    return profile / profile.mean()


def generate_calls(city: City, seed: int, calls_per_day: float, hours: int = 24) -> list[Call]:
    """A day (``hours``) of calls: Poisson counts per zone and hour, uniform within the hour."""
    rng = np.random.default_rng(seed + 1_000_003)
    profile = hourly_profile()
    shares = np.array([t.share for t in CALL_TYPES])
    calls: list[Call] = []
    for hour in range(hours):
        rates = city.weight * calls_per_day / 24.0 * profile[hour % 24]
        counts = rng.poisson(rates)
        for zone, count in enumerate(counts.tolist()):
            for _ in range(count):
                kind = int(rng.choice(len(CALL_TYPES), p=shares))
                t = CALL_TYPES[kind]
                calls.append(
                    Call(
                        time=hour * 3600 + int(rng.integers(0, 3600)),
                        zone=zone,
                        kind=kind,
                        on_scene=int(rng.lognormal(np.log(t.on_scene_minutes * 60), 0.35)),
                        transport=bool(rng.random() < t.transport),
                    )
                )
    calls.sort(key=lambda call: (call.time, call.zone))
    return calls
