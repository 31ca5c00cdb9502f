"""Generated big city nights: thousands of bins, several depots, disposal sites, lunch breaks.

The shape of ``benchmarks/city/generate.py``'s sanitation variant, grown to a metropolis: the
city's side grows with the square root of the stops (stop density stays that of the 1,000-stop
city), one depot and one disposal site per 2,500 stops (at least two of each), trucks of
9,000 kg sized from the work like the city generator, lunch 30 min starting 11:30-13:30, a
quarter of the bins with a 4 h collection window. Built directly as a
:class:`~solvers.routing.decompose.LargeProblem` on planar coordinates (metres): no full
matrix is ever made (20,000 stops would need 3.2 GB per int64 matrix); the single-process
baseline builds one from the same travel model when it fits.
"""

from __future__ import annotations

import math

import numpy as np

from solvers.routing.decompose import CoordinateTravel, LargeProblem
from solvers.routing.problem import Break, Facility, Stop, TimeWindow, Vehicle

SIZES = (2_000, 5_000, 10_000, 20_000)
#: Part of the seed: bump when the generator changes.
GENERATOR_VERSION = 1
H = 3600
CAPACITY = 9_000
LUNCH = Break("lunch", TimeWindow(11 * H + 1800, 13 * H + 1800), 1800)


def side_metres(n_stops: int) -> float:
    """The city's side: 12 km for 1,000 stops, growing with the square root of the stops."""
    return 12_000.0 * math.sqrt(max(n_stops, 100) / 1_000)


def night(n_stops: int, index: int = 1) -> LargeProblem:
    """The generated night ``bignight-<n_stops>-<index>`` (deterministic)."""
    rng = np.random.default_rng([GENERATOR_VERSION, n_stops, index])
    side = side_metres(n_stops)
    n_depots = max(2, round(n_stops / 2_500))
    n_tips = n_depots
    sites = _ring(rng, n_depots + n_tips, side)
    bins = _clustered(rng, n_stops, side)
    points = np.vstack([sites, bins])
    depot_ids = [f"depot-{k + 1}" for k in range(n_depots)]
    tip_ids = [f"tip-{k + 1}" for k in range(n_tips)]
    bin_ids = [f"bin-{k + 1:05d}" for k in range(n_stops)]
    demand = np.clip(np.rint(rng.lognormal(np.log(250.0), 0.5, size=n_stops)), 40, 1_500)
    service = rng.integers(2, 7, size=n_stops) * 60
    commercial = rng.random(n_stops) < 0.25
    slot = 6 * H + rng.integers(0, 3, size=n_stops) * H
    first = n_depots + n_tips
    stops = tuple(
        Stop(
            id=bin_ids[i],
            location=first + i,
            demands=(int(demand[i]),),
            service_duration=int(service[i]),
            time_windows=(TimeWindow(int(slot[i]), int(slot[i]) + 4 * H),) if commercial[i] else (),
        )
        for i in range(n_stops)
    )
    facilities = tuple(
        Facility(
            id=tip,
            location=n_depots + k,
            opening=TimeWindow(6 * H, 17 * H),
            unload_duration=int(rng.integers(15, 26)) * 60,
        )
        for k, tip in enumerate(tip_ids)
    )
    trucks = _truck_count(service, demand, side)
    vehicles = tuple(
        Vehicle(
            id=f"truck-{k + 1:04d}",
            start=k % n_depots,
            end=k % n_depots,
            shift=_shift(rng),
            capacities=(CAPACITY,),
            breaks=(LUNCH,),
        )
        for k in range(trucks)
    )
    return LargeProblem(
        location_ids=tuple(depot_ids + tip_ids + bin_ids),
        travel=CoordinateTravel(points),
        vehicles=vehicles,
        stops=stops,
        facilities=facilities,
        dimensions=("kg",),
        label=f"bignight-{n_stops}-{index}",
        points=points,
    )


def _ring(rng: np.random.Generator, n: int, side: float) -> np.ndarray:
    """Depots and tips spread around the city, between 15 % and 45 % of the side from the
    centre."""
    angle = np.linspace(0.0, 2 * np.pi, n, endpoint=False) + rng.uniform(0, 0.3, size=n)
    radius = rng.uniform(0.15, 0.45, size=n) * side
    return side / 2 + np.stack([np.cos(angle), np.sin(angle)], axis=1) * radius[:, None]


def _clustered(rng: np.random.Generator, n: int, side: float) -> np.ndarray:
    """Bins in neighbourhoods (80 %, one per 25 bins) and anywhere (20 %)."""
    clusters = max(4, n // 25)
    margin = 0.05 * side
    centres = rng.uniform(margin, side - margin, size=(clusters, 2))
    spread = rng.uniform(400.0, 1_200.0, size=clusters)
    which = rng.integers(0, clusters, size=n)
    around = centres[which] + rng.normal(size=(n, 2)) * spread[which, None]
    anywhere = rng.uniform(0.0, side, size=(n, 2))
    points = np.where((rng.random(n) < 0.8)[:, None], around, anywhere)
    return np.clip(points, 0.0, side)


def _shift(rng: np.random.Generator) -> TimeWindow:
    start = 6 * H + int(rng.integers(0, 3)) * 1800
    return TimeWindow(start, start + int(float(rng.choice([8, 8.5, 9, 9.5, 10])) * H))


def _truck_count(service: np.ndarray, demand: np.ndarray, side: float) -> int:
    """Trucks with room to spare: work + 5 min per stop + 50 min per disposal trip (longer
    in a bigger city) over 8 h, plus 30 % and one spare per depot."""
    trips = math.ceil(float(demand.sum()) / CAPACITY)
    trip_minutes = 50 * max(1.0, side / 12_000.0)
    minutes = float(service.sum()) / 60 + 5 * len(demand) + trip_minutes * trips
    return math.ceil(minutes / 480 * 1.3) + 2
