"""The unit lifecycle on hand-made cases: statuses, soon-free units, turnout, first-unit targets."""

from __future__ import annotations

import numpy as np
import pytest

from solvers.assignment import (
    AssignmentPlan,
    AssignmentProblem,
    CoverageRule,
    SolveSettings,
    UnfilledReason,
    UnitStatus,
    check_plan,
    solve,
)
from solvers.budget import Deadline
from solvers.errors import PlanRejectedError
from solvers.status import SolverFamily, Status

S = UnitStatus


def make(
    status: list[int],
    travel: list[list[int]],
    priorities: list[int] | None = None,
    counts: list[int] | None = None,
    **extra: object,
) -> AssignmentProblem:
    """Units x incidents, one capability ("ambulance") every unit has; targets 0 unless given."""
    n_units, n_incidents = len(travel), len(travel[0])
    priorities = priorities or [1] * n_incidents
    extra.setdefault("targets", np.zeros(n_incidents, dtype=np.int64))
    return AssignmentProblem(
        unit_ids=tuple(f"u{u}" for u in range(n_units)),
        incident_ids=tuple(f"i{i}" for i in range(n_incidents)),
        capabilities=("ambulance",),
        unit_capabilities=np.ones((n_units, 1), dtype=bool),
        status=np.array(status, dtype=np.int64),
        commitment=np.array(extra.pop("commitment", [-1] * n_units), dtype=np.int64),
        priorities=np.array(priorities, dtype=np.int64),
        requirements=np.array([[c] for c in counts or [1] * n_incidents], dtype=np.int64),
        travel=np.array(travel, dtype=np.int64),
        **extra,  # type: ignore[arg-type]
    )


def sent(result: object, unit: int) -> int:
    """Incident the unit goes to in the result's plan (-1: stays)."""
    return int(result.plan.incident[unit])  # type: ignore[attr-defined]


def soon_free_case(switch: bool) -> AssignmentProblem:
    """u0 free now, 720 s away; u1 transporting, free in 180 s at a hospital 120 s away."""
    return make(
        [S.AVAILABLE, S.TRANSPORTING],
        [[720], [120]],
        wait=np.array([0, 180]),
        allow_soon_free=switch,
    )


def test_soon_free_unit_wins_when_the_switch_is_on() -> None:
    """Free in 3 min and 2 min away (300 s) beats free now and 12 min away (720 s)."""
    result = solve(soon_free_case(True), Deadline.after(10))
    assert (sent(result, 0), sent(result, 1)) == (-1, 0)
    assert result.evaluation.weighted_response == 300
    assert result.report.status is Status.OPTIMAL


def test_soon_free_unit_is_never_sent_when_the_switch_is_off() -> None:
    """Without the switch the transporting unit stays, whatever it would save."""
    result = solve(soon_free_case(False), Deadline.after(10))
    assert (sent(result, 0), sent(result, 1)) == (0, -1)
    assert result.evaluation.weighted_response == 720


def test_greedy_ranks_soon_free_units_by_the_same_response_time() -> None:
    """Greedy sees wait + travel too: it also sends the soon-free unit when allowed."""
    greedy = SolveSettings(family=SolverFamily.GREEDY)
    result = solve(soon_free_case(True), Deadline.after(10), greedy)
    assert sent(result, 1) == 0


def test_turnout_is_added_and_changes_the_choice() -> None:
    """100 s of travel with 120 s turnout (220 s) loses to 150 s of travel with none."""
    problem = make([S.AVAILABLE, S.AVAILABLE], [[100], [150]], turnout=np.array([120, 0]))
    result = solve(problem, Deadline.after(10))
    assert (sent(result, 0), sent(result, 1)) == (-1, 0)
    assert result.evaluation.weighted_response == 150


def test_en_route_unit_gets_no_turnout() -> None:
    """An en-route unit is already rolling: its ETA is its travel, turnout aside."""
    problem = make(
        [S.EN_ROUTE], [[90]], commitment=[0], turnout=np.array([60]), targets=np.array([100])
    )
    result = solve(problem, Deadline.after(10))
    assert result.evaluation.weighted_response == 90
    assert result.evaluation.within_target == (1,)


def test_out_of_service_unit_is_never_dispatched() -> None:
    """The only capable unit is out of service: the slot stays open, its units 'committed'."""
    result = solve(make([S.OUT_OF_SERVICE], [[10]]), Deadline.after(10))
    assert sent(result, 0) == -1
    assert [u.reason for u in result.unfilled] == [UnfilledReason.ALL_CAPABLE_UNITS_COMMITTED]


def test_at_post_unit_is_dispatched_and_counts_for_coverage() -> None:
    """AT_POST units go like AVAILABLE ones, and the one left at its post covers the district."""
    problem = make(
        [S.AT_POST, S.AT_POST],
        [[50], [400]],
        targets=np.array([0]),
        district_ids=("north",),
        unit_to_district=np.array([[500], [60]]),
        coverage_rules=(CoverageRule(district=0, capability=0, min_units=1, max_travel=100),),
    )
    result = solve(problem, Deadline.after(10))
    assert (sent(result, 0), sent(result, 1)) == (0, -1)
    assert result.evaluation.coverage_shortfall == 0


