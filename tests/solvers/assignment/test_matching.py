"""The flows solved as sparse linear assignments (matching.py) are exactly as optimal as
OR-Tools' min-cost flow: on the whole network, on optimal faces (bounds on every kind of arc)
and with arcs left out by pricing; and costs too large for exact float arithmetic go to
OR-Tools."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from assignment_cases import brute_force, problems
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lifecycle_cases import lifecycle_problems

from benchmarks.assign.scenarios import city_problem
from solvers.assignment import AssignmentProblem, UnitStatus, check_plan, matching
from solvers.assignment.arcs import build_arcs
from solvers.assignment.flow import MIN_COST_FLOW, solve_flow
from solvers.assignment.network import Network, build_network, solve_network
from solvers.errors import SolverFailedError

_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _cost(network_flow: np.ndarray, network: Network, arc_cost: np.ndarray) -> int:
    """What a flow costs under ``arc_cost``."""
    return int((network.full_cost(arc_cost) * network_flow).sum())


@pytest.mark.parametrize("graphs", ["slot graph first", "square graph only"])
@_SETTINGS
@given(problems(crowded=True), st.data())
def test_any_cost_on_the_whole_network_matches_the_min_cost_flow(
    graphs: str, problem: AssignmentProblem, data: st.DataObject
) -> None:
    """Random integer costs of either sign (ties included): the matching's flow is feasible
    (within every bound, forced units placed) and costs what OR-Tools' optimal flow costs,
    as the service solves it (the slot graph, the square one when it cannot decide) and on the
    square graph alone."""
    arcs = build_arcs(problem)
    network = build_network(problem, arcs)
    values = st.integers(min_value=-50, max_value=50)
    arc_cost = np.array(
        data.draw(st.lists(values, min_size=arcs.n_arcs, max_size=arcs.n_arcs)), dtype=np.int64
    )
    with pytest.MonkeyPatch.context() as patch:
        if graphs == "square graph only":
            patch.setattr(matching, "_match_slots", lambda *args: None)
        flow = matching.solve(network, arc_cost)
    assert flow is not None
    assert np.all(flow >= network.lower) and np.all(flow <= network.upper)
    assert flow[network.unit_arcs][network.forced_node[network.arc_unit_node]].sum() == int(
        network.forced_node.sum()
    )
    assert _cost(flow, network, arc_cost) == _cost(
        solve_network(network, arc_cost), network, arc_cost
    )


@_SETTINGS
@given(lifecycle_problems(tight=True, crowded=True, coverage=False), st.data())
def test_every_level_on_its_own_face_matches_the_min_cost_flow(
    problem: AssignmentProblem, data: st.DataObject
) -> None:
    """One level per flow, each on the optimal face of the ones before (lower and upper bounds
    on unit, group, source and bypass arcs), with arcs left out by pricing: the same tuple of
    levels as OR-Tools, every flow solved as a matching."""
    arcs = build_arcs(problem)
    mask = [data.draw(st.sampled_from([True, True, False])) for _ in range(arcs.n_arcs)]
    out = np.flatnonzero(~np.array(mask, dtype=bool))
    pack = data.draw(st.sampled_from([None, 1]))
    matched = solve_flow(problem, arcs, max_pack=pack, left_out=out, use_matching=True)
    flows = solve_flow(problem, arcs, max_pack=pack, left_out=out)
    assert check_plan(problem, matched.plan).key() == check_plan(problem, flows.plan).key()
    assert matched.engines == {matching.ENGINE}
    assert flows.engines == {MIN_COST_FLOW}


@_SETTINGS
@given(problems(coverage=False, crowded=True))
def test_the_matched_flows_reach_the_brute_force_optimum(problem: AssignmentProblem) -> None:
    """Against an enumeration of every plan, not another flow solver."""
    result = solve_flow(problem, build_arcs(problem), use_matching=True)
    assert check_plan(problem, result.plan).key() == brute_force(problem).key()


def test_costs_too_large_for_exact_floats_are_left_to_ortools() -> None:
    """A cost whose doubled magnitude times the rows passes 2**49 would not be exact in float64:
    the matching declines (None) and the caller solves that flow with OR-Tools."""
    rows = 100
    assert matching.fits(2**40, rows)
    assert not matching.fits(2**43, rows)


def test_a_request_with_huge_numbers_mixes_both_engines_and_keeps_the_optimum() -> None:
    """Priorities up to 1000 and travel times near 2**31 s make the response level's costs too
    large for the matching at 400 units: that flow goes to OR-Tools, the others stay
    matchings, and the plan scores what OR-Tools alone reaches."""
    problem = city_problem(30, 400, seed=3)
    problem = replace(
        problem,
        travel=problem.travel * 400_000,
        priorities=np.where(problem.priorities == 5, 1000, problem.priorities),
    )
    arcs = build_arcs(problem)
    mixed = solve_flow(problem, arcs, use_matching=True)
    alone = solve_flow(problem, arcs)
    assert mixed.engines == {matching.ENGINE, MIN_COST_FLOW}
    assert check_plan(problem, mixed.plan).key() == check_plan(problem, alone.plan).key()


def _bounded(problem: AssignmentProblem, arc: int, value: int) -> tuple[Network, np.ndarray]:
    """The whole network of ``problem`` with arc ``arc`` fixed at ``value``, and costs that
    make every unit prefer to stay home (so only the bound can send one out)."""
    arcs = build_arcs(problem)
    network = build_network(problem, arcs)
    lower, upper = network.lower.copy(), network.upper.copy()
    lower[arc] = upper[arc] = value
    return replace(network, lower=lower, upper=upper), np.arange(1, arcs.n_arcs + 1) * 7


def test_a_source_arc_fixed_at_one_sends_its_unit_out() -> None:
    """A face may fix a unit's source arc at 1 (it must work, at any of its slots): with every
    unit cheaper at home, the matching still sends that unit, at OR-Tools' cost."""
    network, cost = _bounded(city_problem(3, 12, seed=2), 0, 1)
    flow = matching.solve(network, cost)
    assert flow is not None and flow[0] == 1
    assert _cost(flow, network, cost) == _cost(solve_network(network, cost), network, cost)


