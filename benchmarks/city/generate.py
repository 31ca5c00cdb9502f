"""Deterministic city instances: maintenance crews and sanitation trucks as PlanRoutesRequests.

The public suites (Solomon, CVRPLIB, Kim waste) have none of what city crews bring every day:
skills, two windows per work order, lunch breaks with a start window, several yards, asymmetric
road times. These instances have them, generated from a seed (numpy ``default_rng`` seeded from
the variant, size and index), so every engineer and every run sees exactly the same requests.

Times are seconds after midnight (the request's origin is the benchmark epoch), loads kilograms.
Every vehicle has zero rates: by the contract the objective is then the skip penalties alone,
and the service's engines (OR-Tools, PyVRP) minimise travel seconds as their default, which is
what VROOM minimises too (its default cost is travel time). The benchmark's figure is the total
travel time the service's checker computes from each plan.

* ``maint``: work orders needing one of 2-3 skills, crews with one or two skills at two yards,
  service 10-45 min, 40 % of stops with a morning and an afternoon window, 30 % with one 2-3 h
  slot, ~10 % optional with a penalty, lunch 30-45 min starting 11:30-13:30, shifts 8-10 h.
* ``san``: bins with demands (kg), interchangeable trucks with one capacity, one depot, one or
  two disposal sites with opening hours and unload times, 25 % of bins with one collection
  window, one lunch for every truck, shifts 8-10 h. One truck type and single windows are a
  choice: that is the shape PyVRP's reload-depot model accepts, so the variant exercises the
  service's second engine; skills and two windows are exercised by ``maint``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from benchmarks.city.geometry import CITY_SIDE_M, clustered_points, road_matrices
from benchmarks.readers.common import skeleton, window
from dispatch._proto.dispatch.v1 import common_pb2, routing_pb2

SIZES = (100, 200, 400)
INDICES = (1, 2)
VARIANTS = ("maint", "san")
QUICK = ("city-maint-100-1", "city-san-100-1")
#: Bump when the generator changes: it is part of the seed, so old results are not confused.
GENERATOR_VERSION = 1
SKILL_POOL = ("electrical", "plumbing", "roadworks")
SKILL_WEIGHTS = {2: (0.6, 0.4), 3: (0.45, 0.35, 0.2)}
TWO_WINDOW_SHARE = 0.4
ONE_WINDOW_SHARE = 0.3
OPTIONAL_SHARE = 0.1
LUNCH_WINDOW = (11 * 3600 + 1800, 13 * 3600 + 1800)
H = 3600


@dataclass(frozen=True)
class CityInstance:
    """A generated request and where its locations lie (metres, for plots and checks)."""

    name: str
    variant: str
    size: int
    index: int
    request: routing_pb2.PlanRoutesRequest
    coords: np.ndarray

    @property
    def family(self) -> str:
        """Variant and size: the report groups by it."""
        return f"{self.variant}-{self.size}"

    @property
    def n_stops(self) -> int:
        """Number of stops in the request."""
        return len(self.request.stops)


def names(instances: str | None = None, quick: bool = False) -> list[str]:
    """Instance names in suite order, filtered like the file suites (globs, --quick)."""
    import fnmatch

    every = [f"city-{v}-{s}-{i}" for v in VARIANTS for s in SIZES for i in INDICES]
    if instances:
        wanted = [w.strip().lower() for w in instances.split(",") if w.strip()]
        # An exact name off the grid (another size or index, e.g. city-maint-20-1 for a fast
        # test, city-san-1000-1 for scale) is generated too.
        extra = [w for w in wanted if w not in every and _is_name(w)]
        every = [n for n in every if any(fnmatch.fnmatch(n, w) for w in wanted)] + extra
    if quick:
        every = [n for n in every if n in QUICK]
    return every


def _is_name(text: str) -> bool:
    parts = text.split("-")
    return (
        len(parts) == 4
        and parts[0] == "city"
        and parts[1] in VARIANTS
        and parts[2].isdigit()
        and parts[3].isdigit()
    )


def build(name: str) -> CityInstance:
    """The instance called ``name`` (``city-<maint|san>-<size>-<index>``)."""
    if not _is_name(name):
        raise ValueError(f"not a city instance name: {name}")
    parts = name.split("-")
    variant, size, index = parts[1], int(parts[2]), int(parts[3])
    if variant == "maint":
        return maintenance(size, index)
    return sanitation(size, index)


def instances(selection: str | None = None, quick: bool = False) -> Iterator[CityInstance]:
    """Generate the selected instances one by one."""
    for name in names(selection, quick):
        yield build(name)


def rng_for(variant: str, size: int, index: int) -> np.random.Generator:
    """The generator's random stream for one instance (independent of every other instance)."""
    return np.random.default_rng([GENERATOR_VERSION, VARIANTS.index(variant), size, index])


