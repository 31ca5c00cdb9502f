"""AssignUnits: proto -> solvers.assignment -> proto, within the caller's deadline.

Conversion only: the rules and the objective live in ``solvers.assignment`` (model.py says
how they read the contract). Choices made here about the answer's shape:

- An incident's ``units`` lists every unit heading there or on scene after the plan: units that
  fill a slot (with its capability; a committed unit that counts there always fills one, with
  ``already_committed``) and committed units that fill none because the incident needs none of
  their capabilities or other committed units fill every slot they could (capability empty).
  ``last_arrival_seconds``, ``within_target`` and the KPIs count only units that fill a slot.
- ``SolveInfo.objective`` is levels 2+3 of the objective, sum w(p) * (1000 * lateness + eta);
  the other levels are objective terms (``unfilled_slots_p<priority>``,
  ``coverage_shortfall``, ``churn``), all recomputed by the independent checker.
- ``DISPATCH_ASSIGN_FAULTS`` (comma-separated: ``min_cost_flow``, ``cp_sat``, ``milp``) makes
  those engines fail on purpose, for fallback drills and tests.
"""

from __future__ import annotations

import os
import time

import numpy as np
from google.protobuf import duration_pb2

from dispatch._proto.dispatch.v1 import common_pb2, emergency_pb2
from dispatch.matrices import durations
from solvers.assignment import (
    AssignmentProblem,
    AssignmentResult,
    CoverageRule,
    SolveSettings,
    UnfilledReason,
    UnitStatus,
    solve,
)
from solvers.budget import Deadline
from solvers.status import SolverFamily, Status

FAULTS_ENV = "DISPATCH_ASSIGN_FAULTS"

_FAMILY_IN = {
    common_pb2.SOLVER_UNSPECIFIED: SolverFamily.AUTO,
    common_pb2.AUTO: SolverFamily.AUTO,
    common_pb2.ORTOOLS: SolverFamily.ORTOOLS,
    common_pb2.MILP: SolverFamily.MILP,
    common_pb2.GREEDY: SolverFamily.GREEDY,
}
_FAMILY_OUT = {
    SolverFamily.AUTO: common_pb2.AUTO,
    SolverFamily.ORTOOLS: common_pb2.ORTOOLS,
    SolverFamily.MILP: common_pb2.MILP,
    SolverFamily.PYVRP: common_pb2.PYVRP,
    SolverFamily.GREEDY: common_pb2.GREEDY,
}
_STATUS_OUT = {
    Status.OPTIMAL: common_pb2.OPTIMAL,
    Status.FEASIBLE: common_pb2.FEASIBLE,
    Status.INFEASIBLE: common_pb2.INFEASIBLE,
    Status.NO_SOLUTION_FOUND: common_pb2.NO_SOLUTION_FOUND,
    Status.NOT_SOLVED: common_pb2.NOT_SOLVED,
}
_REASON_OUT = {
    UnfilledReason.NO_UNIT_WITH_CAPABILITY: emergency_pb2.UnfilledSlot.NO_UNIT_WITH_CAPABILITY,
    UnfilledReason.ALL_CAPABLE_UNITS_COMMITTED: (
        emergency_pb2.UnfilledSlot.ALL_CAPABLE_UNITS_COMMITTED
    ),
    UnfilledReason.TAKEN_BY_HIGHER_PRIORITY: emergency_pb2.UnfilledSlot.TAKEN_BY_HIGHER_PRIORITY,
    UnfilledReason.BEYOND_MAX_TRAVEL_TIME: emergency_pb2.UnfilledSlot.BEYOND_MAX_TRAVEL_TIME,
    UnfilledReason.NOT_FILLED_BY_SOLVER: emergency_pb2.UnfilledSlot.NOT_FILLED_BY_SOLVER,
}


