"""PyVRP as a second routing engine, for the requests its model can express.

Measured (DESIGN.md): on Solomon VRPTW PyVRP 0.14 lands ~5x closer to the optimum than tuned
OR-Tools at equal budgets, so the portfolio runs it beside OR-Tools when the request fits and
keeps the better plan that passes the checker. PyVRP has no several windows per stop, skills or
per-stop vehicle restrictions; a request using any of those is declined by
:func:`unsupported_features` and OR-Tools alone serves it.

Disposal trips: facilities become PyVRP reload depots, and what PyVRP lacks there (breaks, the
last unload, the daily load, stops per vehicle) is relaxed and repaired as
``solvers.routing.multitrip`` describes (Kim waste at 55 s: 804_stop 5 trucks / 571.8 miles and
1932_stop 15 / 1055.5, against 5 / 634 and 16 / 1216 from OR-Tools). Without facilities, breaks
and stop limits are still declined: the relaxation was measured only on disposal problems.

Costs: the service objective is fixed + cost_per_hour x duration + cost_per_km x distance + skip
penalties, in floats; PyVRP needs integers, so every coefficient is scaled by one common factor
(per-metre and per-second rates become integers) and reduced by their gcd. The plan PyVRP returns
is re-scored by the independent checker, never by these scaled numbers.
"""

from __future__ import annotations

import bisect
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from solvers.budget import Deadline
from solvers.errors import SolverFailedError
from solvers.routing import multitrip
from solvers.routing.engine import EngineOptions, EngineResult, Improvement, PhaseTimer
from solvers.routing.plan import PlannedVisit, RoutePlan, RoutingPlan, SkipReason, VisitKind
from solvers.routing.problem import RoutingProblem, Vehicle
from solvers.status import SolveReport, SolverFamily, Status

_INT_MAX = np.iinfo(np.int64).max
# Rates are exact rationals per metre and per second; this bounds their denominators so the
# scaled integers stay far from int64 overflow even for city-sized routes.
_MAX_DENOMINATOR = 10_000
#: Iterations of a deterministic run (the clock is ignored then).
DETERMINISTIC_ITERATIONS = 2000


def unsupported_features(
    problem: RoutingProblem, exclude: frozenset[int] = frozenset()
) -> list[str]:
    """Features of ``problem`` that PyVRP cannot model (empty list = PyVRP can solve it)."""
    found: list[str] = []
    if problem.facilities:
        if multitrip.common_breaks(problem) is None:
            found.append("breaks that differ between vehicles")
    else:
        if any(v.breaks for v in problem.vehicles):
            found.append("driver breaks")
        if any(v.max_stops for v in problem.vehicles):
            found.append("max stops per vehicle")
    keep = [i for i in range(len(problem.stops)) if i not in exclude]
    if any(len(problem.stops[i].time_windows) > 1 for i in keep):
        found.append("several time windows per stop")
    if not problem.eligible[keep].all():
        found.append("skills or allowed vehicles")
    return found


def _rate(value: float, per: int = 1) -> Fraction:
    """A rate as an exact rational; ``per`` turns per-km into per-metre, per-hour into per-s."""
    return Fraction(value).limit_denominator(_MAX_DENOMINATOR) / per


def _scale(problem: RoutingProblem) -> int:
    """One integer factor that turns every rate and penalty of the problem into an integer."""
    rates = [_rate(s.skip_penalty) for s in problem.stops]
    for v in problem.vehicles:
        rates += [_rate(v.cost_per_km, 1000), _rate(v.cost_per_hour, 3600), _rate(v.fixed_cost)]
    return math.lcm(*(r.denominator for r in rates)) if rates else 1


def _scaled(value: float, scale: int, per: int = 1) -> int:
    return int(_rate(value, per) * scale)


def _vehicle_key(v: Vehicle) -> tuple:
    return (
        v.start,
        v.end,
        v.shift,
        v.profile,
        v.capacities,
        v.daily_capacities,
        v.fixed_cost,
        v.cost_per_hour,
        v.cost_per_km,
        v.max_route_duration,
    )


