"""Answers for people on a terminal: ``--format json|table|summary`` of the CLI.

``json`` is the protobuf canonical JSON with every field printed, zero values included: a plan
that is not feasible says ``"feasible": false`` instead of leaving the key out, and a count of 0
reads 0. ``table`` is one row per route (or per incident) with clock times; ``summary`` is the
few lines a dispatcher checks first: which engine, how sure, why degraded, what it costs, what
was left out and why. Enum values are always shown by name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from google.protobuf import json_format
from google.protobuf.message import Message

from dispatch._proto.dispatch.v1 import common_pb2, emergency_pb2, jobs_pb2, routing_pb2
from dispatch.geojson import enum_name
from dispatch.render.clock import Clock, duration_text, eta_text

TEXT_FORMATS = ("table", "summary")


def to_json(message: Message) -> str:
    """Canonical protobuf JSON, proto field names, zero values and enum names printed."""
    return json_format.MessageToJson(
        message,
        preserving_proto_field_name=True,
        indent=2,
        always_print_fields_with_no_presence=True,
    )


def grid(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """A plain aligned table: numbers right-aligned, text left-aligned, two spaces apart."""
    cells = [[str(h) for h in headers], *[[str(c) for c in row] for row in rows]]
    numeric = [
        all(_looks_numeric(row[i]) for row in cells[1:]) and len(cells) > 1
        for i in range(len(headers))
    ]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for row in cells:
        parts = [
            cell.rjust(widths[i]) if numeric[i] else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(parts).rstrip())
    return "\n".join(lines)


def _looks_numeric(text: str) -> bool:
    return text.replace(".", "", 1).replace(" km", "").replace("%", "").lstrip("-").isdigit()


# -- routing ------------------------------------------------------------------------------------


def _loads(values: Sequence[int], names: Sequence[str]) -> str:
    if not values:
        return "-"
    named = [f"{v} {names[i]}" if i < len(names) else str(v) for i, v in enumerate(values)]
    return ", ".join(named)


def route_rows(
    routes: Sequence[routing_pb2.Route], clock: Clock, dimensions: Sequence[str]
) -> list[list[object]]:
    """Vehicle, stops, start, end, duration, travel, load, trips, cost of each route."""
    rows: list[list[object]] = []
    for route in routes:
        if not route.visits:
            continue
        first, last = route.visits[0], route.visits[-1]
        t = route.totals
        rows.append(
            [
                route.vehicle_id,
                t.stops,
                clock.text(first.service_start),
                clock.text(last.arrival),
                duration_text(t.duration),
                f"{t.travel_metres / 1000:.1f} km",
                _loads(t.load_collected, dimensions),
                t.trips,
                f"{t.cost:.2f}",
            ]
        )
    return rows


def route_sheet(
    routes: Sequence[routing_pb2.Route], clock: Clock, dimensions: Sequence[str] = ()
) -> str:
    """One row per route: vehicle, stops, start and end in clock time, load, trips, cost."""
    headers = ["vehicle", "stops", "start", "end", "duration", "travel", "load", "trips", "cost"]
    rows = route_rows(routes, clock, dimensions)
    if not rows:
        return "no routes"
    return grid(headers, rows)


def _skipped_lines(skipped: Sequence[routing_pb2.SkippedStop]) -> list[str]:
    if not skipped:
        return ["skipped stops: none"]
    lines = [f"skipped stops ({len(skipped)}):"]
    for stop in skipped:
        reason = enum_name(routing_pb2.SkippedStop.Reason, stop.reason)
        lines.append(f"  {stop.stop_id}  {reason}  {stop.detail}".rstrip())
    return lines


def _solve_info_lines(info: common_pb2.SolveInfo) -> list[str]:
    status = enum_name(common_pb2.SolveStatus, info.status)
    solver = enum_name(common_pb2.Solver, info.solver)
    seconds = info.wall_time.ToTimedelta().total_seconds()
    verified = "verified" if info.verified else "not verified"
    lines = [f"engine:    {info.engine or '-'} ({solver}), {status}, {seconds:.2f} s, {verified}"]
    if info.fallback_reason:
        lines.append(f"fallback:  {info.fallback_reason}")
    lines.append(f"degraded:  {'yes: ' + info.degraded_reason if info.degraded else 'no'}")
    terms = " + ".join(f"{t.name} {t.value:.2f}" for t in info.objective_terms)
    bound = f" (bound {info.best_bound:.2f}, gap {info.gap:.1%})" if info.HasField("gap") else ""
    lines.append(f"objective: {info.objective:.2f}{bound}" + (f" = {terms}" if terms else ""))
    return lines


def _by_reason(names: Iterable[str]) -> str:
    counts = Counter(names)
    return ", ".join(f"{name} {n}" for name, n in sorted(counts.items())) or "none"


def plan_summary(answer: routing_pb2.PlanRoutesResponse, vehicles: int | None = None) -> str:
    """Engine, status, degraded reason, objective, vehicles, skipped stops by reason."""
    k = answer.kpis
    of = f" of {vehicles}" if vehicles else ""
    reasons = (enum_name(routing_pb2.SkippedStop.Reason, s.reason) for s in answer.skipped_stops)
    lines = [
        *_solve_info_lines(answer.solve_info),
        f"vehicles:  {k.vehicles_used}{of} used, {duration_text(k.travel_seconds)} driving, "
        f"{k.travel_metres / 1000:.1f} km, utilisation {k.utilisation:.0%}",
        f"stops:     {k.stops_served} served, {k.stops_skipped} skipped, "
        f"on time {k.on_time_share:.0%}",
        f"skipped:   {_by_reason(reasons)}",
    ]
    return "\n".join(lines)


def plan_table(
    answer: routing_pb2.PlanRoutesResponse, clock: Clock, dimensions: Sequence[str] = ()
) -> str:
    """The route sheet with a header line and the skipped stops below it."""
    head = [answer.label] if answer.label else []
    head.append(f"({clock.describe()})")
    body = [route_sheet(answer.routes, clock, dimensions), *_skipped_lines(answer.skipped_stops)]
    return "\n".join([*head, *body])


def evaluation_summary(answer: routing_pb2.EvaluatePlanResponse) -> str:
    """Feasible or not, violations by type, vehicles, stops, objective by term."""
    k = answer.kpis
    types = (enum_name(routing_pb2.Violation.Type, v.type) for v in answer.violations)
    total = sum(t.value for t in answer.objective_terms)
    terms = " + ".join(f"{t.name} {t.value:.2f}" for t in answer.objective_terms)
    return "\n".join(
        [
            f"feasible:   {'yes' if answer.feasible else 'no'}",
            f"violations: {len(answer.violations)} ({_by_reason(types)})",
            f"vehicles:   {k.vehicles_used} used, {duration_text(k.travel_seconds)} driving, "
            f"{k.travel_metres / 1000:.1f} km, utilisation {k.utilisation:.0%}",
            f"stops:      {k.stops_served} served, {k.stops_skipped} not served",
            f"objective:  {total:.2f}" + (f" = {terms}" if terms else ""),
        ]
    )


def evaluation_table(
    answer: routing_pb2.EvaluatePlanResponse, clock: Clock, dimensions: Sequence[str] = ()
) -> str:
    """The route sheet of the caller's plan, then every violation."""
    lines = [f"({clock.describe()})", route_sheet(answer.routes, clock, dimensions)]
    lines.append(
        f"violations ({len(answer.violations)}):" if answer.violations else "no violations"
    )
    for v in answer.violations:
        kind = enum_name(routing_pb2.Violation.Type, v.type)
        lines.append(f"  {kind}  {v.id or '-'}  {v.detail}".rstrip())
    return "\n".join(lines)


