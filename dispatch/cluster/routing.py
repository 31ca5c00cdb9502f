"""Plan jobs on Ray: a RoutingService that sends big requests through the decomposition.

:class:`ClusterRouting` wraps the job service's own RoutingService: a request with at least
``min_stops`` stops is decomposed (``solvers.routing.decompose``) and its parts run as Ray tasks;
smaller ones go to the worker pool as before. The job service does not change: it calls
``plan_routes`` and receives progress and the answer the same way. Progress is one
RoutingProgress per finished part (``solutions_found`` counts finished parts, the objective is
the driving seconds of the parts so far), so ``WatchPlanJob`` streams as parts finish.

The request still carries its full matrix (the contract has no other travel source), so what
fits in one request fits here: the limit is the server's receive limit and protobuf's 2 GB
(about 16,000 locations with int32 bytes for both seconds and metres). The stitched plan is
checked by the checker on the whole problem before the answer is written, as every plan is;
one that breaks a rule fails the job instead of being answered.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from dispatch._proto.dispatch.v1 import routing_pb2
from dispatch.cluster.ray_runner import RayRunner, connect, shutdown
from dispatch.routing import RoutingProgress
from dispatch.wire.routing import options_from_request, problem_from_request
from dispatch.wire.routing_answer import response_from_outcome
from solvers.budget import Deadline
from solvers.errors import SolverFailedError
from solvers.routing.checker import evaluate
from solvers.routing.decompose import DecomposeOptions, LargeProblem, PartResult, solve_decomposed
from solvers.routing.decompose.split import MAX_PART_STOPS
from solvers.routing.solve import SolveOutcome
from solvers.status import SolveReport, SolverFamily, Status

#: Requests with at least this many stops go to the cluster by default.
MIN_STOPS = 1_000
#: Share of the budget kept for the whole-plan check and the answer.
MARGIN = 0.05


class ClusterRouting:
    """``plan_routes`` on Ray for big requests, on ``inner`` for the rest (see module doc)."""

    def __init__(
        self,
        inner: Any,
        address: str,
        min_stops: int = MIN_STOPS,
        part_stops: int = MAX_PART_STOPS,
        cpus: int | None = None,
    ) -> None:
        self.inner = inner
        self.address = address
        self.min_stops = min_stops
        self.part_stops = part_stops
        self.cpus = connect(address, cpus)  # ClusterUnavailableError: refuse to start

    def __getattr__(self, name: str) -> Any:
        """Everything else (pool, evaluate_plan, ...) is the inner service's."""
        return getattr(self.inner, name)

    def plan_routes(
        self, request: routing_pb2.PlanRoutesRequest, deadline: Deadline, **callbacks: Any
    ) -> routing_pb2.PlanRoutesResponse:
        """The inner service's answer, or the decomposed one for a big request.

        ``callbacks`` are the keyword callbacks of the inner ``RoutingService.plan_routes``,
        passed on as given, so that signature lives in one place; the decomposed path reads
        ``is_cancelled`` and ``on_progress`` (it has no checkpoint and no late answer: the
        stitched plan is the answer).
        """
        if len(request.stops) < self.min_stops:
            return self.inner.plan_routes(request, deadline, **callbacks)
        runner = RayRunner(self.cpus, is_cancelled=callbacks.get("is_cancelled", lambda: False))
        on_progress = callbacks.get("on_progress")
        return solve_on_cluster(request, deadline, runner, self.part_stops, on_progress)

    def close(self) -> None:
        """Close the inner service; stop the Ray this process started."""
        self.inner.close()
        if self.address == "local":
            shutdown()


def solve_on_cluster(
    request: routing_pb2.PlanRoutesRequest,
    deadline: Deadline,
    runner: RayRunner,
    part_stops: int = MAX_PART_STOPS,
    on_progress: Callable[[RoutingProgress], None] | None = None,
) -> routing_pb2.PlanRoutesResponse:
    """Decompose, solve the parts on ``runner``, check the stitched plan, write the answer."""
    started = time.monotonic()
    problem = problem_from_request(request)
    seed = options_from_request(request, problem).seed
    travel = [0]

    def part_done(phase: str, done: int, total: int, result: PartResult) -> None:
        travel[0] += result.travel_seconds if phase == "part" else 0
        if on_progress is not None:
            used = len(result.plan.routes)
            on_progress(RoutingProgress(done, travel[0], used, time.monotonic() - started))

    seconds = deadline.remaining() * (1 - MARGIN)
    options = DecomposeOptions(max_part_stops=part_stops, seed=seed)
    outcome = solve_decomposed(
        LargeProblem.from_problem(problem), seconds, runner, options, part_done
    )
    evaluation = evaluate(problem, outcome.plan)
    if not evaluation.feasible:
        first = "; ".join(v.detail for v in evaluation.violations[:3])
        raise SolverFailedError(
            f"the stitched plan broke {len(evaluation.violations)} rules: {first}"
        )
    engines = sorted({r.engine for r in outcome.results})
    report = SolveReport(
        family=SolverFamily.PYVRP,
        engine=f"decomposed on Ray: {len(outcome.parts)} parts ({', '.join(engines)})",
        status=Status.FEASIBLE,
        objective=evaluation.cost,
        wall_time=time.monotonic() - started,
        objective_terms=dict(evaluation.cost_terms),
        strategy="split by depot and clusters, parts in parallel, borders re-solved",
        timings=dict(outcome.timings),
    )
    checked = SolveOutcome(outcome.plan, report, evaluation)
    return response_from_outcome(request, problem, checked, time.monotonic() - started)
