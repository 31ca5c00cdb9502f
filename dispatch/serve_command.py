"""The ``dispatch serve`` command: its flags, and the server's life from start to signal.

Kept apart from ``dispatch.cli`` (the other commands), which registers it.
"""

from __future__ import annotations

import argparse
import gc
import signal
import sys
import threading
import time
from types import FrameType

import grpc

from dispatch import client, errors
from dispatch.cli import DEFAULT_TARGET, EXIT_FAILED, EXIT_OK, EXIT_USAGE, _log
from dispatch.config import ServerConfig
from dispatch.examples import EXAMPLES
from dispatch.examples import read_text as read_example
from dispatch.security.cli_flags import add_serve_flags, client_security, serve_overrides
from dispatch.security.settings import SecurityConfigError

_D = ServerConfig  # its field defaults are the flags' defaults, stated once


def run_examples(
    target: str, out: object = None, security: client.ClientSecurity | None = None
) -> bool:
    """Call the server with each bundled example; print one summary line each.

    True when every example got an answer; False when one was rejected or failed, which means
    the examples or the server are broken.
    """
    stream = out or sys.stdout
    ok = True
    with client.channel(target, security=security) as chan:
        grpc.channel_ready_future(chan).result(timeout=10)
        for example, method in EXAMPLES.items():
            request = client.parse_request(method, read_example(example))
            budget = request.options.time_budget.ToTimedelta().total_seconds()  # type: ignore[attr-defined]
            started = time.perf_counter()
            try:
                answer = client.call(chan, method, request, timeout=budget + 30.0)
                line = client.summarize(method, answer)
            except grpc.RpcError as error:
                details = client.error_details(error)
                line = f"{details.code.name}: {details.message}"
                ok = False
            elapsed = time.perf_counter() - started
            print(f"example {example} ({method}, {elapsed:.2f} s): {line}", file=stream, flush=True)  # type: ignore[arg-type]
    return ok


#: Net new container objects that start a young collection (CPython's default is 700). A
#: 2,000-unit AssignUnits call holds ~10,000 per-unit tuples and strings for a few milliseconds,
#: so at 700 the collector walked them about three times a call, 0.25 ms each, for garbage that
#: reference counting frees anyway (measured in the server at 200 x 2,000: 891 young collections
#: in 310 calls; none at 20,000, and a p50 0.93-0.94 of the default's, interleaved). A cycle
#: still goes at the next collection; at most this many objects wait for it.
YOUNG_COLLECTION_THRESHOLD = 20_000


def settle_collector() -> None:
    """Tune the cyclic garbage collector for a long-lived server, once it has started.

    What is loaded by now (modules, solver tables) lives as long as the process: frozen, it
    is out of the collector's full passes, which would otherwise walk it all again and again
    and show as spikes on the hot path (measured: AdviseInsertion's p99). Young collections
    start later (``YOUNG_COLLECTION_THRESHOLD``); the older generations keep their defaults.
    """
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, middle, old)


