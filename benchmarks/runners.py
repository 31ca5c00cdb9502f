"""One solve of one request by one solver, run in a fresh process (spawn) per solve.

Each solve gets a new interpreter so that its peak memory (ru_maxrss of that process) is its own,
a crash or hang cannot take the harness down, and OR-Tools (which holds the GIL) runs alone.
Solvers:

* ``auto``, ``ortools``, ``milp``, ``service-pyvrp``: the service's own request path,
  ``dispatch.routing.solve_plan_routes`` with ``options.solver`` set (AUTO / ORTOOLS / MILP /
  PYVRP).
* ``pyvrp``: PyVRP 0.14 ``ProblemData`` built from the request's integer matrices, ``MaxRuntime``.
* ``vroom``: pyvroom with the request's integer durations (time) and distances (cost), exploration
  level 5, one thread, and its ``timeout`` set to the budget. The timeout stops only the local
  search, never the construction heuristics (VROOM issues #594, #792), so large instances can run
  over; VROOM also stops earlier when its search converges.

Peers only accept what they can model exactly (one depot, one window per stop, capacities);
anything else (facilities, breaks, daily capacities, skills, optional stops) is reported as
skipped with the reason: no relaxation is ever scored against a BKS.
"""

from __future__ import annotations

import importlib.metadata
import multiprocessing
import resource
import time
import traceback
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

SERVICE_SOLVERS = {
    "auto": "AUTO",
    "ortools": "ORTOOLS",
    "milp": "MILP",
    "service-pyvrp": "PYVRP",  # the service's own PyVRP engine, through its request path
}
PEER_SOLVERS = ("pyvrp", "vroom")
ALL_SOLVERS = (*SERVICE_SOLVERS, *PEER_SOLVERS)
#: Seconds allowed beyond the budget for process start, imports and model building.
GRACE_SECONDS = 60.0


class Unsupported(Exception):
    """The peer cannot model this request exactly."""


def solve(solver: str, request_bytes: bytes, budget: float, seed: int) -> dict[str, Any]:
    """Solve in this process; returns routes (as JSON), status, engine, wall time and notes."""
    from dispatch._proto.dispatch.v1 import routing_pb2

    request = routing_pb2.PlanRoutesRequest.FromString(request_bytes)
    if solver in SERVICE_SOLVERS:
        return _service(request, solver, budget, seed)
    if solver == "pyvrp":
        return _pyvrp(request, budget, seed)
    if solver == "vroom":
        return _vroom(request, budget, seed)
    raise ValueError(f"unknown solver {solver}")


def _service(request, solver: str, budget: float, seed: int) -> dict[str, Any]:
    from benchmarks.readers.common import with_options
    from benchmarks.scoring import routes_from_response
    from dispatch._proto.dispatch.v1 import common_pb2
    from dispatch.routing import solve_plan_routes
    from solvers.budget import Deadline

    choice = common_pb2.Solver.Value(SERVICE_SOLVERS[solver])
    timed = with_options(request, choice, budget, seed)
    if solver == "auto":
        # The service's routing workers keep a companion process started and waiting
        # (solvers.routing.companion.warm_up); a fresh benchmark process does the same
        # before its clock starts, so AUTO is measured as the service runs it.
        from solvers.routing import companion

        companion.warm_up()
        companion.wait_ready(30.0)
    started = time.perf_counter()
    response = solve_plan_routes(timed, Deadline.after(budget))
    wall = time.perf_counter() - started
    info = response.solve_info
    return {
        "routes": [r.to_json() for r in routes_from_response(response)],
        "status": common_pb2.SolveStatus.Name(info.status),
        "engine": info.engine,
        "wall": wall,
        "note": info.fallback_reason,
        "service_objective": info.objective,
        "verified": info.verified,
    }


