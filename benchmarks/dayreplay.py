"""Day replay (issue #13, "Measured"): one maintenance or sanitation day re-planned at every
arrival.

``python -m benchmarks dayreplay [--instance city-maint-100-1[,city-san-100-1...]]
[--arrivals 15] [--seed 7[,8,...]] [--morning 10] [--budget 5] [--freeze 1800]``

A generated city (``benchmarks.city``) with every crew at 60 per hour of route duration. The
morning plan knows all work orders but ``--arrivals`` mandatory ones, which arrive over the day
by a Poisson process from 1 h to 7 h after the first shift starts (08:00-14:00 for the
maintenance crews, 07:00-13:00 for the sanitation trucks); 4 h after it (11:00, 10:00) the crew
with the most work left breaks down.
Sanitation trucks carry their load: what they collected and have on board goes into their live
state, and their unloads are part of the plan they drive. Every instance and seed is one day;
three policies run each day, each keeping its own plan:

* ``replan``: at every event, a full PlanRoutes from the crews' live state, from scratch (no
  reference plan, no locks, no churn cost: only where each crew is, since when it is free, what
  it carries and what it has done);
* ``locks``: the same request plus the plan the crews have (``reference_plan``, which the
  service searches from), ``live_state.freeze`` (the next ``--freeze`` seconds of that plan
  kept in sequence, the rest free) and a churn cost (20 per stop moved, 1 per minute of ETA
  shift beyond 10 minutes);
* ``insert``: insertion advice only (the best verified option for each new order, and for each
  order of the broken-down crew), no re-plan.

Between events the crews drive their current plan: work whose service starts before the event
is done. Reported per policy: stops served by the end of the day, travel (the checker's driving
seconds of the routes as driven), lateness (the checker's seconds past a window's end of the
visits as driven; the generated windows are hard, so 0 unless a rule broke), churn against the
plan the crews had (stops moved to another crew, sum and max |ETA shift| of the stops still
planned), lock violations (frozen stops not kept at the head of their crew's route in order,
checked here independently of the service's checker) and latency per decision (p50 / p99 / max).
"""

from __future__ import annotations

import argparse
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from benchmarks.city.generate import build
from dispatch._proto.dispatch.v1 import routing_pb2
from dispatch.wire.routing import planned_routes, problem_from_request
from solvers.budget import Deadline
from solvers.routing.checker import evaluate, evaluate_route
from solvers.routing.insertion import advise
from solvers.routing.plan import PlanEvaluation, PlannedVisit, RoutePlan, RoutingPlan, VisitKind
from solvers.routing.plan_diff import StopTime, diff_plans
from solvers.routing.problem import RoutingProblem
from solvers.routing.solve import RoutingOptions, solve_checked
from solvers.status import SolverFamily

H = 3600
POLICIES = ("replan", "locks", "insert")
COST_PER_HOUR = 60.0
MOVE_COST = 20.0  # per stop moved to another crew: 20 minutes of a crew's time
SHIFT_COST = 1.0  # per minute of ETA shift beyond 10 minutes
Visit = routing_pb2.Visit
_KINDS = {
    VisitKind.STOP: Visit.STOP,
    VisitKind.BREAK: Visit.BREAK,
    VisitKind.FACILITY: Visit.FACILITY,
}


@dataclass
class Planned:
    """One visit of a crew's current plan: what, where, when."""

    kind: int
    id: str
    location: str
    start: int
    end: int
    lateness: int = 0
    demand: tuple[int, ...] = ()


@dataclass
class Crew:
    """A crew's day so far: where it is, since when, what it did, what it plans next."""

    location: str
    free_from: int
    departed: int | None = None
    done: list[str] = field(default_factory=list)
    driven: list[tuple[int, str]] = field(default_factory=list)  # stops and unloads, in order
    breaks_taken: set[str] = field(default_factory=set)
    plan: list[Planned] = field(default_factory=list)
    on_board: list[int] = field(default_factory=list)
    collected: list[int] = field(default_factory=list)


@dataclass
class Day:
    """One policy's day: the open work, the crews, and what it measured."""

    policy: str
    open_stops: dict[str, routing_pb2.Stop]
    crews: dict[str, Crew]
    broken: set[str] = field(default_factory=set)
    latencies: list[float] = field(default_factory=list)
    moved: int = 0
    shifted: int = 0
    shift_max: int = 0
    lock_violations: int = 0
    unkept: int = 0
    skipped_new: int = 0
    lateness: int = 0


def _instance(name: str) -> routing_pb2.PlanRoutesRequest:
    request = build(name).request
    for vehicle in request.vehicles:
        vehicle.cost_per_hour = COST_PER_HOUR
    return request


