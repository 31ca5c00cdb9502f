"""PlanRoutesRequest.travel_estimate: validation with field paths, and small requests solved and
checked on matrices materialised from the estimate (no cluster)."""

from __future__ import annotations

import math

import grpc
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.bignight.generate import night
from benchmarks.bignight.request import to_request
from dispatch import client
from dispatch._proto.dispatch.v1 import (
    common_pb2,
    dispatch_service_pb2_grpc,
    jobs_pb2,
    replanning_pb2,
    routing_pb2,
)
from dispatch.errors import RequestTooLargeError
from dispatch.validation.common import Problems
from dispatch.validation.routing import collect_plan_routes, validate_plan_routes
from dispatch.validation.travel_estimate import MAX_MATERIALISED_LOCATIONS, check_materialisable
from dispatch.wire import matrices
from dispatch.wire.routing import problem_from_request
from solvers.errors import InvalidProblemError

Stub = dispatch_service_pb2_grpc.DispatchServiceStub
BASE = to_request(night(20, 1), 5.0, "estimate")


def request() -> routing_pb2.PlanRoutesRequest:
    """A fresh copy of a valid 20-stop night given by positions and an estimate."""
    copy = routing_pb2.PlanRoutesRequest()
    copy.CopyFrom(BASE)
    return copy


def paths(req: routing_pb2.PlanRoutesRequest) -> list[str]:
    """The field paths validation reports for ``req`` (empty when it is valid)."""
    try:
        validate_plan_routes(req)
    except InvalidProblemError as error:
        return [p.path for p in error.problems]
    return []


def test_the_bench_request_with_an_estimate_is_valid() -> None:
    """The generated night with positions and the generator's road model passes validation."""
    assert paths(request()) == []


def _both(r: routing_pb2.PlanRoutesRequest) -> None:
    r.travel.CopyFrom(matrices.encode(np.zeros((len(r.location_ids),) * 2, dtype=np.int64)))


def _no_coordinates(r: routing_pb2.PlanRoutesRequest) -> None:
    r.ClearField("location_coordinates")


def _one_coordinate_short(r: routing_pb2.PlanRoutesRequest) -> None:
    del r.location_coordinates[-1]


def _latitude_95(r: routing_pb2.PlanRoutesRequest) -> None:
    r.location_coordinates[3].latitude = 95.0


def _negative_detour(r: routing_pb2.PlanRoutesRequest) -> None:
    r.travel_estimate.detour_factor = -1.0


def _nan_speed(r: routing_pb2.PlanRoutesRequest) -> None:
    r.travel_estimate.slow_kmh = math.nan


def _fast_below_slow(r: routing_pb2.PlanRoutesRequest) -> None:
    r.travel_estimate.fast_kmh = 10.0


def _unknown_type(r: routing_pb2.PlanRoutesRequest) -> None:
    r.travel_estimate.vehicle_type_speeds.add(vehicle_type="hovercraft", speed_factor=2.0)


def _periods(r: routing_pb2.PlanRoutesRequest) -> None:
    r.travel_periods.add().periods.add(start=0, end=0)


def _metric_99(r: routing_pb2.PlanRoutesRequest) -> None:
    r.travel_estimate.metric = 99  # type: ignore[assignment]


@pytest.mark.parametrize(
    ("break_it", "path"),
    [
        (_both, "travel_estimate"),
        (_no_coordinates, "location_coordinates"),
        (_one_coordinate_short, "location_coordinates"),
        (_latitude_95, "location_coordinates[3].latitude"),
        (_negative_detour, "travel_estimate.detour_factor"),
        (_nan_speed, "travel_estimate.slow_kmh"),
        (_fast_below_slow, "travel_estimate.fast_kmh"),
        (_unknown_type, "travel_estimate.vehicle_type_speeds[0].vehicle_type"),
        (_periods, "travel_periods"),
        (_metric_99, "travel_estimate.metric"),
    ],
)
def test_a_malformed_estimate_is_reported_at_its_field(break_it: object, path: str) -> None:
    """Each kind of mistake is an InvalidProblemError naming the field."""
    r = request()
    break_it(r)  # type: ignore[operator]
    assert path in paths(r)


