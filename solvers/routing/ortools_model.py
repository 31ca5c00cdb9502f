"""The OR-Tools routing model for sanitation and maintenance routes (see FORMULATION.md).

Every transit is a registered matrix or vector, so the search never calls back into Python
(DESIGN: Python transit callbacks are the classic bottleneck). The model is built once per solve;
:func:`solve` tries a warm start, then a sequence of first-solution strategies, and improves
the first plan found with iterated local search (ILS) or guided local search (GLS) until the
budget ends. The plan it returns carries the chosen departure and service start times so the
independent checker verifies exactly what the solver decided.

This module never claims more than it knows: it returns the solver's own objective only as a
diagnostic; the caller (``solvers.routing.solve``) re-scores the plan with the checker.
"""

from __future__ import annotations

import itertools
import math
import time
from array import array
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from solvers.budget import Deadline
from solvers.errors import SolverFailedError
from solvers.routing.engines.construct import construct_best
from solvers.routing.plan import PlannedVisit, RoutePlan, RoutingPlan, SkipReason, VisitKind
from solvers.routing.problem import Break, RoutingProblem, TimeWindow, Vehicle

__all__ = ["COST_SCALE", "OrtoolsResult", "OrtoolsSettings", "build", "solve"]

#: Model cost units per objective unit. 360 000 = 3600 x 100 makes a cost_per_hour with two
#: decimals an exact integer per second (cost_per_hour x 100) and cost_per_km an exact integer
#: per metre for three decimals (cost_per_km x 360).
COST_SCALE = 360_000
#: Travel cost per second when no vehicle has any cost coefficient: 1 objective unit per hour.
_DEFAULT_TIME_RATE = COST_SCALE // 3600
_MAX_PENALTY = 2**61
_FACILITY_COPY_CAP = 200
#: Above this many stops (with facilities) only the constructed start is searched from.
CONSTRUCT_ONLY_ABOVE = 200

FIRST_SOLUTION = routing_enums_pb2.FirstSolutionStrategy
METAHEURISTIC = routing_enums_pb2.LocalSearchMetaheuristic
_BOOL_FALSE = 3  # OptionalBoolean.BOOL_FALSE in routing_parameters.proto
_NO_COMPRESSION = 0  # ConstraintSolverParameters.NO_COMPRESSION in solver_parameters.proto

# Slow operators that DESIGN.md measured as costing ~3x iterations for little gain.
_SLOW_OPERATORS = (
    "use_global_cheapest_insertion_path_lns",
    "use_local_cheapest_insertion_path_lns",
    "use_relocate_path_global_cheapest_insertion_insert_unperformed",
    "use_lin_kernighan",
    "use_relocate_expensive_chain",
)


@dataclass(frozen=True)
class OrtoolsSettings:
    """How to search.

    ``deterministic`` replaces the wall-clock limit by ``solution_limit`` accepted solutions (the
    deadline still applies as a safety net; a run cut by it is not reproducible). ``exclude``
    lists stops ruled out by the feasibility pre-check: they stay out of the model.
    """

    deterministic: bool = False
    solution_limit: int = 300
    initial: RoutingPlan | None = None
    exclude: frozenset[int] = frozenset()
    metaheuristic: str = "auto"  # "auto", "ils" or "gls"
    first_solution_seconds: float = 2.0
    #: With facilities: "auto" (see solve), "insertion" or "construct" for the whole budget.
    start: str = "auto"
    gls_lambda: float = 0.5


@dataclass(frozen=True)
class OrtoolsResult:
    """A plan and what the search did to find it (solver numbers are diagnostics only)."""

    plan: RoutingPlan
    solver_objective: float
    engine: str
    strategy: str
    solutions: int
    warm_start_used: bool
    attempts: tuple[str, ...] = ()


@dataclass
class _Layout:
    """Node numbering: stops, facility copies, then one start and one end node per vehicle."""

    node_location: list[int] = field(default_factory=list)
    node_service: list[int] = field(default_factory=list)
    node_stop: dict[int, int] = field(default_factory=dict)  # node -> stop index
    node_facility: dict[int, int] = field(default_factory=dict)  # node -> facility index
    stop_node: dict[int, int] = field(default_factory=dict)
    facility_nodes: dict[int, list[int]] = field(default_factory=dict)
    start_nodes: list[int] = field(default_factory=list)
    end_nodes: list[int] = field(default_factory=list)
    final_facility: list[int | None] = field(default_factory=list)  # per vehicle
    tail_seconds: list[int] = field(default_factory=list)  # unload + drive home after END node
    tail_metres: list[int] = field(default_factory=list)
    usable: list[bool] = field(default_factory=list)  # False: the vehicle must stay home

    def add(self, location: int, service: int) -> int:
        self.node_location.append(int(location))
        self.node_service.append(int(service))
        return len(self.node_location) - 1


