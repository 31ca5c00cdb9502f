"""AssignmentProblem -> AssignUnitsRequest (bytes-encoded matrices), for benchmarks and tests."""

from __future__ import annotations

from dispatch._proto.dispatch.v1 import common_pb2, emergency_pb2
from dispatch.wire.matrices import encode
from solvers.assignment.model import AssignmentProblem, UnitStatus


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
    for i, incident_id in enumerate(problem.incident_ids):
        incident = request.incidents.add(
            id=incident_id,
            priority=int(problem.priorities[i]),
            response_target_seconds=int(problem.targets[i]),
        )
        for k, cap in enumerate(problem.capabilities):
            if problem.requirements[i, k] > 0:
                incident.requirements.add(capability=cap, count=int(problem.requirements[i, k]))
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