def run_serve(args: argparse.Namespace) -> int:
    """``dispatch serve``: start, optionally answer the examples, serve until a signal."""
    from dispatch.server import start
    from dispatch.tracing import TracingUnavailableError

    try:
        config = ServerConfig.from_env(base=ServerConfig(address=DEFAULT_TARGET)).with_overrides(
            address=args.address,
            routing_workers=args.workers,
            job_workers=args.job_workers,
            store_path=args.store,
            store_quota_bytes=args.store_quota,
            store_lease_seconds=args.store_lease,
            ray_address=args.ray_address,  # cluster
            ray_min_stops=args.ray_min_stops,
            ray_part_stops=args.ray_part_stops,
            log_level=args.log_level,
            grace_seconds=args.grace,
            # admission
            max_inflight_assign_units=args.max_inflight_assign,
            max_inflight_request_bytes=args.max_inflight_bytes,
            # metrics
            metrics_address=args.metrics_address,
            tracing=args.tracing or None,
            **serve_overrides(args),  # security
        )
        examples_security = client_security(args)  # DISPATCH_CA, DISPATCH_TOKEN, ...
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    from dispatch import logs

    logs.configure(config.log_level)  # from here on, every log line is one JSON object
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        _log.info("received %s", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        handle = start(config)
    except (OSError, errors.DispatchError, TracingUnavailableError) as exc:
        # Port in use, store held by another server, unwritable store folder: say so plainly.
        _log.error("cannot start: %s", exc)
        return EXIT_FAILED
    except SecurityConfigError as exc:  # unsafe exposure, unreadable certificate or token file
        _log.error("cannot start: %s", exc)
        return EXIT_USAGE
    settle_collector()
    print(f"dispatch serving on {handle.target} (port {handle.port})", flush=True)
    code = EXIT_OK
    try:
        if args.examples or args.exit_after_examples:
            examples_ok = run_examples(handle.target, security=examples_security)
            if args.exit_after_examples:
                return EXIT_OK if examples_ok else EXIT_FAILED
        while not stop.wait(0.5):
            pass
    finally:
        handle.shutdown()
    return code


def _size_arg(value: str) -> int:
    """argparse type for a byte size (512MiB, 1GiB, 536870912)."""
    from dispatch.config import parse_size

    try:
        return parse_size(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def add_serve_parser(sub: argparse._SubParsersAction) -> None:
    """The ``serve`` subcommand and its flags (security flags: dispatch.security.cli_flags)."""
    serve = sub.add_parser(
        "serve",
        help="run the gRPC server",
        description="Run the gRPC server until SIGTERM/SIGINT (graceful shutdown). Flags override "
        "DISPATCH_ADDRESS, DISPATCH_WORKERS, DISPATCH_JOB_WORKERS, DISPATCH_STORE, "
        "DISPATCH_LOG_LEVEL, DISPATCH_METRICS_ADDRESS, DISPATCH_TRACING. Logs go to stderr, one "
        "JSON object per line.",
    )
    serve.add_argument(
        "--address", help=f"HOST:PORT to bind (default {DEFAULT_TARGET}; port 0 picks a free one)"
    )
    serve.add_argument(
        "--workers", type=int, help=f"routing worker processes (default {_D.routing_workers})"
    )
    serve.add_argument(
        "--job-workers", type=int, help=f"plan jobs solved at once (default {_D.job_workers})"
    )
    _add_store_flags(serve)
    serve.add_argument("--log-level", help="DEBUG, INFO (default), WARNING, ERROR")
    serve.add_argument("--grace", type=float, help="seconds in-flight calls get at shutdown")
    _add_operations_flags(serve)
    serve.add_argument(
        "--examples",
        action="store_true",
        help="after starting, send each bundled example and print a summary, then keep serving",
    )
    serve.add_argument(
        "--exit-after-examples",
        action="store_true",
        help="like --examples, then shut down (exit 0 when every example was answered)",
    )
    add_serve_flags(serve)
    serve.set_defaults(func=run_serve)


def _add_store_flags(serve: argparse.ArgumentParser) -> None:
    """Where plan jobs live, and where big ones are solved."""
    serve.add_argument(
        "--store",
        help="plan job store: a SQLite file (default ./var/dispatch.sqlite3), or a "
        "postgresql://USER@HOST:PORT/DB URL shared by several replicas (env DISPATCH_STORE)",
    )
    serve.add_argument(
        "--store-lease",
        type=float,
        metavar="SECONDS",
        help="PostgreSQL store: a running job's lease; a dead replica's job is taken over after "
        f"it (default {_D.store_lease_seconds:g}; env DISPATCH_STORE_LEASE_SECONDS)",
    )
    serve.add_argument(
        "--store-quota",
        type=_size_arg,
        metavar="SIZE",
        help="bytes the job store may hold, e.g. 2GiB; CreatePlanJob beyond it is refused with "
        f"RESOURCE_EXHAUSTED; 0: no quota (default {_D.store_quota_bytes // 1024**3}GiB; "
        "env DISPATCH_STORE_QUOTA_BYTES)",
    )
    serve.add_argument(
        "--ray-address",
        help="plan jobs of --ray-min-stops stops or more are decomposed and solved on Ray: "
        "'local' starts Ray here, HOST:PORT joins a cluster; unreachable: the server does not "
        "start (needs the ray extra; env DISPATCH_RAY_ADDRESS); 'inline' solves the parts one "
        "after another in this process without Ray (tests and trials only)",
    )
    serve.add_argument(
        "--ray-min-stops",
        type=int,
        metavar="N",
        help=f"stops from which a job goes to Ray ({_D.ray_min_stops})",
    )
    serve.add_argument(
        "--ray-part-stops",
        type=int,
        metavar="N",
        help=f"stops per part at most on Ray ({_D.ray_part_stops})",
    )


def _add_operations_flags(serve: argparse.ArgumentParser) -> None:
    """Admission limits, metrics and tracing."""
    serve.add_argument(
        "--max-inflight-assign",
        type=int,
        metavar="N",
        help="AssignUnits calls solved at once; more are refused at once with "
        "RESOURCE_EXHAUSTED and a retry delay (default the cores, at least 2; "
        "env DISPATCH_MAX_INFLIGHT_ASSIGN)",
    )
    serve.add_argument(
        "--max-inflight-bytes",
        type=_size_arg,
        metavar="SIZE",
        help="request bytes held by admitted calls at once, e.g. 512MiB; beyond it calls are "
        "refused likewise (default 512MiB; env DISPATCH_MAX_INFLIGHT_BYTES)",
    )
    # metrics
    serve.add_argument(
        "--metrics-address",
        metavar="HOST:PORT",
        help="serve Prometheus metrics at http://HOST:PORT/metrics (default: off)",
    )
    serve.add_argument(
        "--tracing",
        action="store_true",
        help="one OpenTelemetry span per call (needs the tracing extra; OTEL_TRACES_EXPORTER "
        "picks the exporter)",
    )
