"""Checked insertion repair: put skipped mandatory stops back into a plan before it is answered.

Why: an engine that runs short of time (the constructive fallback on a busy machine) can leave
mandatory stops out as NO_CAPACITY_LEFT while trucks stay idle. Measured on the sanitation
example: 5 stops skipped, 2 of 4 trucks at the depot. A plan must not silently fall short when
a cheap, verified fix exists, so every plan goes through :func:`repair_skipped` before it is
answered.

For each skipped mandatory stop (hardest first: fewest eligible vehicles, then the earliest
closing window) the candidates are

1. every idle eligible vehicle: start -> stop -> end, finished by ``multitrip.finish_route``
   (the last unload when the problem has facilities, and the breaks the vehicle owes);
2. every position of every used route of an eligible vehicle, nearest detour first, skipping
   positions where the load rules alone already rule it out (per-trip and daily capacity, the
   stop limit). A load put on the last trip of a problem with facilities gets one more unload
   before the end, so a truck whose trips are full can make another.

Each candidate route is simulated by the independent checker (``evaluate_route``) and kept only
when it breaks no rule at all; the cheapest wins by the checker's own ordering (an extra vehicle
first when the problem minimises vehicles, then the increase of cost, then of driving time);
idle vehicles are tried first, so they win ties and are in hand when the deadline cuts the
search short. Passes repeat while a pass placed a stop: a stop placed on an idle truck opens
positions for the others. Stops still without a place keep their original reason. The repaired
plan is returned only when the checker ranks it strictly better than the input (``rank``).
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from solvers.budget import Deadline
from solvers.routing.checker import evaluate, evaluate_route, rank, route_violations
from solvers.routing.multitrip import FINAL_FACILITIES_TRIED, finish_route
from solvers.routing.plan import (
    PlannedVisit,
    RouteEvaluation,
    RoutePlan,
    RoutingPlan,
    SkipReason,
    VisitKind,
)
from solvers.routing.problem import UNLIMITED, RoutingProblem
from solvers.status import Status, relative_gap

if TYPE_CHECKING:  # the portfolio imports this module; only its types are needed here
    from solvers.routing.portfolio import SolveOutcome

__all__ = [
    "MIN_REPAIR_SECONDS",
    "Slot",
    "insertion_slots",
    "repair_outcome",
    "repair_skipped",
    "slot_routes",
]

#: Seconds the repair gets in :func:`repair_outcome` even when the solve's deadline has passed:
#: the plans that need it most come from the fallback that ran out of time. Measured on the
#: 42-stop sanitation example: 3 ms to place the 2 stops the constructed plan skips, 80 ms for
#: 10. Kept inside the 50 ms the service waits past a deadline for the worker's own answer
#: (dispatch.routing.ANSWER_SLACK_SECONDS) before it answers with the last checkpoint.
MIN_REPAIR_SECONDS = 0.03


#: Share of the time left that repairing a constructed plan may take before a search.
CONSTRUCTED_REPAIR_SHARE = 0.1


def constructed_repair_deadline(deadline: Deadline, deterministic: bool) -> Deadline:
    """The budget for repairing a constructed plan before the search that follows it: a tenth
    of the time left, or the whole ``deadline`` in deterministic mode, where the clock must not
    decide the plan (the repair is linear in the stops it places, so only huge requests reach
    the deadline there)."""
    if deterministic:
        return deadline
    return Deadline.after(max(0.0, deadline.remaining()) * CONSTRUCTED_REPAIR_SHARE)


@dataclass(frozen=True)
class _Candidate:
    """A verified route that serves the stop, and what it adds by the checker's ordering."""

    key: tuple[int, float, int]  # (new vehicle when minimised, cost increase, driving increase)
    route: RoutePlan
    evaluation: RouteEvaluation


