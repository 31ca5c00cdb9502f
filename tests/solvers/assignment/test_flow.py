"""The flows' integer weights: exact level separation, int64 safety at the largest request the
contract accepts, and an honest refusal beyond it."""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np
import pytest

from benchmarks.assign.scenarios import city_problem
from solvers.assignment import check_plan
from solvers.assignment.arcs import INT64_GUARD, build_arcs
from solvers.assignment.flow import solve_flow
from solvers.assignment.levels import Component, components, fits, n_used_bound, next_pack
from solvers.assignment.network import Network
from solvers.errors import SolverFailedError

# The largest AssignUnits request validation accepts (dispatch/validation/limits.py).
MAX_UNITS, MAX_INCIDENTS, MAX_REQUIREMENTS, MAX_PRIORITY = 20_000, 5_000, 64, 1_000
MAX_SECONDS = 2**31 - 1  # travel matrices are int32
LARGEST_NODES = 2 + MAX_UNITS + MAX_INCIDENTS * MAX_REQUIREMENTS  # source, sink, units, groups


def component(name: str, biggest: int, span: int) -> Component:
    """A component on one arc whose coefficient is ``biggest``."""
    return Component(name, np.array([0]), np.array([biggest], dtype=np.int64), span, 1)


def test_each_weight_outweighs_every_total_below_it() -> None:
    """M_j > sum_{i > j} M_i * span_i, so one unit of a level beats any change below it."""
    problem = city_problem(50, 300, seed=2, coverage=True)
    arcs = build_arcs(problem)
    pack = next_pack(components(arcs, problem.priority_levels()), 2_000, n_used_bound(arcs))
    assert pack.names[0] == "fill" and pack.names[1].startswith("late_p")
    for j, weight in enumerate(pack.weights):
        lower = zip(pack.weights[j + 1 :], pack.components[j + 1 :], strict=True)
        below = sum(w * c.span for w, c in lower)
        assert weight > below


def test_every_level_alone_fits_int64_at_the_largest_accepted_request() -> None:
    """Priority <= 1000, times < 2**31, 20 000 units, 5 000 incidents x 64 requirements: each
    level fits a flow by itself (largest arc cost x (nodes + 1) < 2**62), so the flow never has
    to decline a valid request; several levels just take several flows."""
    levels = [
        component("fill", MAX_PRIORITY, MAX_UNITS * MAX_PRIORITY),  # bonus <= distinct levels
        component("late_p1", 1, MAX_UNITS),
        component("response", MAX_PRIORITY * MAX_SECONDS, MAX_UNITS * MAX_PRIORITY * MAX_SECONDS),
        component("churn", 1, MAX_UNITS),
    ]
    for level in levels:
        assert fits([level], LARGEST_NODES, MAX_UNITS), level.name
    assert MAX_PRIORITY * MAX_SECONDS * (LARGEST_NODES + 1) < INT64_GUARD
    packs = []
    remaining = levels
    while remaining:
        packs.append(next_pack(remaining, LARGEST_NODES, MAX_UNITS))
        remaining = remaining[len(packs[-1].components) :]
    assert [p.names for p in packs] == [("fill", "late_p1"), ("response",), ("churn",)]


def test_declines_a_level_that_does_not_fit_even_alone() -> None:
    """Beyond the contract (a library caller with 2**50-second trips) the flow refuses rather
    than letting OR-Tools' cost scaling overflow; the portfolio then falls back."""
    with pytest.raises(SolverFailedError, match="response"):
        next_pack([component("response", 2**50, 2**60)], LARGEST_NODES, MAX_UNITS)


def test_benchmark_city_solves_levels_one_to_three_in_one_flow() -> None:
    """At 200 x 2000 fill, the late slots of every priority and response share one flow;
    churn, if anything, is solved on its optimal face (or found at its floor there)."""
    problem = city_problem(200, 2000, seed=1, coverage=True)
    result = solve_flow(problem, build_arcs(problem))
    assert result.complete
    assert result.stages[0][0] == "fill" and result.stages[0][-1] == "response"
    assert result.stages[1:] in ((), (("churn",),))


def test_churn_already_at_its_floor_on_the_face_gets_no_flow_of_its_own(monkeypatch) -> None:
    """On this city every unit the first flow re-routes has only re-routing arcs left on the
    optimal face of the levels above churn, so that flow's churn is the least any plan there
    can have: churn's own flow is skipped, and the plan scores the same on every level as with
    that flow solved."""
    problem = city_problem(50, 300, seed=3)
    arcs = build_arcs(problem)
    skipped = solve_flow(problem, arcs, use_matching=True)
    assert skipped.complete and [names[-1] for names in skipped.stages] == ["response"]
    monkeypatch.setattr(Network, "at_floor", lambda *args: False)
    solved = solve_flow(problem, arcs, use_matching=True)
    assert solved.stages[1:] == (("churn",),)
    keys = [check_plan(problem, r.plan).key() for r in (skipped, solved)]
    assert keys[0] == keys[1] and keys[0][-1] > 0


def test_out_of_time_between_flows_keeps_the_proven_levels_and_says_what_is_missing() -> None:
    """When the optimal face is not found before ``stop`` the flow keeps the last plan (optimal
    for the levels solved so far) and lists the levels left, which the portfolio reports as
    FEASIBLE with the reason."""
    problem = city_problem(10, 50, seed=2)
    arcs = build_arcs(problem)
    hurried = solve_flow(problem, arcs, stop=time.perf_counter() - 1.0, max_pack=1)
    assert hurried.stages == (("fill",),)
    assert not hurried.complete and hurried.pending[0].startswith("late_p")
    assert hurried.pending[-2:] == ("response", "churn")
    full = solve_flow(problem, arcs)
    proven = check_plan(problem, hurried.plan).unfilled
    assert proven == check_plan(problem, full.plan).unfilled


def test_a_pack_ortools_refuses_for_its_cost_range_is_halved_until_accepted() -> None:
    """60 incidents with priorities spread over 1..1000 and coverage rules: the first pack
    passes ``levels.fits`` but OR-Tools' scaled potentials overflow (BAD_COST_RANGE), which
    used to fail the whole flow step. Smaller packs are solved instead, to the optimum of one
    level per flow."""
    problem = city_problem(60, 300, seed=1, coverage=True)
    priorities = np.random.default_rng(1).integers(1, 1001, size=problem.n_incidents)
    problem = replace(problem, priorities=priorities)
    arcs = build_arcs(problem)
    packed = solve_flow(problem, arcs)
    staged = solve_flow(problem, arcs, max_pack=1)
    assert packed.complete
    assert len(packed.stages) < len(staged.stages)
    assert check_plan(problem, packed.plan).key() == check_plan(problem, staged.plan).key()