@dataclass
class BuiltModel:
    """The OR-Tools objects of one problem, kept together for solving and reading back."""

    problem: RoutingProblem
    layout: _Layout
    manager: pywrapcp.RoutingIndexManager
    routing: pywrapcp.RoutingModel
    time: pywrapcp.RoutingDimension
    breaks: dict[int, dict[int, pywrapcp.IntervalVar]]  # vehicle -> break index -> interval
    model_skipped: dict[int, SkipReason]
    mandatory_penalty: int
    eligible: dict[int, list[int]]
    vehicle_bonus: int = 0  # extra fixed cost per used vehicle (MIN_VEHICLES_THEN_COST)
    mandatory_indices: tuple[int, ...] = ()
    callbacks: tuple[Callable[[int, int], int], ...] = ()  # kept alive while OR-Tools calls them

    def plain_objective(self, cost: int, used: int) -> float:
        """The solver's cost without the modelling penalties, in objective units.

        Removes the mandatory-stop penalties of stops not (yet) served and the
        vehicle-minimising bonus; what is left estimates the contract's objective.
        """
        missing = sum(1 for i in self.mandatory_indices if self.routing.ActiveVar(i).Max() == 0)
        return (cost - missing * self.mandatory_penalty - used * self.vehicle_bonus) / COST_SCALE


def _stop_demand(problem: RoutingProblem, stop_index: int, d: int) -> int:
    demands = problem.stops[stop_index].demands
    return int(demands[d]) if d < len(demands) else 0


def _windows_ok(window: TimeWindow | None, lo: int, hi: int) -> tuple[int, int] | None:
    """Intersection of [lo, hi] with an optional window, or None when empty."""
    if window is not None:
        lo, hi = max(lo, window.start), min(hi, window.end)
    return (lo, hi) if lo <= hi else None


def _choose_final_facility(problem: RoutingProblem, v: int) -> tuple[int | None, int, int]:
    """Facility where vehicle v unloads last: the one closest to home that fits the shift.

    Returns (facility, seconds after its unload start until home, metres of the drive home).
    """
    vehicle = problem.vehicles[v]
    best: tuple[int, int, int, int] | None = None
    for f, facility in enumerate(problem.facilities):
        tail = facility.unload_duration + problem.travel(v, facility.location, vehicle.end)
        earliest = vehicle.shift.start + problem.travel(v, vehicle.start, facility.location)
        latest = vehicle.shift.end - tail
        if vehicle.max_route_duration:
            latest = min(latest, vehicle.shift.start + vehicle.max_route_duration - tail)
        if _windows_ok(facility.opening, earliest, latest) is None:
            continue
        if facility.opening is not None and any(
            max(brk.start_window.start, vehicle.shift.start) + max(1, brk.duration)
            > facility.opening.end
            for brk in (vehicle.breaks[b] for b in _owed_breaks(vehicle))
        ):
            continue  # an owed break could not end before the last unload must start
        key = (tail, f)
        if best is None or key < best[:2]:
            best = (tail, f, tail, problem.distance(v, facility.location, vehicle.end))
    if best is None:
        return None, 0, 0
    return best[1], best[2], best[3]


def _trips_estimate(problem: RoutingProblem, keep: list[int]) -> int:
    """Upper estimate of the trips all vehicles together need (sizes the facility copies)."""
    trips = 1
    for d in range(problem.n_dims):
        total = sum(max(0, _stop_demand(problem, i, d)) for i in keep)
        caps = [
            v.capacities[d]
            for v in problem.vehicles
            if v.capacities is not None and d < len(v.capacities) and v.capacities[d] > 0
        ]
        if caps and total:
            trips = max(trips, math.ceil(total / min(caps)))
    return trips


def _layout(problem: RoutingProblem, keep: list[int]) -> _Layout:
    layout = _Layout()
    for i in keep:
        stop = problem.stops[i]
        node = layout.add(stop.location, stop.service_duration)
        layout.node_stop[node] = i
        layout.stop_node[i] = node
    any_load = any(_stop_demand(problem, i, d) > 0 for i in keep for d in range(problem.n_dims))
    use_facilities = bool(problem.facilities) and any_load
    if use_facilities:
        copies = min(_FACILITY_COPY_CAP, _trips_estimate(problem, keep) + len(problem.vehicles))
        copies = max(1, min(copies, len(keep)))
        for f, facility in enumerate(problem.facilities):
            layout.facility_nodes[f] = []
            for _ in range(copies):
                node = layout.add(facility.location, facility.unload_duration)
                layout.node_facility[node] = f
                layout.facility_nodes[f].append(node)
    for vehicle in problem.vehicles:
        layout.start_nodes.append(layout.add(vehicle.start, 0))
    for v, vehicle in enumerate(problem.vehicles):
        final, tail, metres = _choose_final_facility(problem, v) if use_facilities else (None, 0, 0)
        layout.final_facility.append(final)
        layout.tail_seconds.append(tail)
        layout.tail_metres.append(metres)
        location = problem.facilities[final].location if final is not None else vehicle.end
        layout.end_nodes.append(layout.add(location, 0))
        # Even an unused vehicle's empty route start -> end must fit its limits in OR-Tools;
        # a vehicle that cannot even do that (or owes a break its shift cannot hold) stays home.
        # Owed breaks may have to be taken during that empty route, so count them in.
        empty = (
            problem.travel(v, vehicle.start, location)
            + tail
            + sum(max(1, vehicle.breaks[b].duration) for b in _owed_breaks(vehicle))
        )
        fits = vehicle.shift.start + empty <= vehicle.shift.end and (
            not vehicle.max_route_duration or empty <= vehicle.max_route_duration
        )
        layout.usable.append(fits and _usable(vehicle, tail))
    return layout


