"""Move-up on the wire: AssignUnitsRequest.move_up + the checked plan -> MoveUpProblem, and back.

Which units take part: those whose status is AVAILABLE or AT_POST before the dispatch (free
now) and that have ``move_up.capability`` when it is set. They all count in the coverage
*before* the dispatch; the ones the plan does not send are idle: they count after it and may
move. Ids are kept for the answer; the solver sees indices only.
"""

from __future__ import annotations

import numpy as np

from dispatch._proto.dispatch.v1 import emergency_pb2
from dispatch.wire.emergency import solve_info
from dispatch.wire.matrices import durations
from solvers.assignment import AssignmentPlan
from solvers.assignment.model import FREE_NOW
from solvers.assignment.moveup import MoveUpProblem
from solvers.assignment.moveup_check import MoveUpEvaluation
from solvers.assignment.moveup_solve import MoveUpResult

__all__ = ["to_moveup_answer", "to_moveup_problem"]


def _members(request: emergency_pb2.AssignUnitsRequest) -> np.ndarray:
    """Request indices of the units that take part in move-up."""
    capability = request.move_up.capability
    return np.array(
        [
            u
            for u, unit in enumerate(request.units)
            if unit.status in FREE_NOW and (not capability or capability in unit.capabilities)
        ],
        dtype=np.int64,
    )


def to_moveup_problem(
    request: emergency_pb2.AssignUnitsRequest, plan: AssignmentPlan
) -> MoveUpProblem:
    """The move-up problem of a validated request after ``plan`` (the checked dispatch)."""
    spec = request.move_up
    n_units, n_districts, n_posts = len(request.units), len(request.district_ids), len(spec.posts)
    members = _members(request)
    post_index = {post.id: p for p, post in enumerate(spec.posts)}
    at_post = np.full(n_units, -1, dtype=np.int64)
    unit_index = {unit.id: u for u, unit in enumerate(request.units)}
    for entry in spec.unit_posts:
        at_post[unit_index[entry.unit_id]] = post_index[entry.post_id]
    district_index = {d: k for k, d in enumerate(request.district_ids)}
    demand = np.zeros(n_districts, dtype=np.float64)
    for zone in spec.zones:
        demand[district_index[zone.district_id]] = zone.calls_per_hour
    unit_to_zone = durations(request.unit_to_district, n_units, n_districts)
    unit_to_post = durations(spec.unit_to_post, n_units, n_posts)
    return MoveUpProblem(
        unit_ids=tuple(request.units[int(u)].id for u in members),
        post_ids=tuple(post.id for post in spec.posts),
        zone_ids=tuple(request.district_ids),
        demand=demand,
        unit_to_zone=unit_to_zone[members],
        post_to_zone=durations(spec.post_to_district, n_posts, n_districts),
        unit_to_post=unit_to_post[members],
        unit_post=at_post[members],
        idle=plan.incident[members] < 0,
        radius=int(spec.coverage_radius_seconds),
        busy_fraction=float(spec.busy_fraction),
        move_cost=float(spec.move_cost),
        max_moves=int(spec.max_moves),
        max_move_seconds=int(spec.max_move_seconds),
    )


def _coverage(value: float, total: float, uncovered: int) -> emergency_pb2.MoveUpCoverage:
    return emergency_pb2.MoveUpCoverage(
        expected_calls_per_hour=value,
        share=value / total if total > 0 else 0.0,
        districts_uncovered=uncovered,
    )


def to_moveup_answer(
    problem: MoveUpProblem, result: MoveUpResult, wall_seconds: float
) -> emergency_pb2.MoveUpAnswer:
    """The answer from the checked result (every figure is the checker's)."""
    e: MoveUpEvaluation = result.evaluation
    total = e.total_demand
    return emergency_pb2.MoveUpAnswer(
        before_dispatch=_coverage(e.before_dispatch, total, e.uncovered_before_dispatch),
        after_dispatch=_coverage(e.after_dispatch, total, e.uncovered_after_dispatch),
        after_moves=_coverage(e.after_moves, total, e.uncovered_after_moves),
        relocations=[
            emergency_pb2.Relocation(
                unit_id=problem.unit_ids[m.unit],
                from_post_id=problem.post_ids[int(problem.unit_post[m.unit])]
                if problem.unit_post[m.unit] >= 0
                else "",
                to_post_id=problem.post_ids[m.post],
                travel_seconds=m.travel,
            )
            for m in result.moves
        ],
        total_calls_per_hour=total,
        solve_info=solve_info(result.report, wall_seconds),
    )
