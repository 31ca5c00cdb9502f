"""EvaluatePlan: the caller's routes get ETAs, typed violations with ids, KPIs and cost terms."""

from __future__ import annotations

import grpc
import pytest
from evaluate_plan_cases import Visit, evaluate_request, good_routes, line_request, visit

from dispatch import client
from dispatch._proto.dispatch.v1 import common_pb2, routing_pb2
from dispatch.wire.routing import planned_routes, problem_from_request
from solvers.errors import InvalidProblemError

V = routing_pb2.Violation


@pytest.fixture
def run(stub):
    """EvaluatePlan over the session's real gRPC server."""

    def call(routes, problem=None) -> routing_pb2.EvaluatePlanResponse:
        return stub.EvaluatePlan(evaluate_request(routes, problem), timeout=30)

    return call


def route(vehicle: str, *visits: tuple[int, str]) -> routing_pb2.PlannedRoute:
    return routing_pb2.PlannedRoute(vehicle_id=vehicle, visits=[visit(k, i) for k, i in visits])


def only_violation(response: routing_pb2.EvaluatePlanResponse) -> routing_pb2.Violation:
    assert not response.feasible
    (v,) = response.violations
    return v


def test_feasible_plan_has_etas_and_no_violations(run):
    """The hand-checked plan: t1 leaves at 160 so that it reaches lunch (window from 300) without
    idling, and is back at the depot at 480 s."""
    response = run(good_routes())
    assert response.feasible
    assert not response.violations
    assert (response.label, response.request_id) == ("eval", "r-1")
    (r,) = response.routes
    assert next(v.kind for v in r.visits) == Visit.START
    assert [v.kind for v in r.visits][-1] == Visit.END
    assert [v.service_start for v in r.visits] == [160, 170, 200, 250, 300, 360, 400, 480]
    assert r.totals.duration == 320
    assert r.totals.wait_seconds == 0
    assert (r.totals.trips, r.totals.stops, r.totals.break_seconds) == (2, 3, 60)
    assert list(r.totals.load_collected) == [9]


def test_kpis_and_objective_terms_agree(run):
    """Cost 100 + 36/h x 320 s + 2/km x 14 km + 50 skipped = 181.2, split into its terms (no
    soft windows: their term is 0)."""
    response = run(good_routes())
    terms = {t.name: t.value for t in response.objective_terms}
    assert terms == pytest.approx(
        {
            "fixed_cost": 100.0,
            "time_cost": 3.2,
            "distance_cost": 28.0,
            "skip_penalty": 50.0,
            "time_window_cost": 0.0,
        }
    )
    assert response.kpis.total_cost == pytest.approx(181.2)
    assert response.kpis.vehicles_used == 1
    assert (response.kpis.stops_served, response.kpis.stops_skipped) == (3, 1)
    assert response.kpis.utilisation == pytest.approx(120 / 1000)
    assert response.kpis.idle_seconds == 0
    assert response.kpis.on_time_share == 1.0


def test_time_window_violation_names_the_stop(run):
    """With s1's window closing at 5, serving s2 first brings t1 to s1 at 50: 45 s late."""
    problem = line_request()
    problem.stops[0].time_windows[0].end = 5
    v = only_violation(
        run(
            [
                route(
                    "t1",
                    (Visit.STOP, "s2"),
                    (Visit.STOP, "s1"),
                    (Visit.FACILITY, "dump"),
                    (Visit.BREAK, "lunch"),
                    (Visit.STOP, "s3"),
                    (Visit.FACILITY, "dump"),
                )
            ],
            problem,
        )
    )
    assert (v.type, v.id) == (V.TIME_WINDOW, "s1")
    assert v.amount == 45


def test_capacity_violation(run):
    """s1 + s2 + s3 = 9 units in one trip on a 5-unit truck."""
    response = run(
        [
            route(
                "t1",
                (Visit.STOP, "s1"),
                (Visit.STOP, "s2"),
                (Visit.BREAK, "lunch"),
                (Visit.STOP, "s3"),
                (Visit.FACILITY, "dump"),
            )
        ]
    )
    v = only_violation(response)
    assert (v.type, v.id, v.amount) == (V.CAPACITY, "s3", 4)
    assert list(response.routes[0].visits[4].violations) == [v]


def test_daily_capacity_violation(run):
    """Adding s4 brings t1 to 10 units in the shift, one over its daily capacity."""
    problem = line_request()
    problem.vehicles[0].max_stops = 4
    response = run(
        [
            route(
                "t1",
                (Visit.STOP, "s1"),
                (Visit.STOP, "s2"),
                (Visit.FACILITY, "dump"),
                (Visit.BREAK, "lunch"),
                (Visit.STOP, "s3"),
                (Visit.STOP, "s4"),
                (Visit.FACILITY, "dump"),
            )
        ],
        problem,
    )
    v = only_violation(response)
    assert (v.type, v.id, v.amount) == (V.DAILY_CAPACITY, "s4", 1)


