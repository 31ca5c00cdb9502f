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
  that falls before a window opens is TIME_WINDOW with amount = seconds too early. A soft window
  (``soft_windows``) widens this to [start - max_earliness, end + max_lateness] and prices the
  seconds outside [start, end]; without a planned start a visit never starts early (it waits).
  Every stop visit reports its lateness (seconds after the window's end, soft or hard).
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
* Locks (a re-plan, ``solvers.routing.locks``). A stop served by another vehicle than the one
  it is locked to is LOCK; so is a route whose first stop and unload visits (breaks aside) are
  not its sequence-locked stops in the locked order (one violation per route, on the first
  stop out of place). Locked stops are mandatory. A load on board at the start
  (``Vehicle.initial_load``) is in the first trip's load. The churn cost term (``churn_cost``,
  only in re-plans) prices stops on another vehicle than in the reference plan and minutes of
  ETA shift beyond the tolerance.
* Time-of-day travel (``travel_periods``). Each drive takes the time the periods give for
  leaving the previous place when its visit ends (``RoutingProblem.travel_at``: speeds change
  at period boundaries, Ichoua-Gendreau-Potvin; leaving later never arrives earlier). Breaks
  taken during a drive do not change its driving seconds. Without periods: the matrix entry.
* Duration runs from departure to arrival at the end location, waiting and breaks included, and
  equals travel + service + wait + break seconds exactly. Visit ``arrival`` is when the vehicle
  is ready at the visit (the drive and any breaks of the leg done); ``wait`` is the idle time
  from there to the start.
* Cost terms: fixed_cost (used vehicles), time_cost (cost_per_hour x duration / 3600),
  distance_cost (cost_per_km x metres / 1000), skip_penalty (optional stops not served),
  time_window_cost (soft windows: cost_per_hour late or early x seconds / 3600, per visit).

