"""Re-planning over the real server (issue #13 items 3 and 4): AdviseInsertion and the plan diff
PlanRoutes attaches when the request carries a reference plan.

The live plan is the bundled maintenance example (30 work orders, 5 crews) planned by the
constructive heuristic: real solvers, no server-side shortcut, and fast.
"""

from __future__ import annotations

import time

import grpc
import pytest

from dispatch import client
from dispatch._proto.dispatch.v1 import common_pb2, jobs_pb2, replanning_pb2, routing_pb2
from dispatch.wire import enums
from dispatch.wire.routing import problem_from_request
from solvers.routing.engines.construct import greedy_plan
from solvers.routing.plan import PlannedVisit, RoutingPlan, VisitKind

Visit = routing_pb2.Visit
Change = routing_pb2.StopChange
Reason = routing_pb2.SkippedStop


def _ids(problem, vehicle: int, visit: PlannedVisit) -> routing_pb2.PlannedVisit:
    table = {
        VisitKind.STOP: problem.stops,
        VisitKind.FACILITY: problem.facilities,
        VisitKind.BREAK: problem.vehicles[vehicle].breaks,
    }[visit.kind]
    return routing_pb2.PlannedVisit(kind=enums.VISIT_KIND[visit.kind], id=table[visit.ref].id)


def as_routes(problem, plan: RoutingPlan) -> list[routing_pb2.PlannedRoute]:
    """A plan of indices as the caller's PlannedRoutes (ids)."""
    return [
        routing_pb2.PlannedRoute(
            vehicle_id=problem.vehicles[r.vehicle].id,
            visits=[_ids(problem, r.vehicle, v) for v in r.visits],
        )
        for r in plan.routes
        if r.visits
    ]


@pytest.fixture
def live(examples) -> tuple[routing_pb2.PlanRoutesRequest, list[routing_pb2.PlannedRoute]]:
    """The maintenance example and its constructed plan (one optional order skipped)."""
    request = examples["maintenance"]
    problem = problem_from_request(request)
    return request, as_routes(problem, greedy_plan(problem))


def burst_main(request: routing_pb2.PlanRoutesRequest, **fields) -> routing_pb2.Stop:
    """A new 30-minute work order at the location of the request's fourth stop."""
    stop = routing_pb2.Stop(
        id="burst-main", location_id=request.stops[3].location_id, service_duration=1800
    )
    for name, value in fields.items():
        field = getattr(stop, name)
        field.extend(value) if isinstance(value, list) else setattr(stop, name, value)
    return stop


def advise_request(
    live, *stops: routing_pb2.Stop, **fields
) -> replanning_pb2.AdviseInsertionRequest:
    problem, routes = live
    return replanning_pb2.AdviseInsertionRequest(
        label="who", request_id="a-1", problem=problem, routes=routes, new_stops=stops, **fields
    )


def failure(call, request) -> client.ErrorDetails:
    with pytest.raises(grpc.RpcError) as info:
        call(request, timeout=30)
    return client.error_details(info.value)


# -- AdviseInsertion -----------------------------------------------------------------------------


def test_every_option_evaluates_feasible_with_the_advised_eta_and_cost(stub, live) -> None:
    """Each option's route, swapped into the live plan and sent to EvaluatePlan with the new
    stop added to the problem, adds no violation; the new stop's ETA is the option's, and the
    plan's objective rises by exactly the option's cost delta (the stop is mandatory: no
    penalty changes)."""
    request, routes = live
    new = burst_main(request)
    answer = stub.AdviseInsertion(advise_request(live, new), timeout=30)
    (advice,) = answer.advice
    assert advice.options and advice.complete
    problem = routing_pb2.PlanRoutesRequest()
    problem.CopyFrom(request)
    problem.stops.append(new)
    before = stub.EvaluatePlan(
        routing_pb2.EvaluatePlanRequest(problem=request, routes=routes), timeout=30
    )
    for option in advice.options:
        swapped = [r for r in routes if r.vehicle_id != option.vehicle_id] + [option.route]
        after = stub.EvaluatePlan(
            routing_pb2.EvaluatePlanRequest(problem=problem, routes=swapped), timeout=30
        )
        # Only what the live plan already had: the constructed plan leaves one order out.
        assert [v.type for v in after.violations] == [v.type for v in before.violations]
        (visit,) = [v for r in after.routes for v in r.visits if v.id == "burst-main"]
        assert visit.service_start == option.service_start
        assert after.kpis.total_cost - before.kpis.total_cost == pytest.approx(option.cost_delta)


def test_options_rank_crews_best_first_one_each(stub, live) -> None:
    """By default the options name distinct crews, in increasing cost; each says where the
    stop goes (its neighbours) and whom it delays, consistently with the route it gives."""
    (advice,) = stub.AdviseInsertion(advise_request(live, burst_main(live[0])), timeout=30).advice
    vehicles = [o.vehicle_id for o in advice.options]
    assert len(vehicles) == len(set(vehicles))
    costs = [o.cost_delta for o in advice.options]
    assert costs == sorted(costs)
    for option in advice.options:
        visits = option.route.visits
        assert visits[option.position].id == "burst-main"
        assert option.after_id == (visits[option.position - 1].id if option.position else "")
        assert all(
            d.delay == d.service_start_after - d.service_start_before > 0 for d in option.delayed
        )
        assert option.total_delay_seconds == sum(d.delay for d in option.delayed)
        assert option.lateness == 0


