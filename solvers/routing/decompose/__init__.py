"""Big nights: a problem too large for one solve, cut into parts, solved, stitched, checked.

Pure (no cluster, no service): ``dispatch.cluster`` runs the parts on Ray through the
:class:`PartRunner` base class; :class:`InlineRunner` runs them here. See ``driver.py`` for the
steps and ``travel.py`` for why travel is read as blocks, never as one whole matrix.
"""

from solvers.routing.decompose.driver import DecomposedOutcome as DecomposedOutcome
from solvers.routing.decompose.driver import DecomposeOptions as DecomposeOptions
from solvers.routing.decompose.driver import solve_decomposed as solve_decomposed
from solvers.routing.decompose.large import LargeProblem as LargeProblem
from solvers.routing.decompose.large import Part as Part
from solvers.routing.decompose.large import part_problem as part_problem
from solvers.routing.decompose.parts import InlineRunner as InlineRunner
from solvers.routing.decompose.parts import PartFailedError as PartFailedError
from solvers.routing.decompose.parts import PartJob as PartJob
from solvers.routing.decompose.parts import PartResult as PartResult
from solvers.routing.decompose.parts import PartRunner as PartRunner
from solvers.routing.decompose.parts import solve_part as solve_part
from solvers.routing.decompose.split import split as split
from solvers.routing.decompose.travel import CoordinateTravel as CoordinateTravel
from solvers.routing.decompose.travel import MatrixTravel as MatrixTravel
from solvers.routing.decompose.whole_check import WholeEvaluation as WholeEvaluation
from solvers.routing.decompose.whole_check import check_whole as check_whole