Plans that cannot even be read (a vehicle or visit index out of range, two routes for one
vehicle, START or END inside a route) raise :class:`~solvers.errors.InvalidProblemError`.
"""

from __future__ import annotations

from collections.abc import Container, Sequence

from solvers.errors import FieldProblem, InvalidProblemError
from solvers.routing.locks import churn_cost, route_lock_violations
from solvers.routing.plan import (
    PlanEvaluation,
    RouteEvaluation,
    RoutePlan,
    RoutingPlan,
    Violation,
    ViolationType,
    VisitKind,
    VisitTiming,
)
from solvers.routing.problem import RoutingProblem, Stop, Vehicle
from solvers.routing.route_simulation import (
    Departure,
    RouteSim,
    add_violation,
    chosen_departure,
)

__all__ = [
    "COST_TERMS",
    "check_plan_structure",
    "evaluate",
    "evaluate_route",
    "rank",
    "route_violations",
    "skipped_mandatory",
    "unserved_stops",
]

#: Names of the objective terms, in the order answers list them.
COST_TERMS = ("fixed_cost", "time_cost", "distance_cost", "skip_penalty", "time_window_cost")


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
    fixed = time_cost = distance_cost = window_cost = 0.0
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
        window_cost += sum(t.time_window_cost for t in evaluation.visits)

    served = frozenset(i for i, n in enumerate(times_served) if n)
    skip_penalty, missing = unserved_stops(problem.stops, served, plan.skipped)
    all_violations.extend(missing)
    evaluation = PlanEvaluation(
        routes=tuple(routes),
        violations=tuple(all_violations),
        cost_terms={
            "fixed_cost": fixed,
            "time_cost": time_cost,
            "distance_cost": distance_cost,
            "skip_penalty": skip_penalty,
            "time_window_cost": window_cost,
        },
        served=served,
        skipped=frozenset(range(len(problem.stops))) - served,
    )
    if problem.replan is not None:  # a re-plan prices its churn (solvers.routing.locks)
        evaluation.cost_terms["churn_cost"] = churn_cost(problem, evaluation)[0]
    return evaluation


def unserved_stops(
    stops: Sequence[Stop], served: frozenset[int], skipped: Container[int]
) -> tuple[float, list[Violation]]:
    """The plan-wide rule on the stops no route serves: an optional one costs its skip penalty,
    a mandatory one without a skip reason is MISSING_MANDATORY_STOP (in stop order).
    ``skipped`` holds the stops the plan gives a skip reason for (the plan's ``skipped``).

    One place for the rule, shared with the decomposed whole-plan check
    (``solvers.routing.decompose.whole_check``), which checks route by route and applies it once.
    """
    penalty = 0.0
    missing: list[Violation] = []
    for index, stop in enumerate(stops):
        if index in served:
            continue
        if stop.optional:
            penalty += stop.skip_penalty
        elif index not in skipped:
            missing.append(
                Violation(
                    ViolationType.MISSING_MANDATORY_STOP,
                    ref=index,
                    kind=VisitKind.STOP,
                    detail=f"Mandatory stop {stop.id} is in no route.",
                )
            )
    return penalty, missing


def _evaluate_route(
    problem: RoutingProblem, route: RoutePlan, times_served: list[int]
) -> RouteEvaluation:
    vehicle = problem.vehicles[route.vehicle]
    chosen = (
        Departure(route.departure, None)
        if route.departure is not None
        else chosen_departure(problem, route, times_served)
    )
    departure = chosen.at
    if chosen.run is None:
        sim = RouteSim(problem, route, times_served)
        timings, end_arrival = sim.run(departure)
    else:
        sim, timings, end_arrival = chosen.run

    duration = end_arrival - departure
    route_violations = _route_rule_violations(problem, vehicle, sim, departure, end_arrival)
    route_violations.extend(route_lock_violations(problem, route))
    _mark_daily_capacity(vehicle, sim, timings)

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
        + sum(t.time_window_cost for t in timings)
    )
    return RouteEvaluation(
        vehicle=route.vehicle,
        visits=tuple(timings),
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


def _route_rule_violations(
    problem: RoutingProblem, vehicle: Vehicle, sim: RouteSim, departure: int, end_arrival: int
) -> list[Violation]:
    """Violations of the route as a whole: shift, duration, stop count, breaks, unloading."""
    out: list[Violation] = []

    def add(
        vtype: ViolationType, amount: int, detail: str, ref: int = -1, kind: VisitKind | None = None
    ) -> None:
        out.append(Violation(vtype, ref, kind, amount, detail))

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
    return out


def _mark_daily_capacity(vehicle: Vehicle, sim: RouteSim, timings: list[VisitTiming]) -> None:
    """Put each daily-capacity excess on the stop where the day's load first went over."""
    if vehicle.daily_capacities is None:
        return
    for d, index in enumerate(sim.daily_first_over):
        if index is not None:
            excess = sim.collected[d] - vehicle.daily_capacities[d]
            add_violation(
                timings,
                index,
                Violation(
                    ViolationType.DAILY_CAPACITY,
                    timings[index].ref,
                    VisitKind.STOP,
                    excess,
                    f"Vehicle {vehicle.id} collects {excess} over its daily capacity.",
                ),
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


def rank(
    problem: RoutingProblem, evaluation: PlanEvaluation
) -> tuple[int, int, int, float, int, int]:
    """Lexicographic plan quality, lower is better: rules broken, mandatory stops left out,
    vehicles (only when the problem minimises them first), the checker's cost, then driving
    time and vehicles used.

    The last two break ties in what the caller minimises: a request with no costs set has a
    cost of 0 for every plan, and the contract promises it the least driving. One ordering for
    every place that picks between plans (the portfolio, the constructive best-of), so they
    never disagree on which plan is better.
    """
    used = len(evaluation.routes)
    return (
        len(evaluation.violations),
        len(skipped_mandatory(problem, evaluation)),
        used if problem.minimize_vehicles_first else 0,
        round(evaluation.cost, 9),
        sum(route.travel_seconds for route in evaluation.routes),
        used,
    )
