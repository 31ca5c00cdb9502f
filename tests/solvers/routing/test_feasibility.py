"""Skip reasons: each code for the case it names, and only then."""

from __future__ import annotations

from checker_cases import problem, random_problems, stop, vehicle
from hypothesis import HealthCheck, given, settings

from solvers.routing.checker import evaluate
from solvers.routing.feasibility import explain, prefilter
from solvers.routing.plan import PlannedVisit, RoutePlan, RoutingPlan, SkipReason, VisitKind
from solvers.routing.problem import Facility, TimeWindow


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
    """Completeness when no vehicle has breaks: a stop the filter keeps can be served on its own
    by some vehicle, so NO_CAPACITY_LEFT and SKIPPED_FOR_COST are never wrong about that."""
    if any(v.breaks for v in p.vehicles):
        return
    filtered = prefilter(p)
    for i in range(len(p.stops)):
        if i in filtered:
            continue
        assert any(
            evaluate(p, _alone(p, k, i, facility)).feasible
            for k in range(len(p.vehicles))
            for facility in [None, *range(len(p.facilities))]
        )
