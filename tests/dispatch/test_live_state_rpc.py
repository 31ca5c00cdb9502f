"""The live loop over the real server (issue #13 item 1 and "Done when"): a plan is made, then at
09:00 re-planned with the crews' live state and two new work orders, and the answer keeps every
locked visit, shows the diff against the morning plan, and AdviseInsertion ranks the crews for a
third order. Bad live states are INVALID_ARGUMENT with their field; an impossible lock is data.
"""

from __future__ import annotations

import grpc
import pytest

from dispatch import client
from dispatch._proto.dispatch.v1 import (
    common_pb2,
    live_state_pb2,
    replanning_pb2,
    routing_pb2,
)
from tests.conftest import EXAMPLE_METHODS, ROOT

Visit = routing_pb2.Visit
Change = routing_pb2.StopChange
NOW = 10_800  # 09:00 on a day starting at 06:00
HORIZON = 3_600  # freeze the next hour
KEPT = (live_state_pb2.KEEP_SEQUENCE, live_state_pb2.KEEP_VEHICLE)


def _example() -> routing_pb2.PlanRoutesRequest:
    request = client.parse_request(
        EXAMPLE_METHODS["maintenance"], (ROOT / "examples" / "maintenance.json").read_text()
    )
    # Work limits end a deterministic solve; the budget is generous so a loaded machine's
    # clock does not (the answer is the same, only later).
    request.options.time_budget.FromSeconds(120)
    request.options.deterministic = True
    return request


def _order(request: routing_pb2.PlanRoutesRequest, stop_id: str, at: int) -> routing_pb2.Stop:
    """A new 30-minute electrical work order at the location of the request's stop ``at``."""
    return routing_pb2.Stop(
        id=stop_id,
        location_id=request.stops[at].location_id,
        service_duration=1800,
        required_skills=["electrical"],
    )


def replan_request(
    request: routing_pb2.PlanRoutesRequest, answer: routing_pb2.PlanRoutesResponse
) -> routing_pb2.PlanRoutesRequest:
    """The 09:00 re-plan: work started before now is done (left out; its crew is free where
    it did it, since it ended), the morning plan is the reference, the next hour is frozen, the
    rest stays with its crew, moving costs 50 and an ETA 1 per minute beyond 15 minutes."""
    replan = routing_pb2.PlanRoutesRequest()
    replan.CopyFrom(request)
    done: set[str] = set()
    live = replan.live_state
    live.now = NOW
    for route in answer.routes:
        started = [v for v in route.visits if v.kind == Visit.STOP and v.service_start < NOW]
        done |= {v.id for v in started}
        state = live.vehicles.add(vehicle_id=route.vehicle_id, stops_done=len(started))
        # Free since it left its last place (it is on its way to the next stop since then).
        state.free_from = started[-1].service_end if started else route.visits[0].service_start
        state.worked_seconds = NOW - route.visits[0].service_start
        if started:
            state.location_id = started[-1].location_id
        replan.reference_plan.routes.add(
            vehicle_id=route.vehicle_id,
            visits=[
                routing_pb2.PlannedVisit(kind=v.kind, id=v.id)
                for v in route.visits
                if v.kind in (Visit.STOP, Visit.FACILITY, Visit.BREAK)
            ],
        )
    kept = [s for s in replan.stops if s.id not in done]
    del replan.stops[:]
    replan.stops.extend([*kept, _order(request, "burst-main", 3), _order(request, "leak", 7)])
    live.freeze.horizon_seconds = HORIZON
    live.freeze.beyond_horizon = live_state_pb2.KEEP_VEHICLE
    live.churn.per_stop_moved = 50.0
    live.churn.per_minute_eta_shift = 1.0
    live.churn.eta_tolerance_seconds = 900
    return replan


@pytest.fixture(scope="module")
def loop(stub) -> tuple[routing_pb2.PlanRoutesRequest, routing_pb2.PlanRoutesResponse]:
    """The morning plan, then the 09:00 re-plan request and its answer."""
    request = _example()
    morning = stub.PlanRoutes(request, timeout=180)
    replan = replan_request(request, morning)
    return replan, stub.PlanRoutes(replan, timeout=180)


def _frozen(answer: routing_pb2.PlanRoutesResponse) -> dict[str, list[str]]:
    """Per crew, the stops the freeze rule keeps in sequence (reference start by now + 1 h)."""
    frozen: dict[str, list[str]] = {}
    for change in answer.diff.stops:
        timed = change.HasField("reference_service_start") and change.still_requested
        if timed and change.reference_service_start <= NOW + HORIZON:
            frozen.setdefault(change.reference_vehicle_id, []).append(change.stop_id)
    return frozen


