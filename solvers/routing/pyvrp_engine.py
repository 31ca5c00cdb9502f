"""PyVRP as a second routing engine, for the requests its model can express.

Measured (DESIGN.md): on Solomon VRPTW PyVRP 0.14 lands ~5x closer to the optimum than tuned
OR-Tools at equal budgets, so the portfolio runs it beside OR-Tools when the request fits and
keeps the better plan that passes the checker. PyVRP has no driver breaks, several windows per
stop, skills, per-stop vehicle restrictions, stop limits or disposal-before-depot rule; a request
using any of those is declined by :func:`unsupported_features` and OR-Tools alone serves it.

Costs: the service objective is fixed + cost_per_hour x duration + cost_per_km x distance + skip
penalties, in floats; PyVRP needs integers, so every coefficient is scaled by one common factor
(per-metre and per-second rates become integers) and reduced by their gcd. The plan PyVRP returns
is re-scored by the independent checker, never by these scaled numbers.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from fractions import Fraction

import numpy as np

from solvers.budget import Deadline
from solvers.errors import SolverFailedError
from solvers.routing.model import RoutingProblem, Vehicle
from solvers.routing.plan import PlannedVisit, RoutePlan, RoutingPlan, SkipReason, VisitKind
from solvers.status import SolveReport, SolverFamily, Status

_INT_MAX = np.iinfo(np.int64).max
# Rates are exact rationals per metre and per second; this bounds their denominators so the
# scaled integers stay far from int64 overflow even for city-sized routes.
_MAX_DENOMINATOR = 10_000


def unsupported_features(
    problem: RoutingProblem, exclude: frozenset[int] = frozenset()
) -> list[str]:
    """Features of ``problem`` that PyVRP cannot model exactly (empty list = PyVRP can solve it)."""
    found: list[str] = []
    if problem.facilities:
        found.append("disposal facilities (unload before returning)")
    if any(v.breaks for v in problem.vehicles):
        found.append("driver breaks")
    if any(v.max_stops for v in problem.vehicles):
        found.append("max stops per vehicle")
    stops = [s for i, s in enumerate(problem.stops) if i not in exclude]
    if any(len(s.time_windows) > 1 for s in stops):
        found.append("several time windows per stop")
    all_vehicles = frozenset(range(len(problem.vehicles)))
    for s in stops:
        eligible = s.allowed_vehicles if s.allowed_vehicles is not None else all_vehicles
        eligible = frozenset(k for k in eligible if s.required_skills <= problem.vehicles[k].skills)
        if eligible != all_vehicles:
            found.append("skills or allowed vehicles")
            break
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
        v.matrix,
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
    try:
        import pyvrp
        from pyvrp.solve import SolveParams
    except ImportError as exc:  # optional dependency
        raise SolverFailedError("pyvrp: not installed") from exc
    reasons = unsupported_features(problem, exclude)
    if reasons:
        raise SolverFailedError("pyvrp: cannot model " + ", ".join(reasons))
    started = time.monotonic()

    scale = _scale(problem)
    n_dims = problem.n_dims
    keep = [i for i in range(len(problem.stops)) if i not in exclude]

    # Depots: one per distinct start/end location; locations are ours, unchanged.
    depot_locations = sorted(
        {v.start for v in problem.vehicles} | {v.end for v in problem.vehicles}
    )
    depot_index = {loc: i for i, loc in enumerate(depot_locations)}
    depots = [pyvrp.Depot(location=loc) for loc in depot_locations]

    clients = []
    for i in keep:
        s = problem.stops[i]
        window = s.time_windows[0] if s.time_windows else None
        clients.append(
            pyvrp.Client(
                location=s.location,
                pickup=list(s.demands) if s.demands else [0] * n_dims,
                service_duration=int(s.service_duration),
                tw_early=int(window.start) if window else 0,
                tw_late=int(window.end) if window else _INT_MAX,
                prize=_scaled(s.skip_penalty, scale) if s.optional else 0,
                required=not s.optional,
                name=s.id,
            )
        )

    any_costs = any(v.cost_per_km or v.cost_per_hour for v in problem.vehicles)
    groups: dict[tuple, list[int]] = {}
    for k, v in enumerate(problem.vehicles):
        groups.setdefault(_vehicle_key(v), []).append(k)
    vehicle_types = []
    members: list[list[int]] = []
    for ks in groups.values():
        v = problem.vehicles[ks[0]]
        capacity = list(v.capacities) if v.capacities is not None else [_INT_MAX // 4] * n_dims
        if v.daily_capacities is not None:  # no facilities here: one trip per route
            capacity = [min(a, b) for a, b in zip(capacity, v.daily_capacities, strict=True)]
        has_distances = problem.distances[v.matrix] is not None
        vehicle_types.append(
            pyvrp.VehicleType(
                num_available=len(ks),
                capacity=capacity if n_dims else [],
                start_depot=depot_index[v.start],
                end_depot=depot_index[v.end],
                fixed_cost=_scaled(v.fixed_cost, scale),
                tw_early=int(v.shift.start),
                tw_late=int(v.shift.end),
                shift_duration=int(v.max_route_duration) if v.max_route_duration else _INT_MAX,
                unit_distance_cost=(_scaled(v.cost_per_km, scale, 1000) if has_distances else 0)
                if any_costs
                else 1,
                unit_duration_cost=_scaled(v.cost_per_hour, scale, 3600) if any_costs else 0,
                profile=v.matrix,
                name=v.id,
            )
        )
        members.append(ks)

    n_matrices = len(problem.durations)
    durations = [np.asarray(m, dtype=np.int64) for m in problem.durations]
    distances = [
        np.asarray(problem.distances[k], dtype=np.int64)
        if any_costs and problem.distances[k] is not None
        else durations[k]  # no costs at all: minimise travel time, as the OR-Tools model does
        for k in range(n_matrices)
    ]
    if problem.minimize_vehicles_first:
        big = int(sum(int(m.max()) for m in distances) * max(1, len(keep)) + 1)
        vehicle_types = [vt.replace(fixed_cost=vt.fixed_cost + big) for vt in vehicle_types]

    locations = [pyvrp.Location(x=0.0, y=0.0, name=name) for name in problem.location_ids]
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

    stop = _Stop(deadline, max_iterations, on_improvement)
    result = pyvrp.solve(
        data, stop=stop, seed=seed, collect_stats=False, display=False, params=SolveParams()
    )
    best = result.best
    if not best.is_feasible():
        raise SolverFailedError("pyvrp: no feasible solution within the budget")

    routes: list[RoutePlan] = []
    free = [list(ks) for ks in members]
    for route in best.routes():
        vehicle = free[route.vehicle_type()].pop(0)
        visits = tuple(
            PlannedVisit(VisitKind.STOP, keep[act.idx], start=int(act.start_time))
            for act in route.schedule()
            if act.type == pyvrp.ActivityType.CLIENT
        )
        routes.append(RoutePlan(vehicle=vehicle, visits=visits, departure=int(route.start_time())))
    served = {v.ref for r in routes for v in r.visits}
    skipped = {
        i: (
            SkipReason.SKIPPED_FOR_COST
            if problem.stops[i].optional
            else SkipReason.NO_CAPACITY_LEFT
        )
        for i in keep
        if i not in served
    }
    report = SolveReport(
        family=SolverFamily.PYVRP,
        engine="pyvrp",
        status=Status.FEASIBLE,
        objective=float("nan"),  # the checker's recomputation replaces this
        wall_time=time.monotonic() - started,
    )
    return RoutingPlan(routes=tuple(routes), skipped=skipped), report
