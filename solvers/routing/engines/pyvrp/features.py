"""What the PyVRP engine declines: the one place that says so, with reasons a person can read."""

from __future__ import annotations

from solvers.routing.break_clock import common_breaks
from solvers.routing.engines.pyvrp.profiles import matrix_bytes
from solvers.routing.problem import RoutingProblem
from solvers.routing.soft_windows import has_soft_windows

__all__ = ["MAX_MATRIX_BYTES", "kept_stops", "unsupported_features"]

#: Largest total size of the per-profile matrices (two int64 L x L matrices per routing profile).
#: PyVRP copies them, so the peak is about twice this. A 2000-stop maintenance request with six
#: skill patterns needs ~385 MB and fits; nine or more patterns at that size are declined.
MAX_MATRIX_BYTES = 512 * 2**20


def kept_stops(problem: RoutingProblem, exclude: frozenset[int] = frozenset()) -> list[int]:
    """Stops the model holds: not ruled out by the caller and served by some vehicle's skills.

    A stop no vehicle may serve is left out and reported as NO_VEHICLE_WITH_SKILLS.
    """
    return [i for i in range(len(problem.stops)) if i not in exclude and problem.eligible[i].any()]


def unsupported_features(
    problem: RoutingProblem, exclude: frozenset[int] = frozenset()
) -> list[str]:
    """Features of ``problem`` that PyVRP cannot model (empty list = PyVRP can solve it).

    Modelled (see the package docstring): several windows per stop, skills and allowed
    vehicles, breaks whose start windows all vehicles share (durations may differ), disposal
    trips, shifts, route duration, costs and optional stops. Declined:

    * breaks whose start windows differ between vehicles (one clock cuts every break out);
    * without facilities, a stop limit below the number of stops the vehicle may serve (PyVRP
      has no stop count; with facilities a route over the limit fails in the read-back);
    * skill patterns whose routing profiles would need more than ``MAX_MATRIX_BYTES``;
    * soft time windows (PyVRP 0.14 has hard windows only; lateness would go unpriced).
    """
    found: list[str] = []
    if has_soft_windows(problem):
        found.append("soft time windows (a cost per hour late or early)")
    if common_breaks(problem) is None:
        found.append("driver breaks whose start windows differ between vehicles")
    keep = kept_stops(problem, exclude)
    if not problem.facilities:
        may_serve = problem.eligible[keep].sum(axis=0) if keep else [0] * len(problem.vehicles)
        if any(
            v.max_stops and v.max_stops < int(may_serve[k]) for k, v in enumerate(problem.vehicles)
        ):
            found.append("max stops per vehicle below the stops it may serve (no facilities)")
    size = matrix_bytes(problem, keep)
    if size > MAX_MATRIX_BYTES:
        found.append(
            f"skills or allowed vehicles needing {size / 2**20:.0f} MB of routing-profile "
            f"matrices, over {MAX_MATRIX_BYTES / 2**20:.0f} MB"
        )
    return found
