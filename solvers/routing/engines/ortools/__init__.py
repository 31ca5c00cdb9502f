"""The OR-Tools routing engine for sanitation and maintenance routes (see FORMULATION.md).

Modules: ``layout`` (node numbering and facility copies), ``model`` (the RoutingModel:
transits, time, costs, penalties, breaks) with ``loads`` (trip and daily loads, max stops),
``search`` (parameters, first-solution strategies, ILS/GLS, :func:`solve`), ``readback``
(solutions to plans, warm starts as routes) and ``engine`` (:class:`OrtoolsEngine`, the engine
protocol).
"""

from solvers.routing.engines.ortools.engine import OrtoolsEngine as OrtoolsEngine
from solvers.routing.engines.ortools.model import COST_SCALE as COST_SCALE
from solvers.routing.engines.ortools.model import BuiltModel as BuiltModel
from solvers.routing.engines.ortools.model import build as build
from solvers.routing.engines.ortools.search import CONSTRUCT_ONLY_ABOVE as CONSTRUCT_ONLY_ABOVE
from solvers.routing.engines.ortools.search import OrtoolsResult as OrtoolsResult
from solvers.routing.engines.ortools.search import OrtoolsSettings as OrtoolsSettings
from solvers.routing.engines.ortools.search import solve as solve
