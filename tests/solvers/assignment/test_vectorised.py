"""The numpy paths (issue #14 part 5) agree with the per-unit logic they replaced, and the flow
stops between phases once its time is up.

The references below are the previous per-unit implementations, kept here verbatim in spirit
(plain Python over units and cells) so that a vectorised rewrite cannot drift from them.
"""

from __future__ import annotations

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
from solvers.assignment.flow import solve_flow
from solvers.assignment.greedy import solve_greedy
from solvers.assignment.model import UnitStatus, committed_slots

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
