"""Fixtures for the security tests: fresh certificates, a token file, a JWT key set, and one
real server on 127.0.0.1 with TLS, tokens and JWTs switched on.

Tokens are random per session; the token file holds only their hashes, as in production.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from security_pki import Pki, make_pki

from dispatch import client
from dispatch.config import ServerConfig
from dispatch.security.credentials import ClientSecurity
from dispatch.security.tokens import hash_token
from dispatch.server import ServerHandle, start

ISSUER = "https://id.city.example"
AUDIENCE = "dispatch"
KID = "test-key-1"


@dataclass(frozen=True)
class JwtSigner:
    """Signs test JWTs with the private half of the key set the server trusts."""

    key: rsa.RSAPrivateKey
    kid: str

    def token(self, **claims: Any) -> str:
        """A signed token: sub 'planner', scope 'plan', a valid issuer, audience and expiry,
        each overridable (a value of None drops the claim)."""
        now = int(time.time())
        body: dict[str, Any] = {
            "sub": "planner",
            "scope": "plan",
            "iss": ISSUER,
            "aud": AUDIENCE,
            "iat": now,
            "exp": now + 600,
        }
        body.update(claims)
        body = {k: v for k, v in body.items() if v is not None}
        return jwt.encode(body, self.key, algorithm="RS256", headers={"kid": self.kid})


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    """A CA with a server certificate for 127.0.0.1 and a client certificate, and a stranger."""
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def tokens() -> dict[str, str]:
    """One random token per principal: dispatcher (dispatch), planner and surveyor (plan), ops
    (admin)."""
    names = ("dispatcher", "planner", "surveyor", "ops")
    return {name: secrets.token_urlsafe(24) for name in names}


@pytest.fixture(scope="session")
def token_file(tmp_path_factory: pytest.TempPathFactory, tokens: dict[str, str]) -> Path:
    """The token file for ``tokens``, hashes only."""
    scopes = {"dispatcher": "dispatch", "planner": "plan", "surveyor": "plan", "ops": "admin"}
    lines = ["# principal  hash  scopes"]
    lines += [f"{name} {hash_token(token)} {scopes[name]}" for name, token in tokens.items()]
    path = tmp_path_factory.mktemp("auth") / "tokens.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="session")
def jwt_signer() -> JwtSigner:
    """The RSA key whose public half is in ``jwks_file``."""
    return JwtSigner(rsa.generate_private_key(public_exponent=65537, key_size=2048), KID)


@pytest.fixture(scope="session")
def jwks_file(tmp_path_factory: pytest.TempPathFactory, jwt_signer: JwtSigner) -> Path:
    """A JWKS holding the signer's public key (with its kid), as an identity provider serves."""
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(jwt_signer.key.public_key()))
    jwk.update({"kid": jwt_signer.kid, "use": "sig", "alg": "RS256"})
    path = tmp_path_factory.mktemp("jwks") / "jwks.json"
    path.write_text(json.dumps({"keys": [jwk]}))
    return path


def secure_config(folder: Path, **fields: object) -> ServerConfig:
    """A loopback server config with a store in ``folder`` and the given fields."""
    base = ServerConfig(
        address="127.0.0.1:0",
        routing_workers=1,
        job_workers=1,
        store_path=str(folder / "dispatch.sqlite3"),
        grace_seconds=1.0,
    )
    return base.with_overrides(**fields)


@pytest.fixture(scope="session")
def secure_server(
    tmp_path_factory: pytest.TempPathFactory, pki: Pki, token_file: Path, jwks_file: Path
) -> Iterator[ServerHandle]:
    """TLS, the token file and the JWT key set (issuer and audience checked), reflection off."""
    config = secure_config(
        tmp_path_factory.mktemp("secure-server"),
        tls_cert=str(pki.server_cert),
        tls_key=str(pki.server_key),
        auth_tokens=str(token_file),
        jwt_keys=str(jwks_file),
        jwt_issuer=ISSUER,
        jwt_audience=AUDIENCE,
        reflection=False,
    )
    handle = start(config)
    yield handle
    handle.shutdown(grace=0.5)


@pytest.fixture
def dial(pki: Pki) -> Iterator[Callable[..., grpc.Channel]]:
    """``dial(target, token=None, **ClientSecurity fields)``: a TLS channel trusting the test CA
    (``ca_file=None`` for plaintext); closed at teardown."""
    channels: list[grpc.Channel] = []

    def make(target: str, token: str | None = None, **fields: Any) -> grpc.Channel:
        fields.setdefault("ca_file", str(pki.ca))
        chan = client.channel(target, security=ClientSecurity(token=token, **fields))
        channels.append(chan)
        return chan

    yield make
    for chan in channels:
        chan.close()


@pytest.fixture
def make_secure_server(tmp_path: Path) -> Iterator[Callable[..., ServerHandle]]:
    """Factory of servers with the given ServerConfig fields; all shut down at teardown."""
    handles: list[ServerHandle] = []

    def make(**fields: object) -> ServerHandle:
        folder = tmp_path / f"server{len(handles)}"
        folder.mkdir()
        fields.setdefault("job_workers", 0)
        handle = start(secure_config(folder, **fields))
        handles.append(handle)
        return handle

    yield make
    for handle in handles:
        handle.shutdown(grace=0.5)
