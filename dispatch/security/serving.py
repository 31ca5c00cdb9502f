"""Everything ``dispatch.server.start`` needs from the security settings, built before the
server binds: the exposure rule, the TLS credentials and the authentication interceptor.

Every file is read here, at start, so a missing certificate or a malformed token file stops the
server with a message naming the file rather than failing the first caller.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from dispatch.security.interceptor import Authenticator, AuthInterceptor, RefusalReport
from dispatch.security.jwt_keys import JwtVerifier
from dispatch.security.settings import SecuritySettings, authentication_on, check_exposure
from dispatch.security.tls import server_credentials
from dispatch.security.tokens import TokenTable


@dataclass(frozen=True)
class ServerSecurity:
    """How to bind (``credentials`` None: plaintext) and who checks tokens (None: nobody)."""

    credentials: grpc.ServerCredentials | None
    auth: Authenticator | None
    reflection: bool

    def interceptors(
        self, on_refused: RefusalReport | None = None
    ) -> tuple[grpc.ServerInterceptor, ...]:
        """The interceptors that go first in the chain; ``on_refused`` hears of each call the
        authentication refuses (the call wrapper after it never sees those)."""
        return () if self.auth is None else (AuthInterceptor(self.auth, on_refused),)

    def bind(self, server: grpc.Server, address: str) -> int:
        """Add the listening port, TLS when configured; the bound port (0 on failure)."""
        if self.credentials is None:
            return server.add_insecure_port(address)
        return server.add_secure_port(address, self.credentials)


def authenticator(settings: SecuritySettings) -> Authenticator | None:
    """The token checker, or None when authentication is off."""
    if not authentication_on(settings):
        return None
    tokens = TokenTable.load(settings.auth_tokens) if settings.auth_tokens else None
    verifier = None
    if settings.jwt_keys:
        verifier = JwtVerifier.load(settings.jwt_keys, settings.jwt_issuer, settings.jwt_audience)
    return Authenticator(tokens, verifier)


def prepare(settings: SecuritySettings) -> ServerSecurity:
    """Check the exposure rule and read every security file (SecurityConfigError on a problem)."""
    check_exposure(settings)
    credentials = None
    if settings.tls_cert and settings.tls_key:
        credentials = server_credentials(
            settings.tls_cert, settings.tls_key, settings.tls_client_ca
        )
    return ServerSecurity(credentials, authenticator(settings), settings.reflection)