def test_a_stop_no_crew_is_skilled_for_gets_a_reason_not_an_error(stub, live) -> None:
    """Nobody has the crane the order needs: no option, NO_VEHICLE_WITH_SKILLS, a sentence."""
    stop = burst_main(live[0], required_skills=["crane"])
    (advice,) = stub.AdviseInsertion(advise_request(live, stop), timeout=30).advice
    assert not advice.options
    assert advice.reason == Reason.NO_VEHICLE_WITH_SKILLS and advice.detail


def test_several_new_stops_are_each_advised_in_order(stub, live) -> None:
    """Two new orders: one advice each, in request order."""
    first = burst_main(live[0])
    second = burst_main(live[0], id="leak", location_id=live[0].stops[7].location_id)
    answer = stub.AdviseInsertion(advise_request(live, first, second), timeout=30)
    assert [a.stop_id for a in answer.advice] == ["burst-main", "leak"]


def test_validate_only_advises_nothing(stub, live) -> None:
    """VALIDATE_ONLY checks the request and answers without advice."""
    options = common_pb2.SolveOptions(solving_mode=common_pb2.VALIDATE_ONLY)
    answer = stub.AdviseInsertion(
        advise_request(live, burst_main(live[0]), options=options), timeout=30
    )
    assert (answer.label, answer.request_id, len(answer.advice)) == ("who", "a-1", 0)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda r: r.ClearField("new_stops"), "new_stops"),
        (lambda r: setattr(r.new_stops[0], "id", r.problem.stops[0].id), "new_stops[0].id"),
        (lambda r: setattr(r.new_stops[0], "location_id", "nowhere"), "new_stops[0].location_id"),
        (
            lambda r: r.new_stops[0].allowed_vehicle_ids.append("ghost"),
            "new_stops[0].allowed_vehicle_ids[0]",
        ),
        (lambda r: setattr(r, "max_options", 51), "max_options"),
        (lambda r: setattr(r, "job_id", "j-1"), "job_id"),
        (lambda r: r.ClearField("problem"), "routes"),
        (lambda r: setattr(r.routes[0], "vehicle_id", "ghost"), "routes[0].vehicle_id"),
        (lambda r: r.routes[1].visits.insert(0, r.routes[0].visits[0]), "routes[1].visits[0].id"),
        (
            lambda r: setattr(r.problem.vehicles[0], "start_location_id", "nowhere"),
            "problem.vehicles[0].start_location_id",
        ),
    ],
)
def test_malformed_requests_are_invalid_argument_with_the_field(stub, live, change, field) -> None:
    """Every malformed request is INVALID_ARGUMENT naming its field, never INTERNAL."""
    request = advise_request(live, burst_main(live[0]))
    change(request)
    details = failure(stub.AdviseInsertion, request)
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    assert field in details.fields


def test_no_live_plan_at_all_names_the_request(stub, live) -> None:
    """Neither problem nor job_id: the violation is on the request as a whole."""
    request = replanning_pb2.AdviseInsertionRequest(new_stops=[burst_main(live[0])])
    assert failure(stub.AdviseInsertion, request).fields == [""]


def test_too_many_new_stops_is_resource_exhausted(stub, live) -> None:
    """21 new stops exceed the 20 one call advises on."""
    stops = [burst_main(live[0], id=f"n{i}") for i in range(21)]
    details = failure(stub.AdviseInsertion, advise_request(live, *stops))
    assert details.code == grpc.StatusCode.RESOURCE_EXHAUSTED


def test_an_unknown_job_is_not_found(stub, live) -> None:
    """job_id naming no job: NOT_FOUND."""
    request = replanning_pb2.AdviseInsertionRequest(
        job_id="no-such", new_stops=[burst_main(live[0])]
    )
    assert failure(stub.AdviseInsertion, request).code == grpc.StatusCode.NOT_FOUND


def _job(
    stub, request: routing_pb2.PlanRoutesRequest, budget: float, label: str
) -> jobs_pb2.PlanJob:
    job_request = routing_pb2.PlanRoutesRequest()
    job_request.CopyFrom(request)
    job_request.label = job_request.request_id = label
    job_request.options.time_budget.FromNanoseconds(int(budget * 1e9))
    return stub.CreatePlanJob(jobs_pb2.CreatePlanJobRequest(request=job_request), timeout=30)


