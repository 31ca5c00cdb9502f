"""AdviseInsertion: live plan + new stops -> verified insertion options, in the calling thread.

Like EvaluatePlan it is cheap (no OR-Tools, a few milliseconds of checker simulations), so it
runs in the server thread rather than a routing worker: the dispatcher is waiting on the phone.
The live plan is inline (problem and routes) or a SUCCEEDED plan job's (its stored request and
its answer's routes). The new stops are appended to the live problem, so the checker times
them like any other stop, and ``solvers.routing.insertion`` does the rest.
"""

from __future__ import annotations

import time
from dataclasses import replace
from typing import Any

from dispatch._proto.dispatch.v1 import jobs_pb2, replanning_pb2, routing_pb2
from dispatch.errors import FailedPreconditionError
from dispatch.validation.replanning import check_new_stops
from dispatch.wire import enums
from dispatch.wire.durations import duration
from dispatch.wire.replanning import advice_messages
from dispatch.wire.routing import planned_routes, problem_from_request, stops_from_messages
from solvers.budget import Deadline
from solvers.routing import insertion

__all__ = ["advise_insertion"]


def _job_plan(
    jobs: Any | None, job_id: str
) -> tuple[routing_pb2.PlanRoutesRequest, list[routing_pb2.PlannedRoute]]:
    """A finished job's request and its plan's routes (START and END dropped)."""
    if jobs is None:
        raise NotImplementedError("plan jobs are not available in this build")
    job = jobs.get(job_id, include_request=True)
    if job.state != jobs_pb2.PlanJob.SUCCEEDED:
        state = jobs_pb2.PlanJob.State.Name(job.state)
        raise FailedPreconditionError(
            f"plan job {job_id!r} is {state}; insertion advice needs a SUCCEEDED job"
        )
    routes = [
        routing_pb2.PlannedRoute(
            vehicle_id=route.vehicle_id,
            visits=[
                routing_pb2.PlannedVisit(kind=visit.kind, id=visit.id)
                for visit in route.visits
                if visit.kind in enums.VISIT_KIND_IN
            ],
        )
        for route in job.result.routes
    ]
    return job.request, routes


def advise_insertion(
    request: replanning_pb2.AdviseInsertionRequest, deadline: Deadline, jobs: Any | None = None
) -> replanning_pb2.AdviseInsertionResponse:
    """Advise a validated request. ``jobs`` is the job service, needed only for ``job_id``.

    Raises NotFoundError (no such job), FailedPreconditionError (the job has no plan yet),
    InvalidProblemError (new stops that do not fit the job's problem).
    """
    started = time.perf_counter()
    if request.HasField("problem"):
        live, routes, path = request.problem, list(request.routes), "problem."
    else:
        live, routes = _job_plan(jobs, request.job_id)
        path = ""
        check_new_stops(live, request.new_stops)
    problem = problem_from_request(live, path=path)
    plan = planned_routes(problem, routes)
    new = stops_from_messages(live, request.new_stops, "new_stops")
    extended = replace(problem, stops=(*problem.stops, *new))
    first = len(problem.stops)
    advice = insertion.advise(
        extended,
        plan,
        range(first, first + len(new)),
        deadline,
        max_options=request.max_options or insertion.DEFAULT_OPTIONS,
        several_per_vehicle=request.several_per_vehicle,
    )
    stops, broken = advice_messages(extended, advice)
    return replanning_pb2.AdviseInsertionResponse(
        label=request.label,
        request_id=request.request_id,
        advice=stops,
        vehicles_with_violations=broken,
        wall_time=duration(time.perf_counter() - started),
    )
