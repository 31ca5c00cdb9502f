"""A large plan's checked routes in the large problem's own indices, for the answer.

:func:`~solvers.routing.decompose.whole_check.check_whole` gives the verdict on a stitched plan
(violations, served, skipped, cost terms) but keeps each route as its route-local check saw it:
vehicle 0, stops and locations numbered in the route's small problem. An answer names vehicles,
stops and locations, so :func:`evaluate_large` re-checks each route on the same small problem
(the same checker, the same legs from the travel model) and maps its timings back to the large
problem's indices. The answer of a night too big for a matrix is then built exactly like any
other answer: from the checker's evaluation, never from a solver's numbers.
"""

from __future__ import annotations

from dataclasses import replace

from solvers.routing.checker import evaluate
from solvers.routing.decompose.large import LargeProblem, Part, part_problem, to_local
from solvers.routing.decompose.whole_check import WholeEvaluation, check_whole
from solvers.routing.plan import (
    RouteEvaluation,
    RoutePlan,
    RoutingPlan,
    Violation,
    VisitKind,
    VisitTiming,
)


def evaluate_large(large: LargeProblem, plan: RoutingPlan) -> WholeEvaluation:
    """``check_whole``'s verdict on ``plan`` with every route in ``large``'s indices.

    Each route is checked twice (once for the verdict, once here): at 20,000 stops that is
    about two seconds, against minutes of search.
    """
    verdict = check_whole(large, plan)
    location = {name: g for g, name in enumerate(large.location_ids)}
    routes = tuple(route for r in plan.routes for route in _global_routes(large, r, location))
    return replace(verdict, routes=routes)


def _global_routes(
    large: LargeProblem, route: RoutePlan, location: dict[str, int]
) -> list[RouteEvaluation]:
    """The route checked on its own small problem, in the large problem's indices."""
    stops = sorted({v.ref for v in route.visits if v.kind is VisitKind.STOP})
    part = Part(f"route-{route.vehicle}", tuple(stops), (route.vehicle,))
    small = part_problem(large, part)
    local = evaluate(small, to_local(part, RoutingPlan((route,))))
    places = [location[name] for name in small.location_ids]
    return [
        replace(
            r,
            vehicle=part.vehicles[r.vehicle],
            visits=tuple(_global_visit(part, places, t) for t in r.visits),
            violations=tuple(_global_violation(part, v) for v in r.violations),
        )
        for r in local.routes
    ]


def _global_visit(part: Part, places: list[int], timing: VisitTiming) -> VisitTiming:
    """A route-local timing with its ref and location in the large problem's indices.

    Facility and break refs need no mapping: a part keeps every facility in its order and a
    break's ref is its index in its own vehicle's breaks.
    """
    return replace(
        timing,
        ref=_global_ref(part, timing.kind, timing.ref),
        location=places[timing.location],
        violations=tuple(_global_violation(part, v) for v in timing.violations),
    )


def _global_violation(part: Part, violation: Violation) -> Violation:
    return replace(violation, ref=_global_ref(part, violation.kind, violation.ref))


def _global_ref(part: Part, kind: VisitKind | None, ref: int) -> int:
    """A stop's or a vehicle's (START, END) ref in global indices; others are unchanged."""
    if ref < 0:
        return ref
    if kind is VisitKind.STOP:
        return part.stops[ref]
    if kind in (VisitKind.START, VisitKind.END):
        return part.vehicles[ref]
    return ref
