"""The security settings of ``dispatch serve``: their environment variables and the exposure rule.

Kept free of grpc so ``dispatch.config`` can read the variables without importing the server.
The rule: a server reachable from other machines (any address that is not loopback) must run
with TLS *and* token authentication, unless the operator says ``--insecure`` on purpose (a
trusted proxy terminates TLS, or a throwaway trial). Loopback stays open so the quick start
(``dispatch serve --examples``) needs no certificates.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Protocol

#: Environment variable -> ServerConfig field, for the string-valued settings.
ENV_PATHS = {
    "DISPATCH_TLS_CERT": "tls_cert",
    "DISPATCH_TLS_KEY": "tls_key",
    "DISPATCH_TLS_CLIENT_CA": "tls_client_ca",
    "DISPATCH_AUTH_TOKENS": "auth_tokens",
    "DISPATCH_JWT_KEYS": "jwt_keys",
    "DISPATCH_JWT_ISSUER": "jwt_issuer",
    "DISPATCH_JWT_AUDIENCE": "jwt_audience",
}
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


class SecurityConfigError(ValueError):
    """The security settings are incomplete, unreadable or unsafe; the server must not start."""


class SecuritySettings(Protocol):
    """The fields of ``ServerConfig`` this package reads (a Protocol: no import of config)."""

    address: str
    tls_cert: str | None
    tls_key: str | None
    tls_client_ca: str | None
    auth_tokens: str | None
    jwt_keys: str | None
    jwt_issuer: str | None
    jwt_audience: str | None
    reflection: bool
    insecure: bool


def env_flag(env: Mapping[str, str], name: str) -> bool | None:
    """A yes/no environment variable: None when unset, else True or False (anything else is an
    error, so a typo such as DISPATCH_INSECURE=ture never silently means "secure")."""
    value = env.get(name)
    if value is None:
        return None
    lowered = value.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"{name} must be one of {', '.join(_TRUE + _FALSE[:-1])}, got {value!r}")


def env_overrides(env: Mapping[str, str]) -> dict[str, object]:
    """ServerConfig fields set by DISPATCH_TLS_*, DISPATCH_AUTH_TOKENS, DISPATCH_JWT_*,
    DISPATCH_NO_REFLECTION and DISPATCH_INSECURE (unset or empty ones are left out)."""
    changes: dict[str, object] = {
        field: env[name] for name, field in ENV_PATHS.items() if env.get(name)
    }
    no_reflection = env_flag(env, "DISPATCH_NO_REFLECTION")
    if no_reflection is not None:
        changes["reflection"] = not no_reflection
    insecure = env_flag(env, "DISPATCH_INSECURE")
    if insecure is not None:
        changes["insecure"] = insecure
    return changes


def check_fields(settings: SecuritySettings) -> None:
    """Combinations that cannot work: a certificate without its key, a client CA without TLS."""
    if bool(settings.tls_cert) != bool(settings.tls_key):
        raise ValueError("tls_cert and tls_key go together: give both or neither")
    if settings.tls_client_ca and not settings.tls_cert:
        raise ValueError("tls_client_ca (mTLS) needs tls_cert and tls_key as well")
    if (settings.jwt_issuer or settings.jwt_audience) and not settings.jwt_keys:
        raise ValueError("jwt_issuer and jwt_audience need jwt_keys (the key set to verify with)")


def host_of(address: str) -> str:
    """The host part of ``HOST:PORT``, ``[V6]:PORT`` or ``unix:PATH`` (returned whole)."""
    if address.startswith(("unix:", "unix-abstract:")):
        return address
    host = address.rsplit(":", 1)[0] if ":" in address else address
    return host.removeprefix("[").removesuffix("]")


def is_loopback(address: str) -> bool:
    """Whether only this machine can reach ``address`` (127.0.0.0/8, ::1, localhost, unix
    sockets). Other names are not loopback: they may resolve to any interface."""
    host = host_of(address)
    if host.startswith(("unix:", "unix-abstract:")) or host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def authentication_on(settings: SecuritySettings) -> bool:
    """Whether callers must present a bearer token (a token file or a JWT key set is set)."""
    return bool(settings.auth_tokens or settings.jwt_keys)


def check_exposure(settings: SecuritySettings) -> None:
    """Refuse a non-loopback address without TLS and authentication unless ``insecure``."""
    if settings.insecure or is_loopback(settings.address):
        return
    missing = []
    if not settings.tls_cert:
        missing.append("TLS (--tls-cert and --tls-key)")
    if not authentication_on(settings):
        missing.append("authentication (--auth-tokens or --jwt-keys)")
    if missing:
        raise SecurityConfigError(
            f"refusing to serve on {settings.address} without {' and '.join(missing)}: any "
            "machine that reaches it could call every RPC, read every job and see requests and "
            "tokens in clear. Configure them (see README, Operations -> Security), listen on "
            "127.0.0.1, or pass --insecure (DISPATCH_INSECURE=1) if a trusted proxy in front "
            "does TLS and authentication."
        )
