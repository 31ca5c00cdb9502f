"""Caller ids of what a planned visit or a violation refers to (one definition for every answer)."""

from __future__ import annotations

from solvers.routing.plan import VisitKind
from solvers.routing.problem import RoutingProblem


def ref_id(problem: RoutingProblem, vehicle: int, kind: VisitKind | None, ref: int) -> str:
    """The caller's id of what a visit or violation refers to ("" when nothing)."""
    if ref < 0 or kind is None:
        return ""
    if kind is VisitKind.STOP:
        return problem.stops[ref].id
    if kind is VisitKind.FACILITY:
        return problem.facilities[ref].id
    if kind is VisitKind.BREAK:
        return problem.vehicles[vehicle].breaks[ref].id
    return problem.vehicles[ref].id
