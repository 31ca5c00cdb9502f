"""``--format visits``: one line per visit (start, stops, unloads, breaks, end) with clock times.

A crew is told "be at Elm St 3 at 08:40", so this sheet prints every visit's arrival, start
and end as clock times in the zone the caller chose (``--tz``). When the answer carries absolute
times (PlanRoutes and EvaluatePlan answers to a request with a ``horizon_start``) those are what
is shown, converted to the zone; otherwise the offsets are read on the request's clock. Late
and early seconds of soft windows are shown beside the times.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from google.protobuf import timestamp_pb2

from dispatch._proto.dispatch.v1 import routing_pb2
from dispatch.geojson import enum_name
from dispatch.render.clock import Clock, duration_text
from dispatch.render.text import grid

__all__ = ["visit_sheet", "visit_text"]


def _time(clock: Clock, visit: routing_pb2.Visit, field: str, offset: int) -> str:
    """The visit's absolute ``field`` (a Timestamp) in the clock's zone, else its offset."""
    if not visit.HasField(field):
        return clock.text(offset)
    stamp: timestamp_pb2.Timestamp = getattr(visit, field)
    moment = stamp.ToDatetime(tzinfo=dt.UTC).astimezone(clock.origin.tzinfo)
    days = (moment.date() - clock.origin.date()).days
    label = moment.strftime("%H:%M")
    return f"{label}+{days}d" if days > 0 else label


def _late(visit: routing_pb2.Visit) -> str:
    if visit.lateness:
        return f"+{duration_text(visit.lateness)} late"
    if visit.earliness:
        return f"-{duration_text(visit.earliness)} early"
    return ""


def visit_sheet(routes: Sequence[routing_pb2.Route], clock: Clock) -> str:
    """Every visit of every route: vehicle, kind, id, arrive, start, end, lateness."""
    rows = []
    for route in routes:
        for visit in route.visits:
            rows.append(
                [
                    route.vehicle_id,
                    enum_name(routing_pb2.Visit.Kind, visit.kind),
                    visit.id,
                    _time(clock, visit, "arrival_time", visit.arrival),
                    _time(clock, visit, "service_start_time", visit.service_start),
                    _time(clock, visit, "service_end_time", visit.service_end),
                    _late(visit) or "-",
                ]
            )
    if not rows:
        return "no routes"
    headers = ["vehicle", "kind", "id", "arrive", "start", "end", "window"]
    return "\n".join([f"({clock.describe()})", grid(headers, rows)])


def visit_text(answer: object, clock: Clock) -> str:
    """The visit sheet of a PlanRoutes or EvaluatePlan answer (or a finished job's plan)."""
    routes = getattr(answer, "routes", None)
    if routes is None and getattr(answer, "result", None) is not None:
        routes = answer.result.routes  # type: ignore[attr-defined]
    if routes is None:
        return "--format visits needs a routing plan (PlanRoutes, EvaluatePlan or a plan job)"
    return visit_sheet(routes, clock)
