"""PlanRoutes and EvaluatePlan: proto <-> solvers.routing, solves in worker processes.

(To be built: issue 4.) The server owns one RoutingService; the job manager uses the same one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from dispatch._proto.dispatch.v1 import routing_pb2
from solvers.budget import Deadline


@dataclass(frozen=True)
class RoutingProgress:
    """An improving solution reported while a solve runs (for jobs and watchers)."""

    solutions_found: int
    best_objective: float
    vehicles_used: int
    elapsed_seconds: float


class RoutingService:
    """Runs routing solves in a bounded pool of worker processes (OR-Tools holds the GIL)."""

    def __init__(self, workers: int = 1) -> None:
        self.workers = workers

    def plan_routes(
        self,
        request: routing_pb2.PlanRoutesRequest,
        deadline: Deadline,
        is_cancelled: Callable[[], bool] = lambda: False,
        on_progress: Callable[[RoutingProgress], None] | None = None,
    ) -> routing_pb2.PlanRoutesResponse:
        """Solve a validated request in a worker process; blocks the calling thread only."""
        raise NotImplementedError("PlanRoutes is not implemented yet")

    def evaluate_plan(
        self, request: routing_pb2.EvaluatePlanRequest
    ) -> routing_pb2.EvaluatePlanResponse:
        """Evaluate a validated caller plan (cheap; runs in the calling thread)."""
        raise NotImplementedError("EvaluatePlan is not implemented yet")

    def close(self) -> None:
        """Stop the worker processes."""


def solve_plan_routes(
    request: routing_pb2.PlanRoutesRequest, deadline: Deadline
) -> routing_pb2.PlanRoutesResponse:
    """Solve in this process: used by worker processes, `dispatch solve` and benchmarks."""
    raise NotImplementedError("PlanRoutes is not implemented yet")