def _arrivals(
    request: routing_pb2.PlanRoutesRequest, count: int, seed: int
) -> list[tuple[int, routing_pb2.Stop]]:
    """``count`` mandatory orders arriving by a Poisson process over 1 h to 7 h after the first
    shift starts."""
    rng = np.random.default_rng(seed)
    mandatory = [s for s in request.stops if not s.optional]
    picked = rng.choice(len(mandatory), size=count, replace=False)
    first = min(v.shift.start for v in request.vehicles)
    times, t = [], first + 1 * H
    rate = count / (6 * H)
    while len(times) < count:
        t += rng.exponential(1 / rate)
        times.append(min(int(t), first + 7 * H))
    return sorted(zip(times, (mandatory[i] for i in picked), strict=True), key=lambda x: x[0])


def _read_plan(problem: RoutingProblem, evaluation: PlanEvaluation, day: Day, now: int) -> None:
    """Replace every crew's plan by the evaluation's routes (crews without a route idle)."""
    for crew in day.crews.values():
        crew.plan = []
    for route in evaluation.routes:
        vehicle = problem.vehicles[route.vehicle]
        crew = day.crews[vehicle.id]
        for t in route.visits:
            if t.kind is VisitKind.START and (crew.departed is None or crew.departed >= now):
                crew.departed = crew.free_from = t.start  # not left yet: leaves as now planned
            if t.kind in _KINDS:
                kind, name, demand = _KINDS[t.kind], "", ()
                if t.kind is VisitKind.STOP:
                    name, demand = problem.stops[t.ref].id, problem.stops[t.ref].demands
                elif t.kind is VisitKind.BREAK:
                    name = vehicle.breaks[t.ref].id
                else:
                    name = problem.facilities[t.ref].id
                location = problem.location_ids[t.location]
                crew.plan.append(Planned(kind, name, location, t.start, t.end, t.lateness, demand))


def _drive_until(day: Day, now: int) -> None:
    """Every crew does the visits of its plan that start before ``now``."""
    for crew in day.crews.values():
        while crew.plan and crew.plan[0].start < now:
            visit = crew.plan.pop(0)
            if visit.kind == Visit.STOP:
                crew.done.append(visit.id)
                crew.driven.append((Visit.STOP, visit.id))
                day.open_stops.pop(visit.id, None)
                crew.location = visit.location
                day.lateness += visit.lateness
                crew.on_board = _added(crew.on_board, visit.demand)
                crew.collected = _added(crew.collected, visit.demand)
            elif visit.kind == Visit.FACILITY:
                crew.driven.append((Visit.FACILITY, visit.id))
                crew.location = visit.location
                crew.on_board = [0] * len(crew.on_board)
            else:
                crew.breaks_taken.add(visit.id)
            crew.free_from = visit.end


def _added(load: list[int], demand: tuple[int, ...]) -> list[int]:
    size = max(len(load), len(demand))
    return [
        (load[d] if d < len(load) else 0) + (demand[d] if d < len(demand) else 0)
        for d in range(size)
    ]


def _request(
    base: routing_pb2.PlanRoutesRequest, day: Day, now: int, with_rules: bool, freeze: int
) -> routing_pb2.PlanRoutesRequest:
    """The re-plan at ``now``: open work, the crews' live state, the plan they have."""
    request = routing_pb2.PlanRoutesRequest()
    request.CopyFrom(base)
    del request.stops[:]
    request.stops.extend(day.open_stops.values())
    kept = [v for v in base.vehicles if v.id not in day.broken]
    del request.vehicles[:]
    request.vehicles.extend(kept)
    live = request.live_state
    live.now = now
    for vehicle in request.vehicles:
        crew = day.crews[vehicle.id]
        taken = [b for b in vehicle.breaks if b.id not in crew.breaks_taken]
        del vehicle.breaks[:]
        vehicle.breaks.extend(taken)
        if crew.departed is None or crew.departed >= now:
            continue  # still at its yard: starts as planned, but not before now
        state = live.vehicles.add(vehicle_id=vehicle.id, stops_done=len(crew.done))
        state.location_id = crew.location
        state.load_on_board.extend(crew.on_board)
        state.load_collected.extend(crew.collected)
        # On its way to its next visit since it left the last one; idle ones leave now.
        state.free_from = crew.free_from if crew.plan else max(now, crew.free_from)
        state.free_from = min(state.free_from, vehicle.shift.end)
        state.worked_seconds = max(0, now - crew.departed)
        route = request.reference_plan.routes.add(vehicle_id=vehicle.id)
        for visit in crew.plan:
            route.visits.add(kind=visit.kind, id=visit.id)
    for vehicle in request.vehicles:
        crew = day.crews[vehicle.id]
        if crew.departed is None or crew.departed >= now:
            live.vehicles.add(vehicle_id=vehicle.id).free_from = min(
                max(now, vehicle.shift.start), vehicle.shift.end
            )
            if crew.plan:
                route = request.reference_plan.routes.add(vehicle_id=vehicle.id)
                for visit in crew.plan:
                    route.visits.add(kind=visit.kind, id=visit.id)
    if with_rules:
        live.freeze.horizon_seconds = freeze
        live.churn.per_stop_moved = MOVE_COST
        live.churn.per_minute_eta_shift = SHIFT_COST
        live.churn.eta_tolerance_seconds = 600
    return request


