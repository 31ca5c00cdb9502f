"""Validation of each RPC's request: one rule per test, checked by the field path it reports."""

from __future__ import annotations

import math

import pytest

from dispatch import validation
from dispatch._proto.dispatch.v1 import common_pb2, emergency_pb2, jobs_pb2, routing_pb2
from dispatch.errors import InvalidProblemError, RequestTooLargeError
from dispatch.examples import EXAMPLES, read_text
from dispatch.validation import limits
from dispatch.validation.common import MAX_PROBLEMS

AVAILABLE = emergency_pb2.Unit.AVAILABLE


def assign_request() -> emergency_pb2.AssignUnitsRequest:
    """Two units, two incidents, one district with a coverage rule: valid."""
    return emergency_pb2.AssignUnitsRequest(
        units=[
            emergency_pb2.Unit(id="M-12", capabilities=["ambulance"], status=AVAILABLE),
            emergency_pb2.Unit(id="P-221", capabilities=["police"], status=AVAILABLE),
        ],
        incidents=[
            emergency_pb2.Incident(
                id="inc-1",
                priority=1,
                requirements=[emergency_pb2.Requirement(capability="ambulance", count=1)],
                response_target_seconds=480,
            ),
            emergency_pb2.Incident(
                id="inc-2",
                priority=2,
                requirements=[emergency_pb2.Requirement(capability="police", count=1)],
            ),
        ],
        unit_to_incident=common_pb2.TravelMatrix(durations=[60, 300, 200, 90]),
        district_ids=["north"],
        unit_to_district=common_pb2.TravelMatrix(durations=[120, 400]),
        coverage_rules=[
            emergency_pb2.CoverageRule(
                district_id="north", capability="ambulance", min_units=1, max_travel_seconds=600
            )
        ],
    )


def routes_request() -> routing_pb2.PlanRoutesRequest:
    """A depot, two stops, a facility, one vehicle with a break: valid."""
    return routing_pb2.PlanRoutesRequest(
        location_ids=["depot", "a", "b", "tip"],
        travel=common_pb2.TravelMatrix(
            durations=[0 if i == j else 100 for i in range(4) for j in range(4)]
        ),
        load_dimensions=["volume_l"],
        vehicles=[
            routing_pb2.Vehicle(
                id="truck-1",
                start_location_id="depot",
                end_location_id="depot",
                shift=common_pb2.TimeWindow(start=0, end=28800),
                capacities=[1000],
                breaks=[
                    routing_pb2.Break(
                        id="meal",
                        start_window=common_pb2.TimeWindow(start=100, end=200),
                        duration=60,
                    )
                ],
            )
        ],
        stops=[
            routing_pb2.Stop(id="s-a", location_id="a", demands=[10], service_duration=60),
            routing_pb2.Stop(
                id="s-b",
                location_id="b",
                time_windows=[common_pb2.TimeWindow(start=0, end=3600)],
                allowed_vehicle_ids=["truck-1"],
            ),
        ],
        facilities=[routing_pb2.Facility(id="tip", location_id="tip", unload_duration=300)],
    )


def paths(call, request) -> list[str]:
    """The field paths a validator reports (fails the test if it accepts the request)."""
    with pytest.raises(InvalidProblemError) as info:
        call(request)
    return [p.path for p in info.value.problems]


# -- the valid baselines --------------------------------------------------------------------------


def test_baselines_are_valid():
    """The fixtures below each break exactly one rule of an otherwise valid request."""
    validation.validate_assign_units(assign_request())
    validation.validate_plan_routes(routes_request())


@pytest.mark.parametrize("name", list(EXAMPLES))
def test_bundled_examples_are_valid(name):
    """The examples a new user runs first must pass validation."""
    from dispatch import client

    validation.validate(client.parse_request(EXAMPLES[name], read_text(name)))


# -- AssignUnits ----------------------------------------------------------------


def test_assign_duplicate_unit_id():
    """Ids are unique per kind; the duplicate is reported at its own index."""
    request = assign_request()
    request.units[1].id = "M-12"
    assert paths(validation.validate_assign_units, request) == ["units[1].id"]


def test_assign_empty_incident_id():
    """An empty id cannot be echoed back, so it is rejected."""
    request = assign_request()
    request.incidents[0].id = ""
    assert "incidents[0].id" in paths(validation.validate_assign_units, request)