def _break_window(vehicle: Vehicle, brk: Break, tail: int = 0) -> tuple[int, int] | None:
    """Start range of a break clipped to the shift; None when it cannot be taken in it.

    ``tail`` (final unload and drive home) is kept free after the break, so a break the solver
    puts after the route can be taken before the final unload and still end in the shift.
    """
    lo = max(brk.start_window.start, vehicle.shift.start)
    hi = min(brk.start_window.end, vehicle.shift.end - tail - max(1, brk.duration))
    return (lo, hi) if lo <= hi else None


def _owed_breaks(vehicle: Vehicle) -> list[int]:
    """Breaks that can matter: a window opening at or after shift end is never owed."""
    return [b for b, brk in enumerate(vehicle.breaks) if brk.start_window.start < vehicle.shift.end]


def _usable(vehicle: Vehicle, tail: int = 0) -> bool:
    """False when the vehicle owes a break that does not fit in its shift (it cannot work)."""
    return all(
        _break_window(vehicle, vehicle.breaks[b], tail) is not None for b in _owed_breaks(vehicle)
    )


def _eligible(problem: RoutingProblem, layout: _Layout, stop_index: int) -> list[int]:
    """Vehicles that may serve a stop: allowed, skilled, and able to unload if it has load."""
    stop = problem.stops[stop_index]
    loaded = any(_stop_demand(problem, stop_index, d) > 0 for d in range(problem.n_dims))
    out = []
    for v, vehicle in enumerate(problem.vehicles):
        if stop.allowed_vehicles is not None and v not in stop.allowed_vehicles:
            continue
        if not stop.required_skills <= vehicle.skills:
            continue
        if not layout.usable[v]:
            continue
        if loaded and layout.facility_nodes and layout.final_facility[v] is None:
            continue
        out.append(v)
    return out


def _merged(windows: tuple[TimeWindow, ...]) -> list[tuple[int, int]]:
    spans = sorted((w.start, w.end) for w in windows)
    merged: list[list[int]] = []
    for lo, hi in spans:
        if merged and lo <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return [(lo, hi) for lo, hi in merged]


def _rates(vehicle: Vehicle, has_distances: bool) -> tuple[int, int]:
    """(model cost per second of route duration, model cost per metre driven)."""
    per_second = round(vehicle.cost_per_hour * COST_SCALE / 3600)
    per_metre = round(vehicle.cost_per_km * COST_SCALE / 1000) if has_distances else 0
    return per_second, per_metre


