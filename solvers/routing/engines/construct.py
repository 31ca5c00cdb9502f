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
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from solvers.budget import Deadline
from solvers.routing.checker import evaluate, rank
from solvers.routing.engine import Engine, EngineOptions, EngineResult, PhaseTimer
from solvers.routing.engines.fleet import eligible_vehicles, fleet, owed_breaks
from solvers.routing.plan import PlannedVisit, RoutePlan, RoutingPlan, SkipReason, VisitKind
from solvers.routing.problem import RoutingProblem
from solvers.status import SolverFamily, Status

__all__ = [
    "URGENCY_SETTINGS",
    "ConstructEngine",
    "Urgency",
    "construct",
    "construct_best",
    "greedy_plan",
]

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
            # A soft window may be served late (the checker prices it), never early: without
            # planned starts the checker waits for the window's start, and so does this.
            starts[row, col], ends[row, col] = w.start, w.end + w.max_lateness
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
    final_facility: Sequence[int | None],
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
    final_facility: Sequence[int | None],
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
    if n_dims:
        demand[:, :n_dims] = np.maximum(0, [problem.stops[i].demands for i in stops])
    loaded = demand.sum(axis=1) > 0
    w_starts, w_ends = _window_arrays(problem, stops)
    arrays = _Arrays(location, service, demand, loaded, w_starts, w_ends)
    open_ = np.ones(len(stops), dtype=bool)
    routes: list[RoutePlan] = []

    for v in range(len(problem.vehicles)):
        allowed = np.array([v in eligible[i] for i in stops], dtype=bool)
        if not (allowed & open_).any():
            continue
        route = _Route(problem, v, final_facility[v], stops, arrays, allowed).run(open_, urgency)
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


def _limits(values: tuple[int, ...] | None, n_dims: int) -> np.ndarray:
    """Per-dimension limits as an array; a dimension without a limit gets _BIG."""
    out = np.full(max(1, n_dims), _BIG, dtype=np.int64)
    if values is not None and n_dims:
        out[: len(values)] = values[:n_dims]
    return out