def test_assign_unit_status_unspecified():
    """Unit.status has no safe default: the caller must say AVAILABLE, EN_ROUTE or BUSY."""
    request = assign_request()
    request.units[0].status = emergency_pb2.Unit.STATUS_UNSPECIFIED
    assert paths(validation.validate_assign_units, request) == ["units[0].status"]


def test_assign_unknown_enum_number():
    """Proto3 enums accept any number on the wire; only defined ones are valid."""
    request = assign_request()
    request.units[0].status = 42
    assert paths(validation.validate_assign_units, request) == ["units[0].status"]


def test_assign_en_route_without_incident():
    """An EN_ROUTE unit must say where it is going."""
    request = assign_request()
    request.units[0].status = emergency_pb2.Unit.EN_ROUTE
    assert paths(validation.validate_assign_units, request) == ["units[0].current_incident_id"]


def test_assign_unknown_current_incident():
    """A committed unit must point at an incident in this request."""
    request = assign_request()
    request.units[0].status = emergency_pb2.Unit.BUSY
    request.units[0].current_incident_id = "inc-404"
    assert paths(validation.validate_assign_units, request) == ["units[0].current_incident_id"]


def test_assign_priority_zero():
    """Priority 1 is the most urgent; 0 is not a priority."""
    request = assign_request()
    request.incidents[1].priority = 0
    assert paths(validation.validate_assign_units, request) == ["incidents[1].priority"]


def test_assign_requirement_count_zero():
    """A requirement of zero units is a caller mistake."""
    request = assign_request()
    request.incidents[0].requirements[0].count = 0
    assert paths(validation.validate_assign_units, request) == [
        "incidents[0].requirements[0].count"
    ]


def test_assign_incident_without_requirements():
    """An incident that needs nothing cannot be dispatched to."""
    request = assign_request()
    del request.incidents[0].requirements[:]
    assert paths(validation.validate_assign_units, request) == ["incidents[0].requirements"]


def test_assign_negative_target():
    """Targets are seconds; negative ones are meaningless."""
    request = assign_request()
    request.incidents[0].response_target_seconds = -1
    assert paths(validation.validate_assign_units, request) == [
        "incidents[0].response_target_seconds"
    ]


def test_assign_matrix_wrong_length():
    """The matrix is units x incidents; a short one is named with the expected size."""
    request = assign_request()
    del request.unit_to_incident.durations[-1]
    problems = paths(validation.validate_assign_units, request)
    assert problems == ["unit_to_incident.durations"]


def test_assign_matrix_both_encodings():
    """Exactly one durations encoding may be set."""
    request = assign_request()
    request.unit_to_incident.durations_bytes = b"\x00" * 16
    assert paths(validation.validate_assign_units, request) == ["unit_to_incident.durations_bytes"]


def test_assign_matrix_bytes_not_multiple_of_four():
    """Little-endian int32 bytes come in fours."""
    request = assign_request()
    del request.unit_to_incident.durations[:]
    request.unit_to_incident.durations_bytes = b"\x00" * 15
    assert paths(validation.validate_assign_units, request) == ["unit_to_incident.durations_bytes"]


def test_assign_matrix_bytes_negative_entry():
    """Negative travel times are rejected in the bytes encoding too."""
    request = assign_request()
    del request.unit_to_incident.durations[:]
    request.unit_to_incident.durations_bytes = (
        (60).to_bytes(4, "little") + (-5).to_bytes(4, "little", signed=True) + b"\x00" * 8
    )
    assert paths(validation.validate_assign_units, request) == ["unit_to_incident.durations_bytes"]


def test_assign_matrix_missing():
    """Without travel times nothing can be assigned."""
    request = assign_request()
    request.ClearField("unit_to_incident")
    assert paths(validation.validate_assign_units, request) == ["unit_to_incident.durations"]


def test_assign_distances_shape_checked():
    """Optional distances must have the durations' shape when present."""
    request = assign_request()
    request.unit_to_incident.distances.extend([1, 2, 3])
    assert paths(validation.validate_assign_units, request) == ["unit_to_incident.distances"]


def test_assign_coverage_needs_district_matrix():
    """Coverage rules are measured with unit_to_district, so it is required with them."""
    request = assign_request()
    request.ClearField("unit_to_district")
    assert paths(validation.validate_assign_units, request) == ["unit_to_district.durations"]


def test_assign_coverage_unknown_district():
    """A rule must name one of district_ids."""
    request = assign_request()
    request.coverage_rules[0].district_id = "atlantis"
    assert paths(validation.validate_assign_units, request) == ["coverage_rules[0].district_id"]


