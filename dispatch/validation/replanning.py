"""AdviseInsertion validation: the live plan, the new stops, the options wanted.

Two steps, because a live plan given by ``job_id`` is only known once the job is read:
:func:`validate_advise_insertion` checks everything the request carries (for an inline plan,
the problem and routes as EvaluatePlan checks them, and the new stops against that problem);
:func:`check_new_stops` checks the new stops against the job's problem, with the same paths.
"""

from __future__ import annotations

from collections.abc import Sequence

from dispatch._proto.dispatch.v1 import replanning_pb2, routing_pb2
from dispatch.validation import limits
from dispatch.validation.common import (
    Problems,
    check_ids,
    check_loads,
    check_options,
    check_reference,
    check_routing_solver,
    first_index,
    show,
)
from dispatch.validation.routing import (
    check_plan,
    check_plan_size,
    check_size,
    check_stop_values,
    collect_plan_routes,
)

__all__ = [
    "MAX_NEW_STOPS",
    "MAX_OPTIONS",
    "check_new_stops",
    "validate_advise_insertion",
]

#: New stops per AdviseInsertion call: "one or a few"; each is advised on its own.
MAX_NEW_STOPS = 20
#: Options per new stop a caller may ask for.
MAX_OPTIONS = 50


def validate_advise_insertion(
    request: replanning_pb2.AdviseInsertionRequest, live_plan_checked: bool = False
) -> None:
    """Raise RequestTooLargeError or InvalidProblemError (every problem, up to 100), else return.

    ``live_plan_checked``: the inline problem and routes are, byte for byte, ones that passed
    this validation before (the server's inline-plan cache), so only the rest is checked.
    """
    inline = request.HasField("problem")
    checked = inline and live_plan_checked
    if inline and not checked:
        check_size(request.problem, "problem.")
        check_plan_size(request.routes, "routes")
    limits.check_count("new_stops", len(request.new_stops), MAX_NEW_STOPS, "new stops")
    for i, stop in enumerate(request.new_stops):
        limits.check_count(
            f"new_stops[{i}].time_windows",
            len(stop.time_windows),
            limits.MAX_TIME_WINDOWS_PER_STOP,
            "time windows",
        )
    problems = Problems()
    check_options(problems, "options", request.options)
    check_routing_solver(problems, "options", request.options)
    _check_source(request, inline, problems)
    if inline and not checked:
        nested = Problems("problem.")
        collect_plan_routes(request.problem, nested)
        problems.items += nested.items
        check_plan(request.problem, request.routes, "routes", problems)
        _check_served_once(request.routes, problems)
    if not request.new_stops:
        problems.add("new_stops", "AdviseInsertion needs at least one new stop.")
    _check_stop_shapes(request.new_stops, problems)
    if inline:
        _check_stop_references(request.problem, request.new_stops, problems)
    if not 0 <= request.max_options <= MAX_OPTIONS:
        problems.add(
            "max_options", f"max_options {request.max_options} is outside 0..{MAX_OPTIONS}."
        )
    problems.items = problems.items[:100]
    problems.raise_if_any()


def check_new_stops(
    problem: routing_pb2.PlanRoutesRequest, stops: Sequence[routing_pb2.Stop]
) -> None:
    """The new stops fit a live problem read from a job: their references resolve in it."""
    problems = Problems()
    _check_stop_references(problem, stops, problems)
    problems.raise_if_any()


def _check_source(
    request: replanning_pb2.AdviseInsertionRequest, inline: bool, problems: Problems
) -> None:
    """Exactly one live plan: inline (problem and routes) or a job's."""
    if inline and request.job_id:
        problems.add(
            "job_id", "Give the live plan inline (problem, routes) or as job_id, not both."
        )
    elif not inline and not request.job_id:
        problems.add("", "AdviseInsertion needs the live plan: problem and routes, or job_id.")
    if not inline and request.routes:
        problems.add("routes", "Routes need the problem they are for (set problem, or use job_id).")
    if len(request.job_id) > limits.MAX_ID_LENGTH:
        problems.add("job_id", f"job_id is longer than {limits.MAX_ID_LENGTH}.")


def _check_served_once(routes: Sequence[routing_pb2.PlannedRoute], problems: Problems) -> None:
    """A live plan serves a stop at most once: a stop on two routes contradicts the live state."""
    seen: dict[str, str] = {}
    for i, route in enumerate(routes):
        for j, visit in enumerate(route.visits):
            if visit.kind != routing_pb2.Visit.STOP or not visit.id:
                continue
            at = f"routes[{i}].visits[{j}].id"
            if visit.id in seen:
                problems.add(at, f"Stop {show(visit.id)} is already served at {seen[visit.id]}.")
            seen.setdefault(visit.id, at)


def _check_stop_shapes(stops: Sequence[routing_pb2.Stop], problems: Problems) -> None:
    """What a new stop must satisfy on its own (the live problem aside)."""
    check_ids(problems, "new_stops", [s.id for s in stops], "new stop")
    for i, stop in enumerate(stops):
        path, owner = f"new_stops[{i}]", f"New stop {show(stop.id)}"
        check_stop_values(problems, path, stop, owner)
        if problems.full:
            return


def _check_stop_references(
    problem: routing_pb2.PlanRoutesRequest, stops: Sequence[routing_pb2.Stop], problems: Problems
) -> None:
    """Locations, vehicles and load dimensions of the live problem; ids new to it."""
    locations = first_index(problem.location_ids)
    vehicles = first_index(v.id for v in problem.vehicles)
    known = first_index(s.id for s in problem.stops)
    dims = len(problem.load_dimensions)
    for i, stop in enumerate(stops):
        path, owner = f"new_stops[{i}]", f"New stop {show(stop.id)}"
        if stop.id in known:
            problems.add(f"{path}.id", f"{owner} is already a stop of the live problem.")
        check_reference(
            problems, f"{path}.location_id", stop.location_id, locations, "location", owner
        )
        check_loads(
            problems, f"{path}.demands", stop.demands, dims, "demand", owner, limits.MAX_DEMAND
        )
        for j, vehicle_id in enumerate(stop.allowed_vehicle_ids):
            check_reference(
                problems, f"{path}.allowed_vehicle_ids[{j}]", vehicle_id, vehicles, "vehicle", owner
            )
        if problems.full:
            return