def _timelines(day: Day) -> dict[str, tuple[StopTime, ...]]:
    """The crews' planned stops and ETAs, as the plan diff reads plans."""
    return {
        k: tuple(StopTime(v.id, v.start) for v in crew.plan if v.kind == Visit.STOP)
        for k, crew in day.crews.items()
        if any(v.kind == Visit.STOP for v in crew.plan)
    }


def _frozen(day: Day, now: int, freeze: int) -> dict[str, list[str]]:
    return {
        k: [v.id for v in crew.plan if v.kind == Visit.STOP and v.start <= now + freeze]
        for k, crew in day.crews.items()
        if k not in day.broken
    }


def _account(
    day: Day, before: dict[str, tuple[StopTime, ...]], frozen: dict[str, list[str]]
) -> None:
    """Churn of the new plan against the one the crews had; frozen stops not kept in order."""
    after = _timelines(day)
    kpis = diff_plans(before, after).kpis
    day.moved += kpis.stops_moved
    day.shifted += kpis.eta_shift_total
    day.shift_max = max(day.shift_max, kpis.eta_shift_max)
    for k, stops in frozen.items():
        head = [s.stop for s in after.get(k, ())][: len(stops)]
        day.lock_violations += sum(1 for a, b in zip(head, stops, strict=False) if a != b)
        day.lock_violations += len(stops) - len(head)


def _solve(day: Day, request: routing_pb2.PlanRoutesRequest, budget: float, now: int) -> None:
    problem = problem_from_request(request)
    options = RoutingOptions(solver=SolverFamily.ORTOOLS, seed=1)
    began = time.perf_counter()
    outcome = solve_checked(problem, Deadline.after(budget), options)
    day.latencies.append(time.perf_counter() - began)
    assert outcome.evaluation.feasible, outcome.evaluation.violations
    if problem.replan is not None:
        day.unkept += sum(
            1 for lock in problem.replan.locks if lock.stop in outcome.evaluation.skipped
        )
        day.unkept += len(problem.replan.relaxed)
    _read_plan(problem, outcome.evaluation, day, now)


def _insert(day: Day, base: routing_pb2.PlanRoutesRequest, new: Sequence[str], now: int) -> None:
    """Insertion advice only: each new order goes where its best verified option puts it."""
    for stop_id in new:
        request = _request(base, day, now, False, 0)
        problem = problem_from_request(request)
        plan = planned_routes(problem, list(request.reference_plan.routes))
        target = next(i for i, s in enumerate(problem.stops) if s.id == stop_id)
        began = time.perf_counter()
        advice = advise(problem, plan, [target], Deadline.after(1.0), max_options=1)
        day.latencies.append(time.perf_counter() - began)
        (stop,) = advice.stops
        if not stop.options:
            day.skipped_new += 1
            continue
        option = stop.options[0]
        kept = tuple(r for r in plan.routes if r.vehicle != option.vehicle)
        _read_plan(problem, evaluate(problem, RoutingPlan((*kept, option.route))), day, now)


def _event(
    day: Day,
    base: routing_pb2.PlanRoutesRequest,
    now: int,
    new: list[str],
    args: argparse.Namespace,
) -> None:
    """One decision: the crews drive until now, then the policy answers the event."""
    before = _timelines(day)
    frozen = _frozen(day, now, args.freeze) if day.policy == "locks" else {}
    if day.policy == "insert":
        _insert(day, base, new, now)
    else:
        request = _request(base, day, now, day.policy == "locks", args.freeze)
        if day.policy == "replan":
            request.ClearField("reference_plan")  # a re-plan from scratch
        _solve(day, request, args.budget, now)
    _account(day, before, frozen)


def _driven_travel(base: routing_pb2.PlanRoutesRequest, day: Day) -> tuple[int, int]:
    """(stops served, driving seconds) of the routes as the crews drove them."""
    problem = problem_from_request(base)
    index = {
        Visit.STOP: {s.id: i for i, s in enumerate(problem.stops)},
        Visit.FACILITY: {f.id: i for i, f in enumerate(problem.facilities)},
    }
    kinds = {Visit.STOP: VisitKind.STOP, Visit.FACILITY: VisitKind.FACILITY}
    served = travel = 0
    for k, vehicle in enumerate(problem.vehicles):
        driven = day.crews[vehicle.id].driven
        if not driven:
            continue
        visits = tuple(PlannedVisit(kinds[kind], index[kind][i]) for kind, i in driven)
        travel += evaluate_route(problem, RoutePlan(k, visits)).travel_seconds
        served += sum(1 for kind, _ in driven if kind == Visit.STOP)
    return served, travel


