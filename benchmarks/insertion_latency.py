"""Insertion advice latency at city size (issue #13 item 4: p99 under 50 ms at 400 planned stops).

``python -m benchmarks.insertion_latency [--trials N] [--solve SECONDS] [--instances A,B]``

For each generated city instance (400 stops; maintenance: 53 crews, sanitation: 13 trucks with
disposal trips), a live plan is made (the constructive heuristic, or a real solve of
``--solve`` seconds), then, ``--trials`` times, one served stop chosen at random is taken out
of the plan and the request and asked back in as a new stop:

* ``in-process``: ``solvers.routing.insertion.advise`` on the built problem (indexing the live
  plan included): the solver part alone.
* ``rpc``: AdviseInsertion on a real server (``dispatch serve`` in its own process on loopback)
  with the live plan inline, matrices as ``durations_bytes``: what a dispatcher's system sees
  (serialising, validation, building the problem, the advice, the answer).
* ``exhaustive``: every candidate route verified by the checker, no bounds (the reference the
  pruned search must equal; its keys are compared on every trial).

With ``--job`` (the default), the same server also makes the live plan as a plan job (the
constructive heuristic, or ``--solve`` seconds of AUTO), and each trial asks it one question
twice, side by side: a copy of the chosen stop under a new id (a second order at the same
address) inserted into the job's plan,

* ``job-inline``: with the job's request and plan sent inline, the same bytes on every call:
  the server's inline-plan cache (keyed by a digest of the plan) answers every call but the
  first;
* ``job-id``: naming the job by ``job_id``: the server's live-plan cache answers every call
  but the first.

The first call of each form, a miss that validates or reads the plan, builds and indexes it
and keeps it, is shown apart. ``rpc`` sends a different plan on every call (one stop taken
out), so it is always a miss: validation, building and indexing included.

Both answers must be equal (wall time aside); that is counted on every trial.

Prints one line per instance and mode: p50 / p90 / p99 / max in milliseconds.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Sequence

from benchmarks.assign.server import server_process
from benchmarks.city.generate import build
from dispatch import client
from dispatch._proto.dispatch.v1 import common_pb2, jobs_pb2, replanning_pb2, routing_pb2
from dispatch.wire import enums
from dispatch.wire.routing import problem_from_request
from dispatch.wire.routing_answer import planned_routes_of
from solvers.budget import Deadline
from solvers.routing.checker import evaluate_route, route_violations
from solvers.routing.engines.construct import greedy_plan
from solvers.routing.insertion import advise
from solvers.routing.plan import RoutePlan, RoutingPlan, VisitKind
from solvers.routing.problem import RoutingProblem
from solvers.routing.repair import insertion_slots, slot_routes
from solvers.routing.solve import RoutingOptions, solve_checked

DEFAULT_INSTANCES = "city-maint-400-1,city-san-400-1"


def _percentiles(samples: Sequence[float]) -> str:
    ordered = sorted(samples)

    def at(q: float) -> float:
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000

    return (
        f"p50 {at(0.5):6.1f}  p90 {at(0.9):6.1f}  p99 {at(0.99):6.1f}  "
        f"max {ordered[-1] * 1000:6.1f} ms  (n={len(ordered)})"
    )


def _live_plan(problem: RoutingProblem, solve_seconds: float) -> RoutingPlan:
    if solve_seconds <= 0:
        return greedy_plan(problem)
    return solve_checked(problem, Deadline.after(solve_seconds), RoutingOptions()).plan


def _without(plan: RoutingPlan, stop: int) -> RoutingPlan:
    return RoutingPlan(
        tuple(
            RoutePlan(
                r.vehicle,
                tuple(v for v in r.visits if not (v.kind is VisitKind.STOP and v.ref == stop)),
            )
            for r in plan.routes
        )
    )


def _exhaustive_keys(problem: RoutingProblem, plan: RoutingPlan, stop: int) -> list[tuple]:
    """Best key per vehicle, every candidate verified: what the pruned search must return."""
    routes = {r.vehicle: r for r in plan.routes if r.visits}
    live = {v: evaluate_route(problem, r) for v, r in routes.items()}
    broken = {v for v, evaluation in live.items() if route_violations(evaluation)}
    best: dict[int, tuple] = {}
    for slot in insertion_slots(problem, routes, stop):
        if slot.vehicle in broken:
            continue
        for route in slot_routes(problem, routes, stop, slot):
            evaluation = evaluate_route(problem, route)
            if route_violations(evaluation):
                continue
            old = live.get(slot.vehicle)
            cost = evaluation.cost - (old.cost if old else 0.0)
            travel = evaluation.travel_seconds - (old.travel_seconds if old else 0)
            key = (int(old is None and problem.minimize_vehicles_first), round(cost, 9), travel)
            best[slot.vehicle] = min(best.get(slot.vehicle, key), key)
    return sorted(best.values())[:5]


def _rpc_request(
    request: routing_pb2.PlanRoutesRequest, problem: RoutingProblem, plan: RoutingPlan, stop: int
) -> replanning_pb2.AdviseInsertionRequest:
    """The live plan without ``stop`` inline, and ``stop`` as the new stop."""
    live = routing_pb2.PlanRoutesRequest()
    live.CopyFrom(request)
    del live.stops[stop]
    routes = []
    for r in plan.routes:
        if not r.visits:
            continue
        breaks = problem.vehicles[r.vehicle].breaks
        visits = []
        for v in r.visits:
            table = {VisitKind.STOP: problem.stops, VisitKind.FACILITY: problem.facilities}
            name = table[v.kind][v.ref].id if v.kind in table else breaks[v.ref].id
            visits.append(routing_pb2.PlannedVisit(kind=enums.VISIT_KIND[v.kind], id=name))
        routes.append(
            routing_pb2.PlannedRoute(vehicle_id=problem.vehicles[r.vehicle].id, visits=visits)
        )
    return replanning_pb2.AdviseInsertionRequest(
        problem=live, routes=routes, new_stops=[request.stops[stop]]
    )


def _job(stub, request: routing_pb2.PlanRoutesRequest, solve_seconds: float) -> jobs_pb2.PlanJob:
    """The live plan as a SUCCEEDED plan job, read back with its request."""
    job_request = routing_pb2.PlanRoutesRequest()
    job_request.CopyFrom(request)
    job_request.request_id = f"insertion-latency-{time.time_ns()}"
    job_request.options.solver = common_pb2.AUTO if solve_seconds > 0 else common_pb2.GREEDY
    job_request.options.time_budget.FromMilliseconds(int(max(solve_seconds, 5.0) * 1000))
    job = stub.CreatePlanJob(jobs_pb2.CreatePlanJobRequest(request=job_request), timeout=60)
    watch = jobs_pb2.WatchPlanJobRequest(job_id=job.job_id)
    final = list(stub.WatchPlanJob(watch, timeout=solve_seconds + 600))[-1].job
    if final.state != jobs_pb2.PlanJob.SUCCEEDED:
        raise RuntimeError(f"the live-plan job ended {jobs_pb2.PlanJob.State.Name(final.state)}")
    get = jobs_pb2.GetPlanJobRequest(job_id=job.job_id, include_request=True)
    return stub.GetPlanJob(get, timeout=60)


def _timed_answer(stub, message: replanning_pb2.AdviseInsertionRequest) -> tuple[float, bytes]:
    """Seconds for one AdviseInsertion call, and its answer without the wall time."""
    started = time.perf_counter()
    answer = stub.AdviseInsertion(message, timeout=10)
    elapsed = time.perf_counter() - started
    answer.ClearField("wall_time")
    return elapsed, answer.SerializeToString(deterministic=True)


def run_job(
    instance: str, request: routing_pb2.PlanRoutesRequest, chosen: Sequence[int], solve: float, stub
) -> None:
    """The live plan as a job: inline against job_id (cached), same questions, side by side."""
    job = _job(stub, request, solve)
    routes = planned_routes_of(job.result.routes)
    served = sum(1 for r in routes for v in r.visits if v.kind == routing_pb2.Visit.STOP)
    print(f"{instance} as plan job {job.job_id}: {served} stops served")
    times: dict[str, list[float]] = {"job-inline": [], "job-id": []}
    first_call: dict[str, float] = {}
    equal = 0
    for trial, stop in enumerate(chosen):
        new = routing_pb2.Stop()
        new.CopyFrom(request.stops[stop])
        new.id = f"{new.id}-again-{trial}"
        by_id = replanning_pb2.AdviseInsertionRequest(job_id=job.job_id, new_stops=[new])
        inline = replanning_pb2.AdviseInsertionRequest(
            problem=job.request, routes=routes, new_stops=[new]
        )
        # Alternate which form goes first, so neither always meets a warmer process.
        pair = [("job-id", by_id), ("job-inline", inline)]
        answers = {}
        for mode, message in pair if trial % 2 else pair[::-1]:
            elapsed, answers[mode] = _timed_answer(stub, message)
            if mode not in first_call:
                first_call[mode] = elapsed  # the miss: validate or read, build, index, keep
            else:
                times[mode].append(elapsed)
        equal += answers["job-id"] == answers["job-inline"]
    for mode, elapsed in sorted(first_call.items()):
        print(f"  {mode} first call (cache miss) {elapsed * 1000:6.1f} ms")
    for mode, samples in times.items():
        print(f"  {mode:10s} {_percentiles(samples)}")
    print(f"  job-id answer equal to job-inline on {equal}/{len(chosen)} trials")


def run(instance: str, trials: int, solve_seconds: float, stub, job: bool = True) -> None:
    """Measure one instance in every mode and print the figures."""
    request = build(instance).request
    problem = problem_from_request(request)
    full = _live_plan(problem, solve_seconds)
    served = [v.ref for r in full.routes for v in r.visits if v.kind is VisitKind.STOP]
    rng = random.Random(f"{instance}-{trials}")
    chosen = [rng.choice(served) for _ in range(trials)]
    used = sum(1 for r in full.routes if r.visits)
    print(f"{instance}: {len(problem.stops)} stops, {len(problem.vehicles)} vehicles, {used} used")
    times: dict[str, list[float]] = {"in-process": [], "rpc": [], "exhaustive": []}
    mismatches = 0
    for stop in chosen:
        plan = _without(full, stop)
        started = time.perf_counter()
        (advice,) = advise(problem, plan, [stop], Deadline.after(10.0)).stops
        times["in-process"].append(time.perf_counter() - started)
        started = time.perf_counter()
        reference = _exhaustive_keys(problem, plan, stop)
        times["exhaustive"].append(time.perf_counter() - started)
        mismatches += [o.key[:3] for o in advice.options] != reference
        message = _rpc_request(request, problem, plan, stop)
        started = time.perf_counter()
        stub.AdviseInsertion(message, timeout=10)
        times["rpc"].append(time.perf_counter() - started)
    for mode, samples in times.items():
        print(f"  {mode:10s} {_percentiles(samples)}")
    print(f"  pruned search equal to exhaustive on {trials - mismatches}/{trials} trials")
    if job:
        run_job(instance, request, chosen, solve_seconds, stub)


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the options, start a server, measure every instance."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.insertion_latency")
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--solve", type=float, default=0.0, help="seconds per live-plan solve")
    parser.add_argument("--instances", default=DEFAULT_INSTANCES)
    parser.add_argument(
        "--job",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also measure the live plan as a plan job: inline against job_id (cached)",
    )
    args = parser.parse_args(argv)
    with server_process() as target, client.channel(target) as chan:
        stub = client.stub(chan)
        for instance in args.instances.split(","):
            run(instance.strip(), args.trials, args.solve, stub, args.job)


if __name__ == "__main__":
    main()
