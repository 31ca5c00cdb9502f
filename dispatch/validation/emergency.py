"""AssignUnits validation: sizes first, then shape (ids, matrices), then meaning (references)."""

from __future__ import annotations

from dispatch._proto.dispatch.v1 import emergency_pb2
from dispatch.validation import common, limits
from dispatch.validation.common import Problems, show
from dispatch.validation.coordinates import check_emergency_positions

_EN_ROUTE = emergency_pb2.Unit.EN_ROUTE


def check_size(request: emergency_pb2.AssignUnitsRequest) -> None:
    """Raise RequestTooLargeError for requests the service will not take in one call."""
    units, incidents = len(request.units), len(request.incidents)
    limits.check_count("units", units, limits.MAX_UNITS, "units")
    limits.check_count("incidents", incidents, limits.MAX_INCIDENTS, "incidents")
    limits.check_count(
        "unit_to_incident", units * incidents, limits.MAX_UNIT_INCIDENT_PAIRS, "unit-incident pairs"
    )
    limits.check_count("district_ids", len(request.district_ids), limits.MAX_DISTRICTS, "districts")
    limits.check_count(
        "unit_to_district",
        units * len(request.district_ids),
        limits.MAX_UNIT_DISTRICT_PAIRS,
        "unit-district pairs",
    )
    limits.check_count(
        "coverage_rules", len(request.coverage_rules), limits.MAX_COVERAGE_RULES, "coverage rules"
    )
    for i, incident in enumerate(request.incidents):
        limits.check_count(
            f"incidents[{i}].requirements",
            len(incident.requirements),
            limits.MAX_REQUIREMENTS_PER_INCIDENT,
            "requirements",
        )


def _shape(request: emergency_pb2.AssignUnitsRequest, problems: Problems) -> None:
    """Things the solver cannot even index without: non-empty lists, ids, matrix shapes."""
    units, incidents = len(request.units), len(request.incidents)
    if not units:
        problems.add("units", "At least one unit is required.")
    if not incidents:
        problems.add("incidents", "At least one incident is required.")
    common.check_ids(problems, "units", [u.id for u in request.units], "unit")
    common.check_ids(problems, "incidents", [x.id for x in request.incidents], "incident")
    common.check_matrix(
        problems,
        "unit_to_incident",
        request.unit_to_incident,
        units,
        incidents,
        f"{units} units x {incidents} incidents",
    )
    districts = len(request.district_ids)
    if request.coverage_rules or common.matrix_is_set(request.unit_to_district):
        common.check_matrix(
            problems,
            "unit_to_district",
            request.unit_to_district,
            units,
            districts,
            f"{units} units x {districts} districts",
            required=bool(request.coverage_rules),
        )
    if request.coverage_rules and not districts:
        problems.add("district_ids", "Coverage rules need district_ids.")


def _semantics(request: emergency_pb2.AssignUnitsRequest, problems: Problems) -> None:
    """References, enums and value ranges, per the comments in emergency.proto."""
    common.check_options(problems, "options", request.options)
    if request.HasField("horizon_start"):
        common.check_timestamp(problems, "horizon_start", request.horizon_start)
    for check in (_units, _incidents, _coverage_rules):
        check(request, problems)
        if problems.full:
            return
    common.check_non_negative(
        problems, "max_travel_seconds", request.max_travel_seconds, "max_travel_seconds", "Request"
    )


def _units(request: emergency_pb2.AssignUnitsRequest, problems: Problems) -> None:
    incident_ids = {x.id: i for i, x in enumerate(request.incidents) if x.id}
    for i, unit in enumerate(request.units):
        path, owner = f"units[{i}]", f"Unit {show(unit.id)}"
        common.check_enum(
            problems,
            f"{path}.status",
            unit.status,
            emergency_pb2.Unit.Status.DESCRIPTOR,
            owner,
            required=True,
        )
        common.check_strings(
            problems, f"{path}.capabilities", unit.capabilities, "capability", owner
        )
        if unit.status == _EN_ROUTE and not unit.current_incident_id:
            problems.add(
                f"{path}.current_incident_id", f"{owner} is EN_ROUTE but names no incident."
            )
        elif unit.current_incident_id:
            common.check_reference(
                problems,
                f"{path}.current_incident_id",
                unit.current_incident_id,
                incident_ids,
                "incident",
                owner,
            )
        if problems.full:
            return


def _incidents(request: emergency_pb2.AssignUnitsRequest, problems: Problems) -> None:
    for i, incident in enumerate(request.incidents):
        path, owner = f"incidents[{i}]", f"Incident {show(incident.id)}"
        common.check_at_least_one(
            problems, f"{path}.priority", incident.priority, "priority", owner, limits.MAX_PRIORITY
        )
        common.check_non_negative(
            problems,
            f"{path}.response_target_seconds",
            incident.response_target_seconds,
            "response target",
            owner,
        )
        if not incident.requirements:
            problems.add(f"{path}.requirements", f"{owner} has no requirements.")
        for j, requirement in enumerate(incident.requirements):
            where = f"{path}.requirements[{j}]"
            if not requirement.capability:
                problems.add(
                    f"{where}.capability", f"{owner} has a requirement with no capability."
                )
            common.check_at_least_one(
                problems,
                f"{where}.count",
                requirement.count,
                "count",
                owner,
                limits.MAX_REQUIREMENT_COUNT,
            )
        if problems.full:
            return


def _coverage_rules(request: emergency_pb2.AssignUnitsRequest, problems: Problems) -> None:
    districts = common.check_names(problems, "district_ids", request.district_ids, "district id")
    for i, rule in enumerate(request.coverage_rules):
        path = f"coverage_rules[{i}]"
        owner = f"Coverage rule for district {show(rule.district_id)}"
        common.check_reference(
            problems, f"{path}.district_id", rule.district_id, districts, "district", owner
        )
        if not rule.capability:
            problems.add(f"{path}.capability", f"{owner} has no capability.")
        common.check_at_least_one(
            problems,
            f"{path}.min_units",
            rule.min_units,
            "min_units",
            owner,
            limits.MAX_REQUIREMENT_COUNT,
        )
        common.check_non_negative(
            problems,
            f"{path}.max_travel_seconds",
            rule.max_travel_seconds,
            "max_travel_seconds",
            owner,
        )
        if problems.full:
            return


def validate_assign_units(request: emergency_pb2.AssignUnitsRequest, prefix: str = "") -> None:
    """Raise RequestTooLargeError or InvalidProblemError (every problem, up to 100), else return."""
    check_size(request)
    problems = Problems(prefix)
    _shape(request, problems)
    _semantics(request, problems)
    check_emergency_positions(request, problems)
    problems.raise_if_any()
