"""PlanRoutesRequest.travel_periods, field by field (routing.proto, TravelPeriods).

Bad input the issue names (#13, "Bad input"): periods whose validity times overlap or leave
gaps. Offsets must start at 0 and follow on without gap or overlap up to an open end (or one at
or after every shift end); times of day must tile the 24-hour day. Every problem names its
field path, e.g. ``travel_periods[0].periods[2].start``.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dispatch._proto.dispatch.v1 import routing_pb2
from dispatch.validation.common import Problems, check_matrix, has_distances, show
from dispatch.wire.travel_periods import by_time_of_day, parse_time_of_day

__all__ = ["MAX_PERIODS", "check_travel_periods", "period_types"]

#: Periods per entry: one every 15 minutes of a day is more than any road model gives.
MAX_PERIODS = 96

_OFFSET_LIMIT = 2**31 - 1
#: Times of day are unrolled day by day around horizon_start with Python dates (years 1..9999).
_YEARS_1900_TO_9000 = (-2_208_988_800, 221_845_392_000)
_DAY = 86400


def period_types(request: routing_pb2.PlanRoutesRequest) -> set[str]:
    """Vehicle types with periods ("" = the default matrix): their base matrices may leave the
    durations out."""
    return {entry.vehicle_type for entry in request.travel_periods}


def check_travel_periods(request: routing_pb2.PlanRoutesRequest, problems: Problems) -> None:
    """Every problem of ``travel_periods`` into ``problems``."""
    types = {t.vehicle_type for t in request.vehicle_type_matrices if t.vehicle_type}
    seen: set[str] = set()
    n = len(request.location_ids)
    for i, entry in enumerate(request.travel_periods):
        path = f"travel_periods[{i}]"
        name = entry.vehicle_type
        if name and name not in types:
            problems.add(
                f"{path}.vehicle_type",
                f"Vehicle type {show(name)} has no matrix in vehicle_type_matrices.",
            )
        elif name in seen:
            which = f"vehicle type {show(name)}" if name else "the default matrix"
            problems.add(f"{path}.vehicle_type", f"Second set of periods for {which}.")
        seen.add(name)
        if not entry.periods:
            problems.add(f"{path}.periods", "At least one period is required.")
            continue
        if len(entry.periods) > MAX_PERIODS:
            problems.add(f"{path}.periods", f"{len(entry.periods)} periods; at most {MAX_PERIODS}.")
            continue
        for j, period in enumerate(entry.periods):
            where = f"{path}.periods[{j}].travel"
            check_matrix(problems, where, period.travel, n, n, f"{n} x {n} locations")
            if has_distances(period.travel):
                problems.add(
                    where, "A period gives durations only; distances come from the base matrix."
                )
        if by_time_of_day(entry):
            _times_of_day(request, entry, path, problems)
        else:
            _offsets(request, entry, path, problems)


def _offsets(
    request: routing_pb2.PlanRoutesRequest,
    entry: routing_pb2.TravelPeriods,
    path: str,
    problems: Problems,
) -> None:
    """Offsets: from 0, each period where the previous ends, the last open or past every shift."""
    last = len(entry.periods) - 1
    for j, period in enumerate(entry.periods):
        where = f"{path}.periods[{j}]"
        if not 0 <= period.start <= _OFFSET_LIMIT or not 0 <= period.end <= _OFFSET_LIMIT:
            problems.add(where, "Period start and end must lie in 0..2^31-1 seconds.")
            return
        if j == 0 and period.start != 0:
            problems.add(f"{where}.start", f"Leaves a gap from 0 to {period.start} s.")
        if j > 0 and entry.periods[j - 1].end:  # after an open end: reported there
            before = entry.periods[j - 1].end
            if period.start < before:
                problems.add(f"{where}.start", f"Overlaps the previous period (ends {before} s).")
            elif period.start > before:
                problems.add(f"{where}.start", f"Leaves a gap from {before} to {period.start} s.")
        if period.end == 0 and j < last:
            problems.add(f"{where}.end", "Only the last period may be open-ended (end 0).")
        elif period.end != 0 and period.end <= period.start:
            problems.add(f"{where}.end", "The end must be after the start.")
    end = entry.periods[last].end
    latest = max(
        (v.shift.end if v.HasField("shift") else _OFFSET_LIMIT for v in request.vehicles),
        default=0,
    )
    if end and end < latest:
        problems.add(
            f"{path}.periods[{last}].end",
            f"Leaves a gap after {end} s while vehicles are on shift; use 0 (open-ended).",
        )


def _times_of_day(
    request: routing_pb2.PlanRoutesRequest,
    entry: routing_pb2.TravelPeriods,
    path: str,
    problems: Problems,
) -> None:
    """Times of day: all given, parseable, one after another round the whole day."""
    if not request.HasField("horizon_start"):
        problems.add("horizon_start", "Travel periods by time of day need horizon_start.")
    elif not _YEARS_1900_TO_9000[0] <= request.horizon_start.seconds <= _YEARS_1900_TO_9000[1]:
        problems.add(
            "horizon_start", "Travel periods by time of day need a horizon_start in 1900..9000."
        )
    if entry.time_zone:
        try:
            ZoneInfo(entry.time_zone)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # a directory, a name too long
            problems.add(f"{path}.time_zone", f"Unknown time zone {show(entry.time_zone)}.")
    spans: list[tuple[int, int]] = []
    for j, period in enumerate(entry.periods):
        where = f"{path}.periods[{j}]"
        if period.start or period.end:
            problems.add(where, "Give times of day or offsets, not both.")
            return
        times = []
        for field in ("start_time_of_day", "end_time_of_day"):
            value = parse_time_of_day(getattr(period, field))
            if value is None:
                problems.add(
                    f"{where}.{field}", f"{show(getattr(period, field))} is not HH:MM or HH:MM:SS."
                )
            times.append(value)
        if None in times:
            return
        spans.append((times[0], times[1]))
    for j, (start, end) in enumerate(spans):
        if start == end and len(spans) > 1:
            problems.add(f"{path}.periods[{j}]", "Empty period: it ends where it starts.")
            return
        before_start, before_end = spans[j - 1]  # the last period's end meets the first's start
        if start != before_end:
            inside = (start - before_start) % _DAY < (before_end - before_start) % _DAY
            kind = "overlaps" if inside else "leaves a gap after"
            problems.add(
                f"{path}.periods[{j}].start_time_of_day",
                f"This period {kind} the previous one: it ends at {_clock(before_end)}, this "
                f"starts at {_clock(start)}.",
            )
            return
    covered = sum((end - start) % _DAY for start, end in spans) or _DAY
    if covered != _DAY:
        problems.add(
            f"{path}.periods",
            f"The periods overlap: they go round the day {covered // _DAY} times, not once.",
        )


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
