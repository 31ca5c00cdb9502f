"""PuLP back end (HiGHS through highspy when installed, CBC otherwise) for the stage models.

The fallback when OR-Tools fails, and the engine behind solver=MILP. Without a flow to fix
levels 1-3 it solves the objective stage by stage (``solve_staged_milp``), one stage per
component of ``levels.components`` (fill; late slots of each priority level; response), fixing
each optimum before the next; each stage's coefficients stay small (no big-M weights), so float
tolerances cannot trade one level for another. Relative and absolute gaps are set to zero:
OPTIMAL means proven.
"""

from __future__ import annotations

import itertools
import os
import sys
from dataclasses import dataclass

import numpy as np
import pulp

from solvers.assignment.arcs import Arcs
from solvers.assignment.levels import CHURN, Component, components
from solvers.assignment.linear import StageModel, StageResult, groups_of, stage_model
from solvers.assignment.model import AssignmentProblem
from solvers.budget import Deadline
from solvers.errors import SolverFailedError
from solvers.status import Status

_counter = itertools.count()


def _silence_highs_banner() -> None:
    """HiGHS prints a licence banner on the process's stdout the first time a solver object
    is created, whatever the options; that would corrupt ``dispatch solve``'s JSON on stdout.
    Create the first one here, at import, with file descriptor 1 pointed at /dev/null."""
    try:
        import highspy
    except ImportError:
        return
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


_silence_highs_banner()


def milp_engine(preference: str = "auto") -> str:
    """``"pulp.highs"`` when HiGHS is usable (and not excluded), else ``"pulp.cbc"``."""
    if preference in ("auto", "highs") and pulp.HiGHS(msg=False).available():
        return "pulp.highs"
    if preference == "highs":
        raise SolverFailedError("HiGHS (highspy) is not available")
    return "pulp.cbc"


def _solver(engine: str, time_limit: float) -> pulp.LpSolver:
    limit = max(time_limit, 0.01)
    if engine == "pulp.highs":
        return pulp.HiGHS(msg=False, timeLimit=limit, gapRel=0.0, gapAbs=0.0, threads=1)
    return pulp.PULP_CBC_CMD(msg=False, timeLimit=limit, gapRel=0.0, gapAbs=0.0, threads=1)


def solve_stage_milp(
    model: StageModel, time_limit: float, engine: str, hint: np.ndarray | None = None
) -> StageResult:
    """Solve one stage with PuLP; SolverFailedError when the engine raises."""
    del hint  # PuLP's warm start is engine-specific; the stage models here solve at the root
    arcs = model.arcs
    if arcs.n_arcs == 0 and not model.rule_members:
        return StageResult(np.zeros(0, dtype=bool), Status.OPTIMAL, 0.0, 0.0)
    try:
        prob = pulp.LpProblem(f"assign_{next(_counter)}", pulp.LpMinimize)
        x = [prob.add_variable(f"x{a}", 0, 1, pulp.LpBinary) for a in range(arcs.n_arcs)]
        must_use = set(model.must_use_units.tolist())
        must_fill = set(model.must_fill_groups.tolist())
        for members in groups_of(arcs.unit):
            expr = pulp.LpAffineExpression([(x[a], 1) for a in members])
            if int(arcs.unit[members[0]]) in must_use:
                prob += expr == 1
            elif len(members) > 1:
                prob += expr <= 1
        for members in groups_of(arcs.group):
            group = int(arcs.group[members[0]])
            count = int(arcs.group_count[group])
            expr = pulp.LpAffineExpression([(x[a], 1) for a in members])
            if group in must_fill:
                prob += expr == count
            elif len(members) > count:
                prob += expr <= count
        if model.total is not None:
            prob += pulp.LpAffineExpression([(v, 1) for v in x]) == model.total
        for a in model.forced_arcs.tolist():
            x[a].lowBound = 1
        for coefficients, value in model.fixed:
            nonzero = np.flatnonzero(coefficients)
            prob += pulp.LpAffineExpression([(x[a], int(coefficients[a])) for a in nonzero]) <= int(
                value
            )
        terms = [(x[a], int(model.arc_objective[a])) for a in np.flatnonzero(model.arc_objective)]
        for r, (members, base, minimum) in enumerate(
            zip(model.rule_members, model.rule_base, model.rule_min, strict=True)
        ):
            s = prob.add_variable(f"s{r}", 0, minimum, pulp.LpInteger)
            dispatched = pulp.LpAffineExpression([(x[a], 1) for a in np.flatnonzero(members)])
            prob += s - dispatched >= minimum - base
            terms.append((s, model.shortfall_weight))
        prob += pulp.LpAffineExpression(terms)
        prob.solve(_solver(engine, time_limit))
    except pulp.PulpSolverError as exc:
        raise SolverFailedError(f"{engine} raised: {exc}") from exc
    except Exception as exc:  # a crashed engine must not take the service down
        raise SolverFailedError(f"{engine} raised {type(exc).__name__}: {exc}") from exc

    if prob.sol_status not in (pulp.LpSolutionOptimal, pulp.LpSolutionIntegerFeasible):
        return StageResult(None, Status.NO_SOLUTION_FOUND, None, None)
    used = np.array([(v.varValue or 0.0) > 0.5 for v in x], dtype=bool)
    proven = prob.sol_status == pulp.LpSolutionOptimal and prob.status == pulp.LpStatusOptimal
    objective = pulp.value(prob.objective)
    return StageResult(
        used,
        Status.OPTIMAL if proven else Status.FEASIBLE,
        float(objective) if objective is not None else 0.0,
        None,
    )


@dataclass(frozen=True, eq=False)
class StagedResult:
    """Plan arcs from the last stage that produced one, and whether every stage was proven."""

    used: np.ndarray
    status: Status
    stages_proven: int


def solve_staged_milp(
    problem: AssignmentProblem,
    arcs: Arcs,
    deadline: Deadline,
    engine: str,
    reserve: float = 0.0,
) -> StagedResult:
    """Lexicographic optimum by stages: fill, late slots per priority level, response, then
    coverage with churn.

    Stops early (status FEASIBLE) when a stage is not proven or time runs out, keeping the last
    stage's plan; SolverFailedError when not even the first stage found a plan.
    """
    max_churn = len(np.unique(arcs.unit[arcs.moved == 1]))
    levels = components(arcs, problem.priority_levels())
    stages: list[tuple[Component, int]] = [(c, 0) for c in levels if c.name != CHURN]
    churn = levels[-1]
    if problem.coverage_rules:
        stages.append((churn, max_churn + 1))
    elif max_churn:
        stages.append((churn, 0))

    fixed: list[tuple[np.ndarray, int]] = []
    used: np.ndarray | None = None
    proven = 0
    for index, (component, shortfall_weight) in enumerate(stages):
        left = deadline.remaining() - reserve
        if left <= 0:
            break
        objective = component.dense()  # one stage at a time: levels may be many
        share = left / (len(stages) - index)
        model = stage_model(problem, arcs, tuple(fixed), objective, shortfall_weight)
        result = solve_stage_milp(model, share if index < len(stages) - 1 else left, engine)
        if result.used is None:
            break
        used = result.used
        if result.status is not Status.OPTIMAL:
            break
        proven += 1
        fixed.append((objective, int(objective[used].sum())))
    if used is None:
        raise SolverFailedError(f"{engine}: no plan within the time budget")
    status = Status.OPTIMAL if proven == len(stages) else Status.FEASIBLE
    return StagedResult(used, status, proven)
