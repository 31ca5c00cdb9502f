"""The OR-Tools RoutingModel of a problem (see FORMULATION.md).

Every transit is a registered matrix or vector, so the search never calls back into Python
(DESIGN: Python transit callbacks are the classic bottleneck); the one exception, models with
breaks, is explained at :func:`_transit_callback`.
"""

from __future__ import annotations

import itertools
from array import array
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from ortools.constraint_solver import pywrapcp

from solvers.errors import SolverFailedError
from solvers.routing.engines.fleet import break_window, clip, eligible_vehicles, owed_breaks
from solvers.routing.engines.ortools.layout import Layout, layout
from solvers.routing.engines.ortools.loads import add_loads, add_max_stops
from solvers.routing.engines.ortools.replan import add_replanning, churn_bound
from solvers.routing.plan import SkipReason
from solvers.routing.problem import RoutingProblem, TimeWindow, Vehicle, merged_windows
from solvers.routing.soft_windows import hard_span, soft_window

#: Model cost units per objective unit. 360 000 = 3600 x 100 makes a cost_per_hour with two
#: decimals an exact integer per second (cost_per_hour x 100) and cost_per_km an exact integer
#: per metre for three decimals (cost_per_km x 360).
COST_SCALE = 360_000
#: Travel cost per second when no vehicle has any cost coefficient: 1 objective unit per hour.
_DEFAULT_TIME_RATE = COST_SCALE // 3600
_MAX_PENALTY = 2**61
_NO_COMPRESSION = 0  # ConstraintSolverParameters.NO_COMPRESSION in solver_parameters.proto

Transit = Callable[[int, int], int]


@dataclass
class BuiltModel:
    """The OR-Tools objects of one problem, kept together for solving and reading back."""

    problem: RoutingProblem
    layout: Layout
    manager: pywrapcp.RoutingIndexManager
    routing: pywrapcp.RoutingModel
    time: pywrapcp.RoutingDimension
    breaks: dict[int, dict[int, pywrapcp.IntervalVar]]  # vehicle -> break index -> interval
    model_skipped: dict[int, SkipReason]
    mandatory_penalty: int
    eligible: dict[int, list[int]]
    vehicle_bonus: int = 0  # extra fixed cost per used vehicle (MIN_VEHICLES_THEN_COST)
    mandatory_indices: tuple[int, ...] = ()
    callbacks: tuple[Transit, ...] = ()  # kept alive while OR-Tools calls them

    def plain_objective(self, cost: int, used: int) -> float:
        """The solver's cost without the modelling penalties, in objective units.

        Removes the mandatory-stop penalties of stops not (yet) served and the
        vehicle-minimising bonus; what is left estimates the contract's objective.
        """
        missing = sum(1 for i in self.mandatory_indices if self.routing.ActiveVar(i).Max() == 0)
        return (cost - missing * self.mandatory_penalty - used * self.vehicle_bonus) / COST_SCALE


@dataclass
class _Time:
    """The time dimension and what the later parts of the model need from building it."""

    dim: pywrapcp.RoutingDimension
    horizon: int
    matrix: dict[int, np.ndarray]  # profile -> travel seconds between nodes
    callbacks: list[Transit]


def build(problem: RoutingProblem, exclude: frozenset[int] = frozenset()) -> BuiltModel:
    """Build the routing model of ``problem`` without the stops in ``exclude``."""
    n_vehicles = len(problem.vehicles)
    if n_vehicles == 0:
        raise SolverFailedError("ortools: no vehicles")
    keep = [i for i in range(len(problem.stops)) if i not in exclude]
    nodes = layout(problem, keep)
    eligible = eligible_vehicles(problem, nodes.fleet, keep)
    model_skipped = {i: SkipReason.NO_VEHICLE_WITH_SKILLS for i, vs in eligible.items() if not vs}
    manager = pywrapcp.RoutingIndexManager(
        len(nodes.node_location), n_vehicles, nodes.start_nodes, nodes.end_nodes
    )
    routing = pywrapcp.RoutingModel(manager, _model_parameters())
    time = _add_time(problem, nodes, manager, routing)
    mandatory, bonus = _add_costs(problem, nodes, routing, time, keep)
    mandatory = min(_MAX_PENALTY, mandatory + churn_bound(problem, time.horizon, COST_SCALE))
    _add_shifts(problem, nodes, routing, time.dim)
    _add_stops(problem, nodes, manager, routing, time, keep, eligible, model_skipped, mandatory)
    _add_facility_copies(problem, nodes, manager, routing, time)
    add_loads(problem, nodes, manager, routing)
    add_max_stops(problem, nodes, routing)
    add_replanning(problem, nodes, manager, routing, time.dim, COST_SCALE)
    breaks = _add_breaks(problem, nodes, manager, routing, time.dim)
    return BuiltModel(
        problem,
        nodes,
        manager,
        routing,
        time.dim,
        breaks,
        model_skipped,
        mandatory,
        {i: ([] if i in model_skipped else vs) for i, vs in eligible.items()},
        vehicle_bonus=bonus,
        mandatory_indices=tuple(
            manager.NodeToIndex(nodes.stop_node[i])
            for i in keep
            if not problem.stops[i].optional and i not in model_skipped
        ),
        callbacks=tuple(time.callbacks),
    )


