"""PlanRoutes and EvaluatePlan: proto <-> solvers.routing, solves in worker processes.

The server owns one RoutingService; the job manager uses the same one. A PlanRoutes solve runs in
a worker process (OR-Tools holds the GIL for a whole solve), so health checks and AssignUnits keep
answering while a nightly plan is computed; a cancelled or overrunning solve kills its worker.
EvaluatePlan is cheap and runs in the calling thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

from dispatch._proto.dispatch.v1 import routing_pb2
from dispatch.wire.routing import options_from_request, problem_from_request
from dispatch.wire.routing_answer import response_from_outcome
from dispatch.workers import LateAnswer, WorkerPool
from solvers.budget import Deadline
from solvers.routing.solve import SolveOutcome, rescue_checked, solve_checked

log = logging.getLogger(__name__)

__all__ = ["RoutingCheckpoint", "RoutingProgress", "RoutingService", "solve_plan_routes"]

#: Seconds a worker may overrun its deadline before it is killed.
GRACE_SECONDS = 2.0
#: Seconds past the deadline after which the caller is answered without the worker: with the
#: best plan the worker had checked by then, or else the constructive plan computed here.
ANSWER_SLACK_SECONDS = 0.05
_OVERRAN = "the solve overran its deadline; answered with the best plan it had found by then"


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


@dataclass(frozen=True)
class RoutingCheckpoint:
    """The answer a worker would give now: its best checked plan so far, serialised."""

    response: bytes


def _overran(checkpoint: bytes) -> bytes:
    """A worker's last checkpoint as the answer, flagged: the solve did not end in time."""
    response = routing_pb2.PlanRoutesResponse.FromString(checkpoint)
    info = response.solve_info
    info.degraded = True
    info.degraded_reason = "; ".join(r for r in (_OVERRAN, info.degraded_reason) if r)
    log.warning("degraded routing answer (%s): %s", response.label or "-", _OVERRAN)
    return response.SerializeToString()


def _rescued(request: routing_pb2.PlanRoutesRequest, deadline: Deadline, started: float) -> bytes:
    """The constructive plan, computed in this process when the worker gave nothing in time."""
    problem = problem_from_request(request)
    options = options_from_request(request, problem)
    why = "the solve found no plan by its deadline; constructed one instead"
    outcome = rescue_checked(problem, deadline, options, why)
    elapsed = time.monotonic() - started
    return response_from_outcome(request, problem, outcome, elapsed).SerializeToString()


class RoutingService:
    """Runs routing solves in a bounded pool of worker processes (OR-Tools holds the GIL).

    Workers are fresh interpreters (``solvers.processes``), never forks of the threaded server.
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

    def decomposes(self, request: routing_pb2.PlanRoutesRequest) -> bool:
        """False: every request is solved whole, in one worker, on its full matrix (a request
        given by a travel estimate has its matrix built there; ``ClusterRouting`` decomposes
        big ones instead)."""
        return False

    def plan_routes(
        self,
        request: routing_pb2.PlanRoutesRequest,
        deadline: Deadline,
        is_cancelled: Callable[[], bool] = lambda: False,
        on_progress: Callable[[RoutingProgress], None] | None = None,
        on_checkpoint: Callable[[RoutingCheckpoint], None] | None = None,
        on_late: Callable[[], None] | None = None,
    ) -> routing_pb2.PlanRoutesResponse:
        """Solve a validated request in a worker process; blocks the calling thread only.

        Raises CancelledError when ``is_cancelled()`` turns true (the worker is killed and
        replaced), a CancelledError subclass when the worker overruns the deadline, and the
        retryable ``dispatch.workers`` errors: WorkersBusyError when no worker was free by the
        deadline (RESOURCE_EXHAUSTED), WorkerCrashedError when the worker crashes (UNAVAILABLE;
        it is replaced), PoolClosedError while shutting down. ``on_checkpoint`` gets each
        better checked plan while the worker searches (what a job keeps when it is cancelled);
        ``on_late`` is called when the worker did not answer in time and the answer is made
        without it.
        """
        started = time.monotonic()
        checkpoint: list[bytes] = []

        def received(message: RoutingProgress | RoutingCheckpoint) -> None:
            if isinstance(message, RoutingCheckpoint):
                checkpoint[:] = [message.response]
                if on_checkpoint is not None:
                    on_checkpoint(message)
            elif on_progress is not None:
                on_progress(message)

        def late_answer() -> bytes:
            if on_late is not None:
                on_late()
            if checkpoint:
                return _overran(checkpoint[0])
            return _rescued(request, deadline, started)

        late = LateAnswer(deadline.at + ANSWER_SLACK_SECONDS, late_answer)
        raw = self._pool.run(request.SerializeToString(), deadline.at, is_cancelled, received, late)
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
    on_checkpoint: Callable[[RoutingCheckpoint], None] | None = None,
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

    def checkpoint(outcome: SolveOutcome) -> None:
        if on_checkpoint is not None:
            elapsed = time.monotonic() - started
            response = response_from_outcome(request, problem, outcome, elapsed)
            on_checkpoint(RoutingCheckpoint(response.SerializeToString()))

    taker = checkpoint if on_checkpoint is not None else None
    outcome = solve_checked(problem, deadline, options, progress, taker)
    return response_from_outcome(request, problem, outcome, time.monotonic() - started)


def _solve_in_worker(
    payload: bytes, deadline_at: float, emit: Callable[[RoutingProgress | RoutingCheckpoint], None]
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

    response = solve_plan_routes(request, Deadline(deadline_at), forward, emit)
    return response.SerializeToString()
