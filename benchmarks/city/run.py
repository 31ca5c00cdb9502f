"""``run city``: generated city instances x engines, one fresh process per solve, resumable.

Engines (the ``--solvers`` names of the other suites):

* ``auto``, ``ortools`` (and ``milp``, ``service-pyvrp``): the service's own request path;
* ``pyvrp``: the service's PyVRP engine (``options.solver = PYVRP``) where it models the
  instance (``solvers.routing.engines.pyvrp.unsupported_features`` finds nothing), otherwise the
  row says ``declined: <reasons>``: the raw PyVRP peer of the file suites models even less
  (no breaks, no facilities), and a relaxation is never scored;
* ``vroom``: pyvroom at exploration level 5 through ``benchmarks.city.vroom_peer``.

Every plan is read back through the service's checker (``solvers.routing.checker.evaluate``,
via ``benchmarks.problem``), so every engine is scored by the same rules, and through the
harness's own contract check (``benchmarks.scoring.check_plan``). A row records total travel
seconds and metres, vehicles used, mandatory stops left out, optional stops served, wall time
against the budget (``late``: more than budget + 0.5 s) and the status. No instance has a known
optimum, so there is no gap; ``objective`` is the travel time in minutes and the report
compares engines with each other.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tqdm import tqdm

from benchmarks import machine
from benchmarks.city import generate
from benchmarks.city.generate import CityInstance
from benchmarks.harness import (
    NOT_SOLVED,
    OVERRUN_TOLERANCE,
    RESULTS,
    RUNS,
    _append,
    peer_available,
    read_rows,
    row_key,
    validation_problem,
)
from benchmarks.runners import SERVICE_SOLVERS, Unsupported, solve_in_fresh_process
from benchmarks.scoring import RouteSeq, check_plan
from dispatch._proto.dispatch.v1 import routing_pb2

SUITE = "city"
CONVENTION = "city"
#: The goal's promise: an answer within budget + this many seconds.
LATE_AFTER = 0.5
QUICK_MAX_BUDGET = 2.0


def pyvrp_declines(request: routing_pb2.PlanRoutesRequest) -> list[str]:
    """What the service's PyVRP engine cannot model in ``request`` (empty = it runs)."""
    from benchmarks.problem import to_problem
    from solvers.routing.engines.pyvrp import unsupported_features

    return unsupported_features(to_problem(request))


def solve_city(solver: str, request_bytes: bytes, budget: float, seed: int) -> dict[str, Any]:
    """One solve in the spawned child (``runners.solve_in_fresh_process(..., entry=...)``)."""
    from benchmarks.runners import solve

    request = routing_pb2.PlanRoutesRequest.FromString(request_bytes)
    if solver == "vroom":
        from benchmarks.city import vroom_peer

        return vroom_peer.solve(request, budget)
    if solver == "pyvrp":
        reasons = pyvrp_declines(request)
        if reasons:
            raise Unsupported("declined: " + "; ".join(reasons))
        return solve("service-pyvrp", request_bytes, budget, seed)
    if solver in SERVICE_SOLVERS:
        return solve(solver, request_bytes, budget, seed)
    raise ValueError(f"unknown solver {solver}")


def _checked(instance: CityInstance, routes: list[RouteSeq]) -> dict[str, Any]:
    """The service checker's figures for a plan, and every rule either checker says it breaks."""
    from benchmarks.problem import to_plan, to_problem
    from solvers.routing.checker import evaluate
    from solvers.routing.plan import ViolationType

    problem = to_problem(instance.request)
    try:
        evaluation = evaluate(problem, to_plan(problem, routes))
    except (KeyError, ValueError) as exc:  # unknown ids, unreadable plans: a failed check
        return {"check_problems": [f"unreadable plan: {exc}"], "mandatory_skipped": None}
    missing = ViolationType.MISSING_MANDATORY_STOP
    broken = [f"{v.type.value}: {v.detail}" for v in evaluation.violations if v.type != missing]
    contract = [p for p in check_plan(instance.request, routes) if not p.endswith("not served")]
    optional = [i for i, s in enumerate(problem.stops) if s.optional]
    return {
        "travel_s": sum(r.travel_seconds for r in evaluation.routes),
        "travel_m": sum(r.travel_metres for r in evaluation.routes),
        "vehicles": len(evaluation.routes),
        "mandatory_skipped": sum(1 for v in evaluation.violations if v.type == missing),
        "optional_served": sum(1 for i in optional if i in evaluation.served),
        "optional_total": len(optional),
        "service_check": "pass" if not broken else "fail",
        "check_problems": broken[:5] + contract[:5],
    }


