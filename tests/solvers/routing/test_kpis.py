"""Headline KPIs computed from the checker's evaluation (shared by PlanRoutes and EvaluatePlan)."""

from __future__ import annotations

import pytest
from checker_cases import plan, problem, route, stop, vehicle

from solvers.routing.checker import evaluate
from solvers.routing.kpis import kpis
from solvers.routing.problem import Facility, TimeWindow


def test_utilisation_is_service_over_shift_of_used_vehicles():
    """30 s of service in a 1000 s shift; the idle second vehicle does not dilute it."""
    p = problem(
        (stop("a", 1, service_duration=30),),
        vehicles=(
            vehicle("v1", shift=TimeWindow(0, 1000)),
            vehicle("v2", shift=TimeWindow(0, 1000)),
        ),
    )
    k = kpis(p, evaluate(p, plan(route(0, ("S", 0)))))
    assert k.vehicles_used == 1
    assert k.utilisation == pytest.approx(0.03)


def test_on_time_share_counts_stop_visits_inside_a_window():
    """One of two stops is served late: half the service is on time."""
    p = problem((stop("a", 1), stop("b", 5, time_windows=(TimeWindow(0, 20),))))
    k = kpis(p, evaluate(p, plan(route(0, ("S", 0), ("S", 1), departure=0))))
    assert k.on_time_share == pytest.approx(0.5)
    assert (k.stops_served, k.stops_skipped) == (2, 0)


def test_totals_add_up_over_routes():
    """Travel, idle time and cost are sums over routes; the cost is the plan's total."""
    p = problem(
        (
            stop("a", 2, time_windows=(TimeWindow(100, 200),)),
            stop("b", 3),
            stop("c", 4, optional=True, skip_penalty=9.0),
        ),
        vehicles=(vehicle("v1", cost_per_hour=3600.0), vehicle("v2")),
    )
    e = evaluate(p, plan(route(0, ("S", 0), departure=0), route(1, ("S", 1))))
    k = kpis(p, e)
    assert k.travel_seconds == 40 + 60
    assert k.idle_seconds == 80
    assert k.total_cost == pytest.approx(e.cost) == pytest.approx(120.0 + 9.0)
    assert k.stops_skipped == 1


def test_route_with_only_a_facility_visit_is_not_a_used_vehicle():
    """'Vehicles used' counts vehicles with at least one stop, as the contract defines it."""
    p = problem((stop("a", 1, optional=True),), facilities=(Facility("dump", 2),))
    k = kpis(p, evaluate(p, plan(route(0, ("F", 0)))))
    assert k.vehicles_used == 0
    assert k.utilisation == 0.0
