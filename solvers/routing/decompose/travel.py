"""Travel times as a function, so a big night never needs its whole matrix in one place.

A 20,000-stop night has a 400-million-cell matrix (1.6 GB as int32, 3.2 GB as the int64 the
solvers use, twice that with distances): it does not fit in one protobuf message (2 GB) or a
gRPC message (the server's receive limit), and building it to cut 40 parts out of it wastes
minutes. Decomposition therefore reads travel through :class:`TravelModel`: ``block(rows,
cols)`` gives the seconds (and metres) between two sets of locations, and every consumer asks
only for the blocks it needs: a part's own sub-matrix, k cluster centres against the stops, the
legs of one route for the whole-plan check.

Two models:

* :class:`MatrixTravel` slices matrices the caller already has (a request that carried one).
* :class:`CoordinateTravel` computes road-like times from planar coordinates in metres (the
  benchmark's generated cities; a routing engine's table service could stand behind the same
  protocol): Manhattan metres times a detour factor plus an access leg, driven at 30 km/h on
  short hops rising to 40 km/h on long arcs, as in ``benchmarks/city/geometry.py``. Its
  ``RoadModel`` (``solvers.routing.road_model``) holds those parameters; :func:`project_wgs84`
  turns latitude/longitude into the planar metres it reads, so a request that gives only
  positions (the contract's ``TravelEstimate``) is the same model on projected points.

:func:`materialise` builds the full matrices of a model, in row blocks, for problems small
enough to have them (the ordinary solve, EvaluatePlan).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from solvers.routing.road_model import RoadModel


class TravelModel(Protocol):
    """Seconds and metres between any two sets of locations, for one travel profile."""

    @property
    def n_locations(self) -> int:
        """Number of locations the model knows."""
        ...

    @property
    def n_profiles(self) -> int:
        """Number of travel profiles (vehicle types with their own times)."""
        ...

    def block(
        self, profile: int, rows: np.ndarray, cols: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """(seconds, metres or None) int64 arrays of shape (len(rows), len(cols))."""
        ...


@dataclass(frozen=True, eq=False)
class MatrixTravel:
    """Blocks cut from full matrices (one per profile); metres may be None per profile."""

    durations: tuple[np.ndarray, ...]
    distances: tuple[np.ndarray | None, ...]

    @property
    def n_locations(self) -> int:
        """Side of the matrices."""
        return int(self.durations[0].shape[0])

    @property
    def n_profiles(self) -> int:
        """One profile per duration matrix."""
        return len(self.durations)

    def block(
        self, profile: int, rows: np.ndarray, cols: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """The sub-matrices rows x cols, as int64 copies."""
        index = np.ix_(rows, cols)
        seconds = np.asarray(self.durations[profile][index], dtype=np.int64)
        metres = self.distances[profile]
        return seconds, None if metres is None else np.asarray(metres[index], dtype=np.int64)


#: Mean Earth radius (metres) of the local projection.
EARTH_RADIUS_M = 6_371_008.8


def project_wgs84(latitudes: np.ndarray, longitudes: np.ndarray) -> np.ndarray:
    """(n, 2) metres east and north of the points' mean, on a local equirectangular plane.

    Longitudes are taken within 180 degrees of their circular mean, so a city across the
    antimeridian stays one city. Good to well under 1 % at city and province scale, which is
    far inside the uncertainty of an estimate from positions.
    """
    lat = np.radians(np.asarray(latitudes, dtype=np.float64))
    lon = np.radians(np.asarray(longitudes, dtype=np.float64))
    if lat.size == 0:
        return np.zeros((0, 2))
    lon0 = float(np.arctan2(np.sin(lon).mean(), np.cos(lon).mean()))
    east = (lon - lon0 + np.pi) % (2 * np.pi) - np.pi
    lat0 = float(lat.mean())
    return np.stack([EARTH_RADIUS_M * np.cos(lat0) * east, EARTH_RADIUS_M * (lat - lat0)], axis=1)


@dataclass(frozen=True, eq=False)
class CoordinateTravel:
    """Road-like times from planar points in metres; ``speed_factors`` scale time per profile.

    Deterministic and symmetric, so a leg costs the same in whichever part or check asks.
    """

    points: np.ndarray
    speed_factors: tuple[float, ...] = (1.0,)
    road: RoadModel = field(default_factory=RoadModel)

    @property
    def n_locations(self) -> int:
        """Number of points."""
        return int(self.points.shape[0])

    @property
    def n_profiles(self) -> int:
        """One profile per speed factor."""
        return len(self.speed_factors)

    def block(
        self, profile: int, rows: np.ndarray, cols: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray | None]:
        """Seconds and metres between the rows' and the columns' points (0 to itself)."""
        rows, cols = np.asarray(rows), np.asarray(cols)
        a, b = self.points[rows], self.points[cols]
        east = np.abs(a[:, None, 0] - b[None, :, 0])
        north = np.abs(a[:, None, 1] - b[None, :, 1])
        road = self.road
        plane = np.hypot(east, north) if road.straight else east + north
        metres = plane * road.detour + road.access_m
        rise = np.minimum(1.0, metres / road.arterial_m)
        kmh = road.slow_kmh + (road.fast_kmh - road.slow_kmh) * rise
        seconds = metres / (kmh / 3.6) / self.speed_factors[profile]
        same = rows[:, None] == cols[None, :]
        seconds = np.where(same, 0.0, np.rint(seconds)).astype(np.int64)
        metres = np.where(same, 0.0, np.rint(metres)).astype(np.int64)
        return seconds, metres


def materialise(
    travel: TravelModel, rows_per_block: int = 256
) -> tuple[list[np.ndarray], list[np.ndarray | None]]:
    """Full (durations, distances) matrices of every profile, computed a block of rows at a
    time so the model's float temporaries stay small next to the int64 result."""
    n = travel.n_locations
    every = np.arange(n, dtype=np.int64)
    durations: list[np.ndarray] = []
    distances: list[np.ndarray | None] = []
    for profile in range(travel.n_profiles):
        seconds = np.empty((n, n), dtype=np.int64)
        metres: np.ndarray | None = np.empty((n, n), dtype=np.int64)
        for first in range(0, n, rows_per_block):
            rows = every[first : first + rows_per_block]
            block_s, block_m = travel.block(profile, rows, every)
            seconds[rows] = block_s
            if block_m is None:
                metres = None
            elif metres is not None:
                metres[rows] = block_m
        durations.append(seconds)
        distances.append(metres)
    return durations, distances