def _routes(answer: routing_pb2.PlanRoutesResponse) -> dict[str, list[str]]:
    return {r.vehicle_id: [v.id for v in r.visits if v.kind == Visit.STOP] for r in answer.routes}


@pytest.mark.slow  # two deterministic solves (work limits), shared by the module
def test_the_replan_keeps_the_frozen_hour_in_order_at_the_head_of_each_route(loop) -> None:
    """Every stop the morning plan had starting by 10:00 is, per crew, the head of its new
    route in the morning order; nothing is reported unkept."""
    _, answer = loop
    assert not answer.unkept_locks
    frozen = _frozen(answer)
    assert frozen, "the morning plan has work in the next hour"
    routes = _routes(answer)
    for vehicle, stops in frozen.items():
        assert routes[vehicle][: len(stops)] == stops


@pytest.mark.slow  # two deterministic solves (work limits), shared by the module
def test_the_replan_moves_no_reference_stop_and_adds_the_two_new_orders(loop) -> None:
    """KEEP_VEHICLE beyond the hour: no stop of the morning plan changes crew; both new orders
    are ADDED; the diff's churn KPIs count no move; the churn cost is an objective term."""
    _, answer = loop
    changes = {c.stop_id: c for c in answer.diff.stops}
    assert not [c for c in answer.diff.stops if c.change == Change.MOVED]
    assert changes["burst-main"].change == Change.ADDED
    assert changes["leak"].change == Change.ADDED
    assert answer.diff.kpis.stops_moved == 0
    assert "churn_cost" in [t.name for t in answer.solve_info.objective_terms]
    assert answer.solve_info.verified


@pytest.mark.slow  # two deterministic solves (work limits), shared by the module
def test_evaluate_plan_finds_no_lock_broken_in_the_replan(stub, loop) -> None:
    """The independent checker, through EvaluatePlan on the re-plan request, finds no rule and
    no lock broken in the answer (only the stops it skips, with reasons, are missing)."""
    replan, answer = loop
    routes = [
        routing_pb2.PlannedRoute(
            vehicle_id=r.vehicle_id,
            visits=[
                routing_pb2.PlannedVisit(kind=v.kind, id=v.id)
                for v in r.visits
                if v.kind in (Visit.STOP, Visit.FACILITY, Visit.BREAK)
            ],
        )
        for r in answer.routes
    ]
    evaluation = stub.EvaluatePlan(
        routing_pb2.EvaluatePlanRequest(problem=replan, routes=routes), timeout=30
    )
    # EvaluatePlan has no skip reasons: the stops the answer skips (with one) are "missing".
    skipped = {s.stop_id for s in answer.skipped_stops}
    broken = [
        v.detail
        for v in evaluation.violations
        if v.type != routing_pb2.Violation.MISSING_MANDATORY_STOP or v.id not in skipped
    ]
    assert not broken


@pytest.mark.slow  # two deterministic solves (work limits), shared by the module
def test_a_route_that_breaks_a_frozen_prefix_is_a_lock_violation(stub, loop) -> None:
    """Swapping the first two stops of a frozen route makes EvaluatePlan report LOCK."""
    replan, answer = loop
    routes = _routes(answer)
    vehicle, stops = next((k, s) for k, s in routes.items() if len(s) >= 2)
    stops[0], stops[1] = stops[1], stops[0]
    route = routing_pb2.PlannedRoute(
        vehicle_id=vehicle, visits=[routing_pb2.PlannedVisit(kind=Visit.STOP, id=i) for i in stops]
    )
    evaluation = stub.EvaluatePlan(
        routing_pb2.EvaluatePlanRequest(problem=replan, routes=[route]), timeout=30
    )
    assert routing_pb2.Violation.LOCK in [v.type for v in evaluation.violations]


