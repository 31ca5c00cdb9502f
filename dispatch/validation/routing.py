"""PlanRoutes / EvaluatePlan validation: sizes, then shape, then meaning, per routing.proto.

``prefix`` puts the paths where the caller sees them: ``problem.vehicles[0].start_location_id``
for EvaluatePlan, ``request.stops[0]`` for CreatePlanJob.
"""

from __future__ import annotations

from collections.abc import Sequence

from dispatch._proto.dispatch.v1 import common_pb2, jobs_pb2, routing_pb2
from dispatch.validation import limits
from dispatch.validation.common import (
    Problems,
    check_cost,
    check_enum,
    check_ids,
    check_loads,
    check_matrix,
    check_names,
    check_non_negative,
    check_options,
    check_reference,
    check_routing_solver,
    check_strings,
    check_timestamp,
    check_total,
    check_window,
    first_index,
    has_distances,
    show,
)
from dispatch.validation.coordinates import check_routing_coordinates
from dispatch.validation.live_state import check_live_state
from dispatch.validation.reference_plan import check_reference_plan, check_reference_size
from dispatch.validation.soft_windows import check_soft_window, reject_soft_fields
from dispatch.validation.travel_estimate import (
    check_materialisable,
    check_travel_estimate,
    location_limit,
)
from dispatch.validation.travel_periods import check_travel_periods, period_types

_VISIT_KINDS = {routing_pb2.Visit.STOP, routing_pb2.Visit.FACILITY, routing_pb2.Visit.BREAK}


def check_size(request: routing_pb2.PlanRoutesRequest, prefix: str = "") -> None:
    """Raise RequestTooLargeError for requests the service will not take in one call."""
    p = prefix
    most = location_limit(request)  # higher with a travel estimate: no matrix to carry
    limits.check_count(f"{p}location_ids", len(request.location_ids), most, "locations")
    limits.check_count(
        f"{p}location_coordinates",
        len(request.location_coordinates),
        most,
        "location coordinates",
    )
    limits.check_count(f"{p}stops", len(request.stops), limits.MAX_STOPS, "stops")
    limits.check_count(f"{p}vehicles", len(request.vehicles), limits.MAX_VEHICLES, "vehicles")
    limits.check_count(
        f"{p}facilities", len(request.facilities), limits.MAX_FACILITIES, "facilities"
    )
    limits.check_count(
        f"{p}vehicle_type_matrices",
        len(request.vehicle_type_matrices),
        limits.MAX_VEHICLE_TYPE_MATRICES,
        "vehicle type matrices",
    )
    limits.check_count(
        f"{p}load_dimensions",
        len(request.load_dimensions),
        limits.MAX_LOAD_DIMENSIONS,
        "load dimensions",
    )
    for i, stop in enumerate(request.stops):
        limits.check_count(
            f"{p}stops[{i}].time_windows",
            len(stop.time_windows),
            limits.MAX_TIME_WINDOWS_PER_STOP,
            "time windows",
        )
    for i, vehicle in enumerate(request.vehicles):
        limits.check_count(
            f"{p}vehicles[{i}].breaks", len(vehicle.breaks), limits.MAX_BREAKS_PER_VEHICLE, "breaks"
        )
    check_plan_size(request.initial_routes, f"{p}initial_routes")
    check_reference_size(request, p)


def check_plan_size(routes: Sequence[routing_pb2.PlannedRoute], path: str) -> None:
    """A caller plan (warm start or EvaluatePlan routes) has a bounded number of visits."""
    visits = sum(len(route.visits) for route in routes)
    limits.check_count(path, visits, limits.MAX_PLANNED_VISITS, "planned visits")
    limits.check_count(path, len(routes), limits.MAX_VEHICLES, "routes")