def test_assign_coverage_min_units_zero():
    """A rule asking for zero units is a mistake."""
    request = assign_request()
    request.coverage_rules[0].min_units = 0
    assert paths(validation.validate_assign_units, request) == ["coverage_rules[0].min_units"]


def test_assign_negative_max_travel():
    """max_travel_seconds is 0 (off) or a positive limit."""
    request = assign_request()
    request.max_travel_seconds = -10
    assert paths(validation.validate_assign_units, request) == ["max_travel_seconds"]


def test_assign_empty_capability():
    """An empty capability string can never match a requirement."""
    request = assign_request()
    request.units[0].capabilities.append("")
    assert paths(validation.validate_assign_units, request) == ["units[0].capabilities[1]"]


def test_assign_several_problems_all_reported():
    """Callers fix everything in one round trip."""
    request = assign_request()
    request.units[0].status = 0
    request.incidents[1].priority = -3
    request.coverage_rules[0].min_units = 0
    assert set(paths(validation.validate_assign_units, request)) == {
        "units[0].status",
        "incidents[1].priority",
        "coverage_rules[0].min_units",
    }


def test_problem_descriptions_name_the_id():
    """Messages are one sentence naming the caller's id, as in VROOM."""
    request = assign_request()
    request.units[1].status = 0
    with pytest.raises(InvalidProblemError) as info:
        validation.validate_assign_units(request)
    assert "'P-221'" in info.value.problems[0].description


def test_problems_capped_at_limit():
    """A hopeless request yields at most MAX_PROBLEMS problems, not a flood."""
    request = assign_request()
    for i in range(300):
        request.units.add(id=f"dup-{i % 2}", capabilities=["x"], status=0)
    with pytest.raises(InvalidProblemError) as info:
        validation.validate_assign_units(request)
    assert len(info.value.problems) == MAX_PROBLEMS


def test_assign_too_many_units_is_too_large():
    """Oversized requests are RESOURCE_EXHAUSTED material, not INVALID_ARGUMENT."""
    request = assign_request()
    for i in range(limits.MAX_UNITS):
        request.units.add(id=f"u{i}")
    with pytest.raises(RequestTooLargeError) as info:
        validation.validate_assign_units(request)
    assert info.value.path == "units"


# -- options ----------------------------------------------------------------


def test_time_budget_negative():
    """A negative budget is a caller bug."""
    request = assign_request()
    request.options.time_budget.seconds = -1
    assert paths(validation.validate_assign_units, request) == ["options.time_budget"]


def test_time_budget_over_one_hour():
    """Blocking calls are capped at an hour; longer solves belong in plan jobs."""
    request = routes_request()
    request.options.time_budget.seconds = 3601
    assert paths(validation.validate_plan_routes, request) == ["options.time_budget"]


def test_time_budget_malformed_duration():
    """A Duration whose nanos and seconds disagree in sign is not a duration."""
    request = routes_request()
    request.options.time_budget.seconds = 5
    request.options.time_budget.nanos = -5
    assert paths(validation.validate_plan_routes, request) == ["options.time_budget"]


def test_scipy_is_refused_for_routing():
    """SciPy solves only the assignment: a routing request naming it is told so, not quietly
    solved by another family."""
    request = routes_request()
    request.options.solver = common_pb2.SCIPY
    assert paths(validation.validate_plan_routes, request) == ["options.solver"]


def test_scipy_is_accepted_for_the_assignment():
    """AssignUnits takes SCIPY (the same as AUTO there)."""
    request = assign_request()
    request.options.solver = common_pb2.SCIPY
    validation.validate_assign_units(request)


# -- PlanRoutes ----------------------------------------------------------------


def test_routes_empty_request():
    """No locations, vehicles, stops: each named."""
    assert set(paths(validation.validate_plan_routes, routing_pb2.PlanRoutesRequest())) == {
        "location_ids",
        "vehicles",
        "stops",
    }


def test_routes_duplicate_location_id():
    """Matrix rows are addressed by location id, so ids must be unique."""
    request = routes_request()
    request.location_ids[2] = "a"
    assert "location_ids[2]" in paths(validation.validate_plan_routes, request)


def test_routes_unknown_stop_location():
    """A stop must be at a known location."""
    request = routes_request()
    request.stops[0].location_id = "mars"
    assert paths(validation.validate_plan_routes, request) == ["stops[0].location_id"]


def test_routes_unknown_vehicle_end():
    """Vehicles start and end at known locations."""
    request = routes_request()
    request.vehicles[0].end_location_id = "nowhere"
    assert paths(validation.validate_plan_routes, request) == ["vehicles[0].end_location_id"]