@pytest.mark.slow  # two deterministic solves (work limits), shared by the module
def test_insertion_advice_ranks_crews_for_a_third_order_on_the_live_plan(stub, loop) -> None:
    """AdviseInsertion on the re-plan and its answer: distinct crews, cheapest first, and no
    option breaks a lock (each verified by the checker with the live state's locks)."""
    replan, answer = loop
    routes = [
        routing_pb2.PlannedRoute(
            vehicle_id=r.vehicle_id,
            visits=[
                routing_pb2.PlannedVisit(kind=v.kind, id=v.id)
                for v in r.visits
                if v.kind in (Visit.STOP, Visit.FACILITY, Visit.BREAK)
            ],
        )
        for r in answer.routes
    ]
    third = routing_pb2.Stop(  # a 15-minute inspection any crew can do
        id="inspect", location_id=replan.stops[11].location_id, service_duration=900
    )
    advice_answer = stub.AdviseInsertion(
        replanning_pb2.AdviseInsertionRequest(problem=replan, routes=routes, new_stops=[third]),
        timeout=30,
    )
    (advice,) = advice_answer.advice
    assert len(advice.options) >= 2
    crews = [o.vehicle_id for o in advice.options]
    assert len(crews) == len(set(crews))
    assert [o.cost_delta for o in advice.options] == sorted(o.cost_delta for o in advice.options)
    frozen = _frozen(answer)
    for option in advice.options:
        prefix = frozen.get(option.vehicle_id, [])
        stops = [v.id for v in option.route.visits if v.kind == Visit.STOP]
        assert stops[: len(prefix)] == prefix


def test_a_lock_the_crew_cannot_keep_is_reported_not_an_error(stub) -> None:
    """A signals order locked to a crew without signals: the answer serves it nowhere, lists
    it in skipped_stops and in unkept_locks with NO_VEHICLE_WITH_SKILLS."""
    request = _example()
    request.options.deterministic = False  # the pre-check decides; any plan will do
    request.options.time_budget.FromSeconds(3)
    request.live_state.locks.add(
        stop_id="wo-2205", vehicle_id="crew-water-1", level=live_state_pb2.KEEP_VEHICLE
    )
    answer = stub.PlanRoutes(request, timeout=180)
    (unkept,) = answer.unkept_locks
    assert (unkept.stop_id, unkept.vehicle_id, unkept.served) == (
        "wo-2205",
        "crew-water-1",
        False,
    )
    assert unkept.reason == routing_pb2.SkippedStop.NO_VEHICLE_WITH_SKILLS
    assert "wo-2205" in [s.stop_id for s in answer.skipped_stops]


def _lock(request, stop: str, vehicle: str, level=live_state_pb2.KEEP_SEQUENCE) -> None:
    request.live_state.locks.add(stop_id=stop, vehicle_id=vehicle, level=level)


def _two_vehicles(r) -> None:
    _lock(r, "wo-2218", "crew-electric-1")
    _lock(r, "wo-2218", "crew-electric-2")


def _long_prefix(r) -> None:
    r.live_state.vehicles.add(vehicle_id="crew-electric-2").free_from = 28_000
    _lock(r, "wo-2218", "crew-electric-2")
    _lock(r, "wo-2233", "crew-electric-2")


def _free_after_shift(r) -> None:
    r.live_state.vehicles.add(vehicle_id="crew-electric-1").free_from = 30_601


def _negative_churn(r) -> None:
    r.reference_plan.routes.add(vehicle_id="crew-electric-1")
    r.live_state.churn.per_stop_moved = -1.0


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (_two_vehicles, "live_state.locks[1].stop_id"),
        (_long_prefix, "live_state.locks[1].stop_id"),
        (_free_after_shift, "live_state.vehicles[0].free_from"),
        (lambda r: _lock(r, "wo-ghost", "crew-electric-1"), "live_state.locks[0].stop_id"),
        (lambda r: _lock(r, "wo-2218", "crew-ghost"), "live_state.locks[0].vehicle_id"),
        (
            lambda r: _lock(r, "wo-2218", "crew-electric-1", 0),
            "live_state.locks[0].level",
        ),
        (
            lambda r: r.live_state.vehicles.add(vehicle_id="ghost"),
            "live_state.vehicles[0].vehicle_id",
        ),
        (
            lambda r: setattr(
                r.live_state.vehicles.add(vehicle_id="crew-electric-1"), "location_id", "x"
            ),
            "live_state.vehicles[0].location_id",
        ),
        (_negative_churn, "live_state.churn.per_stop_moved"),
        (lambda r: setattr(r.live_state.freeze, "horizon_seconds", 60), "live_state.freeze"),
    ],
)
def test_contradictory_live_state_is_invalid_argument_with_the_field(stub, change, field) -> None:
    """Each contradiction in the live state is INVALID_ARGUMENT naming its field path."""
    request = _example()
    request.options.solving_mode = common_pb2.VALIDATE_ONLY
    change(request)
    with pytest.raises(grpc.RpcError) as info:
        stub.PlanRoutes(request, timeout=30)
    details = client.error_details(info.value)
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    assert field in details.fields
