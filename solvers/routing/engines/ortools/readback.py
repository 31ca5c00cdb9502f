"""Between OR-Tools solutions and RoutingPlans: reading a solution back, and a warm-start plan
as routes of routing indices.

The plan carries the solver's departure and service start times, so the independent checker
verifies exactly what the solver decided.
"""

from __future__ import annotations

from collections.abc import Callable

from ortools.constraint_solver import pywrapcp

from solvers.routing.engines.ortools.model import BuiltModel
from solvers.routing.plan import PlannedVisit, RoutePlan, RoutingPlan, SkipReason, VisitKind
from solvers.routing.problem import RoutingProblem

#: The value of a routing variable in the solution being read.
ValueOf = Callable[[pywrapcp.IntVar], int]
#: The start of a break interval in the solution being read.
StartOf = Callable[[pywrapcp.IntervalVar], int]


def read_plan(built: BuiltModel, assignment: pywrapcp.Assignment) -> RoutingPlan:
    """The plan of a solution OR-Tools returned."""
    return _plan(built, assignment.Value, assignment.StartValue)


def current_plan(built: BuiltModel) -> RoutingPlan:
    """The plan of the solution the search is at, read inside an at-solution callback.

    There every routing variable is bound, so its minimum is its value; a break interval's
    earliest start is the start the search would store.
    """
    return _plan(built, lambda var: var.Min(), lambda interval: interval.StartMin())


def _plan(built: BuiltModel, value: ValueOf, break_start: StartOf) -> RoutingPlan:
    """Walk each vehicle's route through the NextVars, with the time dimension's start times."""
    problem, layout, manager, routing = built.problem, built.layout, built.manager, built.routing
    cumul = built.time.CumulVar
    routes: list[RoutePlan] = []
    served: set[int] = set()
    for v in range(len(problem.vehicles)):
        index = routing.Start(v)
        if routing.IsEnd(value(routing.NextVar(index))):
            continue
        departure = value(cumul(index))
        visits: list[tuple[int, PlannedVisit]] = []
        index = value(routing.NextVar(index))
        while not routing.IsEnd(index):
            node = manager.IndexToNode(index)
            start = value(cumul(index))
            if node in layout.node_stop:
                served.add(layout.node_stop[node])
                visits.append((start, PlannedVisit(VisitKind.STOP, layout.node_stop[node], start)))
            else:
                visits.append(
                    (start, PlannedVisit(VisitKind.FACILITY, layout.node_facility[node], start))
                )
            index = value(routing.NextVar(index))
        final = layout.final_facility[v]
        end_at = value(cumul(index))
        if final is not None:
            visits.append((end_at, PlannedVisit(VisitKind.FACILITY, final, end_at)))
        starts = {b: break_start(interval) for b, interval in built.breaks.get(v, {}).items()}
        placed = _with_breaks(built, v, visits, end_at, starts)
        routes.append(RoutePlan(v, tuple(placed), departure=departure))
    skipped: dict[int, SkipReason] = dict(built.model_skipped)
    for i in layout.node_stop.values():
        if i not in served and i not in skipped:
            optional = problem.stops[i].optional
            skipped[i] = SkipReason.SKIPPED_FOR_COST if optional else SkipReason.NO_CAPACITY_LEFT
    return RoutingPlan(routes=tuple(routes), skipped=skipped)


def _with_breaks(
    built: BuiltModel,
    v: int,
    visits: list[tuple[int, PlannedVisit]],
    end_at: int,
    break_starts: dict[int, int],
) -> list[PlannedVisit]:
    """Insert break visits after the last visit that starts no later than the break.

    ``end_at`` is the end cumul (arrival home, or the start of the final unload when the
    vehicle has a final facility, which is then the last of ``visits``). OR-Tools may put a
    break after that. Such a break is dropped when the crew is home before its window opens
    (none is owed); otherwise it is taken at its solver time before the final unload (or at the
    end of the route), and the final unload waits for it. Its window was clipped so that the
    route still ends inside the shift.
    """
    if not break_starts:
        return [visit for _, visit in visits]
    problem = built.problem
    vehicle = problem.vehicles[v]
    home = end_at + built.layout.tail_seconds[v]
    final = visits.pop() if built.layout.final_facility[v] is not None else None
    placed: list[tuple[int, int, PlannedVisit]] = [(t, 1, pv) for t, pv in visits]
    late: list[tuple[int, int]] = []
    for b, start in break_starts.items():
        if start >= end_at:
            if home > vehicle.breaks[b].start_window.start:
                late.append((start, b))
            continue
        placed.append((start, 2, PlannedVisit(VisitKind.BREAK, b, start)))
    # Sorting by time puts a break after the visit it follows; a service cannot contain a
    # break (visit transits are not interruptible), so the order is the route order.
    order = sorted(range(len(placed)), key=lambda j: (placed[j][0], placed[j][1], j))
    out: list[PlannedVisit] = []
    free_at = 0
    for j in order:
        start, _, visit = placed[j]
        if visit.kind is VisitKind.BREAK and start < free_at:
            visit = PlannedVisit(VisitKind.BREAK, visit.ref, free_at)
        out.append(visit)
        free_at = (visit.start or 0) + _duration(problem, v, visit)
    for start, b in sorted(late):
        visit = PlannedVisit(VisitKind.BREAK, b, max(start, free_at))
        out.append(visit)
        free_at = (visit.start or 0) + vehicle.breaks[b].duration
    if final is not None:
        _, visit = final
        out.append(PlannedVisit(VisitKind.FACILITY, visit.ref, max(visit.start or 0, free_at)))
    return out


def _duration(problem: RoutingProblem, v: int, visit: PlannedVisit) -> int:
    if visit.kind is VisitKind.STOP:
        return problem.stops[visit.ref].service_duration
    if visit.kind is VisitKind.FACILITY:
        return problem.facilities[visit.ref].unload_duration
    return problem.vehicles[v].breaks[visit.ref].duration


def initial_routes(built: BuiltModel, plan: RoutingPlan) -> list[list[int]]:
    """The warm-start plan as routing indices; parts the model cannot express are dropped."""
    layout, manager = built.layout, built.manager
    free = {f: list(nodes) for f, nodes in layout.facility_nodes.items()}
    routes: list[list[int]] = [[] for _ in built.problem.vehicles]
    used: set[int] = set()
    for route in plan.routes:
        if not 0 <= route.vehicle < len(routes) or routes[route.vehicle]:
            continue
        indices = []
        for visit in route.visits:
            node = None
            if visit.kind is VisitKind.STOP:
                node = layout.stop_node.get(visit.ref)
            elif visit.kind is VisitKind.FACILITY and free.get(visit.ref):
                node = free[visit.ref].pop()
            if node is None or node in used:
                continue
            used.add(node)
            indices.append(manager.NodeToIndex(node))
        # The last unload is the end node itself when the vehicle has a final facility.
        if layout.final_facility[route.vehicle] is not None and indices:
            last = manager.IndexToNode(indices[-1])
            if last in layout.node_facility:
                indices.pop()
        routes[route.vehicle] = indices
    return routes