def test_skills_and_vehicle_not_allowed_violations(run):
    """t2 lacks 'lift' for s2 and is not among s3's allowed vehicles."""
    response = run(
        [
            route("t1", (Visit.STOP, "s1"), (Visit.FACILITY, "dump"), (Visit.BREAK, "lunch")),
            route("t2", (Visit.STOP, "s2"), (Visit.STOP, "s3"), (Visit.FACILITY, "dump")),
        ]
    )
    assert {(v.type, v.id) for v in response.violations} == {
        (V.SKILLS, "s2"),
        (V.CAPACITY, "s3"),
        (V.VEHICLE_NOT_ALLOWED, "s3"),
    }


def test_shift_and_max_route_duration_violations(run):
    """With t1's shift ending at 400 and a 300 s limit, the 160..480 route breaks both."""
    problem = line_request()
    problem.vehicles[0].shift.end = 400
    problem.vehicles[0].max_route_duration = 300
    response = run(good_routes(), problem)
    assert {(v.type, v.amount) for v in response.violations} == {
        (V.SHIFT, 80),
        (V.MAX_ROUTE_DURATION, 20),
    }
    assert {v.type for v in response.routes[0].violations} == {V.SHIFT, V.MAX_ROUTE_DURATION}


def test_max_stops_violation(run):
    """t1 may serve three stops; four is one too many."""
    problem = line_request()
    problem.vehicles[0].daily_capacities[0] = 10
    response = run(
        [
            route(
                "t1",
                (Visit.STOP, "s1"),
                (Visit.FACILITY, "dump"),
                (Visit.STOP, "s2"),
                (Visit.STOP, "s4"),
                (Visit.FACILITY, "dump"),
                (Visit.BREAK, "lunch"),
                (Visit.STOP, "s3"),
                (Visit.FACILITY, "dump"),
            )
        ],
        problem,
    )
    v = only_violation(response)
    assert (v.type, v.amount) == (V.MAX_STOPS, 1)


def test_missing_break_violation_names_the_break(run):
    """Starting at 200, t1's route runs past 300 s, so leaving lunch out is a violation."""
    problem = line_request()
    problem.vehicles[0].shift.start = 200
    response = run(
        [
            route(
                "t1",
                (Visit.STOP, "s1"),
                (Visit.STOP, "s2"),
                (Visit.FACILITY, "dump"),
                (Visit.STOP, "s3"),
                (Visit.FACILITY, "dump"),
            )
        ],
        problem,
    )
    v = only_violation(response)
    assert (v.type, v.id) == (V.BREAK, "lunch")


def test_disposal_before_end_violation(run):
    """Returning with s3's 4 units on board when a disposal site exists."""
    response = run(
        [
            route(
                "t1",
                (Visit.STOP, "s1"),
                (Visit.STOP, "s2"),
                (Visit.FACILITY, "dump"),
                (Visit.BREAK, "lunch"),
                (Visit.STOP, "s3"),
            )
        ]
    )
    v = only_violation(response)
    assert (v.type, v.amount) == (V.DISPOSAL_BEFORE_END, 4)


def test_duplicate_visit_violation(run):
    """s1 served by both trucks."""
    response = run([*good_routes(), route("t2", (Visit.STOP, "s1"), (Visit.FACILITY, "dump"))])
    v = only_violation(response)
    assert (v.type, v.id) == (V.DUPLICATE_VISIT, "s1")


def test_missing_mandatory_stop_violation(run):
    """An empty plan leaves s1, s2 and s3 unserved; the optional s4 only costs its penalty."""
    response = run([])
    assert [(v.type, v.id) for v in response.violations] == [
        (V.MISSING_MANDATORY_STOP, "s1"),
        (V.MISSING_MANDATORY_STOP, "s2"),
        (V.MISSING_MANDATORY_STOP, "s3"),
    ]
    assert response.kpis.total_cost == pytest.approx(50.0)


def test_unknown_ids_are_invalid_with_field_paths():
    """Every unknown vehicle, stop or break id is reported with its path in the request."""
    problem = problem_from_request(line_request())
    routes = [
        route("t9", (Visit.STOP, "s1")),
        route("t1", (Visit.STOP, "nope"), (Visit.BREAK, "dinner"), (Visit.END, "t1")),
    ]
    with pytest.raises(InvalidProblemError) as info:
        planned_routes(problem, routes)
    assert [p.path for p in info.value.problems] == [
        "routes[0].vehicle_id",
        "routes[1].visits[0].id",
        "routes[1].visits[1].id",
        "routes[1].visits[2].kind",
    ]


