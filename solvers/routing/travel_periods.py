"""Time-of-day travel times: several matrices per profile, each in force from a time on.

Why: a drive across town at 08:00 takes longer than the same drive at 11:00. A request may give
one matrix per period (rush hour, day, night) for the default profile and for each vehicle type;
the checker, ``EvaluatePlan`` and every ETA then time each drive by the departure time.

**The arrival function** (Ichoua, Gendreau and Potvin 2003, "IGP"): period p of a profile has
matrix T_p and a drive on arc (a, b) moves at speed 1 / T_p[a, b] (of the arc) while period p is
in force. A drive that starts at t in period p and would end after the period ends carries the
share of the arc it has left into the next period, at that period's speed, and so on. So

* a drive that starts and ends in one period takes exactly T_p[a, b];
* arrivals are FIFO without any waiting rule: leaving later never arrives earlier (the arrival
  is a continuous increasing function of the departure, rounded up to whole seconds, and
  rounding up keeps it non-decreasing);
* min_p T_p[a, b] <= arrival(t) - t <= max_p T_p[a, b] over the periods the drive crosses.

The step model (the matrix of the departure's period for the whole drive, with waiting for a
cheaper later period to keep FIFO) was the alternative. IGP was chosen because it needs no
waiting rule, cannot make a drive that starts a second before rush hour ends take the whole
rush-hour time, and is what the time-dependent VRP literature and its benchmarks use.

**Planning on an approximation.** No engine here models time-dependent travel (OR-Tools' self-
dependent dimensions are not in its Python API; PyVRP, the MILP and the construction have none).
They plan on :func:`planning_matrix`: per arc, the maximum over the periods in force while any
vehicle of the profile is on shift. By the bound above every exact drive is at most that long,
and the checker starts every visit as early as it can, so a plan feasible on the approximation
stays feasible with exact times (``FORMULATION.md`` gives the argument). The portfolio drops the
engines' planned visit times (:func:`retimed`; departures stay) so the checker re-times every
plan exactly, and says so in the answer's ``SolveInfo.strategy``. The one-stop pre-check uses
the per-arc minimum (:func:`optimistic_matrix`), a lower bound, so it never rules out a stop
the exact times allow.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np

from solvers.routing.plan import PlanEvaluation, PlannedVisit, RoutingPlan

if TYPE_CHECKING:
    from solvers.routing.problem import Vehicle

__all__ = [
    "PLANNING_NOTE",
    "TravelPeriods",
    "bounded_durations",
    "optimistic_matrix",
    "planning_matrix",
    "retimed",
    "timed_exactly",
]

#: What ``SolveInfo.strategy`` says of a plan made on the approximation and re-timed exactly.
PLANNING_NOTE = (
    "time-of-day travel: planned on the per-arc maximum over the periods in force, "
    "re-timed exactly by the checker"
)


@dataclass(frozen=True, eq=False)
class TravelPeriods:
    """The travel-time periods of one profile.

    Period i is in force from ``starts[i]`` (seconds from the problem's origin) until
    ``starts[i + 1]``; the first period also covers every time before its start and the last
    every time after. ``matrix_of[i]`` indexes ``matrices`` (a daily cycle unrolled over the
    horizon repeats a few matrices many times). Matrices are square int64 seconds.
    """

    starts: tuple[int, ...]
    matrix_of: tuple[int, ...]
    matrices: tuple[np.ndarray, ...]

    def __post_init__(self) -> None:
        if not self.starts or len(self.starts) != len(self.matrix_of):
            raise ValueError("one matrix index per period start, at least one period")
        if any(b <= a for a, b in zip(self.starts, self.starts[1:], strict=False)):
            raise ValueError("period starts must increase")
        if any(not 0 <= m < len(self.matrices) for m in self.matrix_of):
            raise ValueError("a period names no matrix")
        shapes = {np.shape(m) for m in self.matrices}
        if len(shapes) != 1 or len(next(iter(shapes))) != 2:
            raise ValueError("period matrices must be square and of one shape")

    @property
    def size(self) -> int:
        """Number of locations the matrices index."""
        return int(np.shape(self.matrices[0])[0])

    def period_at(self, t: int) -> int:
        """The period in force at time ``t``."""
        return max(0, bisect.bisect_right(self.starts, t) - 1)

    def seconds(self, period: int, a: int, b: int) -> int:
        """Drive a -> b in seconds at period ``period``'s speed."""
        return int(self.matrices[self.matrix_of[period]][a, b])

    def arrival(self, a: int, b: int, t: int) -> int:
        """When a drive a -> b that leaves at ``t`` arrives (IGP speeds, rounded up)."""
        p = self.period_at(t)
        last = len(self.starts) - 1
        full = self.seconds(p, a, b)
        if p == last or t + full <= self.starts[p + 1]:
            return t + full  # the drive ends in the period it started in: the common case
        left = Fraction(1)  # share of the arc still to drive
        now = Fraction(t)
        while True:
            full = self.seconds(p, a, b)
            if full == 0:
                return _ceil(now)
            needed = left * full
            if p == last or now + needed <= self.starts[p + 1]:
                return _ceil(now + needed)
            left -= (self.starts[p + 1] - now) / full
            p += 1
            now = Fraction(self.starts[p])

    def travel(self, a: int, b: int, t: int) -> int:
        """Seconds a drive a -> b takes when it leaves at ``t``."""
        return self.arrival(a, b, t) - t

    def in_force(self, lo: int, hi: int) -> list[int]:
        """Indices into ``matrices`` of the periods in force at some time of [lo, hi]."""
        first, last = self.period_at(lo), self.period_at(max(lo, hi))
        return sorted({self.matrix_of[p] for p in range(first, last + 1)})


def _ceil(x: Fraction) -> int:
    return -((-x.numerator) // x.denominator)


def planning_matrix(periods: TravelPeriods, lo: int, hi: int) -> np.ndarray:
    """Per arc, the longest drive of the periods in force during [lo, hi]: an upper bound on
    every drive that leaves in [lo, hi] and arrives by ``hi`` (see the module docstring)."""
    chosen = [np.asarray(periods.matrices[m], dtype=np.int64) for m in periods.in_force(lo, hi)]
    return np.maximum.reduce(chosen) if len(chosen) > 1 else chosen[0].copy()


def optimistic_matrix(periods: TravelPeriods, lo: int, hi: int) -> np.ndarray:
    """Per arc, the shortest drive of the periods in force during [lo, hi]: a lower bound on
    every drive in that span (for pre-checks that must never rule out a feasible visit)."""
    chosen = [np.asarray(periods.matrices[m], dtype=np.int64) for m in periods.in_force(lo, hi)]
    return np.minimum.reduce(chosen) if len(chosen) > 1 else chosen[0].copy()


def bounded_durations(
    periods: Sequence[TravelPeriods | None],
    base: Sequence[np.ndarray],
    vehicles: Sequence[Vehicle],
    *,
    upper: bool,
) -> tuple[np.ndarray, ...]:
    """Per profile, the planning matrix (``upper``) or the optimistic one, over the periods in
    force from the earliest shift start to the latest shift end of the profile's vehicles;
    ``base[k]`` for a profile without periods."""
    out = []
    for k, profile_periods in enumerate(periods):
        if profile_periods is None:
            out.append(base[k])
            continue
        shifts = [v.shift for v in vehicles if v.profile == k]
        lo = min((s.start for s in shifts), default=0)
        hi = max((s.end for s in shifts), default=lo)
        bound = planning_matrix if upper else optimistic_matrix
        out.append(bound(profile_periods, lo, hi))
    return tuple(out)


def retimed(plan: RoutingPlan) -> RoutingPlan:
    """The plan without the engine's visit start times, so the checker times every visit.

    Departures are kept. An engine that planned on the approximation timed its visits with
    drives at least as long as the exact ones; leaving when it planned to, the exact drives
    reach every visit no later than it planned, and the checker starts each as early as its
    windows allow: the plan stays feasible and the ETAs are exact (``FORMULATION.md``).
    """
    routes = tuple(
        replace(
            route,
            visits=tuple(
                visit if visit.start is None else PlannedVisit(visit.kind, visit.ref)
                for visit in route.visits
            ),
        )
        for route in plan.routes
    )
    return replace(plan, routes=routes)


def timed_exactly(
    plan: RoutingPlan, evaluate: Callable[[RoutingPlan], PlanEvaluation]
) -> tuple[RoutingPlan, PlanEvaluation]:
    """The re-timed plan and the checker's evaluation of it when it passes; otherwise the
    engine's own times, checked exactly (they may still pass; the checker decides)."""
    again = retimed(plan)
    exact = evaluate(again)
    return (again, exact) if exact.feasible else (plan, evaluate(plan))
