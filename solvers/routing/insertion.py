"""Insertion advice: the best verified places for a new stop in a live plan, in milliseconds.

Why: during the day the dispatcher's question is rarely "re-plan everything" but "who takes this
job?" (a burst water main at 10:40). Re-solving takes seconds and reshuffles every crew; one
stop put into the plan the crews already drive changes one route, and the dispatcher wants the
few best crews to choose from, each with its ETA, its cost and who else it makes late.

The candidates are the repair's (``solvers.routing.repair``: :func:`insertion_slots` and
:func:`slot_routes`): every idle eligible vehicle on a new route, every position of every used
route whose load rules allow the stop, one more unload when the load would otherwise come home.
Every option offered is a whole route verified by the independent checker (``evaluate_route``)
with no violation at all, ranked by the repair's ordering: a newly used vehicle first when the
problem minimises vehicles, then the increase of cost, then of driving time (then vehicle and
position, so the answer is deterministic).

What makes it fast (``solvers.routing.insertion_bounds``): the live plan is indexed once; per
new stop, numpy rules out the places whose windows cannot be met and bounds the cost of the
rest from below; places are verified in the order of their bounds and the search stops once the
bound of the next one is worse than the k-th option found (or than its vehicle's own best, when
one option per vehicle is wanted). The bounds are sound, so this returns exactly the options an
exhaustive search would (ties aside). Vehicles whose live route already breaks a rule are left
out: an option must break nothing, and theirs would inherit the violation.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field, fields

from solvers.budget import Deadline
from solvers.routing.checker import evaluate_route, route_violations
from solvers.routing.feasibility import impossibility
from solvers.routing.insertion_bounds import Cause, PlanIndex, Screen
from solvers.routing.plan import (
    PlannedVisit,
    RouteEvaluation,
    RoutePlan,
    RoutingPlan,
    SkipReason,
    Violation,
    ViolationType,
    VisitKind,
)
from solvers.routing.problem import RoutingProblem
from solvers.routing.repair import Slot, insertion_slots, slot_routes

__all__ = [
    "DEFAULT_OPTIONS",
    "Advice",
    "Cause",
    "Delay",
    "InsertionOption",
    "LivePlanIndex",
    "StopAdvice",
    "advise",
    "index_live_plan",
]

#: Options per stop when the caller does not say.
DEFAULT_OPTIONS = 5

_SHIFT_TYPES = {ViolationType.SHIFT, ViolationType.MAX_ROUTE_DURATION}
_TIME_TYPES = {ViolationType.TIME_WINDOW, ViolationType.BREAK}


@dataclass(frozen=True)
class Delay:
    """A stop of the live route that the insertion serves later."""

    stop: int
    before: int  # service start in the live plan
    after: int  # service start with the new stop

    @property
    def seconds(self) -> int:
        """How much later, seconds (> 0)."""
        return self.after - self.before


@dataclass(frozen=True)
class InsertionOption:
    """One verified route serving the new stop, and what it changes against the live route."""

    key: tuple[int, float, int, int, int]  # (new vehicle, cost, driving, vehicle, position)
    vehicle: int
    new_route: bool
    route: RoutePlan
    evaluation: RouteEvaluation
    position: int  # index of the new stop in route.visits
    arrival: int
    service_start: int
    cost_delta: float
    travel_delta: int
    duration_delta: int
    delays: tuple[Delay, ...]
    lateness: int = 0  # seconds after a soft window's end (priced in cost_delta); hard: 0


@dataclass(frozen=True)
class StopAdvice:
    """The best options for one new stop, best first, or why there is none."""

    stop: int
    options: tuple[InsertionOption, ...]
    reason: SkipReason | None  # set when options is empty
    detail: str
    rejected: dict[Cause, int] = field(default_factory=dict)  # places ruled out, per cause
    routes_checked: int = 0
    complete: bool = True  # False: the deadline cut the search short


@dataclass(frozen=True)
class Advice:
    """The advice for every new stop, and the vehicles left out because their route is broken."""

    stops: tuple[StopAdvice, ...]
    vehicles_with_violations: tuple[int, ...]


@dataclass(frozen=True, eq=False)
class LivePlanIndex:
    """A live plan checked and indexed once, for every advice call made against it.

    Why: checking the live routes and indexing their places is most of a call's work (measured
    at 400 stops: ~2/3 of it), and a dispatcher asks about many new stops against one plan. The
    new stops of a call are appended to the live problem (``dataclasses.replace`` with more
    stops), which leaves everything the index read (vehicles, facilities, matrices, live stops)
    as it was, so the index stays valid for every such problem (:meth:`serves` checks it).
    Shared between threads: nothing in it changes after it is built, except the index's cache
    of detours through facilities, which any thread may fill with the same values.
    """

    problem: RoutingProblem
    plan: RoutingPlan
    routes: dict[int, RoutePlan]
    live: dict[int, RouteEvaluation]
    broken: frozenset[int]
    index: PlanIndex

    def serves(self, problem: RoutingProblem, plan: RoutingPlan) -> bool:
        """Whether this index holds ``plan`` on ``problem`` (its problem, new stops aside)."""
        own = self.problem
        shared = all(
            getattr(problem, f.name) is getattr(own, f.name)
            for f in fields(own)
            if f.name not in ("stops", "eligible")
        )
        n = len(own.stops)
        return (
            plan is self.plan
            and shared
            and len(problem.stops) >= n
            and all(a is b or a == b for a, b in zip(problem.stops[:n], own.stops, strict=True))
        )


def index_live_plan(problem: RoutingProblem, plan: RoutingPlan) -> LivePlanIndex:
    """Check every live route and index its places, once per live plan."""
    routes = {r.vehicle: r for r in plan.routes if r.visits}
    live = {v: evaluate_route(problem, route) for v, route in routes.items()}
    broken = frozenset(v for v, evaluation in live.items() if route_violations(evaluation))
    return LivePlanIndex(problem, plan, routes, live, broken, PlanIndex(problem, routes, live))


def advise(
    problem: RoutingProblem,
    plan: RoutingPlan,
    stops: Sequence[int],
    deadline: Deadline,
    max_options: int = DEFAULT_OPTIONS,
    several_per_vehicle: bool = False,
    indexed: LivePlanIndex | None = None,
) -> Advice:
    """The best ``max_options`` verified insertions of each of ``stops`` into ``plan``.

    ``problem`` holds the live stops and the new ones; ``plan`` serves none of ``stops``. Each
    stop is advised on its own against ``plan`` (the options of two new stops are alternatives,
    not a joint plan). With ``several_per_vehicle`` False, a vehicle appears at most once per
    stop, at its best position. The deadline is checked between candidate routes; what was
    verified by then is returned, flagged incomplete. ``indexed`` is ``plan`` already indexed
    (:func:`index_live_plan`) on this problem without the new stops; without it the plan is
    indexed for this call.
    """
    if indexed is None:
        indexed = index_live_plan(problem, plan)
    elif not indexed.serves(problem, plan):
        raise ValueError("the indexed live plan is not this plan on this problem's live part")
    search = _Search(problem, indexed)
    advice = tuple(
        search.advise(stop, deadline, max(1, max_options), several_per_vehicle) for stop in stops
    )
    return Advice(advice, tuple(sorted(indexed.broken)))


class _Search:
    """The live plan and its index, shared by the new stops of one call."""

    def __init__(self, problem: RoutingProblem, indexed: LivePlanIndex) -> None:
        self.problem, self.routes, self.live = problem, indexed.routes, indexed.live
        self.broken, self.index = indexed.broken, indexed.index

    def advise(self, stop: int, deadline: Deadline, k: int, several: bool) -> StopAdvice:
        """Screen every place, verify the promising ones in bound order, keep the best k."""
        slots = [
            s
            for s in insertion_slots(self.problem, self.routes, stop)
            if s.vehicle not in self.broken
        ]
        rejected = {cause: 0 for cause in Cause}
        rejected[Cause.CAPACITY] = self._positions_without_room(stop, slots)
        screen = self.index.screen(self.problem, stop, slots)
        for cause in screen.cause:
            if cause is not None:
                rejected[cause] += 1
        ranked: list[InsertionOption] = []
        checked, complete = 0, True
        for j in _bound_order(screen):
            bound = (int(screen.new_vehicle[j]), float(screen.cost[j]), int(screen.travel[j]))
            if len(ranked) >= k and bound > ranked[k - 1].key[:3]:
                break  # every place left is bounded worse than the k-th option
            slot = slots[j]
            mine = next((o for o in ranked if o.vehicle == slot.vehicle), None)
            if not several and mine is not None and bound >= mine.key[:3]:
                continue  # cannot beat its vehicle's own best position
            if deadline.expired():
                complete = False
                break
            found, tried, cause = self._verify(stop, slot)
            checked += tried
            if found is None:
                rejected[cause or Cause.CAPACITY] += 1
                continue
            if not several and mine is not None:
                if found.key >= mine.key:
                    continue
                ranked.remove(mine)
            bisect.insort(ranked, found, key=lambda o: o.key)
        options = tuple(ranked[:k])
        reason, detail = (None, "") if options else self._why_none(stop, rejected, complete)
        return StopAdvice(stop, options, reason, detail, rejected, checked, complete)

    def _positions_without_room(self, stop: int, slots: Sequence[Slot]) -> int:
        """Positions of eligible, unbroken used routes that the load rules ruled out."""
        eligible = self.problem.eligible[stop]
        total = sum(
            len(route.visits) + 1
            for v, route in self.routes.items()
            if eligible[v] and v not in self.broken
        )
        return total - sum(1 for slot in slots if not slot.new_route)

    def _verify(self, stop: int, slot: Slot) -> tuple[InsertionOption | None, int, Cause | None]:
        """The best clean route of a slot, the routes checked, and the cause when none is."""
        best: InsertionOption | None = None
        candidates = slot_routes(self.problem, self.routes, stop, slot)
        cause = None
        if not candidates:  # no clean finish for a new route: the plain one says why
            bare = RoutePlan(slot.vehicle, (PlannedVisit(VisitKind.STOP, stop),))
            return None, 1, _cause(route_violations(evaluate_route(self.problem, bare)))
        for route in candidates:
            evaluation = evaluate_route(self.problem, route)
            violations = route_violations(evaluation)
            if violations:
                cause = cause or _cause(violations)
                continue
            option = self._option(stop, slot, route, evaluation)
            if best is None or option.key < best.key:
                best = option
        return best, len(candidates), cause

    def _option(
        self, stop: int, slot: Slot, route: RoutePlan, evaluation: RouteEvaluation
    ) -> InsertionOption:
        """A clean candidate as an option: its key and what it changes for the crew."""
        old = self.live.get(slot.vehicle)
        cost = evaluation.cost - (old.cost if old is not None else 0.0)
        travel = evaluation.travel_seconds - (old.travel_seconds if old is not None else 0)
        duration = evaluation.duration - (old.duration if old is not None else 0)
        new_vehicle = int(old is None and self.problem.minimize_vehicles_first)
        position = next(
            i for i, v in enumerate(route.visits) if v.kind is VisitKind.STOP and v.ref == stop
        )
        timing = next(t for t in evaluation.visits if t.kind is VisitKind.STOP and t.ref == stop)
        return InsertionOption(
            key=(new_vehicle, round(cost, 9), travel, slot.vehicle, slot.position),
            vehicle=slot.vehicle,
            new_route=old is None,
            route=route,
            evaluation=evaluation,
            position=position,
            arrival=timing.arrival,
            service_start=timing.start,
            cost_delta=cost,
            travel_delta=travel,
            duration_delta=duration,
            delays=_delays(old, evaluation, stop),
            lateness=timing.lateness,
        )

    def _why_none(
        self, stop: int, rejected: dict[Cause, int], complete: bool
    ) -> tuple[SkipReason, str]:
        """The reason code and sentence for a stop with no option."""
        problem = self.problem
        alone = impossibility(problem, stop)
        if alone is not None:
            return alone, _ALONE[alone]
        if not complete:
            return SkipReason.NO_CAPACITY_LEFT, "The time budget ran out before a place was found."
        counts = ", ".join(f"{n} {_CAUSE_TEXT[c]}" for c, n in rejected.items() if n)
        eligible = set(problem.eligible_vehicles(stop))
        if not counts:
            why = "every eligible vehicle's live route already breaks a rule"
            return (
                SkipReason.NO_CAPACITY_LEFT,
                f"No place on {len(eligible)} eligible vehicles: {why}.",
            )
        top = max(Cause, key=lambda c: (rejected[c], -list(Cause).index(c)))
        reason = {
            Cause.TIME_WINDOW: SkipReason.CANNOT_MEET_TIME_WINDOW,
            Cause.SHIFT: SkipReason.SHIFT_TOO_SHORT,
            Cause.CAPACITY: SkipReason.NO_CAPACITY_LEFT,
        }[top]
        return reason, f"No feasible place on {len(eligible)} eligible vehicles: {counts}."


_ALONE = {
    SkipReason.NO_VEHICLE_WITH_SKILLS: "No vehicle is allowed at the stop and has every skill.",
    SkipReason.DEMAND_EXCEEDS_CAPACITY: "The demand exceeds every eligible vehicle's capacity.",
    SkipReason.SHIFT_TOO_SHORT: "No eligible vehicle's shift fits even the round trip alone.",
    SkipReason.CANNOT_MEET_TIME_WINDOW: (
        "No eligible vehicle can meet a window of the stop, even with nothing else to do."
    ),
}
_CAUSE_TEXT = {
    Cause.TIME_WINDOW: "places would miss a time window",
    Cause.SHIFT: "would end after the shift or route limit",
    Cause.CAPACITY: "lack room (capacity, stops, unloading)",
}


def _bound_order(screen: Screen) -> list[int]:
    """Surviving places, best bound first (ties: vehicle order of the slots, then position)."""
    alive = [j for j in range(len(screen.alive)) if screen.alive[j]]
    return sorted(
        alive,
        key=lambda j: (int(screen.new_vehicle[j]), float(screen.cost[j]), int(screen.travel[j]), j),
    )


def _cause(violations: Sequence[Violation]) -> Cause:
    """What a rejected candidate ran into: time first, then the shift, then room."""
    types = {v.type for v in violations}
    if types & _TIME_TYPES:
        return Cause.TIME_WINDOW
    if types & _SHIFT_TYPES:
        return Cause.SHIFT
    return Cause.CAPACITY


def _delays(old: RouteEvaluation | None, new: RouteEvaluation, stop: int) -> tuple[Delay, ...]:
    """Stops of the live route that start later with the new stop in, in route order."""
    if old is None:
        return ()
    before = {t.ref: t.start for t in old.visits if t.kind is VisitKind.STOP}
    return tuple(
        Delay(t.ref, before[t.ref], t.start)
        for t in new.visits
        if t.kind is VisitKind.STOP and t.ref != stop and t.start > before.get(t.ref, t.start)
    )