def repair_skipped(
    problem: RoutingProblem,
    plan: RoutingPlan,
    deadline: Deadline,
    excluded: Collection[int] = (),
) -> RoutingPlan:
    """The plan with as many skipped mandatory stops inserted as verified routes allow.

    ``excluded`` are stops known to be impossible (the pre-check's); they are not tried. The
    deadline is checked between candidate routes; the candidates verified by then still count.
    Returns ``plan`` itself when nothing was placed or the result would not rank better.
    """
    pending = _pending(problem, plan, excluded)
    if not pending or deadline.expired():
        return plan
    routes = {r.vehicle: r for r in plan.routes if r.visits}
    costs = {v: evaluate_route(problem, r) for v, r in routes.items()}
    skipped = dict(plan.skipped)
    placed_any, progress = False, True
    while progress and pending and not deadline.expired():
        progress = False
        for stop in list(pending):
            found = _best_candidate(problem, routes, costs, stop, deadline)
            if found is not None:
                routes[found.route.vehicle] = found.route
                costs[found.route.vehicle] = found.evaluation
                skipped.pop(stop, None)
                pending.remove(stop)
                progress = placed_any = True
            if deadline.expired():
                break
    if not placed_any:
        return plan
    repaired = _assemble(plan, routes, skipped)
    better = rank(problem, evaluate(problem, repaired)) < rank(problem, evaluate(problem, plan))
    return repaired if better else plan


def _pending(problem: RoutingProblem, plan: RoutingPlan, excluded: Collection[int]) -> list[int]:
    """Mandatory stops in no route and not known impossible, hardest to place first.

    A stop few vehicles may serve, or whose window closes early, gets first pick of the room
    left; the others have more places to go.
    """
    served = {v.ref for r in plan.routes for v in r.visits if v.kind is VisitKind.STOP}
    out = [
        i
        for i, stop in enumerate(problem.stops)
        if not stop.optional and i not in served and i not in excluded
    ]

    def hardness(i: int) -> tuple[int, int, int]:
        windows = problem.stops[i].time_windows
        closes = min((w.end for w in windows), default=UNLIMITED)
        return int(problem.eligible[i].sum()), closes, i

    return sorted(out, key=hardness)


def _best_candidate(
    problem: RoutingProblem,
    routes: dict[int, RoutePlan],
    costs: dict[int, RouteEvaluation],
    stop: int,
    deadline: Deadline,
) -> _Candidate | None:
    """The cheapest verified route serving ``stop``: idle vehicles first, then used routes.

    Stops at the deadline with the best candidate verified so far (None if none was).
    """
    best: _Candidate | None = None
    for route in _candidates(problem, routes, stop):
        if deadline.expired():
            break
        evaluation = evaluate_route(problem, route)
        if route_violations(evaluation):
            continue
        old = costs.get(route.vehicle)
        new_vehicle = int(old is None and problem.minimize_vehicles_first)
        cost = evaluation.cost - (old.cost if old is not None else 0.0)
        driving = evaluation.travel_seconds - (old.travel_seconds if old is not None else 0)
        key = (new_vehicle, round(cost, 9), driving)
        if best is None or key < best.key:
            best = _Candidate(key, route, evaluation)
    return best


@dataclass(frozen=True)
class Slot:
    """A place to try a stop: a new route of an idle vehicle, or a position in a used route.

    ``position`` is the index in the route's visits the stop goes before (0 for a new route).
    ``final_unload``: the stop's load would come home (it joins the last trip of a problem with
    facilities), so the candidates end with one more unload.
    """

    vehicle: int
    position: int
    new_route: bool
    final_unload: bool = False


def insertion_slots(
    problem: RoutingProblem, routes: Mapping[int, RoutePlan], stop: int
) -> list[Slot]:
    """Every place to try ``stop``, shared by the repair and the insertion advice.

    Idle eligible vehicles first (a new route each), then every position of every used route of
    an eligible vehicle, in visit order, except those the load rules alone rule out (per-trip
    and daily capacity, the stop limit: exact, no timing). ``routes`` maps a vehicle to its
    route; vehicles absent from it are idle.
    """
    eligible = problem.eligible_vehicles(stop)
    slots = [Slot(v, 0, True) for v in eligible if v not in routes]
    loaded = bool(problem.facilities) and any(problem.stops[stop].demands)
    for v in eligible:
        route = routes.get(v)
        if route is None or not _route_has_room(problem, route, stop):
            continue
        fits = _positions_with_room(problem, route, stop)
        last_trip = 1 + max(
            (p for p, visit in enumerate(route.visits) if visit.kind is VisitKind.FACILITY),
            default=-1,
        )
        slots += [Slot(v, p, False, loaded and p >= last_trip) for p, ok in enumerate(fits) if ok]
    return slots


