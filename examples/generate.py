"""Generate the bundled example requests (deterministic: fixed seed, no clock, no network).

Run from the repository root: ``python examples/generate.py`` (``--check`` only compares).
Writes examples/{emergency,sanitation,maintenance}.json, the dispatcher's manual plan for the
sanitation night (sanitation_dispatcher_plan.json, routes only: the "before" of
``dispatch render --before``), and the identical package copies in dispatch/examples/ (so an
installed ``dispatch serve --examples`` finds them).

The city is a made-up mid-size one, 12 km x 10 km, six districts. Travel follows a road-network
feel: Manhattan distance x 1.3 for the metres driven, at a speed per vehicle kind (emergency
units 50 km/h with lights, compactor trucks 30 km/h at night, crew vans 40 km/h), plus a minute to
get going and park. Everything is integer seconds and metres, as the contract requires.
Places also carry WGS84 coordinates (the city's south-west corner sits at CITY_ORIGIN), so maps
and GeoJSON can be drawn; coordinates never change a plan, so adding them left every answer as it
was.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from google.protobuf import json_format
from google.protobuf.message import Message

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))

from dispatcher_plan import manual_plan  # noqa: E402  (examples/, the script's folder)

from dispatch._proto.dispatch.v1 import (  # noqa: E402
    common_pb2,
    emergency_pb2,
    routing_pb2,
)

SEED = 2291
OUTPUTS = (ROOT / "examples", ROOT / "dispatch" / "examples")
Point = tuple[float, float]

DISTRICTS: dict[str, Point] = {
    "north": (6000, 8600),
    "south": (6200, 1500),
    "east": (10400, 5200),
    "west": (1700, 5000),
    "central": (6000, 5000),
    "harbour": (10600, 1200),
}


#: WGS84 latitude and longitude of the point (0, 0) of the city's metre grid (a made-up city
#: still needs somewhere to be drawn).
CITY_ORIGIN = (50.9, 9.5)
_METRES_PER_DEGREE = 111_320.0


def latlng(point: Point) -> common_pb2.LatLng:
    """WGS84 coordinates of a grid point (metres east and north of CITY_ORIGIN), to ~0.1 m."""
    lat0, lon0 = CITY_ORIGIN
    east_degree = _METRES_PER_DEGREE * math.cos(math.radians(lat0))
    return common_pb2.LatLng(
        latitude=round(lat0 + point[1] / _METRES_PER_DEGREE, 6),
        longitude=round(lon0 + point[0] / east_degree, 6),
    )


def road_metres(a: Point, b: Point) -> int:
    """Driving metres between two points: Manhattan distance x 1.3 (streets are not a grid)."""
    return round(1.3 * (abs(a[0] - b[0]) + abs(a[1] - b[1])))


def drive_seconds(a: Point, b: Point, kmh: float, overhead: int = 60) -> int:
    """Driving seconds at ``kmh`` plus ``overhead`` to get going and park (0 for the same spot)."""
    metres = road_metres(a, b)
    if metres == 0:
        return 0
    return round(metres / (kmh / 3.6)) + overhead


def near(rng: random.Random, centre: Point, spread: float) -> Point:
    """A point around ``centre`` (metres), kept inside the city."""
    x = min(12000.0, max(0.0, rng.gauss(centre[0], spread)))
    y = min(10000.0, max(0.0, rng.gauss(centre[1], spread)))
    return (round(x), round(y))


def anywhere(rng: random.Random) -> Point:
    """A point anywhere in the city, denser towards the centre."""
    return near(rng, DISTRICTS["central"], 3000)


def window(start: int, end: int) -> common_pb2.TimeWindow:
    """A TimeWindow message."""
    return common_pb2.TimeWindow(start=start, end=end)


def budget(seconds: float) -> common_pb2.SolveOptions:
    """Default-solve options with a time budget and a fixed seed."""
    options = common_pb2.SolveOptions(solving_mode=common_pb2.DEFAULT_SOLVE, seed=SEED)
    options.time_budget.FromNanoseconds(int(seconds * 1e9))
    return options


# ---------------------------------------------------------------------------------------------
# Emergency: 40 units, 10 incidents, 6 districts
# ---------------------------------------------------------------------------------------------

# (prefix, numbers, agency, capabilities, home districts cycled, speed km/h)
FLEET = [
    ("M", range(11, 25), "ems", ["ambulance"], ["central", "north", "south", "east", "west"], 50),
    ("E", range(1, 9), "fire", ["fire_engine"], list(DISTRICTS), 50),
    ("L", range(1, 5), "fire", ["ladder"], ["central", "north", "harbour", "west"], 45),
    ("P", range(211, 221), "police", ["police"], list(DISTRICTS), 55),
    ("T", range(1, 5), "public_works", ["tow"], ["central", "east", "west", "south"], 40),
]
ALS = {"M-11", "M-14", "M-17", "M-20", "M-23", "E-3", "E-7"}  # paramedic crews

# (id, priority, district, [(capability, count)], description)
INCIDENTS = [
    (
        "inc-2291",
        1,
        "central",
        [("fire_engine", 2), ("ladder", 1), ("ambulance", 1)],
        "structure fire, 4-storey residential",
    ),
    (
        "inc-2292",
        1,
        "east",
        [("police", 1), ("ambulance", 1), ("tow", 1)],
        "road accident, two cars, one trapped",
    ),
    ("inc-2293", 1, "north", [("ambulance", 1), ("als", 1)], "cardiac arrest"),
    ("inc-2294", 2, "west", [("ambulance", 1)], "fall injury, elderly"),
    ("inc-2295", 2, "harbour", [("fire_engine", 1), ("police", 1)], "car fire, car park"),
    ("inc-2296", 3, "south", [("police", 1)], "burglary reported, suspect gone"),
    ("inc-2297", 3, "central", [("police", 1), ("tow", 1)], "minor collision, lane blocked"),
    ("inc-2298", 2, "north", [("fire_engine", 1), ("police", 1)], "gas smell in stairwell"),
    ("inc-2299", 1, "south", [("ambulance", 1), ("police", 1)], "suspected overdose"),
    ("inc-2300", 3, "harbour", [("tow", 1), ("police", 1)], "broken-down truck on ramp"),
]
TARGETS = {1: 480, 2: 900, 3: 1800}
# Already committed before this request: unit -> (status, incident or "")
COMMITTED = {
    "E-5": ("EN_ROUTE", "inc-2291"),
    "M-15": ("EN_ROUTE", "inc-2294"),
    "P-214": ("EN_ROUTE", "inc-2296"),
    "P-219": ("BUSY", "inc-2292"),  # first on scene
    "M-22": ("BUSY", ""),  # at hospital, handing over
    "E-8": ("BUSY", ""),  # out of service, pump repair
    "P-216": ("BUSY", ""),  # booking an arrest
}


def emergency() -> emergency_pb2.AssignUnitsRequest:
    """The AssignUnits example: a busy Saturday evening."""
    rng = random.Random(SEED)
    request = emergency_pb2.AssignUnitsRequest(
        label="CAD event 2026-03-14 17:42 (new incident inc-2300)",
        request_id="cad-20260314-174200-0007",
        options=budget(1.0),
        district_ids=list(DISTRICTS),
        max_travel_seconds=1800,
        allow_reassignment=True,
    )
    request.horizon_start.FromJsonString("2026-03-14T17:42:00Z")
    incident_points: list[Point] = []
    for incident_id, priority, district, needs, _ in INCIDENTS:
        incident_points.append(near(rng, DISTRICTS[district], 900))
        request.incidents.add(
            id=incident_id,
            priority=priority,
            district=district,
            requirements=[emergency_pb2.Requirement(capability=c, count=n) for c, n in needs],
            response_target_seconds=TARGETS[priority],
            position=latlng(incident_points[-1]),
        )
    incident_index = {x[0]: i for i, x in enumerate(INCIDENTS)}
    unit_points: list[Point] = []
    speeds: list[float] = []
    for prefix, numbers, agency, capabilities, homes, kmh in FLEET:
        for k, number in enumerate(numbers):
            unit_id = f"{prefix}-{number}"
            home = homes[k % len(homes)]
            status, committed_to = COMMITTED.get(unit_id, ("AVAILABLE", ""))
            # Police patrol the whole district; the others wait at or near their station.
            spread = 1200 if prefix == "P" else 250
            point = near(rng, DISTRICTS[home], spread)
            if status == "BUSY" and committed_to:
                point = incident_points[incident_index[committed_to]]
            elif status == "EN_ROUTE":
                # Part-way there: a third of the distance still to go, give or take.
                target = incident_points[incident_index[committed_to]]
                share = rng.uniform(0.2, 0.5)
                point = (
                    round(target[0] + (point[0] - target[0]) * share),
                    round(target[1] + (point[1] - target[1]) * share),
                )
            unit_points.append(point)
            speeds.append(kmh)
            request.units.add(
                id=unit_id,
                agency=agency,
                capabilities=[*capabilities, *(["als"] if unit_id in ALS else [])],
                status=emergency_pb2.Unit.Status.Value(status),
                current_incident_id=committed_to,
                home_district=home,
                position=latlng(point),
            )
    request.unit_to_incident.durations.extend(
        drive_seconds(u, x, kmh, overhead=45)
        for u, kmh in zip(unit_points, speeds, strict=True)
        for x in incident_points
    )
    request.unit_to_district.durations.extend(
        drive_seconds(u, d, kmh, overhead=45)
        for u, kmh in zip(unit_points, speeds, strict=True)
        for d in DISTRICTS.values()
    )
    for district in DISTRICTS:
        request.coverage_rules.add(
            district_id=district, capability="ambulance", min_units=1, max_travel_seconds=600
        )
    request.coverage_rules.add(
        district_id="central", capability="fire_engine", min_units=1, max_travel_seconds=480
    )
    request.coverage_rules.add(
        district_id="harbour", capability="fire_engine", min_units=1, max_travel_seconds=600
    )
    return request


# ---------------------------------------------------------------------------------------------
# Routing helpers
# ---------------------------------------------------------------------------------------------


def square_matrix(points: Sequence[Point], kmh: float, overhead: int) -> common_pb2.TravelMatrix:
    """Durations (seconds) and distances (metres) between every pair of points."""
    matrix = common_pb2.TravelMatrix()
    matrix.durations.extend(drive_seconds(a, b, kmh, overhead) for a in points for b in points)
    matrix.distances.extend(road_metres(a, b) for a in points for b in points)
    return matrix


# ---------------------------------------------------------------------------------------------
# Sanitation: one night, 42 stops, 4 compactor trucks, 2 disposal sites
# ---------------------------------------------------------------------------------------------

SANITATION_STOP_AREAS = (
    ["central"] * 14 + ["north"] * 8 + ["east"] * 8 + ["west"] * 6 + ["south"] * 6
)


def sanitation() -> routing_pb2.PlanRoutesRequest:
    """The PlanRoutes sanitation example: commercial collection, 22:00-06:00 local (0..28800)."""
    rng = random.Random(SEED + 1)
    request = routing_pb2.PlanRoutesRequest(
        label="Night collection 2026-03-14 22:00-06:00, commercial round",
        request_id="sanitation-20260314-night",
        options=budget(5.0),
        workload=routing_pb2.SANITATION,
        load_dimensions=["volume_l", "weight_kg"],
        objective=routing_pb2.RoutingObjective(mode=routing_pb2.RoutingObjective.MIN_COST),
    )
    request.horizon_start.FromJsonString("2026-03-14T21:00:00Z")  # 22:00 CET
    points: list[Point] = []
    ids: list[str] = []

    def place(location_id: str, point: Point) -> None:
        ids.append(location_id)
        points.append(point)

    place("depot-north", (5200, 9100))
    place("depot-south", (7000, 600))
    place("transfer-station-east", (11500, 4300))
    place("landfill-west", (300, 2200))
    used_numbers = rng.sample(range(100, 999), len(SANITATION_STOP_AREAS))
    for number, area in zip(used_numbers, SANITATION_STOP_AREAS, strict=True):
        stop_id = f"stop-{number:04d}"
        place(stop_id, near(rng, DISTRICTS[area], 1100))
        volume = rng.choice([660, 1100, 1100, 1100, 2200, 3300, 4400])
        weight = round(volume * rng.uniform(0.12, 0.2))
        stop = request.stops.add(
            id=stop_id,
            location_id=stop_id,
            demands=[volume, weight],
            service_duration=90 + 60 * (volume // 1100),
        )
        if area == "central" and rng.random() < 0.5:
            stop.time_windows.append(window(0, 10800))  # restaurants: before 01:00
        elif area == "east" and rng.random() < 0.5:
            stop.time_windows.append(window(18000, 25200))  # market hall: 03:00-05:00
        elif rng.random() < 0.15:
            # Two windows: before the bars close, or early morning
            stop.time_windows.extend([window(0, 7200), window(21600, 27000)])
    request.facilities.add(
        id="transfer-station-east",
        location_id="transfer-station-east",
        opening=window(0, 28800),
        unload_duration=900,
    )
    request.facilities.add(
        id="landfill-west",
        location_id="landfill-west",
        opening=window(3600, 25200),  # 23:00-05:00
        unload_duration=1200,
    )
    for k in range(4):
        depot = "depot-north" if k < 2 else "depot-south"
        request.vehicles.add(
            id=f"truck-{21 + k}",
            vehicle_type="",
            start_location_id=depot,
            end_location_id=depot,
            shift=window(0, 28800),
            capacities=[22000, 9000],
            daily_capacities=[60000, 24000],
            fixed_cost=180.0,
            cost_per_hour=68.0,
            cost_per_km=1.15,
            max_route_duration=28800,
            breaks=[
                routing_pb2.Break(id="meal-break", start_window=window(10800, 16200), duration=1800)
            ],
        )
    request.location_ids.extend(ids)
    request.location_coordinates.extend(latlng(point) for point in points)
    request.travel.CopyFrom(square_matrix(points, kmh=30, overhead=60))
    return request


def sanitation_dispatcher_plan() -> routing_pb2.EvaluatePlanRequest:
    """The night's routes as a dispatcher draws them by hand (see dispatcher_plan.py)."""
    return manual_plan(sanitation(), latlng(DISTRICTS["central"]))


