"""Exact MILP fallback for small routing problems, through PuLP (HiGHS when installed, else CBC).

The formulation is written up in ``solvers/routing/MILP.md``. In short: a vehicle-indexed arc
flow (x[i, j, k] = vehicle k drives from i to j) over the stops and a few copies of each disposal
facility (optional nodes that empty the vehicle, so trips are modelled exactly), with
MTZ-style propagation of service start times and loads under big-Ms tightened per arc, binary
window selection for stops with several windows, and departure/arrival times per vehicle so
that route duration (waiting included) is costed exactly as the checker does. Mandatory stops
carry a penalty larger than any plan's cost, so the model is always feasible and serves as many
mandatory stops as it can before minimising cost; those it cannot serve are reported with a
reason, never silently dropped.

Modules: ``graph`` (nodes, eligibility, time bounds, arcs), ``formulation`` with ``timing`` and
``loads`` (the constraint families), ``warm_start`` (the greedy incumbent), ``backends`` (HiGHS,
CBC), ``readback`` (plan, status, bound) and ``engine`` (:class:`MilpEngine`).
"""

from solvers.routing.engines.milp.backends import GAP_TOLERANCE, available_engine
from solvers.routing.engines.milp.engine import BUILD_SECONDS_PER_ARC, MilpEngine
from solvers.routing.engines.milp.graph import MAX_ARCS

__all__ = [
    "BUILD_SECONDS_PER_ARC",
    "GAP_TOLERANCE",
    "MAX_ARCS",
    "MilpEngine",
    "available_engine",
]
