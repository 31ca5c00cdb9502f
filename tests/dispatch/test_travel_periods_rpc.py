"""Time-of-day travel (PlanRoutesRequest.travel_periods): validation with field paths, times of
day resolved in the caller's time zone, and exact ETAs through the real server.

The request: a depot D and work orders on a line (600 s per step by day); rush hour is 3x slower.
horizon_start is 06:00 UTC = 07:00 in Berlin (winter time), so Berlin's rush hour 07:00-09:00
is the offsets 0..7200.
"""

from __future__ import annotations

import itertools

import grpc
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch import client
from dispatch._proto.dispatch.v1 import common_pb2, routing_pb2
from dispatch.errors import InvalidProblemError
from dispatch.validation import validate_plan_routes
from dispatch.wire import matrices
from dispatch.wire.routing import problem_from_request

STEPS = np.abs(np.arange(4)[:, None] - np.arange(4)[None, :])
DAY = STEPS * 600
RUSH = DAY * 3


def _request(*spans: tuple[str, str, np.ndarray], zone: str = "Europe/Berlin"):
    """Three work orders (A, B, C at 1, 2, 3 steps) for one crew, periods by time of day."""
    request = routing_pb2.PlanRoutesRequest(
        label="rush", location_ids=["D", "A", "B", "C"], travel=matrices.encode(DAY, STEPS * 1000)
    )
    request.horizon_start.FromJsonString("2026-01-12T06:00:00Z")
    request.options.deterministic = True
    request.options.solver = common_pb2.ORTOOLS
    request.options.time_budget.FromSeconds(5)
    request.vehicles.add(
        id="crew", start_location_id="D", end_location_id="D", shift={"start": 0, "end": 40_000}
    )
    for name in "ABC":
        request.stops.add(id=name, location_id=name, service_duration=300)
    entry = request.travel_periods.add(time_zone=zone)
    for start, end, grid in spans or (("07:00", "09:00", RUSH), ("09:00", "07:00", DAY)):
        period = entry.periods.add(start_time_of_day=start, end_time_of_day=end)
        period.travel.CopyFrom(matrices.encode(grid))
    return request


def _offsets(*spans: tuple[int, int]) -> routing_pb2.PlanRoutesRequest:
    """The same request with periods by offsets (rush, day, rush, ...)."""
    request = _request()
    del request.travel_periods[:]
    entry = request.travel_periods.add()
    for j, (start, end) in enumerate(spans):
        period = entry.periods.add(start=start, end=end)
        period.travel.CopyFrom(matrices.encode(RUSH if j % 2 == 0 else DAY))
    return request


def _fields(request: routing_pb2.PlanRoutesRequest) -> list[str]:
    try:
        validate_plan_routes(request)
    except InvalidProblemError as exc:
        return [p.path for p in exc.problems]
    return []


def test_times_of_day_resolve_in_the_callers_time_zone():
    """Berlin 07:00-09:00 on a horizon starting 07:00 Berlin: rush from 0, day from 7200, rush
    again a day later; in UTC the same times of day start rush an hour later (3600)."""
    periods = problem_from_request(_request()).travel_periods[0]
    assert periods.starts[:4] == (0, 7200, 86400, 93600)
    assert [periods.matrices[m][0, 3] for m in periods.matrix_of[:2]] == [5400, 1800]
    utc = problem_from_request(_request(zone="")).travel_periods[0]
    assert utc.starts[:3] == (0, 3600, 10800)
    assert [utc.matrices[m][0, 3] for m in utc.matrix_of[:3]] == [1800, 5400, 1800]


def test_periods_of_a_vehicle_type_time_only_its_vehicles():
    """Periods for type "van" (its own matrix) leave the default profile exact all day; the
    van's profile plans on its rush-hour matrix."""
    request = _request()
    request.vehicles.add(id="van-1", vehicle_type="van", start_location_id="D", end_location_id="D")
    request.vehicle_type_matrices.add(vehicle_type="van")  # durations from its periods only
    request.travel_periods[0].vehicle_type = "van"
    assert _fields(request) == []
    problem = problem_from_request(request)
    assert problem.travel_periods[0] is None and problem.travel_periods[1] is not None
    assert problem.travel_at(0, 0, 3, 0) == 1800 and problem.travel_at(1, 0, 3, 0) == 5400
    assert int(problem.durations[1][0, 3]) == 5400


def test_a_valid_request_with_periods_passes_and_may_leave_base_durations_out():
    """Both forms validate; `travel` then only needs distances."""
    request = _request()
    request.travel.ClearField("durations_bytes")
    assert _fields(request) == []
    assert _fields(_offsets((0, 7200), (7200, 0))) == []


@pytest.mark.parametrize(
    ("spans", "field"),
    [
        (((0, 7200), (7000, 0)), "travel_periods[0].periods[1].start"),  # overlap
        (((0, 7200), (7300, 0)), "travel_periods[0].periods[1].start"),  # gap
        (((100, 7200), (7200, 0)), "travel_periods[0].periods[0].start"),  # gap at 0
        (((0, 7200), (7200, 9000)), "travel_periods[0].periods[1].end"),  # gap before shift end
        (((0, 0), (7200, 0)), "travel_periods[0].periods[0].end"),  # open before the last
    ],
)
def test_offsets_that_overlap_or_leave_gaps_are_named(spans, field):
    """Each overlap or gap is reported at the period field that causes it."""
    assert _fields(_offsets(*spans)) == [field]