def score_city(
    instance: CityInstance, solver: str, seed: int, budget: float, answer: dict[str, Any]
) -> dict[str, Any]:
    """A result row; fields match the file suites' rows so ``report`` reads both."""
    routes = [RouteSeq.from_json(r) for r in answer.get("routes", [])]
    status = answer.get("status", "ERROR")
    wall = answer.get("wall")
    row: dict[str, Any] = {
        "suite": SUITE,
        "instance": instance.name,
        "family": instance.family,
        "convention": CONVENTION,
        "solver": solver,
        "seed": seed,
        "budget": budget,
        "status": status,
        "engine": answer.get("engine", ""),
        "wall_s": wall,
        "process_wall_s": answer.get("process_wall"),
        "peak_rss_mb": answer.get("peak_rss_mb"),
        "children_peak_rss_mb": answer.get("children_peak_rss_mb"),
        "bks_vehicles": None,
        "bks_objective": None,
        "gap_pct": None,
        "note": answer.get("note", ""),
        "error": answer.get("error", ""),
        "routes": [r.to_json() for r in routes],
        "over_budget": wall is not None and wall > budget + OVERRUN_TOLERANCE,
        "late": wall is not None and wall > budget + LATE_AFTER,
    }
    valid = False
    if routes and status not in NOT_SOLVED:
        row.update(_checked(instance, routes))
        valid = not row["check_problems"]
    row["valid"] = valid  # breaks no rule, though it may leave mandatory stops out
    row["solved"] = valid and row.get("mandatory_skipped") == 0
    row["unserved"] = row.get("mandatory_skipped")
    row["objective"] = row["travel_s"] / 60.0 if valid else None
    return row


def run_city(
    solvers: list[str],
    budget: float,
    seed: int,
    out: Path,
    instances: str | None = None,
    quick: bool = False,
    progress: bool = True,
    argv: list[str] | None = None,
) -> list[dict[str, Any]]:
    """Every selected instance with every solver, interleaved; returns the rows written now."""
    out.mkdir(parents=True, exist_ok=True)
    if quick:
        budget = min(budget, QUICK_MAX_BUDGET)
    record = {**machine.environment(argv), "suite": SUITE, "budget": budget, "seed": seed}
    _append(out / RUNS, {**record, "solvers": solvers})
    done = {row_key(r) for r in read_rows(out)}
    selected = generate.names(instances, quick)
    missing = {s for s in solvers if s in ("pyvrp", "vroom") and not peer_available(s)}
    written = []
    bar = tqdm(total=len(selected) * len(solvers), disable=not progress, unit="solve")
    for name in selected:
        instance = generate.build(name)
        invalid = validation_problem(instance)
        for solver in solvers:
            bar.set_description(f"{name} {solver}")
            key = (SUITE, name, solver, seed, float(budget))
            if key not in done:
                answer = _answer(instance, solver, budget, seed, invalid, solver in missing)
                row = score_city(instance, solver, seed, float(budget), answer)
                _append(out / RESULTS, row)
                written.append(row)
                done.add(key)
            bar.update(1)
    bar.close()
    return written


def _answer(
    instance: CityInstance, solver: str, budget: float, seed: int, invalid: str, missing: bool
) -> dict[str, Any]:
    if invalid:
        return {"status": "ERROR", "error": f"generated request rejected: {invalid}"}
    if missing:
        return {"status": "SKIPPED", "note": f"{solver} not installed (.[bench] extra)"}
    data = instance.request.SerializeToString()
    return solve_in_fresh_process(solver, data, budget, seed, entry=solve_city)
