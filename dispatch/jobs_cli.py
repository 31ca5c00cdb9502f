"""`dispatch jobs ...`: submit, read, follow, cancel and list plan jobs on a running server.

Answers are printed as protobuf canonical JSON with every field, like the rest of the CLI
(``submit`` leaves zero values out, so a VALIDATE_ONLY dry run prints no job id at all);
``get`` and ``result`` also take ``--format table|summary`` (and ``result`` ``geojson``), with
clock times from the job's request. ``watch`` draws one updating line on a terminal (elapsed,
best objective, vehicles; parts done for a job solved in parts) and plain lines otherwise; it
reconnects when the server restarts, because a nightly job outlives any one connection. Exit
status, as for the rest of ``dispatch``: 0 success (for ``watch`` and ``result``: the job
SUCCEEDED); 1 the request was rejected (invalid, queue full, request_id reused); 2 usage; 3 the
call could not be answered (not found, server unreachable, ..., or for ``result`` the job has not
finished yet); 4 the job ended FAILED or CANCELLED.
"""

from __future__ import annotations

import argparse
import os
import queue
import sys
import threading
import time
from collections.abc import Iterator

import grpc
from google.protobuf import json_format
from google.protobuf.message import Message

from dispatch import client
from dispatch._proto.dispatch.v1 import dispatch_service_pb2_grpc, jobs_pb2, routing_pb2
from dispatch.render import text
from dispatch.render.clock import Clock
from dispatch.render.output import add_format_options, emit
from dispatch.security.cli_flags import add_client_flags, client_security

DEFAULT_TARGET = "127.0.0.1:50051"
EXIT_OK, EXIT_REJECTED, EXIT_USAGE, EXIT_FAILED, EXIT_JOB_NOT_SUCCEEDED = 0, 1, 2, 3, 4
_REJECTED_CODES = {
    grpc.StatusCode.INVALID_ARGUMENT,
    grpc.StatusCode.RESOURCE_EXHAUSTED,
    grpc.StatusCode.ALREADY_EXISTS,
}
FINAL = (jobs_pb2.PlanJob.SUCCEEDED, jobs_pb2.PlanJob.FAILED, jobs_pb2.PlanJob.CANCELLED)
_STATES = [name for name, _ in jobs_pb2.PlanJob.State.items() if name != "STATE_UNSPECIFIED"]


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add the ``jobs`` command (with its sub-commands) to the ``dispatch`` CLI."""
    jobs = subparsers.add_parser(
        "jobs",
        help="durable plan jobs on a server",
        description="Submit, read, follow, cancel and list plan jobs on a running server.",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--target",
        default=os.environ.get("DISPATCH_TARGET", DEFAULT_TARGET),
        help="server HOST:PORT (default: $DISPATCH_TARGET or %(default)s)",
    )
    common.add_argument("--timeout", type=float, default=30.0, help="seconds per call")
    add_client_flags(common)
    sub = jobs.add_subparsers(dest="jobs_command", required=True, metavar="COMMAND")

    submit = sub.add_parser("submit", parents=[common], help="submit a request file as a job")
    submit.add_argument("file", help="PlanRoutesRequest as protobuf JSON ('-' for stdin)")
    submit.add_argument("--request-id", help="set the idempotency key (overrides the file)")
    submit.add_argument("--watch", action="store_true", help="follow the job after submitting")
    submit.set_defaults(func=_submit)

    get = sub.add_parser("get", parents=[common], help="print a job")
    get.add_argument("job_id")
    get.add_argument("--include-request", action="store_true", help="also print the request")
    add_format_options(get, ("json", "table", "summary"))
    get.set_defaults(func=_get)

    result = sub.add_parser(
        "result",
        parents=[common],
        help="print the plan of a SUCCEEDED job",
        description="Print the job's plan (PlanRoutesResponse). Exit 0 with the plan; 3 when "
        "the job has not finished yet (or cannot be read); 4 when it ended FAILED or CANCELLED.",
    )
    result.add_argument("job_id")
    add_format_options(result)
    result.set_defaults(func=_result)

    watch = sub.add_parser("watch", parents=[common], help="follow a job until it ends")
    watch.add_argument("job_id")
    watch.add_argument("--json", action="store_true", help="print each event as JSON")
    watch.add_argument(
        "--reconnect-seconds",
        type=float,
        default=120.0,
        help="how long to keep retrying while the server is unreachable (default %(default)s)",
    )
    watch.set_defaults(func=_watch)

    cancel = sub.add_parser("cancel", parents=[common], help="cancel a queued or running job")
    cancel.add_argument("job_id")
    cancel.set_defaults(func=_cancel)

    lst = sub.add_parser("list", parents=[common], help="list jobs, newest first")
    lst.add_argument("--state", action="append", choices=_STATES, help="repeatable")
    lst.add_argument("--label", default="", help="only jobs with this label")
    lst.add_argument("--page-size", type=int, default=0, help="jobs per page (server default 50)")
    lst.add_argument("--page-token", default="", help="token from a previous page")
    lst.set_defaults(func=_list)
    return jobs


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry point (``python -m dispatch.jobs_cli ...``) for the same commands."""
    parser = argparse.ArgumentParser(prog="dispatch")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


