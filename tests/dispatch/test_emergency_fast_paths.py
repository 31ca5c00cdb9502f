"""AssignUnits' fast paths (issue #14 part 5) give the answers of the per-unit code: the
validator's unit and incident filters hide no problem, the one-pass conversion reads every unit
the same, and a call whose deadline has passed still answers with a checked, flagged plan."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.assign.requests import to_request
from benchmarks.assign.scenarios import city_problem
from dispatch._proto.dispatch.v1 import common_pb2, emergency_pb2
from dispatch.emergency import assign_units
from dispatch.validation import emergency as validation
from dispatch.validation.common import Problems
from dispatch.wire.emergency import to_problem
from dispatch.wire.emergency_read import hand_over, read_units
from solvers.budget import Deadline

_STATUSES = [0, 1, 2, 3, 4, 5, 6, 7, 8, 99]
_CAPS = ["", "ambulance", "engine", "x" * 257]
_INCIDENTS = ["", "i0", "i1", "nowhere"]


@st.composite
def unit_requests(draw: st.DrawFn) -> emergency_pb2.AssignUnitsRequest:
    """Units with every status (and unknown ones), empty/long/too many capabilities, known,
    unknown and missing incidents, and lifecycle fields; two incidents, one location."""
    request = emergency_pb2.AssignUnitsRequest(location_ids=["home"])
    request.allow_soon_free_units = draw(st.booleans())
    for k in range(2):
        request.incidents.add(id=f"i{k}", priority=1)
    for u in range(draw(st.integers(1, 12))):
        unit = request.units.add(id=f"u{u}", status=draw(st.sampled_from(_STATUSES)))
        caps = draw(st.lists(st.sampled_from(_CAPS), max_size=3))
        if draw(st.integers(0, 9)) == 0:
            caps = ["police"] * 257
        unit.capabilities.extend(caps)
        unit.current_incident_id = draw(st.sampled_from(_INCIDENTS))
        if draw(st.integers(0, 3)) == 0:
            unit.turnout_seconds = draw(st.sampled_from([0, 60, -1, 4000]))
        if draw(st.integers(0, 3)) == 0:
            unit.free_at_seconds = draw(st.sampled_from([0, 120, -5000]))
        if draw(st.integers(0, 3)) == 0:
            unit.free_location_id = draw(st.sampled_from(["home", "away"]))
    return request


def _unit_problems(request: emergency_pb2.AssignUnitsRequest) -> list[tuple[str, str]]:
    problems = Problems()
    validation._units(request, problems)
    return [(p.path, p.description) for p in problems.items]


@settings(max_examples=300, deadline=None)
@given(unit_requests())
def test_unit_filter_hides_no_problem(message: emergency_pb2.AssignUnitsRequest) -> None:
    """The per-unit checks on the filtered units find exactly what they find on every unit:
    same field paths, same messages, same order."""
    fast = _unit_problems(message)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(validation, "_suspect_units", lambda units, ids: list(range(len(units))))
        full = _unit_problems(message)
    assert fast == full


_TIMES = [0, 0, 0, 60, 240, -1, 2**31 - 1]


@st.composite
def incident_requests(draw: st.DrawFn) -> emergency_pb2.AssignUnitsRequest:
    """Incidents with priorities, counts and targets in and out of range, empty capabilities,
    first-unit targets above the full-complement one, and one capability asked twice with the
    same or different targets."""
    request = emergency_pb2.AssignUnitsRequest()
    for i in range(draw(st.integers(1, 6))):
        incident = request.incidents.add(
            id=draw(st.sampled_from([f"i{i}", "", "x" * 300])),
            priority=draw(st.sampled_from([1, 1, 1, 3, 0, -2, 1001])),
            response_target_seconds=draw(st.sampled_from(_TIMES)),
        )
        for _ in range(draw(st.integers(0, 3))):
            incident.requirements.add(
                capability=draw(st.sampled_from(["ambulance", "ambulance", "engine", ""])),
                count=draw(st.sampled_from([1, 1, 2, 0, -1, 10**6])),
                response_target_seconds=draw(st.sampled_from(_TIMES)),
                first_unit_target_seconds=draw(st.sampled_from(_TIMES)),
            )
    return request


def _incident_problems(request: emergency_pb2.AssignUnitsRequest) -> list[tuple[str, str]]:
    problems = Problems()
    validation._incidents(request, problems)
    return [(p.path, p.description) for p in problems.items]


@settings(max_examples=100, deadline=None)
@given(incident_requests())
def test_incident_filter_hides_no_problem(message: emergency_pb2.AssignUnitsRequest) -> None:
    """The incident checks on the filtered incidents find exactly what they find on every
    incident: same field paths, same messages, same order."""
    fast = _incident_problems(message)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            validation, "_suspect_incidents", lambda incidents: list(range(len(incidents)))
        )
        full = _incident_problems(message)
    assert fast == full


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from(["als", "ambulance", "engine", "tow"]), max_size=3),
            st.sampled_from([1, 2, 3, 4, 8]),
            st.sampled_from(["", "i0", "i1", "gone"]),
        ),
        min_size=1,
        max_size=10,
    )
)
def test_conversion_reads_every_unit_like_the_wire(
    units: list[tuple[list[str], int, str]],
) -> None:
    """Capability columns in first-seen order, each unit's capability row, status and
    commitment (EN_ROUTE and BUSY only, to an incident of the request) as the message says."""
    request = emergency_pb2.AssignUnitsRequest()
    for k in range(2):
        request.incidents.add(id=f"i{k}", priority=1).requirements.add(capability="police")
    for u, (caps, status, incident) in enumerate(units):
        request.units.add(
            id=f"u{u}", capabilities=caps, status=status, current_incident_id=incident
        )
    request.unit_to_incident.durations.extend([60] * (2 * len(units)))
    problem = to_problem(request)
    seen = list(dict.fromkeys([c for caps, _, _ in units for c in caps] + ["police"]))
    assert list(problem.capabilities) == seen
    for u, (caps, status, incident) in enumerate(units):
        assert {problem.capabilities[c] for c in np.flatnonzero(problem.unit_capabilities[u])} == (
            set(caps)
        )
        assert problem.status[u] == status
        committed = status in (2, 3) and incident in ("i0", "i1")
        expected = int(incident[1]) if committed else -1
        assert problem.commitment[u] == expected


def test_call_past_its_deadline_answers_with_a_flagged_greedy_plan() -> None:
    """A 200 x 2000 call whose deadline passed before solving gets the checked greedy plan,
    saying why, instead of an error or a late exact solve."""
    request = to_request(city_problem(200, 2000, seed=3))
    answer = assign_units(request, Deadline.after(-1.0))
    assert answer.solve_info.verified
    assert answer.solve_info.engine == "greedy"
    assert answer.solve_info.status == common_pb2.FEASIBLE
    assert "skipped" in answer.solve_info.fallback_reason
    assert sum(len(x.units) for x in answer.incidents) > 0


def test_conversion_uses_a_handed_over_read_once_and_for_its_request_only() -> None:
    """Validation's read of the units is used by the conversion of that very request, once;
    another request, even an equal copy, is read afresh."""
    request = to_request(city_problem(4, 12, seed=1))
    altered = emergency_pb2.AssignUnitsRequest()
    altered.CopyFrom(request)
    for unit in altered.units:
        unit.status = emergency_pb2.Unit.OUT_OF_SERVICE
    own = to_problem(request).status.tolist()
    hand_over(request, read_units(altered.units))
    copy = emergency_pb2.AssignUnitsRequest()
    copy.CopyFrom(request)
    assert to_problem(copy).status.tolist() == own
    hand_over(request, read_units(altered.units))
    assert to_problem(request).status.tolist() == [emergency_pb2.Unit.OUT_OF_SERVICE] * 12
    assert to_problem(request).status.tolist() == own


def test_validated_call_converts_like_a_fresh_read() -> None:
    """Validating first (the service's path, which hands the read over) gives the same problem
    as converting an unvalidated copy."""
    request = to_request(city_problem(6, 40, seed=2))
    copy = emergency_pb2.AssignUnitsRequest()
    copy.CopyFrom(request)
    validation.validate_assign_units(request)
    handed, fresh = to_problem(request), to_problem(copy)
    assert handed.unit_ids == fresh.unit_ids
    for name in ("status", "commitment", "turnout", "unit_capabilities", "travel"):
        assert getattr(handed, name).tolist() == getattr(fresh, name).tolist()


@st.composite
def requirement_requests(draw: st.DrawFn) -> emergency_pb2.AssignUnitsRequest:
    """Incidents with repeated capabilities, zero and negative counts, and targets that agree
    or not (the conversion does not rely on validation for its arithmetic)."""
    request = emergency_pb2.AssignUnitsRequest()
    for i in range(draw(st.integers(1, 5))):
        incident = request.incidents.add(
            id=f"i{i}", priority=1, response_target_seconds=draw(st.sampled_from([0, 600]))
        )
        for _ in range(draw(st.integers(0, 4))):
            incident.requirements.add(
                capability=draw(st.sampled_from(["ambulance", "engine", "tow"])),
                count=draw(st.sampled_from([0, 1, 2, -1])),
                response_target_seconds=draw(st.sampled_from([0, 240, 600])),
                first_unit_target_seconds=draw(st.sampled_from([0, 60])),
            )
    return request


@settings(max_examples=100, deadline=None)
@given(requirement_requests())
def test_requirements_convert_like_the_per_requirement_loop(
    request: emergency_pb2.AssignUnitsRequest,
) -> None:
    """Slots add up, a requirement's non-zero full target and its first-unit target overwrite
    earlier ones of its capability in request order, exactly as one loop over them does."""
    problem = to_problem(request)
    column = {name: c for c, name in enumerate(problem.capabilities)}
    shape = problem.requirements.shape
    slots, first = np.zeros(shape, dtype=np.int64), np.zeros(shape, dtype=np.int64)
    full = np.repeat(problem.targets.reshape(-1, 1), shape[1], axis=1)
    for i, incident in enumerate(request.incidents):
        for requirement in incident.requirements:
            c = column[requirement.capability]
            slots[i, c] += max(0, requirement.count)
            if requirement.response_target_seconds:
                full[i, c] = requirement.response_target_seconds
            first[i, c] = requirement.first_unit_target_seconds
    assert problem.requirements.tolist() == slots.tolist()
    assert problem.requirement_targets.tolist() == full.tolist()
    assert problem.first_unit_targets.tolist() == first.tolist()