def slot_routes(
    problem: RoutingProblem, routes: Mapping[int, RoutePlan], stop: int, slot: Slot
) -> list[RoutePlan]:
    """The concrete routes to verify for ``stop`` at ``slot`` (none, one, or one per unload).

    A new route is finished by ``multitrip.finish_route`` (the last unload when the problem has
    facilities, and the breaks the vehicle owes); it is absent when no finish is clean. An
    insertion drops planned times and the departure: the stop pushes every later visit, so the
    checker schedules the candidate itself (each visit as early as possible, waiting moved to
    the depot). Breaks stay where they were, between the same two visits. A load put on the
    last trip would come home (DISPOSAL_BEFORE_END), so those candidates end with one more
    unload at each of the nearest facilities: a truck whose trips are full gets another trip.
    """
    served = PlannedVisit(VisitKind.STOP, stop)
    if slot.new_route:
        route = finish_route(problem, slot.vehicle, [served])
        return [route] if route is not None else []
    visits = [PlannedVisit(v.kind, v.ref) for v in routes[slot.vehicle].visits]
    inserted = (*visits[: slot.position], served, *visits[slot.position :])
    if not slot.final_unload:
        return [RoutePlan(slot.vehicle, inserted)]
    return [
        RoutePlan(slot.vehicle, (*inserted, PlannedVisit(VisitKind.FACILITY, f)))
        for f in _unloads_near(problem, slot.vehicle, stop)
    ]


def _candidates(
    problem: RoutingProblem, routes: dict[int, RoutePlan], stop: int
) -> Iterator[RoutePlan]:
    """Every route to verify for ``stop``: a new one per idle vehicle, then the insertions of
    each used route, nearest detour first."""
    places: dict[int, list[int | None]] = {
        v: [_place(problem, visit) for visit in route.visits] for v, route in routes.items()
    }

    def order(slot: Slot) -> tuple[int, ...]:
        # Idle vehicles keep their eligible order (a stable sort); used routes come by vehicle.
        if slot.new_route:
            return (0,)
        detour = _detour(problem, slot.vehicle, places[slot.vehicle], slot.position, stop)
        return (1, slot.vehicle, detour, slot.position)

    for slot in sorted(insertion_slots(problem, routes, stop), key=order):
        yield from slot_routes(problem, routes, stop, slot)


def _unloads_near(problem: RoutingProblem, vehicle: int, stop: int) -> list[int]:
    """The few facilities to try as a new last unload, by the drive stop -> facility -> end."""
    here, end = problem.stops[stop].location, problem.vehicles[vehicle].end

    def drive(f: int) -> int:
        at = problem.facilities[f].location
        return problem.travel(vehicle, here, at) + problem.travel(vehicle, at, end)

    return sorted(range(len(problem.facilities)), key=drive)[:FINAL_FACILITIES_TRIED]


def _route_has_room(problem: RoutingProblem, route: RoutePlan, stop: int) -> bool:
    """False when the stop limit or the daily capacity alone rules the route out."""
    vehicle = problem.vehicles[route.vehicle]
    stops = [v.ref for v in route.visits if v.kind is VisitKind.STOP]
    if vehicle.max_stops and len(stops) >= vehicle.max_stops:
        return False
    day = _load(problem, [*stops, stop])
    return _within(vehicle.daily_capacities, day)


