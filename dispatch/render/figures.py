"""The plotly figures of a rendered plan: route map, crew timeline, emergency map.

Maps are drawn on plain longitude/latitude axes (latitude stretched by 1/cos(latitude), so a
kilometre looks the same both ways at city scale): that needs no tile server and no network,
which is what a file opened in a control room or attached to a report must manage. Given a tile
URL (``{z}/{x}/{y}``), the route map is drawn over those tiles instead, for those who have one.
The timeline is a horizontal bar chart on a date axis, so hours read as clock times.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import plotly.graph_objects as go
from plotly.colors import qualitative

from dispatch._proto.dispatch.v1 import emergency_pb2, routing_pb2
from dispatch.geojson import Position, enum_name, location_positions
from dispatch.render.clock import Clock, duration_text
from dispatch.render.segments import ACTIVITIES, plan_segments

Visit = routing_pb2.Visit
PALETTE = qualitative.D3 + qualitative.Dark24
ACTIVITY_COLOURS = {
    "driving": "#4C78A8",
    "service": "#54A24B",
    "unloading": "#B279A2",
    "break": "#F58518",
    "waiting": "#BAB0AC",
}
PRIORITY_COLOURS = ["#D62728", "#FF7F0E", "#E3B505", "#8C8C8C"]
_MARKERS = {
    Visit.START: ("star", 14),
    Visit.END: ("star", 14),
    Visit.STOP: ("circle", 8),
    Visit.FACILITY: ("square", 13),
    Visit.BREAK: ("diamond", 11),
}


def vehicle_colours(problem: routing_pb2.PlanRoutesRequest) -> dict[str, str]:
    """Vehicle id -> colour, by the vehicle's place in the request: a truck keeps its colour
    on the map, in the tables and in both halves of a before/after page."""
    return {v.id: PALETTE[i % len(PALETTE)] for i, v in enumerate(problem.vehicles)}


def _span(values: Sequence[float]) -> list[float]:
    """The range of ``values`` with 5% room on both sides (so edge markers are not cut)."""
    low, high = min(values), max(values)
    pad = max((high - low) * 0.05, 0.002)
    return [low - pad, high + pad]


def _map_layout(figure: go.Figure, positions: Sequence[Position], title: str) -> None:
    """Equal-distance axes framing every place of the request (the same frame for every plan)."""
    mean_lat = sum(p[1] for p in positions) / len(positions) if positions else 0.0
    stretch = 1.0 / max(math.cos(math.radians(mean_lat)), 0.1)
    frame = {}
    if positions:
        frame = {"x": _span([p[0] for p in positions]), "y": _span([p[1] for p in positions])}
    figure.update_layout(
        title=title or None,
        height=640,
        margin={"l": 60, "r": 20, "t": 50 if title else 20, "b": 50},
        plot_bgcolor="#F4F6F4",
        legend={"itemclick": "toggle", "itemdoubleclick": "toggleothers"},
        xaxis={"title": "longitude", "showgrid": False, "zeroline": False, "range": frame.get("x")},
        yaxis={
            "title": "latitude",
            "range": frame.get("y"),
            "showgrid": False,
            "zeroline": False,
            "scaleanchor": "x",
            "scaleratio": stretch,
        },
    )


def _visit_hover(visit: routing_pb2.Visit, clock: Clock) -> str:
    kind = enum_name(Visit.Kind, visit.kind)
    if visit.kind == Visit.START:
        return f"{visit.id} leaves {visit.location_id} at {clock.text(visit.service_start)}"
    if visit.kind == Visit.END:
        return f"{visit.id} back at {visit.location_id} at {clock.text(visit.arrival)}"
    return (
        f"{kind} {visit.id}<br>arrives {clock.text(visit.arrival)}, "
        f"{clock.text(visit.service_start)}-{clock.text(visit.service_end)}"
    )


def _route_trace(
    route: routing_pb2.Route, where: dict[str, Position], colour: str, clock: Clock, tiles: bool
) -> go.Scatter | go.Scattermap:
    placed = [v for v in route.visits if v.location_id in where]
    lon = [where[v.location_id][0] for v in placed]
    lat = [where[v.location_id][1] for v in placed]
    symbols = [_MARKERS.get(v.kind, ("circle", 8))[0] for v in placed]
    sizes = [_MARKERS.get(v.kind, ("circle", 8))[1] for v in placed]
    hover = [_visit_hover(v, clock) for v in placed]
    name = f"{route.vehicle_id} ({route.totals.stops} stops, {route.totals.trips} trips)"
    common = {
        "name": name,
        "mode": "lines+markers",
        "hovertext": hover,
        "hoverinfo": "text",
        "legendgroup": route.vehicle_id,
        "meta": route.vehicle_id,
    }
    if tiles:
        return go.Scattermap(
            lon=lon, lat=lat, line={"color": colour, "width": 3}, marker={"size": sizes}, **common
        )
    marker = {"color": colour, "symbol": symbols, "size": sizes, "line": {"width": 1}}
    return go.Scatter(x=lon, y=lat, line={"color": colour, "width": 2}, marker=marker, **common)


def _kind_trace(
    routes: Sequence[routing_pb2.Route],
    where: dict[str, Position],
    kind: int,
    name: str,
    symbol: str,
    colour: str,
) -> go.Scatter | None:
    """One legend entry marking every visit of a kind (disposal trips, breaks) on all routes."""
    visits = [(r.vehicle_id, v) for r in routes for v in r.visits if v.kind == kind]
    visits = [(vehicle, v) for vehicle, v in visits if v.location_id in where]
    if not visits:
        return None
    return go.Scatter(
        x=[where[v.location_id][0] for _, v in visits],
        y=[where[v.location_id][1] for _, v in visits],
        mode="markers",
        name=name,
        hovertext=[f"{vehicle}: {v.id}" for vehicle, v in visits],
        hoverinfo="text",
        marker={"symbol": symbol, "size": 20, "color": colour, "line": {"width": 2.5}},
    )


def _skipped_trace(
    problem: routing_pb2.PlanRoutesRequest,
    skipped: Sequence[routing_pb2.SkippedStop],
    where: dict[str, Position],
) -> go.Scatter | None:
    locations = {s.id: s.location_id for s in problem.stops}
    placed = [s for s in skipped if locations.get(s.stop_id) in where]
    if not placed:
        return None
    return go.Scatter(
        x=[where[locations[s.stop_id]][0] for s in placed],
        y=[where[locations[s.stop_id]][1] for s in placed],
        mode="markers",
        name=f"not served ({len(placed)})",
        hovertext=[
            f"{s.stop_id}: {enum_name(routing_pb2.SkippedStop.Reason, s.reason)}" for s in placed
        ],
        hoverinfo="text",
        marker={"symbol": "x", "size": 11, "color": "#555"},
    )


@dataclass(frozen=True)
class Backdrop:
    """What every plan of a page is drawn against: the request (places, vehicles, load
    dimensions), the clock that reads its seconds, and the map tiles ("" for none)."""

    problem: routing_pb2.PlanRoutesRequest
    clock: Clock
    tile_url: str = ""


def route_map(
    backdrop: Backdrop,
    routes: Sequence[routing_pb2.Route],
    skipped: Sequence[routing_pb2.SkippedStop],
    title: str = "",
) -> go.Figure:
    """One coloured line per vehicle through its visits; disposal trips, breaks, skips marked."""
    problem, clock, tile_url = backdrop.problem, backdrop.clock, backdrop.tile_url
    where = location_positions(problem)
    figure = go.Figure()
    colours = vehicle_colours(problem)
    for route in routes:
        colour = colours.get(route.vehicle_id, PALETTE[0])
        figure.add_trace(_route_trace(route, where, colour, clock, bool(tile_url)))
    if tile_url:
        _tile_layout(figure, list(where.values()), title, tile_url)
        return figure
    for extra in (
        _kind_trace(routes, where, Visit.FACILITY, "disposal trips", "square-open", "#222"),
        _kind_trace(
            routes, where, Visit.BREAK, "breaks", "diamond-open", ACTIVITY_COLOURS["break"]
        ),
        _skipped_trace(problem, skipped, where),
    ):
        if extra is not None:
            figure.add_trace(extra)
    _map_layout(figure, list(where.values()), title)
    return figure


def _tile_layout(figure: go.Figure, positions: list[Position], title: str, url: str) -> None:
    """A MapLibre map over the caller's raster tiles (plotly bundles MapLibre, no CDN)."""
    lon = sum(p[0] for p in positions) / len(positions)
    lat = sum(p[1] for p in positions) / len(positions)
    style = {
        "version": 8,
        "sources": {"tiles": {"type": "raster", "tiles": [url], "tileSize": 256}},
        "layers": [{"id": "tiles", "type": "raster", "source": "tiles"}],
    }
    figure.update_layout(
        title=title,
        height=640,
        margin={"l": 10, "r": 10, "t": 50, "b": 10},
        map={"style": style, "center": {"lon": lon, "lat": lat}, "zoom": 11},
    )


