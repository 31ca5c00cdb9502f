"""Kim, Kim & Sahoo (2006) waste-collection instances -> SANITATION PlanRoutesRequest.

Conversions (see benchmarks/README.md and ../shared/bench/waste/README.md):

* travel: Manhattan distance in feet between (x, y); seconds = nint(feet / 5280 / 40 mph x 3600),
  metres = nint(feet x 0.3048). The scorer recomputes miles (feet / 5280, unrounded) itself.
* loads: yards x 100 (LOAD_SCALE), rounded to integers: "load units" are hundredths of a yard.
  Trip capacity = header line 1, daily capacity = line 2, both x 100; max stops = line 3.
* times: HHMM -> seconds after midnight (the horizon origin); 2400 = 86400.
* one lunch break per vehicle of header line 4 seconds, starting in [11:00, 12:00].
* disposal sites (stop type 2) are Facility objects with their window and dump time.
* fleet: an upper bound (BKS vehicles + 3), objective MIN_VEHICLES_THEN_COST, cost = metres.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks.readers.common import (
    Convention,
    Instance,
    nint,
    parse_float,
    parse_int,
    read_csv_rows,
    skeleton,
    window,
)
from dispatch._proto.dispatch.v1 import routing_pb2

LOAD_SCALE = 100  # load units per cubic yard
FEET_PER_MILE = 5280.0
METRES_PER_FOOT = 0.3048
LUNCH_WINDOW = (11 * 3600, 12 * 3600)
EXTRA_VEHICLES = 3


def hhmm(text: str) -> int:
    """Seconds after midnight of an HHMM field (0730 -> 27000; 2400 -> 86400)."""
    value = int(text)
    return (value // 100) * 3600 + (value % 100) * 60


def manhattan_feet(coords: np.ndarray) -> np.ndarray:
    """Manhattan distance matrix in feet."""
    return np.abs(coords[:, None, :] - coords[None, :, :]).sum(axis=2)


def parse_waste(path: Path) -> tuple[list[float], list[list[str]]]:
    """The five header values and the node rows (as strings)."""
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    header = [float(line.split("//")[0].split()[0]) for line in lines[:5]]
    rows = [line.split() for line in lines[6:]]
    for row in rows:
        if len(row) != 8:
            raise ValueError(f"{path}: node row with {len(row)} fields: {row}")
    return header, rows


def read_waste(path: Path, convention: Convention = Convention.KIM) -> Instance:
    """Read one Kim waste instance."""
    if convention is not Convention.KIM:
        raise ValueError("waste files have only the kim convention")
    header, rows = parse_waste(path)
    capacity, daily, max_stops, lunch, speed = header
    name = path.stem
    coords = np.asarray([[float(r[1]), float(r[2])] for r in rows])
    feet = manhattan_feet(coords)
    seconds = nint(feet / FEET_PER_MILE / speed * 3600.0)
    metres = nint(feet * METRES_PER_FOOT)
    location_ids = [f"n{r[0]}" for r in rows]
    request = skeleton(
        label=f"{name}.kim",
        workload=routing_pb2.SANITATION,
        location_ids=location_ids,
        durations=seconds,
        distances=metres,
        hierarchical=True,
        dimensions=["load_centiyards"],
    )
    depots = [r for r in rows if r[7] == "0"]
    if len(depots) != 1:
        raise ValueError(f"{path}: expected one depot, found {len(depots)}")
    depot = depots[0]
    row = read_csv_rows(path.parent / "bks.csv").get(name)
    bks_vehicles = parse_int(row["vehicles"]) if row else None
    customers = [r for r in rows if r[7] == "1"]
    if bks_vehicles is None:
        total = sum(float(r[6]) for r in customers)
        bks_vehicles = int(np.ceil(total / daily))
    fleet = bks_vehicles + EXTRA_VEHICLES
    width = len(str(fleet))
    for v in range(fleet):
        request.vehicles.add(
            id=f"truck{v + 1:0{width}d}",
            start_location_id=f"n{depot[0]}",
            end_location_id=f"n{depot[0]}",
            shift=window(hhmm(depot[3]), hhmm(depot[4])),
            capacities=[round(capacity * LOAD_SCALE)],
            daily_capacities=[round(daily * LOAD_SCALE)],
            max_stops=int(max_stops),
            cost_per_km=1000.0,
            breaks=[
                routing_pb2.Break(
                    id="lunch", start_window=window(*LUNCH_WINDOW), duration=int(lunch)
                )
            ],
        )
    for r in customers:
        request.stops.add(
            id=f"s{r[0]}",
            location_id=f"n{r[0]}",
            demands=[round(float(r[6]) * LOAD_SCALE)],
            service_duration=int(r[5]),
            time_windows=[window(hhmm(r[3]), hhmm(r[4]))],
        )
    for r in rows:
        if r[7] == "2":
            request.facilities.add(
                id=f"f{r[0]}",
                location_id=f"n{r[0]}",
                opening=window(hhmm(r[3]), hhmm(r[4])),
                unload_duration=int(r[5]),
            )
    return Instance(
        name=name,
        family="waste",
        convention=convention,
        path=path,
        request=request,
        coords=coords,
        bks_vehicles=parse_int(row["vehicles"]) if row else None,
        bks_objective=parse_float(row["distance"]) if row else None,
        bks_source=row.get("source", "") if row else "",
    )
