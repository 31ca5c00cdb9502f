"""Per-incident outcome and headline numbers of an assignment plan.

Only units that fill a requirement slot count towards response times and targets: a committed
unit that fills none is reported at its incident but did not answer any requirement. An incident
is fully staffed when no slot of it is left unfilled.

The per-priority slot counts (required, filled, reached within target) are objective levels 1
and 2; they are taken from the checker's ``Evaluation``, never recounted here, so the answer's
numbers are the ones the plan was verified and ranked on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from solvers.assignment.checker import Evaluation
from solvers.assignment.model import AssignmentPlan, AssignmentProblem, UnitStatus, status_in
from solvers.assignment.reasons import Unfilled

__all__ = ["Arrival", "AssignmentKpis", "IncidentKpis", "PriorityKpis", "kpis"]


class Arrival(NamedTuple):
    """A unit heading to (or on scene at) an incident after the plan.

    ``capability`` is the slot it fills, -1 when it fills none; ``moved_from`` the incident an
    EN_ROUTE unit was taken away from, -1 when it was not moved. A named tuple, not a dataclass:
    a big request has thousands and AssignUnits answers in milliseconds.
    """

    unit: int
    incident: int
    capability: int
    eta: int
    within_target: bool
    already_committed: bool
    moved_from: int
    wait: int = 0  # of eta: a soon-free unit's wait until free
    turnout: int = 0  # of eta: turnout of a unit sent from rest

    @property
    def fills_slot(self) -> bool:
        """True when the unit answers one of the incident's requirements."""
        return self.capability >= 0


@dataclass(frozen=True)
class IncidentKpis:
    """One incident: its arrivals by (eta, unit id) and how well its slots are served."""

    arrivals: tuple[Arrival, ...]
    fully_staffed: bool
    last_arrival: int
    within_target: bool


@dataclass(frozen=True)
class PriorityKpis:
    """Mirrors dispatch.v1.PriorityKpi; shares and means are 0 when there is nothing to divide.

    ``share_within_target`` is per filled slot; ``share_slots_within_target`` per required slot
    (an unfilled slot counts as missed): the compliance figure of NFPA 1710-style reporting.
    """

    priority: int
    incidents: int
    fully_staffed: int
    share_within_target: float
    mean_response_seconds: float
    max_response_seconds: int
    slots: int
    slots_filled: int
    slots_within_target: int
    first_unit_targets: int = 0
    first_unit_targets_met: int = 0

    @property
    def share_slots_within_target(self) -> float:
        """Required slots reached within target, 0..1."""
        return self.slots_within_target / self.slots if self.slots else 0.0


@dataclass(frozen=True)
class AssignmentKpis:
    """Mirrors dispatch.v1.AssignmentKpis, plus each incident's outcome in request order and the
    moved units in unit order."""

    incidents: tuple[IncidentKpis, ...]
    fully_staffed: int
    share_within_target: float
    by_priority: tuple[PriorityKpis, ...]
    units_dispatched: int
    reassignments: tuple[Arrival, ...]


@dataclass(frozen=True)
class _Columns:
    """The arrivals as parallel numpy columns (unit order), for per-incident sums."""

    incident: np.ndarray
    eta: np.ndarray
    fills: np.ndarray  # bool: fills a slot
    within: np.ndarray  # bool
    id_rank: np.ndarray  # rank of the unit's id among the arrivals', for the (eta, id) order


def _arrivals(problem: AssignmentProblem, plan: AssignmentPlan) -> tuple[list[Arrival], _Columns]:
    """Every unit at an incident after the plan, in unit order. ``within_target`` compares a
    filling unit's ETA with its requirement's full-complement target, and a unit filling no
    slot with the incident's target (0 = none)."""
    wait, turnout, full = problem.wait, problem.turnout, problem.requirement_targets
    assert wait is not None and turnout is not None and full is not None
    units = np.flatnonzero(plan.incident >= 0)
    at, filled = plan.incident[units], plan.capability[units]
    status, commitment = problem.status[units], problem.commitment[units]
    busy, rolling = status_in(status, (UnitStatus.BUSY,)), status_in(status, (UnitStatus.EN_ROUTE,))
    committed_here = (busy | rolling) & (commitment == at)
    # The same ETA as problem.eta, for every arriving unit at once: 0 for a BUSY unit on its
    # own scene, travel for an EN_ROUTE unit, wait + turnout + travel for one sent from rest.
    from_rest = ~(rolling | (busy & committed_here))
    waited = np.where(from_rest, wait[units], 0)
    rolled = np.where(from_rest, turnout[units], 0)
    travel = problem.travel[units, at]
    eta = np.where(busy & committed_here, 0, travel + waited + rolled)
    target = np.where(filled < 0, problem.targets[at], full[at, np.maximum(filled, 0)])
    within = (target == 0) | (eta <= target)
    moved = np.where(rolling & (commitment != at), commitment, -1)
    columns = (units, at, filled, eta, within, committed_here, moved, waited, rolled)
    arrivals = list(map(Arrival._make, zip(*(c.tolist() for c in columns), strict=True)))
    # Rank of each arriving unit's id in Python's string order (numpy's fixed-width strings
    # would drop trailing NUL characters).
    names = [problem.unit_ids[u] for u in units.tolist()]
    rank = {name: k for k, name in enumerate(sorted(names))}
    ranks = np.array([rank[name] for name in names], dtype=np.int64)
    return arrivals, _Columns(at, eta, filled >= 0, within, ranks)


