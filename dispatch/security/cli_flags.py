"""The security flags of the ``dispatch`` command: ``serve``'s and the remote commands'.

Flags override environment variables; the server's are read by ``ServerConfig.from_env``
(``dispatch.security.settings``), the clients' by :meth:`ClientSecurity.from_env`.
"""

from __future__ import annotations

import argparse
import os
from dataclasses import replace

from dispatch.security.credentials import ClientSecurity, read_token_file

_SERVE_PATHS = (
    ("--tls-cert", "DISPATCH_TLS_CERT", "PEM certificate chain to serve TLS with"),
    ("--tls-key", "DISPATCH_TLS_KEY", "PEM private key of --tls-cert (unencrypted)"),
    (
        "--tls-client-ca",
        "DISPATCH_TLS_CLIENT_CA",
        "PEM CA; clients must present a certificate it signed (mTLS)",
    ),
    (
        "--auth-tokens",
        "DISPATCH_AUTH_TOKENS",
        "token file ('<principal> sha256:<hex> <scope,scope>' per line); tokens required",
    ),
    ("--jwt-keys", "DISPATCH_JWT_KEYS", "JWKS, JWK or PEM public key; bearer JWTs accepted"),
    ("--jwt-issuer", "DISPATCH_JWT_ISSUER", "required JWT 'iss' (comma-separated list allowed)"),
    ("--jwt-audience", "DISPATCH_JWT_AUDIENCE", "required JWT 'aud' (comma-separated allowed)"),
)


def add_serve_flags(serve: argparse.ArgumentParser) -> None:
    """TLS, mTLS, token, JWT, reflection and --insecure flags of ``dispatch serve``."""
    group = serve.add_argument_group("security (see README, Operations -> Security)")
    for flag, env, text in _SERVE_PATHS:
        metavar = "FILE" if flag not in ("--jwt-issuer", "--jwt-audience") else None
        group.add_argument(flag, metavar=metavar, help=f"{text} [{env}]")
    group.add_argument(
        "--no-reflection",
        dest="reflection",
        action="store_false",
        default=None,
        help="do not serve gRPC reflection [DISPATCH_NO_REFLECTION=1]",
    )
    group.add_argument(
        "--insecure",
        action="store_true",
        default=None,
        help="allow a non-loopback --address without TLS and tokens, e.g. behind a proxy that "
        "does both [DISPATCH_INSECURE=1]",
    )


def serve_overrides(args: argparse.Namespace) -> dict[str, object]:
    """ServerConfig fields given as flags (None for the ones left to the environment)."""
    fields = [flag.removeprefix("--").replace("-", "_") for flag, _, _ in _SERVE_PATHS]
    changes: dict[str, object] = {name: getattr(args, name, None) for name in fields}
    changes["reflection"] = getattr(args, "reflection", None)
    changes["insecure"] = getattr(args, "insecure", None)
    return changes


def add_client_flags(command: argparse.ArgumentParser) -> None:
    """TLS and token flags of a command that dials a server (call, health, jobs ...)."""
    group = command.add_argument_group("TLS and authentication (flags override the env)")
    group.add_argument("--ca", metavar="FILE", help="PEM CA to trust for the server [DISPATCH_CA]")
    group.add_argument(
        "--cert", metavar="FILE", help="client certificate for mTLS [DISPATCH_CLIENT_CERT]"
    )
    group.add_argument("--key", metavar="FILE", help="key of --cert [DISPATCH_CLIENT_KEY]")
    group.add_argument(
        "--tls",
        action="store_true",
        default=None,
        help="TLS with the system's CAs (implied by --ca or --cert) [DISPATCH_TLS=1]",
    )
    group.add_argument(
        "--server-name",
        help="name the server's certificate carries, if not the target's host "
        "[DISPATCH_TLS_SERVER_NAME]",
    )
    tokens = group.add_mutually_exclusive_group()
    tokens.add_argument("--token", help="bearer token (visible in ps; prefer --token-file)")
    tokens.add_argument(
        "--token-file", metavar="FILE", help="file holding the bearer token [DISPATCH_TOKEN_FILE]"
    )


def client_security(args: argparse.Namespace) -> ClientSecurity:
    """The client's TLS and token settings: DISPATCH_* environment, then the flags."""
    base = ClientSecurity.from_env(os.environ)
    token = getattr(args, "token", None)
    token_file = getattr(args, "token_file", None)
    if token_file:
        token = read_token_file(token_file)
    changes = {
        "ca_file": getattr(args, "ca", None),
        "cert_file": getattr(args, "cert", None),
        "key_file": getattr(args, "key", None),
        "tls": getattr(args, "tls", None),
        "server_name": getattr(args, "server_name", None),
        "token": token,
    }
    return replace(base, **{k: v for k, v in changes.items() if v is not None})
