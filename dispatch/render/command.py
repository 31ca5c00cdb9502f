"""``dispatch render``: a plan (with its request) as one self-contained HTML file.

The request places things (coordinates, clock origin, load names); the answer says what was
planned. Without an answer file the request is solved here first, as ``dispatch solve`` would,
so ``dispatch render examples/sanitation.json`` is enough for a first look. ``--before`` takes
the dispatcher's own plan (an EvaluatePlan answer, or its request, evaluated here) and draws
both side by side with the KPI differences. Exit status as for the rest of ``dispatch``: 0
written; 1 a file was rejected (unreadable, not the expected message, invalid request); 2 usage;
3 nothing could be drawn (plotly missing, the solve failed, no browser for ``--screenshot``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from google.protobuf import json_format
from google.protobuf.message import Message

from dispatch import errors, geojson
from dispatch._proto.dispatch.v1 import emergency_pb2, jobs_pb2, routing_pb2
from dispatch.render.clock import Clock, local_zone
from dispatch.render.output import zone_arg
from dispatch.request_files import (
    SOLVABLE,
    RequestFileError,
    field_problems,
    load,
    parse_json,
    read_text,
)

EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_FAILED = 0, 1, 2, 3
ANSWER_TYPES: dict[str, type[Message]] = {
    "PlanRoutes": routing_pb2.PlanRoutesResponse,
    "AssignUnits": emergency_pb2.AssignUnitsResponse,
    "EvaluatePlan": routing_pb2.EvaluatePlanResponse,
}


def _size_arg(value: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in value.lower().split("x"))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"size {value!r} is not WIDTHxHEIGHT") from exc
    if not (200 <= width <= 8000 and 200 <= height <= 16000):
        raise argparse.ArgumentTypeError(f"size {value!r} is outside 200x200..8000x16000")
    return width, height


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``render`` to the ``dispatch`` CLI."""
    render = subparsers.add_parser(
        "render",
        help="draw a plan as one self-contained HTML file (map, crew timeline, KPIs)",
        description=__doc__.split("\n\n")[1].replace("\n", " "),
    )
    render.add_argument("request", help="PlanRoutes, EvaluatePlan or AssignUnits request JSON")
    render.add_argument(
        "answer",
        nargs="?",
        help="its answer JSON (from solve, call, or `jobs get`); default: solve it here",
    )
    render.add_argument("-o", "--output", help="HTML file (default: REQUEST's name + .html)")
    render.add_argument(
        "--before",
        metavar="PLAN",
        help="the dispatcher's plan: an EvaluatePlan answer, or its request (routes alone are "
        "evaluated against REQUEST); draws before and after side by side",
    )
    render.add_argument(
        "--tz", type=zone_arg, metavar="ZONE", help="time zone (default: this machine's zone)"
    )
    render.add_argument(
        "--tiles",
        default="",
        metavar="URL",
        help="raster tiles ({z}/{x}/{y}) under the route map; default none (works offline)",
    )
    render.add_argument("--screenshot", metavar="PNG", help="also save a PNG (needs Chromium)")
    render.add_argument(
        "--size",
        type=_size_arg,
        default=(1400, 1800),
        metavar="WxH",
        help="screenshot size in pixels (default 1400x1800)",
    )
    render.add_argument("--browser", help="browser for --screenshot (default: chromium)")
    render.set_defaults(func=run)
    return render


def read_answer(path: str, method: str) -> Message:
    """The answer file as ``method``'s answer; a PlanJob (``jobs get``) gives its result."""
    shown = "standard input" if path == "-" else path
    document = parse_json(read_text(path), shown)
    answer_type = ANSWER_TYPES[method]
    if method == "PlanRoutes" and ("job_id" in document or "jobId" in document):
        answer_type = jobs_pb2.PlanJob
    problems = field_problems(document, answer_type.DESCRIPTOR)
    if problems:
        raise RequestFileError(
            f"{shown} is not a {answer_type.DESCRIPTOR.name}",
            problems[:20],
            [f"the answer must be the {method} answer to the request given first"],
        )
    answer = answer_type()
    try:
        json_format.ParseDict(document, answer)
    except (json_format.ParseError, ValueError) as exc:
        raise RequestFileError(f"{shown} is not a {answer_type.DESCRIPTOR.name}: {exc}") from exc
    if isinstance(answer, jobs_pb2.PlanJob):
        if not answer.HasField("result"):
            raise RequestFileError(f"{shown} is a plan job without a result (not SUCCEEDED)")
        return answer.result
    return answer


_ANSWER_KEYS = {"kpis", "feasible", "violations", "objective_terms", "objectiveTerms"}