class _Stop:
    """PyVRP stopping criterion: deadline, iteration cap and improvement reporting in one place."""

    def __init__(
        self,
        deadline: Deadline,
        max_iterations: int | None,
        on_improvement: Callable[[int, float], None] | None,
    ) -> None:
        self._deadline = deadline
        self._max_iterations = max_iterations
        self._on_improvement = on_improvement
        self._iterations = 0
        self._best: int | None = None
        self._started = time.monotonic()

    def __call__(self, best_cost: int) -> bool:
        self._iterations += 1
        if self._best is None or best_cost < self._best:
            self._best = best_cost
            if self._on_improvement is not None:
                self._on_improvement(best_cost, time.monotonic() - self._started)
        if self._max_iterations is not None:
            return self._iterations > self._max_iterations
        return self._deadline.expired()


class PyvrpEngine:
    """PyVRP behind the engine protocol.

    ``options.deterministic`` stops after ``DETERMINISTIC_ITERATIONS`` instead of at the
    deadline; ``options.settings["max_iterations"]`` sets that limit explicitly (and applies
    whatever ``deterministic`` says). Other settings keys and ``options.start`` are ignored:
    PyVRP builds its own initial population. The search reports no plans on the way, so
    ``options.on_solution`` hears only of the final plan.
    """

    family = SolverFamily.PYVRP

    def unsupported(self, problem: RoutingProblem, exclude: frozenset[int]) -> list[str]:
        """What :func:`unsupported_features` finds."""
        return unsupported_features(problem, exclude)

    def solve(
        self, problem: RoutingProblem, deadline: Deadline, options: EngineOptions
    ) -> EngineResult:
        """The best plan PyVRP finds by ``deadline``; FEASIBLE, since PyVRP proves nothing."""
        max_iterations = options.settings.get("max_iterations")
        if max_iterations is None and options.deterministic:
            max_iterations = DETERMINISTIC_ITERATIONS
        timer = PhaseTimer()
        plan, cost = _solve(
            problem,
            deadline,
            options.seed,
            options.exclude,
            max_iterations,  # type: ignore[arg-type]
            None,
            timer,
        )
        if options.on_solution is not None:
            options.on_solution(Improvement(cost, len(plan.routes), plan))
        return EngineResult(plan=plan, engine="pyvrp", solutions=1, timings=timer.timings)


def solve(
    problem: RoutingProblem,
    deadline: Deadline,
    seed: int = 0,
    exclude: frozenset[int] = frozenset(),
    max_iterations: int | None = None,
    on_improvement: Callable[[int, float], None] | None = None,
) -> tuple[RoutingPlan, SolveReport]:
    """Solve with PyVRP until ``deadline`` (or ``max_iterations``, for deterministic runs).

    ``exclude`` lists stops already ruled out by the feasibility pre-check; they are reported by
    the caller. Raises SolverFailedError when PyVRP is missing, declines the problem, or finds no
    feasible plan.
    """
    started = time.monotonic()
    timer = PhaseTimer()
    plan, _ = _solve(problem, deadline, seed, exclude, max_iterations, on_improvement, timer)
    report = SolveReport(
        family=SolverFamily.PYVRP,
        engine="pyvrp",
        status=Status.FEASIBLE,
        objective=float("nan"),  # the checker's recomputation replaces this
        wall_time=time.monotonic() - started,
        timings=timer.timings,
    )
    return plan, report


