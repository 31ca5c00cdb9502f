"""Time budgets as absolute deadlines, so every layer spends from the same clock."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Deadline:
    """A point on the monotonic clock by which an answer must exist.

    Passing a deadline (not a duration) down the call chain means time spent converting,
    validating and checking is charged to the same budget as solving.
    """

    at: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        """A deadline ``seconds`` from now (negative values mean already expired)."""
        return cls(time.monotonic() + seconds)

    def remaining(self) -> float:
        """Seconds left, never negative."""
        return max(0.0, self.at - time.monotonic())

    def expired(self) -> bool:
        """True once no time is left."""
        return self.remaining() <= 0.0

    def share(self, fraction: float, reserve: float = 0.0) -> float:
        """Seconds for one phase: ``fraction`` of what is left after keeping ``reserve`` back."""
        return max(0.0, (self.remaining() - reserve) * fraction)


def load_per_core() -> float:
    """Processes competing for the cores this process may use, per core (0 where unknown).

    The larger of the one-minute load average and the tasks runnable right now (less this one):
    the average lags a load that has just started by tens of seconds, and the first calls after
    it are the ones that need the wider margin. Above 1 the machine runs more processes than it
    has cores, and everything after a search (reading plans back, checking, answering) takes
    longer by about that factor.
    """
    try:
        average = os.getloadavg()[0]
    except OSError:
        average = 0.0
    return max(average, float(runnable_now() - 1)) / usable_cores()


def runnable_now() -> int:
    """Tasks runnable on the machine at this instant (Linux ``/proc/loadavg``; else 0)."""
    try:
        with open("/proc/loadavg", encoding="ascii") as f:
            return int(f.read().split()[3].split("/")[0])
    except (OSError, IndexError, ValueError):
        return 0


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS has one, else all)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1
