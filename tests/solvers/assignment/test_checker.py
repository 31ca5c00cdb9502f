"""The independent checker rejects every kind of broken plan and recomputes the objective."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pytest
from assignment_cases import problems
from checker_reference import reference_check
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lifecycle_cases import lifecycle_problems

from solvers.assignment import (
    AssignmentPlan,
    AssignmentProblem,
    CoverageRule,
    UnitStatus,
    check_plan,
    solve,
)
from solvers.budget import Deadline
from solvers.errors import PlanRejectedError

A, E, B = UnitStatus.AVAILABLE, UnitStatus.EN_ROUTE, UnitStatus.BUSY
T, OOS, P = UnitStatus.TRANSPORTING, UnitStatus.OUT_OF_SERVICE, UnitStatus.AT_POST


def small(
    status: tuple[int, ...] = (A, A, A),
    commitment: tuple[int, ...] = (-1, -1, -1),
    allow_reassignment: bool = False,
    max_travel: int = 0,
    coverage: bool = False,
) -> AssignmentProblem:
    """Three units (caps a / a / b), two incidents (P1 needs 1 a, P2 needs 1 a + 1 b)."""
    return AssignmentProblem(
        unit_ids=("u0", "u1", "u2"),
        incident_ids=("p1", "p2"),
        capabilities=("a", "b"),
        unit_capabilities=np.array([[1, 0], [1, 0], [0, 1]], dtype=bool),
        status=np.array(status, dtype=np.int64),
        commitment=np.array(commitment, dtype=np.int64),
        priorities=np.array([1, 2], dtype=np.int64),
        targets=np.array([100, 0], dtype=np.int64),
        requirements=np.array([[1, 0], [1, 1]], dtype=np.int64),
        travel=np.array([[50, 300], [150, 60], [500, 70]], dtype=np.int64),
        district_ids=("d0",) if coverage else (),
        unit_to_district=np.array([[10], [10], [10]]) if coverage else None,
        coverage_rules=(CoverageRule(0, 0, 2, 100),) if coverage else (),
        max_travel=max_travel,
        allow_reassignment=allow_reassignment,
    )


def plan(incident: list[int], capability: list[int]) -> AssignmentPlan:
    """A plan from plain lists."""
    return AssignmentPlan(np.array(incident, dtype=np.int64), np.array(capability, dtype=np.int64))


def test_recomputes_every_objective_term() -> None:
    """Levels as the contract says: filled and within-target slots per priority (no target
    counts as within), response weighted w(p) = P + 1 - p, coverage, churn."""
    evaluation = check_plan(small(coverage=True), plan([1, 0, 1], [0, 0, 1]))
    # u1 -> p1 (w=2, eta 150, target 100: late 50); u0 -> p2 (w=1, 300); u2 -> p2 (w=1, 70)
    assert evaluation.filled == (1, 2)
    assert evaluation.within_target == (0, 2)  # p2 has no target
    assert evaluation.late == (1, 0)
    assert evaluation.weighted_lateness == 2 * 50
    assert evaluation.weighted_response == 2 * 150 + 300 + 70
    assert evaluation.coverage_shortfall == 2
    assert evaluation.churn == 0
    assert evaluation.key() == ((0, 0), (1, 0), 670, 2, 0)
    terms = evaluation.terms()
    assert terms["slots_within_target_p1"] == 0 and terms["slots_within_target_p2"] == 2


def test_arriving_exactly_at_the_target_is_within_it() -> None:
    """eta == target is in time; one second later is late (level 2 counts slots, not seconds)."""
    on_time = check_plan(small(), plan([0, -1, -1], [0, -1, -1]))  # u0 -> p1, eta 50 <= 100
    problem = small()
    problem.travel[0, 0] = 100
    assert check_plan(problem, plan([0, -1, -1], [0, -1, -1])).within_target == (1, 0)
    problem.travel[0, 0] = 101
    assert check_plan(problem, plan([0, -1, -1], [0, -1, -1])).within_target == (0, 0)
    assert on_time.within_target == (1, 0)


def test_rejects_missing_capability() -> None:
    """A unit may fill only a slot of a capability it has."""
    with pytest.raises(PlanRejectedError):
        check_plan(small(), plan([1, -1, -1], [1, -1, -1]))


def test_rejects_overfilled_slots() -> None:
    """Two units in a one-slot requirement."""
    with pytest.raises(PlanRejectedError):
        check_plan(small(), plan([0, 0, -1], [0, 0, -1]))


def test_rejects_moving_a_busy_unit() -> None:
    """BUSY never moves, even to a more urgent incident."""
    problem = small(status=(A, A, B), commitment=(-1, -1, 1), allow_reassignment=True)
    with pytest.raises(PlanRejectedError):
        check_plan(problem, plan([-1, -1, 0], [-1, -1, 1]))


def test_rejects_reroute_without_permission() -> None:
    """EN_ROUTE units stay put unless the request allows reassignment."""
    problem = small(status=(A, E, A), commitment=(-1, 1, -1))
    with pytest.raises(PlanRejectedError):
        check_plan(problem, plan([-1, 0, -1], [-1, 0, -1]))


def test_rejects_reroute_to_less_urgent_incident() -> None:
    """Re-routing is allowed only to a strictly more urgent incident."""
    problem = small(status=(E, A, A), commitment=(0, -1, -1), allow_reassignment=True)
    with pytest.raises(PlanRejectedError):
        check_plan(problem, plan([1, -1, -1], [0, -1, -1]))


def test_accepts_reroute_to_more_urgent_incident() -> None:
    """The allowed re-route is accepted and counted as churn."""
    problem = small(status=(A, E, A), commitment=(-1, 1, -1), allow_reassignment=True)
    assert check_plan(problem, plan([-1, 0, -1], [-1, 0, -1])).churn == 1


def test_rejects_beyond_max_travel() -> None:
    """No unit is sent farther than max_travel_seconds."""
    with pytest.raises(PlanRejectedError):
        check_plan(small(max_travel=200), plan([1, -1, -1], [0, -1, -1]))


def test_rejects_dispatch_without_slot() -> None:
    """A free unit sent somewhere must fill a slot there."""
    with pytest.raises(PlanRejectedError):
        check_plan(small(), plan([0, -1, -1], [-1, -1, -1]))


def _equal_priorities(problem: AssignmentProblem) -> AssignmentProblem:
    return dataclasses.replace(problem, priorities=np.array([1, 1], dtype=np.int64))


def _soon_free_allowed(problem: AssignmentProblem) -> AssignmentProblem:
    return dataclasses.replace(problem, allow_soon_free=True)


#: One case per rule: (problem, plan of u0 (incident, capability), u0's violation). u1 and u2
#: stay free. Incidents: p1 (priority 1, 1 a), p2 (priority 2, 1 a + 1 b); u0 has a.
_RULE_CASES = [
    (small(), (2, 0), "index out of range"),
    (small(), (-1, 0), "fills a slot without going anywhere"),
    (small((B, A, A), (1, -1, -1)), (0, 0), "BUSY unit moved"),
    (small((E, A, A), (1, -1, -1)), (0, 0), "re-routed without allow_reassignment"),
    (small((E, A, A), (1, -1, -1), True), (-1, -1), "EN_ROUTE unit released or moved blind"),
    (small((E, A, A), (-1, -1, -1), True), (0, 0), "EN_ROUTE unit released or moved blind"),
    (small((E, A, A), (0, -1, -1), True), (1, 0), "re-routed to a not more urgent incident"),
    (
        _equal_priorities(small((E, A, A), (1, -1, -1), True)),
        (0, 0),
        "re-routed to a not more urgent incident",
    ),
    (small((E, A, A), (1, -1, -1), True), (0, -1), "re-routed but fills no slot"),
    (small((T, A, A)), (0, 0), "soon-free unit dispatched without allow_soon_free_units"),
    (small(), (0, -1), "dispatched but fills no slot"),
    (small((OOS, A, A)), (0, 0), "OUT_OF_SERVICE unit dispatched"),
    (small((0, A, A)), (-1, -1), "unknown status 0"),
    (
        small((B, A, A), (0, -1, -1)),
        (0, -1),
        "committed to incident p1 with a capability it needs, but fills no slot",
    ),
    (small(max_travel=100), (1, 0), "beyond max travel time"),
    (_soon_free_allowed(small((T, A, A), max_travel=100)), (1, 0), "beyond max travel time"),
    (small(), (0, 1), "lacks capability b"),
]


@pytest.mark.parametrize(("problem", "placement", "message"), _RULE_CASES)
def test_each_rule_names_the_unit_and_the_rule(
    problem: AssignmentProblem, placement: tuple[int, int], message: str
) -> None:
    """A unit breaking one rule is rejected with that rule's message (the first it breaks)."""
    with pytest.raises(PlanRejectedError) as rejected:
        check_plan(problem, plan([placement[0], -1, -1], [placement[1], -1, -1]))
    assert rejected.value.violations == [f"unit u0: {message}"]