def _model_parameters() -> object:
    """OR-Tools' model parameters with the search trail kept uncompressed.

    The default compresses the trail with zlib; on Kim 1932_stop that was a third of the CPU
    (perf). Uncompressed, the search from the constructed start found 745 solutions in 30 s
    instead of 553 (1932_stop, 1280 miles instead of 1306) and 444 in 20 s instead of 276
    (2100_stop) at the same peak memory; 100-stop Solomon runs were identical.
    """
    params = pywrapcp.DefaultRoutingModelParameters()
    params.solver_parameters.compress_trail = _NO_COMPRESSION
    return params


def _add_time(
    problem: RoutingProblem,
    nodes: Layout,
    manager: pywrapcp.RoutingIndexManager,
    routing: pywrapcp.RoutingModel,
) -> _Time:
    """The time dimension: travel plus the service at the from-node, one transit per matrix."""
    loc = np.asarray(nodes.node_location, dtype=np.int64)
    service = np.asarray(nodes.node_service, dtype=np.int64)
    evaluators: dict[int, int] = {}
    matrices: dict[int, np.ndarray] = {}
    with_breaks = any(
        nodes.usable[v] and owed_breaks(vehicle) for v, vehicle in enumerate(problem.vehicles)
    )
    callbacks: list[Transit] = []
    for vehicle in problem.vehicles:
        k = vehicle.profile
        if k in evaluators:
            continue
        travel = np.asarray(problem.durations[k], dtype=np.int64)[np.ix_(loc, loc)]
        matrices[k] = travel
        transit = travel + service[:, None]
        if with_breaks:
            callbacks.append(_transit_callback(manager, routing, transit))
            evaluators[k] = routing.RegisterTransitCallback(callbacks[-1])
        else:
            evaluators[k] = routing.RegisterTransitMatrix(transit.tolist())
    # Slack and cumul bound: every shift end, with room for the empty route of a vehicle that
    # stays home because even that does not fit its shift.
    longest = max(int(m.max(initial=0)) for m in matrices.values())
    horizon = (
        max(int(v.shift.end) for v in problem.vehicles)
        + longest
        + max(nodes.tail_seconds, default=0)
    )
    routing.AddDimensionWithVehicleTransitAndCapacity(
        [evaluators[v.profile] for v in problem.vehicles],
        horizon,
        [horizon] * len(problem.vehicles),
        False,
        "time",
    )
    return _Time(routing.GetDimensionOrDie("time"), horizon, matrices, callbacks)


def _transit_callback(
    manager: pywrapcp.RoutingIndexManager, routing: pywrapcp.RoutingModel, transit: np.ndarray
) -> Transit:
    """The time transit as a Python callback over routing indices, for models with breaks.

    OR-Tools 9.15's break propagator (GlobalVehicleBreaksConstraint) passes the dimension's
    transit evaluator by value on every propagation, and a matrix registered with
    RegisterTransitMatrix lives inside that evaluator: each call copied the whole matrix
    (48 MB at Kim 2100_stop). One neighbour took seconds, and completing the first solution
    outran OR-Tools' 100 ms completion limit (``lns_time_limit``), so the search answered
    nothing on Kim 1932 and 2100. A Python callback is copied as a reference. Measured at 30 s
    from the constructed start: 2100_stop found 400 solutions (none before; 24 with a 3 s
    completion limit), 804_stop 976 (528 before), and the small instances no fewer. Models
    without breaks keep the matrix, which OR-Tools reads without calling into Python.
    """
    order = [manager.IndexToNode(i) for i in range(routing.Size() + routing.vehicles())]
    by_index = np.ascontiguousarray(transit[np.ix_(order, order)], dtype=np.int64)
    rows = [array("q", row.tobytes()) for row in by_index]  # no Python int per entry

    def transit_of(i: int, j: int) -> int:
        return rows[i][j]

    return transit_of


