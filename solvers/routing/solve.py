"""The routing portfolio: one entry point that picks engines, falls back and checks the result.

Order (``solver`` AUTO): OR-Tools routing first; when OR-Tools fails, finds nothing, or its plan
is rejected by the checker, the MILP fallback (``solvers.routing.engines.milp``) gets the time
that is left. A caller may ask for one family (ORTOOLS, MILP, PYVRP); the fallback still
applies when the chosen engine produces nothing usable, and the answer says why. Every returned
plan has passed the independent checker (``solvers.routing.checker``); the reported objective
and its terms are the checker's, never a solver's own figure.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from solvers.budget import Deadline
from solvers.errors import DispatchError, PlanRejectedError, SolverFailedError
from solvers.routing import companion, multitrip, ortools_model
from solvers.routing.checker import evaluate, rank, skipped_mandatory
from solvers.routing.companion import Companion
from solvers.routing.engines import pyvrp as pyvrp_engine
from solvers.routing.plan import PlanEvaluation, RoutingPlan, SkipReason
from solvers.routing.problem import RoutingProblem
from solvers.status import SolveReport, SolverFamily, Status, relative_gap

__all__ = ["ProgressCallback", "RoutingOptions", "SolveOutcome", "solve", "solve_checked"]

log = logging.getLogger(__name__)

#: Facility problems up to this many stops get OR-Tools' insertion start on the second core
#: (see _ortools_companion); measured on the Kim instances between 200 and 800 stops.
INSERTION_COMPANION_UP_TO = 500

#: PyVRP takes the second core for disposal-trip problems only when its limits on trips keep at
#: least this share of the daily and the trip capacity (multitrip.load_kept). Kim: 277, 444,
#: 804, 1051, 1351, 1599, 1932 and 2100 keep 92-100 %. The two below rest the boundary: 335
#: keeps 82 % and PyVRP alone reached 183.4 miles at 57 s against 186.8 from the OR-Tools
#: portfolio; 102 keeps 71 % and PyVRP reached 153.1 against OR-Tools' 150.6.
PYVRP_TRIPS_MIN_LOAD_KEPT = 0.8

#: on_progress(objective, vehicles_used, solutions_found) for each improving solution found.
ProgressCallback = Callable[[float, int, int], None]


@dataclass(frozen=True)
class RoutingOptions:
    """What the caller asked for: engine family, seed, reproducibility, a warm start."""

    solver: SolverFamily = SolverFamily.AUTO
    seed: int = 0
    deterministic: bool = False
    initial: RoutingPlan | None = None


@dataclass(frozen=True)
class SolveOutcome:
    """A checked plan, the report about it and the checker's evaluation (for the answer)."""

    plan: RoutingPlan
    report: SolveReport
    evaluation: PlanEvaluation


def _reserve(deadline: Deadline, problem: RoutingProblem) -> float:
    """Seconds kept back for reading the plans, checking them and building the answer.

    Measured: the checker takes ~15 ms on 1000 stops and ~25 ms on 2100 (two candidates are
    checked), reading a plan back a few ms more; 0.1 s plus 0.2 ms per stop covers that with a
    wide margin. Every tenth of a second kept back is search time lost at a 10 s budget.
    """
    return min(0.1 * deadline.remaining(), 0.1 + 0.0002 * len(problem.stops))


def _precheck(problem: RoutingProblem) -> dict[int, SkipReason]:
    """Stops the checker engineer's cheap pre-check proves unservable (empty if unavailable)."""
    try:
        from solvers.routing import feasibility
    except ImportError:
        return {}
    return dict(feasibility.prefilter(problem))


def _run_ortools(
    problem: RoutingProblem,
    deadline: Deadline,
    options: RoutingOptions,
    excluded: dict[int, SkipReason],
    on_progress: ProgressCallback | None,
) -> tuple[RoutingPlan, str]:
    counter = [0]

    def on_solution(objective: float, used: int) -> None:
        counter[0] += 1
        if on_progress is not None:
            on_progress(objective, used, counter[0])

    solver_deadline = Deadline(deadline.at - _reserve(deadline, problem))
    result = ortools_model.solve(
        problem,
        solver_deadline,
        ortools_model.OrtoolsSettings(
            deterministic=options.deterministic,
            initial=options.initial,
            exclude=frozenset(excluded),
        ),
        on_solution=on_solution,
    )
    return result.plan, f"{result.engine}:{result.strategy}"


