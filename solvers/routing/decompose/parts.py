"""One part's solve, and how a batch of them is run (in this process, or on a cluster).

:func:`solve_part` is the unit of work a cluster task runs: it builds the part's problem from
the large one (only the part's sub-matrix), solves it with the existing entry point
(:func:`solvers.routing.solve.solve_checked`: portfolio, pre-check, checker) and returns the
plan in the large problem's indices. With a warm start (border re-optimisation) it returns the
new plan only when the checker ranks it better than the start on the same sub-problem, so a
border pass never makes the plan worse.

:class:`PartRunner` is what the driver needs from an executor; :class:`InlineRunner` runs the
parts one after another here (tests, the single-process baseline); the Ray runner in
``dispatch.cluster`` runs them as tasks.
"""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from solvers.budget import Deadline
from solvers.errors import DispatchError
from solvers.routing.checker import evaluate, rank
from solvers.routing.decompose.large import LargeProblem, Part, part_problem, to_global, to_local
from solvers.routing.plan import RoutingPlan
from solvers.routing.solve import RoutingOptions, solve_checked
from solvers.status import SolverFamily


class PartFailedError(DispatchError):
    """A part could not be solved (after the runner's retries); names the part."""

    def __init__(self, part: str, cause: str) -> None:
        self.part = part
        self.cause = cause
        super().__init__(f"part {part} failed: {cause}")


@dataclass(frozen=True)
class PartJob:
    """A part to solve for ``seconds``; ``initial`` (global indices) makes it a re-solve."""

    part: Part
    seconds: float
    solver: SolverFamily = SolverFamily.PYVRP
    seed: int = 0
    initial: RoutingPlan | None = None
    #: "part" for the first pass, "border" for a re-optimisation of neighbouring routes.
    phase: str = "part"
    #: A fixed amount of search, whatever the clock (``DecomposeOptions.deterministic``).
    deterministic: bool = False


@dataclass(frozen=True)
class PartResult:
    """A part's checked plan in global indices and what the checker said about it."""

    name: str
    phase: str
    plan: RoutingPlan
    engine: str
    status: str
    wall_seconds: float
    travel_seconds: int
    violations: int
    skipped: int
    stops: int
    improved: bool = True


def solve_part(large: LargeProblem, job: PartJob) -> PartResult:
    """Solve one part (see the module docstring); raises what the solve raises."""
    started = time.monotonic()
    problem = part_problem(large, job.part)
    start = to_local(job.part, job.initial) if job.initial is not None else None
    options = RoutingOptions(
        solver=job.solver, seed=job.seed, initial=start, deterministic=job.deterministic
    )
    outcome = solve_checked(problem, Deadline.after(job.seconds), options)
    plan, evaluation, improved = outcome.plan, outcome.evaluation, True
    engine, status = outcome.report.engine, outcome.report.status.value
    if start is not None:
        before = evaluate(problem, start)
        if rank(problem, before) <= rank(problem, evaluation):
            plan, evaluation, improved = start, before, False
            engine, status = "kept", "FEASIBLE" if before.feasible else "INFEASIBLE"
    return PartResult(
        name=job.part.name,
        phase=job.phase,
        plan=to_global(job.part, plan),
        engine=engine,
        status=status,
        wall_seconds=time.monotonic() - started,
        travel_seconds=sum(r.travel_seconds for r in evaluation.routes),
        violations=len(evaluation.violations),
        skipped=len(evaluation.skipped),
        stops=len(job.part.stops),
        improved=improved,
    )


class PartRunner(ABC):
    """Runs a batch of independent part jobs; results in job order.

    An executor says only how the jobs run (:meth:`finished`); the order of the results and the
    ``on_done`` calls are kept here, so every executor reports the same way.
    """

    @property
    @abstractmethod
    def workers(self) -> int:
        """How many parts run at the same time (for budgeting waves)."""

    def run(
        self,
        large: LargeProblem,
        jobs: Sequence[PartJob],
        on_done: Callable[[PartResult], None] | None = None,
    ) -> list[PartResult]:
        """Every job's result, ``on_done`` called as each finishes; PartFailedError if one
        cannot be solved."""
        results: list[PartResult | None] = [None] * len(jobs)
        for i, result in self.finished(large, jobs):
            results[i] = result
            if on_done is not None:
                on_done(result)
        return [r for r in results if r is not None]

    @abstractmethod
    def finished(
        self, large: LargeProblem, jobs: Sequence[PartJob]
    ) -> Iterator[tuple[int, PartResult]]:
        """Each job's index and result as it finishes, in any order; PartFailedError naming
        the part when one cannot be solved."""


class InlineRunner(PartRunner):
    """Parts one after another in this process (no cluster); ``solve`` solves one part
    (:func:`solve_part`; tests pass a wrapper that records the jobs)."""

    def __init__(self, solve: Callable[[LargeProblem, PartJob], PartResult] = solve_part) -> None:
        self.solve = solve

    @property
    def workers(self) -> int:
        """One part at a time."""
        return 1

    def finished(
        self, large: LargeProblem, jobs: Sequence[PartJob]
    ) -> Iterator[tuple[int, PartResult]]:
        """Solve each job here, in order."""
        for i, job in enumerate(jobs):
            try:
                result = self.solve(large, job)
            except Exception as exc:  # the job names the part, whatever the cause
                raise PartFailedError(job.part.name, f"{type(exc).__name__}: {exc}") from exc
            yield i, result