def _rates(vehicle: Vehicle, has_distances: bool) -> tuple[int, int]:
    """(model cost per second of route duration, model cost per metre driven)."""
    per_second = round(vehicle.cost_per_hour * COST_SCALE / 3600)
    per_metre = round(vehicle.cost_per_km * COST_SCALE / 1000) if has_distances else 0
    return per_second, per_metre


def _add_costs(
    problem: RoutingProblem,
    nodes: Layout,
    routing: pywrapcp.RoutingModel,
    time: _Time,
    keep: list[int],
) -> tuple[int, int]:
    """Arc, slack and fixed costs in model units (see COST_SCALE).

    Returns (penalty for leaving a mandatory stop out, extra fixed cost per used vehicle):
    both exceed every route cost, so serving stops comes first and, when asked for, using
    fewer vehicles second.
    """
    any_cost = any(v.fixed_cost or v.cost_per_hour or v.cost_per_km for v in problem.vehicles)
    arc_eval: dict[tuple[int, int, int], int] = {}
    route_bound = 0
    for v in range(len(problem.vehicles)):
        route_bound += _vehicle_costs(problem, nodes, routing, time, v, any_cost, arc_eval)
    route_bound += _soft_window_bound(problem, keep)
    optional_total = sum(
        round(problem.stops[i].skip_penalty * COST_SCALE) for i in keep if problem.stops[i].optional
    )
    bonus = 0
    if problem.minimize_vehicles_first:
        bonus = route_bound + optional_total + 1
        for v in range(len(problem.vehicles)):
            routing.SetFixedCostOfVehicle(routing.GetFixedCostOfVehicle(v) + bonus, v)
        route_bound += bonus * len(problem.vehicles)
    return min(_MAX_PENALTY, route_bound + optional_total + 1), bonus


def _vehicle_costs(
    problem: RoutingProblem,
    nodes: Layout,
    routing: pywrapcp.RoutingModel,
    time: _Time,
    v: int,
    any_cost: bool,
    arc_eval: dict[tuple[int, int, int], int],
) -> int:
    """Set vehicle v's costs (sharing arc evaluators through ``arc_eval``); an upper bound on
    the cost of any route it can drive."""
    vehicle = problem.vehicles[v]
    k = vehicle.profile
    dist = problem.distances[k]
    per_second, per_metre = _rates(vehicle, dist is not None) if any_cost else (0, 0)
    key = (k, per_second, per_metre)
    max_arc = 0
    if key not in arc_eval:
        if any_cost:
            service = np.asarray(nodes.node_service, dtype=np.int64)
            cost = per_second * (time.matrix[k] + service[:, None])
            if per_metre:
                loc = np.asarray(nodes.node_location, dtype=np.int64)
                cost = cost + per_metre * np.asarray(dist, dtype=np.int64)[np.ix_(loc, loc)]
        else:
            cost = _DEFAULT_TIME_RATE * time.matrix[k]
        arc_eval[key] = routing.RegisterTransitMatrix(cost.tolist())
        max_arc = int(cost.max()) if cost.size else 0
    routing.SetArcCostEvaluatorOfVehicle(arc_eval[key], v)
    # Waiting and breaks are slack on the time dimension: arc (travel + service) cost plus
    # slack cost = cost_per_hour x route duration, exactly.
    if per_second:
        time.dim.SetSlackCostCoefficientForVehicle(per_second, v)
    tail = per_second * nodes.tail_seconds[v] + per_metre * nodes.tail_metres[v]
    fixed = round(vehicle.fixed_cost * COST_SCALE) + tail
    routing.SetFixedCostOfVehicle(fixed, v)
    shift_len = max(0, vehicle.shift.end - vehicle.shift.start)
    rate = per_second if any_cost else _DEFAULT_TIME_RATE
    longest_arc = max(max_arc, int(time.matrix[k].max(initial=0)) * max(per_metre, 0))
    return fixed + rate * shift_len + longest_arc * (len(nodes.node_location) + 1)


