"""Skip reasons: each code for the case it names, and only then."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from checker_cases import problem, random_problems, stop, vehicle
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from solvers.routing.checker import evaluate
from solvers.routing.feasibility import explain, prefilter
from solvers.routing.plan import PlannedVisit, RoutePlan, RoutingPlan, SkipReason, VisitKind
from solvers.routing.problem import (
    Break,
    Facility,
    RoutingProblem,
    Stop,
    TimeWindow,
    Vehicle,
)


def test_servable_stop_has_no_reason():
    """A plain stop near the depot is not filtered."""
    assert prefilter(problem((stop("a", 2),))) == {}


def test_no_vehicle_with_skills():
    """Nobody has 'welding'."""
    p = problem((stop("a", 2, required_skills=frozenset({"welding"})),))
    assert prefilter(p) == {0: SkipReason.NO_VEHICLE_WITH_SKILLS}


def test_skills_count_only_on_allowed_vehicles():
    """The welder exists but is not allowed at the stop."""
    p = problem(
        (stop("a", 2, required_skills=frozenset({"welding"}), allowed_vehicles=frozenset({0})),),
        vehicles=(vehicle("plain"), vehicle("welder", skills=frozenset({"welding"}))),
    )
    assert prefilter(p) == {0: SkipReason.NO_VEHICLE_WITH_SKILLS}


def test_demand_exceeds_capacity():
    """A 6-unit stop against 5-unit trucks."""
    p = problem(
        (stop("a", 2, demands=(6,)),), vehicles=(vehicle(capacities=(5,)),), dimensions=("kg",)
    )
    assert prefilter(p) == {0: SkipReason.DEMAND_EXCEEDS_CAPACITY}


def test_demand_within_some_vehicles_capacity_is_fine():
    """One of two trucks is big enough."""
    p = problem(
        (stop("a", 2, demands=(6,)),),
        vehicles=(vehicle("small", capacities=(5,)), vehicle("big", capacities=(9,))),
        dimensions=("kg",),
    )
    assert prefilter(p) == {}


def test_daily_capacity_counts_as_capacity():
    """A stop larger than the whole day's allowance cannot be served."""
    p = problem(
        (stop("a", 2, demands=(6,)),),
        vehicles=(vehicle(daily_capacities=(5,)),),
        dimensions=("kg",),
    )
    assert prefilter(p) == {0: SkipReason.DEMAND_EXCEEDS_CAPACITY}


def test_shift_too_short():
    """40 s of driving plus 30 s of service does not fit a 60 s shift."""
    p = problem((stop("a", 2, service_duration=30),), vehicles=(vehicle(shift=TimeWindow(0, 60)),))
    assert prefilter(p) == {0: SkipReason.SHIFT_TOO_SHORT}


def test_max_route_duration_counts_as_shift_length():
    """A long shift but a 60 s route limit."""
    p = problem((stop("a", 2, service_duration=30),), vehicles=(vehicle(max_route_duration=60),))
    assert prefilter(p) == {0: SkipReason.SHIFT_TOO_SHORT}


def test_facility_detour_counts_when_carrying_load():
    """Out 20 s, to the dump at L7 50 s, home 70 s: 140 s > 100 s; without load it fits."""
    loaded = problem(
        (stop("a", 2, demands=(1,)),),
        vehicles=(vehicle(shift=TimeWindow(0, 100)),),
        facilities=(Facility("dump", 7),),
        dimensions=("kg",),
    )
    assert prefilter(loaded) == {0: SkipReason.SHIFT_TOO_SHORT}
    empty = problem(
        (stop("a", 2, demands=(0,)),),
        vehicles=(vehicle(shift=TimeWindow(0, 100)),),
        facilities=(Facility("dump", 7),),
        dimensions=("kg",),
    )
    assert prefilter(empty) == {}


def test_cannot_meet_time_window():
    """The window closes at 10 but the stop is 20 s from the depot at shift start."""
    p = problem((stop("a", 2, time_windows=(TimeWindow(0, 10),)),))
    assert prefilter(p) == {0: SkipReason.CANNOT_MEET_TIME_WINDOW}


def test_window_too_late_to_return_within_shift():
    """Service may only start at 90 and the shift ends at 100, 20 s from home."""
    p = problem(
        (stop("a", 2, time_windows=(TimeWindow(90, 95),)),),
        vehicles=(vehicle(shift=TimeWindow(0, 100)),),
    )
    assert prefilter(p) == {0: SkipReason.CANNOT_MEET_TIME_WINDOW}


