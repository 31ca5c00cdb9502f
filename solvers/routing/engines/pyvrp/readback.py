"""A PyVRP solution as our plan: copies mapped back to their stops, relaxed routes finished.

Exact models (no breaks, no facilities) keep PyVRP's start times and departures. On a relaxed
model the times are on the clock without breaks, so they are dropped (the checker schedules the
route) and each route is finished by ``multitrip.finish_route``: its breaks placed where the
checker accepts them, starting where the route crossed each cut, and with facilities the real
last unload.
"""

from __future__ import annotations

import bisect
from typing import Any

from solvers.errors import SolverFailedError
from solvers.routing import multitrip
from solvers.routing.break_clock import Clock
from solvers.routing.engines.pyvrp.data import Layout
from solvers.routing.plan import PlannedVisit, RoutePlan, RoutingPlan, SkipReason, VisitKind
from solvers.routing.problem import RoutingProblem

__all__ = ["plan_from", "relaxed"]


def relaxed(problem: RoutingProblem) -> bool:
    """True when the PyVRP model is a relaxation whose routes must be finished (breaks, trips)."""
    return bool(problem.facilities) or any(v.breaks for v in problem.vehicles)


def plan_from(
    pyvrp: Any,
    problem: RoutingProblem,
    solution: Any,
    keep: list[int],
    exclude: frozenset[int],
    layout: Layout,
    clock: Clock,
) -> RoutingPlan:
    """Our plan for PyVRP's ``solution``; stops it leaves out get their reasons.

    Stops no vehicle may serve were not in the model (NO_VEHICLE_WITH_SKILLS); ``exclude`` is
    reported by the caller.
    """
    routes = [_route(pyvrp, problem, route, layout, clock) for route in solution.routes()]
    served = {v.ref for r in routes for v in r.visits if v.kind is VisitKind.STOP}
    kept = set(keep)
    skipped: dict[int, SkipReason] = {}
    for i, s in enumerate(problem.stops):
        if i in served or i in exclude:
            continue
        if i not in kept:
            skipped[i] = SkipReason.NO_VEHICLE_WITH_SKILLS
        else:
            skipped[i] = SkipReason.SKIPPED_FOR_COST if s.optional else SkipReason.NO_CAPACITY_LEFT
    return RoutingPlan(routes=tuple(routes), skipped=skipped)


def _route(
    pyvrp: Any, problem: RoutingProblem, route: Any, layout: Layout, clock: Clock
) -> RoutePlan:
    """Our route for a PyVRP route; on a relaxed model, finished into a real one."""
    vehicle = layout.members[route.vehicle_type()].pop(0)
    finish = relaxed(problem)
    n_facilities = len(problem.facilities)
    visits: list[PlannedVisit] = []
    starts: list[int] = []
    for act in route.schedule():
        if act.type == pyvrp.ActivityType.CLIENT:
            start = None if finish else int(act.start_time)
            visits.append(PlannedVisit(VisitKind.STOP, layout.client_stop[act.idx], start=start))
        elif (
            act.type == pyvrp.ActivityType.DEPOT
            and layout.first_facility <= act.idx < layout.first_facility + n_facilities
        ):
            visits.append(PlannedVisit(VisitKind.FACILITY, act.idx - layout.first_facility))
        else:
            continue
        starts.append(int(act.start_time))
    if not finish:
        return RoutePlan(vehicle=vehicle, visits=tuple(visits), departure=int(route.start_time()))
    v = problem.vehicles[vehicle]
    if v.max_stops and sum(1 for x in visits if x.kind is VisitKind.STOP) > v.max_stops:
        raise SolverFailedError(f"pyvrp: the route of {v.id} is over its {v.max_stops} stops")
    cuts = [bisect.bisect_left(starts, clock.at_cut(b)) for b in v.breaks]
    finished = multitrip.finish_route(problem, vehicle, visits, cuts)
    if finished is None:
        what = "breaks and last unload" if problem.facilities else "breaks"
        raise SolverFailedError(f"pyvrp: found no place for the {what} of {v.id}")
    return finished
