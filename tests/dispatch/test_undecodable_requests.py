"""Request bodies that are not valid protobuf get INVALID_ARGUMENT, over a real channel.

Before, grpcio's generated deserialiser raised inside grpcio: INTERNAL ("Exception deserializing
request!"), a traceback in the log and about 20 KB of server memory kept per call. The service now
registers handlers that take raw bytes and parse them itself (``dispatch.decoding``). These tests
send bytes with no serialiser (``channel.unary_unary(method)``) to every DispatchService RPC.
"""

from __future__ import annotations

import gc
import itertools
import logging
import os

import grpc
import pytest

from dispatch import client
from dispatch._proto.dispatch.v1 import common_pb2, emergency_pb2
from dispatch.interceptors import SERVICE_PREFIX

#: A field tag with an invalid wire type (7) followed by a truncated varint.
GARBAGE = b"\xff\xff\xff"


def raw_call(channel: grpc.Channel, method: str, body: bytes, timeout: float = 10.0) -> bytes:
    """Send ``body`` untouched to ``method``; the answer's bytes (the first one of a stream)."""
    path = SERVICE_PREFIX + method
    if client.METHODS[method].streaming:
        answers = channel.unary_stream(path)(body, timeout=timeout)
        return next(iter(answers))
    return channel.unary_unary(path)(body, timeout=timeout)


def rejection(channel: grpc.Channel, method: str, body: bytes) -> client.ErrorDetails:
    """The error a body gets (fails the test if the call succeeds)."""
    with pytest.raises(grpc.RpcError) as info:
        raw_call(channel, method, body)
    return client.error_details(info.value)


@pytest.mark.parametrize("method", list(client.METHODS))
def test_garbage_body_is_invalid_argument(channel, method):
    """Every RPC, streaming WatchPlanJob included, answers INVALID_ARGUMENT, not INTERNAL."""
    details = rejection(channel, method, GARBAGE)
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    request_type = client.METHODS[method].request_type.DESCRIPTOR.full_name
    assert request_type in details.message


def test_garbage_body_names_the_whole_request(channel):
    """The BadRequest violation is on the body as a whole: field path ""."""
    details = rejection(channel, "AssignUnits", GARBAGE)
    assert details.fields == [""]
    assert "not a valid dispatch.v1.AssignUnitsRequest" in details.field_violations[0][1]


@pytest.mark.parametrize(
    "body",
    [
        b"\x0a\x05ab",  # label: a string field 5 bytes long with only 2 bytes
        b"\x0a\x02\xff\xfe",  # label: invalid UTF-8 in a string field
        b"\x2a\x80\x80\x80\x80\x80\x80\x80\x80\x80\x80\x01",  # a varint longer than 10 bytes
    ],
)
def test_truncated_or_malformed_fields_are_invalid_argument(channel, body):
    """Bodies that fail deep inside the parser get the same answer as plain garbage."""
    details = rejection(channel, "AssignUnits", body)
    assert details.code == grpc.StatusCode.INVALID_ARGUMENT
    assert details.fields == [""]  # the decoder's answer, not validation of an empty request


def test_garbage_body_writes_no_traceback(channel, caplog):
    """A caller's bad bytes are not an error of ours: nothing at ERROR level in the log."""
    with caplog.at_level(logging.INFO):
        rejection(channel, "PlanRoutes", GARBAGE)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_valid_body_sent_as_raw_bytes_is_answered_normally(channel):
    """The raw-bytes handlers still parse good requests and serialise the answer as usual."""
    request = emergency_pb2.AssignUnitsRequest(
        request_id="raw-1",
        options=common_pb2.SolveOptions(solving_mode=common_pb2.VALIDATE_ONLY),
        units=[
            emergency_pb2.Unit(
                id="M-1", capabilities=["ambulance"], status=emergency_pb2.Unit.AVAILABLE
            )
        ],
        incidents=[
            emergency_pb2.Incident(
                id="inc-1",
                priority=1,
                requirements=[emergency_pb2.Requirement(capability="ambulance", count=1)],
            )
        ],
    )
    request.unit_to_incident.durations.append(300)
    answer = emergency_pb2.AssignUnitsResponse.FromString(
        raw_call(channel, "AssignUnits", request.SerializeToString())
    )
    assert answer.request_id == "raw-1"
    assert answer.solve_info.status == common_pb2.NOT_SOLVED


def _rss_bytes() -> int:
    """Resident set size of this process (the test server runs in it), from /proc/self/statm."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def test_rejected_bodies_do_not_grow_server_memory(server, channel, caplog):
    """2000 undecodable requests over every RPC grow RSS by < 1 KB per call on average.

    grpcio's own deserialiser path kept ~20 KB per call (40 MB per batch here). The session
    server runs in this process, so this process's RSS is the server's. A first batch warms up
    (thread stacks, arenas, caches); then the smallest growth over three more batches is
    bounded: a leak grows every batch, while other threads of this test process (left by
    earlier tests on a loaded machine) once grew RSS by 5.6 MB during a single batch.
    INFO call logs are switched off so the log capture cannot hold records in memory.
    """
    assert server.target  # the in-process session server behind ``channel``
    caplog.set_level(logging.WARNING, logger="dispatch.calls")
    methods = list(client.METHODS)
    calls = 2000

    def batch() -> int:
        for i in range(calls):
            with pytest.raises(grpc.RpcError) as info:
                raw_call(channel, methods[i % len(methods)], GARBAGE)
            assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        gc.collect()
        return _rss_bytes()

    batch()  # warm-up
    sizes = [batch() for _ in range(4)]
    per_call = min(later - earlier for earlier, later in itertools.pairwise(sizes)) / calls
    assert per_call < 1024, f"server RSS grew {per_call:.0f} bytes per rejected call"
