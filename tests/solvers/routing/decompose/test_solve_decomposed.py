"""The decomposed solve end to end on a 300-stop night cut into 4 parts (real engines)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from benchmarks.bignight.generate import night
from solvers.routing.checker import evaluate, rank
from solvers.routing.decompose import (
    DecomposedOutcome,
    DecomposeOptions,
    InlineRunner,
    LargeProblem,
    Part,
    PartFailedError,
    PartJob,
    part_problem,
    solve_decomposed,
    solve_part,
)
from solvers.routing.decompose.borders import border_part
from solvers.routing.decompose.driver import DETERMINISTIC_PART_SECONDS
from solvers.routing.decompose.large import to_local
from solvers.routing.plan import SkipReason, VisitKind
from solvers.status import SolverFamily

#: Stops that need a skill no truck has: they must come back skipped with a reason.
CRANE = (5, 150)


def crane_night() -> LargeProblem:
    """night(300) with two stops needing a crane."""
    large = night(300)
    stops = list(large.stops)
    for i in CRANE:
        stops[i] = replace(stops[i], required_skills=frozenset({"crane"}))
    return replace(large, stops=tuple(stops))


@pytest.fixture(scope="module")
def solved() -> tuple[LargeProblem, DecomposedOutcome]:
    """One decomposed solve shared by the tests of this module (4 parts, border rounds)."""
    large = crane_night()
    options = DecomposeOptions(max_part_stops=80, border_share=0.3, border_rounds=1)
    return large, solve_decomposed(large, 20.0, InlineRunner(), options)


def full(large: LargeProblem):
    """The whole problem with its full matrix (small enough here)."""
    return part_problem(
        large, Part("all", tuple(range(len(large.stops))), tuple(range(len(large.vehicles))))
    )


def test_every_stop_is_served_or_skipped_with_a_reason(solved) -> None:
    """Served stops and skipped ones (with a reason) together are every stop."""
    large, outcome = solved
    served = {v.ref for r in outcome.plan.routes for v in r.visits if v.kind is VisitKind.STOP}
    assert served | set(outcome.plan.skipped) == set(range(len(large.stops)))
    assert all(isinstance(reason, SkipReason) for reason in outcome.plan.skipped.values())
    for i in CRANE:
        assert outcome.plan.skipped[i] is SkipReason.NO_VEHICLE_WITH_SKILLS


def test_no_vehicle_is_used_twice(solved) -> None:
    """Each vehicle has at most one route in the stitched plan."""
    _, outcome = solved
    vehicles = [r.vehicle for r in outcome.plan.routes]
    assert len(vehicles) == len(set(vehicles))


def test_the_stitched_plan_passes_the_checker_on_the_full_problem(solved) -> None:
    """The full checker finds no violation and the same cost as the whole-plan check."""
    large, outcome = solved
    evaluation = evaluate(full(large), outcome.plan)
    assert evaluation.feasible, evaluation.violations[:3]
    assert outcome.evaluation.feasible
    assert evaluation.cost_terms == outcome.evaluation.cost_terms
    assert evaluation.served == outcome.evaluation.served


def test_the_night_was_cut_into_parts_and_borders_were_revisited(solved) -> None:
    """At least 4 parts were solved and at least one border job ran."""
    _, outcome = solved
    phases = [r.phase for r in outcome.results]
    assert phases.count("part") >= 4
    assert "border" in phases


def test_a_warm_started_part_never_comes_back_worse(solved) -> None:
    """A border re-solve with almost no time returns a plan ranked no worse than its start."""
    large, outcome = solved
    home = [0] * len(large.stops)
    for p, part in enumerate(outcome.parts):
        for s in part.stops:
            home[s] = p
    a, b = outcome.parts[0], outcome.parts[1]
    border = border_part(large, outcome.plan, home, a, b, "border-test")
    job = PartJob(border, 0.5, SolverFamily.ORTOOLS, initial=outcome.plan, phase="border")
    result = solve_part(large, job)
    problem = part_problem(large, border)
    before = evaluate(problem, to_local(border, outcome.plan))
    after = evaluate(problem, to_local(border, result.plan))
    assert rank(problem, after) <= rank(problem, before)


def test_a_part_that_cannot_be_solved_is_named() -> None:
    """A broken part makes the runner raise PartFailedError naming it."""
    large = night(30)
    broken = Part("broken-part", (0, 10_000), (0,))
    with pytest.raises(PartFailedError) as caught:
        InlineRunner().run(large, [PartJob(broken, 1.0)])
    assert caught.value.part == "broken-part"


def test_deterministic_parts_search_a_fixed_amount_whatever_the_budget() -> None:
    """With ``deterministic`` every part job says so and gets the safety-net deadline, and two
    solves with different budgets give the same plan: the search per part is set by
    iterations, not by the clock."""
    large = night(90)
    options = DecomposeOptions(max_part_stops=40, border_share=0.0, deterministic=True)
    jobs: list[PartJob] = []

    def recorded(large: LargeProblem, job: PartJob):
        jobs.append(job)
        return solve_part(large, job)

    short = solve_decomposed(large, 2.0, InlineRunner(recorded), options)
    long = solve_decomposed(large, 30.0, InlineRunner(recorded), options)
    assert len(jobs) >= 4
    assert all(job.deterministic for job in jobs)
    assert {job.seconds for job in jobs} == {DETERMINISTIC_PART_SECONDS}
    assert short.plan == long.plan