def build(problem: RoutingProblem, exclude: frozenset[int] = frozenset()) -> BuiltModel:
    """Build the routing model of ``problem`` without the stops in ``exclude``."""
    n_vehicles = len(problem.vehicles)
    if n_vehicles == 0:
        raise SolverFailedError("ortools: no vehicles")
    keep = [i for i in range(len(problem.stops)) if i not in exclude]
    layout = _layout(problem, keep)
    model_skipped: dict[int, SkipReason] = {}
    eligible = {i: _eligible(problem, layout, i) for i in keep}
    for i, vehicles in eligible.items():
        if not vehicles:
            model_skipped[i] = SkipReason.NO_VEHICLE_WITH_SKILLS
    n_nodes = len(layout.node_location)
    manager = pywrapcp.RoutingIndexManager(
        n_nodes, n_vehicles, layout.start_nodes, layout.end_nodes
    )
    routing = pywrapcp.RoutingModel(manager, _model_parameters())
    loc = np.asarray(layout.node_location, dtype=np.int64)
    service = np.asarray(layout.node_service, dtype=np.int64)

    # Time transit per matrix: travel + service at the from-node (service folded into rows).
    time_eval: dict[int, int] = {}
    time_matrix: dict[int, np.ndarray] = {}
    with_breaks = any(
        layout.usable[v] and _owed_breaks(vehicle) for v, vehicle in enumerate(problem.vehicles)
    )
    callbacks: list[Callable[[int, int], int]] = []
    for vehicle in problem.vehicles:
        k = vehicle.profile
        if k not in time_eval:
            travel = np.asarray(problem.durations[k], dtype=np.int64)[np.ix_(loc, loc)]
            time_matrix[k] = travel
            transit = travel + service[:, None]
            if with_breaks:
                callbacks.append(_transit_callback(manager, routing, transit))
                time_eval[k] = routing.RegisterTransitCallback(callbacks[-1])
            else:
                time_eval[k] = routing.RegisterTransitMatrix(transit.tolist())
    # Slack and cumul bound: every shift end, with room for the empty route of a vehicle that
    # stays home because even that does not fit its shift.
    longest = max(int(m.max(initial=0)) for m in time_matrix.values())
    horizon = (
        max(int(v.shift.end) for v in problem.vehicles)
        + longest
        + max(layout.tail_seconds, default=0)
    )
    routing.AddDimensionWithVehicleTransitAndCapacity(
        [time_eval[v.profile] for v in problem.vehicles],
        horizon,
        [horizon] * n_vehicles,
        False,
        "time",
    )
    time_dim = routing.GetDimensionOrDie("time")

    # Costs (model units, see COST_SCALE).
    any_cost = any(v.fixed_cost or v.cost_per_hour or v.cost_per_km for v in problem.vehicles)
    arc_eval: dict[tuple[int, int, int], int] = {}
    route_bound = 0
    for v, vehicle in enumerate(problem.vehicles):
        k = vehicle.profile
        dist = problem.distances[k]
        per_second, per_metre = _rates(vehicle, dist is not None)
        if not any_cost:
            per_second, per_metre = 0, 0
        key = (k, per_second, per_metre)
        if key not in arc_eval:
            if any_cost:
                cost = per_second * (time_matrix[k] + service[:, None])
                if per_metre:
                    metres = np.asarray(dist, dtype=np.int64)[np.ix_(loc, loc)]
                    cost = cost + per_metre * metres
            else:
                cost = _DEFAULT_TIME_RATE * time_matrix[k]
            arc_eval[key] = routing.RegisterTransitMatrix(cost.tolist())
            max_arc = int(cost.max()) if cost.size else 0
        else:
            max_arc = 0
        routing.SetArcCostEvaluatorOfVehicle(arc_eval[key], v)
        # Waiting and breaks are slack on the time dimension: arc (travel + service) cost plus
        # slack cost = cost_per_hour x route duration, exactly.
        if per_second:
            time_dim.SetSlackCostCoefficientForVehicle(per_second, v)
        tail = per_second * layout.tail_seconds[v] + per_metre * layout.tail_metres[v]
        fixed = round(vehicle.fixed_cost * COST_SCALE) + tail
        shift_len = max(0, vehicle.shift.end - vehicle.shift.start)
        rate = per_second if any_cost else _DEFAULT_TIME_RATE
        route_bound += (
            fixed
            + rate * shift_len
            + max(max_arc, int(time_matrix[k].max(initial=0)) * max(per_metre, 0)) * (n_nodes + 1)
        )
        routing.SetFixedCostOfVehicle(fixed, v)
    optional_total = sum(
        round(problem.stops[i].skip_penalty * COST_SCALE) for i in keep if problem.stops[i].optional
    )
    big = 0
    if problem.minimize_vehicles_first:
        big = route_bound + optional_total + 1
        for v in range(n_vehicles):
            routing.SetFixedCostOfVehicle(routing.GetFixedCostOfVehicle(v) + big, v)
        route_bound += big * n_vehicles
    mandatory = min(_MAX_PENALTY, route_bound + optional_total + 1)

    # Shifts, route duration, final unload tail.
    for v, vehicle in enumerate(problem.vehicles):
        start, end = routing.Start(v), routing.End(v)
        if not layout.usable[v]:
            continue  # serves nothing (see _eligible); its empty route needs no limits
        tail = layout.tail_seconds[v]
        time_dim.CumulVar(start).SetRange(vehicle.shift.start, vehicle.shift.end)
        lo, hi = vehicle.shift.start, vehicle.shift.end - tail
        final = layout.final_facility[v]
        if final is not None:
            window = _windows_ok(problem.facilities[final].opening, lo, hi)
            if window is not None:
                lo, hi = window
        time_dim.CumulVar(end).SetRange(lo, max(lo, hi))
        if vehicle.max_route_duration:
            time_dim.SetSpanUpperBoundForVehicle(max(0, vehicle.max_route_duration - tail), v)
        routing.AddVariableMinimizedByFinalizer(time_dim.CumulVar(end))
        routing.AddVariableMaximizedByFinalizer(time_dim.CumulVar(start))

    # Stops: windows, eligibility, disjunctions.
    for i in keep:
        index = manager.NodeToIndex(layout.stop_node[i])
        stop = problem.stops[i]
        if stop.time_windows:
            spans = [
                (lo, min(hi, horizon)) for lo, hi in _merged(stop.time_windows) if lo <= horizon
            ]
            if spans:
                cumul = time_dim.CumulVar(index)
                cumul.SetRange(spans[0][0], spans[-1][1])
                for (_, gap_lo), (gap_hi, _) in itertools.pairwise(spans):
                    cumul.RemoveInterval(gap_lo + 1, gap_hi - 1)
            else:  # every window opens after every shift has ended
                model_skipped.setdefault(i, SkipReason.CANNOT_MEET_TIME_WINDOW)
        vehicles = eligible[i]
        if i in model_skipped:
            routing.ActiveVar(index).SetValue(0)
        elif len(vehicles) < n_vehicles:
            # SetAllowedVehiclesForIndex does not accept any Python sequence in OR-Tools 9.15
            # (SWIG absl::Span<const int>); restricting the vehicle variable is equivalent and
            # is enforced by the routing filters too (-1 = unperformed).
            routing.VehicleVar(index).SetValues([-1, *vehicles])
        penalty = (
            min(_MAX_PENALTY, round(stop.skip_penalty * COST_SCALE)) if stop.optional else mandatory
        )
        routing.AddDisjunction([index], penalty)

    # Facility copies: optional, free to skip, open only in the facility's window.
    copy_indices = [manager.NodeToIndex(n) for n in layout.node_facility]
    for node, f in layout.node_facility.items():
        index = manager.NodeToIndex(node)
        opening = problem.facilities[f].opening
        if opening is not None and opening.start <= horizon:
            time_dim.CumulVar(index).SetRange(opening.start, min(opening.end, horizon))
        elif opening is not None:
            routing.ActiveVar(index).SetValue(0)
        routing.AddDisjunction([index], 0)
    if copy_indices:
        # An unload right after another unload (or at the start) is never useful.
        banned = copy_indices + [
            routing.End(v) for v in range(n_vehicles) if layout.final_facility[v] is not None
        ]
        for index in copy_indices:
            routing.NextVar(index).RemoveValues([b for b in banned if b != index])
        for v in range(n_vehicles):
            routing.NextVar(routing.Start(v)).RemoveValues(copy_indices)

    _add_loads(problem, layout, manager, routing, keep)
    _add_max_stops(problem, layout, routing)
    breaks = _add_breaks(problem, layout, manager, routing, time_dim)
    return BuiltModel(
        problem,
        layout,
        manager,
        routing,
        time_dim,
        breaks,
        model_skipped,
        mandatory,
        {i: ([] if i in model_skipped else vs) for i, vs in eligible.items()},
        vehicle_bonus=big,
        mandatory_indices=tuple(
            manager.NodeToIndex(layout.stop_node[i])
            for i in keep
            if not problem.stops[i].optional and i not in model_skipped
        ),
        callbacks=tuple(callbacks),
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


def _transit_callback(
    manager: pywrapcp.RoutingIndexManager, routing: pywrapcp.RoutingModel, transit: np.ndarray
) -> Callable[[int, int], int]:
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


def greedy_plan(
    problem: RoutingProblem,
    exclude: frozenset[int] = frozenset(),
    deadline: Deadline | None = None,
) -> RoutingPlan:
    """The constructive plan (ortools_construct) over the same eligibility as the model."""
    keep = [i for i in range(len(problem.stops)) if i not in exclude]
    layout = _layout(problem, keep)
    eligible = {i: _eligible(problem, layout, i) for i in keep}
    plan = construct_best(problem, eligible, layout.final_facility, deadline)
    skipped = dict(plan.skipped)
    for i, vehicles in eligible.items():
        if not vehicles:
            skipped[i] = SkipReason.NO_VEHICLE_WITH_SKILLS
    return RoutingPlan(plan.routes, skipped)


def _add_loads(
    problem: RoutingProblem,
    layout: _Layout,
    manager: pywrapcp.RoutingIndexManager,
    routing: pywrapcp.RoutingModel,
    keep: list[int],
) -> None:
    """Per-trip load (reset at facilities through slack) and daily load per dimension."""
    n_nodes = len(layout.node_location)
    vehicles = problem.vehicles
    for d in range(problem.n_dims):
        demand = [0] * n_nodes
        for node, i in layout.node_stop.items():
            demand[node] = max(0, _stop_demand(problem, i, d))
        total = sum(demand) + 1
        caps = [
            int(v.capacities[d]) if v.capacities is not None and d < len(v.capacities) else total
            for v in vehicles
        ]
        caps = [min(c, total) for c in caps]
        limited = any(c < total for c in caps)
        if limited:
            reload = max(caps)
            trip = list(demand)
            for node in layout.node_facility:
                trip[node] = -reload
            evaluator = routing.RegisterUnaryTransitVector(trip)
            slack = reload if layout.node_facility else 0
            routing.AddDimensionWithVehicleCapacity(evaluator, slack, caps, True, f"load{d}")
            if slack:
                dim = routing.GetDimensionOrDie(f"load{d}")
                for index in range(routing.Size()):
                    if manager.IndexToNode(index) not in layout.node_facility:
                        dim.SlackVar(index).SetValue(0)
        daily = [
            int(v.daily_capacities[d])
            if v.daily_capacities is not None and d < len(v.daily_capacities)
            else total
            for v in vehicles
        ]
        daily = [min(c, total) for c in daily]
        if any(c < total for c in daily) and (
            layout.node_facility
            or not limited
            or any(a < b for a, b in zip(daily, caps, strict=True))
        ):
            evaluator = routing.RegisterUnaryTransitVector(demand)
            routing.AddDimensionWithVehicleCapacity(evaluator, 0, daily, True, f"daily{d}")


def _add_max_stops(
    problem: RoutingProblem, layout: _Layout, routing: pywrapcp.RoutingModel
) -> None:
    if not any(v.max_stops for v in problem.vehicles):
        return
    counts = [0] * len(layout.node_location)
    for node in layout.node_stop:
        counts[node] = 1
    evaluator = routing.RegisterUnaryTransitVector(counts)
    limit = len(layout.node_stop) + 1
    caps = [v.max_stops if v.max_stops else limit for v in problem.vehicles]
    routing.AddDimensionWithVehicleCapacity(evaluator, 0, caps, True, "stops")


def _add_breaks(
    problem: RoutingProblem,
    layout: _Layout,
    manager: pywrapcp.RoutingIndexManager,
    routing: pywrapcp.RoutingModel,
    time_dim: pywrapcp.RoutingDimension,
) -> dict[int, dict[int, pywrapcp.IntervalVar]]:
    """Breaks as time-dimension break intervals (driving can be interrupted, service cannot).

    OR-Tools lets a break fall before departure or after the route ends. Before departure is
    ruled out here (a side constraint that the search handles well); a break after the end is
    fine for the checker when the vehicle is home before the break window opens, and is
    otherwise moved to the end of the route when the plan is read (see _with_breaks). Windows
    are clipped to the shift so a moved break still ends inside it.
    """
    if not any(v.breaks for v in problem.vehicles):
        return {}
    solver = routing.solver()
    visit = [layout.node_service[manager.IndexToNode(i)] for i in range(routing.Size())]
    out: dict[int, dict[int, pywrapcp.IntervalVar]] = {}
    for v, vehicle in enumerate(problem.vehicles):
        owed = _owed_breaks(vehicle)
        if not owed or not layout.usable[v]:
            continue  # nothing to schedule, or the vehicle serves nothing (see _eligible)
        intervals = {}
        start = time_dim.CumulVar(routing.Start(v))
        for b in owed:
            brk = vehicle.breaks[b]
            lo, hi = _break_window(vehicle, brk, layout.tail_seconds[v])  # type: ignore[misc]
            final = layout.final_facility[v]
            opening = problem.facilities[final].opening if final is not None else None
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
                    interval.EndExpr() + layout.tail_seconds[v]
                    <= start + vehicle.max_route_duration
                )
            intervals[b] = interval
        time_dim.SetBreakIntervalsOfVehicle(list(intervals.values()), v, visit)
        out[v] = intervals
    return out