@pytest.mark.parametrize(
    ("spans", "field"),
    [
        (
            (("07:00", "09:30", RUSH), ("09:00", "07:00", DAY)),
            "travel_periods[0].periods[1].start_time_of_day",
        ),
        (
            (("07:00", "09:00", RUSH), ("09:30", "07:00", DAY)),
            "travel_periods[0].periods[1].start_time_of_day",
        ),
        (
            (("07:00", "9h", RUSH), ("09:00", "07:00", DAY)),
            "travel_periods[0].periods[0].end_time_of_day",
        ),
        ((("07:00", "09:00", RUSH),), "travel_periods[0].periods[0].start_time_of_day"),
    ],
)
def test_times_of_day_that_overlap_leave_gaps_or_do_not_parse_are_named(spans, field):
    """Periods by time of day must tile the day; each fault names its field."""
    assert _fields(_request(*spans)) == [field]


def test_other_faults_are_named():
    """Unknown zone or vehicle type, a second default entry, distances in a period, a wrong
    shape, and times of day without horizon_start: one path each."""
    request = _request(zone="Mars/Olympus")
    request.travel_periods.add(vehicle_type="van").periods.add().travel.CopyFrom(
        matrices.encode(DAY)
    )
    second = request.travel_periods.add()
    second.periods.add(start=0).travel.CopyFrom(matrices.encode(DAY, DAY))
    request.travel_periods[0].periods[0].travel.CopyFrom(matrices.encode(RUSH[:2, :2]))
    request.ClearField("horizon_start")
    assert sorted(_fields(request)) == [
        "horizon_start",
        "travel_periods[0].periods[0].travel.durations_bytes",
        "travel_periods[0].time_zone",
        "travel_periods[1].vehicle_type",
        "travel_periods[2].periods[0].travel",
        "travel_periods[2].vehicle_type",
    ]


def test_plan_routes_answers_exact_etas_and_says_it_planned_on_an_approximation(stub):
    """Through the server: the crew leaves in rush hour; each ETA is the exact IGP arrival
    (checked by EvaluatePlan on the same routes) and SolveInfo says how it was planned."""
    request = _request()
    answer = stub.PlanRoutes(request, timeout=60)
    assert not answer.skipped_stops and answer.solve_info.status == common_pb2.FEASIBLE
    assert "time-of-day travel" in answer.solve_info.strategy
    problem = problem_from_request(request)
    visits = answer.routes[0].visits
    for before, visit in itertools.pairwise(visits):
        a = problem.location_ids.index(before.location_id)
        b = problem.location_ids.index(visit.location_id)
        assert visit.arrival == problem.travel_periods[0].arrival(a, b, before.service_end)


def test_evaluate_plan_prices_rush_hour_exactly(stub):
    """D -> C -> D leaving at 0: 5400 s out in rush hour; back from 5700 crosses into day
    speeds at 7200 (1500 s cover 1500/5400 of the arc, the rest takes 1300 s): home at 8500.
    Without periods the same plan is 1800 + 300 + 1800."""
    request = _request()
    route = routing_pb2.PlannedRoute(vehicle_id="crew")
    route.visits.add(kind=routing_pb2.Visit.STOP, id="C")
    for name in "AB":
        request.stops.remove(next(s for s in request.stops if s.id == name))
    answer = stub.EvaluatePlan(
        routing_pb2.EvaluatePlanRequest(problem=request, routes=[route]), timeout=30
    )
    arrivals = [v.arrival for v in answer.routes[0].visits]
    assert arrivals == [0, 5400, 8500]
    del request.travel_periods[:]
    plain = stub.EvaluatePlan(
        routing_pb2.EvaluatePlanRequest(problem=request, routes=[route]), timeout=30
    )
    assert [v.arrival for v in plain.routes[0].visits] == [0, 1800, 3900]


def test_overlapping_periods_are_invalid_argument_through_the_server(stub):
    """The server answers INVALID_ARGUMENT naming the overlapping period's field."""
    with pytest.raises(grpc.RpcError) as caught:
        stub.PlanRoutes(_offsets((0, 7200), (7000, 0)), timeout=30)
    assert caught.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert client.error_details(caught.value).fields == ["travel_periods[0].periods[1].start"]


_CLOCKS = st.integers(0, 24 * 4 - 1).map(lambda q: f"{q // 4:02d}:{q % 4 * 15:02d}")


@settings(max_examples=25, deadline=None)
@given(
    cuts=st.lists(_CLOCKS, min_size=1, max_size=5, unique=True),
    zone=st.sampled_from(["", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe"]),
    start=st.integers(1_767_225_600, 1_798_761_600),  # any second of 2026
)
def test_a_valid_daily_cycle_always_converts_to_increasing_periods(cuts, zone, start):
    """Any tiling of the day, in zones with DST, from any horizon start: validation passes and
    the problem's periods start at 0, strictly increase and alternate matrices."""
    cuts = sorted(cuts)
    spans = [(a, cuts[(j + 1) % len(cuts)], RUSH if j % 2 else DAY) for j, a in enumerate(cuts)]
    request = _request(*spans, zone=zone)
    request.horizon_start.seconds = start
    assert _fields(request) == []
    periods = problem_from_request(request).travel_periods[0]
    assert periods.starts[0] == 0
    assert all(b > a for a, b in itertools.pairwise(periods.starts))
    assert all(a != b for a, b in itertools.pairwise(periods.matrix_of))