def test_neither_a_matrix_nor_an_estimate_is_reported_at_travel() -> None:
    """Without any travel source the missing matrix durations are reported."""
    r = request()
    r.ClearField("travel_estimate")
    assert any(p.startswith("travel") for p in paths(r))


def test_a_vehicle_type_speed_changes_only_that_types_times() -> None:
    """A type driving at twice the speed takes half the time (to rounding) on every arc."""
    r = request()
    r.vehicles[0].vehicle_type = "van"
    r.travel_estimate.vehicle_type_speeds.add(vehicle_type="van", speed_factor=2.0)
    problem = problem_from_request(r)
    default, fast = problem.durations
    assert problem.vehicles[0].profile == 1 and problem.vehicles[1].profile == 0
    assert np.abs(default - 2 * fast).max() <= 1
    assert (problem.distances[0] == problem.distances[1]).all()


FIELDS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -1.0, 1e-9, 1e9, math.nan, math.inf]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    values=st.fixed_dictionaries(
        {
            name: FIELDS
            for name in (
                "detour_factor",
                "access_metres",
                "slow_kmh",
                "fast_kmh",
                "arterial_metres",
            )
        }
    ),
    metric=st.integers(-3, 5),
    speeds=st.lists(st.tuples(st.sampled_from(["", "van", "truck", "van"]), FIELDS), max_size=3),
    coordinates=st.integers(-2, 1),
)
def test_any_estimate_is_refused_with_field_paths_or_solvable(
    values: dict[str, float], metric: int, speeds: list[tuple[str, float]], coordinates: int
) -> None:
    """Whatever the parameters, validation raises InvalidProblemError (INVALID_ARGUMENT) with
    paths, or the request converts to matrices inside the int32 range of a matrix request."""
    r = request()
    r.vehicles[0].vehicle_type = "van"
    for name, value in values.items():
        setattr(r.travel_estimate, name, value)
    r.travel_estimate.metric = metric  # type: ignore[assignment]
    for name, factor in speeds:
        r.travel_estimate.vehicle_type_speeds.add(vehicle_type=name, speed_factor=factor)
    for _ in range(-coordinates):
        del r.location_coordinates[-1]
    if coordinates > 0:
        r.location_coordinates.add(latitude=0.0, longitude=0.0)
    try:
        validate_plan_routes(r)
    except InvalidProblemError as error:
        assert error.problems and all(p.path for p in error.problems)
        return
    problem = problem_from_request(r)
    for seconds, metres in zip(problem.durations, problem.distances, strict=True):
        assert seconds.min() >= 0 and seconds.max() < 2**31
        assert metres is not None and metres.min() >= 0 and metres.max() < 2**31


@pytest.fixture(scope="module")
def planned(stub: Stub) -> tuple[routing_pb2.PlanRoutesRequest, routing_pb2.PlanRoutesResponse]:
    """The 20-stop estimate request and PlanRoutes' answer to it (3 s budget)."""
    r = request()
    r.options.time_budget.seconds = 3
    return r, stub.PlanRoutes(r, timeout=60)


def _routes(answer: routing_pb2.PlanRoutesResponse) -> list[routing_pb2.PlannedRoute]:
    """The answer's routes as a caller sends them back (START and END left out)."""
    routes = []
    for route in answer.routes:
        planned = routing_pb2.PlannedRoute(vehicle_id=route.vehicle_id)
        for visit in route.visits:
            if visit.kind in (visit.STOP, visit.FACILITY, visit.BREAK):
                planned.visits.add(kind=visit.kind, id=visit.id)
        routes.append(planned)
    return routes


def test_plan_routes_answers_a_small_estimate_request_verified(
    stub: Stub, planned: tuple[routing_pb2.PlanRoutesRequest, routing_pb2.PlanRoutesResponse]
) -> None:
    """A 20-stop night given only by positions is planned on the materialised matrices, and
    EvaluatePlan of the answer's routes on the same request finds them feasible."""
    r, answer = planned
    assert answer.solve_info.verified
    served = {v.id for route in answer.routes for v in route.visits if v.kind == v.STOP}
    assert served | {s.stop_id for s in answer.skipped_stops} == {s.id for s in r.stops}
    check = routing_pb2.EvaluatePlanRequest(problem=r, routes=_routes(answer))
    assert stub.EvaluatePlan(check, timeout=60).feasible


