"""Travel estimated from WGS84 positions, its full matrices, and a large plan's global routes."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.bignight.generate import night
from solvers.routing.checker import evaluate
from solvers.routing.decompose import (
    DecomposeOptions,
    InlineRunner,
    Part,
    part_problem,
    solve_decomposed,
)
from solvers.routing.decompose.global_routes import evaluate_large
from solvers.routing.decompose.travel import (
    EARTH_RADIUS_M,
    CoordinateTravel,
    materialise,
    project_wgs84,
)
from solvers.routing.plan import PlannedVisit, RoutePlan, RoutingPlan, SkipReason, VisitKind
from solvers.routing.road_model import RoadModel

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_a_degree_of_latitude_projects_to_its_arc_length() -> None:
    """Two points one degree of latitude apart are R x pi / 180 metres apart, due north."""
    points = project_wgs84(np.array([50.0, 51.0]), np.array([4.0, 4.0]))
    east, north = points[1] - points[0]
    assert abs(east) < 1e-6
    assert math.isclose(north, EARTH_RADIUS_M * math.pi / 180, rel_tol=1e-12)


def test_a_city_across_the_antimeridian_stays_one_city() -> None:
    """179.99 E and 179.99 W on the equator are 0.02 degrees (2.2 km) apart, not 359.98."""
    points = project_wgs84(np.array([0.0, 0.0]), np.array([179.99, -179.99]))
    span = abs(points[1, 0] - points[0, 0])
    assert math.isclose(span, EARTH_RADIUS_M * math.radians(0.02), rel_tol=1e-6)


@SETTINGS
@given(
    layout=st.lists(
        st.tuples(st.floats(-30_000, 30_000), st.floats(-30_000, 30_000)), min_size=2, max_size=30
    ),
    lat0=st.floats(-70, 70),
    lon0=st.floats(-180, 180),
)
def test_positions_placed_around_a_centre_project_back_to_their_layout(
    layout: list[tuple[float, float]], lat0: float, lon0: float
) -> None:
    """Planar metres placed as positions (the inverse map) come back as the same layout."""
    plane = np.asarray(layout)
    east, north = (plane - plane.mean(axis=0)).T
    lat = lat0 + np.degrees(north / EARTH_RADIUS_M)
    lon = lon0 + np.degrees(east / (EARTH_RADIUS_M * np.cos(np.radians(lat0))))
    lon = (lon + 180) % 360 - 180
    back = project_wgs84(lat, lon)
    got = back - back[0]
    want = plane - plane[0]
    # cos(mean latitude) vs cos(lat0): the mean moves by rounding only
    assert np.allclose(got, want, atol=1e-3, rtol=1e-6)


@SETTINGS
@given(
    points=st.lists(st.tuples(st.floats(0, 50_000), st.floats(0, 50_000)), min_size=2, max_size=25),
    factor=st.floats(0.25, 4.0),
)
def test_straight_lines_are_never_longer_than_the_street_grid(
    points: list[tuple[float, float]], factor: float
) -> None:
    """Same road model: straight-line metres and seconds are at most Manhattan's; both are
    symmetric with zero diagonals."""
    plane = np.asarray(points)
    every = np.arange(len(points))
    grid = CoordinateTravel(plane, (factor,))
    line = CoordinateTravel(plane, (factor,), RoadModel(straight=True))
    grid_s, grid_m = grid.block(0, every, every)
    line_s, line_m = line.block(0, every, every)
    assert (line_m <= grid_m).all() and (line_s <= grid_s).all()
    for matrix in (grid_s, grid_m, line_s, line_m):
        assert (matrix == matrix.T).all() and not np.diag(matrix).any()


def test_materialised_matrices_are_the_models_blocks() -> None:
    """Built a few rows at a time, the full matrices equal one block over every location, for
    every profile."""
    large = night(50, 3)
    travel = CoordinateTravel(large.points, (1.0, 0.5), RoadModel(detour=1.4, slow_kmh=20))
    durations, distances = materialise(travel, rows_per_block=7)
    every = np.arange(travel.n_locations)
    for profile in range(2):
        seconds, metres = travel.block(profile, every, every)
        assert (durations[profile] == seconds).all()
        assert distances[profile] is not None and (distances[profile] == metres).all()


SMALL = night(40, 2)
SMALL_FULL = part_problem(SMALL, Part("all", tuple(range(40)), tuple(range(len(SMALL.vehicles)))))


@st.composite
def plans(draw: st.DrawFn) -> RoutingPlan:
    """Readable plans of SMALL: distinct stops over random routes, facilities and breaks."""
    order = draw(st.permutations(range(len(SMALL.stops))))
    n_routes = draw(st.integers(1, min(5, len(SMALL.vehicles))))
    vehicles = draw(
        st.lists(
            st.integers(0, len(SMALL.vehicles) - 1),
            unique=True,
            min_size=n_routes,
            max_size=n_routes,
        )
    )
    served = draw(st.integers(0, len(order)))
    routes = []
    for k, vehicle in enumerate(vehicles):
        visits = [PlannedVisit(VisitKind.STOP, s) for s in order[k:served:n_routes]]
        if draw(st.booleans()):
            visits.append(PlannedVisit(VisitKind.FACILITY, draw(st.integers(0, 1))))
        if draw(st.booleans()):
            visits.insert(draw(st.integers(0, len(visits))), PlannedVisit(VisitKind.BREAK, 0))
        routes.append(RoutePlan(vehicle, tuple(visits)))
    skipped = {s: SkipReason.NO_CAPACITY_LEFT for s in order[served:]}
    return RoutingPlan(tuple(routes), skipped)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=plans())
def test_global_routes_are_the_full_checkers_routes(plan: RoutingPlan) -> None:
    """Route by route on the travel model, the large plan's routes (vehicles, refs, locations,
    every leg and time) equal the checker's on the full matrix, and so do the verdicts."""
    mine = evaluate_large(SMALL, plan)
    full = evaluate(SMALL_FULL, plan)
    assert mine.routes == full.routes
    assert mine.cost_terms == full.cost_terms
    assert mine.served == full.served and mine.feasible == full.feasible


@dataclass(frozen=True, eq=False)
class RecordingTravel(CoordinateTravel):
    """The model itself, noting the shape of every block asked of it."""

    shapes: list[tuple[int, int]] = field(default_factory=list)

    def block(
        self, profile: int, rows: np.ndarray, cols: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """CoordinateTravel's block, recorded."""
        self.shapes.append((len(rows), len(cols)))
        return super().block(profile, rows, cols)


def test_a_decomposed_solve_never_asks_for_the_whole_matrix() -> None:
    """Split, parts, border rounds and the answer's route-by-route check of a 240-stop night in
    parts of 60 read blocks of at most a quarter of the full matrix."""
    base = night(240, 4)
    travel = RecordingTravel(base.points)
    large = replace(base, travel=travel)
    options = DecomposeOptions(max_part_stops=60)
    outcome = solve_decomposed(large, 6.0, InlineRunner(), options)
    evaluation = evaluate_large(large, outcome.plan)
    n = len(large.location_ids)
    assert evaluation.feasible and outcome.parts and travel.shapes
    assert max(r * c for r, c in travel.shapes) <= n * n // 4