def _places(rng: np.random.Generator, n_sites: int, n_stops: int) -> np.ndarray:
    """Yards/depots/tips near the city edge first, then the stops in neighbourhoods."""
    angle = rng.uniform(0.0, 2 * np.pi, size=n_sites)
    radius = rng.uniform(0.3, 0.45, size=n_sites) * CITY_SIDE_M
    sites = CITY_SIDE_M / 2 + np.stack([np.cos(angle), np.sin(angle)], axis=1) * radius[:, None]
    stops = clustered_points(rng, n_stops, clusters=max(4, n_stops // 25))
    return np.vstack([sites, stops])


def _shift(rng: np.random.Generator, earliest: int) -> common_pb2.TimeWindow:
    start = earliest + int(rng.integers(0, 3)) * 1800
    return window(start, start + int(rng.choice([8, 8.5, 9, 9.5, 10]) * H))


def _lunch(duration: int) -> routing_pb2.Break:
    return routing_pb2.Break(id="lunch", start_window=window(*LUNCH_WINDOW), duration=duration)


def _maintenance_windows(rng: np.random.Generator, n: int) -> list[list[tuple[int, int]]]:
    """40 % two windows (morning, afternoon), 30 % one 2-3 h slot, the rest any time."""
    order = rng.permutation(n)
    two = set(order[: round(TWO_WINDOW_SHARE * n)].tolist())
    cut = round((TWO_WINDOW_SHARE + ONE_WINDOW_SHARE) * n)
    one = set(order[round(TWO_WINDOW_SHARE * n) : cut].tolist())
    windows: list[list[tuple[int, int]]] = []
    for i in range(n):
        if i in two:
            m0 = 8 * H + int(rng.integers(0, 5)) * 900
            a0 = 13 * H + int(rng.integers(0, 5)) * 900
            windows.append([(m0, m0 + 3 * H), (a0, a0 + 2 * H + 1800)])
        elif i in one:
            s = 8 * H + int(rng.integers(0, 21)) * 900
            windows.append([(s, s + int(rng.choice([2, 2.5, 3]) * H))])
        else:
            windows.append([])
    return windows


def _crew_skills(rng: np.random.Generator, skills: tuple[str, ...], crews: int) -> list[list[str]]:
    """Primary skill in proportion to the work (each skill at least two crews), 30 % a second."""
    weights = SKILL_WEIGHTS[len(skills)]
    counts = [max(2, round(w * crews)) for w in weights]
    counts[0] += crews - sum(counts)
    primary = [s for s, c in zip(skills, counts, strict=True) for _ in range(c)]
    result = []
    for skill in rng.permutation(primary).tolist():
        others = [s for s in skills if s != skill]
        extra = [str(rng.choice(others))] if rng.random() < 0.3 else []
        result.append(sorted([skill, *extra]))
    return result


def maintenance(size: int, index: int) -> CityInstance:
    """Maintenance crews: skills, two windows, optional work, lunch, two yards."""
    rng = rng_for("maint", size, index)
    n_skills = 3 if index % 2 else 2
    skills = SKILL_POOL[:n_skills]
    yards = 2
    coords = _places(rng, yards, size)
    seconds, metres = road_matrices(rng, coords)
    yard_ids = [f"yard-{k + 1}" for k in range(yards)]
    stop_ids = [f"wo-{k + 1:04d}" for k in range(size)]
    name = f"city-maint-{size}-{index}"
    request = skeleton(
        name, routing_pb2.MAINTENANCE, yard_ids + stop_ids, seconds, metres, False, []
    )
    crews = math.ceil(size / 8) + n_skills
    for k, crew_skills in enumerate(_crew_skills(rng, skills, crews)):
        yard = yard_ids[k % yards]
        request.vehicles.add(
            id=f"crew-{k + 1:03d}",
            start_location_id=yard,
            end_location_id=yard,
            shift=_shift(rng, 7 * H),
            skills=crew_skills,
            breaks=[_lunch(int(rng.choice([30, 35, 40, 45])) * 60)],
        )
    windows = _maintenance_windows(rng, size)
    needs = rng.choice(len(skills), size=size, p=SKILL_WEIGHTS[n_skills])
    optional = set(rng.permutation(size)[: round(OPTIONAL_SHARE * size)].tolist())
    for i, stop_id in enumerate(stop_ids):
        request.stops.add(
            id=stop_id,
            location_id=stop_id,
            service_duration=int(rng.integers(10, 46)) * 60,
            time_windows=[window(a, b) for a, b in windows[i]],
            required_skills=[skills[needs[i]]],
            optional=i in optional,
            skip_penalty=float(rng.integers(50, 201)) if i in optional else 0.0,
        )
    return CityInstance(name, "maint", size, index, request, coords)


def _truck_count(service_s: np.ndarray, demand: np.ndarray, capacity: int) -> int:
    """Trucks for the day with room to spare: stop work + 5 min driving per stop + 50 min per
    disposal trip, over 8 h of work per truck, plus 30 % and one spare."""
    trips = math.ceil(float(demand.sum()) / capacity)
    minutes = float(service_s.sum()) / 60 + 5 * len(demand) + 50 * trips
    return math.ceil(minutes / 480 * 1.3) + 1


def sanitation(size: int, index: int) -> CityInstance:
    """Sanitation trucks: capacity, disposal sites with hours and unload, lunch, one depot."""
    rng = rng_for("san", size, index)
    tips = 1 if size <= 100 else 2
    coords = _places(rng, 1 + tips, size)
    seconds, metres = road_matrices(rng, coords)
    tip_ids = [f"tip-{k + 1}" for k in range(tips)]
    stop_ids = [f"bin-{k + 1:04d}" for k in range(size)]
    name = f"city-san-{size}-{index}"
    request = skeleton(
        name, routing_pb2.SANITATION, ["depot", *tip_ids, *stop_ids], seconds, metres, False, ["kg"]
    )
    capacity = 9_000
    demand = np.clip(np.rint(rng.lognormal(np.log(250.0), 0.5, size=size)), 40, 1_500)
    service = rng.integers(2, 7, size=size) * 60
    lunch = _lunch(1800)
    for k in range(_truck_count(service, demand, capacity)):
        request.vehicles.add(
            id=f"truck-{k + 1:02d}",
            start_location_id="depot",
            end_location_id="depot",
            shift=_shift(rng, 6 * H),
            capacities=[capacity],
            breaks=[lunch],
        )
    for k, tip in enumerate(tip_ids):
        opens = 6 * H + k * H
        request.facilities.add(
            id=tip,
            location_id=tip,
            opening=window(opens, opens + 11 * H),
            unload_duration=int(rng.integers(15, 26)) * 60,
        )
    commercial = set(rng.permutation(size)[: round(0.25 * size)].tolist())
    for i, stop_id in enumerate(stop_ids):
        slot = 6 * H + int(rng.integers(0, 3)) * H
        request.stops.add(
            id=stop_id,
            location_id=stop_id,
            demands=[int(demand[i])],
            service_duration=int(service[i]),
            time_windows=[window(slot, slot + 4 * H)] if i in commercial else [],
        )
    return CityInstance(name, "san", size, index, request, coords)
