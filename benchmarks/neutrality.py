"""Deterministic plans of this code version, to prove a refactor behaviour-neutral.

``python -m benchmarks.neutrality OUT.json`` solves a fixed set of Solomon, Homberger 200 and
Kim instances (``--all``: every instance of the three families in the bench folder) with
OR-Tools and PyVRP alone, each in deterministic mode (seed 1, work limits, not
the clock), and writes engine, objective, travel, vehicles and skipped stops per solve. Run it
from two checkouts (``PYTHONPATH=<checkout>``) and compare the files: a refactor that changes
no behaviour gives identical numbers, whatever the machine's load.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from benchmarks import machine
from benchmarks.readers import read_vrptw, read_waste
from benchmarks.suites import default_bench_dir
from dispatch._proto.dispatch.v1 import common_pb2
from dispatch.routing import solve_plan_routes
from solvers.budget import Deadline

SOLOMON = ("C101", "C106", "C201", "R101", "R105", "R110", "R201", "R205")
SOLOMON += ("RC101", "RC105", "RC201", "RC205")
CASES = [("solomon", n) for n in SOLOMON]
CASES += [("homberger", n) for n in ("C1_2_1", "R1_2_1", "RC1_2_1", "R2_2_1")]
CASES += [("waste", n) for n in ("102_stop", "277_stop")]
SOLVERS = {"ortools": common_pb2.ORTOOLS, "pyvrp": common_pb2.PYVRP}
#: A safety net only: deterministic solves end on work limits long before it.
SAFETY_SECONDS = 900.0


def every_case(bench: Path) -> list[tuple[str, str]]:
    """All Solomon, Homberger 200 and Kim instances in the bench folder, smallest family first."""
    return [
        (family, path.stem)
        for family in ("solomon", "homberger", "waste")
        for path in sorted((bench / family).glob("*.txt"))
    ]


def solve_all(bench: Path, cases: list[tuple[str, str]]) -> dict[str, dict]:
    """Every case with every solver, deterministic; keyed "<instance>/<solver>"."""
    out: dict[str, dict] = {}
    for family, name in cases:
        path = bench / family / f"{name}.txt"
        instance = read_waste(path) if family == "waste" else read_vrptw(path)
        for solver_name, solver in SOLVERS.items():
            request = type(instance.request)()
            request.CopyFrom(instance.request)
            request.options.deterministic = True
            request.options.seed = 1
            request.options.solver = solver
            started = time.monotonic()
            answer = solve_plan_routes(request, Deadline.after(SAFETY_SECONDS))
            out[f"{name}/{solver_name}"] = {
                "engine": answer.solve_info.engine,
                "objective": answer.solve_info.objective,
                "travel_seconds": int(answer.kpis.travel_seconds),
                "vehicles": answer.kpis.vehicles_used,
                "skipped": len(answer.skipped_stops),
                "wall_seconds": round(time.monotonic() - started, 1),
            }
            print(name, solver_name, out[f"{name}/{solver_name}"], flush=True)
    return out


def main(argv: list[str]) -> int:
    """Write the plans and the environment to the file named by ``argv[0]``."""
    full = "--all" in argv
    argv = [a for a in argv if a != "--all"]
    if len(argv) != 1:
        print("usage: python -m benchmarks.neutrality [--all] OUT.json", file=sys.stderr)
        return 2
    bench = default_bench_dir()
    plans = solve_all(bench, every_case(bench) if full else CASES)
    document = {"environment": machine.environment(), "plans": plans}
    Path(argv[0]).write_text(json.dumps(document, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