def _parameters(
    settings: OrtoolsSettings, seconds: float, first: int, metaheuristic: int, ils: bool
) -> object:
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = first
    params.local_search_metaheuristic = metaheuristic
    for name in _SLOW_OPERATORS:
        setattr(params.local_search_operators, name, _BOOL_FALSE)
    params.time_limit.FromMilliseconds(max(1, int(seconds * 1000)))
    if settings.deterministic:
        params.solution_limit = settings.solution_limit
    if metaheuristic == METAHEURISTIC.GUIDED_LOCAL_SEARCH:
        params.guided_local_search_lambda_coefficient = settings.gls_lambda
    if ils:
        ils_params = params.iterated_local_search_parameters
        rr = ils_params.ruin_recreate_parameters
        del rr.ruin_strategies[:]
        sisr = rr.ruin_strategies.add().sisr
        sisr.max_removed_sequence_size = 10
        sisr.avg_num_removed_visits = 15
        sisr.bypass_factor = 0.01
        rr.recreate_strategy.heuristic = FIRST_SOLUTION.LOCAL_CHEAPEST_INSERTION
        lci = rr.recreate_strategy.parameters.local_cheapest_insertion
        lci.insertion_sorting_properties.append(8)  # SORTING_PROPERTY_RANDOM
    return params


