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
    """One-minute load average per core this process may use (0 where the OS does not say).

    Above 1 the machine runs more processes than it has cores, and everything after a search
    (reading plans back, checking, answering) takes longer by about that factor.
    """
    try:
        return os.getloadavg()[0] / usable_cores()
    except OSError:
        return 0.0


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity where the OS has one, else all)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1
