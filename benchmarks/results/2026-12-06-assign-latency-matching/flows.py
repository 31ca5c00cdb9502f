"""The lexicographic flows alone, in process: OR-Tools' min-cost flow against SciPy's LAPJVsp
matchings (``solve_flow(use_matching=...)``), interleaved on the same arcs, with the checker's
key of both plans compared.

    PYTHONPATH=<tree> .venv/bin/python flows.py 200 2000
Per seed: median wall ms of 9 alternating rounds each, flows solved, engines, equal keys.
"""

from __future__ import annotations

import statistics
import sys
import time

from benchmarks.assign.scenarios import city_problem
from solvers.assignment.arcs import build_arcs
from solvers.assignment.checker import check_plan
from solvers.assignment.flow import solve_flow


def main() -> None:
    n_incidents, n_units = int(sys.argv[1]), int(sys.argv[2])
    ratios = []
    for seed in range(1, 6):
        problem = city_problem(n_incidents, n_units, seed=seed)
        arcs = build_arcs(problem)
        times: dict[bool, list[float]] = {False: [], True: []}
        results = {}
        for _ in range(9):
            for matched in (False, True):
                started = time.perf_counter()
                results[matched] = solve_flow(problem, arcs, use_matching=matched)
                times[matched].append(time.perf_counter() - started)
        flows, matchings = (statistics.median(times[m]) * 1000 for m in (False, True))
        same = (
            check_plan(problem, results[False].plan).key()
            == check_plan(problem, results[True].plan).key()
        )
        ratios.append(matchings / flows)
        print(
            f"{n_incidents}x{n_units} seed {seed}: ortools {flows:.2f} ms "
            f"({len(results[False].stages)} flows), matching {matchings:.2f} ms "
            f"({len(results[True].stages)} flows, {sorted(results[True].engines)}), "
            f"same key {same}"
        )
    print(f"matching / ortools, median over seeds: {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