# ---------------------------------------------------------------------------------------------
# Maintenance: one day, 30 work orders, 5 crews
# ---------------------------------------------------------------------------------------------

# kind -> (required skills, service seconds range, optional?, skip penalty range)
WORK_KINDS = {
    "streetlight": (["electrical"], (1200, 2700), True, (60, 180)),
    "pothole": (["paving"], (1800, 4500), True, (120, 400)),
    "water_leak": (["plumbing"], (3600, 7200), False, (0, 0)),
    "signal_repair": (["signals", "electrical"], (1800, 3600), False, (0, 0)),
}
WORK_MIX = ["streetlight"] * 10 + ["pothole"] * 9 + ["water_leak"] * 5 + ["signal_repair"] * 6
CREWS = [
    ("crew-electric-1", "yard-central", ["electrical", "signals"], (0, 30600), 78.0),
    ("crew-electric-2", "yard-central", ["electrical"], (0, 30600), 62.0),
    ("crew-paving-1", "yard-east", ["paving"], (1800, 32400), 85.0),
    ("crew-water-1", "yard-east", ["plumbing", "paving"], (0, 30600), 74.0),
    (
        "crew-general-1",
        "yard-central",
        ["electrical", "signals", "paving", "plumbing"],
        (3600, 34200),
        90.0,
    ),
]


