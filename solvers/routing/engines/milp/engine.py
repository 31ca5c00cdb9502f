"""Running the model: limits checked up front, build, warm start, solve, read back, claims.

Declined (SolverFailedError, so the portfolio moves on): driver breaks, models larger than
:data:`MAX_ARCS` arcs, and models whose build alone would eat half the budget.

Status: OPTIMAL only when the solver proves optimality with a relative gap of at most
:data:`GAP_TOLERANCE` and the model prices the plan as the checker does; otherwise FEASIBLE
with the solver's bound (HiGHS) when the bound is in the contract's cost units.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import pulp

from solvers.budget import Deadline
from solvers.errors import DispatchError, SolverFailedError
from solvers.routing.checker import PlanEvaluation, evaluate
from solvers.routing.engine import Engine, EngineOptions, EngineResult, Improvement, PhaseTimer
from solvers.routing.engines.milp import readback
from solvers.routing.engines.milp.backends import BACKENDS, available_engine, make_solver
from solvers.routing.engines.milp.formulation import Formulation, formulate
from solvers.routing.engines.milp.graph import (
    MAX_ARCS,
    build_graph,
    count_arcs,
    count_stop_pairs,
    list_arcs,
)
from solvers.routing.engines.milp.warm_start import warm_start
from solvers.routing.plan import RoutingPlan
from solvers.routing.problem import RoutingProblem
from solvers.routing.soft_windows import has_soft_windows
from solvers.status import SolverFamily, Status

log = logging.getLogger(__name__)

#: Measured PuLP model-building cost per arc (about 50-80 us on the 2-core test machine), with
#: margin; a model whose estimated build time would eat half the budget is declined up front.
BUILD_SECONDS_PER_ARC = 1e-4
#: Share of the remaining budget the greedy warm start may use.
WARM_START_SHARE = 0.2


@dataclass(frozen=True)
class _Solved:
    """A checked plan and the claims the solver's answer supports."""

    plan: RoutingPlan
    evaluation: PlanEvaluation
    engine: str
    status: Status
    bound: float | None


class MilpEngine(Engine):
    """The exact fallback for small problems, behind the engine protocol.

    ``options.settings["engine"]`` ("pulp.highs" or "pulp.cbc") overrides
    :func:`available_engine`; other settings keys are ignored, as are ``options.start`` (the
    model starts from its own greedy plan, which respects its symmetry breaking) and
    ``options.deterministic`` (neither back end offers a work limit through PuLP).
    """

    family = SolverFamily.MILP

    def unsupported(self, problem: RoutingProblem, exclude: frozenset[int]) -> list[str]:
        """Breaks, soft time windows, and models over :data:`MAX_ARCS` arcs; the budget is
        judged in ``solve``."""
        if any(v.breaks for v in problem.vehicles):
            return ["driver breaks"]
        if has_soft_windows(problem):
            return ["soft time windows"]
        # Large requests are told apart on the stops alone, before any facility copy exists.
        pairs = count_stop_pairs(build_graph(problem, exclude, facility_copies=False))
        if pairs > MAX_ARCS:
            return [f"at least {pairs} arcs, more than {MAX_ARCS}"]
        arcs = count_arcs(build_graph(problem, exclude))
        return [f"{arcs} arcs, more than {MAX_ARCS}"] if arcs > MAX_ARCS else []

    def solve(
        self, problem: RoutingProblem, deadline: Deadline, options: EngineOptions
    ) -> EngineResult:
        """The best plan by ``deadline``; OPTIMAL with the plan's cost as bound when proven."""
        timer = PhaseTimer()
        try:
            solved = _solve(
                problem,
                deadline,
                options.seed,
                options.exclude,
                options.settings.get("engine"),  # type: ignore[arg-type]
                timer,
            )
        except DispatchError:
            raise
        except Exception as exc:  # a fallback must not take the service down
            raise SolverFailedError(f"milp: {type(exc).__name__}: {exc}") from exc
        bound = solved.bound
        if solved.status is Status.OPTIMAL:
            bound = solved.evaluation.cost
        if bound is not None and not math.isfinite(bound):
            bound = None
        if options.on_solution is not None:
            # The solver reports no incumbents on the way; the final plan is the one improvement.
            options.on_solution(
                Improvement(solved.evaluation.cost, len(solved.plan.routes), solved.plan)
            )
        return EngineResult(
            plan=solved.plan,
            engine=solved.engine,
            status=solved.status,
            bound=bound,
            solutions=1,
            timings=timer.timings,
        )


