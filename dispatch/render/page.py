"""One self-contained HTML page per plan: plotly's JavaScript inlined, no CDN, no tiles.

The page must open from a mail attachment in a control room without a network, so everything
it needs is in the file (about 5 MB, nearly all of it plotly.js, included once). Tables and the
KPI panel are plain HTML written here: they need no library and stay readable if scripts are
blocked. Every caller string is escaped. Sections carry stable ids (``kpis``, ``map``,
``gantt``, ``routes``, ``skipped``, ``compare``, ``eta``, ``unfilled``) that tests and
stylesheets can rely on.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import plotly.graph_objects as go
from plotly.offline import get_plotlyjs

from dispatch._proto.dispatch.v1 import common_pb2, emergency_pb2, routing_pb2
from dispatch.geojson import enum_name, has_coordinates
from dispatch.render import figures
from dispatch.render.clock import Clock, eta_text
from dispatch.render.segments import Kpi, change_text, route_kpis, skipped_by_reason
from dispatch.render.text import PRIORITY_HEADERS, priority_rows, route_rows

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#222}
h1{font-size:1.5em;margin-bottom:4px} h2{font-size:1.2em;margin-top:28px}
.meta{color:#555;margin:2px 0} table{border-collapse:collapse;margin:8px 0}
th,td{border-bottom:1px solid #ddd;padding:4px 10px;text-align:left;vertical-align:top}
td.n{text-align:right;font-variant-numeric:tabular-nums} th{background:#f3f3f3}
.better{color:#1a7f37;font-weight:600} .worse{color:#c62828;font-weight:600}
.warn{background:#fff4e5;border-left:4px solid #f58518;padding:6px 10px}
.pair{display:grid;grid-template-columns:1fr 1fr;gap:16px}
.top{display:grid;grid-template-columns:minmax(260px,330px) 1fr;gap:20px;align-items:start}
td:first-child{white-space:nowrap} .swatch{display:inline-block;
width:12px;height:12px;border-radius:2px;margin-right:6px;vertical-align:middle}
"""
_READY = """
<script>
window.addEventListener("load", function () {
  var plots = document.querySelectorAll(".js-plotly-plot");
  var drawn = document.querySelectorAll(".js-plotly-plot .main-svg").length;
  document.body.setAttribute("data-plots", String(plots.length));
  document.body.setAttribute("data-rendered", drawn > 0 ? "yes" : "no");
});
</script>
"""


def _e(value: object) -> str:
    return html.escape(str(value))


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]], numeric: set[int]) -> str:
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{_e(c)}</td>' if i in numeric else f"<td>{_e(c)}</td>"
            for i, c in enumerate(row)
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _figure(figure: go.Figure, div_id: str) -> str:
    """A figure as a div and its script; plotly.js itself is in the page head, once."""
    return figure.to_html(
        full_html=False,
        include_plotlyjs=False,
        div_id=div_id,
        config={"displaylogo": False, "responsive": True},
    )


def _document(title: str, kind: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{_e(title)}</title><style>{_STYLE}</style>"
        f'<script type="text/javascript">{get_plotlyjs()}</script></head>'
        f'<body data-kind="{kind}">{body}{_READY}'
        '<footer class="meta">Drawn by <code>dispatch render</code>; opens offline.</footer>'
        "</body></html>\n"
    )


def _header(title: str, status: str, clock: Clock) -> str:
    """The page's title, ``status`` (how the plan was solved, or its verdict) and its clock."""
    return (
        f'<header><h1>{_e(title)}</h1>{status}<p class="meta">{_e(clock.describe())}</p></header>'
    )


def _kpi_section(table: str) -> str:
    return f'<section id="kpis"><h2>KPIs</h2>{table}</section>'


def _solve_info(info: common_pb2.SolveInfo) -> str:
    status = enum_name(common_pb2.SolveStatus, info.status)
    seconds = info.wall_time.ToTimedelta().total_seconds()
    line = f"{status} by {info.engine or '-'} in {seconds:.2f} s, objective {info.objective:,.2f}"
    out = f'<p class="meta">{_e(line)}</p>'
    if info.degraded:
        out += f'<p class="warn">Degraded: {_e(info.degraded_reason)}</p>'
    if info.fallback_reason:
        out += f'<p class="meta">Fallback: {_e(info.fallback_reason)}</p>'
    return out


def _kpi_panel(rows: Sequence[Kpi]) -> str:
    return _table(["KPI", "value"], [[k.name, k.show(k.value)] for k in rows], {1})


