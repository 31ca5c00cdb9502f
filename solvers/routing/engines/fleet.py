"""What each vehicle can do at all: where it unloads last, whether it can work, which stops it
may take.

The OR-Tools model and the constructive heuristic must agree on these (the constructed plan
warm-starts the model), and the heuristic runs without OR-Tools, so they live here rather than
in either engine. Skills and allowed vehicles come from ``RoutingProblem.eligible``; this adds
the conditions that follow from shifts, breaks and facilities.
"""

from __future__ import annotations

from dataclasses import dataclass

from solvers.routing.problem import Break, RoutingProblem, TimeWindow, Vehicle

__all__ = [
    "Fleet",
    "break_window",
    "clip",
    "eligible_vehicles",
    "fleet",
    "owed_breaks",
]


@dataclass(frozen=True)
class Fleet:
    """Per-vehicle facts for one set of kept stops.

    ``final_facility[v]`` is where vehicle v unloads last (None: no unload needed, or none fits
    its shift); ``tail_seconds``/``tail_metres`` cover that unload and the drive home after it.
    ``usable[v]`` is False when the vehicle cannot even drive its empty route (with the breaks
    it owes) inside its limits: it stays home. ``uses_facilities``: facilities exist and some
    kept stop has load, so reload trips and final unloads are modelled.
    """

    final_facility: tuple[int | None, ...]
    tail_seconds: tuple[int, ...]
    tail_metres: tuple[int, ...]
    usable: tuple[bool, ...]
    uses_facilities: bool


def clip(window: TimeWindow | None, lo: int, hi: int) -> tuple[int, int] | None:
    """Intersection of [lo, hi] with an optional window, or None when empty."""
    if window is not None:
        lo, hi = max(lo, window.start), min(hi, window.end)
    return (lo, hi) if lo <= hi else None


def owed_breaks(vehicle: Vehicle) -> list[int]:
    """Breaks that can matter: a window opening at or after shift end is never owed."""
    return [b for b, brk in enumerate(vehicle.breaks) if brk.start_window.start < vehicle.shift.end]


def break_window(vehicle: Vehicle, brk: Break, tail: int = 0) -> tuple[int, int] | None:
    """Start range of a break clipped to the shift; None when it cannot be taken in it.

    ``tail`` (final unload and drive home) is kept free after the break, so a break the solver
    puts after the route can be taken before the final unload and still end in the shift.
    """
    lo = max(brk.start_window.start, vehicle.shift.start)
    hi = min(brk.start_window.end, vehicle.shift.end - tail - max(1, brk.duration))
    return (lo, hi) if lo <= hi else None


def fleet(problem: RoutingProblem, keep: list[int]) -> Fleet:
    """The per-vehicle facts when only the stops in ``keep`` are to be served."""
    uses_facilities = bool(problem.facilities) and any(
        q > 0 for i in keep for q in problem.stops[i].demands
    )
    finals, tails, metres, usable = [], [], [], []
    for v, vehicle in enumerate(problem.vehicles):
        final, tail, tail_m = _final_facility(problem, v) if uses_facilities else (None, 0, 0)
        location = problem.facilities[final].location if final is not None else vehicle.end
        # Even an unused vehicle's empty route start -> end must fit its limits in OR-Tools;
        # a vehicle that cannot even do that (or owes a break its shift cannot hold) stays home.
        # Owed breaks may have to be taken during that empty route, so count them in.
        owed = owed_breaks(vehicle)
        empty = (
            problem.travel(v, vehicle.start, location)
            + tail
            + sum(max(1, vehicle.breaks[b].duration) for b in owed)
        )
        fits = vehicle.shift.start + empty <= vehicle.shift.end and (
            not vehicle.max_route_duration or empty <= vehicle.max_route_duration
        )
        breaks_fit = all(break_window(vehicle, vehicle.breaks[b], tail) is not None for b in owed)
        finals.append(final)
        tails.append(tail)
        metres.append(tail_m)
        usable.append(fits and breaks_fit)
    return Fleet(tuple(finals), tuple(tails), tuple(metres), tuple(usable), uses_facilities)


def eligible_vehicles(
    problem: RoutingProblem, fleet: Fleet, keep: list[int]
) -> dict[int, list[int]]:
    """Kept stop -> vehicles that may serve it: eligible by skills and allowed vehicles,
    usable, and able to unload at the end when the stop has load."""
    out = {}
    for i in keep:
        loaded = fleet.uses_facilities and any(q > 0 for q in problem.stops[i].demands)
        out[i] = [
            v
            for v in problem.eligible_vehicles(i)
            if fleet.usable[v] and not (loaded and fleet.final_facility[v] is None)
        ]
    return out


def _final_facility(problem: RoutingProblem, v: int) -> tuple[int | None, int, int]:
    """Facility where vehicle v unloads last: the one closest to home that fits the shift.

    Returns (facility, seconds after its unload start until home, metres of the drive home).
    """
    vehicle = problem.vehicles[v]
    owed = [vehicle.breaks[b] for b in owed_breaks(vehicle)]
    best: tuple[int, int] | None = None
    for f, facility in enumerate(problem.facilities):
        tail = facility.unload_duration + problem.travel(v, facility.location, vehicle.end)
        earliest = vehicle.shift.start + problem.travel(v, vehicle.start, facility.location)
        latest = vehicle.shift.end - tail
        if vehicle.max_route_duration:
            latest = min(latest, vehicle.shift.start + vehicle.max_route_duration - tail)
        if clip(facility.opening, earliest, latest) is None:
            continue
        if (
            facility.opening is not None
            and _earliest_unload(owed, vehicle.shift.start, earliest - vehicle.shift.start)
            > facility.opening.end
        ):
            continue  # the owed breaks could not end before the last unload must start
        if best is None or (tail, f) < best:
            best = (tail, f)
    if best is None:
        return None, 0, 0
    tail, f = best
    return f, tail, problem.distance(v, problem.facilities[f].location, vehicle.end)


def _earliest_unload(owed: list[Break], depart: int, drive: int) -> int:
    """Earliest start of the final unload of an empty route that leaves at ``depart`` and
    drives ``drive`` seconds, with every owed break taken before the unload (the OR-Tools
    model bounds each break to end before the final facility closes).

    Breaks are taken as early as their windows allow, interrupting the drive (or waiting at
    the facility when it is over): never idling while there is driving left gives the earliest
    finish. It is never before any one break's earliest end (its window's start, or the
    departure, plus its duration). Each lasts at least 1 s, as the model has it; without that,
    a zero-length break let a facility closing at the break-free arrival pass here while the
    model had no feasible route at all, and OR-Tools found no first solution."""
    now, left = depart, drive
    for brk in sorted(owed, key=lambda b: b.start_window.start):
        begin = max(brk.start_window.start, now)
        left -= min(left, begin - now)
        now = begin + max(1, brk.duration)
    return now + left
