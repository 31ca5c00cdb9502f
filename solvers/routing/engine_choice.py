"""Which routing engines a request gets, in what order, and with what settings.

The portfolio (``portfolio.py``) runs what this module chooses: the engine of a family, the
fallback order, the seconds kept back for checking, the OR-Tools settings for the second core
and whether PyVRP models the request well enough to take it.
"""

from __future__ import annotations

from solvers.budget import Deadline
from solvers.errors import SolverFailedError
from solvers.routing import multitrip
from solvers.routing.engine import Engine
from solvers.routing.engines.construct import ConstructEngine
from solvers.routing.engines.ortools import CONSTRUCT_ONLY_ABOVE, OrtoolsEngine
from solvers.routing.engines.pyvrp import PyvrpEngine
from solvers.routing.locks import declined_features
from solvers.routing.plan import SkipReason
from solvers.routing.problem import RoutingProblem
from solvers.routing.reference_start import has_reference
from solvers.status import SolverFamily

#: Facility problems up to this many stops get OR-Tools' insertion start on the second core
#: (see ortools_companion); measured on the Kim instances between 200 and 800 stops.
INSERTION_COMPANION_UP_TO = 500

#: PyVRP takes the second core for disposal-trip problems only when its limits on trips keep at
#: least this share of the daily and the trip capacity (multitrip.load_kept). Kim: 277, 444,
#: 804, 1051, 1351, 1599, 1932 and 2100 keep 92-100 %. The two below rest the boundary: 335
#: keeps 82 % and PyVRP alone reached 183.4 miles at 57 s against 186.8 from the OR-Tools
#: portfolio; 102 keeps 71 % and PyVRP reached 153.1 against OR-Tools' 150.6.
PYVRP_TRIPS_MIN_LOAD_KEPT = 0.8

_EAGER: dict[SolverFamily, type] = {
    SolverFamily.ORTOOLS: OrtoolsEngine,
    SolverFamily.PYVRP: PyvrpEngine,
    SolverFamily.GREEDY: ConstructEngine,
}


def engine_for(family: SolverFamily) -> Engine:
    """The engine of a family.

    OR-Tools, PyVRP's model and the construction are imported with this module, so a routing
    worker pays for them once at start-up and not inside a request's deadline (importing
    OR-Tools under load took seconds). The MILP fallback imports PuLP only when it is reached.
    """
    if family is SolverFamily.MILP:
        from solvers.routing.engines.milp import MilpEngine

        return MilpEngine()
    engine = _EAGER.get(family)
    if engine is None:
        raise SolverFailedError(f"{family.value.lower()}: not a routing engine")
    return engine()


def engine_order(choice: SolverFamily) -> list[SolverFamily]:
    """Engines to try in order; the constructive heuristic is always the last resort."""
    if choice is SolverFamily.MILP:
        return [SolverFamily.MILP, SolverFamily.ORTOOLS, SolverFamily.GREEDY]
    if choice is SolverFamily.PYVRP:
        return [SolverFamily.PYVRP, SolverFamily.ORTOOLS, SolverFamily.MILP, SolverFamily.GREEDY]
    if choice is SolverFamily.GREEDY:
        return [SolverFamily.GREEDY, SolverFamily.ORTOOLS]
    return [SolverFamily.ORTOOLS, SolverFamily.MILP, SolverFamily.GREEDY]


def reserve_seconds(deadline: Deadline, problem: RoutingProblem) -> float:
    """Seconds kept back for reading the plans, checking them and building the answer.

    Measured: the checker takes ~15 ms on 1000 stops and ~25 ms on 2100 (two candidates are
    checked), reading a plan back a few ms more; 0.1 s plus 0.2 ms per stop covers that with a
    wide margin. Every tenth of a second kept back is search time lost at a 10 s budget.
    """
    return min(0.1 * deadline.remaining(), 0.1 + 0.0002 * len(problem.stops))


def ortools_companion(problem: RoutingProblem, excluded: dict[int, SkipReason]) -> dict:
    """OR-Tools settings for the search on the other core.

    It differs from the worker's search, so the better of the two is worth a core; the worker's
    own search is always the default one, so a companion that fails costs nothing. Without
    facilities: iterated local search here, guided local search there. With facilities and up
    to ``CONSTRUCT_ONLY_ABOVE`` stops: here the default 60/40 split between the insertion start
    and the constructed multi-trip start, there the constructed start for the whole budget.
    Up to ``INSERTION_COMPANION_UP_TO`` stops the other core searches from OR-Tools' insertion
    start with iterated local search (Kim at 30 s: 335_stop 187.4 miles against 193.6 from the
    constructed start; 277 and 444 better from the constructed start; at 804 insertion needs a
    sixth truck and at 1932 it leaves 578 stops out, so it would lose every time above). Above
    it both search from the constructed start, with guided local search penalties of different
    strength. A re-plan: this core searches from the reference plan, the other from scratch.
    """
    if has_reference(problem):
        return {"reference_start": False}
    if not problem.facilities:
        return {"metaheuristic": "gls"}
    n_stops = len(problem.stops) - len(excluded)
    if n_stops <= CONSTRUCT_ONLY_ABOVE:
        return {"start": "construct"}
    if n_stops <= INSERTION_COMPANION_UP_TO:
        return {"start": "insertion"}
    return {"gls_lambda": 0.1}


def pyvrp_declines(problem: RoutingProblem, exclude: frozenset[int]) -> list[str]:
    """Why PyVRP does not take the request (empty: it models it well enough to be worth a core)."""
    reasons = declined_features(SolverFamily.PYVRP, problem)
    reasons += engine_for(SolverFamily.PYVRP).unsupported(problem, exclude)
    if reasons or not problem.facilities:
        return reasons
    kept = multitrip.load_kept(problem)
    if kept < PYVRP_TRIPS_MIN_LOAD_KEPT:
        return [f"these disposal trips: its trip limits keep only {kept:.0%} of the capacity"]
    return []
