"""AssignUnits: request -> solvers.assignment -> answer, within the caller's deadline.

The rules and the objective live in ``solvers.assignment`` (model.py says how they read the
contract); the conversions and the answer's shape in ``dispatch.wire.emergency``.
``DISPATCH_ASSIGN_FAULTS`` (comma-separated: ``min_cost_flow``, ``cp_sat``, ``milp``) makes those
engines fail on purpose, for fallback drills and tests.
"""

from __future__ import annotations

import os
import time

from dispatch._proto.dispatch.v1 import common_pb2, emergency_pb2
from dispatch.wire.emergency import to_problem, to_response
from dispatch.wire.enums import solver_family
from solvers.assignment import SolveSettings, solve
from solvers.budget import Deadline

__all__ = ["FAULTS_ENV", "assign_units", "settings_from"]

FAULTS_ENV = "DISPATCH_ASSIGN_FAULTS"


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


def assign_units(
    request: emergency_pb2.AssignUnitsRequest, deadline: Deadline
) -> emergency_pb2.AssignUnitsResponse:
    """Solve a validated AssignUnits request before ``deadline`` (runs in the calling thread).

    Every returned plan has passed the independent checker (``SolveInfo.verified``).
    """
    start = time.perf_counter()
    problem = to_problem(request)
    settings = settings_from(request.options, problem.n_units)
    result = solve(problem, deadline, settings)
    return to_response(request, problem, result, time.perf_counter() - start)
