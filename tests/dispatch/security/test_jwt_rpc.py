"""JWT bearer tokens over a real TLS server whose key set is a JWKS with one RS256 key, issuer
and audience configured."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import grpc
import pytest
from conftest import ISSUER, JwtSigner
from cryptography.hazmat.primitives.asymmetric import rsa

from dispatch import client
from dispatch._proto.dispatch.v1 import common_pb2

TIMEOUT = 20.0


@pytest.fixture
def plan_request(examples):
    """A PlanRoutes request that validates without solving."""
    request = examples["sanitation"]
    request.options.solving_mode = common_pb2.VALIDATE_ONLY
    return request


def _call(secure_server, dial, token: str, request) -> client.ErrorDetails | None:
    """None when PlanRoutes answered, else the error."""
    try:
        client.call(dial(secure_server.target, token=token), "PlanRoutes", request, timeout=TIMEOUT)
    except grpc.RpcError as error:
        return client.error_details(error)
    return None


def test_valid_rs256_token_is_accepted(secure_server, dial, jwt_signer, plan_request):
    """A token signed by the configured key, in time, for this issuer and audience, with scope
    plan, may call PlanRoutes."""
    assert _call(secure_server, dial, jwt_signer.token(), plan_request) is None


def test_scopes_list_claim_is_read(secure_server, dial, jwt_signer, plan_request):
    """Scopes may also come as a 'scopes' list (unknown ones ignored)."""
    token = jwt_signer.token(scope=None, scopes=["openid", "plan"])
    assert _call(secure_server, dial, token, plan_request) is None


def test_expired_token_is_unauthenticated(secure_server, dial, jwt_signer, plan_request):
    """A token past exp (beyond the clock-skew leeway) is refused."""
    now = int(time.time())
    token = jwt_signer.token(iat=now - 7200, exp=now - 3600)
    error = _call(secure_server, dial, token, plan_request)
    assert error is not None and error.code == grpc.StatusCode.UNAUTHENTICATED
    assert "expired" in error.message


def test_token_not_yet_valid_is_unauthenticated(secure_server, dial, jwt_signer, plan_request):
    """A token whose nbf lies an hour ahead is refused."""
    token = jwt_signer.token(nbf=int(time.time()) + 3600)
    error = _call(secure_server, dial, token, plan_request)
    assert error is not None and error.code == grpc.StatusCode.UNAUTHENTICATED


def test_wrong_signature_is_unauthenticated(secure_server, dial, plan_request):
    """A token with the right kid signed by another key is refused."""
    impostor = JwtSigner(
        rsa.generate_private_key(public_exponent=65537, key_size=2048), "test-key-1"
    )
    error = _call(secure_server, dial, impostor.token(), plan_request)
    assert error is not None and error.code == grpc.StatusCode.UNAUTHENTICATED
    assert "signature" in error.message.lower()


def test_wrong_audience_is_unauthenticated(secure_server, dial, jwt_signer, plan_request):
    """A token issued for another service is refused."""
    error = _call(secure_server, dial, jwt_signer.token(aud="billing"), plan_request)
    assert error is not None and error.code == grpc.StatusCode.UNAUTHENTICATED
    assert "audience" in error.message.lower()


def test_wrong_issuer_is_unauthenticated(secure_server, dial, jwt_signer, plan_request):
    """A token from another issuer is refused."""
    token = jwt_signer.token(iss=ISSUER + ".evil")
    error = _call(secure_server, dial, token, plan_request)
    assert error is not None and error.code == grpc.StatusCode.UNAUTHENTICATED


def test_token_without_expiry_is_unauthenticated(secure_server, dial, jwt_signer, plan_request):
    """A token that never expires is not accepted."""
    error = _call(secure_server, dial, jwt_signer.token(exp=None), plan_request)
    assert error is not None and error.code == grpc.StatusCode.UNAUTHENTICATED


def test_hs256_token_is_unauthenticated(secure_server, dial, jwks_file, plan_request):
    """An HMAC token (the algorithm-confusion attack: the public key used as secret) is refused."""

    # PyJWT itself refuses to sign with a JWK as HMAC secret, so the token is put together here.
    def part(value: dict) -> bytes:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=")

    claims = {"sub": "x", "scope": "admin", "iss": ISSUER, "aud": "dispatch"}
    claims["exp"] = int(time.time()) + 60
    signed = part({"alg": "HS256", "typ": "JWT", "kid": "test-key-1"}) + b"." + part(claims)
    mac = hmac.new(jwks_file.read_bytes(), signed, hashlib.sha256).digest()
    token = (signed + b"." + base64.urlsafe_b64encode(mac).rstrip(b"=")).decode()
    error = _call(secure_server, dial, token, plan_request)
    assert error is not None and error.code == grpc.StatusCode.UNAUTHENTICATED


def test_valid_token_without_the_scope_is_permission_denied(
    secure_server, dial, jwt_signer, plan_request
):
    """A valid token whose scopes do not include plan is PERMISSION_DENIED, not UNAUTHENTICATED."""
    error = _call(secure_server, dial, jwt_signer.token(scope="dispatch"), plan_request)
    assert error is not None and error.code == grpc.StatusCode.PERMISSION_DENIED
