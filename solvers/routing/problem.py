"""The routing problem: immutable, validated, integer units, indices instead of ids.

Built by ``dispatch`` from a validated PlanRoutesRequest (or by benchmarks from instance files).
Ids are kept only to name things in messages; every cross-reference is an index.
Times are seconds from the request's origin, loads are integer load units, distances metres.

Constructing a :class:`RoutingProblem` checks its shapes and cross-references once and
normalises it (every stop's demands have one entry per dimension), and computes which vehicles
may serve which stop: engines read these, never re-derive them, so all of them agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace

import numpy as np

from solvers.errors import FieldProblem, InvalidProblemError
from solvers.routing.locks import Replan
from solvers.routing.soft_windows import shape_problems as soft_window_problems
from solvers.routing.travel_periods import TravelPeriods

UNLIMITED = 2**31 - 1  # seconds; an "open" horizon that still fits OR-Tools int64 arithmetic


@dataclass(frozen=True)
class TimeWindow:
    """Closed interval [start, end] in seconds.

    The last four fields make a stop's window soft (``solvers.routing.soft_windows``): service
    may start up to ``max_lateness`` after ``end`` at ``late_cost_per_hour``, and up to
    ``max_earliness`` before ``start`` at ``early_cost_per_hour``. All 0: a hard window.
    """

    start: int
    end: int
    late_cost_per_hour: float = 0.0
    max_lateness: int = 0
    early_cost_per_hour: float = 0.0
    max_earliness: int = 0

    def contains(self, t: int) -> bool:
        """True when ``t`` lies inside the window."""
        return self.start <= t <= self.end


def merged_windows(windows: tuple[TimeWindow, ...]) -> list[tuple[int, int]]:
    """Windows as sorted disjoint spans, overlapping or touching ones merged ([] for none).

    A start is inside some window exactly when it is inside one of the spans, so an engine can
    model the spans instead of the windows (fewer, and never overlapping).
    """
    merged: list[list[int]] = []
    for lo, hi in sorted((w.start, w.end) for w in windows):
        if merged and lo <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return [(lo, hi) for lo, hi in merged]


@dataclass(frozen=True)
class Break:
    """A driver break that must start inside ``start_window``; taken wherever the vehicle is."""

    id: str
    start_window: TimeWindow
    duration: int


@dataclass(frozen=True)
class Vehicle:
    """A truck or crew. ``profile`` selects RoutingProblem.durations/distances (0 = default)."""

    id: str
    start: int
    end: int
    shift: TimeWindow
    profile: int = 0
    capacities: tuple[int, ...] | None = None  # per trip, per dimension; None = unlimited
    daily_capacities: tuple[int, ...] | None = None  # per shift; None = unlimited
    skills: frozenset[str] = frozenset()
    fixed_cost: float = 0.0
    cost_per_hour: float = 0.0
    cost_per_km: float = 0.0
    max_route_duration: int = 0  # 0 = only the shift limits it
    max_stops: int = 0  # 0 = unlimited
    breaks: tuple[Break, ...] = ()
    #: Load on board when the route starts (live state, solvers.routing.live); () = empty.
    initial_load: tuple[int, ...] = ()


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


@dataclass(frozen=True, eq=False, kw_only=True)
class FleetAndWork:
    """Vehicles, stops and facilities over some locations, and how loads are counted.

    Shared by :class:`RoutingProblem` (travel as matrices) and the decomposition's
    ``LargeProblem`` (travel read through a model), so both name and check the fleet and the
    work the same way. Keyword-only, so each subclass's own leading fields stay positional.
    """

    vehicles: tuple[Vehicle, ...]
    stops: tuple[Stop, ...]
    facilities: tuple[Facility, ...] = ()
    dimensions: tuple[str, ...] = ()
    minimize_vehicles_first: bool = False
    label: str = ""

    def fleet_and_work(self) -> dict[str, object]:
        """These fields by name, to build another problem over the same fleet and work."""
        return {f.name: getattr(self, f.name) for f in fields(FleetAndWork)}

    def index_problems(self, n_locations: int, n_profiles: int) -> list[FieldProblem]:
        """Every location, profile, load-vector or vehicle index that points nowhere."""
        n, n_dims, n_vehicles = n_locations, len(self.dimensions), len(self.vehicles)
        out = []
        for k, v in enumerate(self.vehicles):
            if not (0 <= v.start < n and 0 <= v.end < n):
                out.append(FieldProblem(f"vehicles[{k}]", "start or end location out of range"))
            if not 0 <= v.profile < n_profiles:
                out.append(FieldProblem(f"vehicles[{k}].profile", "no such travel matrix"))
            for name in ("capacities", "daily_capacities"):
                limits = getattr(v, name)
                if limits is not None and len(limits) > n_dims:
                    out.append(
                        FieldProblem(f"vehicles[{k}].{name}", "more entries than dimensions")
                    )
        for i, s in enumerate(self.stops):
            if not 0 <= s.location < n:
                out.append(FieldProblem(f"stops[{i}].location", "out of range"))
            if len(s.demands) > n_dims:
                out.append(FieldProblem(f"stops[{i}].demands", "more entries than dimensions"))
            if s.allowed_vehicles is not None and any(
                not 0 <= k < n_vehicles for k in s.allowed_vehicles
            ):
                out.append(FieldProblem(f"stops[{i}].allowed_vehicles", "no such vehicle"))
        for f, facility in enumerate(self.facilities):
            if not 0 <= facility.location < n:
                out.append(FieldProblem(f"facilities[{f}].location", "out of range"))
        return out


@dataclass(frozen=True, eq=False)
class RoutingProblem(FleetAndWork):
    """Everything a routing solver needs.

    ``durations[k]`` and ``distances[k]`` are square int64 matrices over ``location_ids`` for
    matrix index k (k = 0 is the request's default matrix). ``distances[k]`` may be None when the
    caller gave no distances; distance costs are then zero.
    With facilities present a vehicle that collected anything must unload before its end.
    """

    location_ids: tuple[str, ...]
    durations: tuple[np.ndarray, ...]
    distances: tuple[np.ndarray | None, ...]
    #: Locks and churn cost of a re-plan (solvers.routing.locks); None = a plan from scratch.
    replan: Replan | None = None
    #: Time-of-day travel (solvers.routing.travel_periods), one entry per profile (None: that
    #: profile's ``durations`` is exact all day); () = none. With periods, ``durations[k]`` is the
    #: engines' planning matrix (an upper bound) and :meth:`travel_at` is exact.
    travel_periods: tuple[TravelPeriods | None, ...] = ()
    #: eligible[i, k]: vehicle k has stop i's skills and is among its allowed vehicles.
    eligible: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        problems = _shape_problems(self)
        if problems:
            raise InvalidProblemError(problems)
        n_dims = len(self.dimensions)
        if any(len(s.demands) < n_dims for s in self.stops):
            padded = tuple(_with_demands(s, n_dims) for s in self.stops)
            object.__setattr__(self, "stops", padded)
        object.__setattr__(self, "eligible", eligibility(self.stops, self.vehicles))

    def eligible_vehicles(self, stop: int) -> tuple[int, ...]:
        """Vehicles that may serve a stop by skills and allowed vehicles (indices, ascending)."""
        return tuple(int(k) for k in np.flatnonzero(self.eligible[stop]))

    @property
    def n_dims(self) -> int:
        """Number of load dimensions."""
        return len(self.dimensions)

    def travel(self, vehicle: int, a: int, b: int) -> int:
        """Travel seconds from location a to b for a vehicle (with time-of-day periods the
        engines' planning bound; the checker times drives with :meth:`travel_at`)."""
        return int(self.durations[self.vehicles[vehicle].profile][a, b])

    def travel_at(self, vehicle: int, a: int, b: int, t: int) -> int:
        """Exact travel seconds from a to b for a vehicle leaving at ``t`` (time of day aware)."""
        profile = self.vehicles[vehicle].profile
        periods = self.travel_periods[profile] if self.travel_periods else None
        if periods is None:
            return int(self.durations[profile][a, b])
        return periods.travel(a, b, t)

    def distance(self, vehicle: int, a: int, b: int) -> int:
        """Travel metres from location a to b for a vehicle (0 without distances)."""
        matrix = self.distances[self.vehicles[vehicle].profile]
        return 0 if matrix is None else int(matrix[a, b])


def _with_demands(stop: Stop, n_dims: int) -> Stop:
    """The stop with zero demand in the dimensions it left out."""
    demands = tuple(stop.demands) + (0,) * (n_dims - len(stop.demands))
    return replace(stop, demands=demands)


def eligibility(stops: tuple[Stop, ...], vehicles: tuple[Vehicle, ...]) -> np.ndarray:
    """Stops x vehicles compatibility, computed once per distinct (skills, allowed) rule.

    City requests have thousands of stops but a handful of skill sets, so grouping keeps this
    linear in the stops.
    """
    out = np.zeros((len(stops), len(vehicles)), dtype=bool)
    rows: dict[tuple[frozenset[str], frozenset[int] | None], np.ndarray] = {}
    for i, stop in enumerate(stops):
        key = (stop.required_skills, stop.allowed_vehicles)
        row = rows.get(key)
        if row is None:
            row = np.array(
                [
                    stop.required_skills <= v.skills
                    and (stop.allowed_vehicles is None or k in stop.allowed_vehicles)
                    for k, v in enumerate(vehicles)
                ],
                dtype=bool,
            )
            rows[key] = row
        out[i] = row
    return out


def _shape_problems(p: RoutingProblem) -> list[FieldProblem]:
    """Every broken shape or cross-reference (a builder bug, not a caller's mistake).

    ``dispatch`` validates requests field by field before it builds a problem; this second line
    catches instance readers and library callers that build one directly.
    """
    n = len(p.location_ids)
    out = _matrix_problems(p, n)
    out.extend(p.index_problems(n, len(p.durations)))
    out.extend(soft_window_problems(p))
    out.extend(_period_problems(p, n))
    return out


def _period_problems(p: RoutingProblem, n: int) -> list[FieldProblem]:
    """Time-of-day periods: none, or one entry per profile over the same locations."""
    if not p.travel_periods:
        return []
    if len(p.travel_periods) != len(p.durations):
        return [FieldProblem("travel_periods", "one entry (or None) per duration matrix")]
    return [
        FieldProblem(f"travel_periods[{k}]", f"matrices over {periods.size} locations, not {n}")
        for k, periods in enumerate(p.travel_periods)
        if periods is not None and periods.size != n
    ]


def _matrix_problems(p: RoutingProblem, n: int) -> list[FieldProblem]:
    out = []
    if not p.durations:
        out.append(FieldProblem("durations", "at least one travel matrix is needed"))
    if len(p.distances) != len(p.durations):
        out.append(FieldProblem("distances", "one entry (or None) per duration matrix"))
    for name, matrices in (("durations", p.durations), ("distances", p.distances)):
        for k, m in enumerate(matrices):
            if m is not None and tuple(np.shape(m)) != (n, n):
                out.append(FieldProblem(f"{name}[{k}]", f"shape {np.shape(m)}, expected {(n, n)}"))
    return out
