"""Driver breaks for an engine without them: a clock they are cut out of, and the repair.

PyVRP 0.14 has no driver breaks. The PyVRP engine solves on a clock that has the breaks cut out,
and every route it returns goes through :func:`with_breaks`, which puts each break where the
independent checker accepts it (the whole plan is checked again before it is used):

* **The clock.** Every vehicle must have breaks with the same start windows (durations may
  differ, see :func:`common_breaks`). Each break is cut out of the timeline at the middle of its
  start window: a time after the cut counts as that time minus the break, a time inside it as
  the cut itself. Stop windows, facility hours and shifts are put on this clock, so a route that
  fits them is a real route with the break taken at the cut, wherever the vehicle is then; half
  the break window on either side leaves room for a service or a drive under way at the cut.
* **Different durations.** Per start window the clock cuts out the *longest* duration any
  vehicle has. That is conservative: a vehicle whose break is shorter takes it and is simply
  ready earlier. The checker schedules every visit as early as it can, and the earliest start
  in a stop's windows never decreases when the vehicle is ready earlier, so every later visit
  starts no later than it would after the longest break, inside the same windows, and the
  route ends no later. Any route feasible on the clock is therefore feasible for every vehicle.
* **The repair.** :func:`with_breaks` tries each break first at the position where the relaxed
  route crossed its cut, then ever further away, and keeps the first route without violations.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from solvers.routing.checker import evaluate_route, route_violations
from solvers.routing.plan import PlannedVisit, RoutePlan, ViolationType, VisitKind
from solvers.routing.problem import Break, RoutingProblem

__all__ = ["BREAK_POSITIONS_TRIED", "Clock", "common_breaks", "with_breaks"]

#: Positions tried per break, nearest the cut first; each is one route simulation.
BREAK_POSITIONS_TRIED = 40


@dataclass(frozen=True)
class Clock:
    """The timeline with every break cut out at the middle of its start window."""

    cuts: tuple[tuple[int, int], ...] = ()  # (real time of the cut, break seconds), in order

    @classmethod
    def without(cls, breaks: Sequence[Break]) -> Clock:
        """The clock that removes ``breaks`` (the same for every vehicle)."""
        return cls(tuple(sorted((_middle(b), b.duration) for b in breaks if b.duration > 0)))

    def at_cut(self, brk: Break) -> int:
        """Where ``brk`` is cut, on this clock (a relaxed route crosses it there)."""
        return self(_middle(brk))

    def __call__(self, t: int) -> int:
        """Time ``t`` on this clock."""
        out = t
        for at, duration in self.cuts:
            if t >= at + duration:
                out -= duration
            elif t > at:
                out -= t - at
        return out

    @property
    def break_seconds(self) -> int:
        """Seconds the cuts remove from a route that runs through all of them."""
        return sum(duration for _, duration in self.cuts)


def _middle(brk: Break) -> int:
    """The middle of a break's start window: where the clock cuts it out."""
    return (brk.start_window.start + brk.start_window.end) // 2


def common_breaks(problem: RoutingProblem) -> tuple[Break, ...] | None:
    """The breaks one clock can cut out for every vehicle, or None when there are none such.

    Every vehicle must have breaks with the same start windows; per window the longest
    duration any vehicle has is cut out (shorter breaks are taken and waited out, which the
    module docstring shows is safe). None when the start windows differ between vehicles.
    """
    if not problem.vehicles:
        return ()
    per_vehicle = [sorted(v.breaks, key=_order) for v in problem.vehicles]
    windows = {tuple(b.start_window for b in breaks) for breaks in per_vehicle}
    if len(windows) > 1:
        return None
    first = per_vehicle[0]
    return tuple(
        replace(brk, duration=max(breaks[b].duration for breaks in per_vehicle))
        for b, brk in enumerate(first)
    )


def _order(brk: Break) -> tuple[int, int, int]:
    return (brk.start_window.start, brk.start_window.end, brk.duration)


def with_breaks(
    problem: RoutingProblem,
    vehicle: int,
    visits: Sequence[PlannedVisit],
    cut_positions: Sequence[int],
) -> RoutePlan | None:
    """The route with its breaks where the checker accepts them (None if nowhere).

    ``cut_positions[b]`` is where the relaxed route crossed break b's cut (the index of the
    first visit at or after it); break b is tried there first, then ever further away. The
    route without breaks is returned when it breaks no rule (home before the break windows, or
    out after them).
    """
    plain = RoutePlan(vehicle, tuple(visits))
    if not route_violations(evaluate_route(problem, plain)):
        return plain
    breaks = problem.vehicles[vehicle].breaks
    if not breaks:
        return None  # the violations are not about breaks: no break can mend them
    order = sorted(range(len(breaks)), key=lambda b: breaks[b].start_window.start)
    placed = list(visits)
    for rank, b in enumerate(order):
        hint = cut_positions[b] if b < len(cut_positions) else len(visits) // 2
        hint += rank  # the breaks placed before this one moved it
        found = _placed(problem, vehicle, placed, b, hint, set(order[rank + 1 :]))
        if found is None:
            return None
        placed = found
    return RoutePlan(vehicle, tuple(placed))


def _placed(
    problem: RoutingProblem,
    vehicle: int,
    visits: list[PlannedVisit],
    b: int,
    hint: int,
    later: set[int],
) -> list[PlannedVisit] | None:
    """``visits`` with break b at the position nearest ``hint`` that leaves no violation but
    those of the breaks still to place (``later``)."""
    positions = sorted(range(len(visits) + 1), key=lambda q: (abs(q - hint), q))
    for p in positions[:BREAK_POSITIONS_TRIED]:
        candidate = [*visits[:p], PlannedVisit(VisitKind.BREAK, b), *visits[p:]]
        route = RoutePlan(vehicle, tuple(candidate))
        problems = [
            x
            for x in route_violations(evaluate_route(problem, route))
            if not (x.type is ViolationType.BREAK and x.ref in later)
        ]
        if not problems:
            return candidate
    return None
