"""Calls the authentication refuses are counted like every other call: the call wrapper behind
the interceptor never sees them, so the interceptor reports them to the same observers."""

from __future__ import annotations

import urllib.request

import grpc
import pytest
from prometheus_client.parser import text_string_to_metric_families

from dispatch import client

_METHOD = "AssignUnits"


def _rpc_count(port: int, code: str) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as answer:
        text = answer.read().decode()
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if (
                sample.name == "dispatch_rpc_duration_seconds_count"
                and sample.labels.get("method") == _METHOD
                and sample.labels.get("code") == code
            ):
                return sample.value
    return 0.0


@pytest.mark.parametrize(
    ("token_of", "code"),
    [(None, "UNAUTHENTICATED"), ("planner", "PERMISSION_DENIED")],
)
def test_refused_call_is_counted_with_its_code(
    make_secure_server, dial, pki, tokens, token_file, examples, token_of, code
):
    """A call without a token (UNAUTHENTICATED), and one whose token lacks the ``dispatch``
    scope (PERMISSION_DENIED), each add one sample to the RPC histogram under their code."""
    handle = make_secure_server(
        tls_cert=str(pki.server_cert),
        tls_key=str(pki.server_key),
        auth_tokens=str(token_file),
        metrics_address="127.0.0.1:0",
    )
    before = _rpc_count(handle.metrics_port, code)
    channel = dial(handle.target, token=tokens[token_of] if token_of else None)
    with pytest.raises(grpc.RpcError) as refused:
        client.call(channel, _METHOD, examples["emergency"], timeout=30)
    assert refused.value.code().name == code
    assert _rpc_count(handle.metrics_port, code) == before + 1