# -- commands -------------------------------------------------------------------------------


def _stub(
    args: argparse.Namespace,
) -> tuple[grpc.Channel, dispatch_service_pb2_grpc.DispatchServiceStub]:
    try:
        chan = client.channel(args.target, security=client_security(args))
    except ValueError as exc:  # an unreadable CA or token file, a token that would go in clear
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    return chan, client.stub(chan)


def _print(message: Message) -> None:
    print(text.to_json(message), flush=True)


def _rpc_failed(error: grpc.RpcError) -> int:
    details = client.error_details(error)
    print(f"error: {details.code.name}: {details.message}", file=sys.stderr)
    for path, description in details.field_violations:
        print(f"  {path}: {description}", file=sys.stderr)
    return EXIT_REJECTED if details.code in _REJECTED_CODES else EXIT_FAILED


def _read_request(path: str) -> routing_pb2.PlanRoutesRequest:
    text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()  # noqa: SIM115
    request = routing_pb2.PlanRoutesRequest()
    json_format.Parse(text, request)
    return request


def _submit(args: argparse.Namespace) -> int:
    try:
        request = _read_request(args.file)
    except (OSError, json_format.ParseError) as exc:
        print(f"error: cannot read {args.file}: {exc}", file=sys.stderr)
        return EXIT_REJECTED
    if args.request_id:
        request.request_id = args.request_id
    channel, stub = _stub(args)
    with channel:
        try:
            job = stub.CreatePlanJob(
                jobs_pb2.CreatePlanJobRequest(request=request), timeout=args.timeout
            )
        except grpc.RpcError as exc:
            return _rpc_failed(exc)
    if not args.watch or not job.job_id:  # no job_id: VALIDATE_ONLY created nothing
        print(client.to_json(job), flush=True)  # zero values left out: no job, no job_id
        return EXIT_OK
    print(job.job_id, flush=True)
    args.job_id, args.json, args.reconnect_seconds = job.job_id, False, 120.0
    return _watch(args)


def _fetch(args: argparse.Namespace, include_request: bool) -> jobs_pb2.PlanJob | int:
    """The job, or the exit status after printing why it could not be read."""
    channel, stub = _stub(args)
    with channel:
        try:
            return stub.GetPlanJob(
                jobs_pb2.GetPlanJobRequest(job_id=args.job_id, include_request=include_request),
                timeout=args.timeout,
            )
        except grpc.RpcError as exc:
            return _rpc_failed(exc)


def _get(args: argparse.Namespace) -> int:
    # Table and summary read clock times and load names from the request.
    job = _fetch(args, args.include_request or args.format != "json")
    if isinstance(job, int):
        return job
    if args.format == "json":
        _print(job)
    else:
        clock = _job_clock(job, args.tz)
        print(text.job_text(job, args.format, clock), flush=True)
    return EXIT_OK


def _job_clock(job: jobs_pb2.PlanJob, tz: object) -> Clock:
    request = job.request if job.HasField("request") else routing_pb2.PlanRoutesRequest()
    from dispatch.geojson import clock_of

    return clock_of(request, tz)


def _result(args: argparse.Namespace) -> int:
    """The plan of a finished job, in any --format; exit 3 if not finished, 4 if it failed."""
    job = _fetch(args, args.format != "json")
    if isinstance(job, int):
        return job
    state = jobs_pb2.PlanJob.State.Name(job.state)
    if job.state in (jobs_pb2.PlanJob.FAILED, jobs_pb2.PlanJob.CANCELLED):
        reason = f": {job.error_message}" if job.error_message else ""
        print(f"error: job {job.job_id} ended {state}{reason}; it has no plan", file=sys.stderr)
        return EXIT_JOB_NOT_SUCCEEDED
    if job.state != jobs_pb2.PlanJob.SUCCEEDED or not job.HasField("result"):
        print(
            f"error: job {job.job_id} is {state}; no plan yet (follow it with "
            f"`dispatch jobs watch {job.job_id}`)",
            file=sys.stderr,
        )
        return EXIT_FAILED
    if args.format == "geojson" and not job.request.location_coordinates:
        print(
            "error: --format geojson: the job's request has no location_coordinates",
            file=sys.stderr,
        )
        return EXIT_USAGE
    emit(job.result, args.format, job.request if job.HasField("request") else None, args.tz)
    return EXIT_OK


def _cancel(args: argparse.Namespace) -> int:
    channel, stub = _stub(args)
    with channel:
        try:
            job = stub.CancelPlanJob(
                jobs_pb2.CancelPlanJobRequest(job_id=args.job_id), timeout=args.timeout
            )
        except grpc.RpcError as exc:
            return _rpc_failed(exc)
    _print(job)
    return 0