def test_waiting_for_a_window_is_done_at_the_depot():
    """A window at 500 with a 60 s route limit is fine: the crew leaves at 480."""
    p = problem(
        (stop("a", 2, time_windows=(TimeWindow(500, 510),)),),
        vehicles=(vehicle(max_route_duration=60),),
    )
    assert prefilter(p) == {}


def test_closed_facility_makes_a_loaded_stop_impossible():
    """The only dump closes before the truck can get there with the load."""
    p = problem(
        (stop("a", 2, demands=(1,)),),
        facilities=(Facility("dump", 3, TimeWindow(0, 5)),),
        dimensions=("kg",),
    )
    assert prefilter(p) == {0: SkipReason.CANNOT_MEET_TIME_WINDOW}


def _night_with_a_dump_opening_at(opens: int) -> RoutingProblem:
    """Night shift 0-28800, 4 h route limit, one loaded stop 20 s out with 790 s of service,
    a dump 10 s further on that opens at ``opens``, home 30 s from the dump."""
    return problem(
        (stop("a", 2, demands=(1,), service_duration=790),),
        vehicles=(vehicle(shift=TimeWindow(0, 28_800), max_route_duration=14_400),),
        facilities=(Facility("dump", 3, TimeWindow(opens, 28_800)),),
        dimensions=("kg",),
    )


def test_late_opening_facility_is_reached_by_leaving_late():
    """With the dump opening at 18000, leaving at shift start the truck would wait at the dump
    and overrun 4 h, but leaving at 17180 it reaches the dump as it opens and is home 30 s
    later. The stop is kept, and the checker accepts that route."""
    p = _night_with_a_dump_opening_at(18_000)
    assert prefilter(p) == {}
    evaluation = evaluate(p, _alone(p, 0, 0, 0))
    assert evaluation.feasible
    assert evaluation.routes[0].visits[0].start == 17_180


def test_dump_opening_too_late_for_the_shift_still_rejects():
    """With the dump opening at 28790, unloading cannot end before the shift does whenever
    the truck leaves, so the stop stays CANNOT_MEET_TIME_WINDOW."""
    p = _night_with_a_dump_opening_at(28_790)
    assert prefilter(p) == {0: SkipReason.CANNOT_MEET_TIME_WINDOW}


def test_a_later_window_can_be_the_one_that_fits():
    """Windows [0, 100] and [900, 1000] 10 s out, a dump 10 s on opening at 1000, a 200 s route
    limit: served in the first window the truck waits at the dump for ~900 s, but leaving at 980
    for the second window it is home at 1010 after 30 s. The stop is kept."""
    p = problem(
        (stop("a", 1, demands=(1,), time_windows=(TimeWindow(0, 100), TimeWindow(900, 1000))),),
        vehicles=(vehicle(max_route_duration=200),),
        facilities=(Facility("dump", 2, TimeWindow(1000, 2000)),),
        dimensions=("kg",),
    )
    assert prefilter(p) == {}
    late = RoutePlan(0, _alone(p, 0, 0, 0).routes[0].visits, departure=980)
    assert evaluate(p, RoutingPlan((late,))).feasible


def test_a_facility_detour_counts_when_it_is_the_faster_road():
    """Travel times need not be metric: the stop is 500 s from home directly but 10 s via the
    dump. An empty truck may take that road, so a 100 s shift is long enough."""
    durations = np.array([[0, 10, 500], [500, 0, 10], [10, 500, 0]], dtype=np.int64)
    p = RoutingProblem(
        location_ids=("home", "stop", "dump"),
        durations=(durations,),
        distances=(None,),
        vehicles=(vehicle(shift=TimeWindow(0, 100)),),
        stops=(stop("a", 1),),
        facilities=(Facility("dump", 2),),
    )
    assert prefilter(p) == {}
    assert evaluate(p, _alone(p, 0, 0, 0)).feasible


def test_another_stop_on_the_way_home_counts_when_it_is_the_faster_road():
    """Travel times need not be metric: stop a is 37 s from home directly but 2 s through stop
    b's place. A 20 s shift cannot serve a alone, but the route a -> b -> home serves both, so
    the pre-check must not rule a out (a property test found the MILP missing its optimum)."""
    durations = np.array([[0, 1, 1], [37, 0, 1], [1, 1, 0]], dtype=np.int64)
    p = RoutingProblem(
        location_ids=("home", "a", "b"),
        durations=(durations,),
        distances=(None,),
        vehicles=(vehicle(shift=TimeWindow(0, 20)),),
        stops=(stop("a", 1), stop("b", 2)),
    )
    assert prefilter(p) == {}
    both = RoutePlan(0, (PlannedVisit(VisitKind.STOP, 0), PlannedVisit(VisitKind.STOP, 1)))
    assert evaluate(p, RoutingPlan((both,))).feasible