def _solve(
    problem: RoutingProblem,
    deadline: Deadline,
    seed: int,
    exclude: frozenset[int],
    max_iterations: int | None,
    on_improvement: Callable[[int, float], None] | None,
    timer: PhaseTimer,
) -> tuple[RoutingPlan, float]:
    """The plan, and PyVRP's own (scaled) cost of it."""
    try:
        import pyvrp
        from pyvrp.solve import SolveParams
    except ImportError as exc:  # optional dependency
        raise SolverFailedError("pyvrp: not installed") from exc
    reasons = unsupported_features(problem, exclude)
    if reasons:
        raise SolverFailedError("pyvrp: cannot model " + ", ".join(reasons))
    trips = bool(problem.facilities)
    keep = [i for i in range(len(problem.stops)) if i not in exclude]
    with timer("build"):
        clock = multitrip.Clock.without(multitrip.common_breaks(problem) or () if trips else ())
        data, layout = _problem_data(pyvrp, problem, keep, clock)
    stop_at = deadline
    if trips:  # finishing the routes (breaks, last unloads) comes after the search
        stop_at = Deadline(deadline.at - min(0.2 * deadline.remaining(), 0.05 + 0.0002 * len(keep)))
    with timer("search"):
        result = pyvrp.solve(
            data,
            stop=_Stop(stop_at, max_iterations, on_improvement),
            seed=seed,
            collect_stats=False,
            display=False,
            params=SolveParams(),
        )
    best = result.best
    if not best.is_feasible():
        raise SolverFailedError("pyvrp: no feasible solution within the budget")
    with timer("finish"):
        routes = [_route(pyvrp, problem, route, keep, layout, clock) for route in best.routes()]
        served = {v.ref for r in routes for v in r.visits if v.kind is VisitKind.STOP}
        skipped = {
            i: (
                SkipReason.SKIPPED_FOR_COST
                if problem.stops[i].optional
                else SkipReason.NO_CAPACITY_LEFT
            )
            for i in keep
            if i not in served
        }
    return RoutingPlan(routes=tuple(routes), skipped=skipped), float(result.cost())


@dataclass
class _Layout:
    """Where our vehicles and facilities went in the PyVRP data."""

    members: list[list[int]]  # vehicle indices per PyVRP vehicle type (taken in order)
    first_facility: int = 0  # PyVRP depot index of facility 0 (reload depots follow it)
    depot_index: dict[int, int] = field(default_factory=dict)  # start location -> depot
    end_index: dict[int, int] = field(default_factory=dict)  # end location -> depot
    ends: list[int] = field(default_factory=list)  # distinct end locations, ascending


def _problem_data(
    pyvrp: Any, problem: RoutingProblem, keep: list[int], clock: multitrip.Clock
) -> tuple[Any, _Layout]:
    """The PyVRP ProblemData of ``problem`` (relaxed as ``multitrip`` says when it has trips)."""
    trips = bool(problem.facilities)
    scale = _scale(problem)
    depots, layout = _depots(pyvrp, problem, clock)
    clients = [_client(pyvrp, problem, i, clock, scale) for i in keep]
    any_costs = any(v.cost_per_km or v.cost_per_hour for v in problem.vehicles)
    vehicle_types = _vehicle_types(pyvrp, problem, layout, clock, scale, any_costs)
    durations, distances = _matrices(problem, layout.ends, any_costs)
    if problem.minimize_vehicles_first:
        big = int(sum(int(m.max()) for m in distances) * max(1, len(keep)) + 1)
        vehicle_types = [vt.replace(fixed_cost=vt.fixed_cost + big) for vt in vehicle_types]

    ends = layout.ends if trips else []
    names = [*problem.location_ids, *(f"end:{problem.location_ids[e]}" for e in ends)]
    locations = [pyvrp.Location(x=0.0, y=0.0, name=name) for name in names]
    try:
        data = pyvrp.ProblemData(
            locations=locations,
            clients=clients,
            depots=depots,
            vehicle_types=vehicle_types,
            distance_matrices=distances,
            duration_matrices=durations,
        )
    except (ValueError, IndexError) as exc:
        raise SolverFailedError(f"pyvrp: rejected the problem ({exc})") from exc
    return data, layout


