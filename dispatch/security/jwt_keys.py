"""JWT bearer tokens, verified with PyJWT against a configured set of public keys.

The key file is a JWKS (``{"keys": [...]}``, as identity providers publish it), one JWK, or a PEM
public key or certificate. Only asymmetric algorithms are accepted (RS*, PS*, ES*, EdDSA): a
shared HMAC secret would have to sit in the key file, and accepting HS* next to public keys is
the classic algorithm-confusion hole. Every token must carry ``exp`` and ``sub``; ``nbf`` is
honoured when present; issuer and audience are checked when configured. Scopes come from the
``scope`` claim (space-separated, RFC 8693), or a ``scopes`` / ``scp`` list; scopes this service
does not know (``openid``, ...) are ignored.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from dispatch.security.principal import SCOPES, Principal
from dispatch.security.settings import SecurityConfigError

#: Clock skew forgiven on ``exp`` and ``nbf`` between the issuer and this server.
LEEWAY_SECONDS = 30.0
_RSA_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
_EC_ALGORITHMS = {"secp256r1": "ES256", "secp384r1": "ES384", "secp521r1": "ES512"}
ASYMMETRIC = frozenset((*_RSA_ALGORITHMS, *_EC_ALGORITHMS.values(), "EdDSA"))


class InvalidTokenError(Exception):
    """The bearer token is not acceptable; the message says why (sent to the caller)."""


@dataclass(frozen=True)
class _Key:
    kid: str | None
    key: Any
    algorithms: frozenset[str]


def _algorithms_of(public_key: object) -> frozenset[str]:
    if isinstance(public_key, rsa.RSAPublicKey):
        return frozenset(_RSA_ALGORITHMS)
    if isinstance(public_key, ec.EllipticCurvePublicKey):
        curve = public_key.curve.name
        if curve in _EC_ALGORITHMS:
            return frozenset({_EC_ALGORITHMS[curve]})
    if isinstance(public_key, ed25519.Ed25519PublicKey):
        return frozenset({"EdDSA"})
    raise SecurityConfigError(f"unsupported public key type {type(public_key).__name__}")


def _pem_key(data: bytes, source: str) -> _Key:
    try:
        if b"BEGIN CERTIFICATE" in data:
            public_key: object = x509.load_pem_x509_certificate(data).public_key()
        else:
            public_key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise SecurityConfigError(f"{source}: not a PEM public key or certificate: {exc}") from exc
    return _Key(None, public_key, _algorithms_of(public_key))


def _jwk_key(data: dict[str, Any], where: str) -> _Key:
    if data.get("kty") == "oct":
        raise SecurityConfigError(f"{where}: symmetric (oct) keys are not accepted")
    if data.get("use") not in (None, "sig"):
        raise SecurityConfigError(f"{where}: key use {data.get('use')!r} is not 'sig'")
    try:
        jwk = jwt.PyJWK(data)
    except jwt.PyJWTError as exc:
        raise SecurityConfigError(f"{where}: {exc}") from exc
    if "alg" in data:
        if data["alg"] not in ASYMMETRIC:
            raise SecurityConfigError(f"{where}: algorithm {data['alg']!r} is not accepted")
        algorithms = frozenset({data["alg"]})
    else:
        algorithms = _algorithms_of(jwk.key)
    return _Key(data.get("kid"), jwk.key, algorithms)


def _split(value: str | None) -> list[str] | None:
    """A comma-separated setting as a list (None when unset)."""
    if not value:
        return None
    return [part.strip() for part in value.split(",") if part.strip()]


def _scopes(claims: dict[str, Any]) -> frozenset[str]:
    found: set[str] = set()
    scope = claims.get("scope")
    if isinstance(scope, str):
        found.update(scope.split())
    for name in ("scopes", "scp"):
        value = claims.get(name)
        if isinstance(value, str):
            found.update(value.split())
        elif isinstance(value, list):
            found.update(v for v in value if isinstance(v, str))
    return frozenset(found & set(SCOPES))


class JwtVerifier:
    """Checks JWTs against a key set; issuer and audience may list several, comma-separated."""

    def __init__(
        self, keys: Iterable[_Key], issuer: str | None = None, audience: str | None = None
    ) -> None:
        self._keys = tuple(keys)
        if not self._keys:
            raise SecurityConfigError("the JWT key set has no keys")
        self._issuer = _split(issuer)
        self._audience = _split(audience)

    @classmethod
    def load(
        cls, path: str | Path, issuer: str | None = None, audience: str | None = None
    ) -> JwtVerifier:
        """Read a JWKS, JWK or PEM file; SecurityConfigError when it is unusable."""
        source = str(path)
        try:
            data = Path(path).read_bytes()
        except OSError as exc:
            raise SecurityConfigError(f"cannot read the JWT key file {source}: {exc}") from exc
        if b"-----BEGIN" in data:
            return cls([_pem_key(data, source)], issuer, audience)
        try:
            document = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise SecurityConfigError(f"{source}: neither PEM nor JSON: {exc}") from exc
        if not isinstance(document, dict):
            raise SecurityConfigError(f"{source}: expected a JWKS or JWK object")
        entries = document.get("keys", [document])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise SecurityConfigError(f"{source}: 'keys' must be a list of JWK objects")
        keys = [_jwk_key(entry, f"{source}, key {i}") for i, entry in enumerate(entries)]
        return cls(keys, issuer, audience)

    def _candidates(self, token: str) -> tuple[str, list[_Key]]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidTokenError(f"malformed JWT: {exc}") from None
        algorithm = header.get("alg")
        if algorithm not in ASYMMETRIC:
            raise InvalidTokenError(f"JWT algorithm {algorithm!r} is not accepted")
        kid = header.get("kid")
        keys = [k for k in self._keys if algorithm in k.algorithms]
        if kid is not None and any(k.kid is not None for k in keys):
            keys = [k for k in keys if k.kid == kid]
        if not keys:
            raise InvalidTokenError("no configured key matches the JWT's kid and algorithm")
        return algorithm, keys

    def verify(self, token: str) -> Principal:
        """The principal a valid token names; InvalidTokenError saying why otherwise."""
        algorithm, keys = self._candidates(token)
        for key in keys:
            try:
                claims = jwt.decode(
                    token,
                    key.key,
                    algorithms=[algorithm],
                    audience=self._audience,
                    issuer=self._issuer,
                    leeway=LEEWAY_SECONDS,
                    options={"require": ["exp", "sub"]},
                )
            except jwt.InvalidSignatureError:
                continue  # another key of the set may have signed it
            except jwt.PyJWTError as exc:
                raise InvalidTokenError(f"JWT rejected: {exc}") from None
            subject = claims["sub"]
            if not isinstance(subject, str) or not subject:
                raise InvalidTokenError("JWT rejected: 'sub' must be a non-empty string")
            return Principal(subject, _scopes(claims))
        raise InvalidTokenError("JWT rejected: signature does not match any configured key")