def time_span(*plans: Sequence[routing_pb2.Route]) -> tuple[int, int] | None:
    """First departure and last arrival over the plans (to draw them on the same time axis)."""
    pieces = [p for routes in plans for p in plan_segments(routes)]
    if not pieces:
        return None
    return min(p.start for p in pieces), max(p.end for p in pieces)


def gantt(
    routes: Sequence[routing_pb2.Route],
    clock: Clock,
    title: str = "",
    span: tuple[int, int] | None = None,
) -> go.Figure:
    """One row per vehicle; driving, service, unloading, breaks and waiting as coloured bars."""
    pieces = plan_segments(routes)
    vehicles = [r.vehicle_id for r in routes]
    figure = go.Figure()
    for activity in ACTIVITIES:
        mine = [p for p in pieces if p.activity == activity]
        if not mine:
            continue
        figure.add_trace(
            go.Bar(
                orientation="h",
                name=activity,
                y=[p.vehicle_id for p in mine],
                base=[clock.at(p.start).isoformat() for p in mine],
                x=[(p.end - p.start) * 1000 for p in mine],  # a date axis counts milliseconds
                marker={"color": ACTIVITY_COLOURS[activity]},
                hovertext=[
                    f"{p.vehicle_id} {activity} {clock.text(p.start)}-{clock.text(p.end)} "
                    f"({duration_text(p.end - p.start)}): {p.label}"
                    for p in mine
                ],
                hoverinfo="text",
            )
        )
    padding = 600
    x_range = (
        [clock.at(span[0] - padding).isoformat(), clock.at(span[1] + padding).isoformat()]
        if span
        else None
    )
    figure.update_layout(
        title=title or None,
        barmode="overlay",
        height=140 + 46 * max(len(vehicles), 1),
        margin={"l": 110, "r": 20, "t": 60, "b": 40},
        xaxis={
            "type": "date",
            "tickformat": "%H:%M",
            "title": clock.describe(),
            "range": x_range,
        },
        yaxis={
            "type": "category",
            "categoryorder": "array",
            "categoryarray": vehicles,
            "autorange": "reversed",
        },
        legend={"orientation": "h", "x": 1, "xanchor": "right", "y": 1.02, "yanchor": "bottom"},
    )
    return figure