def _peer_model(request) -> dict[str, Any]:
    """What a CVRP/VRPTW peer needs, or Unsupported with the first reason it cannot."""
    from dispatch.wire import matrices

    if request.facilities:
        raise Unsupported("disposal facilities (multi-trip with unload) are not modelled")
    if any(v.breaks for v in request.vehicles):
        raise Unsupported("driver breaks are not modelled")
    if any(v.daily_capacities or v.skills or v.max_route_duration for v in request.vehicles):
        raise Unsupported("daily capacity, skills or max route duration are not modelled")
    if any(s.optional or s.required_skills or s.allowed_vehicle_ids for s in request.stops):
        raise Unsupported("optional stops, skills or allowed vehicles are not modelled")
    if any(len(s.time_windows) > 1 for s in request.stops):
        raise Unsupported("several windows per stop are not modelled")
    depots = {(v.start_location_id, v.end_location_id) for v in request.vehicles}
    if len(depots) != 1 or len(set(next(iter(depots)))) != 1:
        raise Unsupported("only one depot (start = end for every vehicle) is modelled")
    if len({(v.cost_per_km, v.cost_per_hour, v.fixed_cost) for v in request.vehicles}) != 1:
        raise Unsupported("only one cost structure is modelled")
    if request.vehicles[0].cost_per_hour or request.vehicles[0].fixed_cost:
        raise Unsupported("only distance costs are modelled")
    n = len(request.location_ids)
    durations = matrices.durations(request.travel, n, n)
    distances = matrices.distances(request.travel, n, n)
    loc = {lid: i for i, lid in enumerate(request.location_ids)}
    hierarchical = request.objective.mode == request.objective.MIN_VEHICLES_THEN_COST
    cost = distances if distances is not None else durations
    # One vehicle more must always cost more than any change in distance: above the longest
    # conceivable plan (every stop and every vehicle adds at most the longest arc).
    arcs = len(request.stops) + len(request.vehicles) + 1
    fixed = int(cost.max()) * arcs if hierarchical else 0
    return {
        "depot": loc[request.vehicles[0].start_location_id],
        "loc": loc,
        "durations": durations,
        "distances": cost,
        "fixed": fixed,
    }


def _pyvrp(request, budget: float, seed: int) -> dict[str, Any]:
    import pyvrp
    from pyvrp.stop import MaxRuntime

    model = _peer_model(request)
    big = np.iinfo(np.int64).max
    n = len(request.location_ids)
    locations = [pyvrp.Location(0.0, 0.0) for _ in range(n)]
    clients = []
    for stop in request.stops:
        tw = stop.time_windows[0] if stop.time_windows else None
        clients.append(
            pyvrp.Client(
                location=model["loc"][stop.location_id],
                delivery=list(stop.demands),
                service_duration=int(stop.service_duration),
                tw_early=int(tw.start) if tw else 0,
                tw_late=int(tw.end) if tw else big,
                name=stop.id,
            )
        )
    groups: dict[tuple, list[str]] = {}
    for v in request.vehicles:
        key = (tuple(v.capacities), v.shift.start, v.shift.end if v.HasField("shift") else big)
        groups.setdefault(key, []).append(v.id)
    types = [
        pyvrp.VehicleType(
            num_available=len(ids),
            capacity=list(caps),
            start_depot=0,
            end_depot=0,
            fixed_cost=model["fixed"],
            tw_early=int(start),
            tw_late=int(end),
            name=",".join(ids),
        )
        for (caps, start, end), ids in groups.items()
    ]
    depot = pyvrp.Depot(location=model["depot"])
    data = pyvrp.ProblemData(
        locations, clients, [depot], types, [model["distances"]], [model["durations"]]
    )
    started = time.perf_counter()
    result = pyvrp.solve(data, MaxRuntime(budget), seed=seed, display=False)
    wall = time.perf_counter() - started
    if not result.is_feasible():
        return {"routes": [], "status": "NO_SOLUTION_FOUND", "engine": "pyvrp", "wall": wall}
    free = {t: list(ids) for t, ids in enumerate(groups.values())}
    routes = []
    for route in result.best.routes():
        vehicle = free[route.vehicle_type()].pop(0)
        visits = [["STOP", request.stops[a.idx].id] for a in route.schedule() if a.is_client()]
        routes.append({"vehicle": vehicle, "visits": visits})
    return {
        "routes": routes,
        "status": "FEASIBLE",
        "engine": f"pyvrp {importlib.metadata.version('pyvrp')}",
        "wall": wall,
        "note": f"{result.num_iterations} iterations",
    }


