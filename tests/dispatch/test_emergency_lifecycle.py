"""The unit lifecycle through the real gRPC server: soon-free units, turnout, first-unit targets,
and bad lifecycle input answered INVALID_ARGUMENT with its field path."""

from __future__ import annotations

import dataclasses

import grpc
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_emergency import plan_of

from benchmarks.assign.requests import to_request
from benchmarks.assign.scenarios import city_problem
from dispatch import client
from dispatch._proto.dispatch.v1 import common_pb2, dispatch_service_pb2_grpc, emergency_pb2
from dispatch.wire.emergency import to_problem
from solvers.assignment import AssignmentProblem, check_plan, solve
from solvers.budget import Deadline

Stub = dispatch_service_pb2_grpc.DispatchServiceStub
Unit = emergency_pb2.Unit


def cardiac_request(switch: bool) -> emergency_pb2.AssignUnitsRequest:
    """M-1 is free now but 12 min away; M-2 is at a hospital, free in 3 min, 2 min away."""
    request = emergency_pb2.AssignUnitsRequest(
        label="lifecycle",
        allow_soon_free_units=switch,
        location_ids=["st-marys", "station-4"],
    )
    request.units.add(id="M-1", capabilities=["ambulance"], status=Unit.AVAILABLE)
    request.units.add(
        id="M-2",
        capabilities=["ambulance"],
        status=Unit.AT_HOSPITAL,
        free_at_seconds=180,
        free_location_id="st-marys",
        turnout_seconds=30,
    )
    request.units.add(id="M-3", capabilities=["ambulance"], status=Unit.OUT_OF_SERVICE)
    request.incidents.add(
        id="cardiac",
        priority=1,
        response_target_seconds=480,
        requirements=[emergency_pb2.Requirement(capability="ambulance", count=1)],
    )
    # M-2's own row (900 s, from where it stands now) is replaced by st-marys' row (120 s).
    request.unit_to_incident.durations.extend([720, 900, 5])
    request.location_to_incident.durations.extend([120, 400])
    return request


def units_sent(answer: emergency_pb2.AssignUnitsResponse) -> list[tuple[str, int, int, int]]:
    """(unit, eta, wait, turnout) of every unit listed on the first incident."""
    return [
        (u.unit_id, u.eta_seconds, u.wait_seconds, u.turnout_seconds)
        for u in answer.incidents[0].units
    ]


def test_soon_free_unit_wins_when_the_switch_is_on(stub: Stub) -> None:
    """Wait 180 + travel 120 from the hospital + turnout 30 = 330 s beats 720 s."""
    answer = stub.AssignUnits(cardiac_request(True), timeout=10)
    assert units_sent(answer) == [("M-2", 330, 180, 30)]
    assert answer.incidents[0].units[0].within_target
    assert answer.solve_info.status == common_pb2.OPTIMAL
    assert answer.solve_info.verified
    assert answer.kpis.units_dispatched == 1


def test_soon_free_unit_loses_when_the_switch_is_off(stub: Stub) -> None:
    """Without the switch the hospital unit stays and the 12-minute unit goes (late)."""
    answer = stub.AssignUnits(cardiac_request(False), timeout=10)
    assert units_sent(answer) == [("M-1", 720, 0, 0)]
    assert not answer.incidents[0].within_target


def test_greedy_also_sends_the_soon_free_unit(stub: Stub) -> None:
    """The fallback ranks units by the same response time as the exact engine."""
    request = cardiac_request(True)
    request.options.solver = common_pb2.GREEDY
    answer = stub.AssignUnits(request, timeout=10)
    assert units_sent(answer) == [("M-2", 330, 180, 30)]


def test_out_of_service_unit_is_never_sent_even_when_closest(stub: Stub) -> None:
    """M-3 is 5 s away but out of service: it appears nowhere in the answer."""
    answer = stub.AssignUnits(cardiac_request(True), timeout=10)
    listed = {u.unit_id for incident in answer.incidents for u in incident.units}
    assert "M-3" not in listed


