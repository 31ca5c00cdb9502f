"""The server over a real channel: health, reflection, errors, VALIDATE_ONLY, logging, shutdown."""

from __future__ import annotations

import json
import logging
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from dispatch import client
from dispatch._proto.dispatch.v1 import common_pb2, emergency_pb2, jobs_pb2, routing_pb2
from dispatch.server import SERVICE_NAME, create_server, handle_of


def _fails(call, request) -> client.ErrorDetails:
    with pytest.raises(grpc.RpcError) as info:
        call(request, timeout=10)
    return client.error_details(info.value)


def test_health_serving_overall_and_per_service(channel):
    """Load balancers probe both the overall and the per-service status."""
    assert client.health_status(channel, "") == "SERVING"
    assert client.health_status(channel, SERVICE_NAME) == "SERVING"


def test_health_unknown_service_is_not_found(channel):
    """A probe for a service we do not serve must not report SERVING."""
    with pytest.raises(grpc.RpcError) as info:
        health_pb2_grpc.HealthStub(channel).Check(
            health_pb2.HealthCheckRequest(service="nope.v1.Nope"), timeout=5
        )
    assert info.value.code() == grpc.StatusCode.NOT_FOUND


def test_reflection_lists_dispatch_service(channel):
    """grpcurl and similar tools discover the API through reflection."""
    stub = reflection_pb2_grpc.ServerReflectionStub(channel)
    answers = stub.ServerReflectionInfo(
        iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=5
    )
    names = {s.name for answer in answers for s in answer.list_services_response.service}
    assert {SERVICE_NAME, "grpc.health.v1.Health"} <= names


def test_create_server_returns_started_server_on_free_port():
    """create_server binds port 0 to a real free port and is reachable at once."""
    server, port = create_server("127.0.0.1:0")
    try:
        assert port > 0
        with client.channel(f"127.0.0.1:{port}") as chan:
            assert client.health_status(chan) == "SERVING"
    finally:
        handle_of(server).shutdown(grace=0.5)


def test_shutdown_marks_not_serving_and_closes_port(fresh_server):
    """After shutdown() health reports NOT_SERVING for every service and the port is closed."""
    with client.channel(fresh_server.target) as chan:
        assert client.health_status(chan) == "SERVING"
    fresh_server.shutdown(grace=0.5)
    for service in ("", SERVICE_NAME):
        status = fresh_server.health.Check(health_pb2.HealthCheckRequest(service=service), None)
        assert status.status == health_pb2.HealthCheckResponse.NOT_SERVING
    with client.channel(fresh_server.target) as chan, pytest.raises(grpc.RpcError):
        client.health_status(chan, timeout=1.0)


def test_shutdown_is_idempotent(fresh_server):
    """Signal handlers and fixtures may both shut down; the second call is a no-op."""
    fresh_server.shutdown(grace=0)
    fresh_server.shutdown(grace=0)
    fresh_server.wait()


def test_assign_units_empty_request_reports_every_problem(stub):
    """An empty request names both missing lists, not just the first."""
    details = _fails(stub.AssignUnits, emergency_pb2.AssignUnitsRequest())
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    assert {"units", "incidents"} <= set(details.fields)


def test_assign_units_bad_fields_have_paths(stub):
    """Each problem is reported at its proto path."""
    request = emergency_pb2.AssignUnitsRequest(
        units=[emergency_pb2.Unit(id="M-12", capabilities=["ambulance"])],
        incidents=[
            emergency_pb2.Incident(
                id="inc-1",
                priority=0,
                requirements=[emergency_pb2.Requirement(capability="ambulance", count=0)],
            )
        ],
        unit_to_incident=common_pb2.TravelMatrix(durations=[60, 70]),
    )
    details = _fails(stub.AssignUnits, request)
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    assert set(details.fields) == {
        "units[0].status",
        "incidents[0].priority",
        "incidents[0].requirements[0].count",
        "unit_to_incident.durations",
    }


def test_plan_routes_empty_request_is_invalid(stub):
    """No locations, vehicles or stops: all three named."""
    details = _fails(stub.PlanRoutes, routing_pb2.PlanRoutesRequest())
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    assert {"location_ids", "vehicles", "stops"} <= set(details.fields)


