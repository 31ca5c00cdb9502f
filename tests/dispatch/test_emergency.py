"""AssignUnits over a real gRPC server: conversion, answer shape, deadlines, fallbacks."""

from __future__ import annotations

import grpc
import numpy as np
import pytest

from benchmarks.assign.requests import to_request
from benchmarks.assign.scenarios import city_problem
from benchmarks.assign.server import server_process
from dispatch import client
from dispatch._proto.dispatch.v1 import (
    common_pb2,
    dispatch_service_pb2_grpc,
    emergency_pb2,
)
from dispatch.emergency import FAULTS_ENV
from dispatch.wire.emergency import to_problem
from solvers.assignment import AssignmentPlan, AssignmentProblem, check_plan

Stub = dispatch_service_pb2_grpc.DispatchServiceStub


def plan_of(
    problem: AssignmentProblem, answer: emergency_pb2.AssignUnitsResponse
) -> AssignmentPlan:
    """Rebuild the solver-level plan from the answer alone (ids back to indices)."""
    unit_index = {u: k for k, u in enumerate(problem.unit_ids)}
    cap_index = {c: k for k, c in enumerate(problem.capabilities)}
    incident = AssignmentPlan.empty(problem).incident.copy()
    capability = np.full(problem.n_units, -1, dtype=np.int64)
    seen: set[str] = set()
    for i, entry in enumerate(answer.incidents):
        for unit in entry.units:
            assert unit.unit_id not in seen, f"{unit.unit_id} listed twice"
            seen.add(unit.unit_id)
            incident[unit_index[unit.unit_id]] = i
            if unit.capability:
                capability[unit_index[unit.unit_id]] = cap_index[unit.capability]
    return AssignmentPlan(incident, capability)


def test_example_request_is_answered_optimal_and_verified(stub: Stub, examples: dict) -> None:
    """The bundled CAD example comes back OPTIMAL, checked, with every incident in order."""
    request = examples["emergency"]
    answer = stub.AssignUnits(request, timeout=10)
    assert answer.solve_info.status == common_pb2.OPTIMAL
    assert answer.solve_info.verified
    assert answer.solve_info.engine == "scipy.lapjvsp"
    assert answer.solve_info.solver == common_pb2.SCIPY
    assert [a.incident_id for a in answer.incidents] == [i.id for i in request.incidents]
    assert answer.label == request.label


def test_answer_is_the_plan_the_checker_accepts(stub: Stub) -> None:
    """Reading the answer back gives a valid plan whose recomputed cost is the reported one."""
    problem = city_problem(20, 120, seed=11, coverage=True)
    answer = stub.AssignUnits(to_request(problem), timeout=10)
    evaluation = check_plan(problem, plan_of(problem, answer))
    assert answer.solve_info.objective == evaluation.weighted_response
    terms = {t.name: t.value for t in answer.solve_info.objective_terms}
    assert terms["coverage_shortfall"] == evaluation.coverage_shortfall
    for level, unfilled, within in zip(
        evaluation.levels, evaluation.unfilled, evaluation.within_target, strict=True
    ):
        assert terms[f"unfilled_slots_p{level}"] == unfilled
        assert terms[f"slots_within_target_p{level}"] == within
    assert [c.available_units for c in answer.coverage] == [
        r.available for r in evaluation.coverage
    ]
    assert answer.kpis.units_reassigned == evaluation.churn == len(answer.reassignments)


def test_unfilled_slots_carry_reasons_and_staffing_flags(stub: Stub) -> None:
    """A capability nobody has is reported per incident and the incident is not fully staffed."""
    problem = city_problem(5, 30, seed=2)
    request = to_request(problem)
    request.incidents[0].requirements.add(capability="hazmat", count=2)
    answer = stub.AssignUnits(request, timeout=10)
    first = answer.incidents[0]
    assert not first.fully_staffed
    hazmat = [s for s in first.unfilled if s.capability == "hazmat"]
    assert [(s.count, s.reason) for s in hazmat] == [
        (2, emergency_pb2.UnfilledSlot.NO_UNIT_WITH_CAPABILITY)
    ]
    assert answer.kpis.fully_staffed == sum(a.fully_staffed for a in answer.incidents)


