"""Small routing problems for the checker, skip-reason and MILP tests.

Locations lie on a line, one every 10 s / 1000 m, so expected times and costs can be worked out
by hand in a test's docstring.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import strategies as st

from solvers.routing.plan import PlannedVisit, RoutePlan, RoutingPlan, VisitKind
from solvers.routing.problem import (
    Break,
    Facility,
    RoutingProblem,
    Stop,
    TimeWindow,
    Vehicle,
)

SECONDS_PER_STEP = 10
METRES_PER_STEP = 1000


def line_matrices(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Durations and distances between n points on a line."""
    positions = np.arange(n)
    steps = np.abs(positions[:, None] - positions[None, :]).astype(np.int64)
    return steps * SECONDS_PER_STEP, steps * METRES_PER_STEP


def vehicle(id: str = "v1", **fields: object) -> Vehicle:
    """A vehicle at location 0 with a long shift; override any field."""
    base = Vehicle(id=id, start=0, end=0, shift=TimeWindow(0, 10_000))
    return replace(base, **fields)


def stop(id: str, location: int, **fields: object) -> Stop:
    """A stop at ``location``; override any field."""
    return replace(Stop(id=id, location=location), **fields)


def problem(
    stops: tuple[Stop, ...],
    vehicles: tuple[Vehicle, ...] = (),
    facilities: tuple[Facility, ...] = (),
    n_locations: int = 8,
    dimensions: tuple[str, ...] = (),
) -> RoutingProblem:
    """A line-world problem; one default vehicle when none is given."""
    durations, distances = line_matrices(n_locations)
    return RoutingProblem(
        location_ids=tuple(f"L{i}" for i in range(n_locations)),
        durations=(durations,),
        distances=(distances,),
        vehicles=vehicles or (vehicle(),),
        stops=stops,
        facilities=facilities,
        dimensions=dimensions,
    )


def route(vehicle_index: int, *visits: tuple[str, int] | PlannedVisit, **kw: object) -> RoutePlan:
    """A route from ("S", i) / ("F", i) / ("B", i) pairs or PlannedVisit objects."""
    kinds = {"S": VisitKind.STOP, "F": VisitKind.FACILITY, "B": VisitKind.BREAK}
    planned = tuple(
        v if isinstance(v, PlannedVisit) else PlannedVisit(kinds[v[0]], v[1]) for v in visits
    )
    return RoutePlan(vehicle_index, planned, **kw)  # type: ignore[arg-type]


def plan(*routes: RoutePlan, **kw: object) -> RoutingPlan:
    """A plan of the given routes."""
    return RoutingPlan(tuple(routes), **kw)  # type: ignore[arg-type]


@st.composite
def random_problems(draw: st.DrawFn, max_stops: int = 6) -> RoutingProblem:
    """Random small problems using every feature the checker knows about."""
    n_loc = draw(st.integers(3, 7))
    raw = draw(st.lists(st.integers(0, 60), min_size=n_loc * n_loc, max_size=n_loc * n_loc))
    durations = np.array(raw, dtype=np.int64).reshape(n_loc, n_loc)
    np.fill_diagonal(durations, 0)
    distances = durations * draw(st.integers(0, 20))
    n_dims = draw(st.integers(0, 2))
    skills_pool = ["a", "b"]
    vehicles = []
    for k in range(draw(st.integers(1, 3))):
        shift_start = draw(st.integers(0, 100))
        breaks = ()
        if draw(st.booleans()):
            ws = draw(st.integers(0, 300))
            breaks = (
                Break(
                    f"br{k}",
                    TimeWindow(ws, ws + draw(st.integers(0, 100))),
                    draw(st.integers(0, 30)),
                ),
            )
        vehicles.append(
            Vehicle(
                id=f"v{k}",
                start=draw(st.integers(0, n_loc - 1)),
                end=draw(st.integers(0, n_loc - 1)),
                shift=TimeWindow(shift_start, shift_start + draw(st.integers(0, 800))),
                capacities=(
                    tuple(draw(st.integers(0, 10)) for _ in range(n_dims))
                    if n_dims and draw(st.booleans())
                    else None
                ),
                daily_capacities=(
                    tuple(draw(st.integers(0, 20)) for _ in range(n_dims))
                    if n_dims and draw(st.booleans())
                    else None
                ),
                skills=frozenset(draw(st.lists(st.sampled_from(skills_pool), max_size=2))),
                fixed_cost=draw(st.sampled_from([0.0, 5.0, 100.0])),
                cost_per_hour=draw(st.sampled_from([0.0, 36.0])),
                cost_per_km=draw(st.sampled_from([0.0, 1.5])),
                max_route_duration=draw(st.sampled_from([0, 200, 1000])),
                max_stops=draw(st.integers(0, 4)),
                breaks=breaks,
            )
        )
    stops = []
    for i in range(draw(st.integers(0, max_stops))):
        windows = ()
        for _ in range(draw(st.integers(0, 2))):
            a = draw(st.integers(0, 500))
            windows += (TimeWindow(a, a + draw(st.integers(0, 200))),)
        allowed = None
        if draw(st.booleans()):
            allowed = frozenset(
                draw(st.lists(st.integers(0, len(vehicles) - 1), max_size=len(vehicles)))
            )
        stops.append(
            Stop(
                id=f"s{i}",
                location=draw(st.integers(0, n_loc - 1)),
                demands=tuple(draw(st.integers(0, 6)) for _ in range(n_dims)),
                service_duration=draw(st.integers(0, 40)),
                time_windows=windows,
                required_skills=frozenset(draw(st.lists(st.sampled_from(skills_pool), max_size=1))),
                allowed_vehicles=allowed,
                optional=draw(st.booleans()),
                skip_penalty=draw(st.sampled_from([0.0, 10.0, 1000.0])),
            )
        )
    facilities = ()
    if n_dims and draw(st.booleans()):
        opening = None
        if draw(st.booleans()):
            a = draw(st.integers(0, 300))
            opening = TimeWindow(a, a + draw(st.integers(0, 600)))
        facilities = (
            Facility("f0", draw(st.integers(0, n_loc - 1)), opening, draw(st.integers(0, 30))),
        )
    return RoutingProblem(
        location_ids=tuple(f"L{i}" for i in range(n_loc)),
        durations=(durations,),
        distances=(distances,),
        vehicles=tuple(vehicles),
        stops=tuple(stops),
        facilities=facilities,
        dimensions=tuple(f"d{d}" for d in range(n_dims)),
    )


@st.composite
def random_plans(draw: st.DrawFn, p: RoutingProblem) -> RoutingPlan:
    """Random (mostly infeasible) plans over ``p``: any order, repeats, breaks anywhere."""
    routes = []
    for k in draw(st.permutations(range(len(p.vehicles)))):
        if not draw(st.booleans()):
            continue
        options = [("S", i) for i in range(len(p.stops))]
        options += [("F", i) for i in range(len(p.facilities))]
        options += [("B", i) for i in range(len(p.vehicles[k].breaks))]
        if not options:
            continue
        visits = draw(st.lists(st.sampled_from(options), max_size=8))
        departure = draw(st.one_of(st.none(), st.integers(0, 200)))
        routes.append(route(k, *visits, departure=departure))
    return RoutingPlan(tuple(routes))
