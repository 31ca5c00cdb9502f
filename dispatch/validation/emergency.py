"""AssignUnits validation: sizes first, then shape (ids, matrices), then meaning (references)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dispatch._proto.dispatch.v1 import common_pb2, emergency_pb2
from dispatch.validation import common, limits
from dispatch.validation.common import Problems, show
from dispatch.validation.coordinates import check_emergency_positions
from dispatch.validation.moveup import check_move_up, check_move_up_size
from dispatch.wire.emergency_read import UnitRead, hand_over, read_units

_EN_ROUTE = emergency_pb2.Unit.EN_ROUTE
_OUT_OF_SERVICE = emergency_pb2.Unit.OUT_OF_SERVICE
_SOON_FREE = frozenset(
    (emergency_pb2.Unit.TRANSPORTING, emergency_pb2.Unit.AT_HOSPITAL, emergency_pb2.Unit.RETURNING)
)
#: Statuses a unit with no lifecycle data can have without any per-unit problem.
_CLEAN_STATUSES = sorted(
    frozenset(emergency_pb2.Unit.Status.DESCRIPTOR.values_by_number) - {0} - _SOON_FREE
)


def _clean_status(status: np.ndarray) -> np.ndarray:
    """Per unit, whether its status is one of ``_CLEAN_STATUSES`` (comparisons: ``np.isin``
    costs ~40 us a call in Python overhead, much of a small request's validation)."""
    clean = np.zeros(len(status), dtype=bool)
    for value in _CLEAN_STATUSES:
        clean |= status == value
    return clean


#: Turnout (crew to vehicle) takes a minute or two; an hour is surely a unit error.
MAX_TURNOUT_SECONDS = 3600
#: A unit overdue to clear by more than this has a stale status, not a zero wait.
MAX_FREE_OVERDUE_SECONDS = 3600


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
    locations = len(request.location_ids)
    limits.check_count("location_ids", locations, limits.MAX_LOCATIONS, "locations")
    limits.check_count(
        "location_to_incident",
        locations * incidents,
        limits.MAX_UNIT_INCIDENT_PAIRS,
        "location-incident pairs",
    )
    for i, incident in enumerate(request.incidents):
        limits.check_count(
            f"incidents[{i}].requirements",
            len(incident.requirements),
            limits.MAX_REQUIREMENTS_PER_INCIDENT,
            "requirements",
        )


def _shape(request: emergency_pb2.AssignUnitsRequest, read: UnitRead, problems: Problems) -> None:
    """Things the solver cannot even index without: non-empty lists, ids, matrix shapes."""
    units, incidents = len(request.units), len(request.incidents)
    if not units:
        problems.add("units", "At least one unit is required.")
    if not incidents:
        problems.add("incidents", "At least one incident is required.")
    common.check_ids(problems, "units", read.ids, "unit")
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
    locations = len(request.location_ids)
    needs_places = request.allow_soon_free_units and any(
        u.status in _SOON_FREE for u in request.units
    )
    if needs_places or common.matrix_is_set(request.location_to_incident):
        common.check_matrix(
            problems,
            "location_to_incident",
            request.location_to_incident,
            locations,
            incidents,
            f"{locations} locations x {incidents} incidents",
            required=needs_places,
        )


def _semantics(
    request: emergency_pb2.AssignUnitsRequest, read: UnitRead, problems: Problems
) -> None:
    """References, enums and value ranges, per the comments in emergency.proto."""
    common.check_options(problems, "options", request.options)
    if request.HasField("horizon_start"):
        common.check_timestamp(problems, "horizon_start", request.horizon_start)
    _units(request, problems, read)
    for check in (_incidents, _coverage_rules):
        if problems.full:
            return
        check(request, problems)
    if problems.full:
        return
    common.check_non_negative(
        problems, "max_travel_seconds", request.max_travel_seconds, "max_travel_seconds", "Request"
    )


def _units(
    request: emergency_pb2.AssignUnitsRequest, problems: Problems, read: UnitRead | None = None
) -> None:
    """The per-unit checks, on the units ``_suspect_units`` picks from ``read`` (default: a
    fresh read of the request's units)."""
    incident_ids = {x.id: i for i, x in enumerate(request.incidents) if x.id}
    locations = (
        common.check_names(problems, "location_ids", request.location_ids, "location id")
        if request.location_ids
        else {}
    )
    units = request.units
    for i in _suspect_units(read_units(units) if read is None else read, incident_ids):
        unit = units[i]
        path, owner = f"units[{i}]", f"Unit {show(unit.id)}"
        status = unit.status
        common.check_enum(
            problems,
            f"{path}.status",
            status,
            emergency_pb2.Unit.Status.DESCRIPTOR,
            owner,
            required=True,
        )
        common.check_strings(
            problems, f"{path}.capabilities", unit.capabilities, "capability", owner
        )
        if (
            status in _SOON_FREE
            or unit.turnout_seconds
            or unit.free_location_id
            or unit.HasField("free_at_seconds")
        ):  # most units have no lifecycle data: skip the call (AssignUnits is latency-bound)
            _lifecycle(request, unit, path, owner, locations, problems)
        if status == _EN_ROUTE and not unit.current_incident_id:
            problems.add(
                f"{path}.current_incident_id", f"{owner} is EN_ROUTE but names no incident."
            )
        elif status == _OUT_OF_SERVICE and unit.current_incident_id:
            problems.add(
                f"{path}.current_incident_id", f"{owner} is OUT_OF_SERVICE but names an incident."
            )
        elif unit.current_incident_id and status not in _SOON_FREE:
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


def _suspect_units(read: UnitRead, incident_ids: dict[str, int]) -> list[int]:
    """Indices of the units the per-unit checks of ``_units`` could find a problem with, in order.

    Why: those checks cost ~15 us per unit in Python (paths, owners, enum and string checks),
    and AssignUnits is latency-bound at 2,000 units. The shared read (``read_units``) holds the
    few fields a clean unit is judged by, tested here in numpy; the full checks then run only on
    units that may fail them, so every message and field path is the one the full checks give.
    A unit is clean when its status is defined, set and not soon-free; it has no lifecycle data;
    its capabilities are non-empty strings of at most MAX_ID_LENGTH, at most
    MAX_STRINGS_PER_LIST of them; and its incident reference is absent (not EN_ROUTE) or names
    a known incident (not OUT_OF_SERVICE).
    """
    bad_patterns = np.array(
        [
            len(caps) > limits.MAX_STRINGS_PER_LIST
            or any(not x or len(x) > limits.MAX_ID_LENGTH for x in caps)
            for caps in read.patterns
        ],
        dtype=bool,
    )
    status, named = read.status, read.has_incident
    known = np.zeros(len(read), dtype=bool)
    at = np.flatnonzero(named).tolist()
    if at:
        current = read.current
        known[at] = [current[u] in incident_ids for u in at]
    suspect = (
        read.lifecycle
        | ~_clean_status(status)
        | np.where(named, status == _OUT_OF_SERVICE, status == _EN_ROUTE)
        | (named & ~known)
    )
    if len(bad_patterns):
        suspect |= bad_patterns[read.pattern]
    return np.flatnonzero(suspect).tolist()


def _lifecycle(
    request: emergency_pb2.AssignUnitsRequest,
    unit: emergency_pb2.Unit,
    path: str,
    owner: str,
    locations: dict[str, int],
    problems: Problems,
) -> None:
    """Turnout, and the free time and place: only for soon-free statuses, required for them
    when the request lets soon-free units be dispatched, never stale, and a known location."""
    if not 0 <= unit.turnout_seconds <= MAX_TURNOUT_SECONDS:
        problems.add(
            f"{path}.turnout_seconds",
            f"{owner} has turnout {unit.turnout_seconds} s; it must be 0..{MAX_TURNOUT_SECONDS}.",
        )
    soon = unit.status in _SOON_FREE
    has_time = unit.HasField("free_at_seconds")
    if has_time and not soon:
        problems.add(
            f"{path}.free_at_seconds",
            f"{owner} has a free time but is not TRANSPORTING, AT_HOSPITAL or RETURNING.",
        )
    elif has_time and unit.free_at_seconds < -MAX_FREE_OVERDUE_SECONDS:
        problems.add(
            f"{path}.free_at_seconds",
            f"{owner} was due free {-unit.free_at_seconds} s ago, more than the "
            f"{MAX_FREE_OVERDUE_SECONDS} s allowed (a stale status).",
        )
    if unit.free_location_id and not soon:
        problems.add(
            f"{path}.free_location_id",
            f"{owner} has a free place but is not TRANSPORTING, AT_HOSPITAL or RETURNING.",
        )
    elif unit.free_location_id:
        common.check_reference(
            problems,
            f"{path}.free_location_id",
            unit.free_location_id,
            locations,
            "location",
            owner,
        )
    if soon and request.allow_soon_free_units:
        status = emergency_pb2.Unit.Status.Name(unit.status)
        if not has_time:
            problems.add(
                f"{path}.free_at_seconds",
                f"{owner} is {status} and soon-free units are allowed, but it has no free time.",
            )
        if not unit.free_location_id:
            problems.add(
                f"{path}.free_location_id",
                f"{owner} is {status} and soon-free units are allowed, but it has no free place.",
            )


def _clean_incident(priority: int, target: int, requirements: tuple[tuple, ...]) -> bool:
    """True when ``_incidents`` can find no problem with an incident of these fields: the same
    rules, without the paths and messages (those are built only for incidents that fail here)."""
    if not (1 <= priority <= limits.MAX_PRIORITY and 0 <= target <= limits.MAX_TIME):
        return False
    if not requirements:
        return False
    seen: dict[str, tuple[int, int]] = {}
    for capability, count, full, first in requirements:
        if not capability or not 1 <= count <= limits.MAX_REQUIREMENT_COUNT:
            return False
        if not (0 <= full <= limits.MAX_TIME and 0 <= first <= limits.MAX_TIME):
            return False
        effective = full or target
        if first > 0 and 0 < effective < first:
            return False
        if seen.setdefault(capability, (effective, first)) != (effective, first):
            return False
    return True


def _suspect_incidents(incidents: Sequence[emergency_pb2.Incident]) -> list[int]:
    """Indices of the incidents the checks of ``_incidents`` could find a problem with, in
    order. Why: the checks build a path and an owner string per incident and requirement
    (~40 us an incident); one read of the fields judges a clean incident for far less, and the
    full checks then give every message and path for the others."""
    return [
        i
        for i, x in enumerate(incidents)
        if not _clean_incident(
            x.priority,
            x.response_target_seconds,
            tuple(
                (r.capability, r.count, r.response_target_seconds, r.first_unit_target_seconds)
                for r in x.requirements
            ),
        )
    ]


def _incidents(request: emergency_pb2.AssignUnitsRequest, problems: Problems) -> None:
    incidents = request.incidents
    for i in _suspect_incidents(incidents):
        incident = incidents[i]
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
        _requirement_targets(incident, path, owner, problems)
        if problems.full:
            return


def _requirement_targets(
    incident: emergency_pb2.Incident, path: str, owner: str, problems: Problems
) -> None:
    """Per-requirement targets: non-negative, first-unit within full-complement, and the same
    for every requirement of one capability (the solver keeps one pair per capability)."""
    seen: dict[str, tuple[int, int]] = {}
    for j, requirement in enumerate(incident.requirements):
        full, first = requirement.response_target_seconds, requirement.first_unit_target_seconds
        effective = full or incident.response_target_seconds
        if full or first:
            where = f"{path}.requirements[{j}]"
            common.check_non_negative(
                problems, f"{where}.response_target_seconds", full, "response target", owner
            )
            common.check_non_negative(
                problems, f"{where}.first_unit_target_seconds", first, "first-unit target", owner
            )
            if first > 0 and 0 < effective < first:
                problems.add(
                    f"{where}.first_unit_target_seconds",
                    f"{owner} has a first-unit target ({first} s) above its full-complement "
                    f"target ({effective} s).",
                )
        if len(incident.requirements) == 1:
            return
        if seen.setdefault(requirement.capability, (effective, first)) != (effective, first):
            problems.add(
                f"{path}.requirements[{j}].response_target_seconds",
                f"{owner} has requirements for {show(requirement.capability)} with different "
                "targets.",
            )


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
    if request.HasField("move_up"):
        check_move_up_size(request)
    problems = Problems(prefix)
    read = read_units(request.units)
    _shape(request, read, problems)
    _semantics(request, read, problems)
    check_emergency_positions(request, problems, read.placed)
    if request.HasField("move_up"):
        check_move_up(request, problems)
    problems.raise_if_any()
    if request.options.solving_mode != common_pb2.VALIDATE_ONLY:
        hand_over(request, read)  # its conversion (next, in this thread) reads no unit again
