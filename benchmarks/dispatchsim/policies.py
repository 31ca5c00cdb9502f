"""The three dispatch policies of the simulation.

- ``closest``: every open call, most urgent and oldest first, gets the nearest idle unit per
  missing slot (the rarer capability, ALS, first). Units return to their home post.
- ``assign``: the service's AssignUnits solver (``solvers.assignment.solve``, called in-process:
  the same code the gRPC handler runs after validation and conversion) on every open call and
  every unit, en-route units re-routable to strictly more urgent calls; targets are the time left
  to each call's target.
- ``assign+moveup``: ``assign``, then move-up (``solvers.assignment.moveup_solve.solve_moveup``,
  MEXCLP) after every dispatch and every unit that becomes free; relocated units take the new
  post as their home.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from benchmarks.dispatchsim.city import TURNOUT, hourly_profile
from benchmarks.dispatchsim.sim import Simulation
from solvers.assignment import AssignmentProblem, SolveSettings, solve
from solvers.assignment.model import UnitStatus
from solvers.assignment.moveup import MoveUpProblem
from solvers.assignment.moveup_solve import solve_moveup
from solvers.budget import Deadline

__all__ = ["AssignPolicy", "ClosestIdle", "MoveUpSettings"]

CAPS = ("ambulance", "als")


class ClosestIdle:
    """Nearest idle capable unit per slot; no move-up."""

    name = "closest"

    def decide(self, sim: Simulation) -> None:
        """Fill what can be filled now, most urgent and oldest call first."""
        for incident in sorted(sim.open_incidents(), key=lambda i: (i.priority, i.call.time)):
            for cap in sorted(incident.need, key=lambda c: c != "als"):
                for _ in range(incident.missing()[cap]):
                    idle = [u for u in sim.idle_units() if cap in u.caps]
                    if not idle:
                        break
                    zone = incident.call.zone
                    best = min(
                        idle, key=lambda u: (sim.city.travel[u.zone(sim.now), zone], u.index)
                    )
                    sim.dispatch(best.index, incident.index, cap)

    def after_free(self, sim: Simulation) -> None:
        """Nothing: the unit drives back to its home post."""


@dataclass(frozen=True)
class MoveUpSettings:
    """The move-up section the policy sends (same meaning as the contract's MoveUpRequest)."""

    radius: int = 420
    busy_fraction: float = 0.3
    move_cost: float = 0.05
    max_moves: int = 2
    max_move_seconds: int = 900
    calls_per_day: float = 600.0
    budget: float = 1.0


@dataclass
class AssignPolicy:
    """AssignUnits on every decision; with ``move_up`` set, move-up after it."""

    move_up: MoveUpSettings | None = None
    budget: float = 1.0
    solve_seconds: list[float] = field(default_factory=list)
    moveup_seconds: list[float] = field(default_factory=list)
    moveup_status: dict[str, int] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """Policy name in the results."""
        return "assign+moveup" if self.move_up else "assign"

    def decide(self, sim: Simulation) -> None:
        """Solve the open calls with every unit; apply the plan; move-up if anything was sent."""
        incidents = sim.open_incidents()
        if not any(any(i.missing().values()) for i in incidents) or not sim.idle_units():
            return
        problem = _problem(sim, incidents)
        start = time.perf_counter()
        result = solve(problem, Deadline.after(self.budget), SolveSettings())
        self.solve_seconds.append(time.perf_counter() - start)
        moved = _apply(sim, incidents, problem, result.plan)
        if moved and self.move_up:
            self._move_up(sim)

    def after_free(self, sim: Simulation) -> None:
        """A unit is free: move-up decides where the idle fleet should stand."""
        if self.move_up:
            self._move_up(sim)

    def _move_up(self, sim: Simulation) -> None:
        idle = sim.idle_units()
        if not idle:
            return
        settings = self.move_up
        assert settings is not None
        problem = _moveup_problem(sim, settings)
        start = time.perf_counter()
        result = solve_moveup(problem, Deadline.after(settings.budget))
        self.moveup_seconds.append(time.perf_counter() - start)
        status = f"{result.report.engine}:{result.report.status.value}"
        self.moveup_status[status] = self.moveup_status.get(status, 0) + 1
        for move in result.moves:
            sim.move(idle[move.unit].index, move.post)


def _status(sim: Simulation, unit, index: dict[int, int]) -> tuple[int, int]:
    """(UnitStatus, commitment) of a simulated unit for the request."""
    if unit.status == "idle":
        return UnitStatus.AVAILABLE, -1
    if unit.status == "enroute":
        return UnitStatus.EN_ROUTE, index[unit.incident]
    return UnitStatus.BUSY, index.get(unit.incident, -1) if unit.status == "scene" else -1


def _problem(sim: Simulation, incidents) -> AssignmentProblem:
    """The AssignUnits problem a CAD would send now: every unit, every open call."""
    index = {i.index: k for k, i in enumerate(incidents)}
    zones = np.array([i.call.zone for i in incidents])
    states = [_status(sim, u, index) for u in sim.units]
    travel = np.zeros((len(sim.units), len(incidents)), dtype=np.int64)
    for u, unit in enumerate(sim.units):
        travel[u] = sim.city.travel[unit.zone(sim.now), zones]
        if unit.status == "idle":
            travel[u] += TURNOUT
        elif unit.status == "enroute":
            travel[u, index[unit.incident]] = max(0, unit.arrive - sim.now)
    requirements = np.array([[i.need.get(c, 0) for c in CAPS] for i in incidents], dtype=np.int64)
    return AssignmentProblem(
        unit_ids=tuple(f"u{u.index}" for u in sim.units),
        incident_ids=tuple(f"c{i.index}" for i in incidents),
        capabilities=CAPS,
        unit_capabilities=np.array([[c in u.caps for c in CAPS] for u in sim.units]),
        status=np.array([s for s, _ in states], dtype=np.int64),
        commitment=np.array([c for _, c in states], dtype=np.int64),
        priorities=np.array([i.priority for i in incidents], dtype=np.int64),
        targets=np.array([sim.targets_left(i) for i in incidents], dtype=np.int64),
        requirements=requirements,
        travel=travel,
        allow_reassignment=True,
    )


def _apply(sim: Simulation, incidents, problem: AssignmentProblem, plan) -> bool:
    """Record the plan's slots; send idle units and re-route en-route ones. True if any moved."""
    for incident in incidents:
        incident.filled = {c: [] for c in incident.need}
    moved = False
    for u in np.flatnonzero(plan.incident >= 0).tolist():
        cap_index = int(plan.capability[u])
        if cap_index < 0:
            continue
        incident, cap, unit = incidents[int(plan.incident[u])], CAPS[cap_index], sim.units[u]
        if unit.status == "idle" or (unit.status == "enroute" and unit.incident != incident.index):
            sim.dispatch(u, incident.index, cap)
            moved = True
        else:
            incident.filled.setdefault(cap, []).append(u)
    return moved


def _moveup_problem(sim: Simulation, s: MoveUpSettings) -> MoveUpProblem:
    """Idle units where they will stand (their post) and how far they are from every post."""
    idle = sim.idle_units()
    city, posts = sim.city, sim.city.posts
    rate = s.calls_per_day / 24.0 * hourly_profile()[(sim.now // 3600) % 24]
    return MoveUpProblem(
        unit_ids=tuple(f"u{u.index}" for u in idle),
        post_ids=tuple(f"p{p}" for p in range(len(posts))),
        zone_ids=tuple(f"z{z}" for z in range(city.n_zones)),
        demand=city.weight * rate,
        unit_to_zone=city.travel[[int(posts[u.home]) for u in idle]],
        post_to_zone=city.travel[posts],
        unit_to_post=city.travel[np.ix_([u.zone(sim.now) for u in idle], posts)],
        unit_post=np.array([u.home for u in idle], dtype=np.int64),
        idle=np.ones(len(idle), dtype=bool),
        radius=s.radius,
        busy_fraction=s.busy_fraction,
        move_cost=s.move_cost,
        max_moves=s.max_moves,
        max_move_seconds=s.max_move_seconds,
    )
