"""OR-Tools and the MILP agree: on small instances the proven MILP optimum is never worse than
OR-Tools' plan, and both plans pass the independent checker (through the portfolio entry)."""

from __future__ import annotations

import numpy as np
import pytest

from solvers.budget import Deadline
from solvers.routing.checker import evaluate
from solvers.routing.problem import Facility, RoutingProblem, Stop, TimeWindow, Vehicle
from solvers.routing.solve import RoutingOptions, solve
from solvers.status import SolverFamily, Status


def city(seed: int, n_stops: int, facilities: bool) -> RoutingProblem:
    """A random small city: depot 0, stops with windows, two vehicles, optional work."""
    rng = np.random.default_rng(seed)
    n = n_stops + 2
    xy = rng.integers(0, 600, size=(n, 2))
    durations = np.rint(np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1)))
    durations = durations.astype(np.int64)
    stops = []
    for i in range(n_stops):
        start = int(rng.integers(0, 2000))
        stops.append(
            Stop(
                f"s{i}",
                i + 1,
                demands=(int(rng.integers(1, 4)),),
                service_duration=60,
                time_windows=(TimeWindow(start, start + 1500),),
                optional=bool(i % 4 == 3),
                skip_penalty=800.0,
            )
        )
    vehicles = tuple(
        Vehicle(
            f"v{k}",
            0,
            0,
            TimeWindow(0, 6000),
            capacities=(6,),
            fixed_cost=200.0,
            cost_per_hour=60.0,
            cost_per_km=0.5,
        )
        for k in range(2)
    )
    return RoutingProblem(
        location_ids=tuple(f"L{i}" for i in range(n)),
        durations=(durations,),
        distances=(durations * 10,),
        vehicles=vehicles,
        stops=tuple(stops),
        facilities=(Facility("dump", n - 1, None, 120),) if facilities else (),
        dimensions=("kg",),
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("seed", "n_stops", "facilities"), [(1, 6, False), (2, 7, False), (3, 6, True)]
)
def test_milp_optimum_is_never_worse_than_ortools(seed, n_stops, facilities):
    """Both engines through solvers.routing.solve; MILP proves optimality and is <= OR-Tools."""
    p = city(seed, n_stops, facilities)
    milp_plan, milp_report = solve(p, Deadline.after(30), RoutingOptions(SolverFamily.MILP))
    ort_plan, ort_report = solve(p, Deadline.after(3), RoutingOptions(SolverFamily.ORTOOLS))
    assert milp_report.family is SolverFamily.MILP
    assert milp_report.status is Status.OPTIMAL
    assert ort_report.family is SolverFamily.ORTOOLS
    assert evaluate(p, milp_plan).feasible and evaluate(p, ort_plan).feasible
    assert milp_report.objective <= ort_report.objective + 1e-6
