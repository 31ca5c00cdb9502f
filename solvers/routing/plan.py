"""Routing plans (what solvers return) and their evaluation (what the checker computes).

A solver returns a :class:`RoutingPlan`: per vehicle an ordered list of visits, optionally with
the service start times it chose. The independent checker (``solvers.routing.checker``) turns a
plan into a :class:`PlanEvaluation`: timings, loads, typed violations and the recomputed cost. The
service builds its answers from the evaluation, never from a solver's own numbers.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class VisitKind(enum.Enum):
    """Mirrors dispatch.v1.Visit.Kind."""

    START = "START"
    STOP = "STOP"
    FACILITY = "FACILITY"
    BREAK = "BREAK"
    END = "END"


class ViolationType(enum.Enum):
    """Mirrors dispatch.v1.Violation.Type."""

    TIME_WINDOW = "TIME_WINDOW"
    CAPACITY = "CAPACITY"
    DAILY_CAPACITY = "DAILY_CAPACITY"
    SKILLS = "SKILLS"
    VEHICLE_NOT_ALLOWED = "VEHICLE_NOT_ALLOWED"
    SHIFT = "SHIFT"
    MAX_ROUTE_DURATION = "MAX_ROUTE_DURATION"
    MAX_STOPS = "MAX_STOPS"
    BREAK = "BREAK"
    DISPOSAL_BEFORE_END = "DISPOSAL_BEFORE_END"
    DUPLICATE_VISIT = "DUPLICATE_VISIT"
    MISSING_MANDATORY_STOP = "MISSING_MANDATORY_STOP"
    LOCK = "LOCK"


class SkipReason(enum.Enum):
    """Mirrors dispatch.v1.SkippedStop.Reason."""

    NO_VEHICLE_WITH_SKILLS = "NO_VEHICLE_WITH_SKILLS"
    DEMAND_EXCEEDS_CAPACITY = "DEMAND_EXCEEDS_CAPACITY"
    CANNOT_MEET_TIME_WINDOW = "CANNOT_MEET_TIME_WINDOW"
    SHIFT_TOO_SHORT = "SHIFT_TOO_SHORT"
    SKIPPED_FOR_COST = "SKIPPED_FOR_COST"
    NO_CAPACITY_LEFT = "NO_CAPACITY_LEFT"


@dataclass(frozen=True)
class PlannedVisit:
    """One visit of a route: a stop, facility or break (by index), with an optional start time.

    ``ref`` indexes problem.stops, problem.facilities, or the vehicle's breaks. ``start`` is the
    service (or break) start the solver chose; None lets the checker schedule it as early as
    possible.
    """

    kind: VisitKind
    ref: int
    start: int | None = None


@dataclass(frozen=True)
class RoutePlan:
    """A vehicle's visits in order, START and END excluded; ``departure`` None = checker decides."""

    vehicle: int
    visits: tuple[PlannedVisit, ...]
    departure: int | None = None


@dataclass(frozen=True)
class RoutingPlan:
    """A full plan: routes of used vehicles and the stops left out (with the solver's reasons)."""

    routes: tuple[RoutePlan, ...]
    skipped: dict[int, SkipReason] = field(default_factory=dict)


@dataclass(frozen=True)
class Violation:
    """A broken hard rule; ``ref`` is the stop/facility/break index concerned, or -1."""

    type: ViolationType
    ref: int = -1
    kind: VisitKind | None = None
    amount: int = 0
    detail: str = ""


@dataclass(frozen=True)
class VisitTiming:
    """Computed timing and load of one visit (START and END included)."""

    kind: VisitKind
    ref: int
    location: int
    arrival: int
    wait: int
    start: int
    end: int
    load_after: tuple[int, ...]
    travel_seconds: int
    travel_metres: int
    violations: tuple[Violation, ...] = ()
    #: Seconds before a soft window's start / after the window's end, and what the soft window
    #: charges for them (``solvers.routing.soft_windows``); 0 for every kind but STOP.
    earliness: int = 0
    lateness: int = 0
    time_window_cost: float = 0.0


@dataclass(frozen=True)
class RouteEvaluation:
    """A route as the checker sees it."""

    vehicle: int
    visits: tuple[VisitTiming, ...]
    duration: int
    travel_seconds: int
    travel_metres: int
    service_seconds: int
    wait_seconds: int
    break_seconds: int
    stops: int
    trips: int
    load_collected: tuple[int, ...]
    cost: float
    violations: tuple[Violation, ...] = ()


@dataclass(frozen=True)
class PlanEvaluation:
    """The checker's verdict on a whole plan; ``feasible`` means no violation anywhere."""

    routes: tuple[RouteEvaluation, ...]
    violations: tuple[Violation, ...]  # every violation, route and visit ones included
    cost_terms: dict[str, float]  # checker.COST_TERMS
    served: frozenset[int]
    skipped: frozenset[int]

    @property
    def feasible(self) -> bool:
        """True when the plan breaks no hard rule."""
        return not self.violations

    @property
    def cost(self) -> float:
        """Total objective (sum of the cost terms)."""
        return float(sum(self.cost_terms.values()))