def _shape(request: routing_pb2.PlanRoutesRequest, problems: Problems) -> None:
    """Non-empty lists, ids of every kind, matrix shapes over location_ids."""
    n = len(request.location_ids)
    if not n:
        problems.add("location_ids", "At least one location is required.")
    if not request.vehicles:
        problems.add("vehicles", "At least one vehicle is required.")
    if not request.stops:
        problems.add("stops", "At least one stop is required.")
    check_names(problems, "location_ids", request.location_ids, "location id")
    check_ids(problems, "vehicles", [v.id for v in request.vehicles], "vehicle")
    check_ids(problems, "stops", [s.id for s in request.stops], "stop")
    check_ids(problems, "facilities", [f.id for f in request.facilities], "facility")
    check_names(problems, "load_dimensions", request.load_dimensions, "load dimension")
    shape = f"{n} x {n} locations"
    timed = period_types(request)  # their drives are timed by periods: durations optional
    required = "" not in timed and not request.HasField("travel_estimate")
    check_matrix(problems, "travel", request.travel, n, n, shape, required=required)
    seen: set[str] = set()
    for i, typed in enumerate(request.vehicle_type_matrices):
        path = f"vehicle_type_matrices[{i}]"
        name = typed.vehicle_type
        empty = f"Vehicle type matrix {i} names no vehicle type."
        twice = f"Duplicate vehicle type: {show(name)}."
        _check_first_use(problems, f"{path}.vehicle_type", name, seen, empty, twice)
        required = name not in timed
        check_matrix(problems, f"{path}.travel", typed.travel, n, n, shape, required=required)


def _check_first_use(
    problems: Problems, path: str, name: str, seen: set[str], empty: str, twice: str
) -> None:
    """A name that must be given and used once in its list (records it in ``seen``); ``empty``
    and ``twice`` are the problems to report otherwise."""
    if not name:
        problems.add(path, empty)
    elif name in seen:
        problems.add(path, twice)
    seen.add(name)


def _vehicles(request: routing_pb2.PlanRoutesRequest, problems: Problems) -> None:
    locations = first_index(request.location_ids)
    types = {t.vehicle_type: t for t in request.vehicle_type_matrices if t.vehicle_type}
    dims = len(request.load_dimensions)
    for i, vehicle in enumerate(request.vehicles):
        path, owner = f"vehicles[{i}]", f"Vehicle {show(vehicle.id)}"
        matrix = _vehicle_matrix(request, vehicle, types, path, owner, problems)
        for end in ("start_location_id", "end_location_id"):
            check_reference(
                problems, f"{path}.{end}", getattr(vehicle, end), locations, "location", owner
            )
        if vehicle.HasField("shift"):
            check_window(problems, f"{path}.shift", vehicle.shift, owner)
            reject_soft_fields(problems, f"{path}.shift", vehicle.shift, owner, "shift")
        for field, what in (("capacities", "capacity"), ("daily_capacities", "daily capacity")):
            loads = getattr(vehicle, field)
            check_loads(problems, f"{path}.{field}", loads, dims, what, owner, limits.MAX_CAPACITY)
        check_strings(problems, f"{path}.skills", vehicle.skills, "skill", owner)
        _vehicle_costs(vehicle, matrix, path, owner, problems)
        for field in ("max_route_duration", "max_stops"):
            check_non_negative(problems, f"{path}.{field}", getattr(vehicle, field), field, owner)
        _breaks(vehicle, path, owner, problems)
        if problems.full:
            return


def _vehicle_matrix(
    request: routing_pb2.PlanRoutesRequest,
    vehicle: routing_pb2.Vehicle,
    types: dict[str, routing_pb2.VehicleTypeMatrix],
    path: str,
    owner: str,
    problems: Problems,
) -> common_pb2.TravelMatrix | None:
    """The travel matrix this vehicle drives on (the shared one when its type has none); None
    with a travel estimate (it has metres; its types are checked with it)."""
    if request.HasField("travel_estimate"):
        return None
    if not vehicle.vehicle_type:
        return request.travel
    typed = types.get(vehicle.vehicle_type)
    if typed is None:
        problems.add(
            f"{path}.vehicle_type",
            f"{owner} has vehicle type {show(vehicle.vehicle_type)} with no matrix in "
            "vehicle_type_matrices.",
        )
        return request.travel
    return typed.travel


def _vehicle_costs(
    vehicle: routing_pb2.Vehicle,
    matrix: common_pb2.TravelMatrix | None,
    path: str,
    owner: str,
    problems: Problems,
) -> None:
    """Costs within the bounds every engine can scale without overflow (see limits)."""
    check_cost(
        problems, f"{path}.fixed_cost", vehicle.fixed_cost, "fixed_cost", owner, limits.MAX_COST
    )
    for rate in ("cost_per_hour", "cost_per_km"):
        value = getattr(vehicle, rate)
        check_cost(problems, f"{path}.{rate}", value, rate, owner, limits.MAX_COST_RATE)
    if vehicle.cost_per_km > 0 and matrix is not None and not has_distances(matrix):
        problems.add(
            f"{path}.cost_per_km",
            f"{owner} has a cost per km but its travel matrix has no distances.",
        )