def test_evaluate_plan_paths_are_prefixed(stub):
    """EvaluatePlan reports problem fields under ``problem.``."""
    request = routing_pb2.EvaluatePlanRequest(
        problem=routing_pb2.PlanRoutesRequest(
            location_ids=["depot"],
            travel=common_pb2.TravelMatrix(durations=[0]),
            vehicles=[
                routing_pb2.Vehicle(id="v1", start_location_id="nowhere", end_location_id="depot")
            ],
            stops=[routing_pb2.Stop(id="s1", location_id="depot")],
        ),
        routes=[routing_pb2.PlannedRoute(vehicle_id="ghost")],
    )
    details = _fails(stub.EvaluatePlan, request)
    assert details.fields == ["problem.vehicles[0].start_location_id", "routes[0].vehicle_id"]


@pytest.mark.parametrize(
    ("method", "request_", "field"),
    [
        ("CreatePlanJob", jobs_pb2.CreatePlanJobRequest(), "request"),
        ("GetPlanJob", jobs_pb2.GetPlanJobRequest(), "job_id"),
        ("WatchPlanJob", jobs_pb2.WatchPlanJobRequest(), "job_id"),
        ("CancelPlanJob", jobs_pb2.CancelPlanJobRequest(), "job_id"),
        ("ListPlanJobs", jobs_pb2.ListPlanJobsRequest(page_size=501), "page_size"),
    ],
)
def test_job_rpcs_reject_malformed_requests(channel, method, request_, field):
    """Job RPCs validate before any job service is consulted."""
    with pytest.raises(grpc.RpcError) as info:
        answer = client.call(channel, method, request_, timeout=10)
        if client.METHODS[method].streaming:
            list(answer)
    details = client.error_details(info.value)
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    assert details.fields == [field]


@pytest.mark.parametrize("name", ["emergency", "sanitation", "maintenance"])
def test_validate_only_returns_no_plan(channel, examples, name):
    """VALIDATE_ONLY answers a valid request with NOT_SOLVED and nothing solved."""
    request = examples[name]
    request.options.solving_mode = common_pb2.VALIDATE_ONLY
    method = "AssignUnits" if name == "emergency" else "PlanRoutes"
    answer = client.call(channel, method, request, timeout=10)
    assert answer.solve_info.status == common_pb2.NOT_SOLVED
    assert (answer.label, answer.request_id) == (request.label, request.request_id)
    assert not answer.incidents if name == "emergency" else not answer.routes


def test_validate_only_still_rejects_invalid(stub, examples):
    """VALIDATE_ONLY does not relax validation: problems come back as INVALID_ARGUMENT."""
    request = examples["sanitation"]
    request.options.solving_mode = common_pb2.VALIDATE_ONLY
    request.stops[3].location_id = "stop-9999"
    details = _fails(stub.PlanRoutes, request)
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    assert details.fields == ["stops[3].location_id"]


def test_evaluate_plan_validate_only(stub, examples):
    """EvaluatePlan honours VALIDATE_ONLY in its problem's options."""
    problem = examples["maintenance"]
    problem.options.solving_mode = common_pb2.VALIDATE_ONLY
    request = routing_pb2.EvaluatePlanRequest(label="manual", problem=problem)
    answer = stub.EvaluatePlan(request, timeout=10)
    assert answer.label == "manual"
    assert not answer.routes


def test_oversized_request_is_resource_exhausted(stub):
    """Requests over a documented limit are RESOURCE_EXHAUSTED with the field named."""
    request = routing_pb2.PlanRoutesRequest(
        stops=[routing_pb2.Stop(id=f"s{i}") for i in range(20_001)]
    )
    details = _fails(stub.PlanRoutes, request)
    assert details.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert details.fields == ["stops"]


