"""Job ownership over the wire: the principal the interceptor authenticates is the one the job
service sees, for unary job RPCs and for the WatchPlanJob stream."""

from __future__ import annotations

import grpc
import pytest

from dispatch import client
from dispatch._proto.dispatch.v1 import jobs_pb2

TIMEOUT = 30.0


@pytest.fixture
def planner_job(secure_server, dial, tokens, examples) -> str:
    """A job created by 'planner' (1 s budget); its id."""
    request = examples["sanitation"]
    request.request_id = f"owner-test-{id(request)}"
    request.options.time_budget.FromSeconds(1)
    stub = client.stub(dial(secure_server.target, token=tokens["planner"]))
    job = stub.CreatePlanJob(jobs_pb2.CreatePlanJobRequest(request=request), timeout=TIMEOUT)
    return job.job_id


def _stub(secure_server, dial, token):
    return client.stub(dial(secure_server.target, token=token))


def test_owner_and_admin_see_the_job(secure_server, dial, tokens, planner_job):
    """The creator and an admin both read the job."""
    for name in ("planner", "ops"):
        stub = _stub(secure_server, dial, tokens[name])
        job = stub.GetPlanJob(jobs_pb2.GetPlanJobRequest(job_id=planner_job), timeout=TIMEOUT)
        assert job.job_id == planner_job, name


def test_other_principal_gets_not_found(secure_server, dial, tokens, planner_job):
    """Another plan principal is told the job does not exist, and does not list it."""
    stub = _stub(secure_server, dial, tokens["surveyor"])
    with pytest.raises(grpc.RpcError) as info:
        stub.GetPlanJob(jobs_pb2.GetPlanJobRequest(job_id=planner_job), timeout=TIMEOUT)
    assert info.value.code() == grpc.StatusCode.NOT_FOUND
    listing = jobs_pb2.ListPlanJobsRequest(page_size=500)
    listed = stub.ListPlanJobs(listing, timeout=TIMEOUT)
    assert planner_job not in {job.job_id for job in listed.jobs}
    own = _stub(secure_server, dial, tokens["planner"]).ListPlanJobs(listing, timeout=TIMEOUT)
    assert planner_job in {job.job_id for job in own.jobs}  # the filter, not an empty list


def test_other_principal_cannot_watch(secure_server, dial, tokens, planner_job):
    """The streaming RPC sees the caller too: watching someone else's job is NOT_FOUND."""
    stub = _stub(secure_server, dial, tokens["surveyor"])
    with pytest.raises(grpc.RpcError) as info:
        list(stub.WatchPlanJob(jobs_pb2.WatchPlanJobRequest(job_id=planner_job), timeout=TIMEOUT))
    assert info.value.code() == grpc.StatusCode.NOT_FOUND


def test_owner_watches_to_the_end(secure_server, dial, tokens, planner_job):
    """The owner's watch stream runs to a final state."""
    stub = _stub(secure_server, dial, tokens["planner"])
    events = list(stub.WatchPlanJob(jobs_pb2.WatchPlanJobRequest(job_id=planner_job), timeout=120))
    assert events and events[-1].job.state in (
        jobs_pb2.PlanJob.SUCCEEDED,
        jobs_pb2.PlanJob.FAILED,
        jobs_pb2.PlanJob.CANCELLED,
    )