def first_unit_case() -> AssignmentProblem:
    """i0 (P1) needs one unit within 100 s; i1 (P1) one within 300 s, its first within 50 s.

    u0 is 10 s from i0 and 40 s from i1, u1 100 s from i0 and 60 s from i1. The least total
    time (u0 -> i0, u1 -> i1: 70 s) misses i1's first-unit target; u0 -> i1, u1 -> i0 (140 s)
    meets it with every slot in time, which level 2 prefers.
    """
    return make(
        [S.AVAILABLE, S.AVAILABLE],
        [[10, 40], [100, 60]],
        targets=np.array([100, 300]),
        first_unit_targets=np.array([[0], [50]]),
    )


@pytest.mark.parametrize("family", [SolverFamily.ORTOOLS, SolverFamily.MILP])
def test_first_unit_target_is_an_objective_level(family: SolverFamily) -> None:
    """Both exact engines give up response time to reach i1's first unit within 50 s."""
    result = solve(first_unit_case(), Deadline.after(20), SolveSettings(family=family))
    assert (sent(result, 0), sent(result, 1)) == (1, 0)
    assert result.evaluation.within_target == (2,)
    assert result.evaluation.first_within == (1,)
    assert result.report.status is Status.OPTIMAL


def full_alarm(etas: list[int]) -> tuple[AssignmentProblem, AssignmentPlan]:
    """One incident needing len(etas) units, the first within 60 s, all within 150 s; all
    sent."""
    n = len(etas)
    problem = make(
        [S.AVAILABLE] * n,
        [[e] for e in etas],
        counts=[n],
        targets=np.array([150]),
        first_unit_targets=np.array([[60]]),
    )
    return problem, AssignmentPlan(np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64))


@pytest.mark.parametrize(
    ("etas", "within", "first"),
    [
        ([140, 50], 2, 1),
        ([70, 100], 2, 0),
        ([50, 160], 1, 1),
        ([70, 160], 1, 0),
        ([50, 55, 150], 3, 1),
    ],
)
def test_checker_counts_first_unit_and_full_complement_targets(
    etas: list[int], within: int, first: int
) -> None:
    """Every unit counts against 150 s; the requirement's earliest one also against 60 s."""
    problem, plan = full_alarm(etas)
    evaluation = check_plan(problem, plan)
    assert evaluation.within_target == (within,)
    assert (evaluation.first_targets, evaluation.first_within) == ((1,), (first,))


def test_a_lone_unit_meets_a_first_unit_target() -> None:
    """u0 can fill i0's slot (30 s, no target) or one of i1's two slots (40 s, first unit within
    50 s): meeting i1's first-unit target outranks the 10 s of response it costs, even though
    i1 stays half staffed either way."""
    problem = make(
        [S.AVAILABLE],
        [[30, 40]],
        counts=[1, 2],
        first_unit_targets=np.array([[0], [50]]),
    )
    for family in (SolverFamily.ORTOOLS, SolverFamily.MILP):
        result = solve(problem, Deadline.after(10), SolveSettings(family=family))
        assert sent(result, 0) == 1
        assert result.evaluation.timeliness() == (0, 0)


def test_checker_rejects_an_out_of_service_dispatch() -> None:
    """Sending an out-of-service unit breaks a rule."""
    problem = make([S.OUT_OF_SERVICE], [[10]])
    with pytest.raises(PlanRejectedError):
        check_plan(problem, AssignmentPlan(np.array([0]), np.array([0])))


@pytest.mark.parametrize("status", [S.TRANSPORTING, S.AT_HOSPITAL, S.RETURNING])
def test_checker_rejects_a_soon_free_unit_without_the_switch(status: S) -> None:
    """A soon-free unit may be sent only when the request allows it."""
    plan = AssignmentPlan(np.array([0]), np.array([0]))
    with pytest.raises(PlanRejectedError):
        check_plan(make([status], [[10]], wait=np.array([30])), plan)
    allowed = check_plan(make([status], [[10]], wait=np.array([30]), allow_soon_free=True), plan)
    assert allowed.weighted_response == 40


def test_checker_adds_wait_and_turnout_to_the_response() -> None:
    """Response = wait until free + travel from the free place + turnout."""
    problem = make(
        [S.RETURNING], [[100]], wait=np.array([30]), turnout=np.array([45]), allow_soon_free=True
    )
    evaluation = check_plan(problem, AssignmentPlan(np.array([0]), np.array([0])))
    assert evaluation.weighted_response == 175


@pytest.mark.parametrize(
    "extra",
    [
        {"wait": np.array([10])},  # an AVAILABLE unit cannot wait
        {"turnout": np.array([-1])},
        {"first_unit_targets": np.array([[200]]), "targets": np.array([100])},
    ],
)
def test_problem_rejects_inconsistent_lifecycle_data(extra: dict) -> None:
    """Library callers get a ValueError for data the objective's arguments rely on."""
    with pytest.raises(ValueError):
        make([S.AVAILABLE], [[10]], **extra)


def test_problem_rejects_a_commitment_of_a_soon_free_unit() -> None:
    """Only EN_ROUTE and BUSY units can be committed to an incident."""
    with pytest.raises(ValueError):
        make([S.TRANSPORTING], [[10]], commitment=[0])