def _positions_with_room(problem: RoutingProblem, route: RoutePlan, stop: int) -> list[bool]:
    """Per insertion position: can the trip there take the stop's load? (exact, no timing)

    A trip runs between unloads; its load may not exceed the per-trip capacity.
    """
    vehicle = problem.vehicles[route.vehicle]
    trips: list[list[int]] = [[]]
    trip_of_position = []
    for visit in route.visits:
        trip_of_position.append(len(trips) - 1)
        if visit.kind is VisitKind.FACILITY:
            trips.append([])
        elif visit.kind is VisitKind.STOP:
            trips[-1].append(visit.ref)
    trip_of_position.append(len(trips) - 1)
    ok = [_within(vehicle.capacities, _load(problem, [*trip, stop])) for trip in trips]
    return [ok[t] for t in trip_of_position]


def _load(problem: RoutingProblem, stops: list[int]) -> list[int]:
    """Total demand of ``stops`` per dimension."""
    return [sum(problem.stops[i].demands[d] for i in stops) for d in range(problem.n_dims)]


def _within(limits: tuple[int, ...] | None, load: list[int]) -> bool:
    """True when no dimension with a limit is over it (missing limits are unlimited)."""
    if limits is None:
        return True
    return all(load[d] <= limits[d] for d in range(min(len(limits), len(load))))


def _place(problem: RoutingProblem, visit: PlannedVisit) -> int | None:
    """Location of a stop or facility visit; None for a break (taken wherever the truck is)."""
    if visit.kind is VisitKind.STOP:
        return problem.stops[visit.ref].location
    if visit.kind is VisitKind.FACILITY:
        return problem.facilities[visit.ref].location
    return None


def _detour(
    problem: RoutingProblem, vehicle: int, places: list[int | None], p: int, stop: int
) -> int:
    """Extra driving seconds of visiting ``stop`` before visit ``p``, between the nearest
    located visits (or start and end). Only orders the positions: the checker decides."""
    truck = problem.vehicles[vehicle]
    before = next((x for x in reversed(places[:p]) if x is not None), truck.start)
    after = next((x for x in places[p:] if x is not None), truck.end)
    here = problem.stops[stop].location
    return (
        problem.travel(vehicle, before, here)
        + problem.travel(vehicle, here, after)
        - problem.travel(vehicle, before, after)
    )


def _assemble(
    plan: RoutingPlan, routes: dict[int, RoutePlan], skipped: dict[int, SkipReason]
) -> RoutingPlan:
    """The plan's routes in their order with the repaired ones swapped in, new routes last."""
    out = [routes.get(r.vehicle, r) for r in plan.routes]
    known = {r.vehicle for r in plan.routes}
    out += [routes[v] for v in sorted(routes) if v not in known]
    return RoutingPlan(tuple(out), skipped)


def repair_outcome(
    problem: RoutingProblem,
    outcome: SolveOutcome | None,
    deadline: Deadline,
    excluded: Collection[int] = (),
) -> SolveOutcome | None:
    """The portfolio's chosen outcome after :func:`repair_skipped`, re-checked and re-reported.

    None passes through (no engine found a plan: nothing to repair). The repair gets at least
    ``MIN_REPAIR_SECONDS`` even past ``deadline``, since the plans that skip stops are mostly
    the ones found when time ran out. The report keeps its engine and adds "+repair" to its
    strategy and a "repair" timing; objective, terms and gap are the checker's for the new plan,
    and an OPTIMAL claim becomes FEASIBLE (it was about the plan before the repair).
    """
    if outcome is None:
        return None
    started = time.monotonic()
    budget = Deadline(max(deadline.at, started + MIN_REPAIR_SECONDS))
    plan = repair_skipped(problem, outcome.plan, budget, excluded)
    if plan is outcome.plan:
        return outcome
    evaluation = evaluate(problem, plan)
    report = outcome.report
    cost = evaluation.cost
    report = replace(
        report,
        status=Status.FEASIBLE if report.status is Status.OPTIMAL else report.status,
        objective=cost,
        objective_terms=dict(evaluation.cost_terms),
        gap=relative_gap(cost, report.bound) if report.bound is not None else None,
        strategy=f"{report.strategy}+repair" if report.strategy else "repair",
        timings={**report.timings, "repair": time.monotonic() - started},
    )
    return replace(outcome, plan=plan, evaluation=evaluation, report=report)
