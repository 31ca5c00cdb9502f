"""Emergency unit assignment: exact min-cost flow, CP-SAT for coverage, MILP and greedy last."""

from solvers.assignment.checker import Evaluation as Evaluation
from solvers.assignment.checker import check_plan as check_plan
from solvers.assignment.model import AssignmentPlan as AssignmentPlan
from solvers.assignment.model import AssignmentProblem as AssignmentProblem
from solvers.assignment.model import CoverageRule as CoverageRule
from solvers.assignment.model import UnitStatus as UnitStatus
from solvers.assignment.reasons import Unfilled as Unfilled
from solvers.assignment.reasons import UnfilledReason as UnfilledReason
from solvers.assignment.solve import AssignmentResult as AssignmentResult
from solvers.assignment.solve import SolveSettings as SolveSettings
from solvers.assignment.solve import solve as solve