#: The morning plan of each day, shared by the policies (a solve on the wall clock differs from
#: run to run, and the policies must start the day from the same plan to be compared).
_MORNING: dict[tuple[str, int, int, float], PlanEvaluation] = {}


def replay(policy: str, args: argparse.Namespace) -> dict[str, object]:
    """One policy's day (``args.instance``, ``args.seed``: one of each); its figures."""
    instance, seed = args.instance, int(args.seed)
    base = _instance(instance)
    arrivals = _arrivals(base, args.arrivals, seed)
    later = {stop.id for _, stop in arrivals}
    morning = [s for s in base.stops if s.id not in later]
    locations = {v.id: v.start_location_id for v in base.vehicles}
    crews = {v.id: Crew(locations[v.id], v.shift.start) for v in base.vehicles}
    day = Day(policy, {s.id: s for s in morning}, crews)
    first = routing_pb2.PlanRoutesRequest()
    first.CopyFrom(base)
    del first.stops[:]
    first.stops.extend(morning)
    problem = problem_from_request(first)
    key = (instance, seed, args.arrivals, args.morning)
    if key not in _MORNING:
        options = RoutingOptions(solver=SolverFamily.ORTOOLS, seed=1)
        _MORNING[key] = solve_checked(problem, Deadline.after(args.morning), options).evaluation
    _read_plan(problem, _MORNING[key], day, 0)
    events: list[tuple[int, str | None]] = [(t, stop.id) for t, stop in arrivals]
    breakdown = args.breakdown
    if breakdown is None:
        breakdown = min(v.shift.start for v in base.vehicles) + 4 * H
    events.append((breakdown, None))
    by_id = {stop.id: stop for _, stop in arrivals}
    for now, stop_id in sorted(events, key=lambda e: e[0]):
        _drive_until(day, now)
        if stop_id is None:
            victim = max(
                (k for k in day.crews if k not in day.broken),
                key=lambda k: sum(1 for v in day.crews[k].plan if v.kind == Visit.STOP),
            )
            day.broken.add(victim)
            new = [v.id for v in day.crews[victim].plan if v.kind == Visit.STOP]
            day.crews[victim].plan = []
        else:
            day.open_stops[stop_id] = by_id[stop_id]
            new = [stop_id]
        _event(day, base, now, new, args)
    _drive_until(day, 10**9)
    served, travel = _driven_travel(base, day)
    lat = sorted(day.latencies)
    return {
        "instance": instance,
        "seed": seed,
        "policy": policy,
        "served": served,
        "travel_s": travel,
        "lateness_s": day.lateness,
        "moved": day.moved,
        "eta_shift_total_s": day.shifted,
        "eta_shift_max_s": day.shift_max,
        "lock_violations": day.lock_violations,
        "unkept_locks": day.unkept,
        "new_unplaced": day.skipped_new,
        "decisions": len(lat),
        "latency_p50_ms": 1000 * lat[len(lat) // 2],
        "latency_p99_ms": 1000 * lat[min(len(lat) - 1, math.ceil(0.99 * len(lat)) - 1)],
        "latency_max_ms": 1000 * lat[-1],
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the three policies on the same day; print one table row each."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks dayreplay")
    parser.add_argument("--instance", default="city-maint-100-1", help="comma-separated")
    parser.add_argument("--arrivals", type=int, default=15)
    parser.add_argument("--seed", default="7", help="comma-separated arrival seeds")
    parser.add_argument("--morning", type=float, default=10.0, help="seconds for the first plan")
    parser.add_argument("--budget", type=float, default=5.0, help="seconds per re-plan")
    parser.add_argument("--freeze", type=int, default=1800, help="freeze horizon, seconds")
    parser.add_argument(
        "--breakdown",
        type=int,
        default=None,
        help="crew breakdown time (4 h after the first shift)",
    )
    parser.add_argument("--policies", default=",".join(POLICIES))
    args = parser.parse_args(argv)
    columns = None
    days = [
        (instance, int(seed), policy)
        for instance in args.instance.split(",")
        for seed in args.seed.split(",")
        for policy in args.policies.split(",")
    ]
    for instance, seed, policy in days:
        row = replay(
            policy, argparse.Namespace(**{**vars(args), "instance": instance, "seed": seed})
        )
        if columns is None:
            columns = list(row)
            print("| " + " | ".join(columns) + " |")
            print("|" + "---|" * len(columns))
        cells = [f"{row[c]:.1f}" if isinstance(row[c], float) else str(row[c]) for c in columns]
        print("| " + " | ".join(cells) + " |", flush=True)
    return 0
