"""PyVRP behind the engine protocol: build the data, search, read the plan back."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from solvers.budget import Deadline
from solvers.errors import SolverFailedError
from solvers.routing.break_clock import Clock, common_breaks
from solvers.routing.engine import Engine, EngineOptions, EngineResult, Improvement, PhaseTimer
from solvers.routing.engines.pyvrp.data import Layout, problem_data
from solvers.routing.engines.pyvrp.features import kept_stops, unsupported_features
from solvers.routing.engines.pyvrp.readback import plan_from, relaxed
from solvers.routing.plan import RoutingPlan, VisitKind
from solvers.routing.problem import RoutingProblem
from solvers.routing.reference_start import budgeted_start, has_reference
from solvers.status import SolverFamily

__all__ = ["DETERMINISTIC_ITERATIONS", "PyvrpEngine"]

#: Iterations of a deterministic run (the clock is ignored then).
DETERMINISTIC_ITERATIONS = 2000


class _Stop:
    """PyVRP stopping criterion: deadline, iteration cap and improvement reporting in one place."""

    def __init__(
        self,
        deadline: Deadline,
        max_iterations: int | None,
        on_improvement: Callable[[int, float], None] | None,
    ) -> None:
        self._deadline = deadline
        self._max_iterations = max_iterations
        self._on_improvement = on_improvement
        self._iterations = 0
        self._best: int | None = None
        self._started = time.monotonic()

    def __call__(self, best_cost: int) -> bool:
        self._iterations += 1
        if self._best is None or best_cost < self._best:
            self._best = best_cost
            if self._on_improvement is not None:
                self._on_improvement(best_cost, time.monotonic() - self._started)
        if self._max_iterations is not None:
            return self._iterations > self._max_iterations
        return self._deadline.expired()


class PyvrpEngine(Engine):
    """PyVRP behind the engine protocol.

    ``options.deterministic`` stops after ``DETERMINISTIC_ITERATIONS`` instead of at the
    deadline; ``options.settings["max_iterations"]`` sets that limit explicitly (and applies
    whatever ``deterministic`` says). Other settings keys are ignored. The search starts from
    ``options.start``, or for a re-plan from its reference plan with the new stops inserted
    (``solvers.routing.reference_start``), else from PyVRP's own. Improvements found on the
    way are reported to ``options.on_solution`` with PyVRP's cost in objective units (the
    relaxation's, breaks cut out) and no plan, since PyVRP's stopping criterion sees only the
    cost; the final plan follows when the search returns.
    """

    family = SolverFamily.PYVRP

    def unsupported(self, problem: RoutingProblem, exclude: frozenset[int]) -> list[str]:
        """What :func:`unsupported_features` finds."""
        return unsupported_features(problem, exclude)

    def solve(
        self, problem: RoutingProblem, deadline: Deadline, options: EngineOptions
    ) -> EngineResult:
        """The best plan PyVRP finds by ``deadline``; FEASIBLE, since PyVRP proves nothing."""
        max_iterations = options.settings.get("max_iterations")
        if max_iterations is None and options.deterministic:
            max_iterations = DETERMINISTIC_ITERATIONS
        timer = PhaseTimer()
        sink = options.on_solution
        start = options.start
        if start is None and has_reference(problem):
            with timer("reference"):
                start = budgeted_start(problem, options.exclude, deadline, options.deterministic)
        plan, cost = _solve(
            problem,
            deadline,
            options.seed,
            options.exclude,
            max_iterations,  # type: ignore[arg-type]
            None if sink is None else lambda cost, _: sink(Improvement(cost, 0)),
            timer,
            start,
        )
        if sink is not None:
            sink(Improvement(cost, len(plan.routes), plan))
        return EngineResult(plan=plan, engine="pyvrp", solutions=1, timings=timer.timings)


def _solve(
    problem: RoutingProblem,
    deadline: Deadline,
    seed: int,
    exclude: frozenset[int],
    max_iterations: int | None,
    on_improvement: Callable[[float, float], None] | None,
    timer: PhaseTimer,
    start: RoutingPlan | None = None,
) -> tuple[RoutingPlan, float]:
    """The plan, and PyVRP's own (scaled) cost of it."""
    try:
        import pyvrp
        from pyvrp.solve import SolveParams
    except ImportError as exc:  # optional dependency
        raise SolverFailedError("pyvrp: not installed") from exc
    reasons = unsupported_features(problem, exclude)
    if reasons:
        raise SolverFailedError("pyvrp: cannot model " + ", ".join(reasons))
    keep = kept_stops(problem, exclude)
    with timer("build"):
        clock = Clock.without(common_breaks(problem) or ())
        data, layout = problem_data(pyvrp, problem, keep, clock)
    stop_at = deadline
    if relaxed(problem):  # finishing the routes (breaks, last unloads) comes after the search
        stop_at = Deadline(deadline.at - min(0.2 * deadline.remaining(), 0.05 + 0.0002 * len(keep)))
    report = None
    if on_improvement is not None:
        scale = layout.scale

        def report(cost: int, elapsed: float) -> None:
            on_improvement(cost / scale, elapsed)

    with timer("search"):
        result = pyvrp.solve(
            data,
            stop=_Stop(stop_at, max_iterations, report),
            seed=seed % 2**32,  # PyVRP takes an unsigned 32-bit seed; the contract allows more
            collect_stats=False,
            display=False,
            params=SolveParams(),
            initial_solution=None if start is None else _initial(pyvrp, data, layout, start),
        )
    best = result.best
    if not best.is_feasible():
        raise SolverFailedError("pyvrp: no feasible solution within the budget")
    with timer("finish"):
        plan = plan_from(pyvrp, problem, best, keep, exclude, layout, clock)
    return plan, float(result.cost()) / layout.scale


def _initial(pyvrp: Any, data: Any, layout: Layout, start: RoutingPlan) -> Any | None:
    """``start`` as a PyVRP solution (None when PyVRP rejects it: it then builds its own).

    Stops become their first client copy, unloads their reload depot; breaks are not in the
    model (its clock has none) and the last unload is the virtual end's, so both are left out.
    Stops or vehicles the model does not have are dropped.
    """
    client_of: dict[int, int] = {}
    for client, stop in enumerate(layout.client_stop):
        client_of.setdefault(stop, client)
    type_of = {k: t for t, members in enumerate(layout.members) for k in members}
    routes = []
    for route in start.routes:
        if route.vehicle not in type_of:
            continue
        activities = []
        for visit in route.visits:
            if visit.kind is VisitKind.STOP and visit.ref in client_of:
                activities.append(pyvrp.Activity(pyvrp.ActivityType.CLIENT, client_of[visit.ref]))
            elif visit.kind is VisitKind.FACILITY:
                depot = layout.first_facility + visit.ref
                activities.append(pyvrp.Activity(pyvrp.ActivityType.DEPOT, depot))
        while activities and activities[-1].type == pyvrp.ActivityType.DEPOT:
            activities.pop()  # the last unload is the virtual end's
        if any(a.type == pyvrp.ActivityType.CLIENT for a in activities):
            routes.append(pyvrp.Route(data, activities, type_of[route.vehicle]))
    try:
        return pyvrp.Solution(data, routes)
    except (RuntimeError, ValueError, IndexError):
        return None
