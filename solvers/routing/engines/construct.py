"""A fast constructive plan: sequential nearest-feasible-stop routes with reload trips.

Why: OR-Tools' insertion heuristics never insert a zero-penalty reload node on their own, so on
large sanitation instances they leave each truck with one trip (or, with full neighbourhoods,
take longer than the budget). This builder makes a plan that already has trips, breaks and final
unloads; it warm-starts the OR-Tools search and is the last resort when OR-Tools finds nothing.
It is a heuristic with no quality claim; the checker verifies whatever it produces.

Per vehicle, in order: from the current place and time, go to the stop that can start service
soonest among those that fit (window, trip and daily capacity, max stops, skills, and a return
home via the final unload within shift and max duration). When none fits but an unload would
make room, unload at the facility that finishes soonest. Breaks are taken at the earliest moment
inside their window, before a visit would push them past it.

Soonest-first strands stops whose window closes while every truck is elsewhere (Kim 1599_stop:
one stop open 07:00-07:30 got a truck of its own). An urgency bonus, ``weight`` x (seconds by
which the window's remaining slack is shorter than ``horizon``), pulls such stops forward. No
single setting wins everywhere (measured on the Kim instances), and a plan costs ~0.1 s at 2000
stops, so ``construct_best`` builds a few and keeps the best by the checker.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from solvers.budget import Deadline
from solvers.routing.checker import evaluate, rank
from solvers.routing.plan import PlannedVisit, RoutePlan, RoutingPlan, SkipReason, VisitKind
from solvers.routing.problem import RoutingProblem

__all__ = ["URGENCY_SETTINGS", "Urgency", "construct", "construct_best"]

_BIG = 2**40


@dataclass(frozen=True)
class Urgency:
    """Bonus (seconds of earlier start) per second of window slack below ``horizon``."""

    weight: float = 0.0
    horizon: int = 0


#: Tried in this order by construct_best; the first is plain soonest-first. Measured on Kim
#: (constructed vehicles): 2100_stop 17 -> 16 at (0.5, 900 s), 1599_stop 15 -> 14 and 804_stop
#: 6 -> 5 at (0.5, 3600 s), while 1932_stop's distance is best with no bonus.
URGENCY_SETTINGS = (
    Urgency(),
    Urgency(0.5, 900),
    Urgency(0.5, 1800),
    Urgency(0.5, 3600),
    Urgency(0.25, 3600),
    Urgency(1.0, 900),
)


def _window_arrays(problem: RoutingProblem, stops: list[int]) -> tuple[np.ndarray, np.ndarray]:
    width = max([len(problem.stops[i].time_windows) for i in stops] + [1])
    starts = np.full((len(stops), width), _BIG, dtype=np.int64)
    ends = np.full((len(stops), width), -1, dtype=np.int64)
    for row, i in enumerate(stops):
        windows = problem.stops[i].time_windows
        if not windows:
            starts[row, 0], ends[row, 0] = 0, _BIG
        for col, w in enumerate(windows):
            starts[row, col], ends[row, col] = w.start, w.end
    return starts, ends


def _earliest(arrival: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Earliest service start >= arrival inside a window, per candidate (_BIG when none)."""
    candidate = np.maximum(arrival[:, None], starts)
    candidate = np.where(candidate <= ends, candidate, _BIG)
    return candidate.min(axis=1)


def _unload(problem: RoutingProblem, v: int, f: int, location: int, t: int) -> int | None:
    """Start of unloading at facility f leaving ``location`` at t (None if it has closed)."""
    facility = problem.facilities[f]
    arrival = t + problem.travel(v, location, facility.location)
    start = arrival if facility.opening is None else max(arrival, facility.opening.start)
    if facility.opening is not None and start > facility.opening.end:
        return None
    return start


def construct_best(
    problem: RoutingProblem,
    eligible: dict[int, list[int]],
    final_facility: list[int | None],
    deadline: Deadline | None = None,
    share: float = 0.1,
) -> RoutingPlan:
    """The best plan over URGENCY_SETTINGS by the checker's ranking (evaluate.rank).

    Plain soonest-first always runs; the others only while less than ``share`` of the time left
    at the call has gone.
    """
    stop_at = None if deadline is None else time.monotonic() + share * deadline.remaining()
    best: tuple[tuple[int, int, int, float], RoutingPlan] | None = None
    for urgency in URGENCY_SETTINGS:
        if best is not None and stop_at is not None and time.monotonic() > stop_at:
            break
        plan = construct(problem, eligible, final_facility, urgency)
        key = rank(problem, evaluate(problem, plan))
        if best is None or key < best[0]:
            best = (key, plan)
    assert best is not None
    return best[1]


