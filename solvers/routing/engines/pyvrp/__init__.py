"""PyVRP as a second routing engine, for the requests its model can express.

Measured (DESIGN.md): on Solomon VRPTW PyVRP 0.14 lands ~5x closer to the optimum than tuned
OR-Tools at equal budgets, so the portfolio runs it beside OR-Tools when the request fits and
keeps the better plan that passes the checker. How each feature reaches PyVRP
(``solvers/routing/FORMULATION.md``, "How city features reach each engine"):

Exact
  * Several windows per stop: the windows are merged into disjoint spans and the stop becomes one
    client per span, all in one mutually exclusive client group (required when the stop is;
    optional otherwise, every copy with the stop's penalty as prize: one served copy collects
    it once). The served copy is read back as the stop (``data._clients``).
  * Skills and allowed vehicles: one routing profile per (travel matrix, eligibility pattern) of
    the vehicles, arcs into stops outside the pattern forbidden (``profiles``). A stop no
    vehicle may serve is left out as NO_VEHICLE_WITH_SKILLS.
  * Shifts, max route duration, fixed costs, cost per hour and per km, optional stops with
    penalties, capacities; with no rate at all, driving time at one unit per hour breaks ties,
    as in the OR-Tools model (``data``). With breaks, shifts and windows are on the clock and
    the duration limit loses the cut-out seconds (conservative).
Relaxed, and every route repaired against the checker (``readback``)
  * Driver breaks (with or without facilities): cut out of one clock at the middle of their
    start windows; vehicles must share the start windows, and where durations differ the
    longest is cut (``solvers.routing.break_clock`` explains why that is safe). The breaks are
    placed after the search where the checker accepts them.
  * Disposal trips: facilities are reload depots; the last unload, the daily load and stops per
    vehicle as ``solvers.routing.multitrip`` describes (Kim waste at 55 s: 804_stop 5 trucks /
    571.8 miles and 1932_stop 15 / 1055.5, against 5 / 634 and 16 / 1216 from OR-Tools).
Declined (:func:`unsupported_features`, the one place that says so)
  * breaks whose start windows differ between vehicles; without facilities, a stop limit below
    what the vehicle may serve; profiles needing more than ``MAX_MATRIX_BYTES`` of matrices.

A plan that cannot be finished (no place for a break, a route over its stop limit) makes the
engine fail (SolverFailedError): the portfolio keeps the other engine's plan.
"""

from __future__ import annotations

from solvers.routing.engines.pyvrp.engine import DETERMINISTIC_ITERATIONS, PyvrpEngine
from solvers.routing.engines.pyvrp.features import MAX_MATRIX_BYTES, unsupported_features

__all__ = [
    "DETERMINISTIC_ITERATIONS",
    "MAX_MATRIX_BYTES",
    "PyvrpEngine",
    "unsupported_features",
]
