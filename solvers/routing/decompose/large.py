"""A routing problem too large for one matrix, and the parts cut from it.

:class:`LargeProblem` is :class:`~solvers.routing.problem.RoutingProblem` with the matrices
replaced by a :class:`~solvers.routing.decompose.travel.TravelModel`: the same vehicles, stops
and facilities, with indices into its own ``location_ids``. A :class:`Part` names a subset of
its stops and vehicles; :func:`part_problem` builds the ordinary RoutingProblem for it (only
the part's locations and every facility, so its matrix is (part size)^2) and :func:`to_global`
maps the plan solved on it back to the large problem's indices.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from solvers.errors import FieldProblem, InvalidProblemError
from solvers.routing.decompose.travel import MatrixTravel, TravelModel
from solvers.routing.plan import PlannedVisit, RoutePlan, RoutingPlan, VisitKind
from solvers.routing.problem import FleetAndWork, RoutingProblem, Stop


@dataclass(frozen=True, eq=False)
class LargeProblem(FleetAndWork):
    """Vehicles, stops and facilities over ``location_ids``; travel read through ``travel``.

    ``points`` (n x 2, any planar unit) lets the splitter cluster on positions; without them it
    clusters on travel times.
    """

    location_ids: tuple[str, ...]
    travel: TravelModel
    points: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.location_ids)
        problems = []
        if self.travel.n_locations != n:
            problems.append(FieldProblem("travel", f"{self.travel.n_locations} locations, not {n}"))
        if self.points is not None and np.shape(self.points) != (n, 2):
            problems.append(FieldProblem("points", f"shape {np.shape(self.points)}, not {(n, 2)}"))
        problems.extend(self.index_problems(n, self.travel.n_profiles))
        if problems:
            raise InvalidProblemError(problems)

    @classmethod
    def from_problem(
        cls, problem: RoutingProblem, points: np.ndarray | None = None
    ) -> LargeProblem:
        """The same problem with its matrices behind a MatrixTravel (e.g. a request's).

        A re-plan (locks and churn against a reference plan) is not decomposed: its locks
        and churn refer to the whole problem's indices.
        """
        if getattr(problem, "replan", None) is not None:
            raise InvalidProblemError(FieldProblem("replan", "a re-plan is not decomposed"))
        travel = MatrixTravel(problem.durations, problem.distances)
        return cls(
            location_ids=problem.location_ids,
            travel=travel,
            points=points,
            **problem.fleet_and_work(),
        )


@dataclass(frozen=True)
class Part:
    """A named subset of a large problem: global stop and vehicle indices (ascending)."""

    name: str
    stops: tuple[int, ...]
    vehicles: tuple[int, ...]


def part_problem(large: LargeProblem, part: Part) -> RoutingProblem:
    """The RoutingProblem of one part: its stops, its vehicles, every facility.

    Local stop and vehicle indices follow the order of ``part.stops`` and ``part.vehicles``;
    facility indices are unchanged. A stop's allowed vehicles are narrowed to the part's
    (possibly to none: the pre-check then reports it skipped with a reason).
    """
    local_vehicle = {g: k for k, g in enumerate(part.vehicles)}
    vehicles = [large.vehicles[g] for g in part.vehicles]
    stops = [large.stops[g] for g in part.stops]
    places = sorted(
        {v.start for v in vehicles}
        | {v.end for v in vehicles}
        | {f.location for f in large.facilities}
        | {s.location for s in stops}
    )
    index = {g: i for i, g in enumerate(places)}
    rows = np.asarray(places, dtype=np.int64)
    durations, distances = [], []
    for profile in range(large.travel.n_profiles):
        seconds, metres = large.travel.block(profile, rows, rows)
        durations.append(seconds)
        distances.append(metres)
    return RoutingProblem(
        location_ids=tuple(large.location_ids[g] for g in places),
        durations=tuple(durations),
        distances=tuple(distances),
        vehicles=tuple(replace(v, start=index[v.start], end=index[v.end]) for v in vehicles),
        stops=tuple(_local_stop(s, index, local_vehicle) for s in stops),
        facilities=tuple(replace(f, location=index[f.location]) for f in large.facilities),
        dimensions=large.dimensions,
        minimize_vehicles_first=large.minimize_vehicles_first,
        label=f"{large.label}/{part.name}" if large.label else part.name,
    )


def _local_stop(stop: Stop, index: dict[int, int], local_vehicle: dict[int, int]) -> Stop:
    allowed = stop.allowed_vehicles
    if allowed is not None:
        allowed = frozenset(local_vehicle[g] for g in allowed if g in local_vehicle)
    return replace(stop, location=index[stop.location], allowed_vehicles=allowed)


def to_global(part: Part, plan: RoutingPlan) -> RoutingPlan:
    """A plan solved on ``part_problem(large, part)`` in the large problem's indices."""
    routes = tuple(
        RoutePlan(
            vehicle=part.vehicles[route.vehicle],
            visits=tuple(_global_visit(part, v) for v in route.visits),
            departure=route.departure,
        )
        for route in plan.routes
        if route.visits
    )
    skipped = {part.stops[i]: reason for i, reason in plan.skipped.items()}
    return RoutingPlan(routes=routes, skipped=skipped)


def to_local(part: Part, plan: RoutingPlan) -> RoutingPlan:
    """The routes and skips of ``plan`` that belong to ``part``, in the part's indices.

    Routes of vehicles outside the part and visits of stops outside it are left out.
    """
    vehicle = {g: k for k, g in enumerate(part.vehicles)}
    stop = {g: i for i, g in enumerate(part.stops)}
    routes = []
    for route in plan.routes:
        if route.vehicle not in vehicle:
            continue
        visits = tuple(
            PlannedVisit(v.kind, stop[v.ref], v.start) if v.kind is VisitKind.STOP else v
            for v in route.visits
            if v.kind is not VisitKind.STOP or v.ref in stop
        )
        routes.append(RoutePlan(vehicle[route.vehicle], visits, route.departure))
    skipped = {stop[g]: r for g, r in plan.skipped.items() if g in stop}
    return RoutingPlan(routes=tuple(routes), skipped=skipped)


def _global_visit(part: Part, visit: PlannedVisit) -> PlannedVisit:
    if visit.kind is VisitKind.STOP:
        return PlannedVisit(VisitKind.STOP, part.stops[visit.ref], visit.start)
    return visit