def test_advise_insertion_reads_an_estimate_request(
    stub: Stub, planned: tuple[routing_pb2.PlanRoutesRequest, routing_pb2.PlanRoutesResponse]
) -> None:
    """AdviseInsertion on the estimate request and its plan offers a place for a new bin at
    one of its locations, with a positive drive into it."""
    r, answer = planned
    new = routing_pb2.Stop(id="extra", location_id=r.stops[5].location_id, demands=[50])
    new.service_duration = 120
    advice_request = replanning_pb2.AdviseInsertionRequest(
        problem=r, routes=_routes(answer), new_stops=[new]
    )
    (advice,) = stub.AdviseInsertion(advice_request, timeout=60).advice
    assert advice.options
    assert all(option.vehicle_id for option in advice.options)


def test_a_huge_estimate_job_without_a_cluster_is_refused_when_submitted(stub: Stub) -> None:
    """A plan job over the materialising limit on a server without --ray-address is refused at
    CreatePlanJob (RESOURCE_EXHAUSTED naming the path, the limit and --ray-address), with
    validate_only too, and no job is stored: it could only fail once it ran."""
    for validate_only in (True, False):
        r = huge()
        r.request_id = "huge-estimate"
        if validate_only:
            r.options.solving_mode = common_pb2.VALIDATE_ONLY
        with pytest.raises(grpc.RpcError) as caught:
            stub.CreatePlanJob(jobs_pb2.CreatePlanJobRequest(request=r), timeout=60)
        details = client.error_details(caught.value)
        assert details.code == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "request.travel_estimate" in details.message
        assert str(MAX_MATERIALISED_LOCATIONS) in details.message
        assert "--ray-address" in details.message
    listed = stub.ListPlanJobs(jobs_pb2.ListPlanJobsRequest(page_size=500), timeout=30)
    assert "huge-estimate" not in [job.request_id for job in listed.jobs]


def huge() -> routing_pb2.PlanRoutesRequest:
    """One depot, one stop and more locations than a matrix may be built for."""
    n = MAX_MATERIALISED_LOCATIONS + 1
    r = routing_pb2.PlanRoutesRequest(location_ids=[f"L{i}" for i in range(n)])
    for i in range(n):
        r.location_coordinates.add(latitude=50 + i * 1e-5, longitude=4.0)
    r.travel_estimate.SetInParent()
    r.vehicles.add(id="truck", start_location_id="L0", end_location_id="L0")
    r.stops.add(id="bin", location_id="L1")
    return r


def test_an_estimate_too_big_for_a_matrix_says_to_use_a_cluster(stub: Stub) -> None:
    """PlanRoutes of an estimate over the materialising limit is RESOURCE_EXHAUSTED, naming the
    limit and --ray-address; the request itself is well formed (a cluster would solve it), and
    building its matrix anyway (a plan job without a cluster) is INVALID_ARGUMENT there."""
    r = huge()
    problems = Problems()
    collect_plan_routes(r, problems)
    assert problems.items == []
    with pytest.raises(RequestTooLargeError):
        check_materialisable(r)
    with pytest.raises(InvalidProblemError) as refused:
        problem_from_request(r)
    assert refused.value.problems[0].path == "travel_estimate"
    with pytest.raises(grpc.RpcError) as caught:
        stub.PlanRoutes(r, timeout=60)
    details = client.error_details(caught.value)
    assert details.code == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert str(MAX_MATERIALISED_LOCATIONS) in details.message
    assert "--ray-address" in details.message


def test_a_malformed_estimate_is_invalid_argument_on_the_wire(stub: Stub) -> None:
    """Through the server a bad parameter is INVALID_ARGUMENT with the field path."""
    r = request()
    r.travel_estimate.arterial_metres = -5.0
    with pytest.raises(grpc.RpcError) as caught:
        stub.PlanRoutes(r, timeout=30)
    details = client.error_details(caught.value)
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    assert "travel_estimate.arterial_metres" in details.fields
