"""Route simulation: the clock, loads and violations of one route, as the checker defines them.

The rules are stated once, in ``solvers.routing.checker``'s docstring; this module carries them
out visit by visit. It is the checker's own machinery: engines never import it, so a modelling
mistake in an engine cannot hide here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from solvers.routing.plan import (
    PlannedVisit,
    RoutePlan,
    Violation,
    ViolationType,
    VisitKind,
    VisitTiming,
)
from solvers.routing.problem import RoutingProblem, TimeWindow, Vehicle
from solvers.routing.soft_windows import price, soft_start, soft_window, visit_terms


def add_violation(timings: list[VisitTiming], index: int, violation: Violation) -> None:
    """Put ``violation`` on a visit already simulated (found only later, at a trip's end)."""
    timing = timings[index]
    timings[index] = replace(timing, violations=(*timing.violations, violation))


def _limit(limits: tuple[int, ...] | None, d: int) -> int | None:
    """Limit of dimension d; None (unlimited) when not given for it."""
    return limits[d] if limits is not None and d < len(limits) else None


def _window_start(windows: tuple[TimeWindow, ...], ready: int) -> tuple[int, int]:
    """Earliest start >= ready inside a window, and seconds late (0 when a window fits).

    Windows may come unsorted; with none, any time is fine. When every window has closed the
    start is ``ready`` and the lateness is measured against the latest closing.
    """
    if not windows:
        return ready, 0
    best: int | None = None
    for window in windows:
        if window.end >= ready:
            candidate = max(ready, window.start)
            if best is None or candidate < best:
                best = candidate
    if best is not None:
        return best, 0
    return ready, ready - max(window.end for window in windows)


def _planned_start_issue(
    windows: tuple[TimeWindow, ...], ready: int, planned: int
) -> tuple[int, int, str]:
    """Start to use for a planned start, seconds of violation and why (empty when fine)."""
    if planned < ready:
        start, late = _window_start(windows, ready)
        if late:
            return start, late, "starts after its last window closed"
        return start, ready - planned, "planned before the vehicle can be there"
    if not windows or any(w.contains(planned) for w in windows):
        return planned, 0, ""
    later = [w.start for w in windows if w.start > planned]
    if later:
        return planned, min(later) - planned, "planned before its window opens"
    return planned, planned - max(w.end for w in windows), "starts after its last window closed"


class RouteSim:
    """Forward simulation of one route (one instance per route; not reused)."""

    def __init__(self, problem: RoutingProblem, route: RoutePlan, times_served: list[int]):
        self.problem = problem
        self.route = route
        self.v = route.vehicle
        self.vehicle: Vehicle = problem.vehicles[route.vehicle]
        self.times_served = times_served
        self.n_dims = problem.n_dims

    def run(self, departure: int) -> tuple[list[VisitTiming], int]:
        """Simulate departing at ``departure``; returns the visits and the end arrival."""
        problem, vehicle = self.problem, self.vehicle
        # A load on board at the start (live state) is part of the first trip.
        self.load = [int(q) for q in vehicle.initial_load] + [0] * (
            self.n_dims - len(vehicle.initial_load)
        )
        self.collected = [0] * self.n_dims
        self.trip_peak = [0] * self.n_dims
        self.trip_first_over: list[int | None] = [None] * self.n_dims
        self.daily_first_over: list[int | None] = [None] * self.n_dims
        self.trips = 0
        self.stops = 0
        self.breaks_taken: set[int] = set()
        self.timings: list[VisitTiming] = [
            VisitTiming(
                VisitKind.START,
                self.v,
                vehicle.start,
                departure,
                0,
                departure,
                departure,
                tuple(self.load),
                0,
                0,
            )
        ]
        location, free_at = vehicle.start, departure
        pending: list[PlannedVisit] = []
        for visit in self.route.visits:
            if visit.kind is VisitKind.BREAK:
                pending.append(visit)
                continue
            target = (
                problem.stops[visit.ref].location
                if visit.kind is VisitKind.STOP
                else problem.facilities[visit.ref].location
            )
            ready, travel, metres = self._leg(location, target, free_at, pending)
            pending = []
            if visit.kind is VisitKind.STOP:
                free_at = self._stop(visit, ready, travel, metres)
            else:
                free_at = self._facility(visit, ready, travel, metres)
            location = target
        ready, travel, metres = self._leg(location, vehicle.end, free_at, pending)
        self._close_trip()
        self.timings.append(
            VisitTiming(
                VisitKind.END,
                self.v,
                vehicle.end,
                ready,
                0,
                ready,
                ready,
                tuple(self.load),
                travel,
                metres,
            )
        )
        return self.timings, ready

    def _leg(
        self, origin: int, target: int, free_at: int, breaks: list[PlannedVisit]
    ) -> tuple[int, int, int]:
        """Drive origin -> target from ``free_at`` with breaks on the way.

        Returns the time the vehicle is ready at the target and the seconds and metres of the
        drive still to go after the last break (the travel of the target visit). With
        time-of-day travel the drive takes what leaving at ``free_at`` takes (the checker's
        rule; breaks on the way do not change it).
        """
        remaining = self.problem.travel_at(self.v, origin, target, free_at)
        metres = self.problem.distance(self.v, origin, target)
        t = free_at
        for visit in breaks:
            brk = self.vehicle.breaks[visit.ref]
            window = brk.start_window
            violations: list[Violation] = []
            if visit.ref in self.breaks_taken:
                violations.append(
                    Violation(
                        ViolationType.BREAK,
                        visit.ref,
                        VisitKind.BREAK,
                        1,
                        f"Break {brk.id} is taken twice.",
                    )
                )
            self.breaks_taken.add(visit.ref)
            if visit.start is not None and visit.start < t:
                violations.append(
                    Violation(
                        ViolationType.BREAK,
                        visit.ref,
                        VisitKind.BREAK,
                        t - visit.start,
                        f"Break {brk.id} is planned before the previous visit ends.",
                    )
                )
            start = max(t, window.start) if visit.start is None else max(t, visit.start)
            if start > window.end:
                violations.append(
                    Violation(
                        ViolationType.BREAK,
                        visit.ref,
                        VisitKind.BREAK,
                        start - window.end,
                        f"Break {brk.id} starts after its window.",
                    )
                )
            elif start < window.start:
                violations.append(
                    Violation(
                        ViolationType.BREAK,
                        visit.ref,
                        VisitKind.BREAK,
                        window.start - start,
                        f"Break {brk.id} starts before its window.",
                    )
                )
            driven = min(remaining, start - t)
            remaining -= driven
            arrival = t + driven
            self.timings.append(
                VisitTiming(
                    VisitKind.BREAK,
                    visit.ref,
                    target if remaining == 0 else origin,
                    arrival,
                    start - arrival,
                    start,
                    start + brk.duration,
                    tuple(self.load),
                    driven,
                    0,
                    tuple(violations),
                )
            )
            t = start + brk.duration
        return t + remaining, remaining, metres

    def _stop(self, visit: PlannedVisit, ready: int, travel: int, metres: int) -> int:
        problem, vehicle = self.problem, self.vehicle
        stop = problem.stops[visit.ref]
        violations: list[Violation] = []

        def add(vtype: ViolationType, amount: int, detail: str) -> None:
            violations.append(Violation(vtype, visit.ref, VisitKind.STOP, amount, detail))

        soft = soft_window(stop.time_windows)
        if soft is not None:
            start, late, why = soft_start(soft, ready, visit.start)
        elif visit.start is None:
            start, late = _window_start(stop.time_windows, ready)
            why = "starts after its last window closed"
        else:
            start, late, why = _planned_start_issue(stop.time_windows, ready, visit.start)
        if late:
            add(ViolationType.TIME_WINDOW, late, f"Stop {stop.id} {why} by {late} s.")
        if self.times_served[visit.ref]:
            add(ViolationType.DUPLICATE_VISIT, 1, f"Stop {stop.id} is served more than once.")
        self.times_served[visit.ref] += 1
        missing = stop.required_skills - vehicle.skills
        if missing:
            add(
                ViolationType.SKILLS,
                len(missing),
                f"Vehicle {vehicle.id} lacks skills {', '.join(sorted(missing))} for {stop.id}.",
            )
        if stop.allowed_vehicles is not None and self.v not in stop.allowed_vehicles:
            add(
                ViolationType.VEHICLE_NOT_ALLOWED,
                1,
                f"Vehicle {vehicle.id} is not allowed at stop {stop.id}.",
            )
        index = len(self.timings)
        for d in range(min(self.n_dims, len(stop.demands))):
            self.load[d] += stop.demands[d]
            self.collected[d] += stop.demands[d]
            cap = _limit(vehicle.capacities, d)
            if cap is not None and self.load[d] > cap and self.trip_first_over[d] is None:
                self.trip_first_over[d] = index
            self.trip_peak[d] = max(self.trip_peak[d], self.load[d])
            daily = _limit(vehicle.daily_capacities, d)
            if daily is not None and self.collected[d] > daily and self.daily_first_over[d] is None:
                self.daily_first_over[d] = index
        self.stops += 1
        end = start + stop.service_duration
        terms = price(soft, start) if soft is not None else visit_terms(stop.time_windows, start)
        self._served(visit, stop.location, (ready, start, end), (travel, metres), violations, terms)
        return end

    def _facility(self, visit: PlannedVisit, ready: int, travel: int, metres: int) -> int:
        facility = self.problem.facilities[visit.ref]
        windows = (facility.opening,) if facility.opening is not None else ()
        violations: list[Violation] = []
        if visit.start is None:
            start, late = _window_start(windows, ready)
            why = "unloading starts after the facility closed"
        else:
            start, late, why = _planned_start_issue(windows, ready, visit.start)
        if late:
            violations.append(
                Violation(
                    ViolationType.TIME_WINDOW,
                    visit.ref,
                    VisitKind.FACILITY,
                    late,
                    f"Facility {facility.id}: {why} ({late} s).",
                )
            )
        self._close_trip()
        self.trips += 1
        self.load = [0] * self.n_dims
        end = start + facility.unload_duration
        self._served(visit, facility.location, (ready, start, end), (travel, metres), violations)
        return end

    def _served(
        self,
        visit: PlannedVisit,
        location: int,
        times: tuple[int, int, int],
        leg: tuple[int, int],
        violations: list[Violation],
        terms: tuple[int, int, float] = (0, 0, 0.0),
    ) -> None:
        """Record a stop or an unload: (ready, start, end) times, the (seconds, metres) leg and
        the (earliness, lateness, cost) of its window."""
        ready, start, end = times
        earliness, lateness, window_cost = terms
        self.timings.append(
            VisitTiming(
                visit.kind,
                visit.ref,
                location,
                ready,
                start - ready,
                start,
                end,
                tuple(self.load),
                *leg,
                tuple(violations),
                earliness,
                lateness,
                window_cost,
            )
        )

    def _close_trip(self) -> None:
        """Report this trip's capacity overflows at the stop where each first appeared."""
        caps = self.vehicle.capacities
        for d, index in enumerate(self.trip_first_over):
            if index is not None and caps is not None:
                excess = self.trip_peak[d] - caps[d]
                name = self.problem.dimensions[d] if d < len(self.problem.dimensions) else str(d)
                add_violation(
                    self.timings,
                    index,
                    Violation(
                        ViolationType.CAPACITY,
                        self.timings[index].ref,
                        VisitKind.STOP,
                        excess,
                        f"Load of {name} exceeds vehicle {self.vehicle.id}'s capacity "
                        f"by {excess} on this trip.",
                    ),
                )
        self.trip_peak = [0] * self.n_dims
        self.trip_first_over = [None] * self.n_dims


def window_end(problem: RoutingProblem, vehicle: Vehicle, timing: VisitTiming) -> int | None:
    """Latest start that keeps ``timing`` inside the window it starts in (None: unbounded)."""
    if timing.kind is VisitKind.STOP:
        windows = problem.stops[timing.ref].time_windows
    elif timing.kind is VisitKind.FACILITY:
        opening = problem.facilities[timing.ref].opening
        windows = (opening,) if opening is not None else ()
    elif timing.kind is VisitKind.BREAK:
        windows = (vehicle.breaks[timing.ref].start_window,)
    else:
        return None
    if not windows:
        return None
    ends = [w.end for w in windows if w.contains(timing.start)]
    return max(ends) if ends else timing.start  # already late: it must not move


def undo_served(route: RoutePlan, times_served: list[int]) -> None:
    """Forget a trial simulation's visits (cost linear in the route, not in the problem)."""
    for visit in route.visits:
        if visit.kind is VisitKind.STOP:
            times_served[visit.ref] -= 1


def redo_served(route: RoutePlan, times_served: list[int]) -> None:
    """Count a kept trial's visits again, as running it afresh would."""
    for visit in route.visits:
        if visit.kind is VisitKind.STOP:
            times_served[visit.ref] += 1


@dataclass
class Departure:
    """The departure :func:`chosen_departure` picked, and its simulation when one of the trials
    ran at that time (``None``: simulate it afresh). A kept trial has already counted its
    stops in ``times_served`` again, exactly as a fresh run would."""

    at: int
    run: tuple[RouteSim, list[VisitTiming], int] | None


def chosen_departure(
    problem: RoutingProblem, route: RoutePlan, times_served: list[int]
) -> Departure:
    """Latest departure that reaches the end location no later than leaving at shift start.

    Leaving later by d moves visit i by max(0, d - waits up to i), so the route can leave later
    by the total wait, as long as no visit is pushed past the end of its window (forward time
    slack, Savelsbergh 1992). Minimises the route duration for the plan's order and is verified
    by simulation; with planned start times only the wait at the first visit is removed. With
    time-of-day travel that one is verified too (a later drive may be slower).

    The trial at the chosen time is handed back, so the caller does not simulate it again (the
    simulation is deterministic in the departure and ``times_served``, which is restored after
    every trial): about half the checker's simulations on an insertion search.
    """
    vehicle = problem.vehicles[route.vehicle]
    base = vehicle.shift.start
    trials: dict[int, tuple[RouteSim, list[VisitTiming], int]] = {}

    def trial(departure: int) -> tuple[list[VisitTiming], int, int]:
        sim = RouteSim(problem, route, times_served)
        timings, end = sim.run(departure)
        undo_served(route, times_served)
        trials[departure] = (sim, timings, end)
        return timings, end, sum(len(t.violations) for t in timings)

    first, end_first, count_first = trial(base)
    chosen = _departure_after(problem, route, vehicle, base, first, end_first, count_first, trial)
    kept = trials.get(chosen)
    if kept is not None:
        redo_served(route, times_served)
    return Departure(chosen, kept)


def _departure_after(
    problem: RoutingProblem,
    route: RoutePlan,
    vehicle: Vehicle,
    base: int,
    first: list[VisitTiming],
    end_first: int,
    count_first: int,
    trial: Callable[[int], tuple[list[VisitTiming], int, int]],
) -> int:
    """The departure, given the trial from shift start (see :func:`chosen_departure`)."""
    simple = base + first[1].wait
    if problem.travel_periods and simple != base:  # leaving later may drive at other speeds
        _, end_trial, count_trial = trial(simple)
        if end_trial != end_first or count_trial > count_first:
            simple = base
    if any(v.start is not None for v in route.visits):
        return simple
    delay: int | None = None
    waited = 0
    for timing in first[1:-1]:
        waited += timing.wait
        end = window_end(problem, vehicle, timing)
        if end is not None:
            room = waited + end - timing.start
            delay = room if delay is None else min(delay, room)
    total_wait = waited
    delay = total_wait if delay is None else min(delay, total_wait)
    if delay <= first[1].wait:
        return simple
    candidate = base + delay
    _, end_second, count_second = trial(candidate)
    if end_second == end_first and count_second <= count_first:
        return candidate
    return simple
