"""In-process phase times of one AssignUnits call (no gRPC), for the code tree on PYTHONPATH.

    PYTHONPATH=<tree> .venv/bin/python phases.py 200 2000
Each phase is timed separately, 25 rounds; median (after 5 warm-up rounds) and min in ms, of
wall time and of this thread's CPU time (``time.thread_time``: less sensitive to other
processes on a loaded machine, though not to their use of the caches).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from benchmarks.assign.requests import to_request
from benchmarks.assign.scenarios import city_problem
from dispatch._proto.dispatch.v1 import emergency_pb2
from dispatch.validation import validate_assign_units
from dispatch.wire.emergency import to_problem, to_response
from solvers.assignment import SolveSettings, solve
from solvers.assignment.arcs import build_arcs
from solvers.assignment.checker import check_plan
from solvers.assignment.greedy import solve_greedy
from solvers.assignment.kpis import kpis
from solvers.assignment.network import build_network
from solvers.budget import Deadline
from solvers.status import SolverFamily

TIMES: dict[str, list[float]] = {}
CPU: dict[str, list[float]] = {}


def timed(name: str, work: Callable[[], Any]) -> Any:
    started, cpu = time.perf_counter(), time.thread_time()
    out = work()
    TIMES.setdefault(name, []).append((time.perf_counter() - started) * 1000)
    CPU.setdefault(name, []).append((time.thread_time() - cpu) * 1000)
    return out


def one_round(data: bytes) -> None:
    greedy = SolveSettings(family=SolverFamily.GREEDY)
    r = timed("decode", lambda: emergency_pb2.AssignUnitsRequest.FromString(data))
    timed("validate", lambda: validate_assign_units(r))
    p = timed("to_problem", lambda: to_problem(r))
    a = timed("build_arcs", lambda: build_arcs(p))
    timed("build_network", lambda: build_network(p, a))
    g = timed("greedy", lambda: solve_greedy(p))
    timed("check_plan", lambda: check_plan(p, g))
    res = timed("solve", lambda: solve(p, Deadline.after(10)))
    timed("solve_greedy_family", lambda: solve(p, Deadline.after(10), greedy))
    timed("kpis", lambda: kpis(p, res.plan, res.unfilled, res.evaluation))
    timed("to_response", lambda: to_response(r, p, res, 0.0))
    timed("encode", lambda: to_response(r, p, res, 0.0).SerializeToString())


def main() -> None:
    n_incidents, n_units = int(sys.argv[1]), int(sys.argv[2])
    data = to_request(city_problem(n_incidents, n_units, seed=3)).SerializeToString()
    for _ in range(25):
        one_round(data)
    for name, values in TIMES.items():
        cpu = CPU[name]
        print(
            f"{name:22s} wall median {statistics.median(values[5:]):7.2f}  min {min(values):7.2f}"
            f"   cpu median {statistics.median(cpu[5:]):7.2f}  min {min(cpu):7.2f}"
        )


if __name__ == "__main__":
    main()
