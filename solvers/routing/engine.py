"""The engine protocol: what every routing engine takes and what it gives back.

Every engine (OR-Tools, PyVRP, MILP, the constructive heuristic) is called the same way:
``engine.solve(problem, deadline, options) -> EngineResult``. The portfolio
(``solvers.routing.portfolio``) runs engines through this protocol only, so adding an engine
never touches the portfolio's logic, and every engine's answer is checked the same way.

An engine returns its best plan; it never checks it (the portfolio does, with the independent
checker) and it claims OPTIMAL only when its solver proved it. Improving plans found on the way
go to ``options.on_solution`` as they appear, so a portfolio that stops a late engine keeps what
that engine had already found.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Protocol

from solvers.budget import Deadline
from solvers.routing.plan import RoutingPlan
from solvers.routing.problem import RoutingProblem
from solvers.status import SolveReport, SolverFamily, Status, relative_gap


@dataclass(frozen=True)
class Improvement:
    """An improving solution an engine found while searching.

    ``objective`` is the engine's own figure (for progress reports only); ``plan`` is set when
    the engine can read the plan back cheaply, and is what the portfolio keeps if the engine is
    stopped before it returns.
    """

    objective: float
    vehicles: int
    plan: RoutingPlan | None = None


#: Receives each improving solution, in the order found.
SolutionSink = Callable[[Improvement], None]


@dataclass(frozen=True)
class EngineOptions:
    """How to run an engine; every field has a safe default.

    ``exclude`` lists stops the pre-check proved unservable (they stay out of the model).
    ``start`` is a plan to search from. ``deterministic`` asks for work limits instead of the
    clock where the engine has them. ``settings`` holds engine-specific overrides (for example
    the OR-Tools search the portfolio runs on its second core); an engine ignores keys it does
    not know only if it documents so.
    """

    seed: int = 0
    exclude: frozenset[int] = frozenset()
    start: RoutingPlan | None = None
    deterministic: bool = False
    on_solution: SolutionSink | None = None
    settings: dict[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class EngineResult:
    """One engine's answer: its best plan and what can be claimed about it.

    ``engine`` is the precise engine (``ortools.routing``, ``pyvrp``, ``pulp.highs``,
    ``greedy.construct``); ``strategy`` the variant that produced the plan (diagnostics, shown
    to callers in ``SolveInfo``); ``bound`` a proven lower bound on the objective, if any;
    ``timings`` seconds per phase (build, search, read back, ...), in the order run.
    """

    plan: RoutingPlan
    engine: str
    status: Status = Status.FEASIBLE
    bound: float | None = None
    strategy: str = ""
    solutions: int = 0
    timings: dict[str, float] = field(default_factory=dict)


class Engine(Protocol):
    """A routing engine. Raises SolverFailedError when it has no plan to give.

    An engine that models every rule subclasses this protocol and keeps its
    :meth:`unsupported`; one that declines features overrides it.
    """

    family: SolverFamily

    def unsupported(self, problem: RoutingProblem, exclude: frozenset[int]) -> list[str]:
        """Features of the problem this engine cannot model exactly (empty: it can)."""
        return []

    def solve(
        self, problem: RoutingProblem, deadline: Deadline, options: EngineOptions
    ) -> EngineResult:
        """The best plan found by ``deadline``."""
        ...


class PhaseTimer:
    """Collects per-phase wall times for an EngineResult.

    ``with timer("build"): ...`` adds the block's seconds to the phase, so a phase run twice
    (two searches) reports its total.
    """

    def __init__(self) -> None:
        self.timings: dict[str, float] = {}

    @contextmanager
    def __call__(self, phase: str) -> Iterator[None]:
        began = time.monotonic()
        try:
            yield
        finally:
            elapsed = time.monotonic() - began
            self.timings[phase] = self.timings.get(phase, 0.0) + elapsed


def solve_alone(
    engine: Engine,
    problem: RoutingProblem,
    deadline: Deadline,
    options: EngineOptions | None = None,
) -> tuple[RoutingPlan, SolveReport]:
    """One engine on its own, its plan priced by the independent checker.

    For tests and benchmarks that measure a single engine; the service always goes through the
    portfolio, which also repairs, ranks and reports skipped stops.
    """
    from solvers.routing.checker import evaluate  # the checker is independent of the protocol

    started = time.monotonic()
    result = engine.solve(problem, deadline, options or EngineOptions())
    evaluation = evaluate(problem, result.plan)
    cost = evaluation.cost
    report = SolveReport(
        family=engine.family,
        engine=result.engine,
        status=result.status,
        objective=cost,
        bound=result.bound,
        gap=None if result.bound is None else relative_gap(cost, result.bound),
        wall_time=time.monotonic() - started,
        objective_terms=dict(evaluation.cost_terms),
        strategy=result.strategy,
        timings=dict(result.timings),
    )
    return result.plan, report
