"""``dispatch.client`` helpers that need no server."""

from __future__ import annotations

from dispatch import client
from dispatch._proto.dispatch.v1 import common_pb2, routing_pb2


def _answer(degraded: bool) -> routing_pb2.PlanRoutesResponse:
    answer = routing_pb2.PlanRoutesResponse()
    answer.solve_info.status = common_pb2.FEASIBLE
    answer.solve_info.engine = "greedy.construct"
    answer.solve_info.degraded = degraded
    if degraded:
        answer.solve_info.degraded_reason = "the solve overran its deadline"
    return answer


def test_summary_of_a_degraded_answer_says_so_first():
    """`serve --examples` prints this line: a degraded plan must not read like a normal one."""
    line = client.summarize("PlanRoutes", _answer(degraded=True))
    assert line.startswith("DEGRADED (the solve overran its deadline) FEASIBLE by greedy")


def test_summary_of_a_normal_answer_has_no_degraded_mark():
    """A normal answer's line starts with its status."""
    assert client.summarize("PlanRoutes", _answer(degraded=False)).startswith("FEASIBLE by")