def test_a_bypass_fixed_at_zero_sends_every_free_unit_out() -> None:
    """A bypass fixed at 0 (every free unit must work) is honoured, at OR-Tools' cost."""
    problem = city_problem(6, 8, seed=2)
    network = build_network(problem, build_arcs(problem))
    network, cost = _bounded(problem, len(network.tail) - 1, 0)
    flow = matching.solve(network, cost)
    assert flow is not None and flow[-1] == 0
    assert _cost(flow, network, cost) == _cost(solve_network(network, cost), network, cost)


def test_a_failed_matching_leaves_that_flow_to_ortools(monkeypatch) -> None:
    """Should a matching ever fail (it raises SolverFailedError, as on a bound it breaks),
    that flow is solved by OR-Tools instead of failing the whole exact step; both engines are
    named and the optimum is unchanged. (The failure is raised by our own module here: no
    real network makes LAPJVsp and OR-Tools disagree on feasibility.)"""
    problem = city_problem(50, 300, seed=1)  # two flows as matchings (churn needs its own)
    arcs = build_arcs(problem)
    expected = check_plan(problem, solve_flow(problem, arcs).plan).key()
    real = matching.solve
    calls = []

    def first_fails(network: Network, arc_cost: np.ndarray) -> np.ndarray | None:
        calls.append(1)
        if len(calls) == 1:
            raise SolverFailedError("scipy.lapjvsp: the matching breaks a bound of the network")
        return real(network, arc_cost)

    monkeypatch.setattr(matching, "solve", first_fails)
    result = solve_flow(problem, arcs, use_matching=True)
    assert result.engines == {MIN_COST_FLOW, matching.ENGINE}
    assert check_plan(problem, result.plan).key() == expected


def _spy_on_the_square_graph(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """A list that grows by one each time the square graph is solved (the real one)."""
    calls: list[int] = []
    real = matching._match_square

    def counted(*args: object) -> np.ndarray:
        calls.append(1)
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(matching, "_match_square", counted)
    return calls


def test_a_unit_that_must_work_left_idle_by_the_slot_graph_is_placed_by_the_square_graph(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """u0 is on the scene of the P1 call (it must stay there, its one slot); u1 is en route to
    the P2 call and may be re-routed to the P1 call, where it is far cheaper. The slot graph's
    bonus does not cover that chain (u1 into u0's slot, u0 idle), so its optimum leaves u0 out:
    the square graph is solved instead and returns the only feasible flow, at OR-Tools' cost."""
    problem = AssignmentProblem(
        unit_ids=("u0", "u1"),
        incident_ids=("p1", "p2"),
        capabilities=("ambulance",),
        unit_capabilities=np.ones((2, 1), dtype=bool),
        status=np.array([UnitStatus.BUSY, UnitStatus.EN_ROUTE], dtype=np.int64),
        commitment=np.array([0, 1], dtype=np.int64),
        priorities=np.array([1, 2], dtype=np.int64),
        targets=np.zeros(2, dtype=np.int64),
        requirements=np.array([[1], [1]], dtype=np.int64),
        travel=np.array([[60, 90], [30, 120]], dtype=np.int64),
        allow_reassignment=True,
    )
    arcs = build_arcs(problem)
    network = build_network(problem, arcs)
    cost = np.where(arcs.moved == 1, -10, 10).astype(np.int64)
    squares = _spy_on_the_square_graph(monkeypatch)
    flow = matching.solve(network, cost)
    assert squares == [1]
    assert flow is not None
    assert network.units[network.arc_unit_node[flow[network.unit_arcs] == 1]].tolist() == [0, 1]
    assert _cost(flow, network, cost) == 20
    assert _cost(flow, network, cost) == _cost(solve_network(network, cost), network, cost)


def test_the_slot_graph_decides_every_flow_of_a_city(monkeypatch: pytest.MonkeyPatch) -> None:
    """On the latency benchmark's 50 x 300 city (14 units that must work) no flow needs the
    square graph, and the plan scores what OR-Tools alone reaches."""
    problem = city_problem(50, 300, seed=3)
    arcs = build_arcs(problem)
    squares = _spy_on_the_square_graph(monkeypatch)
    matched = solve_flow(problem, arcs, use_matching=True)
    assert matched.engines == {matching.ENGINE}
    assert squares == []
    alone = solve_flow(problem, arcs)
    assert check_plan(problem, matched.plan).key() == check_plan(problem, alone.plan).key()