def test_units_echo_eta_commitment_and_reassignment(stub: Stub) -> None:
    """An en-route unit re-routed to a P1 call is flagged and listed in reassignments."""
    request = emergency_pb2.AssignUnitsRequest(allow_reassignment=True)
    request.units.add(
        id="M-1",
        capabilities=["ambulance"],
        status=emergency_pb2.Unit.EN_ROUTE,
        current_incident_id="minor",
    )
    request.units.add(id="M-2", capabilities=["ambulance"], status=emergency_pb2.Unit.AVAILABLE)
    request.incidents.add(
        id="minor",
        priority=3,
        requirements=[emergency_pb2.Requirement(capability="ambulance", count=1)],
    )
    request.incidents.add(
        id="cardiac",
        priority=1,
        response_target_seconds=300,
        requirements=[emergency_pb2.Requirement(capability="ambulance", count=1)],
    )
    request.unit_to_incident.durations.extend([200, 120, 250, 900])
    answer = stub.AssignUnits(request, timeout=10)
    cardiac = answer.incidents[1]
    assert [(u.unit_id, u.eta_seconds, u.within_target, u.reassigned) for u in cardiac.units] == [
        ("M-1", 120, True, True)
    ]
    assert [(r.unit_id, r.from_incident_id, r.to_incident_id) for r in answer.reassignments] == [
        ("M-1", "minor", "cardiac")
    ]
    assert answer.incidents[0].units[0].unit_id == "M-2"
    assert answer.kpis.units_dispatched == 1


def _first_answer(
    stub: Stub, request: emergency_pb2.AssignUnitsRequest, timeout: float, tries: int
) -> emergency_pb2.AssignUnitsResponse:
    """The first call answered within ``timeout``: on a machine at load 10 the 2 MB transfer
    alone sometimes takes the whole 50 ms; what is tested is what the service answers."""
    for _ in range(tries - 1):
        try:
            return stub.AssignUnits(request, timeout=timeout)
        except grpc.RpcError as error:
            assert error.code() == grpc.StatusCode.DEADLINE_EXCEEDED, error
    return stub.AssignUnits(request, timeout=timeout)


def test_short_grpc_deadline_on_big_instance_still_answers() -> None:
    """A 100 x 1000 call (coverage rules) with a 50 ms gRPC deadline gets a checked plan, not
    DEADLINE_EXCEEDED: the service sees the budget is too short for the exact engines and
    answers with greedy. The server runs in its own process here, as it does for a CAD client:
    an in-process client would compete with the handler for the GIL (see
    benchmarks/assign/server.py). 200 x 2000 at 50 ms is measured in benchmarks.assign."""
    problem = city_problem(100, 1000, seed=1, coverage=True)
    request = to_request(problem)
    with server_process() as target:
        channel = client.channel(target)
        stub = client.stub(channel)
        warm = to_request(problem, solver=common_pb2.GREEDY)
        stub.AssignUnits(warm, timeout=30)  # first large message: imports, buffers, caches
        answer = _first_answer(stub, request, timeout=0.05, tries=5)
        channel.close()
    assert answer.solve_info.verified
    assert answer.solve_info.engine == "greedy"
    assert "skipped" in answer.solve_info.fallback_reason
    check_plan(problem, plan_of(problem, answer))


