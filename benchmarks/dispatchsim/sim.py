"""The event simulation: units, calls and the dispatch policy, one day of the city.

Units are ambulances, a share with ALS (capabilities ``ambulance`` + ``als``). A unit is idle
(at its post or driving to one), en route to a call, on scene, transporting to the nearest
hospital (handover 10 min) or back to idle where it became free, from where it drives to its
post. A call that finds no capable idle unit waits (held) until one is free.

Simplifications, the same for every policy: places are zones (a unit on the road is placed at
the zone it left until half its drive is done, then at the one it is heading for); a unit sent
from rest rolls after a fixed turnout; travel times are deterministic. Response time is from
the call to the arrival of the first unit (held time included); a call is late when that is
above its priority's target.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field

import numpy as np

from benchmarks.dispatchsim.city import CALL_TYPES, TARGETS, TURNOUT, Call, City

__all__ = ["Incident", "Simulation", "Unit"]

HANDOVER = 600  # seconds at the hospital


@dataclass
class Unit:
    """A unit's state (mutable: the simulation owns it)."""

    index: int
    caps: tuple[str, ...]
    home: int  # post index it returns to
    status: str = "idle"  # idle | enroute | scene | transport | hospital
    origin: int = 0  # zone it left
    dest: int = 0  # zone it is heading for (or is at)
    depart: int = 0
    arrive: int = 0
    incident: int = -1
    version: int = 0

    def zone(self, now: int) -> int:
        """Where the unit counts as being now (see the module docstring)."""
        return self.origin if now < (self.depart + self.arrive) / 2 else self.dest


@dataclass
class Incident:
    """An open call: its requirement, the units filling it, when the first one arrived."""

    index: int
    call: Call
    need: dict[str, int]
    filled: dict[str, list[int]] = field(default_factory=dict)
    first_arrival: int = -1
    on_scene: list[int] = field(default_factory=list)

    @property
    def priority(self) -> int:
        """1 = most urgent."""
        return CALL_TYPES[self.call.kind].priority

    def missing(self) -> dict[str, int]:
        """Slots still unfilled per capability."""
        return {c: n - len(self.filled.get(c, [])) for c, n in self.need.items()}

    def units(self) -> list[int]:
        """Units assigned (en route or on scene)."""
        return [u for members in self.filled.values() for u in members]


