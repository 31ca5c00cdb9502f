"""Solomon and Gehring-Homberger VRPTW text files (one format) -> PlanRoutesRequest.

Two conventions (see benchmarks/README.md):

* DIMACS (default): arc = floor(10 x euclid) used as integer seconds *and* metres, service times and
  windows x10, objective distance only (cost_per_km = 1000 so cost = metres = 10 x distance).
  Compared with the proven optimum / DIMACS BKS (``dimacs_*_trunc1``), vehicles free.
* SINTEF: fewest vehicles, then double-precision Euclidean distance. Integer instance at scale 1000:
  durations = ceil(1000 x euclid) (so a plan feasible here is feasible in exact arithmetic),
  distances = nint(1000 x euclid), times x1000. The scorer recomputes the double distance itself.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from benchmarks.readers.common import (
    Convention,
    Instance,
    parse_float,
    parse_int,
    read_csv_rows,
    skeleton,
    window,
)
from dispatch._proto.dispatch.v1 import routing_pb2

_SCALE = {Convention.DIMACS: 10, Convention.SINTEF: 1000}


def _isqrt_floor(values: np.ndarray) -> np.ndarray:
    """Exact floor(sqrt(v)) for non-negative int64 arrays (float sqrt can be off by one)."""
    root = np.floor(np.sqrt(values.astype(np.float64))).astype(np.int64)
    root -= (root * root > values).astype(np.int64)
    root += ((root + 1) * (root + 1) <= values).astype(np.int64)
    return root


def _squared(coords: np.ndarray) -> np.ndarray:
    diff = coords[:, None, :] - coords[None, :, :]
    return (diff**2).sum(axis=2)


def parse_vrptw(path: Path) -> tuple[str, int, int, np.ndarray]:
    """Name, fleet size, capacity and the node table (id, x, y, demand, ready, due, service)."""
    lines = path.read_text().splitlines()
    name = next(line.strip() for line in lines if line.strip())
    fleet = capacity = None
    rows: list[list[float]] = []
    for i, line in enumerate(lines):
        if line.strip().upper().startswith("NUMBER"):
            fleet, capacity = (int(x) for x in lines[i + 1].split()[:2])
        parts = line.split()
        if len(parts) == 7 and all(re.fullmatch(r"-?\d+(\.\d+)?", p) for p in parts):
            rows.append([float(p) for p in parts])
    if fleet is None or capacity is None or not rows:
        raise ValueError(f"{path}: not a Solomon/Homberger VRPTW file")
    table = np.asarray(rows)
    if not np.array_equal(table[:, 0], np.arange(len(table))):
        raise ValueError(f"{path}: customer numbers are not 0..n in order")
    return name, fleet, capacity, table


def family_of(name: str) -> str:
    """C1, C2, R1, R2, RC1 or RC2 from an instance name such as RC201 or rc2_2_1."""
    match = re.match(r"(RC|R|C)(\d)", name.upper())
    if not match:
        raise ValueError(f"unknown VRPTW family for {name}")
    return match.group(1) + match.group(2)


def read_vrptw(path: Path, convention: Convention = Convention.DIMACS) -> Instance:
    """Read a Solomon or Homberger file in the DIMACS or SINTEF convention."""
    if convention not in _SCALE:
        raise ValueError(f"VRPTW files have no {convention.value} convention")
    scale = _SCALE[convention]
    _, fleet, capacity, table = parse_vrptw(path)
    name = path.stem.upper()
    coords = table[:, 1:3]
    if not np.array_equal(coords, np.round(coords)):
        raise ValueError(f"{path}: exact arcs need integer coordinates")
    squared = _squared(coords.astype(np.int64))
    if convention is Convention.DIMACS:
        arcs = _isqrt_floor(squared * scale * scale)
        durations, distances = arcs, arcs
    else:
        root = _isqrt_floor(squared * scale * scale)
        durations = root + (root * root < squared * scale * scale).astype(np.int64)  # ceil
        distances = np.floor(np.sqrt(squared.astype(np.float64)) * scale + 0.5).astype(np.int64)
    location_ids = [f"n{int(i)}" for i in table[:, 0]]
    request = skeleton(
        label=f"{name}.{convention.value}",
        workload=routing_pb2.MAINTENANCE,
        location_ids=location_ids,
        durations=durations,
        distances=distances,
        hierarchical=convention.hierarchical,
        dimensions=["demand"],
    )
    depot = table[0]
    shift = window(depot[4] * scale, depot[5] * scale)
    width = len(str(fleet))
    for k in range(fleet):
        request.vehicles.add(
            id=f"v{k + 1:0{width}d}",
            start_location_id="n0",
            end_location_id="n0",
            shift=shift,
            capacities=[capacity],
            cost_per_km=1000.0,
        )
    for row in table[1:]:
        request.stops.add(
            id=f"c{int(row[0])}",
            location_id=f"n{int(row[0])}",
            demands=[int(row[3])],
            service_duration=int(row[6] * scale),
            time_windows=[window(row[4] * scale, row[5] * scale)],
        )
    bks_vehicles, bks_objective, source = _bks(path, name, convention)
    return Instance(
        name=name,
        family=family_of(name),
        convention=convention,
        path=path,
        request=request,
        coords=coords.astype(np.float64),
        bks_vehicles=bks_vehicles,
        bks_objective=bks_objective,
        bks_source=source,
    )


def _bks(path: Path, name: str, convention: Convention) -> tuple[int | None, float | None, str]:
    folder = path.parent
    if convention is Convention.SINTEF:
        row = read_csv_rows(folder / "bks.csv").get(name)
        if row is None:
            return None, None, ""
        return parse_int(row["vehicles"]), parse_float(row["distance"]), row.get("source", "")
    row = read_csv_rows(folder / "bks_extra.csv").get(name)
    if row is None:
        return None, None, ""
    if row.get("dimacs_opt_distance_trunc1"):
        return None, parse_float(row["dimacs_opt_distance_trunc1"]), "DIMACS proven optimum"
    vehicles = parse_int(row.get("dimacs_routes"))
    source = row.get("dimacs_source", "")
    return vehicles, parse_float(row.get("dimacs_bks_distance_trunc1")), source
