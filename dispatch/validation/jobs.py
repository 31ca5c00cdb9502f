"""Validation of the plan-job RPCs (the routing request inside CreatePlanJob included)."""

from __future__ import annotations

from dispatch._proto.dispatch.v1 import jobs_pb2
from dispatch.validation import limits
from dispatch.validation.common import Problems, check_enum
from dispatch.validation.routing import collect_wrapped


def validate_create_plan_job(request: jobs_pb2.CreatePlanJobRequest) -> None:
    """The wrapped PlanRoutesRequest, with paths under ``request.``."""
    collect_wrapped(request, "request", "CreatePlanJob needs a routing request.").raise_if_any()


def _check_job_id(problems: Problems, job_id: str) -> None:
    if not job_id:
        problems.add("job_id", "job_id is required.")
    elif len(job_id) > limits.MAX_ID_LENGTH:
        problems.add("job_id", f"job_id is longer than {limits.MAX_ID_LENGTH}.")


def validate_job_ref(
    request: jobs_pb2.GetPlanJobRequest
    | jobs_pb2.WatchPlanJobRequest
    | jobs_pb2.CancelPlanJobRequest,
) -> None:
    """GetPlanJob, WatchPlanJob and CancelPlanJob name one job."""
    problems = Problems()
    _check_job_id(problems, request.job_id)
    problems.raise_if_any()


def validate_list_plan_jobs(request: jobs_pb2.ListPlanJobsRequest) -> None:
    """page_size 0..500 (0 = default), states known and specified, short token and label."""
    problems = Problems()
    if not 0 <= request.page_size <= limits.MAX_PAGE_SIZE:
        problems.add(
            "page_size", f"page_size {request.page_size} is outside 0..{limits.MAX_PAGE_SIZE}."
        )
    for i, state in enumerate(request.states):
        check_enum(
            problems,
            f"states[{i}]",
            state,
            jobs_pb2.PlanJob.State.DESCRIPTOR,
            "Filter",
            required=True,
        )
    if len(request.page_token) > limits.MAX_PAGE_TOKEN_LENGTH:
        # Its content is checked where tokens are made (dispatch.jobs.store); this bounds the work.
        problems.add(
            "page_token",
            f"page_token has {len(request.page_token)} characters, more than any token this "
            f"service issues ({limits.MAX_PAGE_TOKEN_LENGTH}); pass next_page_token unchanged.",
        )
    if len(request.label) > limits.MAX_ID_LENGTH:
        problems.add("label", f"label is longer than {limits.MAX_ID_LENGTH}.")
    problems.raise_if_any()