def test_large_matrix_message_is_accepted(stub):
    """A 2000 x 2000 matrix (16 MB as bytes) fits the configured message size."""
    n = 2000
    request = emergency_pb2.AssignUnitsRequest(
        units=[emergency_pb2.Unit(id=f"u{i}", capabilities=["x"]) for i in range(n)],
        incidents=[
            emergency_pb2.Incident(
                id=f"i{j}", priority=1, requirements=[emergency_pb2.Requirement(capability="x")]
            )
            for j in range(n)
        ],
        unit_to_incident=common_pb2.TravelMatrix(durations_bytes=bytes(4 * n * n)),
    )
    details = _fails(stub.AssignUnits, request)
    # Got through transport and validation: the only problems are the units' missing status
    # and the requirement counts, not the message size.
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    assert details.fields[0] == "units[0].status"


def test_unknown_job_is_not_found(stub):
    """A job id that was never created is NOT_FOUND, not INTERNAL."""
    with pytest.raises(grpc.RpcError) as info:
        stub.GetPlanJob(jobs_pb2.GetPlanJobRequest(job_id="no-such-job"), timeout=10)
    assert info.value.code() == grpc.StatusCode.NOT_FOUND


def test_one_json_log_line_per_call(stub, caplog):
    """Each call logs method, request_id, label, status code and latency as one JSON object."""
    request = emergency_pb2.AssignUnitsRequest(label="cad-7", request_id="req-42")
    with caplog.at_level(logging.INFO, logger="dispatch.calls"), pytest.raises(grpc.RpcError):
        stub.AssignUnits(request, timeout=10)
    records = [
        json.loads(r.getMessage())
        for r in caplog.records
        if r.name == "dispatch.calls" and "req-42" in r.getMessage()
    ]
    assert len(records) == 1
    record = records[0]
    assert record["method"] == "AssignUnits"
    assert record["label"] == "cad-7"
    assert record["code"] == "INVALID_ARGUMENT"
    assert record["latency_ms"] >= 0


# -- real solving paths (the workload modules have landed) -----------------------------------------


def _short_budget(request, seconds: float) -> None:
    request.options.time_budget.FromNanoseconds(int(seconds * 1e9))


def test_emergency_example_end_to_end(stub, examples):
    """The emergency example is answered with a verified plan covering every incident in order."""
    request = examples["emergency"]
    answer = stub.AssignUnits(request, timeout=30)
    assert answer.solve_info.status in (common_pb2.OPTIMAL, common_pb2.FEASIBLE)
    assert answer.solve_info.verified
    assert (answer.label, answer.request_id) == (request.label, request.request_id)
    assert [x.incident_id for x in answer.incidents] == [x.id for x in request.incidents]
    assert len(answer.coverage) == len(request.coverage_rules)
    sent = [u.unit_id for x in answer.incidents for u in x.units]
    assert len(sent) == len(set(sent)), "a unit fills at most one slot"


@pytest.mark.parametrize("name", ["sanitation", "maintenance"])
def test_routing_examples_end_to_end(stub, examples, name):
    """Each routing example gets a verified plan in which every stop is served or skipped once."""
    request = examples[name]
    _short_budget(request, 1.5)
    answer = stub.PlanRoutes(request, timeout=60)
    assert answer.solve_info.status in (common_pb2.OPTIMAL, common_pb2.FEASIBLE)
    assert answer.solve_info.verified
    assert answer.request_id == request.request_id
    served = [v.id for r in answer.routes for v in r.visits if v.kind == routing_pb2.Visit.STOP]
    skipped = [s.stop_id for s in answer.skipped_stops]
    assert sorted(served + skipped) == sorted(s.id for s in request.stops)
    assert all(s.reason != routing_pb2.SkippedStop.REASON_UNSPECIFIED for s in answer.skipped_stops)


def test_plan_routes_answers_before_the_grpc_deadline(stub, examples):
    """A budget longer than the call's deadline is cut to the deadline: an answer, not a timeout."""
    request = examples["maintenance"]
    _short_budget(request, 60.0)
    answer = stub.PlanRoutes(request, timeout=4.0)
    assert answer.solve_info.status in (common_pb2.OPTIMAL, common_pb2.FEASIBLE)
    assert answer.solve_info.wall_time.ToTimedelta().total_seconds() < 4.0


