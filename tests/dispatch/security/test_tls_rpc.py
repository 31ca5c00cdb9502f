"""TLS and mTLS over a real server on 127.0.0.1: who can connect, and who cannot."""

from __future__ import annotations

import grpc
import pytest

from dispatch import client
from dispatch.security.settings import SecurityConfigError

TIMEOUT = 20.0


def _health(chan: grpc.Channel) -> str:
    return client.health_status(chan, timeout=TIMEOUT)


def test_client_trusting_the_ca_gets_an_answer(make_secure_server, pki, dial):
    """A TLS server answers a client that trusts the CA which signed its certificate."""
    handle = make_secure_server(tls_cert=str(pki.server_cert), tls_key=str(pki.server_key))
    assert _health(dial(handle.target)) == "SERVING"


def test_plaintext_client_is_refused_by_a_tls_server(make_secure_server, pki):
    """A client speaking plaintext to a TLS port never gets an answer."""
    handle = make_secure_server(tls_cert=str(pki.server_cert), tls_key=str(pki.server_key))
    with client.channel(handle.target) as chan, pytest.raises(grpc.RpcError) as info:
        client.health_status(chan, timeout=5)
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE


def test_client_trusting_another_ca_is_refused(make_secure_server, pki, dial):
    """A client that does not trust the server's CA refuses the handshake (no answer)."""
    handle = make_secure_server(tls_cert=str(pki.server_cert), tls_key=str(pki.server_key))
    with pytest.raises(grpc.RpcError) as info:
        client.health_status(dial(handle.target, ca_file=str(pki.stranger_ca)), timeout=5)
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE


def _mtls_server(make_secure_server, pki):
    return make_secure_server(
        tls_cert=str(pki.server_cert), tls_key=str(pki.server_key), tls_client_ca=str(pki.ca)
    )


def test_mtls_client_without_certificate_is_refused(make_secure_server, pki, dial):
    """With a client CA the server requires a client certificate: none, no answer."""
    handle = _mtls_server(make_secure_server, pki)
    with pytest.raises(grpc.RpcError) as info:
        client.health_status(dial(handle.target), timeout=5)
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE


def test_mtls_client_with_a_stranger_certificate_is_refused(make_secure_server, pki, dial):
    """A client certificate signed by another CA is refused like none at all."""
    handle = _mtls_server(make_secure_server, pki)
    chan = dial(handle.target, cert_file=str(pki.stranger_cert), key_file=str(pki.stranger_key))
    with pytest.raises(grpc.RpcError) as info:
        client.health_status(chan, timeout=5)
    assert info.value.code() == grpc.StatusCode.UNAVAILABLE


def test_mtls_client_with_certificate_gets_an_answer(make_secure_server, pki, dial):
    """A client certificate signed by the client CA is accepted."""
    handle = _mtls_server(make_secure_server, pki)
    chan = dial(handle.target, cert_file=str(pki.client_cert), key_file=str(pki.client_key))
    assert _health(chan) == "SERVING"


def test_key_of_another_certificate_stops_the_start(make_secure_server, pki):
    """A key that does not belong to the certificate is a clear error at start, not a handshake
    failure on the first call."""
    with pytest.raises(SecurityConfigError, match="does not belong"):
        make_secure_server(tls_cert=str(pki.server_cert), tls_key=str(pki.client_key))


def test_missing_certificate_file_stops_the_start(make_secure_server, pki, tmp_path):
    """A certificate path that does not exist names the file."""
    missing = tmp_path / "nope.pem"
    with pytest.raises(SecurityConfigError, match=r"nope\.pem"):
        make_secure_server(tls_cert=str(missing), tls_key=str(pki.server_key))


def test_certificate_without_key_is_a_config_error(make_secure_server, pki):
    """TLS needs both halves; one alone is refused before anything starts."""
    with pytest.raises(ValueError, match="tls_cert and tls_key"):
        make_secure_server(tls_cert=str(pki.server_cert))
