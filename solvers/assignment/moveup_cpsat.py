"""Move-up with CP-SAT: the exact model of ``moveup_model`` (the reference engine).

CP-SAT proves the model on small and medium cases and is the second exact engine of the
portfolio (HiGHS, ``moveup_milp``, is faster at city size, where the zone rows are dense); the
tests hold both to full enumeration. ``y`` are bools here, counts ``x`` integers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from solvers.assignment.moveup import Move, MoveUpProblem
from solvers.assignment.moveup_model import SCALE, MoveModel, build_model
from solvers.errors import SolverFailedError
from solvers.status import Status

__all__ = ["ExactMoveUp", "solve_moveup_cpsat"]


@dataclass(frozen=True)
class ExactMoveUp:
    """An exact engine's moves, status and upper bound on coverage minus move cost."""

    moves: list[Move]
    status: Status
    bound: float | None


def _cp_model(model: MoveModel) -> tuple[cp_model.CpModel, list[cp_model.IntVar]]:
    cp = cp_model.CpModel()
    xs = [
        cp.new_int_var(0, int(upper), f"x{k}") for k, upper in enumerate(model.pair_upper.tolist())
    ]
    for pairs, limit in model.class_limits():
        cp.add(sum(xs[k] for k in pairs.tolist()) <= limit)
    if xs:
        cp.add(sum(xs) <= model.max_moves)
    terms: list[tuple[cp_model.IntVar, int]] = []
    for j, steps in enumerate(model.steps):
        ys = [(cp.new_bool_var(f"y{j}_{k}"), w) for k, w in enumerate(steps)]
        nz = np.flatnonzero(model.coef[:, j])
        moved = cp_model.LinearExpr.weighted_sum([xs[i] for i in nz], model.coef[nz, j].tolist())
        cp.add(sum(y for y, _ in ys) + moved <= int(model.rhs[j]))
        terms.extend((y, model.t * w) for y, w in ys)
    for var, d in zip(xs, model.travel.tolist(), strict=True):
        terms.append((var, -model.t * model.cost - d))
    if terms:
        cp.maximize(cp_model.LinearExpr.weighted_sum([v for v, _ in terms], [w for _, w in terms]))
    return cp, xs


def _hint(model: MoveModel, hint: list[Move]) -> dict[tuple[int, int], int]:
    class_of = {u: c for c, units in enumerate(model.classes) for u in units}
    counts: dict[tuple[int, int], int] = {}
    for move in hint:
        key = (class_of[move.unit], move.post)
        counts[key] = counts.get(key, 0) + 1
    return counts


def solve_moveup_cpsat(
    problem: MoveUpProblem,
    time_limit: float,
    hint: list[Move] | None = None,
    seed: int = 0,
    workers: int = 1,
    model: MoveModel | None = None,
) -> ExactMoveUp:
    """Solve exactly within ``time_limit`` s; SolverFailedError when CP-SAT raises.

    ``model``: the problem's ``build_model`` when the caller has it already (after HiGHS).
    """
    try:
        model = model or build_model(problem)
        cp, xs = _cp_model(model)
        hinted = _hint(model, hint or [])
        for k, var in enumerate(xs):
            key = (int(model.pair_class[k]), int(model.pair_post[k]))
            cp.add_hint(var, hinted.get(key, 0))
        solver = cp_model.CpSolver()
        solver.parameters.num_workers = workers
        solver.parameters.random_seed = int(seed) % (2**31)
        solver.parameters.max_time_in_seconds = max(time_limit, 0.0)
        status = solver.solve(cp)
    except Exception as exc:  # CP-SAT raises on model errors; the caller falls back
        raise SolverFailedError(f"cp_sat raised {type(exc).__name__}: {exc}") from exc
    if status == cp_model.MODEL_INVALID:
        raise SolverFailedError("cp_sat: move-up model invalid")
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return ExactMoveUp([], Status.NO_SOLUTION_FOUND, None)
    moves = model.moves(problem, [int(solver.value(v)) for v in xs])
    bound = model.value_bound(solver.best_objective_bound) if xs else model.constant / SCALE
    return ExactMoveUp(
        moves, Status.OPTIMAL if status == cp_model.OPTIMAL else Status.FEASIBLE, bound
    )
