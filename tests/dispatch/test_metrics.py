"""The Prometheus endpoint of a real server, scraped over HTTP after real calls and real solves."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import grpc
import pytest
from google.protobuf.duration_pb2 import Duration
from prometheus_client.parser import text_string_to_metric_families

from dispatch import client
from dispatch._proto.dispatch.v1 import common_pb2, emergency_pb2, jobs_pb2, routing_pb2
from dispatch.config import ServerConfig
from dispatch.emergency import FAULTS_ENV
from dispatch.metrics import Metrics
from dispatch.server import ServerHandle, start

ROOT = Path(__file__).resolve().parents[2]
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(handle: ServerHandle) -> Samples:
    """Every sample of the server's /metrics page, keyed by (name, labels)."""
    url = f"http://127.0.0.1:{handle.metrics_port}/metrics"
    with urllib.request.urlopen(url, timeout=30) as answer:
        text = answer.read().decode()
    samples: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """One sample's value; 0 when the series does not exist yet."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def until(condition: Callable[[], bool], timeout: float = 120.0) -> bool:
    """Wait for ``condition`` to hold (polled), True when it did before ``timeout``."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _config(folder: Path, **overrides: object) -> ServerConfig:
    return ServerConfig(
        address="127.0.0.1:0",
        metrics_address="127.0.0.1:0",
        store_path=str(folder / "dispatch.sqlite3"),
        grace_seconds=1.0,
    ).with_overrides(**overrides)


@pytest.fixture(scope="module")
def handle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerHandle]:
    """A server of this module's own with metrics on a free port."""
    server = start(_config(tmp_path_factory.mktemp("metrics")))
    yield server
    server.shutdown(grace=1.0)


@pytest.fixture(scope="module")
def stub(handle: ServerHandle) -> Iterator[object]:
    """A DispatchService stub on a channel to ``handle``."""
    with client.channel(handle.target) as chan:
        grpc.channel_ready_future(chan).result(timeout=30)
        yield client.stub(chan)


def _budget(request: object, seconds: float) -> object:
    request.options.time_budget.CopyFrom(Duration(seconds=int(seconds)))  # type: ignore[attr-defined]
    return request


def test_metrics_port_is_bound_and_serves_prometheus_text(handle):
    """Port 0 picks a free port, exposed on the handle; the page is Prometheus text."""
    assert handle.metrics_port and handle.metrics_port != handle.port
    samples = scrape(handle)
    assert value(samples, "dispatch_routing_workers", pool="plan_routes") == 1


def test_assign_units_counted_by_method_code_engine_and_status(handle, stub, examples):
    """One AssignUnits call: +1 latency sample (method, code OK), +1 solve time under the
    answer's engine, +1 answer under its status."""
    before = scrape(handle)
    answer = stub.AssignUnits(examples["emergency"], timeout=60)
    after = scrape(handle)
    engine = answer.solve_info.engine
    status = common_pb2.SolveStatus.Name(answer.solve_info.status)
    name = "dispatch_rpc_duration_seconds_count"
    for metric, labels in (
        (name, {"method": "AssignUnits", "code": "OK"}),
        ("dispatch_solve_duration_seconds_count", {"method": "AssignUnits", "engine": engine}),
        ("dispatch_answers_total", {"method": "AssignUnits", "status": status}),
    ):
        assert value(after, metric, **labels) == value(before, metric, **labels) + 1, metric


def test_plan_routes_counted_by_method_code_engine_and_status(handle, stub, examples):
    """One PlanRoutes call is counted like AssignUnits, under its own method and engine."""
    before = scrape(handle)
    answer = stub.PlanRoutes(_budget(examples["sanitation"], 1), timeout=120)
    after = scrape(handle)
    engine = answer.solve_info.engine
    status = common_pb2.SolveStatus.Name(answer.solve_info.status)
    for metric, labels in (
        ("dispatch_rpc_duration_seconds_count", {"method": "PlanRoutes", "code": "OK"}),
        ("dispatch_solve_duration_seconds_count", {"method": "PlanRoutes", "engine": engine}),
        ("dispatch_answers_total", {"method": "PlanRoutes", "status": status}),
    ):
        assert value(after, metric, **labels) == value(before, metric, **labels) + 1, metric


def test_invalid_argument_counted_with_its_code_and_no_answer(handle, stub):
    """A rejected call is counted under INVALID_ARGUMENT and adds no solve answer."""
    before = scrape(handle)
    with pytest.raises(grpc.RpcError) as info:
        stub.AssignUnits(emergency_pb2.AssignUnitsRequest(), timeout=30)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    after = scrape(handle)
    labels = {"method": "AssignUnits", "code": "INVALID_ARGUMENT"}
    name = "dispatch_rpc_duration_seconds_count"
    assert value(after, name, **labels) == value(before, name, **labels) + 1
    answers = [k for k, v in after.items() if k[0] == "dispatch_answers_total" and v]
    assert sum(after[k] for k in answers) == sum(before.get(k, 0) for k in answers)


