"""OR-Tools routing behind the engine protocol (``solvers.routing.engine``)."""

from __future__ import annotations

from dataclasses import fields, replace

from solvers.budget import Deadline
from solvers.routing.engine import Engine, EngineOptions, EngineResult, PhaseTimer
from solvers.routing.engines.ortools.search import OrtoolsSettings, solve
from solvers.routing.problem import RoutingProblem
from solvers.status import SolverFamily, Status

#: Settings the protocol's own fields set; ``options.settings`` may not override them.
_FROM_OPTIONS = frozenset({"deterministic", "initial", "exclude"})
SETTING_NAMES = frozenset(f.name for f in fields(OrtoolsSettings)) - _FROM_OPTIONS


class OrtoolsEngine(Engine):
    """The OR-Tools routing search (see ``search.solve``) as an engine.

    ``options.settings`` keys are :class:`OrtoolsSettings` fields (``metaheuristic``,
    ``start``, ``gls_lambda``, ``solution_limit``, ``plan_every``); an unknown key raises
    ValueError, since a mistyped setting silently ignored would run a different search than
    asked for. ``options.seed`` is not used: OR-Tools' routing search takes no seed.
    Local search proves nothing, so the status is FEASIBLE at best. Nothing is unsupported: the
    model expresses every feature of the problem.
    """

    family = SolverFamily.ORTOOLS

    def solve(
        self, problem: RoutingProblem, deadline: Deadline, options: EngineOptions
    ) -> EngineResult:
        """The best plan found by ``deadline``; improving ones go to ``options.on_solution``."""
        timer = PhaseTimer()
        result = solve(problem, deadline, settings_of(options), options.on_solution, timer)
        return EngineResult(
            plan=result.plan,
            engine="ortools.routing",
            status=Status.FEASIBLE,
            strategy=result.strategy,
            solutions=result.solutions,
            timings=timer.timings,
        )


def settings_of(options: EngineOptions) -> OrtoolsSettings:
    """The search settings that ``options`` ask for."""
    unknown = set(options.settings) - SETTING_NAMES
    if unknown:
        raise ValueError(f"ortools: unknown settings {sorted(unknown)}")
    return replace(
        OrtoolsSettings(
            deterministic=options.deterministic, initial=options.start, exclude=options.exclude
        ),
        **options.settings,
    )
