"""The ``dispatch`` command: serve, solve offline, call a server, validate, health, jobs, render.

Request files are the protobuf canonical JSON of the request message ('-' reads stdin). Answers
are printed as that JSON with every field (zero values too), or with ``--format`` as a table,
a summary, or GeoJSON (``dispatch.render.text``, ``dispatch.geojson``). Exit status: 0 success;
1 the request was rejected (empty, unparseable, invalid, too large) or, for ``health``, the
server is not SERVING; 2 usage error (bad arguments, or ``--format geojson`` for a request
without coordinates); 3 the request was valid but could not be answered (not implemented,
solver failure, server unreachable); 4 (``jobs watch``/``jobs result``) the job ended FAILED or
CANCELLED.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

import grpc
from google.protobuf.message import Message

from dispatch import client, errors, validation
from dispatch.render import text
from dispatch.render.output import add_format_options, emit, geojson_unusable
from dispatch.request_files import RequestFileError, load
from dispatch.request_files import detect_method as detect_method
from dispatch.security.cli_flags import (
    add_client_flags,
    client_security,
)

EXIT_OK = 0
EXIT_REJECTED = 1
EXIT_USAGE = 2
EXIT_FAILED = 3
DEFAULT_TARGET = "127.0.0.1:50051"
_REJECTED_CODES = {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.RESOURCE_EXHAUSTED}

_log = logging.getLogger("dispatch.cli")


# -- request files and answers ------------------------------------------------------------------


def _method_name(value: str) -> str:
    for name in client.METHODS:
        if name.lower() == value.lower():
            return name
    raise ValueError(f"unknown method {value!r}; one of {', '.join(client.METHODS)}")


def _method_arg(value: str) -> str:
    """argparse type for METHOD: an unknown one is a usage error (exit 2) naming the choices."""
    try:
        return _method_name(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def _print_message(message: Message) -> None:
    print(text.to_json(message), flush=True)


def _print_failure(
    code: grpc.StatusCode, message: str, violations: Sequence[tuple[str, str]]
) -> int:
    print(f"error: {code.name}: {message}", file=sys.stderr)
    for path, description in violations:
        print(f"  {path}: {description}", file=sys.stderr)
    return EXIT_REJECTED if code in _REJECTED_CODES else EXIT_FAILED


def _print_exception(exc: BaseException) -> int:
    status = errors.to_rpc_status(exc)
    return _print_failure(
        status.code, status.message, [(p.path, p.description) for p in status.field_violations]
    )


# -- validate / solve ---------------------------------------------------------------------------


class _Stop(Exception):
    """A command cannot go on: ``main`` prints the lines to stderr and exits with ``code``."""

    def __init__(self, code: int, lines: Sequence[str]) -> None:
        super().__init__(*lines)
        self.code = code
        self.lines = lines


def _load_file(args: argparse.Namespace) -> tuple[str, Message]:
    """The request file as (method, message); _Stop(EXIT_REJECTED) saying why it cannot be read."""
    try:
        return load(args.file, args.method, args.command)
    except RequestFileError as exc:
        raise _Stop(EXIT_REJECTED, exc.lines()) from None


def _cmd_validate(args: argparse.Namespace) -> int:
    name, request = _load_file(args)
    try:
        validation.validate(request)
    except (errors.InvalidProblemError, errors.RequestTooLargeError) as exc:
        return _print_exception(exc)
    print(f"valid {name} request")
    return EXIT_OK


def solve_offline(name: str, request: Message) -> Message:
    """Validate and answer a request in this process, as the server would (no gRPC)."""
    from dispatch import emergency, routing, service
    from dispatch._proto.dispatch.v1 import common_pb2, emergency_pb2, routing_pb2

    validation.validate(request)
    if name == "EvaluatePlan":
        assert isinstance(request, routing_pb2.EvaluatePlanRequest)
        if request.problem.options.solving_mode == common_pb2.VALIDATE_ONLY:
            return routing_pb2.EvaluatePlanResponse(
                label=request.label, request_id=request.request_id
            )
        evaluator = routing.RoutingService(workers=1)
        try:
            return evaluator.evaluate_plan(request)
        finally:
            evaluator.close()
    options = request.options  # type: ignore[attr-defined]
    if options.solving_mode == common_pb2.VALIDATE_ONLY:
        answer_type = (
            emergency_pb2.AssignUnitsResponse
            if name == "AssignUnits"
            else routing_pb2.PlanRoutesResponse
        )
        return answer_type(
            label=request.label,  # type: ignore[attr-defined]
            request_id=request.request_id,  # type: ignore[attr-defined]
            solve_info=common_pb2.SolveInfo(status=common_pb2.NOT_SOLVED),
        )
    if name == "AssignUnits":
        deadline = service.solve_deadline(options, service.DEFAULT_EMERGENCY_BUDGET, None)
        return emergency.assign_units(request, deadline)  # type: ignore[arg-type]
    if name == "PlanRoutes":
        deadline = service.solve_deadline(options, service.DEFAULT_ROUTING_BUDGET, None)
        return routing.solve_plan_routes(request, deadline)  # type: ignore[arg-type]
    raise ValueError(f"{name} cannot be solved offline; use `dispatch call`")


def _cmd_solve(args: argparse.Namespace) -> int:
    name, request = _load_file(args)
    if geojson_unusable(args.format, name, request):
        return EXIT_USAGE
    try:
        answer = solve_offline(name, request)
    except ValueError as exc:
        if isinstance(exc, errors.DispatchError):
            return _print_exception(exc)
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_REJECTED
    except Exception as exc:
        return _print_exception(exc)
    emit(answer, args.format, request, args.tz)
    return EXIT_OK


# -- call / health ------------------------------------------------------------------------------


def _dial(args: argparse.Namespace) -> grpc.Channel:
    """A channel to ``--target`` with the TLS and token flags; _Stop(EXIT_USAGE) saying why not."""
    try:
        return client.channel(args.target, security=client_security(args))
    except ValueError as exc:  # an unreadable CA or token file, a token that would go in clear
        raise _Stop(EXIT_USAGE, [f"error: {exc}"]) from None


def _cmd_call(args: argparse.Namespace) -> int:
    name, request = _load_file(args)
    if geojson_unusable(args.format, name, request):
        return EXIT_USAGE
    with _dial(args) as chan:
        try:
            answer = client.call(chan, name, request, timeout=args.timeout)
            if client.METHODS[name].streaming:
                for event in answer:  # type: ignore[union-attr]
                    if args.format == "json":
                        _print_message(event)
                    else:
                        from dispatch.jobs_cli import progress_line

                        print(progress_line(event.job), flush=True)  # type: ignore[attr-defined]
            else:
                emit(answer, args.format, request, args.tz)  # type: ignore[arg-type]
        except grpc.RpcError as error:
            details = client.error_details(error)
            return _print_failure(details.code, details.message, details.field_violations)
    return EXIT_OK


def _cmd_health(args: argparse.Namespace) -> int:
    with _dial(args) as chan:
        try:
            status = client.health_status(chan, args.service, timeout=args.timeout)
        except grpc.RpcError as error:
            print(f"{error.code().name}: {error.details()}", file=sys.stderr)  # type: ignore[attr-defined]
            return EXIT_REJECTED
    print(status)
    return EXIT_OK if status == "SERVING" else EXIT_REJECTED


# -- serve --------------------------------------------------------------------------------------


# -- parser -------------------------------------------------------------------------------------


def _add_offline(sub: argparse._SubParsersAction) -> None:
    method_help = f"request type ({', '.join(client.METHODS)}); default: from the JSON keys"
    for name, summary, description, func in (
        (
            "solve",
            "solve a request file offline (no server)",
            "Validate and solve in this process; print the answer (protobuf JSON with every "
            "field by default; --format for a table, a summary or GeoJSON).",
            _cmd_solve,
        ),
        (
            "validate",
            "validate a request file offline",
            "Print every problem with its field path; exit 1 if invalid, 0 if valid.",
            _cmd_validate,
        ),
    ):
        command = sub.add_parser(name, help=summary, description=description)
        command.add_argument("file", help="request JSON ('-' for stdin)")
        command.add_argument("--method", type=_method_arg, help=method_help)
        if name == "solve":
            add_format_options(command)
        command.set_defaults(func=func)


def _add_remote(sub: argparse._SubParsersAction) -> None:
    target_default = os.environ.get("DISPATCH_TARGET", DEFAULT_TARGET)
    call = sub.add_parser(
        "call",
        help="call a running server",
        description="Send a request file to METHOD; print the answer, or the status and field "
        "violations (exit non-zero).",
    )
    call.add_argument("method", type=_method_arg, help=", ".join(client.METHODS))
    call.add_argument("file", help="request JSON ('-' for stdin)")
    add_format_options(call)
    health = sub.add_parser(
        "health",
        help="check a server's health (exit 0 iff SERVING)",
        description="Used by the Docker HEALTHCHECK.",
    )
    health.add_argument("--service", default="", help="service name (default: overall)")
    for command, timeout, func in ((call, 120.0, _cmd_call), (health, 3.0, _cmd_health)):
        command.add_argument(
            "--target", default=target_default, help="HOST:PORT (default %(default)s)"
        )
        command.add_argument(
            "--timeout", type=float, default=timeout, help="seconds (default %(default)s)"
        )
        add_client_flags(command)
        command.set_defaults(func=func)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (separate so tests and docs can inspect it)."""
    parser = argparse.ArgumentParser(
        prog="dispatch",
        description="Dispatch optimisation service for city emergency, sanitation and "
        "maintenance crews.",
        epilog="Exit status: 0 ok; 1 request rejected (or not SERVING); 2 usage error; 3 valid but "
        "not answered; 4 job FAILED or CANCELLED (jobs watch, jobs result).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    from dispatch.serve_command import add_serve_parser

    add_serve_parser(sub)
    _add_offline(sub)
    _add_remote(sub)
    try:
        from dispatch import jobs_cli
    except ImportError:
        jobs_cli = None  # type: ignore[assignment]
    if jobs_cli is not None:
        jobs_cli.register(sub)
    from dispatch.render import command as render_command

    render_command.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``dispatch`` console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except _Stop as stop:
        print("\n".join(stop.lines), file=sys.stderr)
        return stop.code


if __name__ == "__main__":
    raise SystemExit(main())
