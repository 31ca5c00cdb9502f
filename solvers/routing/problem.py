"""The routing problem: immutable, integer units, indices instead of ids.

Built by ``dispatch`` from a validated PlanRoutesRequest (or by benchmarks from instance files).
Ids are kept only to name things in messages; every cross-reference is an index.
Times are seconds from the request's origin, loads are integer load units, distances metres.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

UNLIMITED = 2**31 - 1  # seconds; an "open" horizon that still fits OR-Tools int64 arithmetic


@dataclass(frozen=True)
class TimeWindow:
    """Closed interval [start, end] in seconds."""

    start: int
    end: int

    def contains(self, t: int) -> bool:
        """True when ``t`` lies inside the window."""
        return self.start <= t <= self.end


@dataclass(frozen=True)
class Break:
    """A driver break that must start inside ``start_window``; taken wherever the vehicle is."""

    id: str
    start_window: TimeWindow
    duration: int


@dataclass(frozen=True)
class Vehicle:
    """A truck or crew. ``matrix`` selects RoutingProblem.durations/distances (0 = default)."""

    id: str
    start: int
    end: int
    shift: TimeWindow
    matrix: int = 0
    capacities: tuple[int, ...] | None = None  # per trip, per dimension; None = unlimited
    daily_capacities: tuple[int, ...] | None = None  # per shift; None = unlimited
    skills: frozenset[str] = frozenset()
    fixed_cost: float = 0.0
    cost_per_hour: float = 0.0
    cost_per_km: float = 0.0
    max_route_duration: int = 0  # 0 = only the shift limits it
    max_stops: int = 0  # 0 = unlimited
    breaks: tuple[Break, ...] = ()


@dataclass(frozen=True)
class Stop:
    """A collection stop or work order; windows constrain the start of service (any one)."""

    id: str
    location: int
    demands: tuple[int, ...] = ()  # empty = no load
    service_duration: int = 0
    time_windows: tuple[TimeWindow, ...] = ()  # empty = any time
    required_skills: frozenset[str] = frozenset()
    allowed_vehicles: frozenset[int] | None = None  # vehicle indices; None = all
    optional: bool = False
    skip_penalty: float = 0.0


@dataclass(frozen=True)
class Facility:
    """A disposal site; unloading empties the vehicle (every dimension)."""

    id: str
    location: int
    opening: TimeWindow | None = None  # None = always open
    unload_duration: int = 0


@dataclass(frozen=True, eq=False)
class RoutingProblem:
    """Everything a routing solver needs.

    ``durations[k]`` and ``distances[k]`` are square int64 matrices over ``location_ids`` for
    matrix index k (k = 0 is the request's default matrix). ``distances[k]`` may be None when the
    caller gave no distances; distance costs are then zero.
    With facilities present a vehicle that collected anything must unload before its end.
    """

    location_ids: tuple[str, ...]
    durations: tuple[np.ndarray, ...]
    distances: tuple[np.ndarray | None, ...]
    vehicles: tuple[Vehicle, ...]
    stops: tuple[Stop, ...]
    facilities: tuple[Facility, ...] = ()
    dimensions: tuple[str, ...] = ()
    minimize_vehicles_first: bool = False
    label: str = ""
    extras: dict[str, str] = field(default_factory=dict)

    @property
    def n_dims(self) -> int:
        """Number of load dimensions."""
        return len(self.dimensions)

    def travel(self, vehicle: int, a: int, b: int) -> int:
        """Travel seconds from location a to b for a vehicle."""
        return int(self.durations[self.vehicles[vehicle].matrix][a, b])

    def distance(self, vehicle: int, a: int, b: int) -> int:
        """Travel metres from location a to b for a vehicle (0 without distances)."""
        matrix = self.distances[self.vehicles[vehicle].matrix]
        return 0 if matrix is None else int(matrix[a, b])
