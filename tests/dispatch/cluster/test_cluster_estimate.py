"""A plan job given only by positions and a travel estimate, decomposed without a matrix.

The server runs its parts inline (``--ray-address inline``: the decomposition, no Ray), so the
test is quick; the Ray runner itself is covered by ``test_cluster_jobs``. The answer must be
the one the ordinary (non-cluster) path computes for the same routes on the matrices it
materialises from the same estimate: leg by leg.
"""

from __future__ import annotations

from collections.abc import Callable

import grpc
import pytest

from benchmarks.bignight.generate import night
from benchmarks.bignight.request import to_request
from dispatch import client
from dispatch._proto.dispatch.v1 import common_pb2, jobs_pb2, routing_pb2
from dispatch.cluster.routing import solve_on_cluster
from dispatch.server import ServerHandle
from dispatch.validation.travel_estimate import MAX_MATERIALISED_LOCATIONS
from solvers.budget import Deadline
from solvers.errors import InvalidProblemError
from solvers.routing.decompose import InlineRunner

Job = jobs_pb2.PlanJob
Event = jobs_pb2.PlanJobEvent
STOPS = 240


def _watch(stub: object, job_id: str) -> tuple[Job, list[str]]:
    """The final job and the parts its PART_FINISHED events named, in order."""
    parts = []
    request = jobs_pb2.WatchPlanJobRequest(job_id=job_id)
    for event in stub.WatchPlanJob(request, timeout=120):  # type: ignore[attr-defined]
        if event.kind == Event.PART_FINISHED:
            parts.append(event.part)
        job = event.job
    return job, parts


def _replayed(answer: routing_pb2.PlanRoutesResponse, problem: routing_pb2.PlanRoutesRequest):
    """EvaluatePlan of the answer's routes (visits in order, START and END left out)."""
    check = routing_pb2.EvaluatePlanRequest(problem=problem)
    for route in answer.routes:
        planned = check.routes.add(vehicle_id=route.vehicle_id)
        for visit in route.visits:
            if visit.kind in (visit.STOP, visit.FACILITY, visit.BREAK):
                planned.visits.add(kind=visit.kind, id=visit.id)
    return check


def _legs(routes: object) -> list[tuple[str, str, int, int, int, int]]:
    """(vehicle, visit, travel seconds, travel metres, arrival, service start) of every visit."""
    return [
        (r.vehicle_id, v.id, v.travel_seconds, v.travel_metres, v.arrival, v.service_start)
        for r in routes  # type: ignore[attr-defined]
        for v in r.visits
    ]


def test_an_estimate_job_is_decomposed_and_agrees_leg_by_leg_with_the_matrix_path(
    make_server: Callable[..., ServerHandle],
) -> None:
    """A 240-stop night given only by coordinates + estimate (decomposed from 100 stops, parts
    of 80) succeeds verified with a PART_FINISHED per part; EvaluatePlan of its routes on the
    same request (matrices materialised from the estimate) finds them feasible with the same
    legs, times and KPIs."""
    server = make_server(ray_address="inline", ray_min_stops=100, ray_part_stops=80)
    request = to_request(night(STOPS, 2), 8.0, "estimate")
    assert not request.HasField("travel") and request.HasField("travel_estimate")
    with client.channel(server.target) as chan:
        stub = client.stub(chan)
        created = stub.CreatePlanJob(jobs_pb2.CreatePlanJobRequest(request=request), timeout=30)
        job, parts = _watch(stub, created.job_id)
        assert job.state == Job.SUCCEEDED, job.error_message
        if not job.HasField("result"):
            job = stub.GetPlanJob(jobs_pb2.GetPlanJobRequest(job_id=job.job_id), timeout=30)
        answer = job.result
        assert answer.solve_info.verified
        assert "decomposed in process" in answer.solve_info.engine
        assert len(parts) >= 3 and parts == list(job.progress.finished_parts)
        served = {v.id for r in answer.routes for v in r.visits if v.kind == v.STOP}
        skipped = {s.stop_id for s in answer.skipped_stops}
        assert served | skipped == {s.id for s in request.stops}
        replay = stub.EvaluatePlan(_replayed(answer, request), timeout=60)
    assert replay.feasible
    assert _legs(replay.routes) == _legs(answer.routes)
    assert replay.kpis == answer.kpis


def test_a_replan_with_an_estimate_is_not_decomposed() -> None:
    """A request with live state is refused by the decomposed path (InvalidProblemError),
    as a matrix re-plan is: its locks refer to the whole problem."""
    request = to_request(night(30, 1), 2.0, "estimate")
    request.live_state.SetInParent()
    with pytest.raises(InvalidProblemError):
        solve_on_cluster(request, Deadline.after(2), InlineRunner(), part_stops=10)


def _padded(stops: int) -> routing_pb2.PlanRoutesRequest:
    """A night of ``stops`` stops by positions and an estimate, padded with unused locations to
    one more than a matrix may be built for (validate_only: nothing of it is solved)."""
    request = to_request(night(stops, 1), 1.0, "estimate")
    last = request.location_coordinates[-1]
    for i in range(MAX_MATERIALISED_LOCATIONS + 1 - len(request.location_ids)):
        request.location_ids.append(f"pad-{i}")
        request.location_coordinates.add(latitude=last.latitude, longitude=last.longitude)
    request.options.solving_mode = common_pb2.VALIDATE_ONLY
    return request


def test_a_cluster_server_refuses_only_the_huge_estimate_jobs_it_would_not_decompose(
    make_server: Callable[..., ServerHandle],
) -> None:
    """With --ray-address, a plan job over the materialising limit is accepted when it has
    enough stops to be decomposed (no matrix is built) and refused at CreatePlanJob
    (RESOURCE_EXHAUSTED) when it has too few, since the server would solve it whole."""
    server = make_server(ray_address="inline", ray_min_stops=20, ray_part_stops=10)
    with client.channel(server.target) as chan:
        stub = client.stub(chan)
        accepted = stub.CreatePlanJob(
            jobs_pb2.CreatePlanJobRequest(request=_padded(20)), timeout=60
        )
        assert not accepted.job_id  # validate_only: checked, nothing created
        with pytest.raises(grpc.RpcError) as caught:
            stub.CreatePlanJob(jobs_pb2.CreatePlanJobRequest(request=_padded(19)), timeout=60)
    assert client.error_details(caught.value).code == grpc.StatusCode.RESOURCE_EXHAUSTED