def test_graceful_shutdown_finishes_in_flight_call(fresh_server, examples):
    """An in-flight PlanRoutes (2 s budget) completes with a plan when shutdown starts mid-solve;
    new calls are refused once the server has stopped."""
    request = examples["maintenance"]
    _short_budget(request, 2.0)
    with client.channel(fresh_server.target) as chan:
        stub = client.stub(chan)
        started = time.monotonic()
        future = stub.PlanRoutes.future(request, timeout=60)
        time.sleep(0.5)  # the solve is running in the worker by now
        assert not future.done()
        fresh_server.shutdown(grace=30)
        shutdown_done = time.monotonic()
        answer = future.result(timeout=1)
        assert answer.solve_info.status in (common_pb2.OPTIMAL, common_pb2.FEASIBLE)
        assert shutdown_done - started >= 1.5, "shutdown waited for the call"
        with pytest.raises(grpc.RpcError) as info:
            stub.AssignUnits(examples["emergency"], timeout=2)
        assert info.value.code() == grpc.StatusCode.UNAVAILABLE


def test_watch_unknown_job_is_not_found(channel):
    """Errors raised inside a streaming handler are mapped too (not UNKNOWN)."""
    with pytest.raises(grpc.RpcError) as info:
        list(client.call(channel, "WatchPlanJob", jobs_pb2.WatchPlanJobRequest(job_id="nope"), 10))
    assert info.value.code() == grpc.StatusCode.NOT_FOUND


def test_create_plan_job_validate_only_creates_nothing(stub, examples):
    """VALIDATE_ONLY on CreatePlanJob echoes the keys and stores no job."""
    request = examples["maintenance"]
    request.options.solving_mode = common_pb2.VALIDATE_ONLY
    request.request_id = "validate-only-job"
    job = stub.CreatePlanJob(jobs_pb2.CreatePlanJobRequest(request=request), timeout=10)
    assert job.job_id == ""
    assert job.request_id == "validate-only-job"
    listed = stub.ListPlanJobs(jobs_pb2.ListPlanJobsRequest(), timeout=10)
    assert "validate-only-job" not in {j.request_id for j in listed.jobs}


def test_job_rpcs_delegate_to_the_job_service(fresh_server, examples):
    """Create, get, cancel and list reach the job service through the server."""
    request = examples["maintenance"]
    request.request_id = "delegation-check"
    _short_budget(request, 30.0)
    with client.channel(fresh_server.target) as chan:
        stub = client.stub(chan)
        created = stub.CreatePlanJob(jobs_pb2.CreatePlanJobRequest(request=request), timeout=10)
        assert created.job_id
        fetched = stub.GetPlanJob(
            jobs_pb2.GetPlanJobRequest(job_id=created.job_id, include_request=True), timeout=10
        )
        assert fetched.request.request_id == "delegation-check"
        cancelled = stub.CancelPlanJob(
            jobs_pb2.CancelPlanJobRequest(job_id=created.job_id), timeout=30
        )
        assert cancelled.state == jobs_pb2.PlanJob.CANCELLED
        listed = stub.ListPlanJobs(
            jobs_pb2.ListPlanJobsRequest(states=[jobs_pb2.PlanJob.CANCELLED]), timeout=10
        )
        assert [j.job_id for j in listed.jobs] == [created.job_id]


def test_long_calls_cannot_take_every_handler_thread(make_server, examples):
    """Beyond the long-call limit PlanRoutes is refused at once, and AssignUnits still answers."""
    handle = make_server(thread_pool_size=9, reserved_threads=8)  # one long-call slot
    request = examples["maintenance"]
    _short_budget(request, 10.0)  # room for a first solution on a loaded machine
    with client.channel(handle.target) as chan:
        stub = client.stub(chan)
        first = stub.PlanRoutes.future(request, timeout=60)
        time.sleep(0.3)
        with pytest.raises(grpc.RpcError) as info:
            stub.PlanRoutes(request, timeout=10)
        assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        answer = stub.AssignUnits(examples["emergency"], timeout=10)
        assert answer.solve_info.verified
        assert first.result(timeout=60).solve_info.verified


def test_jobs_get_their_own_routing_pool(fresh_server):
    """A nightly job must not hold the worker a blocking PlanRoutes caller is waiting for."""
    assert fresh_server.jobs is not None
    assert fresh_server.jobs.routing is not fresh_server.routing
    assert fresh_server.jobs.routing.workers == fresh_server.config.job_workers
