"""``latency`` suite: AssignUnits round trips over gRPC on loopback, idle and with routing busy.

Three conditions: ``idle``; ``routing_busy`` (blocking PlanRoutes calls keep every synchronous
routing worker busy); ``jobs_busy`` (plan jobs keep every job slot solving: the nightly-plan
case of the jobs issue, whose target is p99 ratio <= 1.5 on a 2-core machine).

A real server (``dispatch serve`` in its own process on 127.0.0.1 port 0, started by
``benchmarks.assign.server.server_process``; routing solves run in its worker process) answers
sequential AssignUnits calls with the bundled emergency example: first with nothing else running,
then while client threads keep every routing worker slot busy with PlanRoutes solves of a Solomon
instance (one more thread than slots, so a queue exists). The figure is the ratio of the two
distributions (p50/p95/p99). The server has its own process because a client in the server's
process competes for its GIL (measured by the emergency engineer, see that module); the client
here is one thread issuing calls one after the other.
Results go to ``<out>/latency.jsonl``, one record per condition; rerunning skips recorded ones.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from benchmarks.harness import _append
from benchmarks.readers.common import with_options
from benchmarks.suites import ROUTING_SUITES, default_bench_dir

LATENCY = "latency.jsonl"
#: Routing worker processes of ``dispatch serve`` (its default, DISPATCH_WORKERS unset).
ROUTING_WORKERS = 1
#: Plan-job slots of ``dispatch serve`` (its default, DISPATCH_JOB_WORKERS unset).
JOB_WORKERS = 1
SERVER = "dispatch serve in its own process, 127.0.0.1 port 0"
EXAMPLE = Path(__file__).resolve().parents[1] / "dispatch" / "examples" / "emergency.json"


def _recorded(out: Path) -> set[str]:
    path = out / LATENCY
    if not path.exists():
        return set()
    records = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
    return {r["condition"] for r in records if r.get("valid", True)}


def _measure(stub, request, calls: int, interval: float = 0.0) -> list[float]:
    """Sequential calls, one every ``interval`` seconds at most (so they span a routing solve)."""
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        stub.AssignUnits(request, timeout=30)
        samples.append((time.perf_counter() - started) * 1000.0)
        time.sleep(max(0.0, interval - (time.perf_counter() - started)))
    return samples


def run_latency(
    out: Path,
    quick: bool = False,
    seed: int = 0,
    bench_dir: Path | None = None,
) -> list[dict[str, Any]]:
    """Measure both conditions (those not yet recorded in ``out``); returns the new records."""
    import grpc

    from benchmarks.assign.server import server_process
    from dispatch import client
    from dispatch._proto.dispatch.v1 import common_pb2

    out.mkdir(parents=True, exist_ok=True)
    done = _recorded(out)
    if {"idle", "routing_busy", "jobs_busy"} <= done:
        return []
    calls = 30 if quick else 500
    solve_budget = 2.0 if quick else 10.0
    # Pace the calls so the busy phase samples most of a routing solve, not just its start.
    interval = 0.02 if quick else 0.015
    request = client.parse_request("AssignUnits", EXAMPLE.read_text())
    suite = ROUTING_SUITES["solomon"]
    instance = suite.read(suite.files(bench_dir or default_bench_dir(), "R101")[0])
    routing_request = with_options(instance.request, common_pb2.ORTOOLS, solve_budget, seed)
    routing_workers = ROUTING_WORKERS
    records = []
    with server_process() as target:
        channel = client.channel(target)
        stub = client.stub(channel)
        _measure(stub, request, 10)  # warm-up: connection, imports, caches
        if "idle" not in done:
            record = {
                "condition": "idle",
                "samples_ms": _measure(stub, request, calls, interval),
                "interval_s": interval,
                "server": SERVER,
            }
            records.append(record)
        if "routing_busy" not in done:
            stop = threading.Event()
            outcomes: list[str] = []

            def keep_busy() -> None:
                while not stop.is_set():
                    try:
                        stub.PlanRoutes(routing_request, timeout=solve_budget + 60)
                        outcomes.append("ok")
                    except grpc.RpcError as exc:
                        outcomes.append(exc.code().name)
                        time.sleep(0.05)

            threads = [
                threading.Thread(target=keep_busy, daemon=True) for _ in range(routing_workers + 1)
            ]
            for thread in threads:
                thread.start()
            time.sleep(1.0)  # let the solves reach the workers
            measuring = time.perf_counter()
            samples = _measure(stub, request, calls, interval)
            window = time.perf_counter() - measuring
            stop.set()
            for thread in threads:
                thread.join(timeout=solve_budget + 70)
            failed = sorted({o for o in outcomes if o != "ok"})
            note = f"{outcomes.count('ok')} PlanRoutes solves completed meanwhile"
            if failed:
                note += f"; PlanRoutes failed with {failed}: routing may NOT have been busy"
            records.append(
                {
                    "condition": "routing_busy",
                    "samples_ms": samples,
                    "note": note,
                    "routing_workers": routing_workers,
                    "interval_s": interval,
                    "window_s": window,
                    "server": SERVER,
                    "routing_instance": instance.name,
                    "routing_budget_s": solve_budget,
                    # Not valid (rerun on resume) unless routing solves really ran.
                    "valid": outcomes.count("ok") > 0,
                }
            )
        if "jobs_busy" not in done:
            records.append(_jobs_busy(stub, request, routing_request, calls, interval, seed))
        channel.close()
    for record in records:
        _append(out / LATENCY, record)
    return records


def _jobs_busy(stub, request, routing_request, calls: int, interval: float, seed: int) -> dict:
    """AssignUnits while plan jobs keep every job slot solving (one more job queued)."""
    from dispatch._proto.dispatch.v1 import jobs_pb2

    job_budget = 600.0  # longer than the measurement: the jobs are cancelled afterwards
    jobs = []
    for k in range(JOB_WORKERS + 1):
        job_request = jobs_pb2.CreatePlanJobRequest()
        job_request.request.CopyFrom(routing_request)
        job_request.request.request_id = f"latency-jobs-busy-{seed}-{k}-{time.time_ns()}"
        job_request.request.options.time_budget.FromSeconds(int(job_budget))
        jobs.append(stub.CreatePlanJob(job_request, timeout=30).job_id)
    # Measure only once a job is really solving (it has reported an improving solution).
    solving = False
    waited = time.perf_counter()
    while time.perf_counter() - waited < 60 and not solving:
        states = [stub.GetPlanJob(jobs_pb2.GetPlanJobRequest(job_id=j), timeout=10) for j in jobs]
        solving = any(
            s.state == jobs_pb2.PlanJob.RUNNING and s.progress.solutions_found > 0 for s in states
        )
        time.sleep(0.2)
    measuring = time.perf_counter()
    samples = _measure(stub, request, calls, interval)
    window = time.perf_counter() - measuring
    states = [stub.GetPlanJob(jobs_pb2.GetPlanJobRequest(job_id=j), timeout=10) for j in jobs]
    still_running = sum(s.state == jobs_pb2.PlanJob.RUNNING for s in states)
    for job_id in jobs:
        stub.CancelPlanJob(jobs_pb2.CancelPlanJobRequest(job_id=job_id), timeout=30)
    return {
        "condition": "jobs_busy",
        "samples_ms": samples,
        "note": f"{len(jobs)} plan jobs for {JOB_WORKERS} job slot(s); "
        f"{still_running} still RUNNING when measuring ended",
        "job_workers": JOB_WORKERS,
        "interval_s": interval,
        "window_s": window,
        "server": SERVER,
        # Not valid (rerun on resume) unless a job was solving throughout.
        "valid": solving and still_running >= JOB_WORKERS,
    }
