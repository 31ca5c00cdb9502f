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
    """The plan of a solution OR-Tools returned.

    Times and break starts are read as their stored minimum, not their value. OR-Tools can
    store a solution whose break start is not bound (its whole window, e.g. 200..260: twice in
    about 600 solves of a one-crew request with a 0.15-0.4 s budget on a loaded machine), and
    reading the value of an unbound variable fails a CHECK that aborts the whole process. The
    earliest time is when the route would take it; the independent checker verifies the plan
    either way.
    """
    stored = assignment.IntervalVarContainer()

    def break_start(interval: pywrapcp.IntervalVar) -> int:
        if not stored.Contains(interval):  # not stored: its window, the search being over
            return interval.StartMin()
        return assignment.StartMin(interval)

    return _plan(built, assignment.Value, assignment.Min, break_start)


def current_plan(built: BuiltModel) -> RoutingPlan:
    """The plan of the solution the search is at, read inside an at-solution callback.

    There every routing variable is bound, so its minimum is its value; a break interval's
    earliest start is the start the search would store.
    """

    def lowest(var: pywrapcp.IntVar) -> int:
        return var.Min()

    return _plan(built, lowest, lowest, lambda interval: interval.StartMin())


def _plan(built: BuiltModel, value: ValueOf, time_of: ValueOf, break_start: StartOf) -> RoutingPlan:
    """Walk each vehicle's route through the NextVars (``value``), with the time dimension's
    start times (``time_of``) and the breaks' starts."""
    problem, layout, manager, routing = built.problem, built.layout, built.manager, built.routing
    cumul = built.time.CumulVar
    routes: list[RoutePlan] = []
    served: set[int] = set()
    for v in range(len(problem.vehicles)):
        index = routing.Start(v)
        if routing.IsEnd(value(routing.NextVar(index))):
            continue
        departure = time_of(cumul(index))
        visits: list[tuple[int, PlannedVisit]] = []
        index = value(routing.NextVar(index))
        while not routing.IsEnd(index):
            node = manager.IndexToNode(index)
            start = time_of(cumul(index))
            if node in layout.node_stop:
                served.add(layout.node_stop[node])
                visits.append((start, PlannedVisit(VisitKind.STOP, layout.node_stop[node], start)))
            else:
                visits.append(
                    (start, PlannedVisit(VisitKind.FACILITY, layout.node_facility[node], start))
                )
            index = value(routing.NextVar(index))
        final = layout.final_facility[v]
        end_at = time_of(cumul(index))
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
