"""Rush hour (issue #13 item 6, "Measured"): a plan made with time-of-day travel times against a
plan made with one all-day matrix, both evaluated on the time-of-day times.

``python -m benchmarks rushhour [--instances city-maint-100-1,...] [--budget 20] [--seed 1]
[--rush 1.8] [--out DIR]``

Each generated city instance (``benchmarks.city``) keeps its road matrix as the all-day matrix
and gets two rush hours, 07:00-09:30 and 16:00-18:30 (the instances' times are seconds after
midnight), in which every drive is slower by a per-arc factor between 1 + (rush - 1) / 2 on the
city's edge and ``rush`` through its centre (arcs whose midpoint is nearer the centre are more
congested). The periods go in ``travel_periods`` as offsets; the rest of the day is the all-day
matrix.

* ``all-day``: PlanRoutes on the request without periods (what a planner without time-of-day
  data does), then its routes (visit order only) evaluated as EvaluatePlan would on the
  request with periods: the checker re-times them with the exact drives.
* ``time-of-day``: PlanRoutes on the request with periods (engines plan on the per-arc maximum
  over the periods in force, the checker re-times exactly).

Reported per plan: stops served, late visits (stops whose service starts after their window,
by the exact times), total and maximum lateness, shift overruns, driving seconds (exact) and
crews used. Both solves run in this process (OR-Tools here, the second-core companion beside
it) with the same budget and seed; the machine's load is printed with every line.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks import machine
from benchmarks.city.generate import build
from benchmarks.city.geometry import CITY_SIDE_M
from dispatch._proto.dispatch.v1 import common_pb2, routing_pb2
from dispatch.validation import validate_plan_routes
from dispatch.wire import matrices
from dispatch.wire.routing import problem_from_request
from solvers.budget import Deadline
from solvers.routing.checker import evaluate
from solvers.routing.plan import PlanEvaluation, PlannedVisit, RoutePlan, RoutingPlan
from solvers.routing.plan import ViolationType as V
from solvers.routing.solve import RoutingOptions, solve_checked

DEFAULT_INSTANCES = "city-maint-100-1,city-maint-100-2,city-maint-200-1,city-san-100-1"
H = 3600
#: (start, end) of each rush hour in seconds after midnight.
RUSH_HOURS = ((7 * H, 9 * H + 1800), (16 * H, 18 * H + 1800))


def rush_factors(coords: np.ndarray, rush: float) -> np.ndarray:
    """Per-arc slowdown: ``rush`` for arcs whose midpoint is the city centre, falling linearly
    to 1 + (rush - 1) / 2 at the corners."""
    centre = np.array([CITY_SIDE_M / 2, CITY_SIDE_M / 2])
    mid = (coords[:, None, :] + coords[None, :, :]) / 2
    off = np.linalg.norm(mid - centre, axis=2) / np.linalg.norm(centre)
    return 1 + (rush - 1) * (1 - off / 2)


def with_rush_hours(request: routing_pb2.PlanRoutesRequest, coords: np.ndarray, rush: float):
    """A copy of the request with the two rush hours as offset periods."""
    n = len(request.location_ids)
    day = matrices.durations(request.travel, n, n)
    slow = np.rint(day * rush_factors(coords, rush)).astype(np.int64)
    timed = routing_pb2.PlanRoutesRequest()
    timed.CopyFrom(request)
    entry = timed.travel_periods.add()
    bounds = [0, *(t for span in RUSH_HOURS for t in span)]
    for j, start in enumerate(bounds):
        end = bounds[j + 1] if j + 1 < len(bounds) else 0
        period = entry.periods.add(start=start, end=end)
        period.travel.CopyFrom(matrices.encode(slow if j % 2 else day))
    return timed


@dataclass(frozen=True)
class Row:
    """One plan of one instance, as the exact times see it."""

    instance: str
    plan: str
    stops: int
    served: int
    late_visits: int
    lateness_s: int
    max_lateness_s: int
    shift_overruns: int
    travel_s: int
    crews: int
    solve_s: float
    engine: str
    load_1min: float

    def line(self) -> str:
        """One fixed-width line for the console and the output file."""
        return (
            f"{self.instance:18} {self.plan:11} served {self.served:3}/{self.stops:<3} "
            f"late {self.late_visits:3} ({self.lateness_s:7} s, max {self.max_lateness_s:5}) "
            f"overruns {self.shift_overruns:2} travel {self.travel_s:7} s crews {self.crews:3} "
            f"[{self.engine}, {self.solve_s:.1f} s, load {self.load_1min:.1f}]"
        )


def order_only(plan: RoutingPlan) -> RoutingPlan:
    """The routes as a caller sends them to EvaluatePlan: visit order, no times."""
    routes = tuple(
        RoutePlan(r.vehicle, tuple(PlannedVisit(v.kind, v.ref) for v in r.visits))
        for r in plan.routes
    )
    return RoutingPlan(routes, dict(plan.skipped))


def measured(instance: str, name: str, evaluation: PlanEvaluation, extra: dict) -> Row:
    """The figures of one exactly timed evaluation."""
    late = [t.lateness for r in evaluation.routes for t in r.visits if t.lateness > 0]
    overruns = [v for v in evaluation.violations if v.type is V.SHIFT]  # routes' included
    return Row(
        instance=instance,
        plan=name,
        stops=len(evaluation.served) + len(evaluation.skipped),
        served=len(evaluation.served),
        late_visits=len(late),
        lateness_s=sum(late),
        max_lateness_s=max(late, default=0),
        shift_overruns=len(overruns),
        travel_s=sum(r.travel_seconds for r in evaluation.routes),
        crews=len(evaluation.routes),
        load_1min=os.getloadavg()[0],
        **extra,
    )


def run_instance(name: str, budget: float, seed: int, rush: float) -> list[Row]:
    """Both plans of one instance, evaluated on its rush hours."""
    city = build(name)
    request = city.request
    request.options.solver = common_pb2.AUTO
    request.options.seed = seed
    timed_request = with_rush_hours(request, city.coords, rush)
    validate_plan_routes(timed_request)
    exact = problem_from_request(timed_request)
    options = RoutingOptions(seed=seed)
    rows = []
    for label, problem in (("all-day", problem_from_request(request)), ("time-of-day", exact)):
        started = time.monotonic()
        outcome = solve_checked(problem, Deadline.after(budget), options)
        seconds = time.monotonic() - started
        evaluation = evaluate(exact, order_only(outcome.plan))
        if label == "time-of-day":
            evaluation = outcome.evaluation  # the answer's own exact timing
        extra = {"solve_s": seconds, "engine": outcome.report.engine}
        rows.append(measured(name, label, evaluation, extra))
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m benchmarks rushhour``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks rushhour", description=__doc__)
    parser.add_argument("--instances", default=DEFAULT_INSTANCES)
    parser.add_argument("--budget", type=float, default=20.0, help="seconds per solve")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--rush", type=float, default=1.8, help="slowdown through the centre")
    parser.add_argument("--out", type=Path, default=None, help="folder for rows.jsonl")
    args = parser.parse_args(list(argv) if argv is not None else None)
    environment = machine.environment(["rushhour", *(argv or [])])
    print(json.dumps(environment), flush=True)
    rows: list[Row] = []
    for name in [x.strip() for x in args.instances.split(",") if x.strip()]:
        for row in run_instance(name, args.budget, args.seed, args.rush):
            print(row.line(), flush=True)
            rows.append(row)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        with (args.out / "rows.jsonl").open("w") as sink:
            sink.write(json.dumps({"environment": environment}) + "\n")
            for row in rows:
                sink.write(json.dumps(row.__dict__) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