def _breaks(vehicle: routing_pb2.Vehicle, path: str, owner: str, problems: Problems) -> None:
    break_ids: set[str] = set()
    for j, brk in enumerate(vehicle.breaks):
        where = f"{path}.breaks[{j}]"
        empty = f"{owner} has a break with an empty id."
        twice = f"{owner} has duplicate break id {show(brk.id)}."
        _check_first_use(problems, f"{where}.id", brk.id, break_ids, empty, twice)
        if not brk.HasField("start_window"):
            problems.add(f"{where}.start_window", f"{owner} has a break with no start window.")
        else:
            check_window(problems, f"{where}.start_window", brk.start_window, owner)
            reject_soft_fields(
                problems, f"{where}.start_window", brk.start_window, owner, "break window"
            )
        check_non_negative(problems, f"{where}.duration", brk.duration, "break duration", owner)


def check_stop_values(problems: Problems, path: str, stop: routing_pb2.Stop, owner: str) -> None:
    """A stop's own values: service time, windows, skills and skip penalty (no references)."""
    check_non_negative(
        problems, f"{path}.service_duration", stop.service_duration, "service duration", owner
    )
    for j, window in enumerate(stop.time_windows):
        check_window(problems, f"{path}.time_windows[{j}]", window, owner)
        check_soft_window(problems, f"{path}.time_windows[{j}]", stop.time_windows, j, owner)
    check_strings(problems, f"{path}.required_skills", stop.required_skills, "skill", owner)
    check_cost(
        problems, f"{path}.skip_penalty", stop.skip_penalty, "skip_penalty", owner, limits.MAX_COST
    )


def _stops(request: routing_pb2.PlanRoutesRequest, problems: Problems) -> None:
    locations = first_index(request.location_ids)
    vehicles = first_index(v.id for v in request.vehicles)
    dims = len(request.load_dimensions)
    for i, stop in enumerate(request.stops):
        path, owner = f"stops[{i}]", f"Stop {show(stop.id)}"
        check_reference(
            problems, f"{path}.location_id", stop.location_id, locations, "location", owner
        )
        check_loads(
            problems, f"{path}.demands", stop.demands, dims, "demand", owner, limits.MAX_DEMAND
        )
        check_stop_values(problems, path, stop, owner)
        for j, vehicle_id in enumerate(stop.allowed_vehicle_ids):
            check_reference(
                problems,
                f"{path}.allowed_vehicle_ids[{j}]",
                vehicle_id,
                vehicles,
                "vehicle",
                owner,
            )
        if problems.full:
            return
    for i, facility in enumerate(request.facilities):
        path, owner = f"facilities[{i}]", f"Facility {show(facility.id)}"
        check_reference(
            problems, f"{path}.location_id", facility.location_id, locations, "location", owner
        )
        if facility.HasField("opening"):
            check_window(problems, f"{path}.opening", facility.opening, owner)
            reject_soft_fields(problems, f"{path}.opening", facility.opening, owner, "opening")
        check_non_negative(
            problems, f"{path}.unload_duration", facility.unload_duration, "unload duration", owner
        )


def _totals(request: routing_pb2.PlanRoutesRequest, problems: Problems) -> None:
    """Fixed costs and the skip penalties of optional stops, summed, stay within their limits
    (see limits: together they must stay below OR-Tools' mandatory-stop penalty)."""
    check_total(
        problems,
        "vehicles",
        (vehicle.fixed_cost for vehicle in request.vehicles),
        "fixed costs of the vehicles",
        limits.MAX_TOTAL_FIXED_COST,
        limits.MAX_COST,
    )
    check_total(
        problems,
        "stops",
        (stop.skip_penalty for stop in request.stops if stop.optional),
        "skip penalties of the optional stops",
        limits.MAX_TOTAL_SKIP_PENALTY,
        limits.MAX_COST,
    )


def _kind_name(kind: int) -> str:
    """The enum name people know (START), or the number when the contract has no such value."""
    values = routing_pb2.Visit.Kind.DESCRIPTOR.values_by_number
    return values[kind].name if kind in values else str(kind)


