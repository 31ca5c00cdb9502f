"""Property: converting to proto and back loses nothing the optimum depends on."""

from __future__ import annotations

import dataclasses

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_emergency import plan_of

from benchmarks.assign.requests import to_request
from benchmarks.assign.scenarios import city_problem
from dispatch import validation
from dispatch.emergency import assign_units
from solvers.assignment import check_plan, solve
from solvers.budget import Deadline


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    incidents=st.integers(1, 8),
    units=st.integers(1, 30),
    seed=st.integers(0, 10_000),
    coverage=st.booleans(),
    reassign=st.booleans(),
    max_travel=st.sampled_from([0, 0, 900, 2000]),
)
def test_service_answer_matches_the_solver_optimum(
    incidents: int, units: int, seed: int, coverage: bool, reassign: bool, max_travel: int
) -> None:
    """Any valid generated request: the answer decodes to a checked plan with the same
    objective vector as solving the problem directly."""
    problem = dataclasses.replace(
        city_problem(incidents, units, seed, coverage=coverage, allow_reassignment=reassign),
        max_travel=max_travel,
    )
    request = to_request(problem)
    validation.validate_assign_units(request)
    answer = assign_units(request, Deadline.after(5))
    decoded = check_plan(problem, plan_of(problem, answer))
    assert decoded.key() == solve(problem, Deadline.after(5)).evaluation.key()
    assert answer.solve_info.verified
