"""The start of a re-plan: the plan the crews have, with the new work inserted.

Why: a re-plan during the day (issue #13) used to search from scratch, so a few seconds of
search competed with a morning plan that had minutes, and the answer reshuffled every crew. The
day replay measured it: a 5 s re-plan drove more than the morning plan plus cheapest insertions,
and its ETAs moved far more than its stops. Searching from the reference plan (the routes the
crews drive now, minus what is done or gone, with the new stops put in by the insertion advice)
means the search can only improve on what the dispatcher would get by inserting by hand, by the
engine's own objective, churn cost included.

:func:`reference_start` builds that plan from ``RoutingProblem.replan``:

1. Each vehicle's reference stops, in reference order (by reference start of service), that it
   may still serve (eligible, not excluded), behind its frozen prefix (the KEEP_SEQUENCE locks,
   in their order). With facilities, an unload is put in front of a stop whenever the trip's
   capacity would otherwise overflow (the reference plan's unloads are not part of the re-plan).
2. The route finished as the checker wants it (breaks, a last unload: ``multitrip.finish_route``).
   Each break is tried first where the reference times show it was taken (the first gap
   between two reference stops as long as the break, inside its window; else after the last
   stop): a break moved elsewhere shifts every ETA between the two places by its length, which
   the churn cost prices (measured on the day replay: 31,292 s of ETA shift in one re-plan with
   the breaks mid-route, before any new stop was inserted). The route is kept only when it
   breaks no rule; otherwise the longest clean head of it is kept (found by bisection) and the
   tail goes back to the pending stops.
3. Every pending stop (new, of a vehicle gone, moved by a lock, cut off a route), hardest first,
   put where ``solvers.routing.insertion.advise`` finds its best verified place; optional stops
   only when that place costs less than skipping them. Stops without a place stay out: the
   engine's search may still find them one.

Every route of the result is clean by the independent checker, so an engine that accepts it
starts from a feasible plan. Engine-independent: the OR-Tools search reads it as its warm start.
"""

from __future__ import annotations

import math
from collections.abc import Collection

from solvers.budget import Deadline
from solvers.routing.checker import evaluate_route, route_violations
from solvers.routing.insertion import advise
from solvers.routing.multitrip import finish_route
from solvers.routing.plan import PlannedVisit, RoutePlan, RoutingPlan, SkipReason, VisitKind
from solvers.routing.problem import UNLIMITED, RoutingProblem

__all__ = ["BUDGET_SHARE", "budgeted_start", "has_reference", "reference_routes", "reference_start"]

#: Share of what is left of a re-plan's budget that building its start may take.
BUDGET_SHARE = 0.25


def has_reference(problem: RoutingProblem) -> bool:
    """True when the problem is a re-plan with a reference plan to start from.

    Frozen prefixes alone are no plan to start from: the rest would be a whole plan built by
    insertion, which the engines' own first solutions do faster."""
    replan = problem.replan
    return replan is not None and bool(replan.reference_vehicle)


def budgeted_start(
    problem: RoutingProblem, exclude: Collection[int], deadline: Deadline, deterministic: bool
) -> RoutingPlan | None:
    """:func:`reference_start` within ``BUDGET_SHARE`` of what is left of ``deadline``; in
    deterministic mode all it needs, so the start does not depend on the clock."""
    if not has_reference(problem):
        return None
    clock = Deadline(math.inf) if deterministic else deadline
    return reference_start(problem, exclude, Deadline.after(clock.share(BUDGET_SHARE)))


def reference_start(
    problem: RoutingProblem, exclude: Collection[int], deadline: Deadline
) -> RoutingPlan | None:
    """The reference plan, cleaned and completed by insertion; None without a reference plan.

    ``exclude``: stops the pre-check ruled out (never placed). The deadline is checked between
    insertions; stops not placed by then are left out of the start (reported NO_CAPACITY_LEFT).
    """
    if not has_reference(problem):
        return None
    excluded = set(exclude)
    routes: dict[int, RoutePlan] = {}
    placed: set[int] = set()
    for k in range(len(problem.vehicles)):
        route = _clean_head(problem, k, reference_routes(problem, k, excluded))
        if route is not None:
            routes[k] = route
            placed.update(v.ref for v in route.visits if v.kind is VisitKind.STOP)
    pending = [i for i in range(len(problem.stops)) if i not in placed and i not in excluded]
    skipped = _insert(problem, routes, _hardest_first(problem, pending), deadline)
    return RoutingPlan(tuple(routes[k] for k in sorted(routes)), skipped)


def reference_routes(problem: RoutingProblem, vehicle: int, exclude: Collection[int]) -> list[int]:
    """The stops ``vehicle`` keeps from the reference plan: its frozen prefix, then its other
    reference stops in reference order, each only if the vehicle may serve it."""
    replan = problem.replan
    if replan is None:
        return []
    eligible = problem.eligible[:, vehicle]
    prefix = [i for i in replan.prefix(vehicle) if i not in exclude and eligible[i]]
    rest = sorted(
        (
            i
            for i, owner in replan.reference_vehicle.items()
            if owner == vehicle and i not in exclude and eligible[i] and i not in prefix
        ),
        key=lambda i: (replan.reference_start.get(i, UNLIMITED), i),
    )
    return prefix + rest


