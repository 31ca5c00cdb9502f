"""Soft time windows in the engines: OR-Tools prices lateness as the checker does and trades it
against another vehicle; PyVRP and the MILP decline; the constructive heuristic serves late.

Line world (checker_cases): location i is i x 10 s from location 0. The case: two crews at 0,
each with a fixed cost of 100. Work order a (location 1) must start by 100 and takes 1000 s;
work order b (location 2) takes 1000 s and should start by 200. One crew doing both must do a
first (the other way a misses its hard window) and reaches b at 1020: 820 s late. Two crews
serve both on time for a second fixed cost of 100.
"""

from __future__ import annotations

import pytest
from checker_cases import problem, stop, vehicle

from solvers.budget import Deadline
from solvers.routing.checker import evaluate
from solvers.routing.engine import EngineOptions
from solvers.routing.engines import ortools
from solvers.routing.engines.construct import ConstructEngine
from solvers.routing.engines.milp import MilpEngine
from solvers.routing.engines.ortools import OrtoolsSettings
from solvers.routing.engines.pyvrp import PyvrpEngine
from solvers.routing.problem import RoutingProblem, TimeWindow
from solvers.routing.solve import RoutingOptions, solve_checked
from solvers.status import SolverFamily

LATE_SECONDS = 820


def _case(late_cost_per_hour: float, crews: int = 2) -> RoutingProblem:
    soft = TimeWindow(0, 200, late_cost_per_hour=late_cost_per_hour, max_lateness=5000)
    return problem(
        (
            stop("a", 1, service_duration=1000, time_windows=(TimeWindow(0, 100),)),
            stop("b", 2, service_duration=1000, time_windows=(soft,)),
        ),
        vehicles=tuple(vehicle(f"crew{k}", fixed_cost=100.0) for k in range(crews)),
    )


def _solve(p: RoutingProblem) -> ortools.OrtoolsResult:
    return ortools.solve(p, Deadline.after(5.0), OrtoolsSettings(deterministic=True))


def test_ortools_breaks_a_soft_window_when_that_is_cheaper_than_a_crew() -> None:
    """At 36/h, 820 s late costs 8.2, less than a second crew's 100: one crew, b late; the
    solver's objective is the checker's cost (same arithmetic)."""
    p = _case(36.0)
    result = _solve(p)
    evaluation = evaluate(p, result.plan)
    assert evaluation.feasible, evaluation.violations
    assert len(evaluation.routes) == 1
    assert evaluation.cost_terms["time_window_cost"] == pytest.approx(36.0 * LATE_SECONDS / 3600)
    assert result.solver_objective == pytest.approx(evaluation.cost)


def test_ortools_adds_a_crew_when_lateness_costs_more() -> None:
    """At 3600/h, 820 s late would cost 820, more than a second crew's 100: two crews, on time."""
    p = _case(3600.0)
    result = _solve(p)
    evaluation = evaluate(p, result.plan)
    assert evaluation.feasible, evaluation.violations
    assert len(evaluation.routes) == 2
    assert evaluation.cost_terms["time_window_cost"] == 0.0
    assert evaluation.cost == pytest.approx(200.0)


def test_ortools_keeps_the_max_lateness_hard() -> None:
    """With one crew and only 500 s of lateness allowed, b cannot be served: it is skipped,
    never served 820 s late."""
    soft = TimeWindow(0, 200, late_cost_per_hour=1.0, max_lateness=500)
    p = problem(
        (
            stop("a", 1, service_duration=1000, time_windows=(TimeWindow(0, 100),)),
            stop("b", 2, service_duration=1000, time_windows=(soft,), optional=True),
        ),
    )
    evaluation = evaluate(p, _solve(p).plan)
    assert evaluation.feasible, evaluation.violations
    assert evaluation.skipped == frozenset({1})


def test_ortools_serves_a_mandatory_stop_late_however_dear_the_lateness() -> None:
    """One crew, lateness at the highest rate (1e6/h, 227 778 for 820 s): a mandatory stop is
    never left out for cost, so b is served late rather than skipped."""
    p = _case(1e6, crews=1)
    evaluation = evaluate(p, _solve(p).plan)
    assert evaluation.feasible, evaluation.violations
    assert evaluation.served == frozenset({0, 1})


def test_pyvrp_and_milp_decline_soft_windows_with_a_reason() -> None:
    """Neither can price lateness; each says so instead of planning against hard windows."""
    p = _case(36.0)
    assert any("soft time windows" in r for r in PyvrpEngine().unsupported(p, frozenset()))
    assert any("soft time windows" in r for r in MilpEngine().unsupported(p, frozenset()))


def test_a_pyvrp_request_with_soft_windows_falls_to_ortools() -> None:
    """Asked for PyVRP, the portfolio answers with OR-Tools and says why."""
    p = _case(36.0)
    options = RoutingOptions(solver=SolverFamily.PYVRP, deterministic=True)
    outcome = solve_checked(p, Deadline.after(10.0), options)
    assert outcome.report.engine == "ortools.routing"
    assert "soft time windows" in outcome.report.fallback_reason
    assert len(outcome.evaluation.routes) == 1


def test_construct_serves_a_stop_late_inside_its_allowance() -> None:
    """With one crew, the constructive heuristic serves b late (priced), not skipped."""
    p = _case(36.0, crews=1)
    result = ConstructEngine().solve(p, Deadline.after(5.0), EngineOptions(deterministic=True))
    evaluation = evaluate(p, result.plan)
    assert evaluation.feasible, evaluation.violations
    assert evaluation.served == frozenset({0, 1})
    assert evaluation.cost_terms["time_window_cost"] == pytest.approx(36.0 * LATE_SECONDS / 3600)


def test_insertion_advice_offers_a_late_place_inside_the_allowance_and_prices_it() -> None:
    """One crew busy with a until 1010; the new stop b can only be reached 820 s late. Its soft
    window allows it: the advice offers that place, says 820 s late, and the cost delta holds
    the lateness price (the checker's route cost with b minus without)."""
    from checker_cases import plan, route

    from solvers.routing.insertion import advise

    p = _case(36.0, crews=1)
    live = plan(route(0, ("S", 0)))
    (advice,) = advise(p, live, [1], Deadline.after(3600.0), 3, False).stops
    (option,) = advice.options
    assert option.lateness == LATE_SECONDS
    with_b = evaluate(p, plan(option.route))
    without = evaluate(p, live)
    assert option.cost_delta == pytest.approx(with_b.routes[0].cost - without.routes[0].cost)
    assert with_b.cost_terms["time_window_cost"] == pytest.approx(36.0 * LATE_SECONDS / 3600)