# -- emergency ----------------------------------------------------------------------------------


def _unfilled_names(decision: emergency_pb2.IncidentAssignment) -> str:
    return ", ".join(
        f"{s.count} {s.capability} ({enum_name(emergency_pb2.UnfilledSlot.Reason, s.reason)})"
        for s in decision.unfilled
    )


def assignment_table(answer: emergency_pb2.AssignUnitsResponse, clock: Clock) -> str:
    """One row per incident (units with ETAs, arrival clock time), then the per-priority KPIs."""
    rows = []
    for d in answer.incidents:
        units = ", ".join(
            f"{u.unit_id} {eta_text(u.eta_seconds)}" + ("*" if u.already_committed else "")
            for u in d.units
        )
        arrival = clock.text(d.last_arrival_seconds) if d.units else "-"
        rows.append(
            [
                d.incident_id,
                f"P{d.priority}",
                units or "-",
                arrival,
                "yes" if d.within_target else "no",
                _unfilled_names(d) or "-",
            ]
        )
    headers = ["incident", "priority", "units (ETA; * already committed)", "all there", "in time"]
    lines = [f"({clock.describe()})", grid([*headers, "unfilled"], rows), ""]
    lines.append(grid(PRIORITY_HEADERS, priority_rows(answer)))
    return "\n".join(lines)


#: Column names of :func:`priority_rows`.
PRIORITY_HEADERS = (
    "priority",
    "incidents",
    "staffed",
    "slots filled",
    "in time",
    "mean ETA",
    "max",
)


