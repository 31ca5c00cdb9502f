"""PlanRoutesRequest.travel_periods -> solvers' TravelPeriods, one per travel profile.

Offsets are taken as they are. Times of day are resolved against ``horizon_start`` in the
periods' time zone, day by day (so a DST change moves rush hour with the local clock), from the
day before the horizon starts until a day after the last time that matters (the latest finite
shift end, at most ``MAX_DAYS`` days): drives after that keep the period in force then.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from zoneinfo import ZoneInfo

import numpy as np

from dispatch._proto.dispatch.v1 import routing_pb2
from dispatch.wire import matrices
from solvers.routing.problem import UNLIMITED, Vehicle
from solvers.routing.travel_periods import TravelPeriods, bounded_durations

__all__ = ["MAX_DAYS", "parse_time_of_day", "periods_by_profile", "planning_durations"]

#: Days after horizon_start over which times of day are unrolled (a month of plans).
MAX_DAYS = 31

_DAY = 86400
_TIME_OF_DAY = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")


def parse_time_of_day(text: str) -> int | None:
    """Seconds after midnight of "HH:MM" or "HH:MM:SS", or None when it is not one."""
    match = _TIME_OF_DAY.match(text)
    if match is None:
        return None
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + int(seconds or 0)


def by_time_of_day(entry: routing_pb2.TravelPeriods) -> bool:
    """True when the entry gives times of day rather than offsets."""
    return any(p.start_time_of_day or p.end_time_of_day for p in entry.periods)


def periods_by_profile(
    request: routing_pb2.PlanRoutesRequest, types: dict[str, int], horizon_end: int
) -> tuple[TravelPeriods | None, ...]:
    """Per profile (0 = default, then ``types``' indices), its periods or None; () when the
    request has none. The request must be validated first."""
    if not request.travel_periods:
        return ()
    out: list[TravelPeriods | None] = [None] * (len(types) + 1)
    n = len(request.location_ids)
    for entry in request.travel_periods:
        grids = tuple(matrices.durations(p.travel, n, n) for p in entry.periods)
        if by_time_of_day(entry):
            starts, matrix_of = _unrolled(entry, request.horizon_start.seconds, horizon_end)
        else:
            starts, matrix_of = [int(p.start) for p in entry.periods], list(range(len(grids)))
        out[types.get(entry.vehicle_type, 0)] = TravelPeriods(
            tuple(starts), tuple(matrix_of), grids
        )
    return tuple(out)


def horizon_end(vehicles: Sequence[Vehicle]) -> int:
    """The latest finite shift end (seconds), capped at MAX_DAYS; a day when none is finite."""
    ends = [v.shift.end for v in vehicles if v.shift.end < UNLIMITED]
    return min(max(ends, default=_DAY), MAX_DAYS * _DAY)


def _unrolled(
    entry: routing_pb2.TravelPeriods, origin: int, until: int
) -> tuple[list[int], list[int]]:
    """Period starts (seconds from ``origin``) and matrix indices of a daily cycle, from the
    period in force at the origin until a day after ``until``."""
    zone = ZoneInfo(entry.time_zone or "UTC")
    first_day = dt.datetime.fromtimestamp(origin, zone).date() - dt.timedelta(days=1)
    days = until // _DAY + 3
    found: list[tuple[int, int]] = []
    for d in range(days):
        day = first_day + dt.timedelta(days=d)
        for m, period in enumerate(entry.periods):
            seconds = parse_time_of_day(period.start_time_of_day) or 0
            clock = dt.time(seconds // 3600, seconds // 60 % 60, seconds % 60)
            at = dt.datetime.combine(day, clock, tzinfo=zone)  # wall time; zoneinfo does DST
            found.append((int(at.timestamp()) - origin, m))
    found.sort()
    before = [i for i, (at, _) in enumerate(found) if at <= 0]
    found = found[before[-1] if before else 0 :]
    starts: list[int] = []
    matrix_of: list[int] = []
    for at, m in found:
        if starts and at <= starts[-1]:
            starts.pop(), matrix_of.pop()  # a DST gap made two starts meet: the later wins
        if matrix_of and matrix_of[-1] == m:
            continue
        starts.append(at)
        matrix_of.append(m)
    starts[0] = max(starts[0], 0)  # the period in force at the origin starts there
    return starts, matrix_of


def planning_durations(
    durations: Sequence[np.ndarray],
    periods: tuple[TravelPeriods | None, ...],
    vehicles: Sequence[Vehicle],
) -> list[np.ndarray]:
    """The engines' matrices: each profile with periods gets its upper bound (see
    ``solvers.routing.travel_periods``); the others keep their own."""
    if not periods:
        return list(durations)
    return list(bounded_durations(periods, durations, vehicles, upper=True))