def test_a_finished_plan_job_is_a_live_plan(stub, live) -> None:
    """A SUCCEEDED job's request and plan are the live plan: options come back, and a new stop
    at a location the job's request lacks is INVALID_ARGUMENT on that field."""
    job = _job(stub, live[0], 1.0, f"advise-job-{time.time_ns()}")
    final = list(stub.WatchPlanJob(jobs_pb2.WatchPlanJobRequest(job_id=job.job_id), timeout=120))
    assert final[-1].job.state == jobs_pb2.PlanJob.SUCCEEDED
    request = replanning_pb2.AdviseInsertionRequest(
        job_id=job.job_id, new_stops=[burst_main(live[0])]
    )
    (advice,) = stub.AdviseInsertion(request, timeout=30).advice
    assert advice.options
    request.new_stops[0].location_id = "nowhere"
    assert failure(stub.AdviseInsertion, request).fields == ["new_stops[0].location_id"]


def test_an_unfinished_plan_job_is_failed_precondition(stub, live) -> None:
    """A job still queued or solving has no plan yet: FAILED_PRECONDITION."""
    job = _job(stub, live[0], 60.0, f"advise-running-{time.time_ns()}")
    try:
        request = replanning_pb2.AdviseInsertionRequest(
            job_id=job.job_id, new_stops=[burst_main(live[0])]
        )
        assert failure(stub.AdviseInsertion, request).code == grpc.StatusCode.FAILED_PRECONDITION
    finally:
        stub.CancelPlanJob(jobs_pb2.CancelPlanJobRequest(job_id=job.job_id), timeout=30)


# -- PlanRoutes with a reference plan ------------------------------------------------------------


def _with_reference(live, budget: float = 1.0) -> routing_pb2.PlanRoutesRequest:
    request, routes = live
    replan = routing_pb2.PlanRoutesRequest()
    replan.CopyFrom(request)
    replan.options.time_budget.FromNanoseconds(int(budget * 1e9))
    replan.reference_plan.routes.extend(routes)
    return replan


def test_a_replan_carries_its_diff_against_the_reference_plan(stub, live) -> None:
    """The reference plan plus an order done this morning (no longer in the request): the diff
    lists every stop of either plan once, the done order as DROPPED and no longer requested,
    and the KPIs count the changes it lists."""
    replan = _with_reference(live)
    replan.reference_plan.routes[0].visits.insert(
        0, routing_pb2.PlannedVisit(kind=Visit.STOP, id="done-0740")
    )
    answer = stub.PlanRoutes(replan, timeout=60)
    diff = answer.diff
    served = {v.id for r in answer.routes for v in r.visits if v.kind == Visit.STOP}
    referenced = {
        v.id for r in replan.reference_plan.routes for v in r.visits if v.kind == Visit.STOP
    }
    assert sorted(s.stop_id for s in diff.stops) == sorted(served | referenced)
    done = next(s for s in diff.stops if s.stop_id == "done-0740")
    assert done.change == Change.DROPPED and not done.still_requested
    assert not done.HasField("reference_service_start")
    counted = {c: sum(1 for s in diff.stops if s.change == c) for c in Change.Change.values()}
    k = diff.kpis
    assert (
        k.stops_unchanged,
        k.stops_moved,
        k.stops_reordered,
        k.stops_added,
        k.stops_dropped,
    ) == (
        counted[Change.UNCHANGED],
        counted[Change.MOVED],
        counted[Change.REORDERED],
        counted[Change.ADDED],
        counted[Change.DROPPED],
    )
    shifts = [abs(s.eta_shift) for s in diff.stops if s.HasField("eta_shift")]
    assert k.eta_shift_total_seconds == sum(shifts) and k.eta_shift_max_seconds == max(shifts)


def test_an_answer_without_a_reference_plan_has_no_diff(stub, live) -> None:
    """No reference plan, no diff."""
    request = _with_reference(live, budget=0.5)
    request.ClearField("reference_plan")
    assert not stub.PlanRoutes(request, timeout=60).HasField("diff")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            lambda r: r.reference_plan.routes[1].visits.insert(
                0, r.reference_plan.routes[0].visits[0]
            ),
            "reference_plan.routes[1].visits[0].id",
        ),
        (
            lambda r: setattr(
                r.reference_plan.routes[1], "vehicle_id", r.reference_plan.routes[0].vehicle_id
            ),
            "reference_plan.routes[1].vehicle_id",
        ),
        (
            lambda r: setattr(r.reference_plan.routes[0], "vehicle_id", ""),
            "reference_plan.routes[0].vehicle_id",
        ),
        (
            lambda r: r.reference_plan.routes[0].visits.insert(
                0, routing_pb2.PlannedVisit(kind=Visit.START, id="x")
            ),
            "reference_plan.routes[0].visits[0].kind",
        ),
    ],
)
def test_a_reference_plan_that_contradicts_itself_is_invalid(stub, live, change, field) -> None:
    """A stop in two places, a vehicle with two routes, a route without a vehicle, a START
    visit: INVALID_ARGUMENT naming the field (unknown ids alone are fine: see the diff test)."""
    request = _with_reference(live)
    change(request)
    details = failure(stub.PlanRoutes, request)
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    assert field in details.fields