def to_problem(request: emergency_pb2.AssignUnitsRequest) -> AssignmentProblem:
    """The solver's problem from a validated request (unknown references become 'none')."""
    units, incidents = request.units, request.incidents
    n_units, n_incidents = len(units), len(incidents)
    capabilities: dict[str, int] = {}
    unit_cap_names = [list(unit.capabilities) for unit in units]
    for names in unit_cap_names:
        for cap in names:
            if cap not in capabilities:
                capabilities[cap] = len(capabilities)
    for incident in incidents:
        for requirement in incident.requirements:
            capabilities.setdefault(requirement.capability, len(capabilities))
    for rule in request.coverage_rules:
        capabilities.setdefault(rule.capability, len(capabilities))
    incident_index = {incident.id: i for i, incident in enumerate(incidents)}

    rows = [u for u, names in enumerate(unit_cap_names) for _ in names]
    cols = [capabilities[cap] for names in unit_cap_names for cap in names]
    unit_caps = np.zeros((n_units, len(capabilities)), dtype=bool)
    unit_caps[rows, cols] = True
    status = np.array([unit.status for unit in units], dtype=np.int64)
    available = emergency_pb2.Unit.AVAILABLE
    commitment = np.array(
        [
            incident_index.get(unit.current_incident_id, -1)
            if unit.status != available and unit.current_incident_id
            else -1
            for unit in units
        ],
        dtype=np.int64,
    )
    requirements = np.zeros((n_incidents, len(capabilities)), dtype=np.int64)
    for i, incident in enumerate(incidents):
        for requirement in incident.requirements:
            requirements[i, capabilities[requirement.capability]] += max(0, requirement.count)

    district_ids = tuple(request.district_ids)
    unit_to_district = None
    rules: list[CoverageRule] = []
    if district_ids and (request.coverage_rules or request.HasField("unit_to_district")):
        unit_to_district = durations(request.unit_to_district, n_units, len(district_ids))
        district_index = {d: k for k, d in enumerate(district_ids)}
        for rule in request.coverage_rules:
            if rule.district_id in district_index:
                rules.append(
                    CoverageRule(
                        district=district_index[rule.district_id],
                        capability=capabilities[rule.capability],
                        min_units=int(rule.min_units),
                        max_travel=int(rule.max_travel_seconds),
                    )
                )
    return AssignmentProblem(
        unit_ids=tuple(unit.id for unit in units),
        incident_ids=tuple(incident.id for incident in incidents),
        capabilities=tuple(capabilities),
        unit_capabilities=unit_caps,
        status=status,
        commitment=commitment,
        priorities=np.array([incident.priority for incident in incidents], dtype=np.int64),
        targets=np.array(
            [incident.response_target_seconds for incident in incidents], dtype=np.int64
        ),
        requirements=requirements,
        travel=durations(request.unit_to_incident, n_units, n_incidents),
        district_ids=district_ids,
        unit_to_district=unit_to_district,
        coverage_rules=tuple(rules),
        max_travel=int(request.max_travel_seconds),
        allow_reassignment=bool(request.allow_reassignment),
        label=request.label,
    )


def settings_from(options: common_pb2.SolveOptions, n_units: int) -> SolveSettings:
    """Solver choice, seed and fault injection; keeps back time for building the answer."""
    faults = frozenset(
        name.strip() for name in os.environ.get(FAULTS_ENV, "").split(",") if name.strip()
    )
    return SolveSettings(
        family=_FAMILY_IN.get(options.solver, SolverFamily.AUTO),
        seed=int(options.seed),
        deterministic=bool(options.deterministic),
        faults=faults,
        reserve=0.002 + 2e-6 * n_units,
    )


