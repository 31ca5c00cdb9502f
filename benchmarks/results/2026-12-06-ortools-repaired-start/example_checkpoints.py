"""OR-Tools alone on a bundled example for 8 s: every checkpoint, then the answer (checker cost).

Usage, from a tree root: ``PYTHONPATH=. python example_checkpoints.py sanitation``.
"""

import sys
import time

from dispatch import client
from dispatch.examples import EXAMPLES, read_text
from dispatch.wire.routing import problem_from_request
from solvers.budget import Deadline
from solvers.routing.portfolio import RoutingOptions
from solvers.routing.solve import solve_checked
from solvers.status import SolverFamily

name = sys.argv[1]
req = client.parse_request(EXAMPLES[name], read_text(name))
p = problem_from_request(req)
t0 = time.monotonic()


def cp(o):
    print(
        round(time.monotonic() - t0, 2),
        o.report.engine,
        o.report.strategy,
        round(o.evaluation.cost, 1),
        len(o.evaluation.skipped),
        sum(r.travel_seconds for r in o.evaluation.routes),
    )


out = solve_checked(
    p, Deadline.after(8), RoutingOptions(solver=SolverFamily.ORTOOLS), on_checkpoint=cp
)
print("final", out.report.engine, round(out.evaluation.cost, 1), len(out.evaluation.skipped))