def construct(
    problem: RoutingProblem,
    eligible: dict[int, list[int]],
    final_facility: list[int | None],
    urgency: Urgency = Urgency(),
) -> RoutingPlan:
    """Build a plan for the stops in ``eligible`` (stop -> vehicles that may serve it).

    ``final_facility[v]`` is where vehicle v must unload last (None: it needs no unload, or it
    can take no load). Stops left over are skipped (NO_CAPACITY_LEFT / SKIPPED_FOR_COST).
    """
    stops = sorted(i for i, vs in eligible.items() if vs)
    n_dims = problem.n_dims
    if not stops:
        return RoutingPlan((), {})
    location = np.array([problem.stops[i].location for i in stops], dtype=np.int64)
    service = np.array([problem.stops[i].service_duration for i in stops], dtype=np.int64)
    demand = np.zeros((len(stops), max(1, n_dims)), dtype=np.int64)
    for row, i in enumerate(stops):
        for d, q in enumerate(problem.stops[i].demands[:n_dims]):
            demand[row, d] = max(0, q)
    loaded = demand.sum(axis=1) > 0
    w_starts, w_ends = _window_arrays(problem, stops)
    arrays = _Arrays(location, service, demand, loaded, w_starts, w_ends)
    open_ = np.ones(len(stops), dtype=bool)
    routes: list[RoutePlan] = []

    for v in range(len(problem.vehicles)):
        route = _route(problem, eligible, final_facility, v, stops, arrays, open_, urgency)
        if route is not None:
            routes.append(route)

    skipped = {
        stops[row]: (
            SkipReason.SKIPPED_FOR_COST
            if problem.stops[stops[row]].optional
            else SkipReason.NO_CAPACITY_LEFT
        )
        for row in np.flatnonzero(open_)
    }
    return RoutingPlan(tuple(routes), skipped)


@dataclass(frozen=True)
class _Arrays:
    """Per-stop data of the candidate stops, in ``stops`` order."""

    location: np.ndarray
    service: np.ndarray
    demand: np.ndarray
    loaded: np.ndarray
    w_starts: np.ndarray
    w_ends: np.ndarray


