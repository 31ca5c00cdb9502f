"""CVRPLIB "X" instances (TSPLIB .vrp, EUC_2D) -> PlanRoutesRequest.

Convention: arc cost = nint(euclid) (TSPLIB), objective = total cost, unlimited fleet. The request
uses nint arcs as both seconds and metres, no windows, cost_per_km = 1000 (cost = metres), and
``k + max(3, k // 10)`` vehicles where k (from the name) is the minimum number of routes: the fleet
is unlimited in the convention, and BKS sometimes use more than k (X-n148-k46 uses 47).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from benchmarks.readers.common import (
    Convention,
    Instance,
    euclid,
    nint,
    parse_float,
    parse_int,
    read_csv_rows,
    skeleton,
    window,
)
from dispatch._proto.dispatch.v1 import routing_pb2

#: Shift end of CVRP vehicles: CVRP has no time limit; far above any route of these instances.
OPEN_SHIFT_END = 100_000_000


def parse_tsplib(path: Path) -> tuple[dict[str, str], np.ndarray, np.ndarray, int]:
    """Header fields, node coordinates, demands (node order) and the depot index (0-based)."""
    header: dict[str, str] = {}
    coords: dict[int, tuple[float, float]] = {}
    demands: dict[int, int] = {}
    depots: list[int] = []
    section = ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line == "EOF":
            continue
        if line.endswith("SECTION"):
            section = line
            continue
        if ":" in line and not line[0].isdigit() and not line.startswith("-"):
            key, value = line.split(":", 1)
            header[key.strip().upper()] = value.strip()
            section = ""
            continue
        parts = line.split()
        if section == "NODE_COORD_SECTION":
            coords[int(parts[0])] = (float(parts[1]), float(parts[2]))
        elif section == "DEMAND_SECTION":
            demands[int(parts[0])] = int(parts[1])
        elif section == "DEPOT_SECTION" and int(parts[0]) >= 0:
            depots.append(int(parts[0]))
    if header.get("EDGE_WEIGHT_TYPE") != "EUC_2D":
        raise ValueError(f"{path}: only EUC_2D instances are supported")
    nodes = sorted(coords)
    if nodes != list(range(1, len(nodes) + 1)) or sorted(demands) != nodes or len(depots) != 1:
        raise ValueError(f"{path}: nodes, demands or depot section inconsistent")
    return (
        header,
        np.asarray([coords[i] for i in nodes]),
        np.asarray([demands[i] for i in nodes], dtype=np.int64),
        depots[0] - 1,
    )


def read_cvrplib(path: Path, convention: Convention = Convention.CVRPLIB) -> Instance:
    """Read an X instance; stops are named by the .sol convention (node id - 1)."""
    if convention is not Convention.CVRPLIB:
        raise ValueError("CVRPLIB files have only the cvrplib convention")
    header, coords, demands, depot = parse_tsplib(path)
    if depot != 0:
        raise ValueError(f"{path}: the depot must be node 1")
    name = header.get("NAME", path.stem).strip()
    arcs = nint(euclid(coords))
    request = skeleton(
        label=f"{name}.cvrplib",
        workload=routing_pb2.MAINTENANCE,
        location_ids=[f"n{i}" for i in range(len(coords))],
        durations=arcs,
        distances=arcs,
        hierarchical=False,
        dimensions=["demand"],
    )
    match = re.search(r"-k(\d+)", name)
    k = int(match.group(1)) if match else len(coords) - 1
    fleet = k + max(3, k // 10)
    width = len(str(fleet))
    for v in range(fleet):
        request.vehicles.add(
            id=f"v{v + 1:0{width}d}",
            start_location_id="n0",
            end_location_id="n0",
            shift=window(0, OPEN_SHIFT_END),
            capacities=[int(header["CAPACITY"])],
            cost_per_km=1000.0,
        )
    for i in range(1, len(coords)):
        request.stops.add(id=f"c{i}", location_id=f"n{i}", demands=[int(demands[i])])
    row = read_csv_rows(path.parent / "bks.csv").get(name)
    return Instance(
        name=name,
        family="X",
        convention=convention,
        path=path,
        request=request,
        coords=coords,
        bks_vehicles=parse_int(row["vehicles"]) if row else None,
        bks_objective=parse_float(row["distance"]) if row else None,
        bks_source=row.get("source", "") if row else "",
    )


def read_solution_routes(path: Path) -> list[list[str]]:
    """Routes of a CVRPLIB / DIMACS .sol file as stop ids (``c<number>``), depot omitted."""
    routes = []
    for line in path.read_text().splitlines():
        if line.lower().startswith("route"):
            routes.append([f"c{int(x)}" for x in line.split(":", 1)[1].split()])
    return routes