def _vroom(request, budget: float, seed: int) -> dict[str, Any]:
    import vroom

    model = _peer_model(request)
    problem = vroom.Input()
    problem.set_durations_matrix("car", model["durations"].astype(np.uint32))
    problem.set_costs_matrix("car", model["distances"].astype(np.uint32))
    for k, v in enumerate(request.vehicles):
        problem.add_vehicle(
            vroom.Vehicle(
                id=k,
                start=model["depot"],
                end=model["depot"],
                capacity=list(v.capacities),
                time_window=(int(v.shift.start), int(v.shift.end)) if v.HasField("shift") else None,
                costs=vroom.VehicleCosts(fixed=model["fixed"]),
            )
        )
    jobs = []
    for j, stop in enumerate(request.stops):
        windows = [(int(w.start), int(w.end)) for w in stop.time_windows]
        jobs.append(
            vroom.Job(
                id=j,
                location=model["loc"][stop.location_id],
                default_service=int(stop.service_duration),
                delivery=list(stop.demands),
                time_windows=windows,
            )
        )
    problem.add_job(jobs)
    started = time.perf_counter()
    solution = problem.solve(exploration_level=5, nb_threads=1, timeout=timedelta(seconds=budget))
    wall = time.perf_counter() - started
    answer = solution.to_dict()
    routes = [
        {
            "vehicle": request.vehicles[r["vehicle"]].id,
            "visits": [
                ["STOP", request.stops[s["id"]].id] for s in r["steps"] if s["type"] == "job"
            ],
        }
        for r in answer.get("routes", [])
    ]
    unassigned = len(answer.get("unassigned", []))
    return {
        "routes": routes,
        "status": "FEASIBLE" if not unassigned else "PARTIAL",
        "engine": f"vroom {importlib.metadata.version('pyvroom')}",
        "wall": wall,
        "note": f"{unassigned} unassigned (seed not used: VROOM is deterministic)",
    }


def peak_rss_mb() -> float | None:
    """Peak resident memory of this process image in MiB (VmHWM).

    Not ``ru_maxrss``: Linux carries that over fork + exec, so every spawned child would report
    at least the harness's own size.
    """
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _child(conn, solver: str, request_bytes: bytes, budget: float, seed: int, entry=None) -> None:
    try:
        answer = (entry or solve)(solver, request_bytes, budget, seed)
    except Unsupported as exc:
        answer = {"routes": [], "status": "SKIPPED", "note": str(exc)}
    except BaseException as exc:  # reported as a row, never raised across the process boundary
        answer = {
            "routes": [],
            "status": "ERROR",
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(limit=5),
        }
    answer["peak_rss_mb"] = peak_rss_mb()
    # Largest finished child of the solve (e.g. a companion solver process); not added up.
    answer["children_peak_rss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0
    conn.send(answer)
    conn.close()


def solve_in_fresh_process(
    solver: str, request_bytes: bytes, budget: float, seed: int, entry=None
) -> dict[str, Any]:
    """Run :func:`solve` in a new spawned process; a hang beyond budget + grace is killed.

    ``entry``: a module-level function with :func:`solve`'s signature to run instead (the city
    suite's solvers, benchmarks.city.run.solve_city), so every suite shares this process care.
    """
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(
        target=_child, args=(sender, solver, request_bytes, budget, seed, entry), daemon=True
    )
    started = time.perf_counter()
    process.start()
    sender.close()
    answer: dict[str, Any]
    if receiver.poll(budget + GRACE_SECONDS):
        try:
            answer = receiver.recv()
        except EOFError:
            answer = {"routes": [], "status": "ERROR", "error": "solver process died"}
    else:
        answer = {
            "routes": [],
            "status": "TIMEOUT",
            "error": f"no answer within budget + {GRACE_SECONDS:.0f} s; process killed",
        }
    process.join(timeout=5)
    if process.is_alive():
        process.kill()
        process.join()
    if process.exitcode not in (0, None) and answer.get("status") not in ("TIMEOUT",):
        answer.setdefault("error", f"solver process exit code {process.exitcode}")
    answer["process_wall"] = time.perf_counter() - started
    return answer