def test_injected_ortools_failure_falls_back_to_milp(
    stub: Stub, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the flow failing on purpose the answer comes from PuLP and says why."""
    monkeypatch.setenv(FAULTS_ENV, "min_cost_flow")
    problem = city_problem(8, 40, seed=9)
    answer = stub.AssignUnits(to_request(problem, time_budget=5.0), timeout=20)
    assert answer.solve_info.solver == common_pb2.MILP
    assert answer.solve_info.engine in ("pulp.highs", "pulp.cbc")
    assert "injected fault" in answer.solve_info.fallback_reason
    assert answer.solve_info.status == common_pb2.OPTIMAL
    check_plan(problem, plan_of(problem, answer))


def test_greedy_selected_reports_feasible_without_bound(stub: Stub) -> None:
    """solver=GREEDY is honoured and never claims optimality."""
    problem = city_problem(8, 40, seed=10)
    answer = stub.AssignUnits(to_request(problem, solver=common_pb2.GREEDY), timeout=10)
    assert answer.solve_info.engine == "greedy"
    assert answer.solve_info.status == common_pb2.FEASIBLE
    assert not answer.solve_info.HasField("best_bound")


def test_to_problem_ignores_commitments_to_unknown_incidents() -> None:
    """A BUSY unit naming an incident not in the request is simply committed elsewhere."""
    request = emergency_pb2.AssignUnitsRequest()
    request.units.add(
        id="E-1",
        capabilities=["engine"],
        status=emergency_pb2.Unit.BUSY,
        current_incident_id="closed-yesterday",
    )
    request.incidents.add(
        id="fire",
        priority=1,
        requirements=[emergency_pb2.Requirement(capability="engine", count=1)],
    )
    request.unit_to_incident.durations.extend([60])
    problem = to_problem(request)
    assert problem.commitment.tolist() == [-1]


def test_invalid_request_is_rejected_before_solving(stub: Stub) -> None:
    """A malformed matrix never reaches the solver: INVALID_ARGUMENT, not INTERNAL."""
    request = to_request(city_problem(3, 10, seed=1))
    request.unit_to_incident.durations_bytes = b"\x00\x01"
    with pytest.raises(grpc.RpcError) as error:
        stub.AssignUnits(request, timeout=10)
    assert error.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def test_kpis_agree_with_the_incident_entries(stub: Stub) -> None:
    """Headline and per-priority KPIs are exactly what the per-incident entries add up to."""
    problem = city_problem(30, 150, seed=12, coverage=True)
    answer = stub.AssignUnits(to_request(problem), timeout=10)
    filling = [
        (entry.priority, unit)
        for entry in answer.incidents
        for unit in entry.units
        if unit.capability
    ]
    assert answer.kpis.incidents == len(answer.incidents)
    assert answer.kpis.fully_staffed == sum(e.fully_staffed for e in answer.incidents)
    assert answer.kpis.share_within_target == pytest.approx(
        sum(u.within_target for _, u in filling) / len(filling)
    )
    priorities = sorted({e.priority for e in answer.incidents})
    assert [k.priority for k in answer.kpis.by_priority] == priorities
    for kpi in answer.kpis.by_priority:
        etas = [u.eta_seconds for p, u in filling if p == kpi.priority]
        assert kpi.incidents == sum(e.priority == kpi.priority for e in answer.incidents)
        assert kpi.max_response_seconds == max(etas, default=0)
        assert kpi.mean_response_seconds == pytest.approx(sum(etas) / len(etas) if etas else 0)
    for entry in answer.incidents:
        etas = [u.eta_seconds for u in entry.units if u.capability]
        assert entry.last_arrival_seconds == max(etas, default=0)
        assert entry.fully_staffed == (not entry.unfilled)


def test_priority_slot_kpis_are_the_checkers_levels(stub: Stub) -> None:
    """Per priority, the answer's slot counts are objective levels 1 and 2 as the independent
    checker computes them from the plan read back, and they add up with the incident entries
    (an unfilled slot counts as missed in share_slots_within_target)."""
    problem = city_problem(30, 150, seed=12, coverage=True)
    answer = stub.AssignUnits(to_request(problem), timeout=10)
    evaluation = check_plan(problem, plan_of(problem, answer))
    by_priority = {k.priority: k for k in answer.kpis.by_priority}
    for level, required, filled, within in zip(
        evaluation.levels,
        evaluation.required,
        evaluation.filled,
        evaluation.within_target,
        strict=True,
    ):
        kpi = by_priority[level]
        assert (kpi.slots, kpi.slots_filled, kpi.slots_within_target) == (required, filled, within)
        assert kpi.share_slots_within_target == pytest.approx(within / required)
        assert kpi.share_within_target == pytest.approx(within / filled if filled else 0.0)
        entries = [e for e in answer.incidents if e.priority == level]
        units = [u for e in entries for u in e.units if u.capability]
        assert kpi.slots_filled == len(units)
        assert kpi.slots_within_target == sum(u.within_target for u in units)
        assert kpi.slots - kpi.slots_filled == sum(s.count for e in entries for s in e.unfilled)


def test_p1_call_reached_in_time_before_a_less_urgent_one(stub: Stub) -> None:
    """Response targets first: the ambulance that reaches the P1 call within its 480 s target
    goes there, and the P2 call is reached 400 s late. The former objective (w(p) x (1000 x
    lateness + eta)) sent A to the P2 call and B to P1, 40 s late: 81 140 against 401 640."""
    request = emergency_pb2.AssignUnitsRequest()
    for unit in ("A", "B"):
        request.units.add(id=unit, capabilities=["ambulance"], status=1)
    request.incidents.add(
        id="cardiac",
        priority=1,
        response_target_seconds=480,
        requirements=[emergency_pb2.Requirement(capability="ambulance", count=1)],
    )
    request.incidents.add(
        id="sprain",
        priority=2,
        response_target_seconds=300,
        requirements=[emergency_pb2.Requirement(capability="ambulance", count=1)],
    )
    request.unit_to_incident.durations.extend([470, 100, 520, 700])  # A: cardiac, sprain; B
    answer = stub.AssignUnits(request, timeout=10)
    cardiac = answer.incidents[0]
    assert [(u.unit_id, u.within_target) for u in cardiac.units] == [("A", True)]
    assert [k.slots_within_target for k in answer.kpis.by_priority] == [1, 0]


def test_en_route_unit_keeps_its_slot_against_a_nearer_free_unit(stub: Stub) -> None:
    """No double dispatch: the en-route unit 600 s away counts towards its incident and keeps
    the slot (listed with its capability, already committed); the free unit 60 s away is not
    sent on top of it and stays free."""
    request = emergency_pb2.AssignUnitsRequest()
    request.units.add(
        id="far",
        capabilities=["ambulance"],
        status=emergency_pb2.Unit.EN_ROUTE,
        current_incident_id="call",
    )
    request.units.add(id="near", capabilities=["ambulance"], status=emergency_pb2.Unit.AVAILABLE)
    request.incidents.add(
        id="call",
        priority=1,
        response_target_seconds=480,
        requirements=[emergency_pb2.Requirement(capability="ambulance", count=1)],
    )
    request.unit_to_incident.durations.extend([600, 60])
    answer = stub.AssignUnits(request, timeout=10)
    listed = {u.unit_id: (u.capability, u.already_committed) for u in answer.incidents[0].units}
    assert listed == {"far": ("ambulance", True)}
    assert answer.incidents[0].last_arrival_seconds == 600
    assert not answer.incidents[0].within_target


def test_repeated_requirements_of_one_capability_add_up() -> None:
    """Two requirement entries for 'engine' on one incident mean three engine slots in all."""
    request = emergency_pb2.AssignUnitsRequest()
    request.units.add(id="E-1", capabilities=["engine", "engine"], status=1)
    request.incidents.add(
        id="fire",
        priority=1,
        requirements=[
            emergency_pb2.Requirement(capability="engine", count=1),
            emergency_pb2.Requirement(capability="engine", count=2),
        ],
    )
    request.unit_to_incident.durations.extend([60])
    problem = to_problem(request)
    assert problem.requirements.tolist() == [[3]]
    assert problem.unit_capabilities.tolist() == [[True]]