def _route(
    problem: RoutingProblem,
    eligible: dict[int, list[int]],
    final_facility: list[int | None],
    v: int,
    stops: list[int],
    arrays: _Arrays,
    open_: np.ndarray,
    urgency: Urgency,
) -> RoutePlan | None:
    """One vehicle's route over the stops still open (marks the ones it serves as taken)."""
    vehicle = problem.vehicles[v]
    n_dims = problem.n_dims
    location, service, demand = arrays.location, arrays.service, arrays.demand
    loaded, w_starts, w_ends = arrays.loaded, arrays.w_starts, arrays.w_ends
    allowed = np.array([v in eligible[i] for i in stops], dtype=bool)
    if not (allowed & open_).any():
        return None
    matrix = np.asarray(problem.durations[vehicle.profile], dtype=np.int64)
    cap = np.array(
        vehicle.capacities[:n_dims]
        if vehicle.capacities is not None and n_dims
        else [_BIG] * max(1, n_dims),
        dtype=np.int64,
    )
    daily_cap = np.array(
        vehicle.daily_capacities[:n_dims]
        if vehicle.daily_capacities is not None and n_dims
        else [_BIG] * max(1, n_dims),
        dtype=np.int64,
    )
    ef = final_facility[v]
    if ef is not None:
        ef_loc = problem.facilities[ef].location
        ef_open = problem.facilities[ef].opening
        tail = problem.facilities[ef].unload_duration + problem.travel(v, ef_loc, vehicle.end)
    limit_end = vehicle.shift.end
    if vehicle.max_route_duration:
        limit_end = min(limit_end, vehicle.shift.start + vehicle.max_route_duration)
    breaks = sorted(
        (
            b
            for b in range(len(vehicle.breaks))
            if vehicle.breaks[b].start_window.start < vehicle.shift.end
        ),
        key=lambda b: vehicle.breaks[b].start_window.start,
    )
    here, t = vehicle.start, vehicle.shift.start
    load = np.zeros_like(cap)
    daily = np.zeros_like(cap)
    served = 0
    visits: list[PlannedVisit] = []

    def home_time(after: np.ndarray, positions: np.ndarray, must_unload: np.ndarray) -> np.ndarray:
        """Arrival home after serving candidates (via the final unload when needed)."""
        direct = after + matrix[positions, vehicle.end]
        if ef is None:
            return direct
        at_ef = after + matrix[positions, ef_loc]
        if ef_open is not None:
            at_ef = np.where(at_ef <= ef_open.end, np.maximum(at_ef, ef_open.start), _BIG)
        return np.where(must_unload, at_ef + tail, direct)

    def pending_break_time(until: np.ndarray) -> np.ndarray:
        extra = np.zeros_like(until)
        for b in breaks:
            brk = vehicle.breaks[b]
            extra += np.where(until > brk.start_window.start, brk.duration, 0)
        return extra

    while True:
        # Take a break now if its window is open (the earliest moment, at this place).
        if breaks and t >= vehicle.breaks[breaks[0]].start_window.start:
            b = breaks.pop(0)
            brk = vehicle.breaks[b]
            if t > brk.start_window.end:
                break  # missed: end the route here (the checker decides)
            visits.append(PlannedVisit(VisitKind.BREAK, b, t))
            t += brk.duration
            continue
        cand = np.flatnonzero(allowed & open_)
        if ef is None:
            cand = cand[~loaded[cand]] if problem.facilities else cand
        if vehicle.max_stops and served >= vehicle.max_stops:
            cand = cand[:0]
        choice = None
        if cand.size:
            arrival = t + matrix[here, location[cand]]
            start = _earliest(arrival, w_starts[cand], w_ends[cand])
            after = start + service[cand]
            new_load = load[None, :] + demand[cand]
            fits = (new_load <= cap[None, :]).all(axis=1)
            fits &= (daily[None, :] + demand[cand] <= daily_cap[None, :]).all(axis=1)
            fits &= start < _BIG
            must_unload = new_load.sum(axis=1) > 0
            home = home_time(after, location[cand], must_unload)
            home = home + pending_break_time(home)
            fits &= home <= limit_end
            if breaks:
                first = vehicle.breaks[breaks[0]].start_window
                # A visit may not end after the window of the next break has closed.
                fits &= (after <= first.end) | (after < first.start)
            if fits.any():
                pick = np.flatnonzero(fits)
                score = start[pick] - t
                if urgency.weight:
                    ends = w_ends[cand[pick]]
                    closes = np.where(ends >= start[pick][:, None], ends, _BIG).min(axis=1)
                    short = np.maximum(0, urgency.horizon - (closes - start[pick]))
                    score = score - urgency.weight * short
                choice = int(cand[pick[np.argmin(score)]])
        if choice is not None:
            row = choice
            arrival_t = t + int(matrix[here, location[row]])
            start_t = int(
                _earliest(np.array([arrival_t]), w_starts[row : row + 1], w_ends[row : row + 1])[0]
            )
            if breaks:
                brk = vehicle.breaks[breaks[0]]
                if start_t >= brk.start_window.start:
                    # The break window opens before service: take it first, then go.
                    b = breaks.pop(0)
                    bt = max(t, brk.start_window.start)
                    visits.append(PlannedVisit(VisitKind.BREAK, b, bt))
                    t = bt + brk.duration
                    continue
            visits.append(PlannedVisit(VisitKind.STOP, stops[row], start_t))
            t = start_t + int(service[row])
            here = int(location[row])
            load = load + demand[row]
            daily = daily + demand[row]
            served += 1
            open_[row] = False
            continue
        # Nothing fits: unload if that could make room, else go home.
        if load.sum() > 0 and problem.facilities and served:
            best: tuple[int, int] | None = None
            for f in range(len(problem.facilities)):
                unload = _unload(problem, v, f, here, t)
                if unload is None:
                    continue
                finish = unload + problem.facilities[f].unload_duration
                back = finish + problem.travel(v, problem.facilities[f].location, vehicle.end)
                back += int(pending_break_time(np.array([back]))[0])
                if back > limit_end:
                    continue
                if best is None or finish < best[0]:
                    best = (finish, f)
            if (
                best is not None
                and any((allowed & open_ & ((demand <= cap[None, :]).all(axis=1))).tolist())
                and best[0] < limit_end
            ):
                finish, f = best
                if breaks:
                    window = vehicle.breaks[breaks[0]].start_window
                    if finish > window.end and finish >= window.start and t <= window.end:
                        # The unload would run past the break window: break first.
                        b = breaks.pop(0)
                        bt = max(t, window.start)
                        visits.append(PlannedVisit(VisitKind.BREAK, b, bt))
                        t = bt + vehicle.breaks[b].duration
                        continue
                visits.append(
                    PlannedVisit(
                        VisitKind.FACILITY, f, finish - problem.facilities[f].unload_duration
                    )
                )
                t, here = finish, problem.facilities[f].location
                load = np.zeros_like(load)
                continue
        break
    if not any(visit.kind is VisitKind.STOP for visit in visits):
        return None  # nothing served: the vehicle stays home
    must_unload = bool(load.sum() > 0 and ef is not None)
    for b in list(breaks):
        # A break is owed when the route is still running as its window opens.
        brk = vehicle.breaks[b]
        home = int(home_time(np.array([t]), np.array([here]), np.array([must_unload]))[0])
        if home > brk.start_window.start and t <= brk.start_window.end:
            bt = max(t, brk.start_window.start)
            visits.append(PlannedVisit(VisitKind.BREAK, b, bt))
            t = bt + brk.duration
    if must_unload:
        start_ef = _unload(problem, v, ef, here, t)
        visits.append(PlannedVisit(VisitKind.FACILITY, ef, start_ef))
    return RoutePlan(v, tuple(visits), departure=vehicle.shift.start)
