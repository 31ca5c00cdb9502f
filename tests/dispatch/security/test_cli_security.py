"""The CLI's remote commands against the TLS + token server, run in-process through
``dispatch.cli.main`` (exit codes and messages are the contract)."""

from __future__ import annotations

from pathlib import Path

import pytest

from dispatch.cli import main

ROOT = Path(__file__).resolve().parents[3]
EMERGENCY = str(ROOT / "examples" / "emergency.json")
CLIENT_ENV = (
    "DISPATCH_CA",
    "DISPATCH_CLIENT_CERT",
    "DISPATCH_CLIENT_KEY",
    "DISPATCH_TLS",
    "DISPATCH_TLS_SERVER_NAME",
    "DISPATCH_TOKEN",
    "DISPATCH_TOKEN_FILE",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    """The developer's own DISPATCH_* client settings must not leak into these tests."""
    for name in CLIENT_ENV:
        monkeypatch.delenv(name, raising=False)


def test_call_with_ca_and_token_answers(secure_server, pki, tokens, capsys):
    """`dispatch call` with --ca and a dispatch token gets an AssignUnits answer (exit 0)."""
    code = main(
        [
            "call",
            "AssignUnits",
            EMERGENCY,
            "--target",
            secure_server.target,
            "--ca",
            str(pki.ca),
            # One argument: a random token may start with '-', which argparse reads as a flag.
            f"--token={tokens['dispatcher']}",
            "--format",
            "summary",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "incidents" in captured.out


def test_call_without_token_says_unauthenticated(secure_server, pki, capsys):
    """Without a token the call is refused and the CLI says so (exit 3: valid, not answered)."""
    code = main(
        ["call", "AssignUnits", EMERGENCY, "--target", secure_server.target, "--ca", str(pki.ca)]
    )
    assert code == 3
    assert "UNAUTHENTICATED" in capsys.readouterr().err


def test_health_with_ca_needs_no_token(secure_server, pki, capsys):
    """`dispatch health --ca` reports SERVING (the Docker HEALTHCHECK of a TLS server)."""
    assert main(["health", "--target", secure_server.target, "--ca", str(pki.ca)]) == 0
    assert capsys.readouterr().out.strip() == "SERVING"


def test_health_with_client_certificate_passes_mtls(make_secure_server, pki, capsys):
    """--cert and --key present a client certificate to a server that requires one."""
    handle = make_secure_server(
        tls_cert=str(pki.server_cert), tls_key=str(pki.server_key), tls_client_ca=str(pki.ca)
    )
    base = ["health", "--target", handle.target, "--ca", str(pki.ca), "--timeout", "10"]
    assert main([*base, "--cert", str(pki.client_cert), "--key", str(pki.client_key)]) == 0
    assert main(base) != 0  # the same without a certificate is refused


def test_health_over_plaintext_fails_against_tls(secure_server, capsys):
    """Plaintext health against a TLS port does not report SERVING."""
    code = main(["health", "--target", secure_server.target, "--timeout", "5"])
    assert code != 0


def test_settings_from_environment(secure_server, pki, tokens, tmp_path, monkeypatch, capsys):
    """DISPATCH_CA and DISPATCH_TOKEN_FILE configure the remote commands without flags."""
    token_path = tmp_path / "token"
    token_path.write_text(tokens["planner"] + "\n")
    monkeypatch.setenv("DISPATCH_CA", str(pki.ca))
    monkeypatch.setenv("DISPATCH_TOKEN_FILE", str(token_path))
    assert main(["jobs", "list", "--target", secure_server.target]) == 0, capsys.readouterr().err


def test_token_in_clear_off_loopback_is_refused(capsys):
    """A token is never sent in clear to another machine: usage error, nothing dialled."""
    code = main(["health", "--target", "192.0.2.10:50051", "--token", "abc", "--timeout", "1"])
    assert code == 2
    assert "in clear" in capsys.readouterr().err