def _run_milp(
    problem: RoutingProblem, deadline: Deadline, excluded: dict[int, SkipReason], seed: int = 0
) -> tuple[RoutingPlan, SolveReport]:
    try:
        from solvers.routing.engines import milp
    except ImportError as exc:
        raise SolverFailedError("milp: fallback not available") from exc
    solver_deadline = Deadline(deadline.at - _reserve(deadline, problem))
    try:
        return milp.solve(problem, solver_deadline, seed=seed, exclude=frozenset(excluded))
    except DispatchError:
        raise
    except Exception as exc:  # a fallback must not take the service down
        raise SolverFailedError(f"milp: {type(exc).__name__}: {exc}") from exc


def _run_pyvrp(
    problem: RoutingProblem,
    deadline: Deadline,
    options: RoutingOptions,
    excluded: dict[int, SkipReason],
) -> RoutingPlan:
    solver_deadline = Deadline(deadline.at - _reserve(deadline, problem))
    plan, _ = pyvrp_engine.solve(
        problem,
        solver_deadline,
        seed=options.seed,
        exclude=frozenset(excluded),
        max_iterations=2000 if options.deterministic else None,
    )
    return plan


def _checked(
    problem: RoutingProblem, plan: RoutingPlan, excluded: dict[int, SkipReason]
) -> tuple[RoutingPlan, PlanEvaluation]:
    """Merge pre-check skips into the plan and verify it; raise PlanRejectedError if broken."""
    skipped = dict(plan.skipped)
    for stop, reason in excluded.items():
        skipped.setdefault(stop, reason)
    plan = RoutingPlan(routes=plan.routes, skipped=skipped)
    evaluation = evaluate(problem, plan)
    if not evaluation.feasible:
        raise PlanRejectedError([v.detail or v.type.value for v in evaluation.violations])
    return plan, evaluation


def solve_checked(
    problem: RoutingProblem,
    deadline: Deadline,
    options: RoutingOptions | None = None,
    on_progress: ProgressCallback | None = None,
) -> SolveOutcome:
    """Solve, fall back when needed, and return a checker-verified plan with its evaluation.

    With AUTO and a budget worth it, a companion process solves the same problem beside
    OR-Tools on the other core: PyVRP when it can model the request exactly, otherwise OR-Tools
    configured differently (:func:`_ortools_companion`); the better checked plan is returned. When
    no engine produces a plan that passes the checker, the outcome is the empty plan with status
    NO_SOLUTION_FOUND and every failure in ``fallback_reason``.
    """
    options = options or RoutingOptions()
    started = time.monotonic()
    excluded = _precheck(problem)
    failures: list[str] = []
    beside = _start_companion(problem, deadline, options, excluded)
    try:
        for family in _engine_order(options.solver):
            if deadline.expired() and failures and family is not SolverFamily.GREEDY:
                failures.append(f"{family.value.lower()}: no time left")
                continue
            outcome = _attempt(
                family, problem, deadline, options, excluded, on_progress, failures, started
            )
            if family is SolverFamily.ORTOOLS and beside is not None:
                outcome = _better(
                    problem,
                    outcome,
                    _collect(beside, problem, deadline, excluded, failures, started),
                )
                beside = None
            if family is SolverFamily.ORTOOLS:
                outcome = _or_constructed(problem, outcome, deadline, options, excluded, started)
            if outcome is not None:
                return outcome
        return _nothing_found(problem, options, excluded, failures, started)
    finally:
        if beside is not None:
            beside.cancel()
        companion.replenish()


def _attempt(
    family: SolverFamily,
    problem: RoutingProblem,
    deadline: Deadline,
    options: RoutingOptions,
    excluded: dict[int, SkipReason],
    on_progress: ProgressCallback | None,
    failures: list[str],
    started: float,
) -> SolveOutcome | None:
    """One engine, checked; None (and a line in ``failures``) when it gave nothing valid."""
    try:
        plan, engine, status, bound = _run(
            family, problem, deadline, options, excluded, on_progress
        )
        plan, evaluation = _checked(problem, plan, excluded)
    except PlanRejectedError as exc:
        log.error("%s plan rejected by the checker: %s", family.value, exc)
        failures.append(f"{family.value.lower()}: plan rejected by the checker ({exc})")
        return None
    except SolverFailedError as exc:
        failures.append(str(exc))
        return None
    return _outcome(family, engine, status, bound, plan, evaluation, failures, started)


def _outcome(
    family: SolverFamily,
    engine: str,
    status: Status,
    bound: float | None,
    plan: RoutingPlan,
    evaluation: PlanEvaluation,
    failures: list[str],
    started: float,
) -> SolveOutcome:
    cost = evaluation.cost
    gap = relative_gap(cost, bound) if bound is not None else None
    report = SolveReport(
        family=family,
        engine=engine,
        status=status,
        objective=cost,
        bound=bound,
        gap=gap,
        wall_time=time.monotonic() - started,
        fallback_reason="; ".join(failures) + (f"; used {engine}" if failures else ""),
        objective_terms=dict(evaluation.cost_terms),
    )
    return SolveOutcome(plan, report, evaluation)


