"""The whole-plan check of a stitched plan, reading only the legs its routes drive.

The checker simulates each route on its own: timings, loads, breaks, shift and route limits
depend only on that route's vehicle, visits and legs. Only two rules look across routes: a stop
served twice, and a mandatory stop served nowhere without a reason. So the whole plan is
checked exactly by running :func:`solvers.routing.checker.evaluate` on each route's own small
problem (its vehicle, its stops, every facility; a matrix of (route stops + facilities + 2)^2
cells) and applying the two plan rules and the skip penalties here. Tests compare this with
``evaluate`` on the full problem for instances small enough to have a full matrix.
"""

from __future__ import annotations

from dataclasses import dataclass

from solvers.errors import FieldProblem, InvalidProblemError
from solvers.routing.checker import COST_TERMS, evaluate, unserved_stops
from solvers.routing.decompose.large import LargeProblem, Part, part_problem, to_local
from solvers.routing.plan import (
    PlanEvaluation,
    RouteEvaluation,
    RoutingPlan,
    Violation,
    ViolationType,
    VisitKind,
)


@dataclass(frozen=True)
class WholeEvaluation(PlanEvaluation):
    """The checker's verdict on a whole large plan, in the checker's own result type.

    Violations, ``served`` and ``skipped`` use global stop indices; the refs inside ``routes``
    are route-local (each route was checked on its own small problem): use them for totals only.
    """

    @property
    def travel_seconds(self) -> int:
        """Driving time of the whole plan."""
        return sum(r.travel_seconds for r in self.routes)


def check_whole(large: LargeProblem, plan: RoutingPlan) -> WholeEvaluation:
    """Evaluate ``plan`` on ``large`` route by route (see the module docstring)."""
    _check_structure(large, plan)
    times = [0] * len(large.stops)
    violations: list[Violation] = []
    routes: list[RouteEvaluation] = []
    terms = dict.fromkeys(COST_TERMS, 0.0)
    for route in plan.routes:
        stops = sorted({v.ref for v in route.visits if v.kind is VisitKind.STOP})
        # Repeats inside the route are the local check's; a stop an earlier route served is
        # one repeat here (the full checker reports one DUPLICATE_VISIT per repeat).
        violations.extend(_duplicate(large, i) for i in stops if times[i])
        for v in route.visits:
            if v.kind is VisitKind.STOP:
                times[v.ref] += 1
        part = Part(f"route-{route.vehicle}", tuple(stops), (route.vehicle,))
        local = evaluate(part_problem(large, part), to_local(part, RoutingPlan((route,))))
        for name, value in local.cost_terms.items():  # per-route terms; skips are plan-wide
            if name != "skip_penalty":
                terms[name] = terms.get(name, 0.0) + value
        routes.extend(local.routes)
        violations.extend(_global(part, v) for v in local.violations)
    served = frozenset(i for i, n in enumerate(times) if n)
    terms["skip_penalty"], missing = unserved_stops(large.stops, served, plan.skipped)
    violations.extend(missing)
    return WholeEvaluation(
        violations=tuple(violations),
        cost_terms=terms,
        routes=tuple(routes),
        served=served,
        skipped=frozenset(range(len(large.stops))) - served,
    )


def _check_structure(large: LargeProblem, plan: RoutingPlan) -> None:
    """Vehicles in range and used once; stop refs in range (else the plan cannot be read)."""
    problems, seen = [], set()
    for i, route in enumerate(plan.routes):
        if not 0 <= route.vehicle < len(large.vehicles):
            problems.append(FieldProblem(f"routes[{i}].vehicle", "no such vehicle"))
        elif route.vehicle in seen:
            problems.append(FieldProblem(f"routes[{i}].vehicle", "vehicle has two routes"))
        seen.add(route.vehicle)
        for j, v in enumerate(route.visits):
            if v.kind is VisitKind.STOP and not 0 <= v.ref < len(large.stops):
                problems.append(FieldProblem(f"routes[{i}].visits[{j}].ref", "no such STOP"))
    if problems:
        raise InvalidProblemError(problems)


def _global(part: Part, violation: Violation) -> Violation:
    """A route-local violation with its stop ref in global indices."""
    if violation.kind is VisitKind.STOP and violation.ref >= 0:
        return Violation(
            violation.type,
            part.stops[violation.ref],
            violation.kind,
            violation.amount,
            violation.detail,
        )
    return violation


def _duplicate(large: LargeProblem, index: int) -> Violation:
    return Violation(
        ViolationType.DUPLICATE_VISIT,
        ref=index,
        kind=VisitKind.STOP,
        amount=1,
        detail=f"Stop {large.stops[index].id} is served by more than one route.",
    )
