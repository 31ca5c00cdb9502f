"""``dispatch serve`` as a real subprocess: the Docker default refuses to start in the open, and
the security flags serve TLS with tokens end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
CLIENT_ENV = ("DISPATCH_CA", "DISPATCH_TOKEN", "DISPATCH_TOKEN_FILE", "DISPATCH_CLIENT_CERT")


def serve(*args: str, env: dict[str, str], timeout: float = 60):
    """Run ``python -m dispatch.cli serve ARGS`` with ``env`` over a clean client environment."""
    base = {k: v for k, v in os.environ.items() if k not in CLIENT_ENV}
    return subprocess.run(
        [sys.executable, "-m", "dispatch.cli", "serve", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**base, **env},
    )


def test_docker_default_refuses_without_tls_and_tokens(tmp_path):
    """The image's setting (DISPATCH_ADDRESS=0.0.0.0:..., no flags) exits 2 with a message
    naming what is missing, instead of serving plaintext to the network."""
    result = serve(
        env={"DISPATCH_ADDRESS": "0.0.0.0:0", "DISPATCH_STORE": str(tmp_path / "s.sqlite3")}
    )
    assert result.returncode == 2, result.stdout + result.stderr
    messages = [json.loads(line).get("message", "") for line in result.stderr.splitlines()]
    assert any("refusing to serve on 0.0.0.0:0" in m and "--insecure" in m for m in messages)
    assert "dispatch serving" not in result.stdout


def test_tls_and_tokens_serve_the_examples(tmp_path, pki, token_file, tokens):
    """serve --tls-cert/--tls-key/--auth-tokens on 0.0.0.0 answers every example sent with the
    CA and an admin token from the environment."""
    result = serve(
        "--address",
        "0.0.0.0:0",
        "--tls-cert",
        str(pki.server_cert),
        "--tls-key",
        str(pki.server_key),
        "--auth-tokens",
        str(token_file),
        "--exit-after-examples",
        env={
            "DISPATCH_STORE": str(tmp_path / "s.sqlite3"),
            "DISPATCH_CA": str(pki.ca),
            "DISPATCH_TOKEN": tokens["ops"],
        },
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith("example ")]
    assert len(lines) == 3 and all(" by " in line for line in lines), lines
