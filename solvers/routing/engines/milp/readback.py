"""From the solved model back to the contract: the plan, and what may be claimed about it."""

from __future__ import annotations

import math
from dataclasses import dataclass

import pulp

from solvers.errors import SolverFailedError
from solvers.routing.engines.milp.backends import GAP_TOLERANCE
from solvers.routing.engines.milp.formulation import Formulation
from solvers.routing.engines.milp.graph import END, START, Endpoint
from solvers.routing.feasibility import explain
from solvers.routing.plan import PlannedVisit, RoutePlan, RoutingPlan, SkipReason, VisitKind
from solvers.status import Status


@dataclass(frozen=True)
class Reading:
    """The plan read from the arc values.

    With a mandatory stop skipped the objective carries the mandatory weight, so the model's
    figures are no longer in cost units (``lexicographic``), as with vehicles minimised first.
    """

    plan: RoutingPlan
    lexicographic: bool


def read_plan(m: Formulation) -> Reading:
    """Routes from the arc values; skipped stops with their reasons."""
    p, nodes = m.problem, m.graph.nodes
    successor: dict[tuple[Endpoint, int], Endpoint] = {}
    for (i, j, k), var in m.x.items():
        if var.value() is not None and var.value() > 0.5:
            successor[i, k] = j
    routes = []
    served: set[int] = set()
    for k in m.graph.vehicles:
        current = successor.get((START, k))
        visits: list[PlannedVisit] = []
        steps = 0
        while current is not None and current != END:
            node = nodes[current]  # type: ignore[index]
            if node.is_stop:
                visits.append(PlannedVisit(VisitKind.STOP, node.stop))
                served.add(node.stop)
            else:
                visits.append(PlannedVisit(VisitKind.FACILITY, node.facility))
            current = successor.get((current, k))
            steps += 1
            if steps > len(nodes):
                raise SolverFailedError("milp: solution has a cycle")
        if visits:
            departure = math.floor((m.dep[k].value() or 0.0) + 1e-6)
            departure = max(departure, p.vehicles[k].shift.start)
            routes.append(RoutePlan(k, tuple(visits), departure=departure))
    skipped: dict[int, SkipReason] = {
        i: explain(p, i) for i in range(len(p.stops)) if i not in served
    }
    mandatory_skipped = any(not p.stops[i].optional for i in skipped)
    return Reading(
        RoutingPlan(tuple(routes), skipped=skipped),
        lexicographic=m.vehicle_weight > 0 or mandatory_skipped,
    )


def model_cost(m: Formulation, reading: Reading) -> float | None:
    """The model's objective in the contract's cost units (None when weights are active)."""
    if reading.lexicographic:
        return None
    value = pulp.value(m.lp.objective)
    return None if value is None else float(value) + m.constant


def status_and_bound(m: Formulation, engine: str, reading: Reading) -> tuple[Status, float | None]:
    """OPTIMAL only on a proven optimum within GAP_TOLERANCE; a bound in cost units if any."""
    lp = m.lp
    bound: float | None = None
    gap_ok = lp.sol_status == pulp.LpSolutionOptimal
    if engine == "pulp.highs":
        info = lp.solverModel.getInfo()
        gap_ok = gap_ok and (
            info.mip_gap <= GAP_TOLERANCE
            or abs(info.objective_function_value - info.mip_dual_bound) <= 1e-6
        )
        raw = info.mip_dual_bound
        if math.isfinite(raw) and not reading.lexicographic:
            # PuLP does not hand the objective's constant to HiGHS: add it back.
            bound = raw + float(lp.objective.constant) + m.constant
    if lp.status == pulp.LpStatusOptimal and gap_ok:
        return Status.OPTIMAL, None
    return Status.FEASIBLE, bound
