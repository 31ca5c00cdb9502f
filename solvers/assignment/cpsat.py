"""CP-SAT back end for one stage model (coverage and churn once the flow fixed levels 1-3).

CP-SAT releases the GIL while it searches, so the server keeps answering other calls.
"""

from __future__ import annotations

import numpy as np
from ortools.sat.python import cp_model

from solvers.assignment.linear import StageModel, StageResult, groups_of
from solvers.errors import SolverFailedError
from solvers.status import Status


def solve_stage_cpsat(
    model: StageModel,
    time_limit: float,
    hint: np.ndarray | None = None,
    seed: int = 0,
    deterministic: bool = False,
    workers: int = 1,
) -> StageResult:
    """Solve the stage; SolverFailedError when CP-SAT raises or reports a model error."""
    arcs = model.arcs
    try:
        cp = cp_model.CpModel()
        x = [cp.new_bool_var(f"x{a}") for a in range(arcs.n_arcs)]
        must_use = set(model.must_use_units.tolist())
        must_fill = set(model.must_fill_groups.tolist())
        for members in groups_of(arcs.unit):
            if int(arcs.unit[members[0]]) in must_use:
                cp.add_exactly_one(x[a] for a in members)
            elif len(members) > 1:
                cp.add_at_most_one(x[a] for a in members)
        for members in groups_of(arcs.group):
            group = int(arcs.group[members[0]])
            count = int(arcs.group_count[group])
            if group in must_fill:
                cp.add(sum(x[a] for a in members) == count)
            elif len(members) > count:
                cp.add(sum(x[a] for a in members) <= count)
        if model.total is not None:
            cp.add(sum(x) == model.total)
        for a in model.forced_arcs.tolist():
            cp.add(x[a] == 1)
        for coefficients, value in model.fixed:
            nonzero = np.flatnonzero(coefficients)
            cp.add(
                cp_model.LinearExpr.weighted_sum(
                    [x[a] for a in nonzero], [int(coefficients[a]) for a in nonzero]
                )
                <= int(value)
            )
        shortfalls = []
        for members, base, minimum in zip(
            model.rule_members, model.rule_base, model.rule_min, strict=True
        ):
            s = cp.new_int_var(0, minimum, "s")
            cp.add(s + base - sum(x[a] for a in np.flatnonzero(members)) >= minimum)
            shortfalls.append(s)
        nonzero = np.flatnonzero(model.arc_objective)
        objective = cp_model.LinearExpr.weighted_sum(
            [x[a] for a in nonzero], [int(model.arc_objective[a]) for a in nonzero]
        )
        if shortfalls:
            objective = objective + model.shortfall_weight * sum(shortfalls)
        cp.minimize(objective)
        if hint is not None:
            for a in range(arcs.n_arcs):
                cp.add_hint(x[a], bool(hint[a]))

        solver = cp_model.CpSolver()
        params = solver.parameters
        params.num_workers = workers
        params.random_seed = int(seed) % (2**31)
        if deterministic:
            params.max_deterministic_time = max(time_limit, 0.0)
        params.max_time_in_seconds = max(time_limit, 0.0)
        status = solver.solve(cp)
    except Exception as exc:  # CP-SAT raises on model errors; callers fall back
        raise SolverFailedError(f"cp_sat raised {type(exc).__name__}: {exc}") from exc

    if status == cp_model.MODEL_INVALID:
        raise SolverFailedError("cp_sat: model invalid")
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return StageResult(None, Status.NO_SOLUTION_FOUND, None, None)
    used = np.array([solver.boolean_value(v) for v in x], dtype=bool)
    return StageResult(
        used,
        Status.OPTIMAL if status == cp_model.OPTIMAL else Status.FEASIBLE,
        float(solver.objective_value),
        float(solver.best_objective_bound),
    )