class _Route:
    """One vehicle's route, built visit by visit over the stops still open.

    State: where the vehicle is (``here``) and when it is free (``t``), its trip and shift
    loads, the stops served, and the owed breaks not yet taken (earliest window first).
    """

    def __init__(
        self,
        problem: RoutingProblem,
        v: int,
        final: int | None,
        stops: list[int],
        arrays: _Arrays,
        allowed: np.ndarray,
    ) -> None:
        self.problem, self.v, self.stops, self.a, self.allowed = problem, v, stops, arrays, allowed
        vehicle = self.vehicle = problem.vehicles[v]
        self.matrix = np.asarray(problem.durations[vehicle.profile], dtype=np.int64)
        self.cap = _limits(vehicle.capacities, problem.n_dims)
        self.daily_cap = _limits(vehicle.daily_capacities, problem.n_dims)
        self.final = final
        if final is not None:
            facility = problem.facilities[final]
            self.final_location, self.final_opening = facility.location, facility.opening
            self.tail = facility.unload_duration + problem.travel(v, facility.location, vehicle.end)
        self.limit_end = vehicle.shift.end
        if vehicle.max_route_duration:
            self.limit_end = min(self.limit_end, vehicle.shift.start + vehicle.max_route_duration)
        self.breaks = sorted(
            owed_breaks(vehicle), key=lambda b: vehicle.breaks[b].start_window.start
        )
        self.here, self.t = vehicle.start, vehicle.shift.start
        self.load = np.zeros_like(self.cap)
        on_board = np.asarray(vehicle.initial_load[: len(self.load)], dtype=np.int64)
        self.load[: len(on_board)] += on_board
        # A re-plan's frozen prefix (solvers.routing.locks) is served first, in order.
        rows = {i: row for row, i in enumerate(stops)}
        prefix = problem.replan.prefix(v) if problem.replan is not None else ()
        self.forced = [rows[i] for i in prefix if i in rows]
        self.daily = np.zeros_like(self.cap)
        self.served = 0
        self.visits: list[PlannedVisit] = []

    def run(self, open_: np.ndarray, urgency: Urgency) -> RoutePlan | None:
        """The route (None when it serves nothing); marks the stops it serves as taken."""
        while True:
            due = self._due_break()
            if due is None:
                break  # a break window was missed: end the route here (the checker decides)
            if due:
                continue
            row = self._choose(open_, urgency)
            if row is not None:
                self._visit(row, open_)
                continue
            if not self._unload(open_):
                break
        return self._finish()

    def _break_at(self, bt: int, b: int | None = None) -> None:
        """Take owed break ``b`` (default: the next one) at ``bt``."""
        if b is None:
            b = self.breaks[0]
        self.breaks.remove(b)
        self.visits.append(PlannedVisit(VisitKind.BREAK, b, bt))
        self.t = bt + self.vehicle.breaks[b].duration

    def _due_break(self) -> bool | None:
        """Take a break now if its window is open (the earliest moment, at this place).

        True: taken; False: none due; None: its window has already closed.
        """
        if not self.breaks:
            return False
        window = self.vehicle.breaks[self.breaks[0]].start_window
        if self.t < window.start:
            return False
        if self.t > window.end:
            self.breaks.pop(0)
            return None
        self._break_at(self.t)
        return True

    def home_time(
        self, after: np.ndarray, positions: np.ndarray, must_unload: np.ndarray
    ) -> np.ndarray:
        """Arrival home after serving candidates (via the final unload when needed)."""
        direct = after + self.matrix[positions, self.vehicle.end]
        if self.final is None:
            return direct
        at_final = after + self.matrix[positions, self.final_location]
        opening = self.final_opening
        if opening is not None:
            at_final = np.where(at_final <= opening.end, np.maximum(at_final, opening.start), _BIG)
        return np.where(must_unload, at_final + self.tail, direct)

    def home_after_breaks(
        self, after: np.ndarray, positions: np.ndarray, must_unload: np.ndarray
    ) -> np.ndarray:
        """Arrival home when the last visit ends at ``after``, with the owed breaks taken first
        exactly as ``_finish`` takes them: at the earliest moment of the window, here, waiting
        for it to open. The wait counts too: leaving it out let a route that fitted on paper
        come home after its shift."""
        t = after
        for b in self.breaks:
            brk = self.vehicle.breaks[b]
            window = brk.start_window
            owed = (self.home_time(t, positions, must_unload) > window.start) & (t <= window.end)
            t = np.where(owed, np.maximum(t, window.start) + brk.duration, t)
        return self.home_time(t, positions, must_unload)

    def _choose(self, open_: np.ndarray, urgency: Urgency) -> int | None:
        """The open stop that fits and can start soonest (less the urgency bonus), or None."""
        a, t = self.a, self.t
        cand = np.flatnonzero(self.allowed & open_)
        forced = [row for row in self.forced if open_[row] and self.allowed[row]]
        if forced:
            cand = np.array(forced[:1], dtype=np.int64)
        if self.final is None and self.problem.facilities:
            cand = cand[~a.loaded[cand]]
        if self.vehicle.max_stops and self.served >= self.vehicle.max_stops:
            return None
        if not cand.size:
            return None
        arrival = t + self.matrix[self.here, a.location[cand]]
        start = _earliest(arrival, a.w_starts[cand], a.w_ends[cand])
        after = start + a.service[cand]
        new_load = self.load[None, :] + a.demand[cand]
        fits = (new_load <= self.cap[None, :]).all(axis=1)
        fits &= (self.daily[None, :] + a.demand[cand] <= self.daily_cap[None, :]).all(axis=1)
        fits &= start < _BIG
        home = self.home_after_breaks(after, a.location[cand], new_load.sum(axis=1) > 0)
        fits &= home <= self.limit_end
        if self.breaks:
            first = self.vehicle.breaks[self.breaks[0]].start_window
            # A visit may not end after the window of the next break has closed.
            fits &= (after <= first.end) | (after < first.start)
        if not fits.any():
            if forced:  # the rest of the prefix no longer fits: leave it out (reported unkept)
                self.allowed[forced] = False
                return self._choose(open_, urgency)
            return None
        pick = np.flatnonzero(fits)
        score = start[pick] - t
        if urgency.weight:
            ends = a.w_ends[cand[pick]]
            closes = np.where(ends >= start[pick][:, None], ends, _BIG).min(axis=1)
            short = np.maximum(0, urgency.horizon - (closes - start[pick]))
            score = score - urgency.weight * short
        return int(cand[pick[np.argmin(score)]])

    def _visit(self, row: int, open_: np.ndarray) -> None:
        """Serve the stop in ``row``, or first take the break whose window opens before it."""
        a = self.a
        arrival = self.t + int(self.matrix[self.here, a.location[row]])
        start = int(
            _earliest(np.array([arrival]), a.w_starts[row : row + 1], a.w_ends[row : row + 1])[0]
        )
        if self.breaks:
            window = self.vehicle.breaks[self.breaks[0]].start_window
            if start >= window.start:
                self._break_at(max(self.t, window.start))
                return
        self.visits.append(PlannedVisit(VisitKind.STOP, self.stops[row], start))
        self.t = start + int(a.service[row])
        self.here = int(a.location[row])
        self.load = self.load + a.demand[row]
        self.daily = self.daily + a.demand[row]
        self.served += 1
        open_[row] = False

    def _unload(self, open_: np.ndarray) -> bool:
        """Unload (or first take a break) when that could make room; False: go home."""
        problem = self.problem
        if not (self.load.sum() > 0 and problem.facilities and self.served):
            return False
        best = self._soonest_unload()
        room = (self.a.demand <= self.cap[None, :]).all(axis=1)
        if best is None or not any((self.allowed & open_ & room).tolist()):
            return False
        finish, f = best
        if finish >= self.limit_end:
            return False
        if self.breaks:
            window = self.vehicle.breaks[self.breaks[0]].start_window
            if finish > window.end and finish >= window.start and self.t <= window.end:
                self._break_at(max(self.t, window.start))  # the unload would outlast the window
                return True
        facility = problem.facilities[f]
        self.visits.append(PlannedVisit(VisitKind.FACILITY, f, finish - facility.unload_duration))
        self.t, self.here = finish, facility.location
        self.load = np.zeros_like(self.load)
        return True

    def _soonest_unload(self) -> tuple[int, int] | None:
        """(finish, facility) of the unload that finishes soonest and still lets the vehicle
        get home in time."""
        problem, v = self.problem, self.v
        best: tuple[int, int] | None = None
        for f, facility in enumerate(problem.facilities):
            unload = _unload(problem, v, f, self.here, self.t)
            if unload is None:
                continue
            finish = unload + facility.unload_duration
            back = self.home_after_breaks(
                np.array([finish]), np.array([facility.location]), np.array([False])
            )
            if int(back[0]) > self.limit_end:
                continue
            if best is None or finish < best[0]:
                best = (finish, f)
        return best

    def _finish(self) -> RoutePlan | None:
        """Owed breaks and the final unload after the last visit; None if nothing was served."""
        if not any(visit.kind is VisitKind.STOP for visit in self.visits):
            return None  # nothing served: the vehicle stays home
        must_unload = bool(self.load.sum() > 0 and self.final is not None)
        for b in list(self.breaks):
            # A break is owed when the route is still running as its window opens.
            window = self.vehicle.breaks[b].start_window
            home = self.home_time(
                np.array([self.t]), np.array([self.here]), np.array([must_unload])
            )
            if int(home[0]) > window.start and self.t <= window.end:
                self._break_at(max(self.t, window.start), b)
        if must_unload:
            start = _unload(self.problem, self.v, self.final, self.here, self.t)
            self.visits.append(PlannedVisit(VisitKind.FACILITY, self.final, start))
        return RoutePlan(self.v, tuple(self.visits), departure=self.vehicle.shift.start)


