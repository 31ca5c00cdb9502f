"""Re-planning in the OR-Tools model: load on board, frozen prefixes, churn cost.

* Load on board: the per-trip load dimensions start at it (``CumulVar(Start(v))``).
* Frozen prefix (KEEP_SEQUENCE locks, ``solvers.routing.locks``): fixed successors,
  ``NextVar(Start(v)) == first``, ``NextVar(first) == second``, ...; no stop and no facility
  copy can come between, as the checker's rule says; breaks are intervals and may. Vehicle
  locks are the stops' allowed vehicles and need nothing here.
* Stops moved: a count dimension per vehicle (1 at a stop whose reference vehicle is another)
  with a span cost of ``per_stop_moved``.
* ETA shift: soft bounds on the time cumul (the start of service) at reference start
  +- tolerance, ``per_minute_eta_shift / 60`` per second outside.
"""

from __future__ import annotations

import itertools

from ortools.constraint_solver import pywrapcp

from solvers.routing.engines.ortools.layout import Layout
from solvers.routing.problem import RoutingProblem

__all__ = ["add_replanning", "churn_bound"]


def add_replanning(
    problem: RoutingProblem,
    nodes: Layout,
    manager: pywrapcp.RoutingIndexManager,
    routing: pywrapcp.RoutingModel,
    time_dim: pywrapcp.RoutingDimension,
    cost_scale: int,
) -> None:
    """Add load on board, frozen prefixes and churn costs; nothing for a plan from scratch."""
    _loads_on_board(problem, routing)
    replan = problem.replan
    if replan is None:
        return
    solver = routing.solver()
    for v in range(len(problem.vehicles)):
        chain = [routing.Start(v)] + [
            manager.NodeToIndex(nodes.stop_node[i])
            for i in replan.prefix(v)
            if i in nodes.stop_node
        ]
        for a, b in itertools.pairwise(chain):
            solver.Add(routing.NextVar(a) == b)
    churn = replan.churn
    if churn.per_stop_moved > 0 and replan.reference_vehicle:
        _moved_cost(problem, nodes, routing, round(churn.per_stop_moved * cost_scale))
    per_second = round(churn.per_minute_eta_shift * cost_scale / 60)
    if per_second > 0:
        for i, start in replan.reference_start.items():
            node = nodes.stop_node.get(i)
            if node is None:
                continue
            index = manager.NodeToIndex(node)
            # One soft bound per side and cumul: a soft time window's keeps its own (the
            # checker still prices both; see FORMULATION.md, re-planning).
            if not time_dim.HasCumulVarSoftUpperBound(index):
                time_dim.SetCumulVarSoftUpperBound(index, start + churn.eta_tolerance, per_second)
            if not time_dim.HasCumulVarSoftLowerBound(index):
                time_dim.SetCumulVarSoftLowerBound(
                    index, max(0, start - churn.eta_tolerance), per_second
                )


def churn_bound(problem: RoutingProblem, horizon: int, cost_scale: int) -> int:
    """An upper bound on the churn cost of any plan, in model units (for the mandatory-stop
    penalty, which must stay above every cost a skipped stop could save)."""
    replan = problem.replan
    if replan is None:
        return 0
    churn = replan.churn
    moved = round(churn.per_stop_moved * cost_scale) * len(replan.reference_vehicle)
    shift = round(churn.per_minute_eta_shift * cost_scale / 60) * horizon
    return moved + shift * len(replan.reference_start)


def _loads_on_board(problem: RoutingProblem, routing: pywrapcp.RoutingModel) -> None:
    if not any(any(v.initial_load) for v in problem.vehicles):
        return
    # HasDimension takes no Python str in OR-Tools 9.15 (SWIG absl::string_view).
    names = set(routing.GetAllDimensionNames())
    for d in range(problem.n_dims):
        name = f"load{d}"
        if name not in names:
            continue  # no trip capacity in this dimension: nothing to fill
        dim = routing.GetDimensionOrDie(name)
        for v, vehicle in enumerate(problem.vehicles):
            load = vehicle.initial_load[d] if d < len(vehicle.initial_load) else 0
            dim.CumulVar(routing.Start(v)).SetValue(int(load))


def _moved_cost(
    problem: RoutingProblem, nodes: Layout, routing: pywrapcp.RoutingModel, coefficient: int
) -> None:
    """Count per vehicle the stops whose reference vehicle is another; price the count."""
    reference = problem.replan.reference_vehicle  # type: ignore[union-attr]
    evaluators = []
    for v in range(len(problem.vehicles)):
        moved = [0] * len(nodes.node_location)
        for node, i in nodes.node_stop.items():
            owner = reference.get(i)
            if owner is not None and owner != v:
                moved[node] = 1
        evaluators.append(routing.RegisterUnaryTransitVector(moved))
    limit = len(nodes.node_stop) + 1
    routing.AddDimensionWithVehicleTransitAndCapacity(
        evaluators, 0, [limit] * len(problem.vehicles), True, "churn_moved"
    )
    dim = routing.GetDimensionOrDie("churn_moved")
    for v in range(len(problem.vehicles)):
        dim.SetSpanCostCoefficientForVehicle(coefficient, v)