def test_explain_left_out_optional_stop_is_skipped_for_cost():
    """A servable optional stop left out was left out for cost."""
    p = problem((stop("a", 2, optional=True, skip_penalty=1.0),))
    assert explain(p, 0) is SkipReason.SKIPPED_FOR_COST


def test_explain_left_out_mandatory_stop_is_no_capacity_left():
    """A servable mandatory stop left out means the solver found no room for it."""
    assert explain(problem((stop("a", 2),)), 0) is SkipReason.NO_CAPACITY_LEFT


def test_explain_gives_the_hard_reason_first():
    """An optional stop nobody can serve is reported for its real reason, not for cost."""
    p = problem((stop("a", 2, optional=True, required_skills=frozenset({"x"})),))
    assert explain(p, 0) is SkipReason.NO_VEHICLE_WITH_SKILLS


def _alone(p, k: int, i: int, facility: int | None) -> RoutingPlan:
    """Vehicle k serves only stop i (then unloads at ``facility``); the rest are excused."""
    visits = (PlannedVisit(VisitKind.STOP, i),)
    if facility is not None:
        visits += (PlannedVisit(VisitKind.FACILITY, facility),)
    others = {j: SkipReason.NO_CAPACITY_LEFT for j in range(len(p.stops)) if j != i}
    return RoutingPlan((RoutePlan(k, visits),), skipped=others)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_problems(max_stops=4))
def test_filtered_stops_are_impossible_alone(p):
    """Soundness against the independent checker: no vehicle without breaks can serve a
    filtered stop on its own, directly or through any facility."""
    for i in prefilter(p):
        for k, v in enumerate(p.vehicles):
            if v.breaks:
                continue
            for facility in [None, *range(len(p.facilities))]:
                assert not evaluate(p, _alone(p, k, i, facility)).feasible


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_problems(max_stops=4))
def test_kept_stops_are_servable_alone_without_breaks(p):
    """Completeness when no vehicle has breaks and the travel times are metric: a stop the
    filter keeps can be served on its own by some vehicle (leaving when the checker chooses, or
    at a planned departure: a stop may only fit a later window than the one the checker's
    default departure aims at), so NO_CAPACITY_LEFT and SKIPPED_FOR_COST are never wrong about
    that. (With non-metric times a kept stop may need other stops on its way: the pre-check
    reasons with shortest drives so that it never rejects such a stop.)"""
    if any(v.breaks for v in p.vehicles):
        return
    p = _metric(p)
    filtered = prefilter(p)
    for i in range(len(p.stops)):
        if i in filtered:
            continue
        assert any(_servable_alone(p, k, i) for k in range(len(p.vehicles)))


@st.composite
def single_stop_problems(draw: st.DrawFn) -> RoutingProblem:
    """One vehicle, one stop, up to two facilities; windows, openings, route limits, breaks and
    capacities each present about half the time or more, and every event inside the shift so
    that the departure matters (choices come from lists: plain booleans and small integers would
    favour the simplest cases)."""
    n_loc = draw(st.integers(2, 4))
    raw = draw(st.lists(st.integers(0, 40), min_size=n_loc * n_loc, max_size=n_loc * n_loc))
    durations = np.array(raw, dtype=np.int64).reshape(n_loc, n_loc)
    np.fill_diagonal(durations, 0)
    location = st.integers(0, n_loc - 1)
    maybe = st.sampled_from([True, False])
    loaded = draw(st.sampled_from([True, True, False]))
    shift_start = draw(st.integers(0, 300))
    length = draw(st.integers(0, 2000))
    # Events fall inside the shift (or just around it), wherever the route limit leaves slack.
    moment = st.integers(shift_start - 100, shift_start + length + 100)
    breaks = ()
    if draw(maybe):
        opens = draw(moment)
        window = TimeWindow(opens, opens + draw(st.integers(0, 200)))
        breaks = (Break("lunch", window, draw(st.integers(0, 60))),)
    truck = Vehicle(
        id="v",
        start=draw(location),
        end=draw(location),
        shift=TimeWindow(shift_start, shift_start + length),
        capacities=draw(st.sampled_from([None, None, (1,), (3,)])) if loaded else None,
        max_route_duration=draw(st.sampled_from([0, 100, 200, 400])),
        breaks=breaks,
    )
    windows = ()
    for _ in range(draw(st.sampled_from([0, 0, 1, 2]))):
        opens = draw(moment)
        windows += (TimeWindow(opens, opens + draw(st.integers(0, 150))),)
    facilities = []
    for f in range(draw(st.sampled_from([0, 1, 1, 2]))):
        opening = None
        if draw(st.sampled_from([True, True, False])):
            opens = draw(moment)
            opening = TimeWindow(opens, opens + draw(st.integers(0, 400)))
        facilities.append(Facility(f"f{f}", draw(location), opening, draw(st.integers(0, 40))))
    job = Stop(
        id="s",
        location=draw(location),
        demands=(draw(st.sampled_from([0, 1, 2])),) if loaded else (),
        service_duration=draw(st.integers(0, 40)),
        time_windows=windows,
    )
    return RoutingProblem(
        location_ids=tuple(f"L{i}" for i in range(n_loc)),
        durations=(durations,),
        distances=(None,),
        vehicles=(truck,),
        stops=(job,),
        facilities=tuple(facilities),
        dimensions=("kg",) if loaded else (),
    )


