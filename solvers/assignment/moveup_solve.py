"""Move-up entry point: HiGHS (exact MILP) first, CP-SAT next, greedy last; every answer checked.

Greedy always runs first (milliseconds): it is the answer when no exact engine finishes and it
hints CP-SAT. The exact engines get what is left of the deadline after a reserve for the
caller; the first one that returns a plan answers. OPTIMAL only when that engine proved it;
otherwise the better checked answer of it and greedy is FEASIBLE, and ``fallback_reason`` says
why. Fault injection: ``"moveup_milp"`` and ``"moveup_cp_sat"`` in ``faults`` make those
engines fail through the real failure path.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

from solvers.assignment.moveup import Move, MoveUpProblem
from solvers.assignment.moveup_check import MoveUpEvaluation, check_moves
from solvers.assignment.moveup_cpsat import ExactMoveUp, solve_moveup_cpsat
from solvers.assignment.moveup_greedy import solve_greedy_moveup
from solvers.assignment.moveup_milp import solve_moveup_milp
from solvers.assignment.moveup_model import MoveModel, build_model
from solvers.budget import Deadline
from solvers.errors import PlanRejectedError, SolverFailedError
from solvers.status import SolveReport, SolverFamily, Status, relative_gap

__all__ = ["MoveUpResult", "solve_moveup"]

#: Below this many seconds left an exact engine is not started (its build alone takes ms).
_MIN_EXACT_SECONDS = 0.005
#: Objective differences below this (calls per hour) are ties: CP-SAT rounds to 1e-4.
_TIE = 1e-3


@dataclass(frozen=True, eq=False)
class MoveUpResult:
    """Checked moves, their recomputed coverage figures and the solve report."""

    moves: list[Move]
    evaluation: MoveUpEvaluation
    report: SolveReport


def _terms(e: MoveUpEvaluation) -> dict[str, float]:
    return {
        "coverage_before_dispatch": e.before_dispatch,
        "coverage_after_dispatch": e.after_dispatch,
        "coverage_after_moves": e.after_moves,
        "moves": float(e.moves),
        "move_travel_seconds": float(e.travel),
    }


def _report(
    engine: str, status: Status, e: MoveUpEvaluation, start: float, reason: str = ""
) -> SolveReport:
    families = {
        "highs": SolverFamily.MILP,
        "ortools.cp_sat": SolverFamily.ORTOOLS,
        "none": SolverFamily.AUTO,  # max_moves 0: nothing to choose, nothing solved
    }
    family = families.get(engine, SolverFamily.GREEDY)
    return SolveReport(
        family=family,
        engine=engine,
        status=status,
        objective=e.objective,
        wall_time=time.perf_counter() - start,
        fallback_reason=reason,
        objective_terms=_terms(e),
        degraded_reason=reason,
    )


def _milp(
    problem: MoveUpProblem, model: MoveModel, limit: float, hint: list[Move], seed: int
) -> ExactMoveUp:
    return solve_moveup_milp(problem, limit, seed=seed, model=model)


def _cp_sat(
    problem: MoveUpProblem, model: MoveModel, limit: float, hint: list[Move], seed: int
) -> ExactMoveUp:
    return solve_moveup_cpsat(problem, limit, hint=hint, seed=seed, model=model)


#: (engine name, fault name, solve function), in the order they are tried.
_ENGINES = (("highs", "moveup_milp", _milp), ("ortools.cp_sat", "moveup_cp_sat", _cp_sat))


def solve_moveup(
    problem: MoveUpProblem,
    deadline: Deadline,
    *,
    seed: int = 0,
    reserve: float = 0.0,
    faults: frozenset[str] = frozenset(),
) -> MoveUpResult:
    """The best checked moves found before ``deadline`` (OPTIMAL when an exact engine proved
    them)."""
    start = time.perf_counter()
    greedy = solve_greedy_moveup(problem)
    greedy_eval = check_moves(problem, greedy)
    if problem.max_moves == 0:
        return MoveUpResult(
            greedy, greedy_eval, _report("none", Status.OPTIMAL, greedy_eval, start)
        )
    reasons: list[str] = []
    model = build_model(problem)  # once: CP-SAT reuses it when HiGHS fails or runs out of time
    for name, fault, engine in _ENGINES:
        limit = deadline.share(1.0, reserve)
        if limit < _MIN_EXACT_SECONDS:
            reasons.append(f"{name}: no time left ({limit * 1000:.1f} ms)")
            break
        try:
            if fault in faults:
                raise SolverFailedError(f"{name}: injected fault")
            exact = engine(problem, model, limit, greedy, seed)
            if exact.status == Status.NO_SOLUTION_FOUND:
                raise SolverFailedError(f"{name}: no solution within {limit:.3f} s")
            exact_eval = check_moves(problem, exact.moves)
        except (SolverFailedError, PlanRejectedError) as exc:
            reasons.append(str(exc))
            continue
        return _exact(name, exact, exact_eval, (greedy, greedy_eval), start, reasons, limit)
    return _greedy(greedy, greedy_eval, start, "; ".join([*reasons, "used greedy"]))


def _exact(
    name: str,
    exact: ExactMoveUp,
    evaluation: MoveUpEvaluation,
    greedy: tuple[list[Move], MoveUpEvaluation],
    start: float,
    reasons: list[str],
    limit: float,
) -> MoveUpResult:
    """The exact engine's answer, or greedy's when the engine did not prove a better one."""
    proved = exact.status == Status.OPTIMAL
    if not proved:
        reasons = [*reasons, f"{name}: not proved within {limit:.3f} s"]
        if greedy[1].objective > evaluation.objective + _TIE:
            return _greedy(*greedy, start, "; ".join([*reasons, "greedy was better"]))
    report = _report(name, exact.status, evaluation, start, "; ".join(reasons))
    if exact.bound is not None:
        # The bound is on the rounded objective: never below what the checker recomputed.
        bound = max(exact.bound, evaluation.objective)
        gap = 0.0 if proved else relative_gap(-evaluation.objective, -bound)  # maximised
        report = replace(report, bound=bound, gap=gap)
    return MoveUpResult(exact.moves, evaluation, report)


def _greedy(
    moves: list[Move], evaluation: MoveUpEvaluation, start: float, reason: str
) -> MoveUpResult:
    report = _report("greedy", Status.FEASIBLE, evaluation, start, reason)
    return MoveUpResult(moves, evaluation, report)
