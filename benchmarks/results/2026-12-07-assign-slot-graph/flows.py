"""The lexicographic flows alone, in process: each flow's matching on the slot graph first (as
the service solves it) against the square graph only (the slot graph switched off), interleaved
on the same arcs, with the checker's key of both plans and OR-Tools' compared.

    PYTHONPATH=<tree> .venv/bin/python flows.py 50 300
Per seed 1-10: median wall ms of 9 alternating rounds each, how many flows the slot graph
decided and how many went to the square graph, and whether the three plans score the same.
"""

from __future__ import annotations

import statistics
import sys
import time
from contextlib import contextmanager

from benchmarks.assign.scenarios import city_problem
from solvers.assignment import matching
from solvers.assignment.arcs import build_arcs
from solvers.assignment.checker import check_plan
from solvers.assignment.flow import solve_flow

_counts = {"slot": 0, "square": 0}
_real_slots, _real_square = matching._match_slots, matching._match_square


def _counted_slots(*args):
    chosen = _real_slots(*args)
    _counts["slot"] += chosen is not None
    return chosen


def _counted_square(*args):
    _counts["square"] += 1
    return _real_square(*args)


@contextmanager
def _graphs(square_only: bool):
    matching._match_slots = (lambda *args: None) if square_only else _counted_slots
    matching._match_square = _counted_square
    try:
        yield
    finally:
        matching._match_slots, matching._match_square = _real_slots, _real_square


def main() -> None:
    n_incidents, n_units = int(sys.argv[1]), int(sys.argv[2])
    ratios = []
    print("seed | slot-first ms | square-only ms | ratio | by slot graph | by square | same key")
    for seed in range(1, 11):
        problem = city_problem(n_incidents, n_units, seed=seed)
        arcs = build_arcs(problem)
        times: dict[bool, list[float]] = {False: [], True: []}
        results = {}
        for _ in range(9):
            for square_only in (False, True):
                _counts.update(slot=0, square=0)
                with _graphs(square_only):
                    started = time.perf_counter()
                    results[square_only] = solve_flow(problem, arcs, use_matching=True)
                    times[square_only].append(time.perf_counter() - started)
                if not square_only:
                    decided = dict(_counts)
        first, square = (statistics.median(times[s]) * 1000 for s in (False, True))
        alone = solve_flow(problem, arcs)
        keys = {check_plan(problem, r.plan).key() for r in (*results.values(), alone)}
        ratios.append(first / square)
        print(
            f"{seed} | {first:.2f} | {square:.2f} | {first / square:.2f} | "
            f"{decided['slot']} | {decided['square']} | {len(keys) == 1}"
        )
    low, high = min(ratios), max(ratios)
    print(f"median ratio {statistics.median(ratios):.2f}, range {low:.2f}-{high:.2f}")


if __name__ == "__main__":
    main()