def to_response(
    request: emergency_pb2.AssignUnitsRequest,
    problem: AssignmentProblem,
    result: AssignmentResult,
    wall_seconds: float,
) -> emergency_pb2.AssignUnitsResponse:
    """The answer for a solved request (every entry in request order)."""
    plan, evaluation, report = result.plan, result.evaluation, result.report
    capabilities = problem.capabilities
    status = problem.status.tolist()
    commitment = problem.commitment.tolist()
    went = plan.incident.tolist()
    filled_cap = plan.capability.tolist()
    travel = problem.travel
    n_incidents = problem.n_incidents

    per_incident: list[list[emergency_pb2.UnitAssignment]] = [[] for _ in range(n_incidents)]
    reassignments = []
    for u, i in enumerate(went):
        if i < 0:
            continue
        committed_here = status[u] != UnitStatus.AVAILABLE and commitment[u] == i
        eta = 0 if (status[u] == UnitStatus.BUSY and committed_here) else int(travel[u, i])
        target = int(problem.targets[i])
        moved = status[u] == UnitStatus.EN_ROUTE and commitment[u] != i
        per_incident[i].append(
            emergency_pb2.UnitAssignment(
                unit_id=problem.unit_ids[u],
                capability=capabilities[filled_cap[u]] if filled_cap[u] >= 0 else "",
                eta_seconds=eta,
                within_target=target == 0 or eta <= target,
                already_committed=committed_here,
                reassigned=moved,
            )
        )
        if moved:
            reassignments.append(
                emergency_pb2.Reassignment(
                    unit_id=problem.unit_ids[u],
                    from_incident_id=problem.incident_ids[commitment[u]],
                    to_incident_id=problem.incident_ids[i],
                )
            )

    unfilled: list[list[emergency_pb2.UnfilledSlot]] = [[] for _ in range(n_incidents)]
    for slot in result.unfilled:
        unfilled[slot.incident].append(
            emergency_pb2.UnfilledSlot(
                capability=capabilities[slot.capability],
                count=slot.count,
                reason=_REASON_OUT[slot.reason],
            )
        )

    answers = []
    kpi_rows: dict[int, list[int]] = {}  # priority -> [incidents, fully staffed, within, n, sum]
    kpi_max: dict[int, int] = {}
    within_total = assigned_total = fully_total = 0
    for i, incident in enumerate(request.incidents):
        units = sorted(per_incident[i], key=lambda a: (a.eta_seconds, a.unit_id))
        filling = [a for a in units if a.capability]
        fully = not unfilled[i]
        within = sum(a.within_target for a in filling)
        row = kpi_rows.setdefault(incident.priority, [0, 0, 0, 0, 0])
        row[0] += 1
        row[1] += int(fully)
        row[2] += within
        row[3] += len(filling)
        row[4] += sum(a.eta_seconds for a in filling)
        last = max((a.eta_seconds for a in filling), default=0)
        kpi_max[incident.priority] = max(kpi_max.get(incident.priority, 0), last)
        within_total += within
        assigned_total += len(filling)
        fully_total += int(fully)
        answers.append(
            emergency_pb2.IncidentAssignment(
                incident_id=incident.id,
                priority=incident.priority,
                units=units,
                unfilled=unfilled[i],
                fully_staffed=fully,
                last_arrival_seconds=last,
                within_target=within == len(filling),
            )
        )

    coverage = [
        emergency_pb2.CoverageStatus(
            district_id=problem.district_ids[rule.district],
            capability=capabilities[rule.capability],
            required_units=result_rule.required,
            available_units=result_rule.available,
            met=result_rule.available >= result_rule.required,
        )
        for rule, result_rule in zip(problem.coverage_rules, evaluation.coverage, strict=True)
    ]
    by_priority = [
        emergency_pb2.PriorityKpi(
            priority=p,
            incidents=row[0],
            fully_staffed=row[1],
            share_within_target=row[2] / row[3] if row[3] else 0.0,
            mean_response_seconds=row[4] / row[3] if row[3] else 0.0,
            max_response_seconds=kpi_max[p],
        )
        for p, row in sorted(kpi_rows.items())
    ]
    dispatched = sum(1 for u, i in enumerate(went) if i >= 0 and status[u] == UnitStatus.AVAILABLE)
    kpis = emergency_pb2.AssignmentKpis(
        incidents=n_incidents,
        fully_staffed=fully_total,
        share_within_target=within_total / assigned_total if assigned_total else 0.0,
        by_priority=by_priority,
        units_dispatched=dispatched,
        units_reassigned=len(reassignments),
    )
    wall = duration_pb2.Duration()
    wall.FromNanoseconds(int(wall_seconds * 1e9))
    info = common_pb2.SolveInfo(
        solver=_FAMILY_OUT[report.family],
        engine=report.engine,
        status=_STATUS_OUT[report.status],
        objective=report.objective,
        wall_time=wall,
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
    return emergency_pb2.AssignUnitsResponse(
        label=request.label,
        request_id=request.request_id,
        solve_info=info,
        incidents=answers,
        reassignments=reassignments,
        coverage=coverage,
        kpis=kpis,
    )


def assign_units(
    request: emergency_pb2.AssignUnitsRequest, deadline: Deadline
) -> emergency_pb2.AssignUnitsResponse:
    """Solve a validated AssignUnits request before ``deadline`` (runs in the calling thread).

    Every returned plan has passed the independent checker (``SolveInfo.verified``).
    """
    start = time.perf_counter()
    problem = to_problem(request)
    settings = settings_from(request.options, problem.n_units)
    result = solve(problem, deadline, settings)
    return to_response(request, problem, result, time.perf_counter() - start)
