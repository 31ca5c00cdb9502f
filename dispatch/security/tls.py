"""Server TLS credentials, read and checked at start so a bad file is a clear error, not a
handshake failure on the first call.

grpcio accepts any bytes for a certificate or key and only fails when a client connects; here
the certificate chain, the key and the client CA are parsed with ``cryptography`` first, and
the key must belong to the certificate.
"""

from __future__ import annotations

from pathlib import Path

import grpc
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from dispatch.security.settings import SecurityConfigError


def read_file(path: str | Path, what: str) -> bytes:
    """The bytes of ``path``; SecurityConfigError naming ``what`` it should have been."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise SecurityConfigError(f"cannot read the {what} {path}: {exc}") from exc


def _certificates(data: bytes, path: str, what: str) -> list[x509.Certificate]:
    try:
        certificates = x509.load_pem_x509_certificates(data)
    except ValueError as exc:
        raise SecurityConfigError(f"the {what} {path} is not PEM certificates: {exc}") from exc
    return certificates


def _public_bytes(key: object) -> bytes:
    return key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def server_credentials(cert: str, key: str, client_ca: str | None = None) -> grpc.ServerCredentials:
    """TLS credentials for ``add_secure_port``; with ``client_ca`` clients must present a
    certificate signed by it (mTLS)."""
    cert_pem = read_file(cert, "TLS certificate")
    key_pem = read_file(key, "TLS private key")
    chain = _certificates(cert_pem, cert, "TLS certificate")
    try:
        private_key = serialization.load_pem_private_key(key_pem, password=None)
    except (ValueError, TypeError) as exc:
        # TypeError: the key is encrypted; grpcio cannot ask for a passphrase.
        raise SecurityConfigError(
            f"the TLS private key {key} is not an unencrypted PEM private key: {exc}"
        ) from exc
    if _public_bytes(private_key.public_key()) != _public_bytes(chain[0].public_key()):
        raise SecurityConfigError(
            f"the TLS private key {key} does not belong to the certificate {cert}"
        )
    ca_pem = None
    if client_ca:
        ca_pem = read_file(client_ca, "client CA")
        _certificates(ca_pem, client_ca, "client CA")
    return grpc.ssl_server_credentials(
        [(key_pem, cert_pem)], root_certificates=ca_pem, require_client_auth=bool(client_ca)
    )
