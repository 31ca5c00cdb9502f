"""Pricing (flow.py, FORMULATION.md "Pricing"): flows that start without some arcs and add back
every arc the potentials cannot rule out reach the same lexicographic optimum as flows on every
arc, whichever arcs are left out."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from assignment_cases import brute_force, problems
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lifecycle_cases import lifecycle_problems

from benchmarks.assign.scenarios import city_problem
from solvers.assignment import AssignmentProblem, SolveSettings, check_plan, solve
from solvers.assignment.arcs import build_arcs
from solvers.assignment.flow import _by_group_and_terms, solve_flow
from solvers.budget import Deadline

_SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_NONE = np.zeros(0, dtype=np.int64)


def _subset(draw: st.DrawFn, n_arcs: int) -> np.ndarray:
    """Any subset of the arc indices (often most of them)."""
    mask = [draw(st.sampled_from([True, True, False])) for _ in range(n_arcs)]
    return np.flatnonzero(np.array(mask, dtype=bool))


@_SETTINGS
@given(problems(coverage=False, crowded=True), st.data())
def test_left_out_arcs_keep_the_brute_force_optimum(
    problem: AssignmentProblem, data: st.DataObject
) -> None:
    """Whatever arcs the first try leaves out, the flow reaches the brute-force optimum."""
    arcs = build_arcs(problem)
    out = _subset(data.draw, arcs.n_arcs)
    pack = data.draw(st.sampled_from([None, 1, 2]))
    result = solve_flow(problem, arcs, max_pack=pack, left_out=out)
    assert check_plan(problem, result.plan).key() == brute_force(problem).key()
    assert result.complete


@_SETTINGS
@given(lifecycle_problems(tight=True, crowded=True, coverage=False), st.data())
def test_left_out_arcs_keep_every_level_with_the_lifecycle(
    problem: AssignmentProblem, data: st.DataObject
) -> None:
    """Lead and rest groups, waits and en-route moves: every objective level (fill, first unit
    and late slots per priority, weighted response, churn) equals the flow on every arc."""
    arcs = build_arcs(problem)
    out = _subset(data.draw, arcs.n_arcs)
    pack = data.draw(st.sampled_from([None, 1]))
    priced = solve_flow(problem, arcs, max_pack=pack, left_out=out)
    every = solve_flow(problem, arcs, max_pack=pack, left_out=_NONE)
    assert check_plan(problem, priced.plan).key() == check_plan(problem, every.plan).key()


def test_a_left_out_cheapest_arc_is_added_back() -> None:
    """Leaving out exactly the arcs of the optimal plan still ends at the optimum: the
    potentials price them negative (or zero) and the flows see them."""
    problem = city_problem(10, 40, seed=2)
    arcs = build_arcs(problem)
    every = solve_flow(problem, arcs, left_out=_NONE)
    priced = solve_flow(problem, arcs, left_out=np.flatnonzero(every.used))
    assert check_plan(problem, priced.plan).key() == check_plan(problem, every.plan).key()


def test_large_cities_are_priced_and_keep_the_optimum() -> None:
    """At 100 x 1000 pricing leaves most arcs out of the flows; the optimum and the OPTIMAL
    status are those of the flows on every arc."""
    problem = city_problem(100, 1000, seed=5)
    arcs = build_arcs(problem)
    priced = solve_flow(problem, arcs)
    every = solve_flow(problem, arcs, left_out=_NONE)
    assert priced.priced_out > arcs.n_arcs // 2
    assert every.priced_out == 0
    assert check_plan(problem, priced.plan).key() == check_plan(problem, every.plan).key()
    result = solve(problem, Deadline.after(10), SolveSettings())
    assert result.evaluation.key() == check_plan(problem, every.plan).key()
    assert result.report.status.name == "OPTIMAL"


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 5),
            st.sampled_from([0, 1, 7, 2**20, 2**41]),
            st.integers(0, 1),
            st.integers(0, 1),
        ),
        max_size=40,
    ),
    st.sampled_from([6, 2**20]),
)
def test_pricing_order_is_group_then_terms_then_index(
    rows: list[tuple[int, int, int, int]], n_groups: int
) -> None:
    """The order pricing keeps arcs in, by the composite key or (with a wide response range)
    by two stable sorts, is the lexicographic one: group, first-unit bonus (taken first), late,
    response, index."""
    group, response, late, first = (
        (np.array(c, dtype=np.int64) for c in zip(*rows, strict=True))
        if rows
        else (np.zeros(0, dtype=np.int64),) * 4
    )
    arcs = replace(
        build_arcs(city_problem(2, 4, seed=1)).subset(np.zeros(0, dtype=np.int64)),
        group=group,
        response=response,
        late=late,
        first=first,
        unit=np.zeros(len(group), dtype=np.int64),
        group_count=np.ones(n_groups, dtype=np.int64),  # 2**20 with 2**41: two sorts
    )
    expected = np.lexsort((np.arange(len(group)), response, late, -first, group))
    assert np.array_equal(_by_group_and_terms(arcs), expected)