def _initial_routes(built: BuiltModel, plan: RoutingPlan) -> list[list[int]]:
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


def solve(
    problem: RoutingProblem,
    deadline: Deadline,
    settings: OrtoolsSettings | None = None,
    on_solution: Callable[[float, int], None] | None = None,
) -> OrtoolsResult:
    """Solve with the OR-Tools routing library until ``deadline``.

    ``on_solution(objective, vehicles_used)`` is called for each improving solution (objective
    in objective units: the solver's own figure without the penalties of mandatory stops not
    yet served). Raises SolverFailedError when no strategy finds any solution.

    With facilities, insertion heuristics keep every truck to one trip (they never insert a
    reload node on their own), while the constructed plan has the trips but a poorer order. Up
    to ``CONSTRUCT_ONLY_ABOVE`` stops both searches run (insertion 60% of the budget, the
    constructed start the rest) and the lower objective wins; above it only the constructed
    start is used (insertion then serves about a third of the stops). ``settings.start`` picks
    one of the two for the whole budget (the portfolio runs them on two cores).
    """
    settings = settings or OrtoolsSettings()
    built = build(problem, settings.exclude)
    # Deterministic mode tries every construction setting, whatever the clock says.
    clock = None if settings.deterministic else deadline
    best = [math.inf]
    found = [0]
    has_facilities = bool(built.layout.node_facility)
    construct_only = settings.start == "construct" or (
        settings.start == "auto" and len(built.layout.node_stop) > CONSTRUCT_ONLY_ABOVE
    )
    if settings.initial is not None or not has_facilities or settings.start == "insertion":
        run = _search(built, deadline, settings, settings.initial, on_solution, best, found)
    elif construct_only:
        start = construct_best(problem, built.eligible, built.layout.final_facility, clock)
        # No insertion rescue when the constructed start fails here: insertion leaves about
        # half of such a problem's stops out (Kim 2100_stop at 60 s: 1060 of 2092), and its
        # first phase ignores the time limit (that answer came 1.7 s late).
        run = _search(
            built, deadline, settings, start, on_solution, best, found, "construct", rescue=False
        )
    else:
        half = Deadline(time.monotonic() + deadline.remaining() * 0.6)
        first = _search(built, half, settings, None, on_solution, best, found)
        other = build(problem, settings.exclude)
        start = construct_best(problem, other.eligible, other.layout.final_facility, clock)
        second = _search(other, deadline, settings, start, on_solution, best, found, "construct")
        run = min(
            (r for r in (first, second) if r.assignment is not None),
            key=lambda r: r.assignment.ObjectiveValue(),
            default=second,
        )
        run.attempts[:0] = [a for a in first.attempts if run is second]
    if run.assignment is None:
        raise SolverFailedError(
            "ortools: no solution within the budget (" + "; ".join(run.attempts) + ")"
        )
    return OrtoolsResult(
        plan=_read_plan(run.built, run.assignment),
        solver_objective=run.assignment.ObjectiveValue() / COST_SCALE,
        engine="ortools.routing",
        strategy=run.strategy,
        solutions=found[0],
        warm_start_used=run.warm,
        attempts=tuple(run.attempts),
    )