def _solve(
    problem: RoutingProblem,
    deadline: Deadline,
    seed: int,
    exclude: frozenset[int],
    engine: str | None,
    timer: PhaseTimer,
) -> _Solved:
    if any(v.breaks for v in problem.vehicles):
        raise SolverFailedError("milp: does not model breaks")
    if has_soft_windows(problem):
        raise SolverFailedError("milp: does not model soft time windows")
    if deadline.expired():
        raise SolverFailedError("milp: no time left")
    with timer("build"):
        model = _build(problem, exclude, deadline)
        engine = engine or available_engine()
        if engine not in BACKENDS:
            raise SolverFailedError(f"milp: unknown engine {engine!r}")
        start = warm_start(model, Deadline.after(WARM_START_SHARE * deadline.remaining()))
    time_limit = deadline.remaining()
    if time_limit <= 0.01:
        raise SolverFailedError("milp: no time left after building the model")
    with timer("solve"):
        _run_solver(model.lp, make_solver(engine, time_limit, seed, start), engine, time_limit)
    with timer("readback"):
        reading = readback.read_plan(model)
        evaluation = evaluate(problem, reading.plan)
        status, bound = readback.status_and_bound(model, engine, reading)
        status, bound = _honest(status, bound, readback.model_cost(model, reading), evaluation)
    return _Solved(reading.plan, evaluation, engine, status, bound)


def _build(problem: RoutingProblem, exclude: frozenset[int], deadline: Deadline) -> Formulation:
    """The model, unless it is too large for the limits or for the time left."""
    graph = build_graph(problem, exclude)
    n_arcs = count_arcs(graph)
    if n_arcs > MAX_ARCS:
        raise SolverFailedError(
            f"milp: model too large ({len(graph.stops)} stops, {len(problem.vehicles)} vehicles)"
        )
    if n_arcs * BUILD_SECONDS_PER_ARC > 0.5 * deadline.remaining():
        raise SolverFailedError(
            f"milp: building a {n_arcs}-arc model would not leave time to solve it"
        )
    return formulate(graph, list_arcs(graph), exclude)


def _run_solver(lp: pulp.LpProblem, solver: pulp.LpSolver, engine: str, time_limit: float) -> None:
    """Solve; an answer without an integer solution is a failure."""
    try:
        lp.solve(solver)
    except pulp.PulpSolverError as exc:
        raise SolverFailedError(f"milp: {engine} failed: {exc}") from exc
    if lp.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        raise SolverFailedError(
            f"milp: {engine} found no solution within {time_limit:.2f} s "
            f"({pulp.LpStatus[lp.status]})"
        )


def _honest(
    status: Status, bound: float | None, model_cost: float | None, evaluation: PlanEvaluation
) -> tuple[Status, float | None]:
    """The claims, withdrawn when the model prices the plan differently from the checker.

    The proof is about the model; if the model prices this plan differently from the checker,
    the proof does not carry over to the contract's objective. (A merely feasible incumbent may
    be priced higher by the model: its times can have slack.)
    """
    cost = evaluation.cost
    tolerance = 1e-6 * max(1.0, abs(cost))
    if model_cost is not None and (
        cost > model_cost + tolerance
        or (status is Status.OPTIMAL and cost < model_cost - tolerance)
    ):
        log.warning("milp: model cost %.6f differs from checked cost %.6f", model_cost, cost)
        return Status.FEASIBLE, None
    return status, bound
