"""What a client presents to a secured server: the CA to trust, its own certificate, a token.

Used by ``dispatch.client.channel`` (and through it the CLI). A token is only ever sent over TLS,
or over plaintext to this machine (loopback, via gRPC local credentials, which refuse any other
peer): a bearer token in clear on a network is as good as published.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import grpc

from dispatch.security.settings import env_flag, is_loopback
from dispatch.security.tls import read_file


@dataclass(frozen=True)
class ClientSecurity:
    """Client-side TLS and token settings; the default (all unset) is a plaintext channel."""

    #: PEM file of the CA that signed the server's certificate (None: the system's roots).
    ca_file: str | None = None
    #: The client's own certificate chain and key, for a server that requires mTLS.
    cert_file: str | None = None
    key_file: str | None = None
    #: TLS with the system's roots even without ``ca_file`` (a publicly signed server).
    tls: bool = False
    #: The name the server's certificate must carry when it differs from the target's host.
    server_name: str | None = None
    #: Bearer token sent as ``authorization: Bearer <token>`` on every call.
    token: str | None = None

    def __post_init__(self) -> None:
        if bool(self.cert_file) != bool(self.key_file):
            raise ValueError("a client certificate and its key go together: give both or neither")

    @property
    def uses_tls(self) -> bool:
        """Whether the channel is TLS (any of tls, ca_file, cert_file set)."""
        return self.tls or bool(self.ca_file or self.cert_file)

    @property
    def active(self) -> bool:
        """Whether anything differs from a plain insecure channel."""
        return self.uses_tls or bool(self.token)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> ClientSecurity:
        """DISPATCH_CA, DISPATCH_CLIENT_CERT, DISPATCH_CLIENT_KEY, DISPATCH_TLS (1/0),
        DISPATCH_TLS_SERVER_NAME, DISPATCH_TOKEN or DISPATCH_TOKEN_FILE."""
        env = os.environ if env is None else env
        token = env.get("DISPATCH_TOKEN") or None
        if token is None and env.get("DISPATCH_TOKEN_FILE"):
            token = read_token_file(env["DISPATCH_TOKEN_FILE"])
        return cls(
            ca_file=env.get("DISPATCH_CA") or None,
            cert_file=env.get("DISPATCH_CLIENT_CERT") or None,
            key_file=env.get("DISPATCH_CLIENT_KEY") or None,
            tls=bool(env_flag(env, "DISPATCH_TLS")),
            server_name=env.get("DISPATCH_TLS_SERVER_NAME") or None,
            token=token,
        )

    def channel_credentials(self, target: str) -> grpc.ChannelCredentials:
        """Credentials for ``grpc.secure_channel(target, ...)``; ValueError when a token would
        leave this machine in clear."""
        if self.uses_tls:
            credentials = grpc.ssl_channel_credentials(
                root_certificates=read_file(self.ca_file, "CA file") if self.ca_file else None,
                private_key=read_file(self.key_file, "client key") if self.key_file else None,
                certificate_chain=(
                    read_file(self.cert_file, "client certificate") if self.cert_file else None
                ),
            )
        elif is_loopback(target.removeprefix("dns:///").removeprefix("ipv4:")):
            credentials = grpc.local_channel_credentials(grpc.LocalConnectionType.LOCAL_TCP)
        else:
            raise ValueError(
                f"refusing to send a bearer token in clear to {target}: use TLS "
                "(--ca FILE or --tls), or dial 127.0.0.1"
            )
        if self.token:
            credentials = grpc.composite_channel_credentials(
                credentials, grpc.access_token_call_credentials(self.token)
            )
        return credentials

    def channel_options(self) -> list[tuple[str, str]]:
        """Extra channel options (the expected server name, when set)."""
        if self.server_name and self.uses_tls:
            return [("grpc.ssl_target_name_override", self.server_name)]
        return []


def read_token_file(path: str | Path) -> str:
    """A token kept in a file (so it is not in the process list or shell history)."""
    token = read_file(path, "token file").decode("utf-8", errors="replace").strip()
    if not token:
        raise ValueError(f"the token file {path} is empty")
    return token
