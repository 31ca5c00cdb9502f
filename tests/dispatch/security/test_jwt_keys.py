"""Loading JWT key sets (PEM, JWK, JWKS) and verifying tokens against them, without a server."""

from __future__ import annotations

import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from dispatch.security.jwt_keys import InvalidTokenError, JwtVerifier
from dispatch.security.principal import Principal
from dispatch.security.settings import SecurityConfigError


@pytest.fixture
def ec_key() -> ec.EllipticCurvePrivateKey:
    """A P-256 key (ES256)."""
    return ec.generate_private_key(ec.SECP256R1())


def _token(key, **claims) -> str:
    body = {"sub": "crew-7", "scope": "dispatch openid", "exp": int(time.time()) + 60, **claims}
    return jwt.encode(body, key, algorithm="ES256")


def test_pem_public_key_verifies_es256(tmp_path, ec_key):
    """A PEM public key is a key set of one; ES256 tokens signed by it are accepted, scopes
    filtered to the ones this service knows."""
    path = tmp_path / "key.pem"
    path.write_bytes(
        ec_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    verifier = JwtVerifier.load(path)
    assert verifier.verify(_token(ec_key)) == Principal("crew-7", frozenset({"dispatch"}))


def test_single_jwk_without_kid_verifies(tmp_path, ec_key):
    """One JWK object (no 'keys' list, no kid) works too."""
    path = tmp_path / "key.json"
    path.write_text(jwt.algorithms.ECAlgorithm.to_jwk(ec_key.public_key()))
    assert JwtVerifier.load(path).verify(_token(ec_key)).name == "crew-7"


def test_audience_in_token_but_not_configured_is_refused(tmp_path, ec_key):
    """A token meant for a named audience is not taken by a server that names none."""
    path = tmp_path / "key.json"
    path.write_text(jwt.algorithms.ECAlgorithm.to_jwk(ec_key.public_key()))
    with pytest.raises(InvalidTokenError, match="audience"):
        JwtVerifier.load(path).verify(_token(ec_key, aud="billing"))


def test_symmetric_key_in_the_set_is_refused(tmp_path):
    """An 'oct' (HMAC secret) key stops the start: it does not belong in a public key set."""
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}))
    with pytest.raises(SecurityConfigError, match="symmetric"):
        JwtVerifier.load(path)


def test_garbage_key_file_is_refused(tmp_path):
    """A key file that is neither PEM nor JSON names itself."""
    path = tmp_path / "keys.bin"
    path.write_bytes(b"\x00\x01 not a key")
    with pytest.raises(SecurityConfigError, match=r"keys\.bin"):
        JwtVerifier.load(path)


def test_malformed_token_is_invalid(tmp_path, ec_key):
    """Three dot-separated pieces of rubbish are an InvalidTokenError, never a crash."""
    path = tmp_path / "key.json"
    path.write_text(jwt.algorithms.ECAlgorithm.to_jwk(ec_key.public_key()))
    for token in ("a.b.c", "....", "e30.e30.", "eyJhbGciOiJub25lIn0.e30."):
        with pytest.raises(InvalidTokenError):
            JwtVerifier.load(path).verify(token)