class Simulation:
    """Plays calls through a policy; the policy sees the state and calls ``dispatch``/``move``."""

    def __init__(self, city: City, calls: list[Call], n_units: int, als_share: float, seed: int):
        rng = np.random.default_rng(seed + 7)
        self.city, self.calls = city, calls
        homes = rng.choice(len(city.posts), size=n_units, replace=True)
        als = rng.random(n_units) < als_share
        self.units = [
            Unit(
                u,
                ("ambulance", "als") if als[u] else ("ambulance",),
                int(homes[u]),
                origin=int(city.posts[homes[u]]),
                dest=int(city.posts[homes[u]]),
            )
            for u in range(n_units)
        ]
        self.incidents: dict[int, Incident] = {}
        self.now = 0
        self.events: list[tuple[int, int, str, tuple]] = []
        self._seq = itertools.count()
        self.responses: list[tuple[int, int]] = []  # (priority, seconds)
        self.relocations = 0

    # -- events ---------------------------------------------------------------------------------

    def _push(self, time: int, kind: str, *data: int) -> None:
        heapq.heappush(self.events, (time, next(self._seq), kind, data))

    def run(self, policy) -> None:
        """Play every call and every unit until the last unit is idle again."""
        for k, call in enumerate(self.calls):
            self._push(call.time, "call", k)
        while self.events:
            self.now, _, kind, data = heapq.heappop(self.events)
            getattr(self, f"_on_{kind}")(policy, *data)

    def _on_call(self, policy, k: int) -> None:
        call = self.calls[k]
        need = dict(CALL_TYPES[call.kind].requirement)
        self.incidents[k] = Incident(k, call, need, {c: [] for c in need})
        policy.decide(self)

    def _on_arrive(self, policy, u: int, version: int) -> None:
        unit = self.units[u]
        if unit.version != version:
            return
        incident = self.incidents.get(unit.incident)
        if incident is None:  # its call closed while it drove (it filled no slot there)
            self._free(policy, unit, unit.dest)
            return
        unit.status = "scene"
        if incident.first_arrival < 0:
            incident.first_arrival = self.now
            self.responses.append((incident.priority, self.now - incident.call.time))
        transports = incident.call.transport and not incident.on_scene
        incident.on_scene.append(u)
        self._push(self.now + incident.call.on_scene, "scene_done", u, int(transports))
        if all(v in incident.on_scene for v in incident.units()) and not any(
            incident.missing().values()
        ):
            del self.incidents[incident.index]

    def _on_scene_done(self, policy, u: int, transports: int) -> None:
        unit = self.units[u]
        zone = unit.dest
        if transports:
            hospital = int(
                self.city.hospitals[np.argmin(self.city.travel[zone, self.city.hospitals])]
            )
            unit.status, unit.incident = "transport", -1
            done = self.now + int(self.city.travel[zone, hospital]) + HANDOVER
            unit.origin, unit.dest = zone, hospital
            self._push(done, "free", u, unit.version)
            return
        self._free(policy, unit, zone)

    def _on_free(self, policy, u: int, version: int) -> None:
        unit = self.units[u]
        if unit.version == version:
            self._free(policy, unit, unit.dest)

    def _free(self, policy, unit: Unit, zone: int) -> None:
        unit.incident = -1
        self._drive_idle(unit, zone, unit.home)
        policy.decide(self)
        policy.after_free(self)

    def _on_at_post(self, policy, u: int, version: int) -> None:
        unit = self.units[u]
        if unit.version == version:
            unit.origin = unit.dest

    # -- what policies do -----------------------------------------------------------------------

    def _drive_idle(self, unit: Unit, zone: int, post: int) -> None:
        """Make ``unit`` idle at ``zone``, driving to ``post`` (its home from now on)."""
        unit.version += 1
        unit.status, unit.home = "idle", post
        target = int(self.city.posts[post])
        unit.origin, unit.dest, unit.depart = zone, target, self.now
        unit.arrive = self.now + int(self.city.travel[zone, target])
        self._push(unit.arrive, "at_post", unit.index, unit.version)

    def dispatch(self, u: int, incident_index: int, capability: str) -> None:
        """Send unit ``u`` (idle, or en route elsewhere) to fill a ``capability`` slot."""
        unit, incident = self.units[u], self.incidents[incident_index]
        zone, target = unit.zone(self.now), incident.call.zone
        if unit.status == "enroute":
            old = self.incidents.get(unit.incident)
            if old is not None:
                for members in old.filled.values():
                    if u in members:
                        members.remove(u)
            delay = 0
        else:
            delay = TURNOUT
        unit.version += 1
        unit.status, unit.incident = "enroute", incident_index
        unit.origin, unit.dest, unit.depart = zone, target, self.now
        unit.arrive = self.now + delay + int(self.city.travel[zone, target])
        incident.filled.setdefault(capability, []).append(u)
        self._push(unit.arrive, "arrive", u, unit.version)

    def move(self, u: int, post: int) -> None:
        """Relocate idle unit ``u`` to ``post`` (move-up)."""
        unit = self.units[u]
        self._drive_idle(unit, unit.zone(self.now), post)
        self.relocations += 1

    def idle_units(self) -> list[Unit]:
        """Units that may be dispatched from rest now."""
        return [unit for unit in self.units if unit.status == "idle"]

    def open_incidents(self) -> list[Incident]:
        """Incidents with unfilled slots or units still on the way, oldest first."""
        return sorted(self.incidents.values(), key=lambda i: (i.call.time, i.index))

    def targets_left(self, incident: Incident) -> int:
        """The target as seconds from now (1 when it is already missed: it cannot be met)."""
        left = TARGETS[incident.priority] - (self.now - incident.call.time)
        return max(1, left)