def _route_table(
    problem: routing_pb2.PlanRoutesRequest,
    routes: Sequence[routing_pb2.Route],
    clock: Clock,
    prefix: str,
) -> str:
    """The route sheet, each vehicle with its map colour."""
    headers = ["vehicle", "stops", "start", "end", "duration", "travel", "load", "trips", "cost"]
    numeric = {1, 4, 5, 7, 8}
    body = []
    colours = figures.vehicle_colours(problem)
    for row in route_rows(routes, clock, problem.load_dimensions):
        colour = colours.get(str(row[0]), figures.PALETTE[0])
        swatch = f'<span class="swatch" style="background:{colour}"></span>'
        cells = [f"<td>{swatch}{_e(row[0])}</td>"] + [
            f'<td class="n">{_e(c)}</td>' if i in numeric else f"<td>{_e(c)}</td>"
            for i, c in enumerate(row[1:], start=1)
        ]
        body.append(f"<tr>{''.join(cells)}</tr>")
    head = "".join(f"<th>{_e(h)}</th>" for h in headers)
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    return f'<section id="{prefix}routes"><h2>Routes</h2>{table}</section>'


def _skipped_section(skipped: Sequence[routing_pb2.SkippedStop], prefix: str) -> str:
    if not skipped:
        return f'<section id="{prefix}skipped"><h2>Stops not served</h2><p>None.</p></section>'
    counts = ", ".join(f"{name}: {n}" for name, n in skipped_by_reason(skipped))
    rows = [
        [s.stop_id, enum_name(routing_pb2.SkippedStop.Reason, s.reason), s.detail] for s in skipped
    ]
    return (
        f'<section id="{prefix}skipped"><h2>Stops not served</h2><p>{_e(counts)}</p>'
        f"{_table(['stop', 'reason', 'detail'], rows, set())}</section>"
    )


_MAP_KEY = (
    "One colour per vehicle; stars: depots; squares: disposal trips; diamonds: breaks; "
    "x: stops not served. Drag to zoom, double-click to reset, click a legend entry to hide it."
)


def _plan_sections(
    backdrop: figures.Backdrop,
    routes: Sequence[routing_pb2.Route],
    skipped: Sequence[routing_pb2.SkippedStop],
    prefix: str,
    span: tuple[int, int] | None = None,
    side: str = "",
) -> str:
    """Map (when the request has coordinates) with ``side`` (the KPI panel) beside it, then the
    timeline, the route table and the skipped stops: map and timeline fit one screen."""
    problem, clock = backdrop.problem, backdrop.clock
    parts = [f'<div class="top">{side}' if side else "", f'<section id="{prefix}map">']
    parts.append("<h2>Route map</h2>")
    if has_coordinates(problem):
        figure = figures.route_map(backdrop, routes, skipped)
        parts.append(f'<p class="meta">{_MAP_KEY}</p>{_figure(figure, f"{prefix}map-plot")}')
    else:
        parts.append('<p class="warn">No map: the request has no location_coordinates.</p>')
    parts.append("</section></div>" if side else "</section>")
    timeline = figures.gantt(routes, clock, "", span or figures.time_span(routes))
    parts.append(
        f'<section id="{prefix}gantt"><h2>Crew timeline</h2>'
        f"{_figure(timeline, f'{prefix}gantt-plot')}</section>"
    )
    parts.append(_route_table(problem, routes, clock, prefix))
    parts.append(_skipped_section(skipped, prefix))
    return "".join(parts)


def _one_plan(
    backdrop: figures.Backdrop,
    title: str,
    status: str,
    kpis: Sequence[Kpi],
    routes: Sequence[routing_pb2.Route],
    skipped: Sequence[routing_pb2.SkippedStop],
) -> str:
    """Header, then the KPI panel beside the map, then the plan's other sections."""
    panel = _kpi_section(_kpi_panel(kpis))
    sections = _plan_sections(backdrop, routes, skipped, "", side=panel)
    return _header(title, status, backdrop.clock) + sections


def routing_page(backdrop: figures.Backdrop, answer: routing_pb2.PlanRoutesResponse) -> str:
    """A PlanRoutes answer: header, KPI panel, route map, crew timeline, tables."""
    title = answer.label or backdrop.problem.label or "Route plan"
    kpis = route_kpis(answer.routes, answer.kpis, answer.solve_info.objective)
    status = _solve_info(answer.solve_info)
    body = _one_plan(backdrop, title, status, kpis, answer.routes, answer.skipped_stops)
    return _document(title, "routing", body)


def evaluation_page(backdrop: figures.Backdrop, answer: routing_pb2.EvaluatePlanResponse) -> str:
    """A caller's own plan (EvaluatePlan): the same page, with its violations listed."""
    title = answer.label or backdrop.problem.label or "Evaluated plan"
    objective = sum(t.value for t in answer.objective_terms)
    kpis = route_kpis(answer.routes, answer.kpis, objective, len(answer.violations))
    verdict = (
        "feasible" if answer.feasible else f"not feasible: {len(answer.violations)} violations"
    )
    body = _one_plan(backdrop, title, f'<p class="meta">{_e(verdict)}</p>', kpis, answer.routes, ())
    return _document(title, "evaluation", body + _violations_section(answer.violations, ""))


