"""OpenTelemetry spans of a real server: one per call, recorded by the SDK's in-memory exporter."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from dispatch import client, tracing
from dispatch._proto.dispatch.v1 import emergency_pb2
from dispatch.config import ServerConfig
from dispatch.server import ServerHandle, start

ROOT = Path(__file__).resolve().parents[2]
TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


@pytest.fixture(scope="module")
def exporter() -> InMemorySpanExporter:
    """Where the traced server's spans end up."""
    return InMemorySpanExporter()


@pytest.fixture(scope="module")
def traced(
    tmp_path_factory: pytest.TempPathFactory, exporter: InMemorySpanExporter
) -> Iterator[ServerHandle]:
    """A server tracing into ``exporter``."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    config = ServerConfig(
        address="127.0.0.1:0",
        store_path=str(tmp_path_factory.mktemp("traced") / "s.sqlite3"),
        grace_seconds=1.0,
    )
    handle = start(config, tracer_provider=provider)
    yield handle
    handle.shutdown(grace=1.0)


@pytest.fixture(scope="module")
def stub(traced: ServerHandle) -> Iterator[object]:
    """A DispatchService stub on a channel to the traced server."""
    with client.channel(traced.target) as chan:
        grpc.channel_ready_future(chan).result(timeout=30)
        yield client.stub(chan)


def _spans_of(exporter: InMemorySpanExporter, request_id: str) -> list:
    return [
        s
        for s in exporter.get_finished_spans()
        if s.attributes.get("dispatch.request_id") == request_id
    ]


def test_one_span_per_call_with_method_code_and_request_id(stub, exporter, examples):
    """A good AssignUnits call leaves one server span naming its method, code and request_id."""
    request = examples["emergency"]
    request.request_id = "trace-ok"
    answer = stub.AssignUnits(request, timeout=60)
    [span] = _spans_of(exporter, "trace-ok")
    assert span.name == "dispatch.v1.DispatchService/AssignUnits"
    assert span.kind == SpanKind.SERVER
    assert span.attributes["rpc.method"] == "AssignUnits"
    assert span.attributes["dispatch.code"] == "OK"
    assert span.attributes["rpc.grpc.status_code"] == 0
    assert span.attributes["dispatch.engine"] == answer.solve_info.engine
    assert span.end_time > span.start_time
    assert span.status.status_code == StatusCode.UNSET


def test_rejected_call_span_carries_its_code(stub, exporter):
    """An INVALID_ARGUMENT call is traced with that code (a caller error, not a server error)."""
    with pytest.raises(grpc.RpcError):
        stub.AssignUnits(emergency_pb2.AssignUnitsRequest(request_id="trace-bad"), timeout=30)
    [span] = _spans_of(exporter, "trace-bad")
    assert span.attributes["dispatch.code"] == "INVALID_ARGUMENT"
    assert span.attributes["rpc.grpc.status_code"] == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    assert span.status.status_code == StatusCode.UNSET


def test_span_joins_the_callers_trace(stub, exporter, examples):
    """A W3C traceparent in the call's metadata makes the server span a child of the caller's."""
    request = examples["emergency"]
    request.request_id = "trace-child"
    metadata = (("traceparent", f"00-{TRACE_ID}-{PARENT_ID}-01"),)
    stub.AssignUnits(request, timeout=60, metadata=metadata)
    [span] = _spans_of(exporter, "trace-child")
    assert f"{span.context.trace_id:032x}" == TRACE_ID
    assert f"{span.parent.span_id:016x}" == PARENT_ID


def test_tracing_off_by_default(tmp_path):
    """Without --tracing or a provider, the server has no tracer."""
    assert ServerConfig().tracing is False
    handle = start(ServerConfig(address="127.0.0.1:0", store_path=str(tmp_path / "s.sqlite3")))
    try:
        assert handle.tracer is None
    finally:
        handle.shutdown(grace=0.5)


def test_server_does_not_import_opentelemetry_unless_tracing():
    """The base install works without the tracing extra: nothing imports OpenTelemetry."""
    code = (
        "import sys, dispatch.server, dispatch.cli;"
        "print(any(m.startswith('opentelemetry') for m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.stdout.strip() == "False", result.stderr


def test_unknown_exporter_is_refused():
    """OTEL_TRACES_EXPORTER naming an exporter that is not installed fails plainly."""
    with pytest.raises(tracing.TracingUnavailableError, match="no-such-exporter"):
        tracing.provider_from_env({"OTEL_TRACES_EXPORTER": "no-such-exporter"})


def test_serve_tracing_writes_console_spans(tmp_path, examples):
    """``dispatch serve --tracing`` with OTEL_TRACES_EXPORTER=console prints one JSON span per
    call on stdout (flushed at shutdown), named for the service."""
    env = {
        **os.environ,
        "OTEL_TRACES_EXPORTER": "console",
        "OTEL_SERVICE_NAME": "dispatch-test",
    }
    process = subprocess.Popen(
        [
            *(sys.executable, "-m", "dispatch.cli", "serve", "--tracing"),
            *("--address", "127.0.0.1:0", "--store", str(tmp_path / "s.sqlite3")),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        first = process.stdout.readline()
        target = first.split("serving on ", 1)[1].split()[0]
        request = examples["emergency"]
        request.request_id = "console-span"
        with client.channel(target) as chan:
            client.stub(chan).AssignUnits(request, timeout=60)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    spans = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    [span] = [s for s in spans if s["attributes"].get("dispatch.request_id") == "console-span"]
    assert span["name"] == "dispatch.v1.DispatchService/AssignUnits"
    assert span["resource"]["attributes"]["service.name"] == "dispatch-test"