def _depots(pyvrp: Any, problem: RoutingProblem, clock: multitrip.Clock) -> tuple[list, _Layout]:
    """One depot per distinct start/end location (locations are ours, unchanged); with trips
    the facilities as reload depots, and one virtual end per distinct end location."""
    trips = bool(problem.facilities)
    homes = {v.start for v in problem.vehicles}
    ends = sorted({v.end for v in problem.vehicles})
    if not trips:
        homes |= set(ends)
    depot_index = {loc: i for i, loc in enumerate(sorted(homes))}
    depots = [pyvrp.Depot(location=loc) for loc in sorted(homes)]
    layout = _Layout(members=[], first_facility=len(depots), depot_index=depot_index, ends=ends)
    for f in problem.facilities:
        opening = f.opening
        depots.append(
            pyvrp.Depot(
                location=f.location,
                tw_early=clock(opening.start) if opening else 0,
                tw_late=clock(opening.end) if opening else _INT_MAX,
                service_duration=int(f.unload_duration),
                name=f.id,
            )
        )
    layout.end_index = depot_index
    if trips:
        layout.end_index = {end: len(depots) + j for j, end in enumerate(ends)}
        depots += [pyvrp.Depot(location=len(problem.location_ids) + j) for j in range(len(ends))]
    return depots, layout


def _client(pyvrp: Any, problem: RoutingProblem, i: int, clock: multitrip.Clock, scale: int) -> Any:
    """Stop i as a PyVRP client (its single window on the clock, its penalty as a prize)."""
    s = problem.stops[i]
    window = s.time_windows[0] if s.time_windows else None
    return pyvrp.Client(
        location=s.location,
        pickup=list(s.demands),
        service_duration=int(s.service_duration),
        tw_early=clock(int(window.start)) if window else 0,
        tw_late=clock(int(window.end)) if window else _INT_MAX,
        prize=_scaled(s.skip_penalty, scale) if s.optional else 0,
        required=not s.optional,
        name=s.id,
    )


def _vehicle_types(
    pyvrp: Any,
    problem: RoutingProblem,
    layout: _Layout,
    clock: multitrip.Clock,
    scale: int,
    any_costs: bool,
) -> list:
    """One PyVRP vehicle type per group of identical vehicles (recorded in ``layout``)."""
    groups: dict[tuple, list[int]] = {}
    for k, v in enumerate(problem.vehicles):
        groups.setdefault(_vehicle_key(v), []).append(k)
    vehicle_types = []
    for ks in groups.values():
        vehicle_types.append(_vehicle_type(pyvrp, problem, ks, layout, clock, scale, any_costs))
        layout.members.append(ks)
    return vehicle_types


