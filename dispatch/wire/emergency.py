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
- The unit lifecycle: a soon-free unit's travel row is its free place's row of
  ``location_to_incident`` (the caller's ``unit_to_incident`` row is from where it is now, which
  does not matter once it has to clear first), its wait ``max(0, free_at_seconds)``; a unit's
  ``eta_seconds`` is its response time, with ``wait_seconds`` and ``turnout_seconds`` the parts
  it includes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dispatch._proto.dispatch.v1 import common_pb2, emergency_pb2
from dispatch.wire import enums
from dispatch.wire.durations import duration
from dispatch.wire.emergency_read import UnitRead, taken_read
from dispatch.wire.matrices import durations
from dispatch.wire.mirror import message_from
from solvers.assignment import (
    AssignmentProblem,
    AssignmentResult,
    CoverageRule,
    UnfilledReason,
)
from solvers.assignment.kpis import Arrival, AssignmentKpis, kpis
from solvers.assignment.model import COMMITTED, SOON_FREE, status_in
from solvers.assignment.reasons import Unfilled
from solvers.status import SolveReport

UNFILLED_REASON = enums.to_proto(UnfilledReason, emergency_pb2.UnfilledSlot.Reason)

__all__ = ["to_problem", "to_response"]

# -- request -> AssignmentProblem ----------------------------------------------------------------


#: One requirement as read: (incident index, capability, count, full target, first-unit target).
_Row = tuple[int, str, int, int, int]


def _requirement_rows(incidents: Sequence[emergency_pb2.Incident]) -> list[_Row]:
    """Every requirement's fields, read from the messages once (conversion is latency-bound)."""
    return [
        (i, r.capability, r.count, r.response_target_seconds, r.first_unit_target_seconds)
        for i, incident in enumerate(incidents)
        for r in incident.requirements
    ]


def _capabilities(
    request: emergency_pb2.AssignUnitsRequest,
    unit_caps: list[tuple[str, ...]],
    required: Sequence[_Row],
) -> dict[str, int]:
    """Capability name -> column: units' first, then requirements', then coverage rules'.

    ``unit_caps`` may hold each unit's tuple or only the distinct tuples in first-seen order:
    both give the same columns."""
    capabilities: dict[str, int] = {}
    for names in unit_caps:
        for cap in names:
            capabilities.setdefault(cap, len(capabilities))
    for row in required:
        capabilities.setdefault(row[1], len(capabilities))
    for rule in request.coverage_rules:
        capabilities.setdefault(rule.capability, len(capabilities))
    return capabilities


def _commitment(request: emergency_pb2.AssignUnitsRequest, read: UnitRead) -> np.ndarray:
    """Only EN_ROUTE and BUSY units are committed; other statuses' incident is informational."""
    at = np.full(len(read), -1, dtype=np.int64)
    named = np.flatnonzero(read.has_incident & status_in(read.status, COMMITTED)).tolist()
    if named:
        incident_index = {incident.id: i for i, incident in enumerate(request.incidents)}
        current = read.current
        at[named] = [incident_index.get(current[u], -1) for u in named]
    return at


def _unit_capabilities(read: UnitRead, capabilities: dict[str, int]) -> np.ndarray:
    """The unit x capability matrix, built once per distinct capability set (a city has few)."""
    table = np.zeros((len(read.patterns), len(capabilities)), dtype=bool)
    for names, k in read.patterns.items():
        table[k, [capabilities[cap] for cap in names]] = True
    return table[read.pattern] if len(read) else np.zeros((0, len(capabilities)), dtype=bool)