def _clean_head(problem: RoutingProblem, vehicle: int, stops: list[int]) -> RoutePlan | None:
    """The finished route of the longest head of ``stops`` that breaks no rule (None: none).

    Cleanliness is close to monotone in the head's length (fewer stops, fewer ways to be late
    or full), so the longest clean head is found by bisection after the whole route is tried.
    """
    if not stops:
        return None
    whole = _finished(problem, vehicle, stops)
    if whole is not None:
        return whole
    best: RoutePlan | None = None
    low, high = 1, len(stops) - 1
    while low <= high:
        middle = (low + high) // 2
        route = _finished(problem, vehicle, stops[:middle])
        if route is None:
            high = middle - 1
        else:
            best, low = route, middle + 1
    return best


def _finished(problem: RoutingProblem, vehicle: int, stops: list[int]) -> RoutePlan | None:
    """``stops`` as a real route (unloads where a trip would overflow, breaks, a last unload),
    or None when it breaks a rule."""
    visits = _with_unloads(problem, vehicle, stops)
    route = finish_route(problem, vehicle, visits, _break_hints(problem, vehicle, visits))
    if route is None or route_violations(evaluate_route(problem, route)):
        return None
    return route


def _break_hints(problem: RoutingProblem, vehicle: int, visits: list[PlannedVisit]) -> list[int]:
    """Per break of the vehicle, the index of the visit it preceded in the reference plan, as
    its reference times show: the first stop whose reference start leaves, after the previous
    stop's service and the drive, a gap as long as the break, with the previous stop ending
    before the break window closes. After the last stop when none does (taken on the way
    home)."""
    replan = problem.replan
    starts = replan.reference_start if replan is not None else {}
    v = problem.vehicles[vehicle]
    out = []
    for brk in v.breaks:
        hint = len(visits)
        free_at, here = v.shift.start, v.start
        for p, visit in enumerate(visits):
            if visit.kind is not VisitKind.STOP:
                free_at, here = -1, problem.facilities[visit.ref].location
                continue
            stop = problem.stops[visit.ref]
            start = starts.get(visit.ref)
            if start is not None and 0 <= free_at <= brk.start_window.end:
                took = max(free_at, brk.start_window.start) + brk.duration
                if start - problem.travel(vehicle, here, stop.location) >= took:
                    hint = p
                    break
            free_at = -1 if start is None else start + stop.service_duration
            here = stop.location
        out.append(hint)
    return out


def _with_unloads(problem: RoutingProblem, vehicle: int, stops: list[int]) -> list[PlannedVisit]:
    """The stops as visits, an unload before each stop that would overflow the trip."""
    visits = [PlannedVisit(VisitKind.STOP, i) for i in stops]
    capacity = problem.vehicles[vehicle].capacities
    if not problem.facilities or capacity is None:
        return visits
    initial = problem.vehicles[vehicle].initial_load
    load = [initial[d] if d < len(initial) else 0 for d in range(len(capacity))]
    out: list[PlannedVisit] = []
    here = problem.vehicles[vehicle].start
    for visit in visits:
        stop = problem.stops[visit.ref]
        demand = [stop.demands[d] if d < len(stop.demands) else 0 for d in range(len(capacity))]
        if any(q + x > c for q, x, c in zip(load, demand, capacity, strict=True)) and any(load):
            f = _nearest_unload(problem, vehicle, here, stop.location)
            out.append(PlannedVisit(VisitKind.FACILITY, f))
            load = [0] * len(capacity)
        out.append(visit)
        load = [q + x for q, x in zip(load, demand, strict=True)]
        here = stop.location
    return out


def _nearest_unload(problem: RoutingProblem, vehicle: int, here: int, there: int) -> int:
    """The facility with the shortest detour from ``here`` to ``there``."""

    def detour(f: int) -> int:
        at = problem.facilities[f].location
        return problem.travel(vehicle, here, at) + problem.travel(vehicle, at, there)

    return min(range(len(problem.facilities)), key=detour)


def _hardest_first(problem: RoutingProblem, stops: list[int]) -> list[int]:
    """Mandatory stops before optional ones; among them, fewest eligible vehicles, then the
    earliest closing window (as the repair orders them): they get first pick of the room."""

    def hardness(i: int) -> tuple[bool, int, int, int]:
        stop = problem.stops[i]
        closes = min((w.end for w in stop.time_windows), default=UNLIMITED)
        return stop.optional, int(problem.eligible[i].sum()), closes, i

    return sorted(stops, key=hardness)


def _insert(
    problem: RoutingProblem, routes: dict[int, RoutePlan], stops: list[int], deadline: Deadline
) -> dict[int, SkipReason]:
    """Put each stop at its best verified place (in ``routes``); the stops left out, and why."""
    skipped: dict[int, SkipReason] = {}
    for n, i in enumerate(stops):
        if deadline.expired():
            skipped.update({j: SkipReason.NO_CAPACITY_LEFT for j in stops[n:]})
            break
        plan = RoutingPlan(tuple(routes.values()))
        (advice,) = advise(problem, plan, [i], deadline, max_options=1).stops
        stop = problem.stops[i]
        option = advice.options[0] if advice.options else None
        if option is None or (stop.optional and option.cost_delta >= stop.skip_penalty):
            skipped[i] = advice.reason or SkipReason.NO_CAPACITY_LEFT
            continue
        routes[option.vehicle] = option.route
    return skipped
