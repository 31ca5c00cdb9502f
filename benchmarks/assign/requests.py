"""AssignmentProblem -> AssignUnitsRequest (bytes-encoded matrices), for benchmarks and tests."""

from __future__ import annotations

import numpy as np

from dispatch._proto.dispatch.v1 import common_pb2, emergency_pb2
from dispatch.wire.matrices import encode
from solvers.assignment.model import SOON_FREE, AssignmentProblem, UnitStatus


def to_request(
    problem: AssignmentProblem,
    solver: int = common_pb2.AUTO,
    time_budget: float | None = None,
    request_id: str = "",
) -> emergency_pb2.AssignUnitsRequest:
    """The request a CAD system would send for this problem."""
    request = emergency_pb2.AssignUnitsRequest(
        label=problem.label, request_id=request_id or problem.label
    )
    request.options.solver = solver
    if time_budget is not None:
        request.options.time_budget.FromNanoseconds(int(time_budget * 1e9))
    for u, unit_id in enumerate(problem.unit_ids):
        unit = request.units.add(
            id=unit_id,
            capabilities=[
                c for k, c in enumerate(problem.capabilities) if problem.unit_capabilities[u, k]
            ],
            status=int(problem.status[u]),
        )
        if problem.commitment[u] >= 0:
            unit.current_incident_id = problem.incident_ids[int(problem.commitment[u])]
        elif problem.status[u] == UnitStatus.EN_ROUTE:
            raise ValueError(f"Unit {unit_id} is EN_ROUTE without an incident.")
    _lifecycle(problem, request)
    for i, incident_id in enumerate(problem.incident_ids):
        incident = request.incidents.add(id=incident_id, priority=int(problem.priorities[i]))
        _requirements(problem, i, incident)
    request.unit_to_incident.CopyFrom(encode(problem.travel))
    if problem.district_ids:
        request.district_ids.extend(problem.district_ids)
        assert problem.unit_to_district is not None
        request.unit_to_district.CopyFrom(encode(problem.unit_to_district))
    for rule in problem.coverage_rules:
        request.coverage_rules.add(
            district_id=problem.district_ids[rule.district],
            capability=problem.capabilities[rule.capability],
            min_units=rule.min_units,
            max_travel_seconds=rule.max_travel,
        )
    request.max_travel_seconds = problem.max_travel
    request.allow_reassignment = problem.allow_reassignment
    return request


def _lifecycle(problem: AssignmentProblem, request: emergency_pb2.AssignUnitsRequest) -> None:
    """Turnouts, and each soon-free unit's free time and place: a location of its own
    (``free:<unit id>``) whose travel row is the unit's (the problem's row is already from where
    it becomes free). Nothing is added for a problem without lifecycle data."""
    assert problem.turnout is not None and problem.wait is not None
    rows = []
    for u, unit in enumerate(request.units):
        if problem.turnout[u]:
            unit.turnout_seconds = int(problem.turnout[u])
        if problem.status[u] in SOON_FREE:
            unit.free_at_seconds = int(problem.wait[u])
            unit.free_location_id = f"free:{unit.id}"
            request.location_ids.append(unit.free_location_id)
            rows.append(u)
    if rows:
        request.location_to_incident.CopyFrom(encode(problem.travel[rows]))
    request.allow_soon_free_units = problem.allow_soon_free


def _requirements(problem: AssignmentProblem, i: int, incident: emergency_pb2.Incident) -> None:
    """Incident ``i``'s target and requirements, with their own targets where they differ from
    it. A requirement's 0 means "the incident's", so when one has no target while the incident
    has one, the incident's is left out and every requirement names its own."""
    assert problem.requirement_targets is not None and problem.first_unit_targets is not None
    wanted = problem.requirements[i] > 0
    full = problem.requirement_targets[i]
    target = int(problem.targets[i])
    if target and np.any(wanted & (full == 0)):
        target = 0
    incident.response_target_seconds = target
    for k, cap in enumerate(problem.capabilities):
        if wanted[k]:
            requirement = incident.requirements.add(
                capability=cap, count=int(problem.requirements[i, k])
            )
            if int(full[k]) != target:
                requirement.response_target_seconds = int(full[k])
            requirement.first_unit_target_seconds = int(problem.first_unit_targets[i, k])
