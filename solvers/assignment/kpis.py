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
    """Every unit at an incident after the plan, in unit order."""
    status = problem.status.tolist()
    commitment = problem.commitment.tolist()
    filled = plan.capability.tolist()
    targets = problem.targets.tolist()
    travel = problem.travel
    out = []
    for u, i in enumerate(plan.incident.tolist()):
        if i < 0:
            continue
        committed_here = status[u] != UnitStatus.AVAILABLE and commitment[u] == i
        # Same as problem.eta, without its per-call numpy scalar reads (hot for big requests).
        eta = 0 if committed_here and status[u] == UnitStatus.BUSY else int(travel[u, i])
        out.append(
            Arrival(
                unit=u,
                incident=i,
                capability=filled[u],
                eta=eta,
                within_target=targets[i] == 0 or eta <= targets[i],
                already_committed=committed_here,
                moved_from=(
                    commitment[u] if status[u] == UnitStatus.EN_ROUTE and commitment[u] != i else -1
                ),
            )
        )
    return out


def _incident(arrivals: list[Arrival], unit_ids: Sequence[str], unfilled: bool) -> IncidentKpis:
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
        p: (required, filled, within)
        for p, required, filled, within in zip(
            evaluation.levels,
            evaluation.required,
            evaluation.filled,
            evaluation.within_target,
            strict=True,
        )
    }
    out = []
    for p, row in sorted(rows.items()):
        required, filled, within = checked.get(p, (0, 0, 0))
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
    incidents = tuple(
        _incident(found, problem.unit_ids, i in short) for i, found in enumerate(per_incident)
    )
    filled, within = sum(evaluation.filled), sum(evaluation.within_target)
    status = problem.status.tolist()
    return AssignmentKpis(
        incidents=incidents,
        fully_staffed=sum(incident.fully_staffed for incident in incidents),
        share_within_target=within / filled if filled else 0.0,
        by_priority=_by_priority(problem, incidents, evaluation),
        units_dispatched=sum(1 for a in arrivals if status[a.unit] == UnitStatus.AVAILABLE),
        reassignments=tuple(a for a in arrivals if a.moved_from >= 0),
    )
