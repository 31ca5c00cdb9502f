"""Soft time-window fields (TimeWindow.late_cost_per_hour, max_lateness, early_cost_per_hour,
max_earliness): where they may appear and which values they may take.

Only stop windows may be soft, and a soft window must be its stop's only window (see
``solvers.routing.soft_windows``: one cumul variable carries one pair of soft bounds). A cost
without its allowance would be silently ignored, so it is refused instead; the allowances keep
every start inside 0..MAX_TIME, so no solver's integer arithmetic can overflow.
"""

from __future__ import annotations

from collections.abc import Sequence

from dispatch._proto.dispatch.v1 import common_pb2
from dispatch.validation import limits
from dispatch.validation.common import Problems, check_cost, check_non_negative

__all__ = ["check_soft_window", "reject_soft_fields"]

_FIELDS = ("late_cost_per_hour", "max_lateness", "early_cost_per_hour", "max_earliness")


def reject_soft_fields(
    problems: Problems, path: str, window: common_pb2.TimeWindow, owner: str, what: str
) -> None:
    """A shift, break window or facility opening: every soft field must be 0."""
    for name in _FIELDS:
        if getattr(window, name):
            problems.add(
                f"{path}.{name}", f"{owner}: a {what} cannot be soft; only stop windows can."
            )


def check_soft_window(
    problems: Problems,
    path: str,
    windows: Sequence[common_pb2.TimeWindow],
    index: int,
    owner: str,
) -> None:
    """The soft fields of ``windows[index]``, one of a stop's windows at ``path``."""
    window = windows[index]
    for rate in ("late_cost_per_hour", "early_cost_per_hour"):
        check_cost(
            problems, f"{path}.{rate}", getattr(window, rate), rate, owner, limits.MAX_COST_RATE
        )
    check_non_negative(problems, f"{path}.max_lateness", window.max_lateness, "max_lateness", owner)
    check_non_negative(
        problems, f"{path}.max_earliness", window.max_earliness, "max_earliness", owner
    )
    for rate, allowance in (
        ("late_cost_per_hour", "max_lateness"),
        ("early_cost_per_hour", "max_earliness"),
    ):
        if getattr(window, rate) > 0 and getattr(window, allowance) <= 0:
            problems.add(
                f"{path}.{allowance}",
                f"{owner} has a {rate} but no {allowance}: the window stays hard (set both).",
            )
    if window.max_lateness > 0 and window.end + window.max_lateness > limits.MAX_TIME:
        problems.add(
            f"{path}.max_lateness",
            f"{owner}: end + max_lateness passes {limits.MAX_TIME}.",
        )
    if window.max_earliness > window.start >= 0:
        problems.add(
            f"{path}.max_earliness",
            f"{owner}: max_earliness ({window.max_earliness}) reaches before 0 "
            f"(the window starts at {window.start}).",
        )
    soft = window.max_lateness > 0 or window.max_earliness > 0
    if soft and len(windows) > 1:
        problems.add(
            path,
            f"{owner} has a soft window among {len(windows)} windows; "
            "a soft window must be the stop's only one.",
        )
