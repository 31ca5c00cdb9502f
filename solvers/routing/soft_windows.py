"""Soft time windows: where service may start, and what starting late or early costs.

A stop's window [start, end] is soft when it allows lateness (``max_lateness`` > 0) or
earliness (``max_earliness`` > 0): service may start anywhere in its *hard span*
[start - max_earliness, end + max_lateness], and pays

    time_window_cost = late_cost_per_hour x lateness / 3600 + early_cost_per_hour x earliness / 3600

in currency units, with lateness = max(0, service start - end) and earliness = max(0, start -
service start), both in whole seconds. The OR-Tools model charges the same: an integer
coefficient of round(cost_per_hour x COST_SCALE / 3600) model units per second on the time
cumul above ``end`` (below ``start``), exact for rates with two decimals, so the solver and the
checker agree to the cent. Beyond the hard span the window is hard: a TIME_WINDOW violation.

Only stops have soft windows, and a stop with one has exactly that one window (soft bounds on
one cumul variable cannot express lateness measured against an inner window of several); the
problem rejects anything else, like the service's validation. Shared by the checker (pricing),
the engines (what they model or decline) and the pre-check (where a stop can start at all).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from solvers.errors import FieldProblem

if TYPE_CHECKING:
    from solvers.routing.problem import RoutingProblem, Stop, TimeWindow

__all__ = [
    "SECONDS_PER_HOUR",
    "hard_span",
    "hard_windows",
    "has_soft_windows",
    "is_soft",
    "price",
    "shape_problems",
    "soft_start",
    "soft_window",
    "visit_terms",
]

SECONDS_PER_HOUR = 3600


def is_soft(window: TimeWindow) -> bool:
    """True when the window allows service to start late or early."""
    return window.max_lateness > 0 or window.max_earliness > 0


def _has_soft_fields(window: TimeWindow) -> bool:
    return bool(
        window.max_lateness
        or window.max_earliness
        or window.late_cost_per_hour
        or window.early_cost_per_hour
    )


def has_soft_windows(problem: RoutingProblem) -> bool:
    """True when some stop has a soft window (engines that cannot price it decline)."""
    return any(is_soft(w) for stop in problem.stops for w in stop.time_windows)


def hard_span(window: TimeWindow) -> tuple[int, int]:
    """The earliest and latest service start the window allows at any price."""
    return window.start - window.max_earliness, window.end + window.max_lateness


def hard_windows(stop: Stop) -> tuple[TimeWindow, ...]:
    """The stop's windows widened to their hard spans, as plain (hard) windows.

    For code that asks only *whether* a start is possible (the pre-check, the constructive
    heuristic); the checker prices what the widening allows.
    """
    if not any(is_soft(w) for w in stop.time_windows):
        return stop.time_windows
    from solvers.routing.problem import TimeWindow

    return tuple(TimeWindow(*hard_span(w)) for w in stop.time_windows)


def price(window: TimeWindow, start: int) -> tuple[int, int, float]:
    """(earliness, lateness, cost) of starting service at ``start`` in a soft window."""
    earliness = max(0, window.start - start)
    lateness = max(0, start - window.end)
    cost = (
        window.late_cost_per_hour * lateness + window.early_cost_per_hour * earliness
    ) / SECONDS_PER_HOUR
    return earliness, lateness, cost


def soft_window(windows: tuple[TimeWindow, ...]) -> TimeWindow | None:
    """The stop's soft window, or None when its windows are hard."""
    return windows[0] if len(windows) == 1 and is_soft(windows[0]) else None


def visit_terms(windows: tuple[TimeWindow, ...], start: int) -> tuple[int, int, float]:
    """(earliness, lateness, cost) of a visit starting at ``start``.

    A soft window is priced; for hard windows the lateness is reported (it is also a
    TIME_WINDOW violation) but costs nothing, and a start before a window opens is a violation
    only, never earliness.
    """
    window = soft_window(windows)
    if window is not None:
        return price(window, start)
    if not windows or any(w.contains(start) for w in windows):
        return 0, 0, 0.0
    return 0, max(0, start - max(w.end for w in windows)), 0.0


def soft_start(window: TimeWindow, ready: int, planned: int | None) -> tuple[int, int, str]:
    """Service start at a soft window, seconds of violation, and why (empty when none).

    Without a planned start (or with one before the vehicle can be there) service starts as
    early as possible without starting early: at ``ready``, or when the window opens. A planned
    start from ``ready`` on is kept, and may be early or late within the hard span.
    """
    lo, hi = hard_span(window)
    if planned is None or planned < ready:
        start = max(ready, window.start)
        if start > hi:
            return start, start - hi, "starts after its window's latest start"
        if planned is not None:
            return start, ready - planned, "planned before the vehicle can be there"
        return start, 0, ""
    if planned < lo:
        return planned, lo - planned, "planned before its window's earliest start"
    if planned > hi:
        return planned, planned - hi, "starts after its window's latest start"
    return planned, 0, ""


def shape_problems(problem: RoutingProblem) -> list[FieldProblem]:
    """Soft fields where they cannot be honoured: negative values, a soft window among several
    windows of a stop, soft fields on a shift, break or facility opening."""
    out: list[FieldProblem] = []
    for i, stop in enumerate(problem.stops):
        for j, window in enumerate(stop.time_windows):
            path = f"stops[{i}].time_windows[{j}]"
            values = (
                window.late_cost_per_hour,
                window.max_lateness,
                window.early_cost_per_hour,
                window.max_earliness,
            )
            if any(v < 0 for v in values):
                out.append(FieldProblem(path, "soft window fields must not be negative"))
            if is_soft(window) and len(stop.time_windows) > 1:
                out.append(FieldProblem(path, "a soft window must be the stop's only window"))
    for k, vehicle in enumerate(problem.vehicles):
        if _has_soft_fields(vehicle.shift):
            out.append(FieldProblem(f"vehicles[{k}].shift", "a shift cannot be soft"))
        for b, brk in enumerate(vehicle.breaks):
            if _has_soft_fields(brk.start_window):
                path = f"vehicles[{k}].breaks[{b}].start_window"
                out.append(FieldProblem(path, "a break window cannot be soft"))
    for f, facility in enumerate(problem.facilities):
        if facility.opening is not None and _has_soft_fields(facility.opening):
            out.append(FieldProblem(f"facilities[{f}].opening", "an opening cannot be soft"))
    return out
