"""Request validation: every problem of a request at once, as field paths.

Each validator raises ``RequestTooLargeError`` (RESOURCE_EXHAUSTED) when a size limit in
:mod:`dispatch.validation.limits` is exceeded, else ``InvalidProblemError`` carrying up to 100
``FieldProblem(path, description)``, else returns. Paths use proto field names
(``incidents[2].requirements[0].count``). Benchmarks and the CLI call the same functions.
"""

from __future__ import annotations

from google.protobuf.message import Message

from dispatch._proto.dispatch.v1 import emergency_pb2, jobs_pb2, replanning_pb2, routing_pb2
from dispatch.validation.emergency import validate_assign_units as validate_assign_units
from dispatch.validation.jobs import (
    validate_create_plan_job as validate_create_plan_job,
)
from dispatch.validation.jobs import validate_job_ref as validate_job_ref
from dispatch.validation.jobs import validate_list_plan_jobs as validate_list_plan_jobs
from dispatch.validation.replanning import (
    validate_advise_insertion as validate_advise_insertion,
)
from dispatch.validation.routing import validate_evaluate_plan as validate_evaluate_plan
from dispatch.validation.routing import validate_plan_routes as validate_plan_routes


def validate(request: Message) -> None:
    """Validate any request message of DispatchService by its type."""
    if isinstance(request, emergency_pb2.AssignUnitsRequest):
        validate_assign_units(request)
    elif isinstance(request, routing_pb2.PlanRoutesRequest):
        validate_plan_routes(request)
    elif isinstance(request, routing_pb2.EvaluatePlanRequest):
        validate_evaluate_plan(request)
    elif isinstance(request, replanning_pb2.AdviseInsertionRequest):
        validate_advise_insertion(request)
    elif isinstance(request, jobs_pb2.CreatePlanJobRequest):
        validate_create_plan_job(request)
    elif isinstance(
        request,
        jobs_pb2.GetPlanJobRequest | jobs_pb2.WatchPlanJobRequest | jobs_pb2.CancelPlanJobRequest,
    ):
        validate_job_ref(request)
    elif isinstance(request, jobs_pb2.ListPlanJobsRequest):
        validate_list_plan_jobs(request)
    else:
        raise TypeError(f"not a DispatchService request: {type(request).__name__}")