def _vehicle_type(
    pyvrp: Any,
    problem: RoutingProblem,
    ks: list[int],
    layout: _Layout,
    clock: multitrip.Clock,
    scale: int,
    any_costs: bool,
) -> Any:
    """The vehicle type of the identical vehicles ``ks``."""
    n_dims = problem.n_dims
    v = problem.vehicles[ks[0]]
    capacity = list(v.capacities) if v.capacities is not None else [_INT_MAX // 4] * n_dims
    extra: dict[str, Any] = {}
    if problem.facilities:
        limits = multitrip.trip_limits(problem, ks[0])
        if limits.capacities is not None:
            capacity = list(limits.capacities)
        extra = {
            "reload_depots": [layout.first_facility + f for f in range(len(problem.facilities))]
        }
        if limits.max_trips is not None:
            extra["max_reloads"] = limits.max_trips - 1
    elif v.daily_capacities is not None:  # no facilities: one trip per route
        capacity = [min(a, b) for a, b in zip(capacity, v.daily_capacities, strict=True)]
    has_distances = problem.distances[v.profile] is not None
    shift_duration = _INT_MAX
    if v.max_route_duration:
        shift_duration = max(0, int(v.max_route_duration) - clock.break_seconds)
    return pyvrp.VehicleType(
        num_available=len(ks),
        capacity=capacity if n_dims else [],
        start_depot=layout.depot_index[v.start],
        end_depot=layout.end_index[v.end],
        fixed_cost=_scaled(v.fixed_cost, scale),
        tw_early=clock(int(v.shift.start)),
        tw_late=clock(int(v.shift.end)),
        shift_duration=shift_duration,
        unit_distance_cost=(_scaled(v.cost_per_km, scale, 1000) if has_distances else 0)
        if any_costs
        else 1,
        unit_duration_cost=_scaled(v.cost_per_hour, scale, 3600) if any_costs else 0,
        profile=v.profile,
        name=v.id,
        **extra,
    )


def _matrices(
    problem: RoutingProblem, ends: list[int], any_costs: bool
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Duration and cost matrices per profile (with the virtual ends when there are trips)."""
    durations = [np.asarray(m, dtype=np.int64) for m in problem.durations]
    distances = [
        np.asarray(problem.distances[k], dtype=np.int64)
        if any_costs and problem.distances[k] is not None
        else durations[k]  # no costs at all: minimise travel time, as the OR-Tools model does
        for k in range(len(durations))
    ]
    if problem.facilities:
        extended = [
            _with_virtual_ends(problem, t, c, ends)
            for t, c in zip(durations, distances, strict=True)
        ]
        durations = [t for t, _ in extended]
        distances = [c for _, c in extended]
    return durations, distances


def _with_virtual_ends(
    problem: RoutingProblem, durations: np.ndarray, costs: np.ndarray, ends: list[int]
) -> tuple[np.ndarray, np.ndarray]:
    """The matrices with one more location per end: home through the cheapest last unload."""
    n = durations.shape[0]
    size = n + len(ends)
    seconds = np.zeros((size, size), dtype=np.int64)
    cost = np.zeros((size, size), dtype=np.int64)
    seconds[:n, :n] = durations
    cost[:n, :n] = costs
    for j, end in enumerate(ends):
        cost[:n, n + j], seconds[:n, n + j] = multitrip.end_legs(problem, costs, durations, end)
        cost[n + j, :n], seconds[n + j, :n] = costs[end], durations[end]  # never driven
    return seconds, cost


def _route(
    pyvrp: Any,
    problem: RoutingProblem,
    route: Any,
    keep: list[int],
    layout: _Layout,
    clock: multitrip.Clock,
) -> RoutePlan:
    """Our route for a PyVRP route; with trips, finished into a real one (multitrip)."""
    vehicle = layout.members[route.vehicle_type()].pop(0)
    trips = bool(problem.facilities)
    visits: list[PlannedVisit] = []
    starts: list[int] = []
    for act in route.schedule():
        if act.type == pyvrp.ActivityType.CLIENT:
            # PyVRP's times are on the relaxed clock when there are trips: the checker
            # schedules those routes itself.
            start = None if trips else int(act.start_time)
            visits.append(PlannedVisit(VisitKind.STOP, keep[act.idx], start=start))
        elif (
            trips
            and act.type == pyvrp.ActivityType.DEPOT
            and (layout.first_facility <= act.idx < layout.first_facility + len(problem.facilities))
        ):
            visits.append(PlannedVisit(VisitKind.FACILITY, act.idx - layout.first_facility))
        else:
            continue
        starts.append(int(act.start_time))
    if not trips:
        return RoutePlan(vehicle=vehicle, visits=tuple(visits), departure=int(route.start_time()))
    v = problem.vehicles[vehicle]
    if v.max_stops and sum(1 for x in visits if x.kind is VisitKind.STOP) > v.max_stops:
        raise SolverFailedError(f"pyvrp: the route of {v.id} is over its {v.max_stops} stops")
    cuts = [bisect.bisect_left(starts, clock.at_cut(b)) for b in v.breaks]
    finished = multitrip.finish_route(problem, vehicle, visits, cuts)
    if finished is None:
        raise SolverFailedError(f"pyvrp: found no place for the breaks and last unload of {v.id}")
    return finished
