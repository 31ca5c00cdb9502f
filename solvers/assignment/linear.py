"""One stage of the assignment as an integer linear model, described once in numpy.

The CP-SAT and PuLP back ends (``cpsat.py``, ``milp.py``) both read this description, so the
benchmark's "speed against PuLP on the same model" compares engines, not formulations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from solvers.assignment.arcs import Arcs
from solvers.assignment.model import FREE_NOW, AssignmentProblem, committed_slots
from solvers.status import Status


@dataclass(frozen=True, eq=False)
class StageModel:
    """Binary x per arc; each unit at most one arc; each group at most its count.

    ``fixed`` pins earlier stages (sum coefficients * x <= value; value is that stage's proven
    minimum, so this is equality, and HiGHS solves it far faster than an explicit ==: 5 s
    instead of 67 s at 200 x 2000). ``must_use_units`` use exactly one arc,
    ``must_fill_groups`` exactly their count, ``forced_arcs`` are used, and ``total`` arcs are
    used in all. Coverage rule r has a shortfall variable
    s_r >= min_units - (base_r - sum_{arcs of units in the rule} x), s_r >= 0.
    The objective is ``arc_objective . x + shortfall_weight * sum s``.
    """

    arcs: Arcs
    fixed: tuple[tuple[np.ndarray, int], ...]
    arc_objective: np.ndarray
    shortfall_weight: int
    rule_members: tuple[np.ndarray, ...]  # bool mask over arcs per rule
    rule_base: tuple[int, ...]  # free units in the rule before dispatch
    rule_min: tuple[int, ...]
    must_use_units: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    must_fill_groups: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    total: int | None = None  # exact number of arcs used, when fixed
    forced_arcs: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))


@dataclass(frozen=True, eq=False)
class StageResult:
    """What a back end found: the arcs used (None when nothing), status, objective, bound."""

    used: np.ndarray | None
    status: Status
    objective: float | None
    bound: float | None


def rule_membership(
    problem: AssignmentProblem, arcs: Arcs
) -> tuple[tuple[np.ndarray, ...], tuple[int, ...], tuple[int, ...]]:
    """Per coverage rule: which arcs dispatch a counted unit, how many count now, the minimum."""
    members, base, minimum = [], [], []
    free = np.isin(problem.status, FREE_NOW)  # soon-free units never count for coverage
    for rule in problem.coverage_rules:
        assert problem.unit_to_district is not None
        counted = (
            free
            & problem.unit_capabilities[:, rule.capability]
            & (problem.unit_to_district[:, rule.district] <= rule.max_travel)
        )
        members.append(counted[arcs.unit])
        base.append(int(counted.sum()))
        minimum.append(int(rule.min_units))
    return tuple(members), tuple(base), tuple(minimum)


def stage_model(
    problem: AssignmentProblem,
    arcs: Arcs,
    fixed: tuple[tuple[np.ndarray, int], ...],
    arc_objective: np.ndarray,
    shortfall_weight: int,
    must_use_units: np.ndarray | None = None,
    must_fill_groups: np.ndarray | None = None,
    total: int | None = None,
    forced_arcs: np.ndarray | None = None,
) -> StageModel:
    """Assemble a stage; rules are included only when their shortfall is in the objective.

    Committed units that must fill a slot (``model.committed_slots``) are always added to
    ``must_use_units``: each uses exactly one of its arcs (stay, or a permitted re-route)."""
    forced = np.flatnonzero(committed_slots(problem) >= 0)
    if must_use_units is not None:
        forced = np.union1d(forced, must_use_units)
    must_use_units = forced.astype(np.int64)
    if shortfall_weight:
        members, base, minimum = rule_membership(problem, arcs)
    else:
        members, base, minimum = (), (), ()
    return StageModel(
        arcs=arcs,
        fixed=fixed,
        arc_objective=np.asarray(arc_objective, dtype=np.int64),
        shortfall_weight=shortfall_weight,
        rule_members=members,
        rule_base=base,
        rule_min=minimum,
        must_use_units=np.zeros(0, dtype=np.int64) if must_use_units is None else must_use_units,
        must_fill_groups=(
            np.zeros(0, dtype=np.int64) if must_fill_groups is None else must_fill_groups
        ),
        total=total,
        forced_arcs=np.zeros(0, dtype=np.int64) if forced_arcs is None else forced_arcs,
    )


def groups_of(values: np.ndarray) -> list[np.ndarray]:
    """Indices grouped by value (arcs per unit, arcs per group), in one sort."""
    if not len(values):
        return []
    order = np.argsort(values, kind="stable")
    cuts = np.flatnonzero(np.diff(values[order])) + 1
    return np.split(order, cuts)
