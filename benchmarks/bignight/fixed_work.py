"""Work-bound parts for the 1 vs 2 worker speed-up (``bignight --fixed-work``).

With a fixed wall budget a second worker buys search time per part, not a shorter wall time,
so the budgeted runs cannot show a speed-up. Here every part does a fixed amount of search
instead: PyVRP in the portfolio's deterministic mode, which stops after
``DETERMINISTIC_ITERATIONS`` (2,000) iterations and ignores the clock, and there are no border
rounds. The wall time of the run is then the time the workers need for the same work, and
1 worker against 2 is a speed-up. The part solve takes its options from ``PartJob`` (no
iteration count), so this task builds the part's solve itself with ``deterministic=True``;
everything else is :func:`solvers.routing.decompose.solve_part`'s.
"""

from __future__ import annotations

import time

from solvers.budget import Deadline
from solvers.routing.decompose import LargeProblem, PartJob, PartResult, part_problem
from solvers.routing.decompose.large import to_global
from solvers.routing.engines.pyvrp.engine import DETERMINISTIC_ITERATIONS
from solvers.routing.solve import RoutingOptions, solve_checked

#: The clock is only a safety net in fixed-work mode (a part of 500 stops needs well under it).
SAFETY_SECONDS = 900.0
ITERATIONS = DETERMINISTIC_ITERATIONS


def fixed_work_part(large: LargeProblem, job: PartJob) -> PartResult:
    """Solve one part with exactly ITERATIONS PyVRP iterations (a Ray task body)."""
    started = time.monotonic()
    problem = part_problem(large, job.part)
    options = RoutingOptions(solver=job.solver, seed=job.seed, deterministic=True)
    outcome = solve_checked(problem, Deadline.after(SAFETY_SECONDS), options)
    evaluation = outcome.evaluation
    return PartResult(
        name=job.part.name,
        phase=job.phase,
        plan=to_global(job.part, outcome.plan),
        engine=outcome.report.engine,
        status=outcome.report.status.value,
        wall_seconds=time.monotonic() - started,
        travel_seconds=sum(r.travel_seconds for r in evaluation.routes),
        violations=len(evaluation.violations),
        skipped=len(evaluation.skipped),
        stops=len(job.part.stops),
    )