def test_validate_only_answer_counted_as_not_solved_without_solve_time(handle, stub, examples):
    """VALIDATE_ONLY answers count under NOT_SOLVED and add no solve time."""
    request = examples["emergency"]
    request.options.solving_mode = common_pb2.VALIDATE_ONLY
    before = scrape(handle)
    stub.AssignUnits(request, timeout=30)
    after = scrape(handle)
    labels = {"method": "AssignUnits", "status": "NOT_SOLVED"}
    assert value(after, "dispatch_answers_total", **labels) == (
        value(before, "dispatch_answers_total", **labels) + 1
    )
    solved = [k for k in after if k[0] == "dispatch_solve_duration_seconds_count"]
    assert all(after[k] == before.get(k, 0) for k in solved)


def test_fallback_and_degraded_answers_counted_by_engine(handle, stub, examples, monkeypatch):
    """An AssignUnits whose first engine fails (a real injected fault) is counted as a fallback
    under the engine that answered (and as degraded only when the answer says so)."""
    monkeypatch.setenv(FAULTS_ENV, "min_cost_flow")
    before = scrape(handle)
    answer = stub.AssignUnits(examples["emergency"], timeout=60)
    after = scrape(handle)
    info = answer.solve_info
    assert info.fallback_reason, "the injected fault must force a fallback"
    labels = {"method": "AssignUnits", "engine": info.engine}
    for name, expected in (
        ("dispatch_fallback_answers_total", 1),
        ("dispatch_degraded_answers_total", 1 if info.degraded else 0),
    ):
        assert value(after, name, **labels) == value(before, name, **labels) + expected, name


def test_degraded_answer_counted_by_engine():
    """A degraded answer (e.g. a routing solve that overran) counts once under its engine; the
    free-text reason is not a label."""
    metrics = Metrics()
    info = common_pb2.SolveInfo(
        engine="ortools.routing",
        status=common_pb2.FEASIBLE,
        degraded=True,
        degraded_reason="the solve overran its deadline",
        wall_time=Duration(seconds=2),
    )
    metrics.observe_answer("PlanRoutes", routing_pb2.PlanRoutesResponse(solve_info=info))
    labels = {"method": "PlanRoutes", "engine": "ortools.routing"}
    registry = metrics.registry
    assert registry.get_sample_value("dispatch_degraded_answers_total", labels) == 1
    assert registry.get_sample_value("dispatch_fallback_answers_total", labels) is None
    assert registry.get_sample_value("dispatch_solve_duration_seconds_sum", labels) == 2


def test_admission_limits_and_load_are_reported(handle):
    """The admission limits of the config and what they hold now (nothing when idle)."""
    samples = scrape(handle)
    limit = handle.config.max_inflight_assign_units
    assert value(samples, "dispatch_assign_units_in_flight_limit") == limit
    assert value(samples, "dispatch_assign_units_in_flight") == 0
    assert value(samples, "dispatch_request_bytes_in_flight_limit") == (
        handle.config.max_inflight_request_bytes
    )
    assert (
        "dispatch_admission_refusals_total",
        frozenset({("limit", "assign_units_in_flight")}),
    ) in samples


def test_busy_workers_and_queue_depth_while_solves_run(handle, stub, examples):
    """Two PlanRoutes on one routing worker: busy 1 and one waiting while they run, 0 after."""
    request = _budget(examples["maintenance"], 60)
    calls = [stub.PlanRoutes.future(request, timeout=120) for _ in range(2)]
    try:

        def one_busy_one_waiting() -> bool:
            samples = scrape(handle)
            return (
                value(samples, "dispatch_routing_workers_busy", pool="plan_routes") == 1
                and value(samples, "dispatch_routing_queue_depth", pool="plan_routes") == 1
            )

        assert until(one_busy_one_waiting)
    finally:
        for call in calls:
            call.cancel()

    def idle() -> bool:
        samples = scrape(handle)
        return (
            value(samples, "dispatch_routing_workers_busy", pool="plan_routes") == 0
            and value(samples, "dispatch_routing_queue_depth", pool="plan_routes") == 0
        )

    assert until(idle)


