"""``run``: instances x solvers, one solve at a time, interleaved, resumable, scored independently.

Order: for each instance, every solver in the order given, then the next instance (so drifts in
machine load hit all solvers alike). Each finished solve appends one JSON line to
``<out>/results.jsonl`` at once; a (suite, instance, solver, seed, budget) already there is not
run again when the same folder is reused. Every invocation appends its command line, machine and
versions to ``<out>/runs.jsonl``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from tqdm import tqdm

from benchmarks import machine
from benchmarks.problem import service_check
from benchmarks.readers.common import Instance
from benchmarks.runners import PEER_SOLVERS, solve_in_fresh_process
from benchmarks.scoring import RouteSeq, gap_percent, score
from benchmarks.suites import ROUTING_SUITES

RESULTS = "results.jsonl"
RUNS = "runs.jsonl"
QUICK_MAX_BUDGET = 1.0
#: Seconds past the budget after which a solve counts as having broken its deadline.
OVERRUN_TOLERANCE = 0.25
NOT_SOLVED = ("SKIPPED", "ERROR", "TIMEOUT", "NO_SOLUTION_FOUND", "INFEASIBLE", "NOT_SOLVED")


def row_key(row: dict[str, Any]) -> tuple:
    """What makes a result unique: rerunning it would measure the same thing."""
    return (row["suite"], row["instance"], row["solver"], int(row["seed"]), float(row["budget"]))


def read_rows(out: Path) -> list[dict[str, Any]]:
    """All result rows in a results folder (a torn last line from a killed run is ignored)."""
    path = out / RESULTS
    if not path.exists():
        return []
    rows = []
    for line in path.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows


def _append(path: Path, record: dict[str, Any]) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, sort_keys=True) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def peer_available(solver: str) -> bool:
    """True when the peer's package imports (peers come from the ``.[bench]`` extra)."""
    module = {"pyvrp": "pyvrp", "vroom": "vroom"}[solver]
    try:
        __import__(module)
    except ImportError:
        return False
    return True


def validation_problem(instance: Instance) -> str:
    """Why the service's validator rejects the reader's request ("" when it accepts it)."""
    from dispatch.validation import validate_plan_routes

    try:
        validate_plan_routes(instance.request)
    except Exception as exc:  # any rejection is reported in the row, never hidden
        return f"{type(exc).__name__}: {exc}"
    return ""


def score_answer(
    instance: Instance, suite: str, solver: str, seed: int, budget: float, answer: dict[str, Any]
) -> dict[str, Any]:
    """A result row: the solver's answer checked and scored in the instance's own convention."""
    routes = [RouteSeq.from_json(r) for r in answer.get("routes", [])]
    status = answer.get("status", "ERROR")
    row: dict[str, Any] = {
        "suite": suite,
        "instance": instance.name,
        "family": instance.family,
        "convention": instance.convention.value,
        "solver": solver,
        "seed": seed,
        "budget": budget,
        "status": status,
        "engine": answer.get("engine", ""),
        "wall_s": answer.get("wall"),
        "process_wall_s": answer.get("process_wall"),
        "peak_rss_mb": answer.get("peak_rss_mb"),
        "children_peak_rss_mb": answer.get("children_peak_rss_mb"),
        "bks_vehicles": instance.bks_vehicles,
        "bks_objective": instance.bks_objective,
        "note": answer.get("note", ""),
        "error": answer.get("error", ""),
        "routes": [r.to_json() for r in routes],
    }
    solved = False
    if routes and status not in NOT_SOLVED:
        result = score(instance, routes)
        try:
            service_problems = service_check(instance.request, routes)
            row["service_check"] = "pass" if not service_problems else "fail"
        except ImportError as exc:
            service_problems = []
            row["service_check"] = f"unavailable: {exc}"
        row["check_problems"] = list(result.problems[:5]) + service_problems[:5]
        served = {i for r in routes for kind, i in r.visits if kind == "STOP"}
        row["unserved"] = sum(1 for s in instance.request.stops if s.id not in served)
        row["vehicles"] = result.vehicles
        row["objective"] = result.objective
        solved = result.feasible and not service_problems
    row["solved"] = solved
    wall = answer.get("wall")
    row["over_budget"] = wall is not None and wall > budget + OVERRUN_TOLERANCE
    row["gap_pct"] = gap_percent(row.get("objective"), instance.bks_objective) if solved else None
    if solved and instance.bks_vehicles is not None:
        row["vehicles_diff"] = row["vehicles"] - instance.bks_vehicles
    return row


def run_routing(
    suites: Iterable[str],
    solvers: list[str],
    budget: float,
    seed: int,
    out: Path,
    bench_dir: Path,
    instances: str | None = None,
    quick: bool = False,
    progress: bool = True,
    argv: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Run the routing suites; returns the rows written by this call."""
    out.mkdir(parents=True, exist_ok=True)
    if quick:
        budget = min(budget, QUICK_MAX_BUDGET)
    record = {**machine.environment(argv), "budget": budget, "seed": seed, "solvers": solvers}
    _append(out / RUNS, record)
    done = {row_key(r) for r in read_rows(out)}
    files = [
        (name, path)
        for name in suites
        for path in ROUTING_SUITES[name].files(bench_dir, instances, quick)
    ]
    missing_peers = {s for s in solvers if s in PEER_SOLVERS and not peer_available(s)}
    written = []
    bar = tqdm(total=len(files) * len(solvers), disable=not progress, unit="solve")
    for suite_name, path in files:
        suite = ROUTING_SUITES[suite_name]
        instance: Instance | None = None
        for solver in solvers:
            bar.set_description(f"{path.stem} {solver}")
            if instance is None:
                instance = suite.read(path)
                invalid = validation_problem(instance)
            key = (suite_name, instance.name, solver, seed, float(budget))
            if key in done:
                bar.update(1)
                continue
            if invalid:
                answer = {"status": "ERROR", "error": f"reader output rejected: {invalid}"}
            elif solver in missing_peers:
                answer = {"status": "SKIPPED", "note": f"{solver} not installed (.[bench] extra)"}
            else:
                answer = solve_in_fresh_process(
                    solver, instance.request.SerializeToString(), budget, seed
                )
            row = score_answer(instance, suite_name, solver, seed, float(budget), answer)
            _append(out / RESULTS, row)
            written.append(row)
            done.add(key)
            bar.update(1)
    bar.close()
    return written
