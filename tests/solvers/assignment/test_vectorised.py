"""The numpy paths (issue #14 part 5) agree with the per-unit logic they replaced, and the flow
stops between phases once its time is up.

The references below are the previous per-unit implementations, kept here verbatim in spirit
(plain Python over units and cells) so that a vectorised rewrite cannot drift from them.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
from assignment_cases import problems
from hypothesis import given, settings
from hypothesis import strategies as st
from lifecycle_cases import lifecycle_problems

from benchmarks.assign.scenarios import city_problem
from solvers.assignment import AssignmentPlan, AssignmentProblem, check_plan
from solvers.assignment.arcs import build_arcs
from solvers.assignment.checker import _must_fill
from solvers.assignment.flow import _stable_argsort, solve_flow
from solvers.assignment.greedy import solve_greedy
from solvers.assignment.kpis import kpis
from solvers.assignment.model import UnitStatus, committed_slots, status_in
from solvers.assignment.reasons import unfilled_slots

any_problem = st.one_of(problems(), problems(crowded=True), lifecycle_problems(max_units=8))


def _reference_forced(problem: AssignmentProblem) -> set[int]:
    """Committed units that must fill a slot: per incident, BUSY first, then ETA, then index,
    each kept when a matching of all kept ones into the slots still exists (brute force)."""
    out: set[int] = set()
    for x in range(problem.n_incidents):
        members = []
        for u in range(problem.n_units):
            status = int(problem.status[u])
            if status not in (UnitStatus.BUSY, UnitStatus.EN_ROUTE) or problem.commitment[u] != x:
                continue
            caps = [
                c
                for c in range(len(problem.capabilities))
                if problem.requirements[x, c] > 0 and problem.unit_capabilities[u, c]
            ]
            if caps:
                eta = 0 if status == UnitStatus.BUSY else int(problem.travel[u, x])
                members.append((0 if status == UnitStatus.BUSY else 1, eta, u, caps))
        members.sort(key=lambda m: m[:3])
        kept: list[list[int]] = []
        for member in members:
            if _fits([*kept, member[3]], problem.requirements[x].tolist()):
                kept.append(member[3])
                out.add(member[2])
    return out


def _fits(units: list[list[int]], slots: list[int]) -> bool:
    """Whether every unit (its capability list) gets a distinct slot (exhaustive search)."""
    if not units:
        return True
    for c in units[0]:
        if slots[c] > 0:
            slots[c] -= 1
            ok = _fits(units[1:], slots)
            slots[c] += 1
            if ok:
                return True
    return False


def _reference_greedy(problem: AssignmentProblem) -> AssignmentPlan:
    """The previous greedy: every slot scans all units (one masked argmin over the fleet)."""
    plan = AssignmentPlan.empty(problem)
    incident, capability = plan.incident.copy(), plan.capability.copy()
    remaining = problem.requirements.astype(np.int64).copy()
    forced = committed_slots(problem)
    for u in np.flatnonzero(forced >= 0).tolist():
        capability[u] = forced[u]
        remaining[int(problem.commitment[u]), forced[u]] -= 1
    free_capable = problem.unit_capabilities.T & problem.from_rest
    far = np.iinfo(np.int64).max
    order = sorted(range(problem.n_incidents), key=lambda i: (int(problem.priorities[i]), i))
    for i in order:
        travel = problem.travel[:, i]
        row = travel + problem.delay
        if problem.max_travel > 0:
            row = np.where(travel <= problem.max_travel, row, far)
        for c in np.flatnonzero(remaining[i] > 0).tolist():
            distance = np.where(free_capable[c], row, far)
            nearest = np.argsort(distance, kind="stable")[: int(remaining[i, c])]
            nearest = nearest[distance[nearest] < far]
            incident[nearest], capability[nearest] = i, c
            free_capable[:, nearest] = False
            remaining[i, c] -= len(nearest)
    return AssignmentPlan(incident, capability)


@settings(max_examples=150, deadline=None)
@given(any_problem)
def test_committed_slots_force_the_reference_set(problem: AssignmentProblem) -> None:
    """The numpy-ordered committed_slots forces exactly the units the brute-force rule does,
    each into a slot its incident needs and it can fill."""
    forced = committed_slots(problem)
    assert set(np.flatnonzero(forced >= 0).tolist()) == _reference_forced(problem)
    for u in np.flatnonzero(forced >= 0).tolist():
        c, x = int(forced[u]), int(problem.commitment[u])
        assert problem.unit_capabilities[u, c] and problem.requirements[x, c] > 0


@settings(max_examples=150, deadline=None)
@given(any_problem)
def test_checker_must_fill_matches_the_reference(problem: AssignmentProblem) -> None:
    """The checker's numpy candidate extraction keeps the contract's must-fill set."""
    assert _must_fill(problem) == _reference_forced(problem)


@settings(max_examples=150, deadline=None)
@given(any_problem)
def test_greedy_matches_the_full_scan(problem: AssignmentProblem) -> None:
    """Greedy over each capability's units gives the same plan as scanning the whole fleet
    per slot (same ties: lowest unit index), and the checker accepts it."""
    plan, reference = solve_greedy(problem), _reference_greedy(problem)
    assert plan.incident.tolist() == reference.incident.tolist()
    assert plan.capability.tolist() == reference.capability.tolist()
    check_plan(problem, plan)


def test_flow_past_its_stop_keeps_the_first_phase_flagged() -> None:
    """With its stop already passed, the flow solves the first phase only (the plan is
    feasible and checked) and reports every later component as pending."""
    problem = city_problem(12, 80, seed=2)
    arcs = build_arcs(problem)
    full = solve_flow(problem, arcs, max_pack=1)
    assert len(full.stages) > 1 and full.complete
    cut = solve_flow(problem, arcs, stop=time.perf_counter() - 1.0, max_pack=1)
    assert len(cut.stages) == 1
    assert cut.pending and not cut.complete
    check_plan(problem, cut.plan)


def _reference_incident_kpis(
    problem: AssignmentProblem, arrivals: list, short: set[int]
) -> list[tuple[tuple, bool, int, bool]]:
    """The previous per-incident loop: sort each incident's arrivals by (eta, unit id) in
    Python, last filling ETA (0 if none), every filling unit within target."""
    out = []
    for i in range(problem.n_incidents):
        mine = sorted(
            (a for a in arrivals if a.incident == i),
            key=lambda a: (a.eta, problem.unit_ids[a.unit]),
        )
        filling = [a for a in mine if a.capability >= 0]
        last = max((a.eta for a in filling), default=0)
        out.append((tuple(mine), i not in short, last, all(a.within_target for a in filling)))
    return out


@settings(max_examples=60, deadline=None)
@given(any_problem, st.booleans())
def test_kpis_match_the_per_incident_loop(problem: AssignmentProblem, optimal: bool) -> None:
    """The numpy per-incident and per-priority figures equal plain Python over the arrivals:
    order by (eta, unit id), staffing, last arrival, in-time flags, per-priority sums. Unit ids
    run against unit order, so an ETA tie is broken by id, not by index."""
    ids = tuple(f"unit-{problem.n_units - u:03d}" for u in range(problem.n_units))
    problem = dataclasses.replace(problem, unit_ids=ids)
    plan = solve_flow(problem, build_arcs(problem)).plan if optimal else solve_greedy(problem)
    evaluation = check_plan(problem, plan)
    unfilled = unfilled_slots(problem, plan, evaluation.slots_filled)
    k = kpis(problem, plan, unfilled, evaluation)
    arrivals = [a for incident in k.incidents for a in incident.arrivals]
    short = {slot.incident for slot in unfilled}
    reference = _reference_incident_kpis(problem, arrivals, short)
    got = [(x.arrivals, x.fully_staffed, x.last_arrival, x.within_target) for x in k.incidents]
    assert got == reference
    for row in k.by_priority:
        mine = [
            x
            for p, x in zip(problem.priorities.tolist(), k.incidents, strict=True)
            if p == row.priority
        ]
        etas = [a.eta for x in mine for a in x.arrivals if a.capability >= 0]
        assert row.incidents == len(mine)
        assert row.fully_staffed == sum(x.fully_staffed for x in mine)
        assert row.mean_response_seconds == (sum(etas) / len(etas) if etas else 0.0)
        assert row.max_response_seconds == max((x.last_arrival for x in mine), default=0)
    dispatched = [a for a in arrivals if problem.from_rest[a.unit]]
    assert k.units_dispatched == len(dispatched)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(-5, 5), max_size=60)
    | st.lists(st.integers(-(2**62), 2**62), max_size=20)
    | st.lists(st.sampled_from([-(2**44), 0, 2**43, 2**43 + 7]), max_size=60)
)
def test_stable_argsort_is_numpys_stable_order(values: list[int]) -> None:
    """Pricing's arc order (unique composite keys, or numpy's stable sort when they would not
    fit int64) is exactly ``np.argsort(kind="stable")``: ties keep their index order."""
    key = np.array(values, dtype=np.int64)
    assert _stable_argsort(key).tolist() == np.argsort(key, kind="stable").tolist()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(min_value=-(2**63), max_value=2**63 - 1), max_size=30),
    st.lists(st.sampled_from(list(UnitStatus)), min_size=1, max_size=4, unique=True),
)
def test_status_in_answers_as_comparing_each_status(values: list[int], chosen: list) -> None:
    """The table lookup of ``status_in`` gives what comparing with every status gives, for any
    int64, numbers outside the enum (negative, 0, huge) included."""
    status = np.array(values, dtype=np.int64)
    statuses = tuple(chosen)
    expected = np.zeros(len(values), dtype=bool)
    for value in statuses:
        expected |= status == int(value)
    assert status_in(status, statuses).tolist() == expected.tolist()