def _lifecycle(
    request: emergency_pb2.AssignUnitsRequest, status: np.ndarray, travel: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Travel and wait per unit: with soon-free units allowed, their rows of ``travel`` are
    replaced (in a copy) by their free place's row of ``location_to_incident``."""
    wait = np.zeros(len(status), dtype=np.int64)
    soon = np.flatnonzero(status_in(status, SOON_FREE)).tolist()
    if not soon or not request.allow_soon_free_units:
        return travel, wait
    travel = travel.copy()
    locations = {loc: k for k, loc in enumerate(request.location_ids)}
    from_place = durations(
        request.location_to_incident, len(request.location_ids), len(request.incidents)
    )
    for u in soon:
        unit = request.units[u]
        wait[u] = max(0, unit.free_at_seconds)
        travel[u] = from_place[locations[unit.free_location_id]]
    return travel, wait


def _requirements(
    targets: np.ndarray, required: Sequence[_Row], capabilities: dict[str, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Slots, full-complement and first-unit targets per (incident, capability): summed and
    overwritten in request order in dicts, then written to numpy once (a numpy scalar write
    per requirement cost more than the rest). Requirements of one capability were validated
    to agree on their targets."""
    slots: dict[tuple[int, int], int] = {}
    full_at: dict[tuple[int, int], int] = {}
    first_at: dict[tuple[int, int], int] = {}
    for i, name, count, full_target, first_target in required:
        key = (i, capabilities[name])
        slots[key] = slots.get(key, 0) + max(0, count)
        if full_target:
            full_at[key] = full_target
        first_at[key] = first_target
    shape = (len(targets), len(capabilities))
    requirements = np.zeros(shape, dtype=np.int64)
    first = np.zeros(shape, dtype=np.int64)
    full = np.repeat(targets.reshape(-1, 1), shape[1], axis=1)
    for table, values in ((requirements, slots), (full, full_at), (first, first_at)):
        if values:
            at = np.array(list(values), dtype=np.int64)
            table[at[:, 0], at[:, 1]] = list(values.values())
    return requirements, full, first


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
    read = taken_read(request)
    status = read.status
    heads = [(x.id, x.priority, x.response_target_seconds) for x in incidents]
    incident_ids, priorities, target_list = zip(*heads, strict=True) if heads else ((),) * 3
    targets = np.array(target_list, dtype=np.int64)
    required = _requirement_rows(incidents)
    capabilities = _capabilities(request, list(read.patterns), required)
    unit_caps = _unit_capabilities(read, capabilities)
    requirements, full, first = _requirements(targets, required, capabilities)
    unit_to_district, rules = _coverage(request, capabilities)
    travel = durations(request.unit_to_incident, len(units), len(incidents))
    travel, wait = _lifecycle(request, status, travel)
    return AssignmentProblem(
        unit_ids=read.ids,
        incident_ids=incident_ids,
        capabilities=tuple(capabilities),
        unit_capabilities=unit_caps,
        status=status,
        commitment=_commitment(request, read),
        priorities=np.array(priorities, dtype=np.int64),
        targets=targets,
        requirements=requirements,
        travel=travel,
        district_ids=tuple(request.district_ids),
        unit_to_district=unit_to_district,
        coverage_rules=rules,
        max_travel=int(request.max_travel_seconds),
        allow_reassignment=bool(request.allow_reassignment),
        label=request.label,
        wait=wait,
        turnout=read.turnout,
        allow_soon_free=bool(request.allow_soon_free_units),
        requirement_targets=full,
        first_unit_targets=first,
    )


# -- result -> answer ----------------------------------------------------------------------------


def _add_units(
    message: emergency_pb2.IncidentAssignment,
    problem: AssignmentProblem,
    arrivals: Sequence[Arrival],
) -> None:
    """One incident's units, built in place. Fields at their default are not passed (proto3
    without presence: the same message), which halves the construction time of a unit."""
    unit_ids, capabilities = problem.unit_ids, problem.capabilities
    add = message.units.add
    for unit, _, capability, eta, within, committed, moved_from, wait, turnout in arrivals:
        entry = add(
            unit_id=unit_ids[unit],
            capability=capabilities[capability] if capability >= 0 else "",
            eta_seconds=eta,
            within_target=within,
        )
        if committed or moved_from >= 0 or wait or turnout:
            entry.already_committed = committed
            entry.reassigned = moved_from >= 0
            entry.wait_seconds = wait
            entry.turnout_seconds = turnout


def _add_incidents(
    response: emergency_pb2.AssignUnitsResponse,
    problem: AssignmentProblem,
    result: AssignmentResult,
    k: AssignmentKpis,
) -> None:
    """Every incident's entry, in request order, built in place: passing lists of messages to
    a constructor copies each one, and a 200 x 2000 answer has hundreds."""
    unfilled: dict[int, list[Unfilled]] = {}
    for slot in result.unfilled:
        unfilled.setdefault(slot.incident, []).append(slot)
    add = response.incidents.add
    priorities = problem.priorities.tolist()
    for i, (incident_id, outcome) in enumerate(zip(problem.incident_ids, k.incidents, strict=True)):
        message = add(
            incident_id=incident_id,
            priority=priorities[i],
            fully_staffed=outcome.fully_staffed,
            last_arrival_seconds=outcome.last_arrival,
            within_target=outcome.within_target,
        )
        _add_units(message, problem, outcome.arrivals)
        for slot in unfilled.get(i, ()):
            message.unfilled.add(
                capability=problem.capabilities[slot.capability],
                count=slot.count,
                reason=UNFILLED_REASON[slot.reason],
            )


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


def solve_info(report: SolveReport, wall_seconds: float) -> common_pb2.SolveInfo:
    """The SolveInfo of an assignment-family answer (AssignUnits, MoveUp): every field read off
    the solver's report, so both RPCs describe their solve the same way."""
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
        degraded=report.degraded,
        degraded_reason=report.degraded_reason,
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
    response = emergency_pb2.AssignUnitsResponse(
        label=request.label,
        request_id=request.request_id,
        solve_info=solve_info(result.report, wall_seconds),
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
    _add_incidents(response, problem, result, k)
    return response
