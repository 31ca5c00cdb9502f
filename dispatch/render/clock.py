"""Offsets in seconds as the clock times people plan with.

Every time in the contract is seconds after the request's ``horizon_start``. A planner reads
"23:40", not "6000": with a horizon the offset becomes a wall-clock time in the chosen zone
(UTC unless asked otherwise, because the service cannot know the city's zone); without one the
offsets are read as a clock starting at 00:00, which is what a request without a date means.
"""

from __future__ import annotations

import datetime as dt
import os
import zoneinfo
from dataclasses import dataclass
from pathlib import Path

from google.protobuf import timestamp_pb2

_EPOCH_DAY = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def zone(name: str) -> dt.tzinfo:
    """An IANA time zone by name (``UTC``, ``Europe/Berlin``); ValueError if unknown."""
    if name.upper() == "UTC":
        return dt.UTC
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r} (use an IANA name such as UTC)") from exc


_UTC_NAMES = frozenset({"UTC", "Etc/UTC", "Universal", "Etc/Universal", "Zulu", "Etc/Zulu"})


def local_zone(localtime: Path = Path("/etc/localtime")) -> dt.tzinfo:
    """The machine's time zone, as the CLI's default for clock times.

    ``TZ`` first (as the C library reads it), then the IANA name that ``/etc/localtime`` links
    to, then the file itself; UTC when none can be read. An IANA zone (not a fixed offset)
    keeps times right across a daylight-saving change inside the horizon.
    """
    names = []
    env = os.environ.get("TZ", "").lstrip(":")
    if env:
        names.append(env)
    if localtime.is_symlink():
        target = str(localtime.resolve())
        if "zoneinfo/" in target:
            names.append(target.split("zoneinfo/", 1)[1])
    for name in names:
        if name in _UTC_NAMES:
            return dt.UTC
        try:
            return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
    try:
        with localtime.open("rb") as file:
            return zoneinfo.ZoneInfo.from_file(file, key="localtime")
    except (OSError, ValueError):
        return dt.UTC


@dataclass(frozen=True)
class Clock:
    """Turns offsets into datetimes and short labels, from a horizon start (or 00:00)."""

    origin: dt.datetime
    has_date: bool
    zone_label: str

    @classmethod
    def of(cls, horizon_start: timestamp_pb2.Timestamp | None, tz: dt.tzinfo = dt.UTC) -> Clock:
        """The clock of a request: its ``horizon_start`` if set (shown in ``tz``), else 00:00."""
        if horizon_start is None or (horizon_start.seconds == 0 and horizon_start.nanos == 0):
            return cls(_EPOCH_DAY, has_date=False, zone_label="")
        origin = horizon_start.ToDatetime(tzinfo=dt.UTC).astimezone(tz)
        return cls(origin, has_date=True, zone_label=str(tz))

    def at(self, offset: int | float) -> dt.datetime:
        """The moment ``offset`` seconds after the origin."""
        return self.origin + dt.timedelta(seconds=float(offset))

    def text(self, offset: int | float) -> str:
        """``HH:MM``, with ``+1d`` (etc.) once the time is on a later day than the origin."""
        moment = self.at(offset)
        days = (moment.date() - self.origin.date()).days
        label = moment.strftime("%H:%M")
        return f"{label}+{days}d" if days > 0 else label

    def iso(self, offset: int | float) -> str:
        """ISO 8601 with the zone offset when the request has a date; else ``HH:MM:SS``."""
        moment = self.at(offset)
        if self.has_date:
            return moment.isoformat()
        days = (moment.date() - self.origin.date()).days
        return f"{days}d{moment:%H:%M:%S}" if days else moment.strftime("%H:%M:%S")

    def describe(self) -> str:
        """One phrase for headers: what the clock times mean."""
        if not self.has_date:
            return "clock times count from 00:00 (the request has no horizon_start)"
        return f"times in {self.zone_label}, from {self.origin:%Y-%m-%d %H:%M}"


def duration_text(seconds: int | float) -> str:
    """``1h05`` or ``12m`` or ``40s``: durations as people say them."""
    seconds = round(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{(seconds % 3600) // 60:02d}"
    if seconds >= 60:
        return f"{seconds // 60}m"
    return f"{seconds}s"


def eta_text(seconds: int | float) -> str:
    """``6:05``: minutes and seconds, the precision a response time is judged at."""
    seconds = round(seconds)
    return f"{seconds // 60}:{seconds % 60:02d}"
