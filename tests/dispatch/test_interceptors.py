"""The call wrapper over a real server: unexpected errors become INTERNAL without details."""

from __future__ import annotations

import logging
from concurrent import futures

import grpc
import pytest

from dispatch._proto.dispatch.v1 import emergency_pb2, jobs_pb2
from dispatch.interceptors import SERVICE_PREFIX, CallInterceptor, request_tags


class _Failing(grpc.GenericRpcHandler):
    """A DispatchService method that fails the way a bug would (a real handler, no mocks)."""

    def service(self, handler_call_details):
        def behave(request, context):
            if request.label == "abort":
                context.abort(grpc.StatusCode.PERMISSION_DENIED, "handler chose this")
            raise RuntimeError("database password is hunter2")

        return grpc.unary_unary_rpc_method_handler(
            behave,
            request_deserializer=emergency_pb2.AssignUnitsRequest.FromString,
            response_serializer=emergency_pb2.AssignUnitsResponse.SerializeToString,
        )


@pytest.fixture
def failing_channel():
    server = grpc.server(futures.ThreadPoolExecutor(2), interceptors=[CallInterceptor()])
    server.add_generic_rpc_handlers((_Failing(),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    yield channel
    channel.close()
    server.stop(None)


def _call(channel, request):
    method = channel.unary_unary(
        SERVICE_PREFIX + "AssignUnits",
        request_serializer=emergency_pb2.AssignUnitsRequest.SerializeToString,
        response_deserializer=emergency_pb2.AssignUnitsResponse.FromString,
    )
    return method(request, timeout=5)


def test_unexpected_exception_is_internal_and_generic(failing_channel, caplog):
    """The caller sees INTERNAL and nothing of the exception; the log has the traceback."""
    with caplog.at_level(logging.ERROR), pytest.raises(grpc.RpcError) as info:
        _call(failing_channel, emergency_pb2.AssignUnitsRequest(request_id="r-1"))
    assert info.value.code() == grpc.StatusCode.INTERNAL
    assert "hunter2" not in info.value.details()
    assert any(r.exc_info and "hunter2" in str(r.exc_info[1]) for r in caplog.records)


def test_handler_abort_is_kept(failing_channel):
    """A handler that aborts on purpose keeps its own status (the wrapper does not remap it)."""
    with pytest.raises(grpc.RpcError) as info:
        _call(failing_channel, emergency_pb2.AssignUnitsRequest(label="abort"))
    assert info.value.code() == grpc.StatusCode.PERMISSION_DENIED


def test_tags_read_from_wrapped_request():
    """CreatePlanJob's request_id and label live in the wrapped PlanRoutesRequest."""
    request = jobs_pb2.CreatePlanJobRequest()
    request.request.request_id = "night-1"
    request.request.label = "north"
    assert request_tags(request) == {"request_id": "night-1", "label": "north"}