def test_routes_window_end_before_start():
    """A window ending before it starts is named at the window."""
    request = routes_request()
    request.stops[1].time_windows.add(start=500, end=100)
    assert paths(validation.validate_plan_routes, request) == ["stops[1].time_windows[1]"]


def test_routes_negative_window_start():
    """Times are offsets from horizon_start and never negative."""
    request = routes_request()
    request.stops[1].time_windows[0].start = -1
    assert paths(validation.validate_plan_routes, request) == ["stops[1].time_windows[0].start"]


def test_routes_demand_length_mismatch():
    """Demands follow load_dimensions one to one."""
    request = routes_request()
    request.stops[0].demands.append(5)
    assert paths(validation.validate_plan_routes, request) == ["stops[0].demands"]


def test_routes_negative_capacity():
    """Capacities are load units, not negative."""
    request = routes_request()
    request.vehicles[0].capacities[0] = -1
    assert paths(validation.validate_plan_routes, request) == ["vehicles[0].capacities[0]"]


def test_routes_nan_cost():
    """NaN costs would poison every objective comparison."""
    request = routes_request()
    request.vehicles[0].cost_per_hour = math.nan
    assert paths(validation.validate_plan_routes, request) == ["vehicles[0].cost_per_hour"]


def test_routes_infinite_skip_penalty():
    """An infinite penalty is not a number a solver can weigh."""
    request = routes_request()
    request.stops[0].optional = True
    request.stops[0].skip_penalty = math.inf
    assert paths(validation.validate_plan_routes, request) == ["stops[0].skip_penalty"]


def test_routes_unknown_allowed_vehicle():
    """allowed_vehicle_ids refer to vehicles in the request."""
    request = routes_request()
    request.stops[1].allowed_vehicle_ids.append("truck-9")
    assert paths(validation.validate_plan_routes, request) == ["stops[1].allowed_vehicle_ids[1]"]


def test_routes_unknown_vehicle_type():
    """A vehicle type must select one of vehicle_type_matrices (a typo would fall back silently)."""
    request = routes_request()
    request.vehicles[0].vehicle_type = "compactor"
    assert paths(validation.validate_plan_routes, request) == ["vehicles[0].vehicle_type"]


def test_routes_vehicle_type_matrix_shape():
    """Per-type matrices have the default matrix's shape."""
    request = routes_request()
    request.vehicles[0].vehicle_type = "compactor"
    request.vehicle_type_matrices.add(
        vehicle_type="compactor", travel=common_pb2.TravelMatrix(durations=[0])
    )
    assert paths(validation.validate_plan_routes, request) == [
        "vehicle_type_matrices[0].travel.durations"
    ]


def test_routes_cost_per_km_needs_distances():
    """A per-km cost without distances would silently cost nothing."""
    request = routes_request()
    request.vehicles[0].cost_per_km = 1.0
    assert paths(validation.validate_plan_routes, request) == ["vehicles[0].cost_per_km"]


def test_routes_duplicate_break_id():
    """Break ids are unique within their vehicle (plans refer to them)."""
    request = routes_request()
    request.vehicles[0].breaks.add(
        id="meal", start_window=common_pb2.TimeWindow(start=0, end=10), duration=5
    )
    assert paths(validation.validate_plan_routes, request) == ["vehicles[0].breaks[1].id"]


def test_routes_break_without_window():
    """A break needs a start window; an unset one would force it at time 0."""
    request = routes_request()
    request.vehicles[0].breaks[0].ClearField("start_window")
    assert paths(validation.validate_plan_routes, request) == ["vehicles[0].breaks[0].start_window"]


def test_routes_square_matrix_required():
    """The travel matrix is locations x locations."""
    request = routes_request()
    del request.travel.durations[-4:]
    assert paths(validation.validate_plan_routes, request) == ["travel.durations"]


def test_routes_warm_start_unknown_stop():
    """Planned visits refer to stops of the request."""
    request = routes_request()
    request.initial_routes.add(
        vehicle_id="truck-1",
        visits=[routing_pb2.PlannedVisit(kind=routing_pb2.Visit.STOP, id="s-zzz")],
    )
    assert paths(validation.validate_plan_routes, request) == ["initial_routes[0].visits[0].id"]


