"""The PyVRP ProblemData of a routing problem: depots, clients and groups, vehicle types, profiles.

Costs: the service objective is fixed + cost_per_hour x duration + cost_per_km x distance + skip
penalties, in floats; PyVRP needs integers, so every coefficient is scaled by one common factor
(per-metre and per-second rates become integers) and reduced by their gcd. When no vehicle has a
per-km or per-hour rate, driving is priced at one objective unit per hour of travel, as in the
OR-Tools model: the contract's cost (fixed costs and skip penalties) comes first, driving time
breaks the ties. The plan PyVRP returns is re-scored by the independent checker, never by these
scaled numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np

from solvers.errors import SolverFailedError
from solvers.routing import multitrip
from solvers.routing.break_clock import Clock
from solvers.routing.engines.pyvrp.profiles import Profiles, matrices, profiles
from solvers.routing.problem import RoutingProblem, Vehicle, merged_windows

__all__ = ["INT_MAX", "Layout", "problem_data"]

INT_MAX = int(np.iinfo(np.int64).max)
# Rates are exact rationals per metre and per second; this bounds their denominators so the
# scaled integers stay far from int64 overflow even for city-sized routes.
_MAX_DENOMINATOR = 10_000
#: A forbidden arc times the largest unit cost stays below 2**_COST_BITS (int64 has 63; PyVRP
#: adds penalties on top, see _forbidden_value).
_COST_BITS = 40


@dataclass
class Layout:
    """Where our vehicles, stops and facilities went in the PyVRP data."""

    members: list[list[int]]  # vehicle indices per PyVRP vehicle type (taken in order)
    client_stop: list[int] = field(default_factory=list)  # our stop behind each PyVRP client
    first_facility: int = 0  # PyVRP depot index of facility 0 (reload depots follow it)
    depot_index: dict[int, int] = field(default_factory=dict)  # start location -> depot
    end_index: dict[int, int] = field(default_factory=dict)  # end location -> depot
    scale: int = 1  # PyVRP cost units per objective unit (see _scale)


def _rate(value: float, per: int = 1) -> Fraction:
    """A rate as an exact rational; ``per`` turns per-km into per-metre, per-hour into per-s."""
    return Fraction(value).limit_denominator(_MAX_DENOMINATOR) / per


def _scale(problem: RoutingProblem) -> tuple[int, bool]:
    """One integer factor that turns every rate and penalty into an integer, and whether any
    vehicle has a per-km or per-hour rate (else driving costs one unit per hour)."""
    rates = [_rate(s.skip_penalty) for s in problem.stops]
    for v in problem.vehicles:
        rates += [_rate(v.cost_per_km, 1000), _rate(v.cost_per_hour, 3600), _rate(v.fixed_cost)]
    any_rates = any(v.cost_per_km or v.cost_per_hour for v in problem.vehicles)
    if not any_rates:
        rates.append(_rate(1.0, 3600))
    return math.lcm(*(r.denominator for r in rates)), any_rates


def _scaled(value: float, scale: int, per: int = 1) -> int:
    return int(_rate(value, per) * scale)


def _vehicle_key(v: Vehicle) -> tuple:
    return (
        v.start,
        v.end,
        v.shift,
        v.capacities,
        v.daily_capacities,
        v.fixed_cost,
        v.cost_per_hour,
        v.cost_per_km,
        v.max_route_duration,
    )


def problem_data(
    pyvrp: Any, problem: RoutingProblem, keep: list[int], clock: Clock
) -> tuple[Any, Layout]:
    """The PyVRP ProblemData of ``problem`` for the stops in ``keep``, on ``clock``."""
    scale, any_rates = _scale(problem)
    prof = profiles(problem, keep)
    depots, layout = _depots(pyvrp, problem, prof, clock)
    layout.scale = scale
    clients, groups = _clients(pyvrp, problem, keep, prof, clock, scale, layout)
    vehicle_types = _vehicle_types(pyvrp, problem, prof, layout, clock, scale, any_rates)
    largest = _largest_arc(problem, prof, any_rates)
    forbidden = 0
    if prof.masks:
        forbidden = _forbidden_value(problem, vehicle_types, clock, largest, len(clients))
    durations, costs = matrices(problem, prof, any_rates, forbidden)
    if problem.minimize_vehicles_first:
        big = _plan_cost_bound(problem, vehicle_types, clients, largest, clock) + 1
        vehicle_types = [vt.replace(fixed_cost=vt.fixed_cost + big) for vt in vehicle_types]
    ids = problem.location_ids
    names = [ids[s] if j < len(ids) else f"copy:{ids[s]}" for j, s in enumerate(prof.sources)]
    names += [f"end:{ids[e]}" for e in prof.ends]
    locations = [pyvrp.Location(x=0.0, y=0.0, name=name) for name in names]
    try:
        data = pyvrp.ProblemData(
            locations=locations,
            clients=clients,
            depots=depots,
            vehicle_types=vehicle_types,
            distance_matrices=costs,
            duration_matrices=durations,
            groups=groups,
        )
    except (ValueError, IndexError) as exc:
        raise SolverFailedError(f"pyvrp: rejected the problem ({exc})") from exc
    return data, layout


def _depots(
    pyvrp: Any, problem: RoutingProblem, prof: Profiles, clock: Clock
) -> tuple[list, Layout]:
    """One depot per distinct start/end location (locations are ours, unchanged); with trips
    the facilities as reload depots, and one virtual end per distinct end location."""
    trips = bool(problem.facilities)
    homes = {v.start for v in problem.vehicles}
    ends = sorted({v.end for v in problem.vehicles})
    if not trips:
        homes |= set(ends)
    depot_index = {loc: i for i, loc in enumerate(sorted(homes))}
    depots = [pyvrp.Depot(location=loc) for loc in sorted(homes)]
    layout = Layout(members=[], first_facility=len(depots), depot_index=depot_index)
    for f in problem.facilities:
        opening = f.opening
        depots.append(
            pyvrp.Depot(
                location=f.location,
                tw_early=clock(opening.start) if opening else 0,
                tw_late=clock(opening.end) if opening else INT_MAX,
                service_duration=int(f.unload_duration),
                name=f.id,
            )
        )
    layout.end_index = depot_index
    if trips:  # virtual ends follow our locations and their copies (profiles.Profiles)
        first = len(prof.sources)
        layout.end_index = {end: len(depots) + j for j, end in enumerate(ends)}
        depots += [pyvrp.Depot(location=first + j) for j in range(len(ends))]
    return depots, layout


def _clients(
    pyvrp: Any,
    problem: RoutingProblem,
    keep: list[int],
    prof: Profiles,
    clock: Clock,
    scale: int,
    layout: Layout,
) -> tuple[list, list]:
    """One client per kept stop and window span; a stop with several spans is a mutually
    exclusive group of copies (required when the stop is, else optional with its penalty as
    every copy's prize: serving one copy collects it once). Recorded in ``layout``."""
    clients: list = []
    groups: list = []
    for i in keep:
        s = problem.stops[i]
        # No window: one client with none, else one client per span (see merged_windows).
        spans: list[tuple[int, int] | None] = list(merged_windows(s.time_windows)) or [None]
        prize = _scaled(s.skip_penalty, scale) if s.optional else 0
        group = None
        if len(spans) > 1:
            group = len(groups)
            members = list(range(len(clients), len(clients) + len(spans)))
            groups.append(pyvrp.ClientGroup(members, required=not s.optional))
        for span in spans:
            clients.append(
                pyvrp.Client(
                    location=prof.stop_location[i],
                    pickup=list(s.demands),
                    service_duration=int(s.service_duration),
                    tw_early=clock(span[0]) if span else 0,
                    tw_late=clock(span[1]) if span else INT_MAX,
                    prize=prize,
                    required=not s.optional and group is None,
                    group=group,
                    name=s.id,
                )
            )
            layout.client_stop.append(i)
    return clients, groups


def _vehicle_types(
    pyvrp: Any,
    problem: RoutingProblem,
    prof: Profiles,
    layout: Layout,
    clock: Clock,
    scale: int,
    any_rates: bool,
) -> list:
    """One PyVRP vehicle type per group of identical vehicles (recorded in ``layout``).

    Vehicles are identical when they share everything PyVRP sees, their routing profile (travel
    matrix and the stops they may serve) included; their breaks are the clock's.
    """
    groups: dict[tuple, list[int]] = {}
    for k, v in enumerate(problem.vehicles):
        groups.setdefault((_vehicle_key(v), prof.of_vehicle[k]), []).append(k)
    vehicle_types = []
    for (_, profile), ks in groups.items():
        vehicle_types.append(
            _vehicle_type(pyvrp, problem, ks, profile, layout, clock, scale, any_rates)
        )
        layout.members.append(ks)
    return vehicle_types


def _vehicle_type(
    pyvrp: Any,
    problem: RoutingProblem,
    ks: list[int],
    profile: int,
    layout: Layout,
    clock: Clock,
    scale: int,
    any_rates: bool,
) -> Any:
    """The vehicle type of the identical vehicles ``ks``."""
    n_dims = problem.n_dims
    v = problem.vehicles[ks[0]]
    capacity = list(v.capacities) if v.capacities is not None else [INT_MAX // 4] * n_dims
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
    shift_duration = INT_MAX
    if v.max_route_duration:  # the clock leaves the breaks out of the duration too
        shift_duration = max(0, int(v.max_route_duration) - clock.break_seconds)
    if any_rates:
        has_distances = problem.distances[v.profile] is not None
        per_metre = _scaled(v.cost_per_km, scale, 1000) if has_distances else 0
        per_second = _scaled(v.cost_per_hour, scale, 3600)
    else:  # the cost matrix holds travel seconds, one objective unit per hour
        per_metre, per_second = _scaled(1.0, scale, 3600), 0
    return pyvrp.VehicleType(
        num_available=len(ks),
        capacity=capacity if n_dims else [],
        start_depot=layout.depot_index[v.start],
        end_depot=layout.end_index[v.end],
        fixed_cost=_scaled(v.fixed_cost, scale),
        tw_early=clock(int(v.shift.start)),
        tw_late=clock(int(v.shift.end)),
        shift_duration=shift_duration,
        unit_distance_cost=per_metre,
        unit_duration_cost=per_second,
        profile=profile,
        name=v.id,
        **extra,
    )


def _largest_arc(problem: RoutingProblem, prof: Profiles, any_rates: bool) -> int:
    """An upper bound on the cost of one allowed arc (a virtual end's leg is two arcs)."""
    largest = 0
    for p in {p for p, _ in prof.keys}:
        metres = problem.distances[p]
        cost = metres if any_rates and metres is not None else problem.durations[p]
        largest = max(largest, int(np.max(cost, initial=0)))
    return 2 * largest


def _forbidden_value(
    problem: RoutingProblem, vehicle_types: list, clock: Clock, largest_arc: int, n_clients: int
) -> int:
    """Duration and cost of an arc into a stop the vehicle may not serve.

    Beyond every shift's end, so a route that uses one always ends late (time warp: never
    feasible), and dearer than any whole route, so the search leaves it. No larger: PyVRP's own
    value for a missing arc (``pyvrp.constants.MAX_VALUE``, 2**44) made the search hang on the
    city instances (measured: one iteration took minutes, against 0.1 s for 50 iterations at
    10**12), as if its penalised costs overflowed.
    """
    latest = max(clock(int(v.shift.end)) for v in problem.vehicles)
    value = 2 * max(latest, largest_arc * (n_clients + 2)) + 1
    unit = max(max(vt.unit_distance_cost, vt.unit_duration_cost) for vt in vehicle_types)
    if value.bit_length() + max(1, unit).bit_length() > _COST_BITS:
        raise SolverFailedError("pyvrp: costs too large to forbid arcs without overflow")
    return value


def _plan_cost_bound(
    problem: RoutingProblem, vehicle_types: list, clients: list, largest_arc: int, clock: Clock
) -> int:
    """More than any plan can cost: every vehicle at its fixed cost driving the largest arc
    into every client and home, over its whole shift, and every prize left."""
    bound = sum(c.prize for c in clients)
    for vt in vehicle_types:
        shift = max(0, vt.tw_late - vt.tw_early) if vt.tw_late < INT_MAX else 0
        route = vt.unit_distance_cost * largest_arc * (len(clients) + 2)
        route += vt.unit_duration_cost * shift + vt.fixed_cost
        bound += route * vt.num_available
    return bound
