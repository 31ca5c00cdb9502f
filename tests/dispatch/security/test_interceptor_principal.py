"""The interceptor makes the caller the current principal while the handler runs, for unary and
for server-streaming methods (whose body runs later, step by step, as answers are pulled).

A real gRPC server on 127.0.0.1 carries two small handlers under DispatchService method names
that answer with what ``current_principal()`` says at each step.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent import futures

import grpc
import pytest

from dispatch._proto.dispatch.v1 import dispatch_service_pb2
from dispatch.security.interceptor import METHOD_SCOPES, Authenticator, AuthInterceptor
from dispatch.security.principal import current_principal
from dispatch.security.tokens import TokenTable

SERVICE = "dispatch.v1.DispatchService"
TIMEOUT = 20.0


def _who() -> bytes:
    principal = current_principal()
    return b"nobody" if principal is None else principal.name.encode()


def _unary(request: bytes, context: grpc.ServicerContext) -> bytes:
    return _who()


def _stream(request: bytes, context: grpc.ServicerContext) -> Iterator[bytes]:
    for _ in range(3):
        yield _who()


@pytest.fixture
def echo_target(token_file) -> Iterator[str]:
    """A server whose AssignUnits and WatchPlanJob answer with the current principal's name."""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=4),
        interceptors=[AuthInterceptor(Authenticator(TokenTable.load(token_file)))],
    )
    server.add_generic_rpc_handlers(
        [
            grpc.method_handlers_generic_handler(
                SERVICE,
                {
                    "AssignUnits": grpc.unary_unary_rpc_method_handler(_unary),
                    "WatchPlanJob": grpc.unary_stream_rpc_method_handler(_stream),
                },
            )
        ]
    )
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield f"127.0.0.1:{port}"
    server.stop(None)


def _bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


def test_unary_handler_sees_the_caller(echo_target, tokens):
    """A unary handler runs as the principal of the token."""
    with grpc.insecure_channel(echo_target) as chan:
        call = chan.unary_unary(f"/{SERVICE}/AssignUnits")
        assert call(b"", metadata=_bearer(tokens["dispatcher"]), timeout=TIMEOUT) == b"dispatcher"


def test_streaming_handler_sees_the_caller_at_every_step(echo_target, tokens):
    """Each step of a streaming handler, after every yield, still runs as the caller."""
    with grpc.insecure_channel(echo_target) as chan:
        call = chan.unary_stream(f"/{SERVICE}/WatchPlanJob")
        answers = list(call(b"", metadata=_bearer(tokens["planner"]), timeout=TIMEOUT))
    assert answers == [b"planner"] * 3


def test_concurrent_callers_each_see_themselves(echo_target, tokens):
    """Interleaved calls from two principals never see each other's identity."""
    with grpc.insecure_channel(echo_target) as chan:
        unary = chan.unary_unary(f"/{SERVICE}/AssignUnits")
        stream = chan.unary_stream(f"/{SERVICE}/WatchPlanJob")
        with futures.ThreadPoolExecutor(max_workers=4) as pool:
            jobs = [
                pool.submit(lambda: list(stream(b"", metadata=_bearer(tokens["ops"]))))
                for _ in range(8)
            ] + [
                pool.submit(lambda: [unary(b"", metadata=_bearer(tokens["dispatcher"]))])
                for _ in range(8)
            ]
            results = [job.result(timeout=TIMEOUT) for job in jobs]
    assert results[:8] == [[b"ops"] * 3] * 8
    assert results[8:] == [[b"dispatcher"]] * 8


def test_bad_authorization_values_are_unauthenticated(echo_target, tokens):
    """A scheme other than Bearer, or an empty token, is refused before the handler runs."""
    with grpc.insecure_channel(echo_target) as chan:
        call = chan.unary_unary(f"/{SERVICE}/AssignUnits")
        for value in (f"Basic {tokens['ops']}", "Bearer ", tokens["ops"]):
            with pytest.raises(grpc.RpcError) as info:
                call(b"", metadata=(("authorization", value),), timeout=TIMEOUT)
            assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED, value


def test_every_dispatch_method_has_a_scope():
    """Each DispatchService RPC has a decided scope (a new one would otherwise be admin-only)."""
    methods = dispatch_service_pb2.DESCRIPTOR.services_by_name["DispatchService"].methods
    assert {m.name for m in methods} == set(METHOD_SCOPES)