def _incidents(
    problem: AssignmentProblem, arrivals: list[Arrival], columns: _Columns, short: set[int]
) -> tuple[IncidentKpis, ...]:
    """Per incident, in request order: its arrivals by (eta, unit id), whether it is fully
    staffed, the last filling unit's ETA (0 when none) and whether every filling unit is in
    time. One numpy sort and per-incident reductions, not a sort per incident."""
    n = problem.n_incidents
    order = np.lexsort((columns.id_rank, columns.eta, columns.incident)).tolist()
    counts = np.bincount(columns.incident, minlength=n).tolist()
    fills = columns.fills
    last = np.zeros(n, dtype=np.int64)
    np.maximum.at(last, columns.incident[fills], columns.eta[fills])
    late = np.bincount(columns.incident[fills & ~columns.within], minlength=n)
    ordered_all = [arrivals[k] for k in order]  # one pass; each incident takes a slice
    out, start = [], 0
    for i, (count, latest, missed) in enumerate(
        zip(counts, last.tolist(), late.tolist(), strict=True)
    ):
        ordered = tuple(ordered_all[start : start + count])
        start += count
        out.append(IncidentKpis(ordered, i not in short, latest, missed == 0))
    return tuple(out)


def _by_priority(
    problem: AssignmentProblem,
    incidents: Sequence[IncidentKpis],
    columns: _Columns,
    evaluation: Evaluation,
) -> tuple[PriorityKpis, ...]:
    n = problem.n_incidents
    fills = columns.fills
    filling = np.bincount(columns.incident[fills], minlength=n).tolist()
    eta_sum = np.zeros(n, dtype=np.int64)
    np.add.at(eta_sum, columns.incident[fills], columns.eta[fills])
    rows: dict[int, list[int]] = {}  # priority -> [incidents, fully staffed, n, sum, max]
    for p, incident, k, total in zip(
        problem.priorities.tolist(), incidents, filling, eta_sum.tolist(), strict=True
    ):
        row = rows.setdefault(p, [0, 0, 0, 0, 0])
        row[0] += 1
        row[1] += int(incident.fully_staffed)
        row[2] += k
        row[3] += total
        row[4] = max(row[4], incident.last_arrival)
    # Levels 1 and 2 as the checker counted them (priorities without slots have no level).
    checked = {
        p: counts
        for p, *counts in zip(
            evaluation.levels,
            evaluation.required,
            evaluation.filled,
            evaluation.within_target,
            evaluation.first_targets,
            evaluation.first_within,
            strict=True,
        )
    }
    out = []
    for p, row in sorted(rows.items()):
        required, filled, within, first_targets, first_met = checked.get(p, (0, 0, 0, 0, 0))
        out.append(
            PriorityKpis(
                priority=p,
                incidents=row[0],
                fully_staffed=row[1],
                share_within_target=within / filled if filled else 0.0,
                mean_response_seconds=row[3] / row[2] if row[2] else 0.0,
                max_response_seconds=row[4],
                slots=required,
                slots_filled=filled,
                slots_within_target=within,
                first_unit_targets=first_targets,
                first_unit_targets_met=first_met,
            )
        )
    return tuple(out)


def kpis(
    problem: AssignmentProblem,
    plan: AssignmentPlan,
    unfilled: Sequence[Unfilled],
    evaluation: Evaluation,
) -> AssignmentKpis:
    """The outcome of ``plan`` per incident, per priority and overall (``evaluation`` is the
    checker's for this plan: the slot counts and within-target shares come from it)."""
    arrivals, columns = _arrivals(problem, plan)
    short = {slot.incident for slot in unfilled}
    incidents = _incidents(problem, arrivals, columns, short)
    filled, within = sum(evaluation.filled), sum(evaluation.within_target)
    units = np.flatnonzero(plan.incident >= 0)
    return AssignmentKpis(
        incidents=incidents,
        fully_staffed=sum(incident.fully_staffed for incident in incidents),
        share_within_target=within / filled if filled else 0.0,
        by_priority=_by_priority(problem, incidents, columns, evaluation),
        units_dispatched=int(problem.from_rest[units].sum()),
        reassignments=tuple(a for a in arrivals if a.moved_from >= 0),
    )