@dataclass
class _Run:
    built: BuiltModel
    assignment: pywrapcp.Assignment | None
    strategy: str
    attempts: list[str]
    warm: bool


def _search(
    built: BuiltModel,
    deadline: Deadline,
    settings: OrtoolsSettings,
    initial: RoutingPlan | None,
    on_solution: Callable[[float, int], None] | None,
    best: list[float],
    found: list[int],
    start_label: str = "warm_start",
    rescue: bool = True,
) -> _Run:
    """One search on one model: from ``initial`` if given and accepted, else strategies
    (after a failed ``initial`` only when ``rescue``)."""
    routing = built.routing
    problem = built.problem

    def report() -> None:
        value = routing.CostVar().Max()
        if value < best[0]:
            best[0] = value
            found[0] += 1
            if on_solution is not None:
                used = sum(
                    1
                    for v in range(len(problem.vehicles))
                    if routing.NextVar(routing.Start(v)).Min() != routing.End(v)
                )
                on_solution(built.plain_objective(value, used), used)

    routing.AddAtSolutionCallback(report)
    attempts: list[str] = []
    reserve = 0.05
    warm = False
    assignment = None
    strategy = ""
    has_facilities = bool(built.layout.node_facility)
    use_ils = settings.metaheuristic != "gls"

    if initial is not None:
        routes = _initial_routes(built, initial)
        # The restore below runs under these parameters' time limit (propagating breaks over
        # a few thousand nodes can take seconds), so give it the whole budget.
        routing.CloseModelWithParameters(
            _parameters(
                settings,
                deadline.share(1.0, reserve),
                FIRST_SOLUTION.AUTOMATIC,
                METAHEURISTIC.GUIDED_LOCAL_SEARCH,
                False,
            )
        )
        restored = routing.ReadAssignmentFromRoutes(routes, True)
        if restored is not None:
            params = _parameters(
                settings,
                deadline.share(1.0, reserve),
                FIRST_SOLUTION.AUTOMATIC,
                METAHEURISTIC.GUIDED_LOCAL_SEARCH,
                False,
            )
            assignment = routing.SolveFromAssignmentWithParameters(restored, params)
            strategy = f"{start_label}+gls"
            attempts.append(strategy if assignment is not None else f"{strategy}: nothing")
            warm = assignment is not None and start_label == "warm_start"
        else:
            attempts.append(f"{start_label}: plan rejected by the model")

    first_choices = (
        [FIRST_SOLUTION.PATH_CHEAPEST_ARC, FIRST_SOLUTION.PARALLEL_CHEAPEST_INSERTION]
        if has_facilities
        else [FIRST_SOLUTION.PARALLEL_CHEAPEST_INSERTION, FIRST_SOLUTION.PATH_CHEAPEST_ARC]
    )
    first_choices += [FIRST_SOLUTION.LOCAL_CHEAPEST_INSERTION, FIRST_SOLUTION.SAVINGS]
    if initial is not None and not rescue:
        first_choices = []
    for n, first in enumerate(first_choices):
        if assignment is not None or deadline.remaining() <= reserve:
            break
        name = FIRST_SOLUTION.Value.Name(first)
        if n == 0:
            seconds = deadline.share(1.0, reserve)
            ils = use_ils
        else:
            # Later strategies are rescue attempts: the first phase ignores the time limit,
            # so each gets a slice and the last one the rest.
            seconds = deadline.share(1.0 if n == len(first_choices) - 1 else 0.5, reserve)
            ils = False
        meta = METAHEURISTIC.GREEDY_DESCENT if ils else METAHEURISTIC.GUIDED_LOCAL_SEARCH
        params = _parameters(settings, seconds, first, meta, ils)
        if ils:
            assignment = routing.SolveWithIteratedLocalSearch(params)
            strategy = f"{name}+ils"
        else:
            assignment = routing.SolveWithParameters(params)
            strategy = f"{name}+gls"
        attempts.append(strategy if assignment is not None else f"{strategy}: nothing")
    return _Run(built, assignment, strategy, attempts, warm)


