"""How the servicer turns a time budget and a gRPC deadline into one solving deadline."""

from __future__ import annotations

import pytest

from dispatch._proto.dispatch.v1 import common_pb2
from dispatch.service import solve_deadline


def _options(budget: float | None) -> common_pb2.SolveOptions:
    options = common_pb2.SolveOptions()
    if budget is not None:
        options.time_budget.FromNanoseconds(int(budget * 1e9))
    return options


def test_default_budget_without_options_or_deadline():
    """No budget and no gRPC deadline: the workload default."""
    assert solve_deadline(_options(None), 10.0, None).remaining() == pytest.approx(10.0, abs=0.05)


def test_caller_budget_wins_when_shorter():
    """The caller's budget applies when it ends before the gRPC deadline."""
    deadline = solve_deadline(_options(2.0), 10.0, 60.0)
    assert deadline.remaining() == pytest.approx(2.0, abs=0.05)


def test_grpc_deadline_keeps_ten_percent_margin():
    """With 10 s left on the call (and a machine not busier than its cores), solving stops at
    9 s so the answer gets home in time."""
    deadline = solve_deadline(_options(30.0), 10.0, 10.0, load_per_core=0.5)
    assert deadline.remaining() == pytest.approx(9.0, abs=0.05)


def test_short_grpc_deadline_keeps_at_least_20_ms():
    """With 100 ms left the margin is 20 ms, not 10 ms."""
    deadline = solve_deadline(_options(None), 1.0, 0.1, load_per_core=0.5)
    assert deadline.remaining() == pytest.approx(0.08, abs=0.01)


def test_zero_budget_means_default():
    """An explicit 0 s budget is the proto's "unset", not "no time at all"."""
    assert solve_deadline(_options(0.0), 1.0, None).remaining() == pytest.approx(1.0, abs=0.05)


def test_no_grpc_deadline_is_ignored():
    """Calls without a deadline report a huge time_remaining; it must not distort the budget."""
    deadline = solve_deadline(_options(5.0), 10.0, 1e12)
    assert deadline.remaining() == pytest.approx(5.0, abs=0.05)


def test_expired_call_gives_expired_deadline():
    """A call whose deadline has passed gets no solving time (solvers return what they have)."""
    assert solve_deadline(_options(5.0), 10.0, 0.0).expired()
