"""The margin kept back from a gRPC deadline grows with this server's own slow answers."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dispatch._proto.dispatch.v1 import common_pb2
from dispatch.answer_margin import HEADROOM, MAX_FRACTION, WINDOW, AnswerMargin
from dispatch.service import solve_deadline


def test_before_any_answer_the_margin_is_the_fixed_share():
    """No history: 10 % of the time left, at least 20 ms (the old fixed rule)."""
    margin = AnswerMargin()
    assert margin.margin(2.0, load_per_core=0.5) == pytest.approx(0.2)
    assert margin.margin(0.1, load_per_core=0.5) == pytest.approx(0.02)


def test_a_busy_machine_widens_the_fixed_share():
    """Twice as many runnable processes as cores: the first call keeps back twice the share."""
    assert AnswerMargin().margin(2.0, load_per_core=2.0) == pytest.approx(0.4)


def test_a_slow_answer_widens_the_margin_of_the_next_calls():
    """An answer that left 300 ms after its solve deadline makes the next 2 s call keep
    back 300 ms with headroom, not 200 ms."""
    margin = AnswerMargin()
    margin.record(0.3)
    assert margin.margin(2.0, load_per_core=1.0) == pytest.approx(HEADROOM * 0.3)


def test_early_answers_count_as_no_overrun():
    """An answer before its deadline says nothing about the trip home: it is recorded as 0."""
    margin = AnswerMargin()
    margin.record(-5.0)
    assert margin.learned() == 0.0


def test_old_overruns_roll_out_of_the_window():
    """After WINDOW quick answers, one slow answer long ago no longer costs search time."""
    margin = AnswerMargin()
    margin.record(0.5)
    for _ in range(WINDOW):
        margin.record(0.0)
    assert margin.margin(2.0, load_per_core=1.0) == pytest.approx(0.2)


@given(
    overruns=st.lists(st.floats(-10, 10, allow_nan=False), max_size=40),
    left=st.floats(0.0, 3600.0, allow_nan=False),
    load=st.floats(0.0, 1000.0, allow_nan=False),
)
def test_the_margin_always_leaves_half_the_time_to_solve(overruns, left, load):
    """Whatever was seen and however busy the machine, the margin never exceeds half the time
    left and is never negative."""
    margin = AnswerMargin()
    for seconds in overruns:
        margin.record(seconds)
    assert 0.0 <= margin.margin(left, load_per_core=load) <= MAX_FRACTION * left + 1e-12


def test_the_solve_deadline_uses_the_learned_margin():
    """solve_deadline with a history of 400 ms overruns stops a 2 s call's solve 600 ms early."""
    margin = AnswerMargin()
    margin.record(0.4)
    deadline = solve_deadline(common_pb2.SolveOptions(), 10.0, 2.0, margin, load_per_core=0.0)
    assert deadline.remaining() == pytest.approx(2.0 - HEADROOM * 0.4, abs=0.05)