def _ortools_companion(
    problem: RoutingProblem, excluded: dict[int, SkipReason]
) -> dict[str, object]:
    """OrtoolsSettings overrides for the OR-Tools search on the other core.

    It differs from the worker's search, so the better of the two is worth a core; the worker's
    own search is always the default one, so a companion that fails costs nothing. Without
    facilities: iterated local search here, guided local search there. With facilities and up
    to ``CONSTRUCT_ONLY_ABOVE`` stops: here the default 60/40 split between the insertion start
    and the constructed multi-trip start, there the constructed start for the whole budget.
    Up to ``INSERTION_COMPANION_UP_TO`` stops the other core searches from OR-Tools' insertion
    start with iterated local search (Kim at 30 s: 335_stop 187.4 miles against 193.6 from the
    constructed start; 277 and 444 better from the constructed start; at 804 insertion needs a
    sixth truck and at 1932 it leaves 578 stops out, so it would lose every time above). Above
    it both search from the constructed start, with guided local search penalties of different
    strength.
    """
    if not problem.facilities:
        return {"metaheuristic": "gls"}
    n_stops = len(problem.stops) - len(excluded)
    if n_stops <= ortools_model.CONSTRUCT_ONLY_ABOVE:
        return {"start": "construct"}
    if n_stops <= INSERTION_COMPANION_UP_TO:
        return {"start": "insertion"}
    return {"gls_lambda": 0.1}


def _start_companion(
    problem: RoutingProblem,
    deadline: Deadline,
    options: RoutingOptions,
    excluded: dict[int, SkipReason],
) -> Companion | None:
    """Start the second-core solve when time allows.

    PyVRP when it models the request well (:func:`_pyvrp_fits`), else a differently
    configured OR-Tools. Not in deterministic mode (both stop on the wall clock here) and not
    with a warm start (the worker's OR-Tools reads it).
    """
    if options.solver is not SolverFamily.AUTO or options.deterministic or options.initial:
        return None
    if deadline.remaining() < companion.MIN_SECONDS:
        return None
    solver_deadline = Deadline(deadline.at - _reserve(deadline, problem))
    seed, exclude = options.seed, frozenset(excluded)
    try:
        if _pyvrp_fits(problem, exclude):
            return Companion(problem, solver_deadline, seed, exclude)
        settings = _ortools_companion(problem, excluded)
        return Companion(problem, solver_deadline, seed, exclude, "ortools", settings)
    except OSError:
        log.warning("companion did not start", exc_info=True)
        return None


def _pyvrp_fits(problem: RoutingProblem, exclude: frozenset[int]) -> bool:
    """True when PyVRP models the request well enough to be worth the second core."""
    if pyvrp_engine.unsupported_features(problem, exclude):
        return False
    return not problem.facilities or multitrip.load_kept(problem) >= PYVRP_TRIPS_MIN_LOAD_KEPT


def _collect(
    handle: Companion,
    problem: RoutingProblem,
    deadline: Deadline,
    excluded: dict[int, SkipReason],
    failures: list[str],
    started: float,
) -> SolveOutcome | None:
    """The companion's plan, checked (None when it failed or was rejected)."""
    try:
        plan = handle.result(deadline)
        plan, evaluation = _checked(problem, plan, excluded)
    except PlanRejectedError as exc:
        log.error("%s companion plan rejected by the checker: %s", handle.engine, exc)
        return None
    except SolverFailedError as exc:
        log.info("%s companion: %s", handle.engine, exc)
        return None
    if handle.engine == "ortools":
        family, engine = SolverFamily.ORTOOLS, "ortools.routing"
    else:
        family, engine = SolverFamily.PYVRP, "pyvrp"
    return _outcome(family, engine, Status.FEASIBLE, None, plan, evaluation, failures, started)


def _or_constructed(
    problem: RoutingProblem,
    outcome: SolveOutcome | None,
    deadline: Deadline,
    options: RoutingOptions,
    excluded: dict[int, SkipReason],
    started: float,
) -> SolveOutcome | None:
    """The outcome, or the constructive plan when that serves more mandatory stops.

    Local search may settle for dropping mandatory stops (at a penalty) where the constructive
    heuristic, in milliseconds, serves them all.
    """
    if not _leaves_out_servable(problem, outcome, excluded):
        return outcome
    assert outcome is not None
    why = [f"{outcome.report.engine}: left {len(outcome.evaluation.skipped)} stops out"]
    constructed = _attempt(
        SolverFamily.GREEDY, problem, deadline, options, excluded, None, why, started
    )
    return _better(problem, outcome, constructed)