def _before(path: str, problem: routing_pb2.PlanRoutesRequest) -> routing_pb2.EvaluatePlanResponse:
    """The dispatcher's plan: an EvaluatePlan answer, or a request evaluated here. A request
    without ``problem`` (routes only) is evaluated against the PlanRoutes request being drawn."""
    shown = "standard input" if path == "-" else path
    document = parse_json(read_text(path), shown)
    if _ANSWER_KEYS & set(document):
        return read_answer(path, "EvaluatePlan")  # type: ignore[return-value]
    _, request = load(path, "EvaluatePlan", "render")
    assert isinstance(request, routing_pb2.EvaluatePlanRequest)
    if not request.HasField("problem"):
        request.problem.CopyFrom(problem)
    return _solve("EvaluatePlan", request)  # type: ignore[return-value]


def _solve(method: str, request: Message) -> Message:
    """Answer the request here: EvaluatePlan in this thread (it is cheap), the others as
    ``dispatch solve`` does."""
    if method == "EvaluatePlan":
        from dispatch import validation
        from dispatch.evaluate_plan import evaluate_plan_request

        validation.validate(request)
        return evaluate_plan_request(request)  # type: ignore[arg-type]
    from dispatch.cli import solve_offline

    return solve_offline(method, request)


def build_page(
    request: Message,
    answer: Message,
    clock: Clock,
    before: routing_pb2.EvaluatePlanResponse | None = None,
    tile_url: str = "",
) -> str:
    """The HTML page for ``answer`` (and ``before``, for a before/after page)."""
    from dispatch.render import page
    from dispatch.render.figures import Backdrop

    if isinstance(answer, emergency_pb2.AssignUnitsResponse):
        return page.emergency_page(request, answer, clock)  # type: ignore[arg-type]
    backdrop = Backdrop(geojson.routing_problem(request), clock, tile_url)
    if isinstance(answer, routing_pb2.EvaluatePlanResponse):
        return page.evaluation_page(backdrop, answer)
    assert isinstance(answer, routing_pb2.PlanRoutesResponse)
    if before is not None:
        return page.comparison_page(backdrop, before, answer)
    return page.routing_page(backdrop, answer)


def _fail(message: str, code: int) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def _inputs(
    args: argparse.Namespace,
) -> tuple[Message, Message, routing_pb2.EvaluatePlanResponse | None]:
    """Request, answer (read or solved) and the optional before-plan; raises on bad input."""
    method, request = load(args.request, None, "render")
    if method not in SOLVABLE:
        raise RequestFileError(f"{args.request} is a {method} request; nothing to draw")
    if args.before and method != "PlanRoutes":
        raise RequestFileError("--before needs a PlanRoutes request (the problem both plans solve)")
    answer = read_answer(args.answer, method) if args.answer else _solve(method, request)
    before = _before(args.before, request) if args.before else None  # type: ignore[arg-type]
    return request, answer, before


def _warn_if_mismatched(request: Message, answer: Message) -> None:
    """An answer to another request would be drawn on the wrong map: say so, do not refuse."""
    inner = request
    if not isinstance(request, emergency_pb2.AssignUnitsRequest):
        inner = geojson.routing_problem(request)
    wanted = getattr(inner, "request_id", "")
    got = getattr(answer, "request_id", "")
    if wanted and got and wanted != got:
        print(f"warning: the answer is for request_id {got!r}, not {wanted!r}", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    """Read or solve, draw, write the file (and the screenshot)."""
    try:
        import plotly  # noqa: F401
    except ImportError:
        return _fail("dispatch render needs plotly: pip install -e '.[render]'", EXIT_FAILED)
    try:
        request, answer, before = _inputs(args)
    except RequestFileError as exc:
        print("\n".join(exc.lines()), file=sys.stderr)
        return EXIT_REJECTED
    except errors.DispatchError as exc:
        from dispatch.cli import _print_exception

        return _print_exception(exc)
    except Exception as exc:  # a solver failure: say so, as `dispatch solve` does
        return _fail(f"could not solve the request: {exc}", EXIT_FAILED)
    _warn_if_mismatched(request, answer)
    clock = geojson.clock_of(request, args.tz if args.tz is not None else local_zone())
    html = build_page(request, answer, clock, before, args.tiles)
    output = Path(args.output or Path(args.request).with_suffix(".html").name)
    if args.request == "-" and not args.output:
        output = Path("plan.html")
    output.write_text(html, encoding="utf-8")
    print(f"wrote {output} ({len(html) / 1e6:.1f} MB)", flush=True)
    if args.screenshot:
        from dispatch.render.browser import BrowserError, screenshot

        try:
            png = screenshot(output, Path(args.screenshot), args.size, args.browser)
        except BrowserError as exc:
            return _fail(str(exc), EXIT_FAILED)
        print(f"wrote {png}", flush=True)
    return EXIT_OK