def _add_shifts(
    problem: RoutingProblem,
    nodes: Layout,
    routing: pywrapcp.RoutingModel,
    time_dim: pywrapcp.RoutingDimension,
) -> None:
    """Shifts, route duration and the final unload's tail, per usable vehicle."""
    for v, vehicle in enumerate(problem.vehicles):
        start, end = routing.Start(v), routing.End(v)
        if not nodes.usable[v]:
            continue  # serves nothing (see fleet.eligible_vehicles); needs no limits
        tail = nodes.tail_seconds[v]
        time_dim.CumulVar(start).SetRange(vehicle.shift.start, vehicle.shift.end)
        lo, hi = vehicle.shift.start, vehicle.shift.end - tail
        final = nodes.final_facility[v]
        if final is not None:
            window = clip(problem.facilities[final].opening, lo, hi)
            if window is not None:
                lo, hi = window
        time_dim.CumulVar(end).SetRange(lo, max(lo, hi))
        if vehicle.max_route_duration:
            time_dim.SetSpanUpperBoundForVehicle(max(0, vehicle.max_route_duration - tail), v)
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(end))
        routing.AddVariableMaximizedByFinalizer(time_dim.CumulVar(start))


def _add_stops(
    problem: RoutingProblem,
    nodes: Layout,
    manager: pywrapcp.RoutingIndexManager,
    routing: pywrapcp.RoutingModel,
    time: _Time,
    keep: list[int],
    eligible: dict[int, list[int]],
    model_skipped: dict[int, SkipReason],
    mandatory: int,
) -> None:
    """Stops: windows, eligible vehicles, and a disjunction with the stop's skip penalty.

    Adds to ``model_skipped`` the stops whose every window opens after every shift has ended.
    """
    horizon = time.horizon
    for i in keep:
        index = manager.NodeToIndex(nodes.stop_node[i])
        stop = problem.stops[i]
        soft = soft_window(stop.time_windows)
        if soft is not None:
            if not _add_soft_window(time, index, soft):
                model_skipped.setdefault(i, SkipReason.CANNOT_MEET_TIME_WINDOW)
        elif stop.time_windows:
            spans = [
                (lo, min(hi, horizon))
                for lo, hi in merged_windows(stop.time_windows)
                if lo <= horizon
            ]
            if spans:
                cumul = time.dim.CumulVar(index)
                cumul.SetRange(spans[0][0], spans[-1][1])
                for (_, gap_lo), (gap_hi, _) in itertools.pairwise(spans):
                    cumul.RemoveInterval(gap_lo + 1, gap_hi - 1)
            else:
                model_skipped.setdefault(i, SkipReason.CANNOT_MEET_TIME_WINDOW)
        vehicles = eligible[i]
        if i in model_skipped:
            routing.ActiveVar(index).SetValue(0)
        elif len(vehicles) < len(problem.vehicles):
            # SetAllowedVehiclesForIndex does not accept any Python sequence in OR-Tools 9.15
            # (SWIG absl::Span<const int>); restricting the vehicle variable is equivalent and
            # is enforced by the routing filters too (-1 = unperformed).
            routing.VehicleVar(index).SetValues([-1, *vehicles])
        penalty = (
            min(_MAX_PENALTY, round(stop.skip_penalty * COST_SCALE)) if stop.optional else mandatory
        )
        if problem.replan is not None and problem.replan.locked_vehicle(i) is not None:
            penalty = min(_MAX_PENALTY, 2 * mandatory)  # committed work before any new stop
        routing.AddDisjunction([index], penalty)


def _soft_coefficients(window: TimeWindow) -> tuple[int, int]:
    """Model units per second late and per second early (the checker's rate / 3600, scaled)."""
    late = round(window.late_cost_per_hour * COST_SCALE / 3600)
    early = round(window.early_cost_per_hour * COST_SCALE / 3600)
    return late, early


def _soft_window_bound(problem: RoutingProblem, keep: list[int]) -> int:
    """The most the soft windows of the kept stops can cost, so that serving a mandatory stop
    late still beats leaving it out (and, with MIN_VEHICLES_THEN_COST, a vehicle fewer beats
    any lateness)."""
    total = 0
    for i in keep:
        window = soft_window(problem.stops[i].time_windows)
        if window is not None:
            late, early = _soft_coefficients(window)
            total += max(late * window.max_lateness, early * window.max_earliness)
    return total


def _add_soft_window(time: _Time, index: int, window: TimeWindow) -> bool:
    """A soft window on a stop's cumul (its service start): the hard span as the variable's
    range, soft bounds at the window's ends priced per second as the checker prices them
    (``soft_windows``); False when the span lies beyond the horizon."""
    lo, hi = hard_span(window)
    lo, hi = max(0, lo), min(hi, time.horizon)
    if lo > hi:
        return False
    time.dim.CumulVar(index).SetRange(lo, hi)
    late, early = _soft_coefficients(window)
    if window.max_lateness > 0 and late > 0:
        time.dim.SetCumulVarSoftUpperBound(index, window.end, late)
    if window.max_earliness > 0 and early > 0:
        time.dim.SetCumulVarSoftLowerBound(index, window.start, early)
    return True