def _violations_section(violations: Sequence[routing_pb2.Violation], prefix: str) -> str:
    rows = [
        [enum_name(routing_pb2.Violation.Type, v.type), v.id, v.amount, v.detail]
        for v in violations
    ]
    table = _table(["type", "id", "amount", "detail"], rows, {2}) if rows else "<p>None.</p>"
    return f'<section id="{prefix}violations"><h2>Rule violations</h2>{table}</section>'


def comparison_page(
    backdrop: figures.Backdrop,
    before: routing_pb2.EvaluatePlanResponse,
    after: routing_pb2.PlanRoutesResponse,
) -> str:
    """The dispatcher's plan and the optimised one side by side, KPI differences first."""
    title = after.label or backdrop.problem.label or "Before and after"
    old = route_kpis(
        before.routes,
        before.kpis,
        sum(t.value for t in before.objective_terms),
        len(before.violations),
    )
    new = route_kpis(after.routes, after.kpis, after.solve_info.objective, 0)
    rows = []
    for was, now in zip(old, new, strict=True):
        change, verdict = change_text(now, was.value)
        rows.append(
            f"<tr><td>{_e(now.name)}</td><td class='n'>{_e(was.show(was.value))}</td>"
            f"<td class='n'>{_e(now.show(now.value))}</td>"
            f"<td class='n {verdict}'>{_e(change)}</td></tr>"
        )
    compare = (
        "<table><thead><tr><th>KPI</th><th>before (dispatcher)</th><th>after (optimised)</th>"
        f"<th>change</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )
    span = figures.time_span(before.routes, after.routes)
    sides = (
        '<div class="pair"><div id="before"><h1>Before: the dispatcher\'s plan</h1>'
        + _plan_sections(backdrop, before.routes, (), "before-", span)
        + _violations_section(before.violations, "before-")
        + '</div><div id="after"><h1>After: optimised</h1>'
        + _plan_sections(backdrop, after.routes, after.skipped_stops, "after-", span)
        + "</div></div>"
    )
    body = (
        _header(title, _solve_info(after.solve_info), backdrop.clock)
        + f'<section id="compare"><h2>Before and after</h2>{compare}</section>{sides}'
    )
    return _document(title, "comparison", body)


def emergency_page(
    request: emergency_pb2.AssignUnitsRequest,
    answer: emergency_pb2.AssignUnitsResponse,
    clock: Clock,
) -> str:
    """An AssignUnits answer: map with assignment lines, ETAs by priority, unfilled slots."""
    title = answer.label or request.label or "Emergency dispatch"
    k = answer.kpis
    panel = _table(
        ["KPI", "value"],
        [
            ["incidents fully staffed", f"{k.fully_staffed} of {k.incidents}"],
            ["units within target", f"{k.share_within_target:.0%}"],
            ["units dispatched", k.units_dispatched],
            ["units re-routed", k.units_reassigned],
        ],
        {1},
    )
    if has_coordinates(request):
        plot = _figure(figures.emergency_map(request, answer), "map-plot")
        map_section = f'<section id="map">{plot}</section>'
    else:
        map_section = '<section id="map"><p class="warn">No map: no positions.</p></section>'
    body = (
        _header(title, _solve_info(answer.solve_info), clock)
        + _kpi_section(panel)
        + map_section
        + _eta_sections(answer, clock)
    )
    return _document(title, "emergency", body)


_INCIDENT_HEADERS = ["incident", "priority", "units (ETA)", "all there", "in time"]


def _eta_sections(answer: emergency_pb2.AssignUnitsResponse, clock: Clock) -> str:
    by_priority = priority_rows(answer)
    headers = [*PRIORITY_HEADERS[:-1], "max ETA"]
    incidents = [
        [
            d.incident_id,
            f"P{d.priority}",
            ", ".join(f"{u.unit_id} ({eta_text(u.eta_seconds)})" for u in d.units) or "-",
            clock.text(d.last_arrival_seconds) if d.units else "-",
            "yes" if d.within_target else "no",
        ]
        for d in answer.incidents
    ]
    unfilled = [
        [
            d.incident_id,
            f"P{d.priority}",
            s.capability,
            s.count,
            enum_name(emergency_pb2.UnfilledSlot.Reason, s.reason),
        ]
        for d in answer.incidents
        for s in d.unfilled
    ]
    unfilled_html = (
        _table(["incident", "priority", "capability", "slots", "reason"], unfilled, {3})
        if unfilled
        else "<p>None: every requirement slot is filled.</p>"
    )
    return (
        f'<section id="eta"><h2>Response times by priority</h2>'
        f"{_table(headers, by_priority, {1, 2, 3, 4, 5, 6})}"
        f"{_table(_INCIDENT_HEADERS, incidents, set())}"
        f'</section><section id="unfilled"><h2>Unfilled slots</h2>{unfilled_html}</section>'
    )
