"""How the CLI prints an answer: ``--format json|table|summary|geojson`` and ``--tz``.

Shared by ``dispatch solve``, ``call`` and ``jobs get|result`` so every command offers the same
formats with the same meaning. The request travels with the answer because the answer alone
cannot be read by people: clock times need its ``horizon_start``, loads its dimension names,
GeoJSON its coordinates.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from google.protobuf.message import Message

from dispatch import geojson
from dispatch._proto.dispatch.v1 import jobs_pb2, routing_pb2
from dispatch.render import text, visits
from dispatch.render.clock import Clock, local_zone, zone

#: Answers that echo their request's horizon_start.
ECHOES = (routing_pb2.PlanRoutesResponse, routing_pb2.EvaluatePlanResponse)

FORMATS = ("json", "table", "summary", "geojson", "visits")


def zone_arg(value: str) -> object:
    """argparse type for --tz."""
    try:
        return zone(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def add_format_options(command: argparse.ArgumentParser, formats: Sequence[str] = FORMATS) -> None:
    """``--format`` and ``--tz``, shared by solve, call, jobs get/result."""
    command.add_argument(
        "--format",
        choices=formats,
        default="json",
        help="json (default: every field, enum names), table (one row per route or incident, "
        "clock times), summary (engine, status, objective, what was left out and why)"
        + (", geojson (RFC 7946, needs coordinates in the request)" if "geojson" in formats else "")
        + (
            ", visits (routing: every visit's arrival, start and end as clock times, and how late)"
            if "visits" in formats
            else ""
        ),
    )
    command.add_argument(
        "--tz",
        type=zone_arg,
        default=None,
        metavar="ZONE",
        help="time zone for clock times, e.g. Europe/Berlin (default: this machine's zone)",
    )


def _clock(request: Message | None, tz: object, answer: Message | None = None) -> Clock:
    """The request's clock (its horizon start) in ``tz`` (default: the machine's zone); the
    answer's echoed horizon_start when the request gives none; else 00:00."""
    zone_ = local_zone() if tz is None else tz
    try:
        if request is not None:
            clock = geojson.clock_of(request, zone_)
            if clock.has_date:
                return clock
    except TypeError:  # a job request: no horizon of its own
        pass
    if isinstance(answer, jobs_pb2.PlanJob):  # a job carries its request and its plan
        if answer.HasField("request"):
            return _clock(answer.request, zone_, answer.result)
        answer = answer.result
    if isinstance(answer, ECHOES) and answer.HasField("horizon_start"):
        return Clock.of(answer.horizon_start, zone_)
    return Clock.of(None)


def emit(answer: Message, fmt: str, request: Message | None, tz: object = None) -> None:
    """Print ``answer`` in ``fmt`` (json, table, summary, geojson); ``request`` places it."""
    if fmt == "json":
        print(text.to_json(answer), flush=True)
    elif fmt == "geojson":
        clock = _clock(request, tz, answer)
        collection = geojson.collection(request, answer, clock)  # type: ignore[arg-type]
        print(json.dumps(collection, indent=2), flush=True)
    elif fmt == "visits":
        print(visits.visit_text(answer, _clock(request, tz, answer)), flush=True)
    else:
        print(text.answer_text(answer, fmt, request, _clock(request, tz, answer)), flush=True)


def geojson_unusable(fmt: str, name: str, request: Message) -> bool:
    """Say why GeoJSON cannot be made before any solving is done; True when it cannot."""
    if fmt != "geojson":
        return False
    if name not in ("AssignUnits", "PlanRoutes", "EvaluatePlan"):
        print(f"error: --format geojson needs a plan; {name} does not answer one", file=sys.stderr)
        return True
    try:
        geojson.require_coordinates(request)
    except geojson.NoCoordinatesError as exc:
        print(f"error: --format geojson: {exc}", file=sys.stderr)
        return True
    return False
