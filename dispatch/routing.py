"""PlanRoutes and EvaluatePlan: proto <-> solvers.routing, solves in worker processes.

The server owns one RoutingService; the job manager uses the same one. A PlanRoutes solve runs in
a worker process (OR-Tools holds the GIL for a whole solve), so health checks and AssignUnits keep
answering while a nightly plan is computed; a cancelled or overrunning solve kills its worker.
EvaluatePlan is cheap and runs in the calling thread.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from dispatch._proto.dispatch.v1 import routing_pb2
from dispatch.wire.routing import (
    options_from_request,
    problem_from_request,
    response_from_outcome,
)
from dispatch.workers import WorkerPool
from solvers.budget import Deadline
from solvers.routing.solve import solve_checked

__all__ = ["RoutingProgress", "RoutingService", "solve_plan_routes"]

#: Seconds a worker may overrun its deadline before it is killed.
GRACE_SECONDS = 2.0


@dataclass(frozen=True)
class RoutingProgress:
    """An improving solution reported while a solve runs (for jobs and watchers).

    ``best_objective`` is the solver's own objective of its best solution so far, in objective
    units, without the modelling penalties of mandatory stops not yet served (so it can rise
    when the search manages to serve one more stop). The answer's objective is the checker's.
    """

    solutions_found: int
    best_objective: float
    vehicles_used: int
    elapsed_seconds: float


class RoutingService:
    """Runs routing solves in a bounded pool of worker processes (OR-Tools holds the GIL).

    Workers are spawned (not forked), so a script that creates a RoutingService must do so under
    ``if __name__ == "__main__":`` (the spawned interpreter re-imports the main module).
    """

    def __init__(self, workers: int = 1, grace_seconds: float = GRACE_SECONDS) -> None:
        self.workers = workers
        # Each worker keeps a second-core companion started and waiting (solvers.routing.companion).
        self._pool = WorkerPool(
            max(1, workers),
            "dispatch.routing:_solve_in_worker",
            grace_seconds,
            warm_up="solvers.routing.companion:warm_up",
        )

    @property
    def pool(self) -> WorkerPool:
        """The worker pool (pids and busy counts, for tests and diagnostics)."""
        return self._pool

    def plan_routes(
        self,
        request: routing_pb2.PlanRoutesRequest,
        deadline: Deadline,
        is_cancelled: Callable[[], bool] = lambda: False,
        on_progress: Callable[[RoutingProgress], None] | None = None,
    ) -> routing_pb2.PlanRoutesResponse:
        """Solve a validated request in a worker process; blocks the calling thread only.

        Raises CancelledError when ``is_cancelled()`` turns true (the worker is killed and
        replaced), a CancelledError subclass when the worker overruns the deadline, and
        SolverFailedError when the worker crashes.
        """
        raw = self._pool.run(request.SerializeToString(), deadline.at, is_cancelled, on_progress)
        return routing_pb2.PlanRoutesResponse.FromString(raw)

    def evaluate_plan(
        self, request: routing_pb2.EvaluatePlanRequest
    ) -> routing_pb2.EvaluatePlanResponse:
        """Evaluate a validated caller plan (cheap; runs in the calling thread)."""
        from dispatch.evaluate_plan import evaluate_plan_request

        return evaluate_plan_request(request)

    def close(self) -> None:
        """Stop the worker processes."""
        self._pool.close()


def solve_plan_routes(
    request: routing_pb2.PlanRoutesRequest,
    deadline: Deadline,
    on_progress: Callable[[RoutingProgress], None] | None = None,
) -> routing_pb2.PlanRoutesResponse:
    """Solve in this process: used by worker processes, `dispatch solve` and benchmarks."""
    started = time.monotonic()
    problem = problem_from_request(request)
    options = options_from_request(request, problem)

    def progress(objective: float, vehicles_used: int, solutions: int) -> None:
        if on_progress is not None:
            on_progress(
                RoutingProgress(solutions, objective, vehicles_used, time.monotonic() - started)
            )

    outcome = solve_checked(problem, deadline, options, progress)
    return response_from_outcome(request, problem, outcome, time.monotonic() - started)


def _solve_in_worker(
    payload: bytes, deadline_at: float, emit: Callable[[RoutingProgress], None]
) -> bytes:
    """Worker-process entry (see dispatch.workers): bytes in, bytes out, progress via emit."""
    request = routing_pb2.PlanRoutesRequest.FromString(payload)
    last = [0.0]

    def forward(progress: RoutingProgress) -> None:
        # At most ~20 messages a second: each one costs the solver a pickle and a pipe write.
        now = time.monotonic()
        if now - last[0] >= 0.05:
            last[0] = now
            emit(progress)

    response = solve_plan_routes(request, Deadline(deadline_at), forward)
    return response.SerializeToString()