def _visit_orders(p: RoutingProblem, k: int, i: int) -> list[tuple[PlannedVisit, ...]]:
    """Stop i, straight home or through one facility, with each of vehicle k's breaks left
    out or placed before, between or after those visits."""
    orders = []
    for way in [None, *range(len(p.facilities))]:
        visits = [PlannedVisit(VisitKind.STOP, i)]
        if way is not None:
            visits.append(PlannedVisit(VisitKind.FACILITY, way))
        orders.append(tuple(visits))
        for b in range(len(p.vehicles[k].breaks)):
            brk = PlannedVisit(VisitKind.BREAK, b)
            orders += [(*visits[:j], brk, *visits[j:]) for j in range(len(visits) + 1)]
    return orders


def _departures(p: RoutingProblem, k: int, i: int) -> list[int | None]:
    """The checker's own choice (None), a grid over vehicle k's shift, and every departure that
    puts some event of the route to stop i exactly on a boundary (a window, an opening, a break
    window or the shift): a moment minus the time the route needs to get there."""
    v, s = p.vehicles[k], p.stops[i]
    moments = {v.shift.start, v.shift.end}
    for w in (*s.time_windows, *(f.opening for f in p.facilities if f.opening), *v.breaks):
        w = w.start_window if isinstance(w, Break) else w
        moments |= {w.start, w.end}
    there = p.travel(k, v.start, s.location)
    served = there + s.service_duration
    offsets = {0, there, served, served + p.travel(k, s.location, v.end)}
    for f in p.facilities:
        at_facility = served + p.travel(k, s.location, f.location)
        offsets |= {at_facility, at_facility + f.unload_duration + p.travel(k, f.location, v.end)}
    offsets |= {o + b.duration for o in list(offsets) for b in v.breaks}
    length = v.shift.end - v.shift.start
    grid = {v.shift.start + length * j // 40 for j in range(41)}
    critical = {m - o for m in moments for o in offsets}
    inside = sorted(d for d in grid | critical if v.shift.start <= d <= v.shift.end)
    return [None, *inside]


def _metric(p: RoutingProblem) -> RoutingProblem:
    """``p`` with every travel time replaced by the shortest drive over all places."""
    closed = []
    for m in p.durations:
        d = m.astype(np.int64).copy()
        for k in range(d.shape[0]):
            d = np.minimum(d, d[:, [k]] + d[[k], :])
        closed.append(d)
    return replace(p, durations=tuple(closed))


def _servable_alone(p: RoutingProblem, k: int, i: int) -> bool:
    """Whether the checker accepts some route of vehicle k that serves only stop i."""
    others = {j: SkipReason.NO_CAPACITY_LEFT for j in range(len(p.stops)) if j != i}
    return any(
        evaluate(
            p, RoutingPlan((RoutePlan(k, visits, departure=departure),), skipped=others)
        ).feasible
        for visits in _visit_orders(p, k, i)
        for departure in _departures(p, k, i)
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(single_stop_problems())
@example(_night_with_a_dump_opening_at(18_000))
@example(_night_with_a_dump_opening_at(28_790))
def test_precheck_agrees_with_exhaustive_search_on_one_stop(p):
    """Soundness (and, without breaks, exactness) against the checker: when the pre-check
    rejects the stop, no departure in the shift and no way home (direct or via a facility, the
    break anywhere or nowhere) gives a route the checker accepts; when it keeps the stop and
    the vehicle has no break, some such route is accepted."""
    rejected = 0 in prefilter(p)
    if rejected:
        assert not _servable_alone(p, 0, 0)
    metric = _metric(p)
    if not metric.vehicles[0].breaks and 0 not in prefilter(metric):
        # Exact on metric times; otherwise the way there may pass a facility's place.
        assert _servable_alone(metric, 0, 0)
