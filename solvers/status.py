"""How a plan was produced and how much can be claimed about it."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class Status(enum.Enum):
    """Mirrors dispatch.v1.SolveStatus; OPTIMAL only when a solver proved it."""

    OPTIMAL = "OPTIMAL"
    FEASIBLE = "FEASIBLE"
    INFEASIBLE = "INFEASIBLE"
    NO_SOLUTION_FOUND = "NO_SOLUTION_FOUND"
    NOT_SOLVED = "NOT_SOLVED"


class SolverFamily(enum.Enum):
    """Mirrors dispatch.v1.Solver."""

    AUTO = "AUTO"
    ORTOOLS = "ORTOOLS"
    MILP = "MILP"
    PYVRP = "PYVRP"
    GREEDY = "GREEDY"
    SCIPY = "SCIPY"


def relative_gap(cost: float, bound: float) -> float:
    """How far a plan's cost may be above the optimum, as a share of the cost (never negative)."""
    return max(0.0, cost - bound) / max(abs(cost), 1.0)


@dataclass(frozen=True)
class SolveReport:
    """What every solver returns beside its plan.

    ``objective`` is the checker's recomputation, not the solver's own claim; ``bound`` and ``gap``
    are set only when the solver reports a proven bound.
    """

    family: SolverFamily
    engine: str
    status: Status
    objective: float
    bound: float | None = None
    gap: float | None = None
    wall_time: float = 0.0
    fallback_reason: str = ""
    objective_terms: dict[str, float] = field(default_factory=dict)
    #: The variant of the engine that found the plan (e.g. OR-Tools' "construct+gls").
    strategy: str = ""
    #: Seconds per phase of the engine that found the plan (build, search, read back, ...).
    timings: dict[str, float] = field(default_factory=dict)
    #: Why the answer is weaker than usual (a fallback answered, servable work left out);
    #: empty when it is not.
    degraded_reason: str = ""

    @property
    def degraded(self) -> bool:
        """True when the answer must be flagged to the caller as degraded."""
        return bool(self.degraded_reason)
