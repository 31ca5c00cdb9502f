"""One read of an AssignUnits request's units, shared by validation and conversion.

Reading a field of a repeated proto message costs ~0.15 us; at 2,000 units the two passes
(validation's, then conversion's) cost as much as the rest of both. Validation reads once
(``read_units``) and hands its read over (``hand_over``) to the conversion of the same request
in the same thread (``taken_read``). Kept apart from ``dispatch.wire.emergency`` so that
validation does not import ``solvers.assignment`` (CP-SAT) into processes that only route.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from dispatch._proto.dispatch.v1 import emergency_pb2

__all__ = ["UnitRead", "hand_over", "read_units", "taken_read"]


@dataclass(frozen=True, eq=False)
class UnitRead:
    """What validation and conversion need of every unit, read from the messages in one pass
    (2,000 units x 7 fields is ~2 ms). ``patterns`` are the distinct capability tuples in
    first-seen order, ``pattern`` each unit's index into them; ``lifecycle`` marks units with a
    turnout, a free place or a free time; ``has_incident`` units naming a current incident;
    ``placed`` the indices of units with a position (most CAD requests carry none).
    """

    ids: tuple[str, ...]
    status: np.ndarray
    current: tuple[str, ...]
    has_incident: np.ndarray
    turnout: np.ndarray
    lifecycle: np.ndarray
    patterns: dict[tuple[str, ...], int]
    pattern: np.ndarray
    placed: tuple[int, ...]  # units with a position, for its range check

    def __len__(self) -> int:
        return len(self.ids)


def read_units(units: Sequence[emergency_pb2.Unit]) -> UnitRead:
    """Every unit's fields in one pass (``capabilities[:]``: slicing a repeated string field is
    about four times faster than iterating it)."""
    rows = [
        (
            u.id,
            u.status,
            u.current_incident_id,
            u.turnout_seconds,
            u.free_location_id,
            u.HasField("free_at_seconds"),
            tuple(u.capabilities[:]),
            u.HasField("position"),
        )
        for u in units
    ]
    n = len(rows)
    ids, status, current, turnout, place, free_at, caps, positioned = (
        zip(*rows, strict=True) if rows else ((),) * 8
    )
    # dict.fromkeys keeps first-seen order; the lookups then run in C (map), not a generator.
    patterns = {c: i for i, c in enumerate(dict.fromkeys(caps))}
    pattern = np.fromiter(map(patterns.__getitem__, caps), np.int64, n)
    turnouts = np.fromiter(turnout, np.int64, n)
    return UnitRead(
        ids=ids,
        status=np.fromiter(status, np.int64, n),
        current=current,
        has_incident=np.fromiter(map(bool, current), bool, n),
        turnout=turnouts,
        lifecycle=(turnouts != 0)
        | np.fromiter(map(bool, place), bool, n)
        | np.fromiter(free_at, bool, n),
        patterns=patterns,
        pattern=pattern,
        placed=tuple(np.flatnonzero(np.fromiter(positioned, bool, n)).tolist()),
    )


_handed = threading.local()


def hand_over(request: emergency_pb2.AssignUnitsRequest, read: UnitRead) -> None:
    """Keep validation's read of a valid request for its conversion in this thread (the service
    validates and converts one call in one handler thread, without changing the request). The
    next ``to_problem`` in this thread takes it if it converts this very message, else reads
    afresh; a caller that changes a validated request's units must validate it again."""
    _handed.entry = (request, read)


def taken_read(request: emergency_pb2.AssignUnitsRequest) -> UnitRead:
    """The read handed over for this very request (used once), else a fresh one."""
    entry = getattr(_handed, "entry", None)
    _handed.entry = None
    if entry is not None and entry[0] is request and len(entry[1]) == len(request.units):
        return entry[1]
    return read_units(request.units)
