"""What the pictures show, computed without any plotting library: timeline pieces and KPIs.

A crew's day as coloured pieces (driving, service, unloading, break, waiting) comes straight
from the answer's visits: each visit says how long the leg into it took (``travel_seconds``,
ending at ``arrival``), how long the crew waited and when service ran. Time on a route that no
visit accounts for (leaving later than the previous visit ended) is waiting too, so the pieces
of a route tile it from departure to arrival home. The KPI rows are the figures a city quotes
when it compares plans: vehicles, driving, idle share, on-time share, cost.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dispatch._proto.dispatch.v1 import routing_pb2
from dispatch.geojson import enum_name
from dispatch.render.clock import duration_text

Visit = routing_pb2.Visit
ACTIVITIES = ("driving", "service", "unloading", "break", "waiting")
_SERVICE_ACTIVITY = {Visit.STOP: "service", Visit.FACILITY: "unloading", Visit.BREAK: "break"}


@dataclass(frozen=True)
class Segment:
    """One piece of a crew's timeline, in seconds from the time origin."""

    vehicle_id: str
    activity: str
    start: int
    end: int
    label: str


def route_segments(route: routing_pb2.Route) -> list[Segment]:
    """The pieces of one route, in time order; zero-length pieces are left out."""
    pieces: list[Segment] = []

    def add(activity: str, start: int, end: int, label: str) -> None:
        if end > start:
            pieces.append(Segment(route.vehicle_id, activity, start, end, label))

    visits = list(route.visits)
    if not visits:
        return pieces
    free_at = visits[0].service_start  # departure from the start location
    for visit in visits[1:]:
        leg_start = visit.arrival - visit.travel_seconds
        add("waiting", free_at, leg_start, f"idle before the drive to {visit.id}")
        add("driving", leg_start, visit.arrival, f"drive to {visit.id}")
        add("waiting", visit.arrival, visit.service_start, f"wait at {visit.id}")
        activity = _SERVICE_ACTIVITY.get(visit.kind)
        if activity is not None:
            add(activity, visit.service_start, visit.service_end, visit.id)
        free_at = max(free_at, visit.service_end if activity else visit.arrival)
    return pieces


def plan_segments(routes: Sequence[routing_pb2.Route]) -> list[Segment]:
    """The pieces of every route, route after route."""
    return [piece for route in routes for piece in route_segments(route)]


@dataclass(frozen=True)
class Kpi:
    """One KPI row: a name, the value, how to show it, and which direction is better."""

    name: str
    value: float
    show: Callable[[float], str]
    lower_is_better: bool | None = True


def _count(value: float) -> str:
    return f"{value:.0f}"


def _share(value: float) -> str:
    return f"{value:.0%}"


def _money(value: float) -> str:
    return f"{value:,.2f}"


def _km(value: float) -> str:
    return f"{value / 1000:,.1f} km"


def route_kpis(
    routes: Sequence[routing_pb2.Route],
    kpis: routing_pb2.RouteKpis,
    objective: float,
    violations: int | None = None,
) -> list[Kpi]:
    """The routing KPI panel; the same rows for a PlanRoutes and an EvaluatePlan answer."""
    route_time = sum(r.totals.duration for r in routes)
    idle = sum(s.end - s.start for s in plan_segments(routes) if s.activity == "waiting")
    rows = [
        Kpi("vehicles used", kpis.vehicles_used, _count),
        Kpi("driving time", kpis.travel_seconds, duration_text),
        Kpi("distance", kpis.travel_metres, _km),
        Kpi("route time", route_time, duration_text),
        Kpi("idle time (waiting)", idle, duration_text),
        Kpi("idle share of route time", idle / route_time if route_time else 0.0, _share),
        Kpi("utilisation (service / shift)", kpis.utilisation, _share, lower_is_better=False),
        Kpi("on-time share", kpis.on_time_share, _share, lower_is_better=False),
        Kpi("stops served", kpis.stops_served, _count, lower_is_better=False),
        Kpi("stops not served", kpis.stops_skipped, _count),
        Kpi("total cost", objective, _money),
    ]
    if violations is not None:
        rows.append(Kpi("rule violations", violations, _count))
    return rows


def skipped_by_reason(skipped: Sequence[routing_pb2.SkippedStop]) -> list[tuple[str, int]]:
    """(reason name, count) of the skipped stops, most frequent first."""
    counts = Counter(enum_name(routing_pb2.SkippedStop.Reason, s.reason) for s in skipped)
    return counts.most_common()


def change_text(kpi: Kpi, before: float) -> tuple[str, str]:
    """The change from ``before`` to ``kpi.value`` as text, and 'better'/'worse'/'same'."""
    delta = kpi.value - before
    if abs(delta) < 1e-9:
        return "=", "same"
    if kpi.show is _share:
        text = f"{delta * 100:+.0f} pts"
    else:
        text = ("+" if delta > 0 else "-") + kpi.show(abs(delta))
        if before:
            text += f" ({delta / abs(before):+.0%})"
    if kpi.lower_is_better is None:
        return text, "same"
    better = (delta < 0) == kpi.lower_is_better
    return text, "better" if better else "worse"