def priority_rows(answer: emergency_pb2.AssignUnitsResponse) -> list[list[object]]:
    """One row per priority: incidents, fully staffed, slots filled, in time, mean and max ETA."""
    return [
        [
            f"P{p.priority}",
            p.incidents,
            p.fully_staffed,
            f"{p.slots_filled}/{p.slots}",
            f"{p.share_slots_within_target:.0%}",
            eta_text(p.mean_response_seconds),
            eta_text(p.max_response_seconds),
        ]
        for p in answer.kpis.by_priority
    ]


def assignment_summary(answer: emergency_pb2.AssignUnitsResponse) -> str:
    """Engine, status, degraded reason, objective, staffing, unfilled slots by reason."""
    k = answer.kpis
    reasons: Counter[str] = Counter()
    for d in answer.incidents:
        for slot in d.unfilled:
            reasons[enum_name(emergency_pb2.UnfilledSlot.Reason, slot.reason)] += slot.count
    unfilled = ", ".join(f"{name} {n}" for name, n in sorted(reasons.items())) or "none"
    return "\n".join(
        [
            *_solve_info_lines(answer.solve_info),
            f"incidents: {k.fully_staffed}/{k.incidents} fully staffed, "
            f"{k.share_within_target:.0%} of units within target",
            f"units:     {k.units_dispatched} dispatched, {k.units_reassigned} re-routed",
            f"unfilled:  {unfilled}",
        ]
    )


# -- jobs ---------------------------------------------------------------------------------------


def _timestamp(message: Message, field: str) -> str:
    if not message.HasField(field):
        return "-"
    return getattr(message, field).ToDatetime().strftime("%Y-%m-%d %H:%M:%S UTC")


def job_header(job: jobs_pb2.PlanJob) -> str:
    """The job's identity, state and times, one fact per line."""
    lines = [
        f"job:       {job.job_id}  {enum_name(jobs_pb2.PlanJob.State, job.state)}"
        + (f"  (attempt {job.attempts})" if job.attempts > 1 else ""),
        f"label:     {job.label or '-'}   request_id: {job.request_id or '-'}",
        f"created:   {_timestamp(job, 'create_time')}   started: {_timestamp(job, 'start_time')}"
        f"   ended: {_timestamp(job, 'end_time')}",
    ]
    if job.error_message:
        lines.append(f"error:     {job.error_message}")
    return "\n".join(lines)


def job_text(job: jobs_pb2.PlanJob, fmt: str, clock: Clock | None = None) -> str:
    """A job: header, then its plan as a table or summary once SUCCEEDED."""
    parts = [job_header(job)]
    if job.HasField("result"):
        request = job.request if job.HasField("request") else None
        if fmt == "table":
            dims = request.load_dimensions if request is not None else ()
            clock = clock or Clock.of(request.horizon_start if request is not None else None)
            parts.append(plan_table(job.result, clock, dims))
        else:
            parts.append(plan_summary(job.result))
    return "\n".join(parts)


def job_list_table(answer: jobs_pb2.ListPlanJobsResponse) -> str:
    """One row per job, newest first, and the token for the next page."""
    rows = [
        [
            j.job_id,
            enum_name(jobs_pb2.PlanJob.State, j.state),
            j.label or "-",
            _timestamp(j, "create_time"),
            f"{j.progress.best_objective:.2f}" if j.progress.solutions_found else "-",
        ]
        for j in answer.jobs
    ]
    lines = [grid(["job", "state", "label", "created", "best"], rows) if rows else "no jobs"]
    if answer.next_page_token:
        lines.append(f"next page: --page-token {answer.next_page_token}")
    return "\n".join(lines)


# -- dispatch on the answer's type --------------------------------------------------------------


def answer_text(answer: Message, fmt: str, request: Message | None, clock: Clock) -> str:
    """``answer`` as ``table`` or ``summary``; ``request`` gives load names and fleet size."""
    problem = request
    if isinstance(request, routing_pb2.EvaluatePlanRequest):
        problem = request.problem
    dims = problem.load_dimensions if isinstance(problem, routing_pb2.PlanRoutesRequest) else ()
    if isinstance(answer, routing_pb2.PlanRoutesResponse):
        if fmt == "table":
            return plan_table(answer, clock, dims)
        fleet = len(problem.vehicles) if isinstance(problem, routing_pb2.PlanRoutesRequest) else 0
        return plan_summary(answer, fleet or None)
    if isinstance(answer, routing_pb2.EvaluatePlanResponse):
        if fmt == "table":
            return evaluation_table(answer, clock, dims)
        return evaluation_summary(answer)
    if isinstance(answer, emergency_pb2.AssignUnitsResponse):
        if fmt == "table":
            return assignment_table(answer, clock)
        return assignment_summary(answer)
    if isinstance(answer, jobs_pb2.PlanJob):
        return job_text(answer, fmt, clock if clock.has_date else None)
    if isinstance(answer, jobs_pb2.ListPlanJobsResponse):
        return job_list_table(answer)
    return to_json(answer)
