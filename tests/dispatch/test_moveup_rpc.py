"""Move-up through the real gRPC server: the answer's figures, moves and errors."""

from __future__ import annotations

import grpc
import pytest
from moveup_requests import moveup_request

from dispatch import client
from dispatch._proto.dispatch.v1 import common_pb2, dispatch_service_pb2_grpc, emergency_pb2
from dispatch.emergency import FAULTS_ENV

Stub = dispatch_service_pb2_grpc.DispatchServiceStub


def test_move_up_refills_the_district_the_dispatch_emptied(stub: Stub) -> None:
    """C goes to the east call; one of A and B is sent from the west post to the east post."""
    answer = stub.AssignUnits(moveup_request(), timeout=10)
    assert [u.unit_id for u in answer.incidents[0].units] == ["C"]
    move_up = answer.move_up
    assert move_up.solve_info.status == common_pb2.OPTIMAL
    assert move_up.solve_info.verified
    assert [(r.from_post_id, r.to_post_id, r.travel_seconds) for r in move_up.relocations] == [
        ("post-west", "post-east", 1200)
    ]
    assert move_up.relocations[0].unit_id in {"A", "B"}
    figures = [
        (c.expected_calls_per_hour, c.districts_uncovered)
        for c in (move_up.before_dispatch, move_up.after_dispatch, move_up.after_moves)
    ]
    assert figures == [(4.0, 1), (1.0, 2), (4.0, 1)]
    assert move_up.total_calls_per_hour == 5.0
    assert move_up.after_moves.share == pytest.approx(0.8)


def test_zero_moves_gives_the_coverage_figures_only(stub: Stub) -> None:
    """max_moves 0: no relocation, and the after-moves coverage is the after-dispatch one."""
    answer = stub.AssignUnits(moveup_request(max_moves=0), timeout=10)
    assert list(answer.move_up.relocations) == []
    assert answer.move_up.after_moves == answer.move_up.after_dispatch


def test_a_request_without_move_up_has_no_move_up_answer(stub: Stub) -> None:
    """The section is optional: without it the answer carries none."""
    request = moveup_request()
    request.ClearField("move_up")
    assert not stub.AssignUnits(request, timeout=10).HasField("move_up")


def test_a_zero_radius_is_invalid_argument_with_its_field_path(stub: Stub) -> None:
    """Bad move-up input is INVALID_ARGUMENT naming the field, never INTERNAL."""
    request = moveup_request()
    request.move_up.coverage_radius_seconds = 0
    request.move_up.zones[1].district_id = "nowhere"
    with pytest.raises(grpc.RpcError) as error:
        stub.AssignUnits(request, timeout=10)
    details = client.error_details(error.value)
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    assert details.fields == ["move_up.zones[1].district_id", "move_up.coverage_radius_seconds"]


def test_at_post_units_count_and_move_like_available_ones(stub: Stub) -> None:
    """A, B standing AT_POST: the same figures and the same relocation as AVAILABLE."""
    request = moveup_request()
    for unit in request.units[:2]:
        unit.status = emergency_pb2.Unit.AT_POST
    move_up = stub.AssignUnits(request, timeout=10).move_up
    assert move_up.before_dispatch.expected_calls_per_hour == 4.0
    assert [r.to_post_id for r in move_up.relocations] == ["post-east"]


def test_capability_filter_leaves_other_units_out(stub: Stub) -> None:
    """Counting only "als" units (none here): no coverage anywhere, nothing to move."""
    request = moveup_request()
    request.move_up.capability = "als"
    move_up = stub.AssignUnits(request, timeout=10).move_up
    assert move_up.before_dispatch.expected_calls_per_hour == 0.0
    assert move_up.before_dispatch.districts_uncovered == 3
    assert list(move_up.relocations) == []


def test_failing_exact_engines_give_a_degraded_greedy_move_up(
    stub: Stub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With HiGHS and CP-SAT failing on purpose, greedy answers, FEASIBLE and degraded."""
    monkeypatch.setenv(FAULTS_ENV, "moveup_milp,moveup_cp_sat")
    answer = stub.AssignUnits(moveup_request(), timeout=10)
    info = answer.move_up.solve_info
    assert (info.engine, info.status) == ("greedy", common_pb2.FEASIBLE)
    assert info.degraded
    assert "injected fault" in info.fallback_reason
    assert [r.to_post_id for r in answer.move_up.relocations] == ["post-east"]
    assert answer.solve_info.status == common_pb2.OPTIMAL  # the dispatch itself is unaffected