def _list(args: argparse.Namespace) -> int:
    request = jobs_pb2.ListPlanJobsRequest(
        page_size=args.page_size,
        page_token=args.page_token,
        states=[jobs_pb2.PlanJob.State.Value(s) for s in args.state or ()],
        label=args.label,
    )
    channel, stub = _stub(args)
    with channel:
        try:
            response = stub.ListPlanJobs(request, timeout=args.timeout)
        except grpc.RpcError as exc:
            return _rpc_failed(exc)
    _print(response)
    return 0


# -- watch ----------------------------------------------------------------------------------


def _events(
    args: argparse.Namespace, stop: threading.Event
) -> Iterator[jobs_pb2.PlanJobEvent | grpc.RpcError]:
    """Events of the job across reconnects; yields the error that ends the watch, if any."""
    channel, stub = _stub(args)
    unreachable_since: float | None = None
    with channel:
        while not stop.is_set():
            call = stub.WatchPlanJob(jobs_pb2.WatchPlanJobRequest(job_id=args.job_id))
            try:
                for event in call:
                    unreachable_since = None
                    yield event
                    if event.job.state in FINAL:
                        return
                # The stream ended before a final state: the server is shutting down.
                error: grpc.RpcError | None = None
            except grpc.RpcError as exc:
                if exc.code() != grpc.StatusCode.UNAVAILABLE:
                    yield exc
                    return
                error = exc
            finally:
                call.cancel()
            now = time.monotonic()
            unreachable_since = unreachable_since or now
            if now - unreachable_since > args.reconnect_seconds:
                if error is not None:
                    yield error
                return
            print("server unreachable; reconnecting...", file=sys.stderr, flush=True)
            stop.wait(1.0)


def _watch(args: argparse.Namespace) -> int:
    tty = sys.stdout.isatty() and not args.json
    inbox: queue.Queue[jobs_pb2.PlanJobEvent | grpc.RpcError | None] = queue.Queue()
    stop = threading.Event()

    def pump() -> None:
        try:
            for item in _events(args, stop):
                inbox.put(item)
        finally:
            inbox.put(None)

    threading.Thread(target=pump, name="watch", daemon=True).start()
    job: jobs_pb2.PlanJob | None = None
    try:
        while True:
            try:
                item = inbox.get(timeout=0.5)
            except queue.Empty:
                if tty and job is not None:
                    _draw(job, tty=True)
                continue
            if item is None:
                break
            if isinstance(item, grpc.RpcError):
                if tty:
                    print(file=sys.stdout)
                return _rpc_failed(item)
            job = item.job
            if args.json:
                print(json_format.MessageToJson(item, indent=None), flush=True)  # one per line
            else:
                _draw(job, tty=tty)
    except KeyboardInterrupt:
        stop.set()
        if tty:
            print()
        return 130
    finally:
        stop.set()
    if tty:
        print()
    if job is None:
        return EXIT_FAILED
    if job.state in FINAL and job.error_message and not args.json:
        print(f"error: {job.error_message}", file=sys.stderr)
    return EXIT_OK if job.state == jobs_pb2.PlanJob.SUCCEEDED else EXIT_JOB_NOT_SUCCEEDED


def progress_line(job: jobs_pb2.PlanJob, now_ns: int | None = None) -> str:
    """One line about a job: state, elapsed, best objective, vehicles, solutions found, and for
    a job solved in parts (``parts_total`` > 0) "parts 3/8 (last: depot0-c2)"."""
    state = jobs_pb2.PlanJob.State.Name(job.state)
    if job.state == jobs_pb2.PlanJob.RUNNING and job.HasField("start_time"):
        now_ns = time.time_ns() if now_ns is None else now_ns
        elapsed = max(0.0, (now_ns - job.start_time.ToNanoseconds()) / 1e9)
    else:
        elapsed = job.progress.elapsed.ToNanoseconds() / 1e9
    parts = [f"{job.job_id[:12]} {state:<9}", f"elapsed {elapsed:7.1f}s"]
    if job.progress.plans_checked:
        # best_objective is the objective of the last checked plan, as the answer will report.
        parts += [
            f"best {job.progress.best_objective:.2f}",
            f"vehicles {job.progress.vehicles_used}",
            f"solutions {job.progress.solutions_found}",
        ]
    if job.progress.parts_total:
        split = f"parts {job.progress.parts_done}/{job.progress.parts_total}"
        if job.progress.finished_parts:
            split += f" (last: {job.progress.finished_parts[-1]})"
        parts.append(split)
    if job.progress.stopped_early:
        parts.append("stopped early")
    if job.attempts > 1:
        parts.append(f"attempt {job.attempts}")
    return "  ".join(parts)


def _draw(job: jobs_pb2.PlanJob, tty: bool) -> None:
    line = progress_line(job)
    if tty:
        sys.stdout.write("\r\x1b[2K" + line)
        sys.stdout.flush()
    else:
        print(line, flush=True)


if __name__ == "__main__":
    sys.exit(main())