def maintenance() -> routing_pb2.PlanRoutesRequest:
    """The PlanRoutes maintenance example: a weekday, 07:00 local is time 0."""
    rng = random.Random(SEED + 2)
    request = routing_pb2.PlanRoutesRequest(
        label="Street maintenance 2026-03-16 day shift",
        request_id="maintenance-20260316-day",
        options=budget(3.0),
        workload=routing_pb2.MAINTENANCE,
        objective=routing_pb2.RoutingObjective(mode=routing_pb2.RoutingObjective.MIN_COST),
    )
    request.horizon_start.FromJsonString("2026-03-16T06:00:00Z")  # 07:00 CET
    points: list[Point] = [(5600, 5400), (9800, 4600)]
    ids: list[str] = ["yard-central", "yard-east"]
    numbers = sorted(rng.sample(range(2200, 2400), len(WORK_MIX)))
    kinds = WORK_MIX[:]
    rng.shuffle(kinds)
    for number, kind in zip(numbers, kinds, strict=True):
        skills, (low, high), optional, (p_low, p_high) = WORK_KINDS[kind]
        order_id = f"wo-{number}"
        ids.append(order_id)
        points.append(anywhere(rng))
        stop = request.stops.add(
            id=order_id,
            location_id=order_id,
            service_duration=rng.randrange(low, high + 1, 300),
            required_skills=skills,
            optional=optional,
            skip_penalty=float(rng.randrange(p_low, p_high + 1, 20)) if optional else 0.0,
        )
        if kind == "water_leak":
            stop.time_windows.append(window(0, 14400))  # start before 11:00
        elif kind == "signal_repair":
            stop.time_windows.append(window(9000, 30600))  # after the morning rush
        elif kind == "pothole" and rng.random() < 0.3:
            stop.time_windows.extend([window(3600, 10800), window(18000, 25200)])
    request.location_ids.extend(ids)
    request.location_coordinates.extend(latlng(point) for point in points)
    request.travel.CopyFrom(square_matrix(points, kmh=40, overhead=120))
    for crew_id, yard, skills, (start, end), per_hour in CREWS:
        request.vehicles.add(
            id=crew_id,
            start_location_id=yard,
            end_location_id=yard,
            shift=window(start, end),
            skills=skills,
            fixed_cost=40.0,
            cost_per_hour=per_hour,
            cost_per_km=0.35,
            breaks=[
                routing_pb2.Break(id="lunch", start_window=window(16200, 21600), duration=1800)
            ],
        )
    return request


# ---------------------------------------------------------------------------------------------

BUILDERS = {
    "emergency": emergency,
    "sanitation": sanitation,
    "maintenance": maintenance,
    "sanitation_dispatcher_plan": sanitation_dispatcher_plan,
}
_NUMBER_LIST = re.compile(r"\[\s*(-?\d+(?:,\s*-?\d+)*)\s*\]")


def render(message: Message) -> str:
    """Canonical protobuf JSON (proto field names), with number lists kept on one line."""
    text = json.dumps(
        json_format.MessageToDict(message, preserving_proto_field_name=True), indent=2
    )
    return _NUMBER_LIST.sub(lambda m: "[" + re.sub(r",\s+", ", ", m.group(1)) + "]", text) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Write (or with --check, compare) every example in every output folder."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if the files are not current")
    args = parser.parse_args(argv)
    stale = []
    for name, build in BUILDERS.items():
        text = render(build())
        for folder in OUTPUTS:
            path = folder / f"{name}.json"
            if args.check:
                if not path.exists() or path.read_text() != text:
                    stale.append(str(path.relative_to(ROOT)))
            else:
                folder.mkdir(parents=True, exist_ok=True)
                path.write_text(text)
    if stale:
        print("stale examples (run python examples/generate.py): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
