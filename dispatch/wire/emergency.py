"""AssignUnits on the wire: request -> AssignmentProblem, solved result -> answer.

Choices about the answer's shape (the numbers come from ``solvers.assignment.kpis``):

- An incident's ``units`` lists every unit heading there or on scene after the plan: units that
  fill a slot (with its capability; a committed unit that counts there always fills one, with
  ``already_committed``) and committed units that fill none because the incident needs none of
  their capabilities or other committed units fill every slot they could (capability empty).
  ``last_arrival_seconds``, ``within_target`` and the KPIs count only units that fill a slot.
- ``SolveInfo.objective`` is level 3 of the objective, sum w(p) * eta; every level is an
  objective term (``unfilled_slots_p<priority>``, ``slots_within_target_p<priority>``,
  ``weighted_response``, ``coverage_shortfall``, ``churn``), all recomputed by the independent
  checker, and the per-priority slot counts in the KPIs are the checker's too.
"""

from __future__ import annotations

import numpy as np

from dispatch._proto.dispatch.v1 import common_pb2, emergency_pb2
from dispatch.wire import enums
from dispatch.wire.durations import duration
from dispatch.wire.matrices import durations
from dispatch.wire.mirror import message_from
from solvers.assignment import (
    AssignmentProblem,
    AssignmentResult,
    CoverageRule,
    UnfilledReason,
)
from solvers.assignment.kpis import Arrival, AssignmentKpis, kpis
from solvers.status import SolveReport

UNFILLED_REASON = enums.to_proto(UnfilledReason, emergency_pb2.UnfilledSlot.Reason)

__all__ = ["to_problem", "to_response"]

# -- request -> AssignmentProblem ----------------------------------------------------------------


def _capabilities(
    request: emergency_pb2.AssignUnitsRequest, unit_caps: list[list[str]]
) -> dict[str, int]:
    """Capability name -> column: units' first, then requirements', then coverage rules'."""
    capabilities: dict[str, int] = {}
    for names in unit_caps:
        for cap in names:
            capabilities.setdefault(cap, len(capabilities))
    for incident in request.incidents:
        for requirement in incident.requirements:
            capabilities.setdefault(requirement.capability, len(capabilities))
    for rule in request.coverage_rules:
        capabilities.setdefault(rule.capability, len(capabilities))
    return capabilities


def _commitment(request: emergency_pb2.AssignUnitsRequest) -> np.ndarray:
    incident_index = {incident.id: i for i, incident in enumerate(request.incidents)}
    available = emergency_pb2.Unit.AVAILABLE
    return np.array(
        [
            incident_index.get(unit.current_incident_id, -1)
            if unit.status != available and unit.current_incident_id
            else -1
            for unit in request.units
        ],
        dtype=np.int64,
    )


def _coverage(
    request: emergency_pb2.AssignUnitsRequest, capabilities: dict[str, int]
) -> tuple[np.ndarray | None, tuple[CoverageRule, ...]]:
    """Unit -> district travel times and the rules whose district exists (none without
    districts)."""
    district_ids = tuple(request.district_ids)
    if not district_ids or not (request.coverage_rules or request.HasField("unit_to_district")):
        return None, ()
    travel = durations(request.unit_to_district, len(request.units), len(district_ids))
    district_index = {d: k for k, d in enumerate(district_ids)}
    rules = tuple(
        CoverageRule(
            district=district_index[rule.district_id],
            capability=capabilities[rule.capability],
            min_units=int(rule.min_units),
            max_travel=int(rule.max_travel_seconds),
        )
        for rule in request.coverage_rules
        if rule.district_id in district_index
    )
    return travel, rules


def to_problem(request: emergency_pb2.AssignUnitsRequest) -> AssignmentProblem:
    """The solver's problem from a validated request (unknown references become 'none')."""
    units, incidents = request.units, request.incidents
    # Read once: iterating proto repeated fields is slow, and these are needed twice.
    unit_cap_names = [list(unit.capabilities) for unit in units]
    capabilities = _capabilities(request, unit_cap_names)
    unit_caps = np.zeros((len(units), len(capabilities)), dtype=bool)
    rows = [u for u, names in enumerate(unit_cap_names) for _ in names]
    cols = [capabilities[cap] for names in unit_cap_names for cap in names]
    unit_caps[rows, cols] = True
    requirements = np.zeros((len(incidents), len(capabilities)), dtype=np.int64)
    for i, incident in enumerate(incidents):
        for requirement in incident.requirements:
            requirements[i, capabilities[requirement.capability]] += max(0, requirement.count)
    unit_to_district, rules = _coverage(request, capabilities)
    return AssignmentProblem(
        unit_ids=tuple(unit.id for unit in units),
        incident_ids=tuple(incident.id for incident in incidents),
        capabilities=tuple(capabilities),
        unit_capabilities=unit_caps,
        status=np.array([unit.status for unit in units], dtype=np.int64),
        commitment=_commitment(request),
        priorities=np.array([incident.priority for incident in incidents], dtype=np.int64),
        targets=np.array(
            [incident.response_target_seconds for incident in incidents], dtype=np.int64
        ),
        requirements=requirements,
        travel=durations(request.unit_to_incident, len(units), len(incidents)),
        district_ids=tuple(request.district_ids),
        unit_to_district=unit_to_district,
        coverage_rules=rules,
        max_travel=int(request.max_travel_seconds),
        allow_reassignment=bool(request.allow_reassignment),
        label=request.label,
    )