def test_a_unit_at_post_left_free_counts_for_coverage() -> None:
    """AT_POST units are free now: one left at its post keeps its district covered."""
    problem = small((P, A, A), coverage=True)
    evaluation = check_plan(problem, plan([-1, 0, -1], [-1, 0, -1]))
    assert evaluation.coverage[0].available == 1  # u0 (a, at post); u1 went to p1


def _corruptions(problem: AssignmentProblem, good: AssignmentPlan, unit: int) -> list:
    """Single-unit edits that break a hard rule, built from the rules' own wording."""
    out = []
    n_caps = len(problem.capabilities)
    status, home = int(problem.status[unit]), int(problem.commitment[unit])
    for i in range(problem.n_incidents):
        for c in range(n_caps):
            incident, capability = good.incident.copy(), good.capability.copy()
            incident[unit], capability[unit] = i, c
            broken = not problem.unit_capabilities[unit, c] or problem.requirements[i, c] == 0
            filled = sum(
                1
                for v in range(problem.n_units)
                if v != unit and good.incident[v] == i and good.capability[v] == c
            )
            broken |= filled + 1 > problem.requirements[i, c]
            if status == UnitStatus.BUSY:
                broken |= i != home
            if status == UnitStatus.EN_ROUTE and i != home:
                broken |= not problem.allow_reassignment or home < 0
                broken |= home >= 0 and problem.priorities[i] >= problem.priorities[home]
            newly = status == UnitStatus.AVAILABLE or (status == UnitStatus.EN_ROUTE and i != home)
            broken |= bool(
                newly and problem.max_travel > 0 and problem.travel[unit, i] > problem.max_travel
            )
            if broken:
                out.append(AssignmentPlan(incident, capability))
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.data())
def test_corrupted_optimal_plan_is_rejected(
    problem: AssignmentProblem, data: st.DataObject
) -> None:
    """Any single-unit edit that breaks a rule, applied to a valid plan, is rejected."""
    good = solve(problem, Deadline.after(10)).plan
    check_plan(problem, good)
    unit = data.draw(st.integers(0, problem.n_units - 1))
    for corrupted in _corruptions(problem, good, unit):
        with pytest.raises(PlanRejectedError):
            check_plan(problem, corrupted)


