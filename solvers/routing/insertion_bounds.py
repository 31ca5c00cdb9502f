"""Bounds for insertion advice: which places can be ruled out, and the best a place can cost,
for every place of a live plan at once (numpy), before any candidate route is simulated.

Why: the checker simulates a candidate route in ~70 microseconds (15 visits); a 400-stop plan
has ~450 places per new stop, and the advice must answer in tens of milliseconds. The live plan
is indexed once (:class:`PlanIndex`); per new stop, :meth:`PlanIndex.screen` rules places out
and bounds the cost of the rest with a few array operations, so the search verifies only the
places that can still make the best k.

Everything here is *sound*, never exact: a place ruled out is certainly infeasible, and a
bound never exceeds what the checker will compute. The checker has the last word on every
place that is kept. With the checker's rules (``solvers.routing.checker``):

* **Earliest times.** Visits start as early as possible and the simulation is monotone in the
  departure, which is never before the shift start. Simulating the live route from the shift
  start gives, for each visit, the earliest time it can end in any route that keeps the visits
  before it (the inserted stop changes nothing before it). The new stop is reached no earlier
  than that end plus the drive (a break on the way only delays it).
* **Latest times.** A backward pass gives each located visit the latest start that still lets
  the rest of the route meet its windows and reach the end by the shift end, ignoring breaks
  and the route duration limit (both only make it earlier). If the new stop, served as early as
  it can, reaches the next visit after that, the place is infeasible. When the stop's load adds
  one more unload on the way home, the way home is bounded through the facility that makes it
  shortest (matrices need not obey the triangle inequality: that may beat driving straight).
* **Cost.** Duration = travel + service + waiting + breaks (the checker's identity); the breaks
  are the same, waiting cannot fall below zero, and the driving and metres added are exact (the
  legs are known), so the added duration is at least added travel + service - the route's
  waiting. A place that needs one more unload is bounded through the facility that makes the
  detour shortest.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from solvers.routing.checker import evaluate_route
from solvers.routing.plan import PlannedVisit, RouteEvaluation, RoutePlan, VisitKind
from solvers.routing.problem import RoutingProblem, TimeWindow
from solvers.routing.repair import Slot
from solvers.routing.soft_windows import hard_windows

__all__ = ["Cause", "PlanIndex", "Screen"]


class _Entry(NamedTuple):
    """One place of the live plan (a position of a used route, or a new route)."""

    vehicle: int
    prev_loc: int  # the located visit before it (the start for position 0 or a new route)
    next_loc: int  # the located visit after it (the end on the last leg)
    earliest_loc: int  # earliest end of the located visit before it
    earliest_any: int  # earliest end of the visit right before it (a break included)
    latest_next: int  # latest start of the located visit after it that keeps the rest feasible
    shift_bound: int  # 1 when the shift end, not a window, sets latest_next
    last_leg: int  # 1 when nothing located follows it
    last_loc: int  # the route's last located visit
    wait: int  # the live route's waiting, seconds
    new_route: int  # 1 for the new route of an idle vehicle


_COLUMNS = _Entry._fields
_NEVER = np.int64(-(2**62))  # a latest start no schedule can meet
_NONE = np.int64(2**62)  # an earliest start that does not exist (every window closed)


class Cause(enum.Enum):
    """Why a place cannot take a stop, as the advice counts it."""

    TIME_WINDOW = "TIME_WINDOW"
    SHIFT = "SHIFT"
    CAPACITY = "CAPACITY"


@dataclass(frozen=True)
class Screen:
    """Per place given to :meth:`PlanIndex.screen`: whether it survives, why not, and the
    lower bounds of its ranking key (new vehicle, cost increase, driving increase)."""

    alive: np.ndarray  # bool
    cause: list[Cause | None]  # the cause for places ruled out
    new_vehicle: np.ndarray  # int: 1 when the place opens a route and vehicles come first
    cost: np.ndarray  # float: lower bound of the cost increase
    travel: np.ndarray  # int: lower bound of the driving increase


@dataclass(frozen=True)
class _Unload:
    """Lower bounds for one more unload before the end: the driving, duration (unloading
    included) and metres it adds, and the seconds from the new stop home through it."""

    travel: int
    duration: int
    metres: int
    home: int


def _latest_start(windows: Sequence[TimeWindow], bound: int) -> tuple[int, bool]:
    """Latest start <= bound inside a window, and whether a window end (not the bound) set it."""
    if not windows:
        return bound, False
    best, by_window = int(_NEVER), False
    for w in windows:
        if w.start <= bound:
            candidate = min(w.end, bound)
            if candidate > best:
                best, by_window = candidate, w.end < bound
    return best, by_window


class PlanIndex:
    """One live plan, indexed for :meth:`screen`: one entry per place (position of a used
    route, or the new route of a vehicle without one).

    ``routes`` maps a vehicle to its route; ``evaluations`` holds the checker's evaluation of
    each (the schedule the crews have).
    """

    def __init__(
        self,
        problem: RoutingProblem,
        routes: Mapping[int, RoutePlan],
        evaluations: Mapping[int, RouteEvaluation],
    ) -> None:
        self.problem = problem
        self.offset: dict[int, int] = {}
        rows: list[_Entry] = []
        for v in range(len(problem.vehicles)):
            self.offset[v] = len(rows)
            if v in routes:
                self._add_route(v, routes[v], evaluations[v], rows)
            else:
                self._add_idle(v, rows)
        table = np.asarray(rows, dtype=np.int64).reshape(len(rows), len(_COLUMNS))
        self.cols = {name: table[:, i] for i, name in enumerate(_COLUMNS)}
        self._via: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray]] = {}

    def _add_idle(self, v: int, rows: list[_Entry]) -> None:
        vehicle = self.problem.vehicles[v]
        rows.append(
            _Entry(
                vehicle=v,
                prev_loc=vehicle.start,
                next_loc=vehicle.end,
                earliest_loc=vehicle.shift.start,
                earliest_any=vehicle.shift.start,
                latest_next=vehicle.shift.end,
                shift_bound=1,
                last_leg=1,
                last_loc=vehicle.start,
                wait=0,
                new_route=1,
            )
        )

    def _add_route(
        self, v: int, route: RoutePlan, live: RouteEvaluation, rows: list[_Entry]
    ) -> None:
        """Entries for positions 0..len(visits) of a used route."""
        problem, vehicle = self.problem, self.problem.vehicles[v]
        visits = [PlannedVisit(visit.kind, visit.ref) for visit in route.visits]
        # START, the visits, END: each as early as any route keeping this prefix can have it.
        early = evaluate_route(problem, RoutePlan(v, tuple(visits), vehicle.shift.start)).visits
        latest, by_shift = self._latest(v, visits)
        located = [i for i, visit in enumerate(visits) if visit.kind is not VisitKind.BREAK]
        last_loc = _location(problem, visits[located[-1]]) if located else vehicle.start
        prev_loc, earliest_loc = vehicle.start, early[0].end
        following = 0  # index into `located` of the first located visit at or after p
        for p in range(len(visits) + 1):
            while following < len(located) and located[following] < p:
                prev_loc = _location(problem, visits[located[following]])
                earliest_loc = early[located[following] + 1].end
                following += 1
            last_leg = following == len(located)
            nxt = None if last_leg else located[following]
            rows.append(
                _Entry(
                    vehicle=v,
                    prev_loc=prev_loc,
                    next_loc=vehicle.end if nxt is None else _location(problem, visits[nxt]),
                    earliest_loc=earliest_loc,
                    earliest_any=early[p].end,
                    latest_next=vehicle.shift.end if nxt is None else latest[nxt],
                    shift_bound=1 if nxt is None else int(by_shift[nxt]),
                    last_leg=int(last_leg),
                    last_loc=last_loc,
                    wait=live.wait_seconds,
                    new_route=0,
                )
            )

    def _latest(self, v: int, visits: Sequence[PlannedVisit]) -> tuple[list[int], list[bool]]:
        """Per visit: latest start that lets the rest of the route meet its windows and the
        shift end (breaks ignored), and whether the shift end, not a window, set it."""
        problem, vehicle = self.problem, self.problem.vehicles[v]
        latest, by_shift = [0] * len(visits), [True] * len(visits)
        after, after_loc, after_shift = vehicle.shift.end, vehicle.end, True
        for i in range(len(visits) - 1, -1, -1):
            visit = visits[i]
            if visit.kind is VisitKind.BREAK:
                continue
            here = _location(problem, visit)
            windows, service = _windows_and_service(problem, visit)
            bound = after - problem.travel(v, here, after_loc) - service
            start, by_window = _latest_start(windows, bound)
            latest[i], by_shift[i] = start, after_shift and not by_window
            after, after_loc, after_shift = start, here, by_shift[i]
        return latest, by_shift

    def entries(self, slots: Sequence[Slot]) -> np.ndarray:
        """Entry index of each slot."""
        return np.asarray([self.offset[s.vehicle] + s.position for s in slots], dtype=np.int64)

    def screen(self, problem: RoutingProblem, stop: int, slots: Sequence[Slot]) -> Screen:
        """Rule out places and bound the rest, for ``stop`` at each of ``slots``.

        ``problem`` is the index's own or the same one with new stops appended (the entries
        read only the vehicles, facilities, matrices and the live stops, which it shares).
        """
        s = problem.stops[stop]
        idx = self.entries(slots)
        c = {name: column[idx] for name, column in self.cols.items()}
        vehicles = [problem.vehicles[v] for v in c["vehicle"]]
        profiles = np.asarray([v.profile for v in vehicles], dtype=np.int64)
        into, out_of, base = (np.zeros(len(idx), dtype=np.int64) for _ in range(3))
        m_into, m_out, m_base = (np.zeros(len(idx), dtype=np.int64) for _ in range(3))
        for k in np.unique(profiles):
            rows = profiles == k
            into[rows], out_of[rows], base[rows] = _legs(problem.durations[k], c, rows, s.location)
            metres = problem.distances[k]
            if metres is not None:
                m_into[rows], m_out[rows], m_base[rows] = _legs(metres, c, rows, s.location)
        travel = into + out_of - base
        metres_added = m_into + m_out - m_base
        unload = np.zeros(len(idx), dtype=np.int64)
        onward = out_of.copy()  # from the stop's end to the next visit's start, at least
        for j in np.flatnonzero([slot.final_unload for slot in slots]):
            extra = self._final_unload(int(c["vehicle"][j]), c, j, s.location)
            travel[j] += extra.travel
            unload[j] = extra.duration - extra.travel
            metres_added[j] += extra.metres
            if c["last_leg"][j]:  # the way home now runs through a facility
                onward[j] = extra.home
        arrival = np.maximum(c["earliest_loc"] + into, c["earliest_any"])
        start = _earliest_starts(hard_windows(s), arrival)  # soft: the hard span
        missed = start >= _NONE
        late_after = ~missed & (start + s.service_duration + onward > c["latest_next"])
        cause: list[Cause | None] = [None] * len(idx)
        for j in np.flatnonzero(missed | late_after):
            by_shift = late_after[j] and c["shift_bound"][j]
            cause[j] = Cause.SHIFT if by_shift else Cause.TIME_WINDOW
        duration = travel + unload + s.service_duration - c["wait"]
        return Screen(
            alive=~(missed | late_after),
            cause=cause,
            new_vehicle=c["new_route"] * int(problem.minimize_vehicles_first),
            cost=_cost_bounds(vehicles, c["new_route"], duration, metres_added),
            travel=travel,
        )

    def _final_unload(self, v: int, c: dict[str, np.ndarray], j: int, here: int) -> _Unload:
        """Least extra driving, duration and metres of one more unload before the end."""
        vehicle = self.problem.vehicles[v]
        key = (vehicle.profile, vehicle.end)
        if key not in self._via:
            self._via[key] = self._via_facilities(v)
        via_t, via_d, via_m = self._via[key]
        last = here if c["last_leg"][j] else int(c["last_loc"][j])
        direct_t = self.problem.travel(v, last, vehicle.end)
        direct_m = self.problem.distance(v, last, vehicle.end)
        return _Unload(
            travel=int(via_t[last]) - direct_t,
            duration=int(via_d[last]) - direct_t,
            metres=int(via_m[last]) - direct_m,
            home=int(via_d[here]),
        )

    def _via_facilities(self, v: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """From every location to vehicle v's end through the best facility: seconds driven,
        seconds with the unloading, metres (each minimised on its own: a lower bound)."""
        problem, vehicle = self.problem, self.problem.vehicles[v]
        at = np.asarray([f.location for f in problem.facilities], dtype=np.int64)
        unload = np.asarray([f.unload_duration for f in problem.facilities], dtype=np.int64)
        durations = problem.durations[vehicle.profile]
        drive = durations[:, at] + durations[at, vehicle.end][None, :]
        metres = problem.distances[vehicle.profile]
        via_m = np.zeros(len(problem.location_ids), dtype=np.int64)
        if metres is not None:
            via_m = (metres[:, at] + metres[at, vehicle.end][None, :]).min(axis=1)
        return drive.min(axis=1), (drive + unload[None, :]).min(axis=1), via_m


def _legs(
    matrix: np.ndarray, c: dict[str, np.ndarray], rows: np.ndarray, here: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """previous -> stop, stop -> next, and previous -> next (0 for a new route: no leg before)."""
    before, after = c["prev_loc"][rows], c["next_loc"][rows]
    base = np.where(c["new_route"][rows] == 1, 0, matrix[before, after])
    return matrix[before, here], matrix[here, after], base


def _earliest_starts(windows: Sequence[TimeWindow], arrival: np.ndarray) -> np.ndarray:
    """Earliest start inside a window that has not closed, per arrival (_NONE: all closed)."""
    if not windows:
        return arrival
    starts = np.asarray([w.start for w in windows], dtype=np.int64)
    ends = np.asarray([w.end for w in windows], dtype=np.int64)
    open_ = ends[None, :] >= arrival[:, None]
    candidates = np.where(open_, np.maximum(arrival[:, None], starts[None, :]), _NONE)
    return candidates.min(axis=1)


def _cost_bounds(
    vehicles: Sequence, new_route: np.ndarray, duration: np.ndarray, metres: np.ndarray
) -> np.ndarray:
    """Lower bounds of the cost increase, lowered by a hair where float rounding could matter.

    With zero rates the checker's increase is exactly the fixed cost (or 0), so the bound is
    kept exact there: a request without costs is ranked by driving, and an inexact 0 would stop
    the search from ever pruning on it.
    """
    per_hour = np.asarray([v.cost_per_hour for v in vehicles], dtype=float)
    per_km = np.asarray([v.cost_per_km for v in vehicles], dtype=float)
    fixed = np.asarray([v.fixed_cost for v in vehicles], dtype=float)
    bound = fixed * new_route + per_hour * duration / 3600.0 + per_km * metres / 1000.0
    slack = np.where((per_hour > 0) | (per_km > 0), 1e-9 * (1.0 + np.abs(bound)), 0.0)
    return bound - slack


def _location(problem: RoutingProblem, visit: PlannedVisit) -> int:
    if visit.kind is VisitKind.STOP:
        return problem.stops[visit.ref].location
    return problem.facilities[visit.ref].location


def _windows_and_service(
    problem: RoutingProblem, visit: PlannedVisit
) -> tuple[tuple[TimeWindow, ...], int]:
    if visit.kind is VisitKind.STOP:
        stop = problem.stops[visit.ref]
        return hard_windows(stop), stop.service_duration
    facility = problem.facilities[visit.ref]
    opening = (facility.opening,) if facility.opening is not None else ()
    return opening, facility.unload_duration
