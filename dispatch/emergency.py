"""AssignUnits: request -> solvers.assignment -> answer, within the caller's deadline.

The rules and the objective live in ``solvers.assignment`` (model.py says how they read the
contract); the conversions and the answer's shape in ``dispatch.wire.emergency``.
``DISPATCH_ASSIGN_FAULTS`` (comma-separated: ``min_cost_flow``, ``cp_sat``, ``milp``,
``moveup_cp_sat``) makes those engines fail on purpose, for fallback drills and tests. With
``move_up`` in the request, ``dispatch.wire.moveup`` and ``solvers.assignment.moveup_solve``
recommend relocations after the checked dispatch. A ``checkpoint`` from the service is called
before each step, so a call whose caller has gone stops there (``dispatch.service.call_over``).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

from dispatch._proto.dispatch.v1 import common_pb2, emergency_pb2
from dispatch.wire.emergency import to_problem, to_response
from dispatch.wire.enums import solver_family
from dispatch.wire.moveup import to_moveup_answer, to_moveup_problem
from solvers.assignment import AssignmentPlan, SolveSettings, solve
from solvers.assignment.moveup_solve import solve_moveup
from solvers.budget import Deadline

__all__ = ["FAULTS_ENV", "MOVE_UP_SHARE", "assign_units", "move_up", "settings_from"]

FAULTS_ENV = "DISPATCH_ASSIGN_FAULTS"
#: Share of the budget kept for move-up when the request asks for it.
MOVE_UP_SHARE = 0.3


def settings_from(options: common_pb2.SolveOptions, n_units: int) -> SolveSettings:
    """Solver choice, seed and fault injection; keeps back time for building the answer."""
    faults = frozenset(
        name.strip() for name in os.environ.get(FAULTS_ENV, "").split(",") if name.strip()
    )
    return SolveSettings(
        family=solver_family(options.solver),
        seed=int(options.seed),
        deterministic=bool(options.deterministic),
        faults=faults,
        reserve=0.002 + 2e-6 * n_units,
    )


def _go_on(step: str) -> None:
    """The checkpoint of callers without a gRPC call (CLI, benchmarks): nothing stops them."""


def assign_units(
    request: emergency_pb2.AssignUnitsRequest,
    deadline: Deadline,
    checkpoint: Callable[[str], None] = _go_on,
) -> emergency_pb2.AssignUnitsResponse:
    """Solve a validated AssignUnits request before ``deadline`` (runs in the calling thread).

    Every returned plan has passed the independent checker (``SolveInfo.verified``).
    ``checkpoint(step)`` is called before the steps after conversion ("solve", "answer",
    "move_up") and raises to stop the call there.
    """
    start = time.perf_counter()
    problem = to_problem(request)
    checkpoint("solve")
    settings = settings_from(request.options, problem.n_units)
    with_move_up = request.HasField("move_up")
    # The dispatch comes first; move-up gets what is left, at least MOVE_UP_SHARE of the budget.
    solve_by = (
        Deadline(deadline.at - MOVE_UP_SHARE * deadline.remaining()) if with_move_up else deadline
    )
    result = solve(problem, solve_by, settings)
    checkpoint("answer")
    response = to_response(request, problem, result, time.perf_counter() - start)
    if with_move_up:
        checkpoint("move_up")
        response.move_up.CopyFrom(move_up(request, result.plan, deadline, settings))
    return response


def move_up(
    request: emergency_pb2.AssignUnitsRequest,
    plan: AssignmentPlan,
    deadline: Deadline,
    settings: SolveSettings,
) -> emergency_pb2.MoveUpAnswer:
    """The move-up answer after the checked ``plan`` (exact CP-SAT, greedy when time runs out)."""
    start = time.perf_counter()
    problem = to_moveup_problem(request, plan)
    result = solve_moveup(
        problem, deadline, seed=settings.seed, reserve=settings.reserve, faults=settings.faults
    )
    return to_moveup_answer(problem, result, time.perf_counter() - start)