def _read_plan(built: BuiltModel, assignment: pywrapcp.Assignment) -> RoutingPlan:
    """Turn an assignment into a RoutingPlan with the solver's departure and start times."""
    problem, layout, manager, routing = (built.problem, built.layout, built.manager, built.routing)
    time_dim = built.time
    routes: list[RoutePlan] = []
    served: set[int] = set()
    for v in range(len(problem.vehicles)):
        index = routing.Start(v)
        if routing.IsEnd(assignment.Value(routing.NextVar(index))):
            continue
        departure = assignment.Value(time_dim.CumulVar(index))
        visits: list[tuple[int, PlannedVisit]] = []
        index = assignment.Value(routing.NextVar(index))
        while not routing.IsEnd(index):
            node = manager.IndexToNode(index)
            start = assignment.Value(time_dim.CumulVar(index))
            if node in layout.node_stop:
                served.add(layout.node_stop[node])
                visits.append((start, PlannedVisit(VisitKind.STOP, layout.node_stop[node], start)))
            else:
                visits.append(
                    (start, PlannedVisit(VisitKind.FACILITY, layout.node_facility[node], start))
                )
            index = assignment.Value(routing.NextVar(index))
        final = layout.final_facility[v]
        end_at = assignment.Value(time_dim.CumulVar(index))
        if final is not None:
            visits.append((end_at, PlannedVisit(VisitKind.FACILITY, final, end_at)))
        visits = _with_breaks(built, assignment, v, visits, end_at)
        routes.append(RoutePlan(v, tuple(visits), departure=departure))
    skipped: dict[int, SkipReason] = dict(built.model_skipped)
    for node, i in layout.node_stop.items():
        if i in served or i in skipped:
            continue
        skipped[i] = (
            SkipReason.SKIPPED_FOR_COST
            if problem.stops[i].optional
            else SkipReason.NO_CAPACITY_LEFT
        )
        del node
    return RoutingPlan(routes=tuple(routes), skipped=skipped)


def _with_breaks(
    built: BuiltModel,
    assignment: pywrapcp.Assignment,
    v: int,
    visits: list[tuple[int, PlannedVisit]],
    end_at: int,
) -> list[PlannedVisit]:
    """Insert break visits after the last visit that starts no later than the break.

    ``end_at`` is the end cumul (arrival home, or the start of the final unload when the
    vehicle has a final facility, which is then the last of ``visits``). OR-Tools may put a
    break after that. Such a break is dropped when the crew is home before its window opens
    (none is owed); otherwise it is taken at its solver time before the final unload (or at the
    end of the route), and the final unload waits for it. Its window was clipped so that the
    route still ends inside the shift.
    """
    intervals = built.breaks.get(v, {})
    if not intervals:
        return [visit for _, visit in visits]
    problem = built.problem
    vehicle = problem.vehicles[v]
    home = end_at + built.layout.tail_seconds[v]
    final = visits.pop() if built.layout.final_facility[v] is not None else None
    placed: list[tuple[int, int, PlannedVisit]] = [(t, 1, pv) for t, pv in visits]
    late: list[tuple[int, int]] = []
    for b, interval in intervals.items():
        start = assignment.StartValue(interval)
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


def elapsed_since(started: float) -> float:
    """Seconds since ``started`` on the monotonic clock."""
    return time.monotonic() - started
