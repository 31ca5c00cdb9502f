"""How fast is the plan checker, and up to which size does the MILP fallback prove optimality?

    python -m benchmarks.routing_checks --seed 1 --out benchmarks/results/routing-checks
    python -m benchmarks.routing_checks --seed 1 --quick   # small sizes only

Two measurements, written as JSON and Markdown with the machine, versions and command:

* checker: ``solvers.routing.checker`` on one random plan per size (all stops served, windows,
  loads, facility visits and a break per route), median wall time of several repeats;
* milp: ``MilpEngine`` alone (``solvers.routing.engine.solve_alone``) on random small cities
  (two vehicles, windows, optional work; with and without a disposal facility) under a
  per-instance budget: status, gap, time.
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import sys
import time
from pathlib import Path

import numpy as np

from benchmarks.machine import environment
from solvers.budget import Deadline
from solvers.errors import SolverFailedError
from solvers.routing.checker import evaluate
from solvers.routing.engine import EngineOptions, solve_alone
from solvers.routing.engines import milp
from solvers.routing.plan import PlannedVisit, RoutePlan, RoutingPlan, VisitKind
from solvers.routing.problem import Break, Facility, RoutingProblem, Stop, TimeWindow, Vehicle
from solvers.routing.solve import RoutingOptions
from solvers.routing.solve import solve as routing_solve
from solvers.status import SolverFamily


def _matrix(rng: np.random.Generator, n: int) -> np.ndarray:
    xy = rng.integers(0, 600, size=(n, 2))
    diff = xy[:, None, :] - xy[None, :, :]
    return np.rint(np.hypot(diff[..., 0], diff[..., 1])).astype(np.int64)


def city(
    seed: int, n_stops: int, facilities: bool, breaks: bool = False, n_vehicles: int = 2
) -> RoutingProblem:
    """Random city: depot 0, stops 1..n, optional disposal site last; every 4th stop optional."""
    rng = np.random.default_rng(seed)
    n = n_stops + 2
    durations = _matrix(rng, n)
    stops = []
    for i in range(n_stops):
        start = int(rng.integers(0, 2000))
        stops.append(
            Stop(
                f"s{i}",
                i + 1,
                demands=(int(rng.integers(1, 4)),),
                service_duration=60,
                time_windows=(TimeWindow(start, start + 1500),),
                optional=bool(i % 4 == 3),
                skip_penalty=800.0,
            )
        )
    vehicles = tuple(
        # Without a facility each vehicle makes one trip: give it room for its share of the work.
        Vehicle(
            f"v{k}",
            0,
            0,
            TimeWindow(0, 10**7),
            capacities=(6,) if facilities else (3 * n_stops,),
            fixed_cost=200.0,
            cost_per_hour=60.0,
            cost_per_km=0.5,
            breaks=(Break("b", TimeWindow(0, 10**7), 600),) if breaks else (),
        )
        for k in range(n_vehicles)
    )
    return RoutingProblem(
        location_ids=tuple(f"L{i}" for i in range(n)),
        durations=(durations,),
        distances=(durations * 10,),
        vehicles=vehicles,
        stops=tuple(stops),
        facilities=(Facility("dump", n - 1, None, 120),) if facilities else (),
        dimensions=("kg",),
    )


def checker_case(seed: int, n_stops: int) -> tuple[RoutingProblem, RoutingPlan]:
    """A big plan: stops dealt round-robin to 1 vehicle per 50 stops, unloading every 2 stops."""
    n_vehicles = max(1, n_stops // 50)
    p = city(seed, n_stops, facilities=True, breaks=True, n_vehicles=n_vehicles)
    routes = []
    for k in range(n_vehicles):
        visits: list[PlannedVisit] = [PlannedVisit(VisitKind.BREAK, 0)]
        mine = list(range(k, n_stops, n_vehicles))
        for j, i in enumerate(mine):
            visits.append(PlannedVisit(VisitKind.STOP, i))
            if j % 2 == 1 or j == len(mine) - 1:
                visits.append(PlannedVisit(VisitKind.FACILITY, 0))
        routes.append(RoutePlan(k, tuple(visits)))
    return p, RoutingPlan(tuple(routes))


def measure_checker(seed: int, sizes: list[int], repeats: int) -> list[dict[str, object]]:
    rows = []
    for n in sizes:
        p, plan = checker_case(seed, n)
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            evaluation = evaluate(p, plan)
            times.append(time.perf_counter() - started)
        visits = sum(len(r.visits) for r in plan.routes)
        rows.append(
            {
                "stops": n,
                "vehicles": len(p.vehicles),
                "planned_visits": visits,
                "median_seconds": statistics.median(times),
                "microseconds_per_visit": 1e6 * statistics.median(times) / visits,
                "violations": len(evaluation.violations),
            }
        )
        print(f"checker {n:>6} stops: {statistics.median(times) * 1000:8.2f} ms", flush=True)
    return rows


def measure_milp(seed: int, sizes: list[int], budget: float) -> list[dict[str, object]]:
    rows = []
    for facilities in (False, True):
        for n in sizes:
            p = city(seed + n, n, facilities)
            started = time.monotonic()
            row: dict[str, object] = {
                "stops": n,
                "vehicles": len(p.vehicles),
                "facility": facilities,
                "budget_seconds": budget,
            }
            try:
                plan, report = solve_alone(
                    milp.MilpEngine(), p, Deadline.after(budget), EngineOptions(seed=seed)
                )
            except SolverFailedError as exc:
                row.update(status="FAILED", note=str(exc))
            else:
                row.update(
                    status=report.status.value,
                    objective=report.objective,
                    bound=report.bound,
                    gap=report.gap,
                    engine=report.engine,
                    mandatory_skipped=sum(not p.stops[i].optional for i in plan.skipped),
                )
            row["wall_seconds"] = time.monotonic() - started
            # Reference: OR-Tools through the portfolio with a short budget on the same city.
            _, reference = routing_solve(
                p, Deadline.after(5.0), RoutingOptions(SolverFamily.ORTOOLS, seed=seed)
            )
            row["ortools_5s_objective"] = reference.objective
            rows.append(row)
            print(
                f"milp {n:>3} stops facility={facilities!s:5}: {row['status']:9} "
                f"{row['wall_seconds']:6.2f} s gap={row.get('gap')}",
                flush=True,
            )
    return rows


def _markdown(env: dict[str, object], checker: list[dict], milp_rows: list[dict]) -> str:
    lines = [
        "# Plan checker speed and MILP reach",
        "",
        "```",
        json.dumps(env, indent=2),
        "```",
        "",
        "## Checker (`solvers.routing.checker`)",
        "",
        "| stops | vehicles | planned visits | median ms | us per visit |",
        "|---:|---:|---:|---:|---:|",
    ]
    for r in checker:
        lines.append(
            f"| {r['stops']} | {r['vehicles']} | {r['planned_visits']} | "
            f"{r['median_seconds'] * 1000:.2f} | {r['microseconds_per_visit']:.1f} |"
        )
    lines += [
        "",
        "## MILP fallback (`solvers.routing.engines.milp`)",
        "",
        "| stops | facility | status | wall s | objective | gap | mandatory skipped "
        "| OR-Tools 5 s objective |",
        "|---:|:---:|:---|---:|---:|---:|---:|---:|",
    ]
    for r in milp_rows:
        gap = "" if r.get("gap") is None else f"{r['gap']:.4f}"
        objective = "" if r.get("objective") is None else f"{r['objective']:.2f}"
        lines.append(
            f"| {r['stops']} | {'yes' if r['facility'] else 'no'} | {r['status']} | "
            f"{r['wall_seconds']:.2f} | {objective} | {gap} | "
            f"{r.get('mandatory_skipped', '')} | {r['ortools_5s_objective']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    """Run both measurements and write ``results.json`` and ``README.md`` under ``--out``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.routing_checks")
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--out", default="benchmarks/results/routing-checks")
    parser.add_argument("--budget", type=float, default=60.0, help="MILP seconds per instance")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args(argv)
    checker_sizes = [100, 500] if args.quick else [100, 1000, 2000, 5000]
    milp_sizes = [5, 8] if args.quick else [6, 8, 10, 12, 15]
    env = environment(argv)
    env["command"] = shlex.join(
        ["python", "-m", "benchmarks.routing_checks", *(sys.argv[1:] if argv is None else argv)]
    )
    checker = measure_checker(args.seed, checker_sizes, repeats=3 if args.quick else 7)
    milp_rows = measure_milp(
        args.seed, milp_sizes, min(args.budget, 5.0) if args.quick else args.budget
    )
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(
        json.dumps({"environment": env, "checker": checker, "milp": milp_rows}, indent=2)
    )
    (out / "README.md").write_text(_markdown(env, checker, milp_rows))


if __name__ == "__main__":
    main()