def test_routes_warm_start_bad_visit_kind():
    """Only STOP, FACILITY and BREAK can be planned; START/END are implicit."""
    request = routes_request()
    request.initial_routes.add(
        vehicle_id="truck-1",
        visits=[routing_pb2.PlannedVisit(kind=routing_pb2.Visit.START, id="truck-1")],
    )
    assert paths(validation.validate_plan_routes, request) == ["initial_routes[0].visits[0].kind"]


def test_routes_too_many_stops_is_too_large():
    """More stops than the limit is RESOURCE_EXHAUSTED."""
    request = routes_request()
    for i in range(limits.MAX_STOPS):
        request.stops.add(id=f"x{i}")
    with pytest.raises(RequestTooLargeError) as info:
        validation.validate_plan_routes(request)
    assert info.value.path == "stops"


# -- EvaluatePlan ----------------------------------------------------------------


def test_evaluate_paths_are_prefixed():
    """Problem fields are reported under ``problem.``; plan fields under ``routes``."""
    problem = routes_request()
    problem.vehicles[0].start_location_id = ""
    request = routing_pb2.EvaluatePlanRequest(
        problem=problem,
        routes=[
            routing_pb2.PlannedRoute(
                vehicle_id="truck-1",
                visits=[routing_pb2.PlannedVisit(kind=routing_pb2.Visit.BREAK, id="nap")],
            )
        ],
    )
    assert paths(validation.validate_evaluate_plan, request) == [
        "problem.vehicles[0].start_location_id",
        "routes[0].visits[0].id",
    ]


def test_evaluate_two_routes_for_one_vehicle():
    """A vehicle drives one route."""
    request = routing_pb2.EvaluatePlanRequest(
        problem=routes_request(),
        routes=[routing_pb2.PlannedRoute(vehicle_id="truck-1")] * 2,
    )
    assert paths(validation.validate_evaluate_plan, request) == ["routes[1].vehicle_id"]


def test_evaluate_valid_plan_passes():
    """A plan naming known stops, facilities and the vehicle's own break is valid."""
    visits = [
        routing_pb2.PlannedVisit(kind=routing_pb2.Visit.STOP, id="s-a"),
        routing_pb2.PlannedVisit(kind=routing_pb2.Visit.BREAK, id="meal"),
        routing_pb2.PlannedVisit(kind=routing_pb2.Visit.FACILITY, id="tip"),
    ]
    validation.validate_evaluate_plan(
        routing_pb2.EvaluatePlanRequest(
            problem=routes_request(),
            routes=[routing_pb2.PlannedRoute(vehicle_id="truck-1", visits=visits)],
        )
    )


# -- jobs ----------------------------------------------------------------


def test_create_job_paths_under_request():
    """CreatePlanJob reports the wrapped request's fields under ``request.``."""
    inner = routes_request()
    inner.stops[0].location_id = "mars"
    request = jobs_pb2.CreatePlanJobRequest(request=inner)
    assert paths(validation.validate_create_plan_job, request) == ["request.stops[0].location_id"]


def test_create_job_oversized_path_under_request():
    """Size limits name the wrapped field too."""
    inner = routes_request()
    for i in range(limits.MAX_VEHICLES):
        inner.vehicles.add(id=f"v{i}")
    with pytest.raises(RequestTooLargeError) as info:
        validation.validate_create_plan_job(jobs_pb2.CreatePlanJobRequest(request=inner))
    assert info.value.path == "request.vehicles"


def test_job_id_required():
    """Get/Watch/Cancel need a job id."""
    assert paths(validation.validate_job_ref, jobs_pb2.GetPlanJobRequest()) == ["job_id"]


def test_list_page_size_bounds():
    """page_size is 0 (default) to 500."""
    assert paths(
        validation.validate_list_plan_jobs, jobs_pb2.ListPlanJobsRequest(page_size=-1)
    ) == ["page_size"]
    validation.validate_list_plan_jobs(jobs_pb2.ListPlanJobsRequest(page_size=500))


def test_list_state_unspecified():
    """Filtering on STATE_UNSPECIFIED matches nothing and is a mistake."""
    request = jobs_pb2.ListPlanJobsRequest(states=[jobs_pb2.PlanJob.QUEUED, 0])
    assert paths(validation.validate_list_plan_jobs, request) == ["states[1]"]


def test_missing_wrapped_message_is_named_without_dot():
    """An absent problem/request is reported at ``problem``/``request`` itself."""
    assert paths(validation.validate_evaluate_plan, routing_pb2.EvaluatePlanRequest()) == [
        "problem"
    ]
    assert paths(validation.validate_create_plan_job, jobs_pb2.CreatePlanJobRequest()) == [
        "request"
    ]
