"""The independent plan checker: simulate every route, report typed violations, recompute cost.

It shares nothing with the solvers but the problem and plan types, so a modelling mistake in a
solver cannot hide here. Every plan is checked before it leaves the service; tests lean on it.

Rules, as the contract (routing.proto) states them and as decided where it is silent:

* Timing. A route departs at the plan's ``departure``; without one, as late as it can while
  still reaching its end location when it would by leaving at shift start (forward time slack:
  waiting is moved to the depot), which minimises the duration for the plan's order; with
  planned start times only the wait at the first visit is removed. Each visit starts as early as
  possible: at arrival, or at the opening of the first window that has not yet closed. A start
  time given by the plan is used when it is consistent; one before the vehicle can be there is a
  TIME_WINDOW violation (amount = seconds too early) and the arrival is used instead.
* Windows. A stop's service (a facility's unloading) must start inside one of its windows. Late
  service is TIME_WINDOW with amount = seconds after the last window closed; a planned start
  that falls before a window opens is TIME_WINDOW with amount = seconds too early.
* Breaks. A break listed between visits a and b starts at or after a's end and inside its
  window; it is taken wherever the vehicle is, possibly in the middle of the drive, so b is
  reached no earlier than a's end + travel(a, b) + break durations. The vehicle drives as much
  of the leg as it can before the break. A break of a used vehicle that is not in the plan is a
  BREAK violation only if the route is running during the break window (the vehicle reaches
  its end location after the window opens and leaves before it closes): a crew home before its
  break window, or starting after it, owes no break (the Kim / Benjamin-Beasley convention). A
  listed break is always taken.
* Loads. Demands add up per dimension; a facility visit empties the vehicle. Load per trip
  above ``capacities`` is CAPACITY (once per trip and dimension, at the first stop that
  overflows, amount = the trip's peak excess); load over the whole route above
  ``daily_capacities`` is DAILY_CAPACITY (once per dimension, amount = total excess). With
  facilities in the problem, arriving at the end location with load on board is
  DISPOSAL_BEFORE_END (amount = load units left, summed over dimensions).
* Route limits. Departure before shift start or arrival after shift end is SHIFT (seconds
  outside); duration above ``max_route_duration`` is MAX_ROUTE_DURATION; more stops than
  ``max_stops`` is MAX_STOPS (amount = excess stops).
* Plan. A stop served twice is DUPLICATE_VISIT at every repeat; a mandatory stop served nowhere
  is MISSING_MANDATORY_STOP unless the plan lists it in ``skipped`` with a reason (a solver
  reports unservable mandatory work as data; a caller's plan in EvaluatePlan has no reasons).
* A route with at least one visit uses its vehicle; a vehicle without a route stays home.
* Duration runs from departure to arrival at the end location, waiting and breaks included, and
  equals travel + service + wait + break seconds exactly. Visit ``arrival`` is when the vehicle
  is ready at the visit (the drive and any breaks of the leg done); ``wait`` is the idle time
  from there to the start.
* Cost terms: fixed_cost (used vehicles), time_cost (cost_per_hour x duration / 3600),
  distance_cost (cost_per_km x metres / 1000), skip_penalty (optional stops not served).

Plans that cannot even be read (a vehicle or visit index out of range, two routes for one
vehicle, START or END inside a route) raise :class:`~solvers.errors.InvalidProblemError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from solvers.errors import FieldProblem, InvalidProblemError
from solvers.routing.plan import (
    PlanEvaluation,
    PlannedVisit,
    RouteEvaluation,
    RoutePlan,
    RoutingPlan,
    Violation,
    ViolationType,
    VisitKind,
    VisitTiming,
)
from solvers.routing.problem import RoutingProblem, TimeWindow, Vehicle

__all__ = [
    "COST_TERMS",
    "check_plan_structure",
    "evaluate",
    "evaluate_route",
    "rank",
    "route_violations",
    "skipped_mandatory",
]

#: Names of the objective terms, in the order answers list them.
COST_TERMS = ("fixed_cost", "time_cost", "distance_cost", "skip_penalty")


@dataclass
class _Timing:
    """A visit being built (mutable until the route is done)."""

    kind: VisitKind
    ref: int
    location: int
    arrival: int
    wait: int
    start: int
    end: int
    load_after: tuple[int, ...]
    travel_seconds: int
    travel_metres: int
    violations: list[Violation] = field(default_factory=list)

    def freeze(self) -> VisitTiming:
        return VisitTiming(
            kind=self.kind,
            ref=self.ref,
            location=self.location,
            arrival=self.arrival,
            wait=self.wait,
            start=self.start,
            end=self.end,
            load_after=self.load_after,
            travel_seconds=self.travel_seconds,
            travel_metres=self.travel_metres,
            violations=tuple(self.violations),
        )


def check_plan_structure(problem: RoutingProblem, plan: RoutingPlan) -> None:
    """Raise InvalidProblemError when the plan cannot be simulated at all (bad indices)."""
    problems: list[FieldProblem] = []
    seen_vehicles: set[int] = set()
    for i, route in enumerate(plan.routes):
        if not 0 <= route.vehicle < len(problem.vehicles):
            problems.append(FieldProblem(f"routes[{i}].vehicle", "no such vehicle"))
            continue
        if route.vehicle in seen_vehicles:
            problems.append(FieldProblem(f"routes[{i}].vehicle", "vehicle has two routes"))
        seen_vehicles.add(route.vehicle)
        n_breaks = len(problem.vehicles[route.vehicle].breaks)
        for j, visit in enumerate(route.visits):
            limit = {
                VisitKind.STOP: len(problem.stops),
                VisitKind.FACILITY: len(problem.facilities),
                VisitKind.BREAK: n_breaks,
            }.get(visit.kind)
            if limit is None:
                problems.append(
                    FieldProblem(f"routes[{i}].visits[{j}].kind", "only STOP, FACILITY, BREAK")
                )
            elif not 0 <= visit.ref < limit:
                problems.append(
                    FieldProblem(f"routes[{i}].visits[{j}].ref", f"no such {visit.kind.value}")
                )
    if problems:
        raise InvalidProblemError(problems)


def evaluate(problem: RoutingProblem, plan: RoutingPlan) -> PlanEvaluation:
    """Simulate ``plan`` on ``problem``: timings, loads, typed violations and recomputed cost.

    Linear in the size of the plan plus the number of stops. Raises InvalidProblemError only
    for plans whose indices do not fit the problem.
    """
    check_plan_structure(problem, plan)
    times_served = [0] * len(problem.stops)
    routes: list[RouteEvaluation] = []
    all_violations: list[Violation] = []
    fixed = time_cost = distance_cost = 0.0
    for route in plan.routes:
        if not route.visits:
            continue
        evaluation = _evaluate_route(problem, route, times_served)
        routes.append(evaluation)
        for visit in evaluation.visits:
            all_violations.extend(visit.violations)
        all_violations.extend(evaluation.violations)
        vehicle = problem.vehicles[route.vehicle]
        fixed += vehicle.fixed_cost
        time_cost += vehicle.cost_per_hour * evaluation.duration / 3600.0
        distance_cost += vehicle.cost_per_km * evaluation.travel_metres / 1000.0

    skip_penalty = 0.0
    served = frozenset(i for i, n in enumerate(times_served) if n)
    for index, stop in enumerate(problem.stops):
        if index in served:
            continue
        if stop.optional:
            skip_penalty += stop.skip_penalty
        elif index not in plan.skipped:
            all_violations.append(
                Violation(
                    ViolationType.MISSING_MANDATORY_STOP,
                    ref=index,
                    kind=VisitKind.STOP,
                    detail=f"Mandatory stop {stop.id} is in no route.",
                )
            )
    return PlanEvaluation(
        routes=tuple(routes),
        violations=tuple(all_violations),
        cost_terms={
            "fixed_cost": fixed,
            "time_cost": time_cost,
            "distance_cost": distance_cost,
            "skip_penalty": skip_penalty,
        },
        served=served,
        skipped=frozenset(range(len(problem.stops))) - served,
    )


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


class _RouteSim:
    """Forward simulation of one route (one instance per route; not reused)."""

    def __init__(self, problem: RoutingProblem, route: RoutePlan, times_served: list[int]):
        self.problem = problem
        self.route = route
        self.v = route.vehicle
        self.vehicle: Vehicle = problem.vehicles[route.vehicle]
        self.times_served = times_served
        self.n_dims = problem.n_dims

    def run(self, departure: int) -> tuple[list[_Timing], int]:
        """Simulate departing at ``departure``; returns the visits and the end arrival."""
        problem, vehicle = self.problem, self.vehicle
        self.load = [0] * self.n_dims
        self.collected = [0] * self.n_dims
        self.trip_peak = [0] * self.n_dims
        self.trip_first_over: list[int | None] = [None] * self.n_dims
        self.daily_first_over: list[int | None] = [None] * self.n_dims
        self.trips = 0
        self.stops = 0
        self.breaks_taken: set[int] = set()
        self.timings: list[_Timing] = [
            _Timing(
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
            _Timing(
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
        drive still to go after the last break (the travel of the target visit).
        """
        remaining = self.problem.travel(self.v, origin, target)
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
                _Timing(
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
                    violations,
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

        if visit.start is None:
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
        self.timings.append(
            _Timing(
                VisitKind.STOP,
                visit.ref,
                stop.location,
                ready,
                start - ready,
                start,
                end,
                tuple(self.load),
                travel,
                metres,
                violations,
            )
        )
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
        self.timings.append(
            _Timing(
                VisitKind.FACILITY,
                visit.ref,
                facility.location,
                ready,
                start - ready,
                start,
                end,
                tuple(self.load),
                travel,
                metres,
                violations,
            )
        )
        return end

    def _close_trip(self) -> None:
        """Report this trip's capacity overflows at the stop where each first appeared."""
        caps = self.vehicle.capacities
        for d, index in enumerate(self.trip_first_over):
            if index is not None and caps is not None:
                stop_timing = self.timings[index]
                excess = self.trip_peak[d] - caps[d]
                name = self.problem.dimensions[d] if d < len(self.problem.dimensions) else str(d)
                stop_timing.violations.append(
                    Violation(
                        ViolationType.CAPACITY,
                        stop_timing.ref,
                        VisitKind.STOP,
                        excess,
                        f"Load of {name} exceeds vehicle {self.vehicle.id}'s capacity "
                        f"by {excess} on this trip.",
                    )
                )
        self.trip_peak = [0] * self.n_dims
        self.trip_first_over = [None] * self.n_dims


def _window_end(problem: RoutingProblem, vehicle: Vehicle, timing: _Timing) -> int | None:
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


def _undo_served(route: RoutePlan, times_served: list[int]) -> None:
    """Forget a trial simulation's visits (cost linear in the route, not in the problem)."""
    for visit in route.visits:
        if visit.kind is VisitKind.STOP:
            times_served[visit.ref] -= 1


def _default_departure(problem: RoutingProblem, route: RoutePlan, times_served: list[int]) -> int:
    """Latest departure that reaches the end location no later than leaving at shift start.

    Leaving later by d moves visit i by max(0, d - waits up to i), so the route can leave later
    by the total wait, as long as no visit is pushed past the end of its window (forward time
    slack, Savelsbergh 1992). Minimises the route duration for the plan's order and is verified
    by simulation; with planned start times only the wait at the first visit is removed.
    """
    vehicle = problem.vehicles[route.vehicle]
    base = vehicle.shift.start
    first, end_first = _RouteSim(problem, route, times_served).run(base)
    count_first = sum(len(t.violations) for t in first)
    _undo_served(route, times_served)
    simple = base + first[1].wait
    if any(v.start is not None for v in route.visits):
        return simple
    delay: int | None = None
    waited = 0
    for timing in first[1:-1]:
        waited += timing.wait
        end = _window_end(problem, vehicle, timing)
        if end is not None:
            room = waited + end - timing.start
            delay = room if delay is None else min(delay, room)
    total_wait = waited
    delay = total_wait if delay is None else min(delay, total_wait)
    if delay <= first[1].wait:
        return simple
    candidate = base + delay
    second, end_second = _RouteSim(problem, route, times_served).run(candidate)
    _undo_served(route, times_served)
    if end_second == end_first and sum(len(t.violations) for t in second) <= count_first:
        return candidate
    return simple


def _evaluate_route(
    problem: RoutingProblem, route: RoutePlan, times_served: list[int]
) -> RouteEvaluation:
    vehicle = problem.vehicles[route.vehicle]
    sim = _RouteSim(problem, route, times_served)
    if route.departure is not None:
        departure = route.departure
    else:
        departure = _default_departure(problem, route, times_served)
        sim = _RouteSim(problem, route, times_served)
    timings, end_arrival = sim.run(departure)

    route_violations: list[Violation] = []

    def add(
        vtype: ViolationType, amount: int, detail: str, ref: int = -1, kind: VisitKind | None = None
    ) -> None:
        route_violations.append(Violation(vtype, ref, kind, amount, detail))

    if departure < vehicle.shift.start:
        add(
            ViolationType.SHIFT,
            vehicle.shift.start - departure,
            f"Vehicle {vehicle.id} leaves before its shift starts.",
        )
    if end_arrival > vehicle.shift.end:
        add(
            ViolationType.SHIFT,
            end_arrival - vehicle.shift.end,
            f"Vehicle {vehicle.id} returns {end_arrival - vehicle.shift.end} s after its shift.",
        )
    duration = end_arrival - departure
    if vehicle.max_route_duration and duration > vehicle.max_route_duration:
        add(
            ViolationType.MAX_ROUTE_DURATION,
            duration - vehicle.max_route_duration,
            f"Route of {vehicle.id} lasts {duration} s, over {vehicle.max_route_duration} s.",
        )
    if vehicle.max_stops and sim.stops > vehicle.max_stops:
        add(
            ViolationType.MAX_STOPS,
            sim.stops - vehicle.max_stops,
            f"Vehicle {vehicle.id} serves {sim.stops} stops, over {vehicle.max_stops}.",
        )
    for index, brk in enumerate(vehicle.breaks):
        owed = end_arrival > brk.start_window.start and departure <= brk.start_window.end
        if index not in sim.breaks_taken and owed:
            add(
                ViolationType.BREAK,
                brk.duration,
                f"Break {brk.id} of {vehicle.id} is missing.",
                index,
                VisitKind.BREAK,
            )
    if problem.facilities and any(sim.load):
        add(
            ViolationType.DISPOSAL_BEFORE_END,
            sum(sim.load),
            f"Vehicle {vehicle.id} returns loaded without visiting a facility.",
        )
    if vehicle.daily_capacities is not None:
        for d, index in enumerate(sim.daily_first_over):
            if index is not None:
                excess = sim.collected[d] - vehicle.daily_capacities[d]
                timings[index].violations.append(
                    Violation(
                        ViolationType.DAILY_CAPACITY,
                        timings[index].ref,
                        VisitKind.STOP,
                        excess,
                        f"Vehicle {vehicle.id} collects {excess} over its daily capacity.",
                    )
                )

    travel_seconds = sum(t.travel_seconds for t in timings)
    travel_metres = sum(t.travel_metres for t in timings)
    service = sum(
        t.end - t.start for t in timings if t.kind in (VisitKind.STOP, VisitKind.FACILITY)
    )
    breaks = sum(t.end - t.start for t in timings if t.kind is VisitKind.BREAK)
    wait = sum(t.wait for t in timings)
    trips = sim.trips + (1 if any(sim.load) else 0) if problem.facilities else 1
    cost = (
        vehicle.fixed_cost
        + vehicle.cost_per_hour * duration / 3600.0
        + vehicle.cost_per_km * travel_metres / 1000.0
    )
    return RouteEvaluation(
        vehicle=route.vehicle,
        visits=tuple(t.freeze() for t in timings),
        duration=duration,
        travel_seconds=travel_seconds,
        travel_metres=travel_metres,
        service_seconds=service,
        wait_seconds=wait,
        break_seconds=breaks,
        stops=sim.stops,
        trips=trips,
        load_collected=tuple(sim.collected),
        cost=cost,
        violations=tuple(route_violations),
    )


def evaluate_route(problem: RoutingProblem, route: RoutePlan) -> RouteEvaluation:
    """One route on its own, as :func:`evaluate` sees it inside a plan.

    For solvers that finish a route (breaks, a last unload) and want to test the candidates
    cheaply; the whole plan still goes through :func:`evaluate` before it is returned.
    """
    check_plan_structure(problem, RoutingPlan(routes=(route,)))
    return _evaluate_route(problem, route, [0] * len(problem.stops))


def route_violations(evaluation: RouteEvaluation) -> list[Violation]:
    """Every violation of an evaluated route, the route's own and its visits'."""
    return [*evaluation.violations, *(v for t in evaluation.visits for v in t.violations)]


def skipped_mandatory(problem: RoutingProblem, evaluation: PlanEvaluation) -> list[int]:
    """Mandatory stops the evaluated plan leaves out."""
    return [i for i in evaluation.skipped if not problem.stops[i].optional]


def rank(problem: RoutingProblem, evaluation: PlanEvaluation) -> tuple[int, int, int, float]:
    """Lexicographic plan quality, lower is better: rules broken, mandatory stops left out,
    vehicles (only when the problem minimises them first), then the checker's cost.

    One ordering for every place that picks between plans (the portfolio, the constructive
    best-of), so they never disagree on which plan is better.
    """
    vehicles = len(evaluation.routes) if problem.minimize_vehicles_first else 0
    return (
        len(evaluation.violations),
        len(skipped_mandatory(problem, evaluation)),
        vehicles,
        round(evaluation.cost, 9),
    )