def _add_facility_copies(
    problem: RoutingProblem,
    nodes: Layout,
    manager: pywrapcp.RoutingIndexManager,
    routing: pywrapcp.RoutingModel,
    time: _Time,
) -> None:
    """Facility copies: optional, free to skip, open only in the facility's window."""
    copy_indices = [manager.NodeToIndex(n) for n in nodes.node_facility]
    for node, f in nodes.node_facility.items():
        index = manager.NodeToIndex(node)
        opening = problem.facilities[f].opening
        if opening is not None and opening.start <= time.horizon:
            time.dim.CumulVar(index).SetRange(opening.start, min(opening.end, time.horizon))
        elif opening is not None:
            routing.ActiveVar(index).SetValue(0)
        routing.AddDisjunction([index], 0)
    if not copy_indices:
        return
    # An unload right after another unload (or at the start) is never useful.
    n_vehicles = len(problem.vehicles)
    banned = copy_indices + [
        routing.End(v) for v in range(n_vehicles) if nodes.final_facility[v] is not None
    ]
    for index in copy_indices:
        routing.NextVar(index).RemoveValues([b for b in banned if b != index])
    for v in range(n_vehicles):
        routing.NextVar(routing.Start(v)).RemoveValues(copy_indices)


def _add_breaks(
    problem: RoutingProblem,
    nodes: Layout,
    manager: pywrapcp.RoutingIndexManager,
    routing: pywrapcp.RoutingModel,
    time_dim: pywrapcp.RoutingDimension,
) -> dict[int, dict[int, pywrapcp.IntervalVar]]:
    """Breaks as time-dimension break intervals (driving can be interrupted, service cannot).

    OR-Tools lets a break fall before departure or after the route ends. Before departure is
    ruled out here (a side constraint that the search handles well); a break after the end is
    fine for the checker when the vehicle is home before the break window opens, and is
    otherwise moved to the end of the route when the plan is read (see readback). Windows
    are clipped to the shift so a moved break still ends inside it.
    """
    if not any(v.breaks for v in problem.vehicles):
        return {}
    visit = [nodes.node_service[manager.IndexToNode(i)] for i in range(routing.Size())]
    out: dict[int, dict[int, pywrapcp.IntervalVar]] = {}
    for v, vehicle in enumerate(problem.vehicles):
        if not owed_breaks(vehicle) or not nodes.usable[v]:
            continue  # nothing to schedule, or the vehicle serves nothing
        intervals = _break_intervals(problem, nodes, routing, time_dim, v)
        time_dim.SetBreakIntervalsOfVehicle(list(intervals.values()), v, visit)
        out[v] = intervals
    return out


def _break_intervals(
    problem: RoutingProblem,
    nodes: Layout,
    routing: pywrapcp.RoutingModel,
    time_dim: pywrapcp.RoutingDimension,
    v: int,
) -> dict[int, pywrapcp.IntervalVar]:
    """Vehicle v's owed breaks as intervals, none before departure."""
    solver = routing.solver()
    vehicle = problem.vehicles[v]
    start = time_dim.CumulVar(routing.Start(v))
    final = nodes.final_facility[v]
    opening = problem.facilities[final].opening if final is not None else None
    intervals = {}
    for b in owed_breaks(vehicle):
        brk = vehicle.breaks[b]
        lo, hi = break_window(vehicle, brk, nodes.tail_seconds[v])  # type: ignore[misc]
        if opening is not None:
            # A break moved before the final unload must leave the facility open (the
            # final facility was chosen so that this leaves the window non-empty).
            hi = min(hi, opening.end - max(1, brk.duration))
        # A zero-length interval overlaps nothing, so OR-Tools could put it inside a
        # service, where the checker does not allow a break: model it as 1 s.
        interval = solver.FixedDurationIntervalVar(
            lo, hi, max(1, brk.duration), False, f"break_{v}_{b}"
        )
        solver.Add(interval.StartExpr() >= start)
        if vehicle.max_route_duration:
            # A break taken after the solver's route end still ends within the limit.
            solver.Add(
                interval.EndExpr() + nodes.tail_seconds[v] <= start + vehicle.max_route_duration
            )
        intervals[b] = interval
    return intervals