def _leaves_out_servable(
    problem: RoutingProblem, outcome: SolveOutcome | None, excluded: dict[int, SkipReason]
) -> bool:
    """True when the plan skips a mandatory stop that the pre-check did not rule out."""
    if outcome is None:
        return False
    return any(i not in excluded for i in skipped_mandatory(problem, outcome.evaluation))


def _better(
    problem: RoutingProblem, first: SolveOutcome | None, second: SolveOutcome | None
) -> SolveOutcome | None:
    """The better of two checked outcomes (the first on ties)."""
    if first is None:
        return second
    if second is None:
        return first
    better = rank(problem, second.evaluation) < rank(problem, first.evaluation)
    return second if better else first


def _nothing_found(
    problem: RoutingProblem,
    options: RoutingOptions,
    excluded: dict[int, SkipReason],
    failures: list[str],
    started: float,
) -> SolveOutcome:
    """No engine produced a valid plan: answer the empty plan, honestly labelled.

    Every stop is reported as skipped (with its pre-check reason, or NO_CAPACITY_LEFT: no room
    was found in the time budget), so the answer is still data the checker accepts.
    """
    skipped = {i: SkipReason.NO_CAPACITY_LEFT for i in range(len(problem.stops))}
    skipped.update(excluded)
    for i, stop in enumerate(problem.stops):
        if stop.optional and i not in excluded:
            skipped[i] = SkipReason.NO_CAPACITY_LEFT
    plan = RoutingPlan(routes=(), skipped=skipped)
    evaluation = evaluate(problem, plan)
    report = SolveReport(
        family=options.solver if options.solver is not SolverFamily.AUTO else SolverFamily.ORTOOLS,
        engine="none",
        status=Status.NO_SOLUTION_FOUND,
        objective=evaluation.cost,
        wall_time=time.monotonic() - started,
        fallback_reason="; ".join(failures),
        objective_terms=dict(evaluation.cost_terms),
    )
    return SolveOutcome(plan, report, evaluation)


def _engine_order(choice: SolverFamily) -> list[SolverFamily]:
    """Engines to try in order; the constructive heuristic is always the last resort."""
    if choice is SolverFamily.MILP:
        return [SolverFamily.MILP, SolverFamily.ORTOOLS, SolverFamily.GREEDY]
    if choice is SolverFamily.PYVRP:
        return [SolverFamily.PYVRP, SolverFamily.ORTOOLS, SolverFamily.MILP, SolverFamily.GREEDY]
    if choice is SolverFamily.GREEDY:
        return [SolverFamily.GREEDY, SolverFamily.ORTOOLS]
    return [SolverFamily.ORTOOLS, SolverFamily.MILP, SolverFamily.GREEDY]


def _run(
    family: SolverFamily,
    problem: RoutingProblem,
    deadline: Deadline,
    options: RoutingOptions,
    excluded: dict[int, SkipReason],
    on_progress: ProgressCallback | None,
) -> tuple[RoutingPlan, str, Status, float | None]:
    """One engine: (plan, engine name, status it can claim, proven bound or None)."""
    if family is SolverFamily.ORTOOLS:
        plan, _ = _run_ortools(problem, deadline, options, excluded, on_progress)
        # Local search proves nothing: routing plans from OR-Tools are FEASIBLE at best.
        return plan, "ortools.routing", Status.FEASIBLE, None
    if family is SolverFamily.MILP:
        plan, report = _run_milp(problem, deadline, excluded, options.seed)
        status = (
            report.status
            if report.status in (Status.OPTIMAL, Status.FEASIBLE)
            else (Status.FEASIBLE)
        )
        bound = report.bound if report.bound is not None and math.isfinite(report.bound) else None
        return plan, report.engine or "pulp", status, bound
    if family is SolverFamily.PYVRP:
        return _run_pyvrp(problem, deadline, options, excluded), "pyvrp", Status.FEASIBLE, None
    if family is SolverFamily.GREEDY:
        # ~0.1 s per constructed plan at 2000 stops, and only one once the deadline has passed:
        # it runs even then, since an answer slightly late beats none (the service keeps a
        # margin for this).
        plan = ortools_model.greedy_plan(
            problem, frozenset(excluded), None if options.deterministic else deadline
        )
        return plan, "greedy.construct", Status.FEASIBLE, None
    raise SolverFailedError(f"{family.value.lower()}: not a routing engine")


def solve(
    problem: RoutingProblem,
    deadline: Deadline,
    options: RoutingOptions | None = None,
    on_progress: ProgressCallback | None = None,
) -> tuple[RoutingPlan, SolveReport]:
    """The portfolio entry point: a checker-verified plan and the report about it."""
    outcome = solve_checked(problem, deadline, options, on_progress)
    return outcome.plan, outcome.report