# -- result -> answer ----------------------------------------------------------------------------


def _unit(problem: AssignmentProblem, arrival: Arrival) -> emergency_pb2.UnitAssignment:
    return emergency_pb2.UnitAssignment(
        unit_id=problem.unit_ids[arrival.unit],
        capability=problem.capabilities[arrival.capability] if arrival.fills_slot else "",
        eta_seconds=arrival.eta,
        within_target=arrival.within_target,
        already_committed=arrival.already_committed,
        reassigned=arrival.moved_from >= 0,
    )


def _incidents(
    request: emergency_pb2.AssignUnitsRequest,
    problem: AssignmentProblem,
    result: AssignmentResult,
    k: AssignmentKpis,
) -> list[emergency_pb2.IncidentAssignment]:
    unfilled: list[list[emergency_pb2.UnfilledSlot]] = [[] for _ in request.incidents]
    for slot in result.unfilled:
        unfilled[slot.incident].append(
            emergency_pb2.UnfilledSlot(
                capability=problem.capabilities[slot.capability],
                count=slot.count,
                reason=UNFILLED_REASON[slot.reason],
            )
        )
    return [
        emergency_pb2.IncidentAssignment(
            incident_id=incident.id,
            priority=incident.priority,
            units=[_unit(problem, a) for a in outcome.arrivals],
            unfilled=unfilled[i],
            fully_staffed=outcome.fully_staffed,
            last_arrival_seconds=outcome.last_arrival,
            within_target=outcome.within_target,
        )
        for i, (incident, outcome) in enumerate(zip(request.incidents, k.incidents, strict=True))
    ]


def _coverage_status(
    problem: AssignmentProblem, result: AssignmentResult
) -> list[emergency_pb2.CoverageStatus]:
    return [
        emergency_pb2.CoverageStatus(
            district_id=problem.district_ids[rule.district],
            capability=problem.capabilities[rule.capability],
            required_units=found.required,
            available_units=found.available,
            met=found.available >= found.required,
        )
        for rule, found in zip(problem.coverage_rules, result.evaluation.coverage, strict=True)
    ]


def _kpis(k: AssignmentKpis) -> emergency_pb2.AssignmentKpis:
    return message_from(
        emergency_pb2.AssignmentKpis,
        k,
        incidents=len(k.incidents),
        by_priority=[message_from(emergency_pb2.PriorityKpi, p) for p in k.by_priority],
        units_reassigned=len(k.reassignments),
    )


def _solve_info(report: SolveReport, wall_seconds: float) -> common_pb2.SolveInfo:
    info = common_pb2.SolveInfo(
        solver=enums.SOLVER[report.family],
        engine=report.engine,
        status=enums.STATUS[report.status],
        objective=report.objective,
        wall_time=duration(wall_seconds),
        fallback_reason=report.fallback_reason,
        verified=True,
        objective_terms=[
            common_pb2.ObjectiveTerm(name=name, value=value)
            for name, value in report.objective_terms.items()
        ],
    )
    if report.bound is not None:
        info.best_bound = report.bound
    if report.gap is not None:
        info.gap = report.gap
    return info


def to_response(
    request: emergency_pb2.AssignUnitsRequest,
    problem: AssignmentProblem,
    result: AssignmentResult,
    wall_seconds: float,
) -> emergency_pb2.AssignUnitsResponse:
    """The answer for a solved request (every entry in request order)."""
    k = kpis(problem, result.plan, result.unfilled, result.evaluation)
    return emergency_pb2.AssignUnitsResponse(
        label=request.label,
        request_id=request.request_id,
        solve_info=_solve_info(result.report, wall_seconds),
        incidents=_incidents(request, problem, result, k),
        reassignments=[
            emergency_pb2.Reassignment(
                unit_id=problem.unit_ids[a.unit],
                from_incident_id=problem.incident_ids[a.moved_from],
                to_incident_id=problem.incident_ids[a.incident],
            )
            for a in k.reassignments
        ],
        coverage=_coverage_status(problem, result),
        kpis=_kpis(k),
    )
