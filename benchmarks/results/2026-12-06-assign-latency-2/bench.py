"""AssignUnits latency against a bare gRPC echo, two code trees side by side (issue #14 part 5).

Three servers, each ``dispatch serve``-like process on 127.0.0.1 port 0: a bare gRPC echo
(a generic handler that returns the request bytes; the client parses them back into the
request message), ``dispatch serve`` from the NEW tree and ``dispatch serve`` from the BASE
tree. One client thread calls them in turn (echo, new, base, echo, new, base, ...) with the
same request, so all three see the same load. Per size: p50/p95/p99 per server and the ratio
of each p99 to the echo's p99. Then, at the largest size, calls with a 50 ms gRPC deadline,
alternating new and base: how many came back in time, and from which engine.

Run from the NEW tree's root (its ``benchmarks`` package builds the requests):
    .venv/bin/python benchmarks/results/2026-12-06-assign-latency-2/bench.py \
        --base /path/to/base/tree --out benchmarks/results/2026-12-06-assign-latency-2
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from concurrent import futures
from contextlib import ExitStack, contextmanager
from pathlib import Path

import grpc

from benchmarks.assign.requests import to_request
from benchmarks.assign.scenarios import city_problem
from dispatch._proto.dispatch.v1 import emergency_pb2

METHOD = "/dispatch.v1.DispatchService/AssignUnits"
_SERVING = re.compile(r"\(port (\d+)\)")


def _echo_main() -> None:
    """The echo server process: prints its port, answers until killed."""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=4),
        options=[("grpc.max_receive_message_length", 64 << 20)],
    )
    handler = grpc.method_handlers_generic_handler(
        "dispatch.v1.DispatchService",
        {"AssignUnits": grpc.unary_unary_rpc_method_handler(lambda request, context: request)},
    )
    server.add_generic_rpc_handlers((handler,))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(f"echo serving (port {port})", flush=True)
    server.wait_for_termination()


@contextmanager
def _process(command: list[str], cwd: Path, env: dict[str, str]):
    """Start a server process, yield its 127.0.0.1 target, stop it afterwards."""
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        seen = []
        assert process.stdout is not None
        while True:
            line = process.stdout.readline()
            if not line:
                raise RuntimeError("server did not start: " + "".join(seen)[-2000:])
            seen.append(line)
            match = _SERVING.search(line)
            if match:
                break
        threading.Thread(target=lambda: process.stdout.read(), daemon=True).start()
        yield f"127.0.0.1:{match.group(1)}"
    finally:
        process.terminate()
        process.wait(timeout=30)


def _dispatch(tree: Path, store: Path):
    env = dict(os.environ, PYTHONPATH=str(tree))
    command = [sys.executable, "-m", "dispatch.cli", "serve", "--address", "127.0.0.1:0"]
    command += ["--store", str(store), "--log-level", "WARNING"]
    return _process(command, tree, env)


def _call(channel: grpc.Channel, echo: bool):
    return channel.unary_unary(
        METHOD,
        request_serializer=emergency_pb2.AssignUnitsRequest.SerializeToString,
        response_deserializer=(
            emergency_pb2.AssignUnitsRequest.FromString
            if echo
            else emergency_pb2.AssignUnitsResponse.FromString
        ),
    )


def _rank(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def _summary(samples: list[float]) -> dict[str, float]:
    return {f"p{int(q * 100)}_ms": _rank(samples, q) for q in (0.5, 0.95, 0.99)} | {
        "max_ms": max(samples)
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", type=Path, required=True, help="the BASE code tree")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--calls", type=int, default=200, help="timed calls per size and server")
    parser.add_argument("--deadline-calls", type=int, default=20)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    new = Path.cwd()
    sizes = [(50, 300), (200, 2000)]
    options = [("grpc.max_receive_message_length", 64 << 20)]
    record: dict = {
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "new_tree": str(new),
        "base_tree": str(args.base),
        "calls": args.calls,
        "seed": args.seed,
        "load_before": os.getloadavg(),
        "sizes": {},
    }
    loads: list[tuple[float, float]] = []  # (seconds since start, 1-minute load average)
    started_at = time.monotonic()
    done = threading.Event()

    def sample_load() -> None:
        while not done.wait(5.0):
            loads.append((round(time.monotonic() - started_at, 1), os.getloadavg()[0]))

    threading.Thread(target=sample_load, daemon=True).start()
    with ExitStack() as stack, tempfile.TemporaryDirectory() as folder:
        echo_env = dict(os.environ, PYTHONPATH=str(new))
        targets = {
            "echo": stack.enter_context(
                _process([sys.executable, __file__, "--echo-server"], new, echo_env)
            ),
            "new": stack.enter_context(_dispatch(new, Path(folder) / "new.sqlite3")),
            "base": stack.enter_context(_dispatch(args.base, Path(folder) / "base.sqlite3")),
        }
        channels = {k: grpc.insecure_channel(t, options=options) for k, t in targets.items()}
        calls = {k: _call(c, k == "echo") for k, c in channels.items()}
        for n_incidents, n_units in sizes:
            request = to_request(city_problem(n_incidents, n_units, seed=args.seed))
            size = f"{n_incidents}x{n_units}"
            for _ in range(10):  # warm-up: connections, imports, buffers
                for call in calls.values():
                    call(request, timeout=60)
            samples: dict[str, list[float]] = {k: [] for k in calls}
            engines: dict[str, dict[str, int]] = {"new": {}, "base": {}}
            for _ in range(args.calls):
                for name, call in calls.items():
                    started = time.perf_counter()
                    answer = call(request, timeout=60)
                    samples[name].append((time.perf_counter() - started) * 1000.0)
                    if name != "echo":
                        engine = answer.solve_info.engine
                        engines[name][engine] = engines[name].get(engine, 0) + 1
            stats = {k: _summary(v) for k, v in samples.items()}
            record["sizes"][size] = {
                "samples_ms": samples,
                "stats": stats,
                "engines": engines,
                "p99_ratio_to_echo": {
                    k: stats[k]["p99_ms"] / stats["echo"]["p99_ms"] for k in ("new", "base")
                },
                "p99_minus_echo_ms": {
                    k: stats[k]["p99_ms"] - stats["echo"]["p99_ms"] for k in ("new", "base")
                },
                "load_after": os.getloadavg(),
            }
            print(size, json.dumps(stats), flush=True)
        # 50 ms gRPC deadline at the largest size, alternating new and base.
        request = to_request(city_problem(*sizes[-1], seed=args.seed))
        short: dict[str, dict[str, int]] = {"new": {}, "base": {}}
        for _ in range(args.deadline_calls):
            for name in ("new", "base"):
                try:
                    key = calls[name](request, timeout=0.05).solve_info.engine
                except grpc.RpcError as exc:
                    key = exc.code().name
                short[name][key] = short[name].get(key, 0) + 1
                time.sleep(0.05)
        record["deadline_50ms"] = short
        record["load_after"] = os.getloadavg()
        done.set()
        record["load_samples"] = loads
        for channel in channels.values():
            channel.close()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results.json").write_text(json.dumps(record, indent=1))
    print("50 ms deadline:", json.dumps(short))
    print("load", record["load_before"], record["load_after"])


if __name__ == "__main__":
    if sys.argv[1:] == ["--echo-server"]:
        _echo_main()
    else:
        main()