def greedy_plan(
    problem: RoutingProblem,
    exclude: frozenset[int] = frozenset(),
    deadline: Deadline | None = None,
) -> RoutingPlan:
    """The best constructed plan over the same eligibility as the OR-Tools model."""
    keep = [i for i in range(len(problem.stops)) if i not in exclude]
    vehicles = fleet(problem, keep)
    eligible = eligible_vehicles(problem, vehicles, keep)
    plan = construct_best(problem, eligible, vehicles.final_facility, deadline)
    skipped = dict(plan.skipped)
    for i, able in eligible.items():
        if not able:
            skipped[i] = SkipReason.NO_VEHICLE_WITH_SKILLS
    return RoutingPlan(plan.routes, skipped)


class ConstructEngine(Engine):
    """The constructive heuristic as an engine: the last resort, fast and never empty-handed.

    ``options.deterministic`` builds every urgency setting whatever the clock says (the plan
    then depends on the problem only). ``options.start``, ``options.seed`` and
    ``options.settings`` are ignored: construction has no start and no randomness.
    ``options.on_solution`` is not called, since the one plan is ready at once. It respects
    every rule (it serves what it can), a re-plan's frozen prefixes (served first, in order; a
    prefix that no longer fits is left out from there) and loads on board; it optimises no
    cost, churn cost included, so nothing is unsupported.
    """

    family = SolverFamily.GREEDY

    def solve(
        self, problem: RoutingProblem, deadline: Deadline, options: EngineOptions
    ) -> EngineResult:
        """The constructed plan. ~0.1 s per urgency setting at 2000 stops; the first always
        runs, even past the deadline, since an answer slightly late beats none."""
        timer = PhaseTimer()
        clock = None if options.deterministic else deadline
        with timer("construct"):
            plan = greedy_plan(problem, options.exclude, clock)
        return EngineResult(
            plan=plan,
            engine="greedy.construct",
            status=Status.FEASIBLE,
            solutions=1,
            timings=timer.timings,
        )