def test_first_unit_and_full_complement_targets_are_reported(stub: Stub) -> None:
    """Two engines, the first within 240 s, both within 480 s: 200 s and 400 s meet both, and
    the requirement's own targets override the incident's 100 s."""
    request = emergency_pb2.AssignUnitsRequest()
    for k in range(2):
        request.units.add(id=f"E-{k}", capabilities=["engine"], status=Unit.AVAILABLE)
    request.incidents.add(
        id="fire",
        priority=1,
        response_target_seconds=100,
        requirements=[
            emergency_pb2.Requirement(
                capability="engine",
                count=2,
                response_target_seconds=480,
                first_unit_target_seconds=240,
            )
        ],
    )
    request.unit_to_incident.durations.extend([400, 200])
    answer = stub.AssignUnits(request, timeout=10)
    fire = answer.incidents[0]
    assert [(u.unit_id, u.within_target) for u in fire.units] == [("E-1", True), ("E-0", True)]
    assert fire.within_target
    p1 = answer.kpis.by_priority[0]
    assert (p1.slots_within_target, p1.first_unit_targets, p1.first_unit_targets_met) == (2, 1, 1)
    terms = {t.name: t.value for t in answer.solve_info.objective_terms}
    assert terms["first_units_within_target_p1"] == 1


def test_to_problem_reads_the_lifecycle_fields() -> None:
    """Wait is max(0, free_at), travel comes from the free place, targets per capability."""
    request = cardiac_request(True)
    request.units[1].free_at_seconds = -60  # overdue: free now
    problem = to_problem(request)
    assert problem.wait.tolist() == [0, 0, 0]
    assert problem.turnout.tolist() == [0, 30, 0]
    assert problem.travel[:, 0].tolist() == [720, 120, 5]
    assert problem.allow_soon_free
    assert problem.requirement_targets.tolist() == [[480]]
    assert problem.first_unit_targets.tolist() == [[0]]


def rejected_fields(stub: Stub, request: emergency_pb2.AssignUnitsRequest) -> list[str]:
    """The field paths of the INVALID_ARGUMENT answer (fails if the call is answered)."""
    with pytest.raises(grpc.RpcError) as info:
        stub.AssignUnits(request, timeout=10)
    details = client.error_details(info.value)
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    return sorted(details.fields)


def test_soon_free_unit_without_free_time_or_place(stub: Stub) -> None:
    """With the switch on, a returning unit needs both its free time and its free place."""
    request = cardiac_request(True)
    request.units[1].status = Unit.RETURNING
    request.units[1].ClearField("free_at_seconds")
    request.units[1].free_location_id = ""
    assert rejected_fields(stub, request) == [
        "units[1].free_at_seconds",
        "units[1].free_location_id",
    ]


def test_soon_free_fields_are_optional_when_the_switch_is_off(stub: Stub) -> None:
    """Without the switch a transporting unit needs neither: it is not going anywhere."""
    request = cardiac_request(False)
    request.units[1].status = Unit.TRANSPORTING
    request.units[1].ClearField("free_at_seconds")
    request.units[1].free_location_id = ""
    answer = stub.AssignUnits(request, timeout=10)
    assert units_sent(answer) == [("M-1", 720, 0, 0)]


def test_negative_turnout(stub: Stub) -> None:
    """A negative turnout is refused at its field."""
    request = cardiac_request(True)
    request.units[0].turnout_seconds = -5
    assert rejected_fields(stub, request) == ["units[0].turnout_seconds"]


def test_free_time_too_far_in_the_past(stub: Stub) -> None:
    """Overdue by more than an hour is a stale status, refused (an hour is allowed)."""
    request = cardiac_request(True)
    request.units[1].free_at_seconds = -3601
    assert rejected_fields(stub, request) == ["units[1].free_at_seconds"]
    request.units[1].free_at_seconds = -3600
    assert units_sent(stub.AssignUnits(request, timeout=10))[0][0] == "M-2"


def test_unknown_free_location(stub: Stub) -> None:
    """A free place that is not in location_ids is refused, switch on or off."""
    for switch in (True, False):
        request = cardiac_request(switch)
        request.units[1].free_location_id = "nowhere"
        assert rejected_fields(stub, request) == ["units[1].free_location_id"]


def test_missing_location_matrix(stub: Stub) -> None:
    """Soon-free units allowed but no location_to_incident: refused at the matrix."""
    request = cardiac_request(True)
    request.ClearField("location_to_incident")
    assert rejected_fields(stub, request) == ["location_to_incident.durations"]


def test_free_time_on_a_unit_that_is_not_soon_free(stub: Stub) -> None:
    """Only TRANSPORTING, AT_HOSPITAL and RETURNING units have a free time and place."""
    request = cardiac_request(True)
    request.units[0].free_at_seconds = 10
    request.units[0].free_location_id = "st-marys"
    assert rejected_fields(stub, request) == [
        "units[0].free_at_seconds",
        "units[0].free_location_id",
    ]


