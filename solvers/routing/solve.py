"""The routing entry point: a checker-verified plan for a problem, by a deadline.

``solve_checked`` is what the service, the CLI and the benchmarks call; the work is done by
:class:`solvers.routing.portfolio.Portfolio`, which runs the engines through the engine
protocol (``solvers.routing.engine``) and keeps the best plan the checker accepts.
"""

from __future__ import annotations

from collections.abc import Callable

from solvers.budget import Deadline
from solvers.routing.plan import RoutingPlan
from solvers.routing.portfolio import Portfolio, ProgressCallback, RoutingOptions, SolveOutcome
from solvers.routing.problem import RoutingProblem
from solvers.status import SolveReport

__all__ = [
    "ProgressCallback",
    "RoutingOptions",
    "SolveOutcome",
    "rescue_checked",
    "solve",
    "solve_checked",
]


def solve_checked(
    problem: RoutingProblem,
    deadline: Deadline,
    options: RoutingOptions | None = None,
    on_progress: ProgressCallback | None = None,
    on_checkpoint: Callable[[SolveOutcome], None] | None = None,
) -> SolveOutcome:
    """The best checked plan found by ``deadline``, with its report and evaluation.

    When no engine produces a plan that passes the checker, the outcome is the empty plan with
    status NO_SOLUTION_FOUND and every failure in ``fallback_reason``. ``on_checkpoint``
    receives every better checked plan found on the way (see Portfolio.on_checkpoint).
    """
    portfolio = Portfolio(problem, deadline, options or RoutingOptions(), on_progress)
    portfolio.on_checkpoint = on_checkpoint
    return portfolio.run()


def rescue_checked(
    problem: RoutingProblem, deadline: Deadline, options: RoutingOptions, why: str
) -> SolveOutcome:
    """The constructive plan alone, checked and flagged with ``why`` (see Portfolio.rescue)."""
    return Portfolio(problem, deadline, options).rescue(why)


def solve(
    problem: RoutingProblem,
    deadline: Deadline,
    options: RoutingOptions | None = None,
    on_progress: ProgressCallback | None = None,
) -> tuple[RoutingPlan, SolveReport]:
    """The checked plan and the report about it (for callers that need no evaluation)."""
    outcome = solve_checked(problem, deadline, options, on_progress)
    return outcome.plan, outcome.report