def test_plan_job_counted_in_job_states_and_answers(handle, stub, examples):
    """A finished plan job shows in dispatch_jobs{state} and its answer under CreatePlanJob."""
    before = scrape(handle)
    job = stub.CreatePlanJob(
        jobs_pb2.CreatePlanJobRequest(request=_budget(examples["sanitation"], 1)), timeout=30
    )
    ended = (jobs_pb2.PlanJob.SUCCEEDED, jobs_pb2.PlanJob.FAILED, jobs_pb2.PlanJob.CANCELLED)
    for event in stub.WatchPlanJob(jobs_pb2.WatchPlanJobRequest(job_id=job.job_id), timeout=120):
        if event.job.state in ended:
            break
    final = stub.GetPlanJob(jobs_pb2.GetPlanJobRequest(job_id=job.job_id), timeout=30)
    assert final.state == jobs_pb2.PlanJob.SUCCEEDED
    after = scrape(handle)
    assert value(after, "dispatch_jobs", state="SUCCEEDED") == (
        value(before, "dispatch_jobs", state="SUCCEEDED") + 1
    )
    assert value(after, "dispatch_job_store_up") == 1
    status = common_pb2.SolveStatus.Name(final.result.solve_info.status)
    labels = {"method": "CreatePlanJob", "status": status}
    assert value(after, "dispatch_answers_total", **labels) == (
        value(before, "dispatch_answers_total", **labels) + 1
    )


def test_damaged_job_store_does_not_break_a_scrape(tmp_path):
    """A store overwritten with garbage (file, WAL and shared index, in place): the scrape still
    answers, with job_store_up 0 and the routing gauges intact."""
    handle = start(_config(tmp_path, job_workers=1))
    try:
        assert value(scrape(handle), "dispatch_job_store_up") == 1
        store = Path(handle.config.store_path)
        for path in (store, Path(f"{store}-wal"), Path(f"{store}-shm")):
            if path.exists():
                size = path.stat().st_size
                with path.open("r+b") as file:
                    file.write(b"not a database, " * (size // 16 + 1))
        samples = scrape(handle)
        assert value(samples, "dispatch_job_store_up") == 0
        assert value(samples, "dispatch_routing_workers", pool="plan_routes") == 1
    finally:
        handle.shutdown(grace=0.5)


def test_metrics_off_by_default_opens_no_port(tmp_path):
    """Without metrics_address (the default) the server has no endpoint and no metrics port."""
    assert ServerConfig().metrics_address == ""
    plain = start(ServerConfig(address="127.0.0.1:0", store_path=str(tmp_path / "s.sqlite3")))
    try:
        assert plain.metrics is None and plain.metrics_port is None
    finally:
        plain.shutdown(grace=0.5)


def test_two_servers_keep_separate_counts(handle, stub, tmp_path, examples):
    """Each server has its own registry: calls to one never show on the other's page."""
    other = start(_config(tmp_path))
    try:
        before = scrape(other)
        stub.AssignUnits(examples["emergency"], timeout=60)
        after = scrape(other)
        labels = {"method": "AssignUnits", "code": "OK"}
        name = "dispatch_rpc_duration_seconds_count"
        assert value(after, name, **labels) == value(before, name, **labels) == 0
    finally:
        other.shutdown(grace=0.5)


def test_endpoint_closed_at_shutdown(tmp_path):
    """After shutdown the metrics port refuses connections (the port is given back)."""
    handle = start(_config(tmp_path))
    port = handle.metrics_port
    handle.shutdown(grace=0.5)
    with pytest.raises(urllib.error.URLError):
        urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5)


@pytest.mark.parametrize("address", ["9464", "localhost", "host:port", "127.0.0.1:70000"])
def test_bad_metrics_address_is_rejected_in_config(address):
    """A malformed HOST:PORT fails when the config is built, naming the problem."""
    with pytest.raises(ValueError, match="metrics"):
        ServerConfig(metrics_address=address)


def test_environment_sets_metrics_address_and_tracing():
    """DISPATCH_METRICS_ADDRESS and DISPATCH_TRACING are read like the other settings."""
    config = ServerConfig.from_env(
        {"DISPATCH_METRICS_ADDRESS": "[::1]:9464", "DISPATCH_TRACING": "1"}
    )
    assert config.metrics_address == "[::1]:9464" and config.tracing is True
    assert ServerConfig.from_env({"DISPATCH_TRACING": "off"}).tracing is False
    with pytest.raises(ValueError, match="DISPATCH_TRACING"):
        ServerConfig.from_env({"DISPATCH_TRACING": "maybe"})


def test_serve_flag_serves_metrics(tmp_path):
    """``dispatch serve --metrics-address 127.0.0.1:0`` logs the bound port and serves it."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "dispatch.cli",
            "serve",
            "--address",
            "127.0.0.1:0",
            "--metrics-address",
            "127.0.0.1:0",
            "--store",
            str(tmp_path / "s.sqlite3"),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "DISPATCH_METRICS_ADDRESS": ""},
    )
    try:
        port = None
        for line in process.stderr:
            record = json.loads(line)
            if record["message"].startswith("metrics on"):
                port = int(record["message"].rsplit("port ", 1)[1].rstrip(")"))
                break
        assert port is not None
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as page:
            assert b"dispatch_routing_workers_busy" in page.read()
        process.send_signal(signal.SIGTERM)
        process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