def test_two_routes_for_one_vehicle_are_invalid():
    """A vehicle drives one route; the second is reported by path."""
    problem = problem_from_request(line_request())
    with pytest.raises(InvalidProblemError) as info:
        planned_routes(problem, [route("t1", (Visit.STOP, "s1")), route("t1", (Visit.STOP, "s2"))])
    assert [p.path for p in info.value.problems] == ["routes[1].vehicle_id"]


def test_unknown_stop_over_the_wire_is_invalid_argument(run):
    """The caller sees INVALID_ARGUMENT naming the field, not an internal error."""
    with pytest.raises(grpc.RpcError) as info:
        run([route("t1", (Visit.STOP, "nope"))])
    details = client.error_details(info.value)
    assert details.code is grpc.StatusCode.INVALID_ARGUMENT
    assert "routes[0].visits[0].id" in details.fields


@pytest.mark.parametrize("workload", ["sanitation", "maintenance"])
def test_solver_plan_evaluates_clean_with_plan_routes_totals(stub, examples, workload):
    """A PlanRoutes answer fed back to EvaluatePlan breaks no rule and has the same stops,
    vehicles, travel and cost: both answers come from the same checker and conversion."""
    request = examples[workload]
    request.options.time_budget.FromSeconds(3)
    planned = stub.PlanRoutes(request, timeout=60)
    assert planned.routes, "the example should be solvable"
    routes = [
        routing_pb2.PlannedRoute(
            vehicle_id=r.vehicle_id,
            visits=[
                routing_pb2.PlannedVisit(kind=v.kind, id=v.id)
                for v in r.visits
                if v.kind not in (Visit.START, Visit.END)
            ],
        )
        for r in planned.routes
    ]
    evaluated = stub.EvaluatePlan(
        routing_pb2.EvaluatePlanRequest(problem=request, routes=routes), timeout=30
    )
    # A caller's plan carries no reasons, so mandatory stops PlanRoutes could not serve (and
    # reported as skipped) are violations here, and they are the only ones.
    skipped_mandatory = {
        s.stop_id
        for s in planned.skipped_stops
        if s.reason != routing_pb2.SkippedStop.SKIPPED_FOR_COST
        and not next(x for x in request.stops if x.id == s.stop_id).optional
    }
    assert {(v.type, v.id) for v in evaluated.violations} == {
        (V.MISSING_MANDATORY_STOP, stop_id) for stop_id in skipped_mandatory
    }
    assert evaluated.feasible == (not skipped_mandatory)
    for mine, theirs in zip(evaluated.routes, planned.routes, strict=True):
        assert [v.id for v in mine.visits] == [v.id for v in theirs.visits]
        assert mine.totals.travel_seconds == theirs.totals.travel_seconds
        assert mine.totals.travel_metres == theirs.totals.travel_metres
        assert list(mine.totals.load_collected) == list(theirs.totals.load_collected)
        assert mine.totals.trips == theirs.totals.trips
        # The caller's plan has no times: the checker picks the shortest schedule, so it is
        # never longer than the solver's.
        assert mine.totals.duration <= theirs.totals.duration
    k_mine, k_theirs = evaluated.kpis, planned.kpis
    assert (k_mine.vehicles_used, k_mine.stops_served, k_mine.stops_skipped) == (
        k_theirs.vehicles_used,
        k_theirs.stops_served,
        k_theirs.stops_skipped,
    )
    assert k_mine.total_cost <= planned.solve_info.objective + 1e-6
    assert k_mine.total_cost == pytest.approx(planned.solve_info.objective, rel=0.02)


def test_milp_plan_over_the_wire_is_optimal_and_evaluates_to_the_same_cost(stub):
    """PlanRoutes with solver MILP on the small line request (no breaks, which the MILP
    declines) proves optimality, and EvaluatePlan on its routes finds the same cost."""
    request = line_request()
    del request.vehicles[0].breaks[:]
    request.options.solver = common_pb2.MILP
    request.options.time_budget.FromSeconds(20)
    planned = stub.PlanRoutes(request, timeout=60)
    assert planned.solve_info.solver == common_pb2.MILP
    assert planned.solve_info.status == common_pb2.OPTIMAL
    routes = [
        routing_pb2.PlannedRoute(
            vehicle_id=r.vehicle_id,
            visits=[
                routing_pb2.PlannedVisit(kind=v.kind, id=v.id)
                for v in r.visits
                if v.kind not in (Visit.START, Visit.END)
            ],
        )
        for r in planned.routes
    ]
    evaluated = stub.EvaluatePlan(
        routing_pb2.EvaluatePlanRequest(problem=request, routes=routes), timeout=30
    )
    assert evaluated.feasible
    assert evaluated.kpis.total_cost == pytest.approx(planned.solve_info.objective)
