"""EvaluatePlan: the caller's own routes -> the independent checker -> ETAs, violations, KPIs.

The caller names visits by id; ``dispatch.wire.routing`` turns them into a plan of indices, the
checker in ``solvers.routing.checker`` simulates it, and the answer is written with the same
conversion PlanRoutes uses. Planned routes carry no times, so the checker schedules every visit
as early as possible and departs as late as it can without reaching the end location later
(idle time moves to the depot: the shortest schedule for the caller's order). Mandatory stops
missing from the caller's routes are violations (a caller gives no reasons). Cheap: linear in
the plan, runs in the calling thread.
"""

from __future__ import annotations

from dispatch._proto.dispatch.v1 import routing_pb2
from dispatch.wire.clock import horizon_of
from dispatch.wire.routing import planned_routes, problem_from_request
from dispatch.wire.routing_answer import convert_evaluation
from solvers.routing.checker import evaluate

__all__ = ["evaluate_plan_request"]


def evaluate_plan_request(
    request: routing_pb2.EvaluatePlanRequest,
) -> routing_pb2.EvaluatePlanResponse:
    """Evaluate a validated request's routes against its problem."""
    problem = problem_from_request(request.problem, path="problem.")
    evaluation = evaluate(problem, planned_routes(problem, request.routes))
    horizon = horizon_of(request.problem)
    converted = convert_evaluation(problem, evaluation, with_violations=True, horizon=horizon)
    return routing_pb2.EvaluatePlanResponse(
        label=request.label,
        request_id=request.request_id,
        routes=converted.routes,
        violations=converted.violations,
        feasible=evaluation.feasible,
        kpis=converted.kpis,
        objective_terms=converted.objective_terms,
        horizon_start=horizon,
    )