def emergency_map(
    request: emergency_pb2.AssignUnitsRequest, answer: emergency_pb2.AssignUnitsResponse
) -> go.Figure:
    """Incidents coloured by priority, units by whether they were sent, a line per assignment."""
    incidents = {x.id: x for x in request.incidents if x.HasField("position")}
    units = {u.id: u for u in request.units if u.HasField("position")}
    figure = go.Figure()
    for within, colour, name in ((True, "#2CA02C", "in time"), (False, "#D62728", "late")):
        lon: list[float | None] = []
        lat: list[float | None] = []
        hover: list[str] = []
        for decision in answer.incidents:
            target = incidents.get(decision.incident_id)
            for sent in decision.units:
                unit = units.get(sent.unit_id)
                if target is None or unit is None or sent.within_target != within:
                    continue
                lon += [unit.position.longitude, target.position.longitude, None]
                lat += [unit.position.latitude, target.position.latitude, None]
                text = f"{sent.unit_id} -> {decision.incident_id}, ETA {sent.eta_seconds} s"
                hover += [text, text, ""]
        if lon:
            figure.add_trace(
                go.Scatter(
                    x=lon,
                    y=lat,
                    mode="lines",
                    name=f"assignment, {name}",
                    line={"color": colour, "width": 2},
                    hovertext=hover,
                    hoverinfo="text",
                )
            )
    _unit_traces(figure, request, answer, units)
    _incident_traces(figure, request, incidents)
    points = [(u.position.longitude, u.position.latitude) for u in units.values()]
    points += [(x.position.longitude, x.position.latitude) for x in incidents.values()]
    _map_layout(figure, points, "Incidents, units and assignments")
    return figure


def _unit_traces(
    figure: go.Figure,
    request: emergency_pb2.AssignUnitsRequest,
    answer: emergency_pb2.AssignUnitsResponse,
    units: dict[str, emergency_pb2.Unit],
) -> None:
    sent = {u.unit_id for d in answer.incidents for u in d.units}
    for is_sent, name, colour in ((True, "units sent", "#1F77B4"), (False, "other units", "#999")):
        group = [u for u in units.values() if (u.id in sent) == is_sent]
        if not group:
            continue
        figure.add_trace(
            go.Scatter(
                x=[u.position.longitude for u in group],
                y=[u.position.latitude for u in group],
                mode="markers+text" if is_sent else "markers",
                text=[u.id for u in group] if is_sent else None,
                textposition="bottom center",
                name=f"{name} ({len(group)})",
                hovertext=[
                    f"{u.id} ({u.agency}, {enum_name(emergency_pb2.Unit.Status, u.status)}): "
                    + ", ".join(u.capabilities)
                    for u in group
                ],
                hoverinfo="text",
                marker={"symbol": "triangle-up", "size": 10, "color": colour},
            )
        )


def _incident_traces(
    figure: go.Figure,
    request: emergency_pb2.AssignUnitsRequest,
    incidents: dict[str, emergency_pb2.Incident],
) -> None:
    for priority in sorted({x.priority for x in incidents.values()}):
        group = [x for x in incidents.values() if x.priority == priority]
        figure.add_trace(
            go.Scatter(
                x=[x.position.longitude for x in group],
                y=[x.position.latitude for x in group],
                mode="markers+text",
                text=[x.id for x in group],
                textposition="top center",
                name=f"incidents P{priority}",
                hovertext=[f"{x.id} P{x.priority} {x.district}" for x in group],
                hoverinfo="text",
                marker={
                    "symbol": "diamond",
                    "size": 16,
                    "color": PRIORITY_COLOURS[min(priority, len(PRIORITY_COLOURS)) - 1],
                    "line": {"color": "#000", "width": 1},
                },
            )
        )
