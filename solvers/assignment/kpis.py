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
from solvers.assignment.model import AssignmentPlan, AssignmentProblem, UnitStatus
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


def _arrivals(problem: AssignmentProblem, plan: AssignmentPlan) -> list[Arrival]:
    """Every unit at an incident after the plan, in unit order. ``within_target`` compares a
    filling unit's ETA with its requirement's full-complement target, and a unit filling no
    slot with the incident's target (0 = none)."""
    wait, turnout, full = problem.wait, problem.turnout, problem.requirement_targets
    assert wait is not None and turnout is not None and full is not None
    units = np.flatnonzero(plan.incident >= 0)
    at, filled = plan.incident[units], plan.capability[units]
    status, commitment = problem.status[units], problem.commitment[units]
    busy, rolling = status == UnitStatus.BUSY, status == UnitStatus.EN_ROUTE
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
    return [Arrival(*row) for row in zip(*(c.tolist() for c in columns), strict=True)]


def _incident(problem: AssignmentProblem, arrivals: list[Arrival], unfilled: bool) -> IncidentKpis:
    unit_ids = problem.unit_ids
    ordered = tuple(sorted(arrivals, key=lambda a: (a.eta, unit_ids[a.unit])))
    filling = [a for a in ordered if a.fills_slot]
    return IncidentKpis(
        arrivals=ordered,
        fully_staffed=not unfilled,
        last_arrival=max((a.eta for a in filling), default=0),
        within_target=all(a.within_target for a in filling),
    )


def _by_priority(
    problem: AssignmentProblem, incidents: Sequence[IncidentKpis], evaluation: Evaluation
) -> tuple[PriorityKpis, ...]:
    rows: dict[int, list[int]] = {}  # priority -> [incidents, fully staffed, n, sum, max]
    for p, incident in zip(problem.priorities.tolist(), incidents, strict=True):
        filling = [a for a in incident.arrivals if a.fills_slot]
        row = rows.setdefault(p, [0, 0, 0, 0, 0])
        row[0] += 1
        row[1] += int(incident.fully_staffed)
        row[2] += len(filling)
        row[3] += sum(a.eta for a in filling)
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
    arrivals = _arrivals(problem, plan)
    per_incident: list[list[Arrival]] = [[] for _ in range(problem.n_incidents)]
    for arrival in arrivals:
        per_incident[arrival.incident].append(arrival)
    short = {slot.incident for slot in unfilled}
    incidents = tuple(_incident(problem, found, i in short) for i, found in enumerate(per_incident))
    filled, within = sum(evaluation.filled), sum(evaluation.within_target)
    from_rest = problem.from_rest.tolist()
    return AssignmentKpis(
        incidents=incidents,
        fully_staffed=sum(incident.fully_staffed for incident in incidents),
        share_within_target=within / filled if filled else 0.0,
        by_priority=_by_priority(problem, incidents, evaluation),
        units_dispatched=sum(1 for a in arrivals if from_rest[a.unit]),
        reassignments=tuple(a for a in arrivals if a.moved_from >= 0),
    )