def check_plan(
    request: routing_pb2.PlanRoutesRequest,
    routes: Sequence[routing_pb2.PlannedRoute],
    path: str,
    problems: Problems,
) -> None:
    """A caller plan refers to known vehicles (one route each) and known stops/facilities/breaks."""
    vehicles = first_index(v.id for v in request.vehicles)
    stops = first_index(s.id for s in request.stops)
    facilities = first_index(f.id for f in request.facilities)
    routed: set[str] = set()
    for i, route in enumerate(routes):
        where = f"{path}[{i}]"
        owner = f"Route of vehicle {show(route.vehicle_id)}"
        index = check_reference(
            problems, f"{where}.vehicle_id", route.vehicle_id, vehicles, "vehicle", f"Route {i}"
        )
        if route.vehicle_id in routed:
            problems.add(
                f"{where}.vehicle_id", f"Vehicle {show(route.vehicle_id)} has more than one route."
            )
        routed.add(route.vehicle_id)
        breaks = (
            {b.id for b in request.vehicles[index].breaks if b.id} if index is not None else None
        )
        for j, visit in enumerate(route.visits):
            at = f"{where}.visits[{j}]"
            if visit.kind not in _VISIT_KINDS:
                problems.add(
                    f"{at}.kind",
                    f"{owner} has a visit of kind {_kind_name(visit.kind)}; "
                    "use STOP, FACILITY or BREAK.",
                )
                continue
            if visit.kind == routing_pb2.Visit.STOP:
                check_reference(problems, f"{at}.id", visit.id, stops, "stop", owner)
            elif visit.kind == routing_pb2.Visit.FACILITY:
                check_reference(problems, f"{at}.id", visit.id, facilities, "facility", owner)
            elif breaks is not None and visit.id not in breaks:
                problems.add(
                    f"{at}.id", f"{owner} takes break {show(visit.id)}, which the vehicle lacks."
                )
            if problems.full:
                return


def collect_plan_routes(request: routing_pb2.PlanRoutesRequest, problems: Problems) -> None:
    """Every problem of a PlanRoutes request into ``problems`` (size already checked)."""
    check_options(problems, "options", request.options)
    check_routing_solver(problems, "options", request.options)
    if request.HasField("horizon_start"):
        check_timestamp(problems, "horizon_start", request.horizon_start)
    check_enum(
        problems,
        "workload",
        request.workload,
        routing_pb2.Workload.DESCRIPTOR,
        "Request",
        required=False,
    )
    check_enum(
        problems,
        "objective.mode",
        request.objective.mode,
        routing_pb2.RoutingObjective.Mode.DESCRIPTOR,
        "Objective",
        required=False,
    )
    _shape(request, problems)
    check_routing_coordinates(request, problems)
    _vehicles(request, problems)
    _stops(request, problems)
    _totals(request, problems)
    check_plan(request, request.initial_routes, "initial_routes", problems)
    check_reference_plan(request, problems)
    check_live_state(request, problems)
    check_travel_periods(request, problems)
    check_travel_estimate(request, problems)


def validate_plan_routes(request: routing_pb2.PlanRoutesRequest, prefix: str = "") -> None:
    """Raise RequestTooLargeError or InvalidProblemError (every problem, up to 100), else return."""
    check_size(request, prefix)
    check_materialisable(request, prefix)  # PlanRoutes never decomposes: it builds the matrix
    problems = Problems(prefix)
    collect_plan_routes(request, problems)
    problems.raise_if_any()


def collect_wrapped(
    outer: routing_pb2.EvaluatePlanRequest | jobs_pb2.CreatePlanJobRequest, field: str, missing: str
) -> Problems:
    """The problems of the PlanRoutesRequest in ``outer.<field>``, with paths under ``field.``;
    raises RequestTooLargeError first when it is too large."""
    check_size(getattr(outer, field), f"{field}.")
    problems = Problems(f"{field}.")
    if not outer.HasField(field):
        problems.add("", missing)
    else:
        collect_plan_routes(getattr(outer, field), problems)
    return problems


def validate_evaluate_plan(request: routing_pb2.EvaluatePlanRequest) -> None:
    """The problem under ``problem.`` plus the caller's routes under ``routes``."""
    problems = collect_wrapped(
        request, "problem", "EvaluatePlan needs the problem the plan is for."
    )
    check_materialisable(request.problem, "problem.")
    check_plan_size(request.routes, "routes")
    plan_problems = Problems()
    check_plan(request.problem, request.routes, "routes", plan_problems)
    combined = Problems()
    combined.items = (problems.items + plan_problems.items)[:100]
    combined.raise_if_any()
