"""Generated artifacts are current: protobuf code matches the protos, examples match generate.py."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dispatch._proto.dispatch.v1 import dispatch_service_pb2

ROOT = Path(__file__).resolve().parents[1]


def test_generated_protobuf_code_has_not_drifted():
    """dispatch/_proto is exactly what the pinned grpcio-tools makes of protos/ (test extra)."""
    pytest.importorskip("grpc_tools", reason="grpcio-tools comes with the [test] extra")
    result = subprocess.run(
        [sys.executable, "protos/generate.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_descriptor_names_are_the_contract_paths():
    """Reflection shows dispatch/v1/*.proto and dispatch.v1.DispatchService, not our folder."""
    assert dispatch_service_pb2.DESCRIPTOR.name == "dispatch/v1/dispatch_service.proto"
    service = dispatch_service_pb2.DESCRIPTOR.services_by_name["DispatchService"]
    assert service.full_name == "dispatch.v1.DispatchService"


def test_examples_are_what_the_generator_writes():
    """examples/*.json and the packaged copies are current and deterministic (fixed seed)."""
    result = subprocess.run(
        [sys.executable, "examples/generate.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_packaged_examples_equal_repo_examples():
    """The installed CLI serves the same examples the README shows."""
    for name in ("emergency", "sanitation", "maintenance"):
        repo = (ROOT / "examples" / f"{name}.json").read_text()
        packaged = (ROOT / "dispatch" / "examples" / f"{name}.json").read_text()
        assert repo == packaged, name
