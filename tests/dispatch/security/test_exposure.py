"""The exposure rule: off loopback, TLS and authentication, or an explicit --insecure."""

from __future__ import annotations

import pytest

from dispatch import client
from dispatch.config import ServerConfig
from dispatch.security.settings import SecurityConfigError, env_overrides, is_loopback


def test_wildcard_address_without_tls_or_auth_is_refused(make_secure_server):
    """0.0.0.0 with neither TLS nor tokens does not start, and says what is missing and how
    to proceed."""
    with pytest.raises(SecurityConfigError) as info:
        make_secure_server(address="0.0.0.0:0")
    message = str(info.value)
    assert "0.0.0.0:0" in message
    assert "TLS" in message and "authentication" in message and "--insecure" in message


def test_tls_without_auth_is_still_refused_off_loopback(make_secure_server, pki):
    """TLS alone is not enough: anyone could still call."""
    with pytest.raises(SecurityConfigError, match="authentication"):
        make_secure_server(
            address="0.0.0.0:0", tls_cert=str(pki.server_cert), tls_key=str(pki.server_key)
        )


def test_tokens_without_tls_are_still_refused_off_loopback(make_secure_server, token_file):
    """Tokens alone are not enough: they would cross the network in clear."""
    with pytest.raises(SecurityConfigError, match="TLS"):
        make_secure_server(address="0.0.0.0:0", auth_tokens=str(token_file))


def test_insecure_flag_allows_the_wildcard_address(make_secure_server):
    """With insecure=True the operator takes responsibility and the server starts."""
    handle = make_secure_server(address="0.0.0.0:0", insecure=True)
    with client.channel(handle.target) as chan:
        assert client.health_status(chan, timeout=20) == "SERVING"


def test_tls_and_tokens_allow_the_wildcard_address(make_secure_server, pki, token_file, dial):
    """The secure setup may listen on every interface without --insecure."""
    handle = make_secure_server(
        address="0.0.0.0:0",
        tls_cert=str(pki.server_cert),
        tls_key=str(pki.server_key),
        auth_tokens=str(token_file),
    )
    assert client.health_status(dial(handle.target), timeout=20) == "SERVING"


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1:50051", True),
        ("127.0.0.2:0", True),
        ("[::1]:50051", True),
        ("localhost:50051", True),
        ("unix:/run/dispatch.sock", True),
        ("0.0.0.0:50051", False),
        ("[::]:50051", False),
        ("10.0.0.5:50051", False),
        ("dispatch.city.example:50051", False),
        (":50051", False),
    ],
)
def test_loopback_addresses(address, loopback):
    """Only addresses no other machine can reach count as loopback; names other than
    localhost may resolve to anything."""
    assert is_loopback(address) is loopback


def test_env_reads_every_security_setting():
    """DISPATCH_TLS_*, DISPATCH_AUTH_TOKENS, DISPATCH_JWT_*, DISPATCH_NO_REFLECTION and
    DISPATCH_INSECURE reach the config."""
    env = {
        "DISPATCH_TLS_CERT": "/c.pem",
        "DISPATCH_TLS_KEY": "/k.pem",
        "DISPATCH_TLS_CLIENT_CA": "/ca.pem",
        "DISPATCH_AUTH_TOKENS": "/tokens",
        "DISPATCH_JWT_KEYS": "/jwks.json",
        "DISPATCH_JWT_ISSUER": "https://id",
        "DISPATCH_JWT_AUDIENCE": "dispatch",
        "DISPATCH_NO_REFLECTION": "1",
        "DISPATCH_INSECURE": "true",
    }
    config = ServerConfig.from_env(env)
    tls = (config.tls_cert, config.tls_key, config.tls_client_ca)
    assert tls == ("/c.pem", "/k.pem", "/ca.pem")
    assert (config.auth_tokens, config.jwt_keys) == ("/tokens", "/jwks.json")
    assert (config.jwt_issuer, config.jwt_audience) == ("https://id", "dispatch")
    assert config.reflection is False and config.insecure is True


def test_misspelt_insecure_value_is_an_error():
    """DISPATCH_INSECURE=ture must not silently mean anything."""
    with pytest.raises(ValueError, match="DISPATCH_INSECURE"):
        env_overrides({"DISPATCH_INSECURE": "ture"})
