"""Validation of PlanRoutesRequest.live_state without a server: the lock rules as properties."""

from __future__ import annotations

from google.protobuf import json_format
from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch._proto.dispatch.v1 import live_state_pb2, routing_pb2
from dispatch.errors import InvalidProblemError
from dispatch.examples import read_text
from dispatch.validation import validate_plan_routes

BASE = json_format.Parse(read_text("maintenance"), routing_pb2.PlanRoutesRequest())
STOPS = [s.id for s in BASE.stops]
VEHICLES = [v.id for v in BASE.vehicles]
LEVELS = [live_state_pb2.KEEP_SEQUENCE, live_state_pb2.KEEP_VEHICLE, live_state_pb2.FREE]


def fields_of(request: routing_pb2.PlanRoutesRequest) -> list[str]:
    """The field paths validation reports ([] when the request is valid)."""
    try:
        validate_plan_routes(request)
    except InvalidProblemError as exc:
        return [p.path for p in exc.problems]
    return []


locks = st.lists(
    st.tuples(st.sampled_from(STOPS[:6]), st.sampled_from(VEHICLES), st.sampled_from(LEVELS)),
    max_size=8,
)


@settings(max_examples=60, deadline=None)
@given(locks=locks)
def test_a_stop_locked_twice_is_reported_at_every_repeat_and_only_there(locks) -> None:
    """Keep-vehicle and free locks (no prefix to overflow a shift) with allowed vehicles unset:
    exactly the repeats of a stop are INVALID_ARGUMENT, each at its own lock's stop_id."""
    request = routing_pb2.PlanRoutesRequest()
    request.CopyFrom(BASE)
    for stop, vehicle, level in locks:
        level = live_state_pb2.KEEP_VEHICLE if level == live_state_pb2.KEEP_SEQUENCE else level
        request.live_state.locks.add(stop_id=stop, vehicle_id=vehicle, level=level)
    seen: set[str] = set()
    repeats = []
    for j, (stop, _, _) in enumerate(locks):
        if stop in seen:
            repeats.append(f"live_state.locks[{j}].stop_id")
        seen.add(stop)
    assert fields_of(request) == repeats


@settings(max_examples=40, deadline=None)
@given(free_from=st.integers(0, 40_000), vehicle=st.integers(0, len(VEHICLES) - 1))
def test_free_from_is_invalid_exactly_when_it_is_after_the_shift_end(free_from, vehicle) -> None:
    """A vehicle free after its shift ends is INVALID_ARGUMENT at its free_from; before, fine."""
    request = routing_pb2.PlanRoutesRequest()
    request.CopyFrom(BASE)
    request.live_state.vehicles.add(vehicle_id=VEHICLES[vehicle]).free_from = free_from
    late = free_from > BASE.vehicles[vehicle].shift.end
    assert fields_of(request) == (["live_state.vehicles[0].free_from"] if late else [])


@settings(max_examples=40, deadline=None)
@given(per_stop=st.floats(-1e10, 1e10), per_minute=st.floats(-1e5, 1e5))
def test_churn_costs_are_bounded_and_not_negative(per_stop, per_minute) -> None:
    """A negative or over-limit churn cost is INVALID_ARGUMENT at its own field."""
    request = routing_pb2.PlanRoutesRequest()
    request.CopyFrom(BASE)
    request.reference_plan.routes.add(vehicle_id=VEHICLES[0])
    request.live_state.churn.per_stop_moved = per_stop
    request.live_state.churn.per_minute_eta_shift = per_minute
    expected = []
    if not 0 <= per_stop <= 1e9:
        expected.append("live_state.churn.per_stop_moved")
    if not 0 <= per_minute <= 1e4:
        expected.append("live_state.churn.per_minute_eta_shift")
    assert fields_of(request) == expected


def test_more_on_board_than_the_capacity_is_invalid_at_its_dimension() -> None:
    """Capacity 10 with 11 on board contradicts the vehicle: INVALID_ARGUMENT at the entry."""
    request = routing_pb2.PlanRoutesRequest()
    request.CopyFrom(BASE)
    request.load_dimensions.append("kg")
    request.vehicles[0].capacities.append(10)
    request.live_state.vehicles.add(vehicle_id=VEHICLES[0], load_on_board=[11])
    assert fields_of(request) == ["live_state.vehicles[0].load_on_board[0]"]
