"""What every reader returns, and the small helpers they share (BKS tables, request skeleton)."""

from __future__ import annotations

import csv
import enum
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from google.protobuf import duration_pb2, timestamp_pb2

from dispatch._proto.dispatch.v1 import common_pb2, routing_pb2
from dispatch.wire import matrices

#: The horizon origin of every benchmark request (benchmarks have no calendar date of their own).
EPOCH = timestamp_pb2.Timestamp(seconds=0)


class Convention(enum.Enum):
    """How an instance family states its objective; scores are only comparable within one."""

    #: Solomon/Homberger exact-method convention: arc = floor(10 x euclid)/10, distance only.
    DIMACS = "dimacs"
    #: Solomon/Homberger SINTEF table: fewest vehicles, then double-precision Euclidean distance.
    SINTEF = "sintef"
    #: CVRPLIB: arc = nint(euclid), total cost only, unlimited fleet.
    CVRPLIB = "cvrplib"
    #: Kim et al. 2006 waste collection: fewest vehicles, then Manhattan miles.
    KIM = "kim"

    @property
    def hierarchical(self) -> bool:
        """True when the number of vehicles is minimised before the distance."""
        return self in (Convention.SINTEF, Convention.KIM)


@dataclass(frozen=True)
class Instance:
    """A benchmark instance: the request every solver gets and the data to score it independently.

    ``coords[i]`` is the position of ``request.location_ids[i]`` in the instance file's own units
    (so the scorer never reads the request's rounded matrices). ``bks_objective`` is in the
    convention's units (distance, cost or miles) and ``bks_vehicles`` is the vehicles of that BKS.
    """

    name: str
    family: str
    convention: Convention
    path: Path
    request: routing_pb2.PlanRoutesRequest
    coords: np.ndarray
    bks_vehicles: int | None = None
    bks_objective: float | None = None
    bks_source: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def n_stops(self) -> int:
        """Number of stops (customers) in the request."""
        return len(self.request.stops)


def read_csv_rows(path: Path) -> dict[str, dict[str, str]]:
    """Rows of a bks csv keyed by their ``instance`` column (empty dict if the file is missing)."""
    if not path.exists():
        return {}
    with path.open(newline="", encoding="utf-8") as handle:
        return {row["instance"]: row for row in csv.DictReader(handle)}


def parse_float(text: str | None) -> float | None:
    """A csv cell as float, None when empty."""
    return float(text) if text not in (None, "") else None


def parse_int(text: str | None) -> int | None:
    """A csv cell as int, None when empty."""
    return int(float(text)) if text not in (None, "") else None


def euclid(coords: np.ndarray) -> np.ndarray:
    """Double-precision Euclidean distance matrix between all coordinates."""
    diff = coords[:, None, :] - coords[None, :, :]
    return np.sqrt((diff**2).sum(axis=2))


def nint(values: np.ndarray) -> np.ndarray:
    """TSPLIB nint: round half up (values are non-negative), as int64."""
    return np.floor(values + 0.5).astype(np.int64)


def window(start: int, end: int) -> common_pb2.TimeWindow:
    """A contract time window."""
    return common_pb2.TimeWindow(start=int(start), end=int(end))


def skeleton(
    label: str,
    workload: routing_pb2.Workload,
    location_ids: list[str],
    durations: np.ndarray,
    distances: np.ndarray,
    hierarchical: bool,
    dimensions: list[str],
) -> routing_pb2.PlanRoutesRequest:
    """A request with everything but vehicles and stops; matrices in the fast bytes encoding."""
    for name, matrix in (("durations", durations), ("distances", distances)):
        if int(matrix.max(initial=0)) >= 2**31 or int(matrix.min(initial=0)) < 0:
            raise ValueError(f"{label}: {name} do not fit int32")
    mode = (
        routing_pb2.RoutingObjective.MIN_VEHICLES_THEN_COST
        if hierarchical
        else routing_pb2.RoutingObjective.MIN_COST
    )
    return routing_pb2.PlanRoutesRequest(
        label=label,
        request_id=label,
        horizon_start=EPOCH,
        workload=workload,
        location_ids=location_ids,
        travel=matrices.encode(durations, distances),
        load_dimensions=dimensions,
        objective=routing_pb2.RoutingObjective(mode=mode),
    )


def with_options(
    request: routing_pb2.PlanRoutesRequest,
    solver: common_pb2.Solver,
    budget_seconds: float,
    seed: int,
) -> routing_pb2.PlanRoutesRequest:
    """A copy of ``request`` with the solver choice, time budget and seed of one benchmark run."""
    copy = routing_pb2.PlanRoutesRequest()
    copy.CopyFrom(request)
    whole = math.floor(budget_seconds)
    copy.options.CopyFrom(
        common_pb2.SolveOptions(
            solving_mode=common_pb2.DEFAULT_SOLVE,
            solver=solver,
            time_budget=duration_pb2.Duration(
                seconds=whole, nanos=round((budget_seconds - whole) * 1e9)
            ),
            seed=seed,
        )
    )
    return copy