def _outcome(
    check: Callable[[AssignmentProblem, AssignmentPlan], object],
    problem: AssignmentProblem,
    plan: AssignmentPlan,
) -> tuple:
    """("accepted", evaluation) or ("rejected", violations) of one checker."""
    try:
        return ("accepted", check(problem, plan))
    except PlanRejectedError as exc:
        return ("rejected", exc.violations)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(problems(), lifecycle_problems()), st.data())
def test_checker_agrees_with_the_plain_loop_reference(
    problem: AssignmentProblem, data: st.DataObject
) -> None:
    """The optimal plan with up to three units placed anywhere (indices one past either end
    included, every status of the lifecycle): the checker and a unit-by-unit restatement of
    the rules (checker_reference.py) both accept it with the same evaluation, or both reject
    it with the same violations in the same order."""
    good = solve(problem, Deadline.after(10)).plan
    incident, capability = good.incident.copy(), good.capability.copy()
    n_caps = len(problem.capabilities)
    # Units that are not free get most edits (their rules are the many), and "no slot" is
    # drawn as often as any capability (the rules about sending a unit to fill nothing).
    others = np.flatnonzero(problem.status != UnitStatus.AVAILABLE).tolist()
    unit = st.sampled_from(others) if others else st.integers(0, problem.n_units - 1)
    edits = st.tuples(
        st.one_of(unit, st.integers(0, problem.n_units - 1)),
        st.integers(-2, problem.n_incidents),
        st.one_of(st.just(-1), st.integers(-2, n_caps)),
    )
    for unit, i, c in data.draw(st.lists(edits, max_size=3)):
        incident[unit], capability[unit] = i, c
    edited = AssignmentPlan(incident, capability)
    assert _outcome(check_plan, problem, edited) == _outcome(reference_check, problem, edited)