def test_out_of_service_unit_naming_an_incident(stub: Stub) -> None:
    """An out-of-service unit is committed nowhere."""
    request = cardiac_request(True)
    request.units[2].current_incident_id = "cardiac"
    assert rejected_fields(stub, request) == ["units[2].current_incident_id"]


def test_first_unit_target_above_the_full_complement(stub: Stub) -> None:
    """A first-unit target later than the full-complement target is refused."""
    request = cardiac_request(True)
    request.incidents[0].requirements[0].first_unit_target_seconds = 600
    assert rejected_fields(stub, request) == [
        "incidents[0].requirements[0].first_unit_target_seconds"
    ]


def test_requirements_of_one_capability_with_different_targets(stub: Stub) -> None:
    """Two ambulance requirements of one incident must agree on their targets."""
    request = cardiac_request(True)
    request.incidents[0].requirements.add(
        capability="ambulance", count=1, response_target_seconds=300
    )
    assert rejected_fields(stub, request) == [
        "incidents[0].requirements[1].response_target_seconds"
    ]


def test_duplicate_location_ids(stub: Stub) -> None:
    """Location ids are unique."""
    request = cardiac_request(True)
    request.location_ids[1] = "st-marys"
    request.location_to_incident.durations[1] = 120
    assert rejected_fields(stub, request) == ["location_ids[1]"]


def lifecycle_city(seed: int, incidents: int, units: int, switch: bool) -> AssignmentProblem:
    """A generated city whose free units get lifecycle statuses, waits, turnouts and whose
    requirements get NFPA-style first-unit targets (240 s, or the full target if sooner)."""
    base = city_problem(incidents, units, seed, coverage=seed % 2 == 0)
    rng = np.random.default_rng(seed)
    status = base.status.copy()
    free = np.flatnonzero(status == Unit.AVAILABLE)
    status[free] = rng.choice([1, 1, 4, 5, 6, 7, 8], size=len(free))
    soon = np.isin(status, (5, 6, 7))
    wait = np.where(soon, rng.integers(0, 600, size=units), 0)
    full = base.requirement_targets
    first = np.where(
        (base.requirements > 0) & (rng.uniform(size=full.shape) < 0.5),
        np.where(full > 0, np.minimum(full, 240), 240),
        0,
    )
    return dataclasses.replace(
        base,
        status=status,
        wait=wait,
        turnout=rng.choice([0, 60, 80], size=units),
        allow_soon_free=switch,
        first_unit_targets=first,
    )


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    seed=st.integers(0, 10_000),
    incidents=st.integers(1, 8),
    units=st.integers(1, 40),
    switch=st.booleans(),
)
def test_served_answer_is_the_solver_optimum(
    stub: Stub, seed: int, incidents: int, units: int, switch: bool
) -> None:
    """Any lifecycle city through the server: the answer decodes to a plan the checker accepts,
    with the objective vector of solving the problem directly, proven optimal; the reported
    ETAs are the checker's (wait + travel + turnout)."""
    problem = lifecycle_city(seed, incidents, units, switch)
    answer = stub.AssignUnits(to_request(problem), timeout=30)
    decoded = check_plan(problem, plan_of(problem, answer))
    assert decoded.key() == solve(problem, Deadline.after(10)).evaluation.key()
    assert answer.solve_info.status == common_pb2.OPTIMAL
    index = {u: k for k, u in enumerate(problem.unit_ids)}
    for entry, incident in zip(answer.incidents, range(problem.n_incidents), strict=True):
        for unit in entry.units:
            assert unit.eta_seconds == problem.eta(index[unit.unit_id], incident)


def test_turnout_above_an_hour(stub: Stub) -> None:
    """A turnout over 3600 s is a unit error (seconds sent as milliseconds), refused."""
    request = cardiac_request(True)
    request.units[2].turnout_seconds = 3601
    assert rejected_fields(stub, request) == ["units[2].turnout_seconds"]


def test_negative_requirement_targets(stub: Stub) -> None:
    """Per-requirement targets are 0 or more."""
    request = cardiac_request(True)
    request.incidents[0].requirements[0].response_target_seconds = -1
    request.incidents[0].requirements[0].first_unit_target_seconds = -1
    assert rejected_fields(stub, request) == [
        "incidents[0].requirements[0].first_unit_target_seconds",
        "incidents[0].requirements[0].response_target_seconds",
    ]
