"""Opaque bearer tokens from a token file, stored as SHA-256 hashes.

The file has one token per line, ``#`` starts a comment::

    # principal    sha256 of the token (64 hex digits)    scopes
    control-room   sha256:0f3c...e91a                     dispatch
    planning-team  sha256:7d2b...04c6                     plan
    ops            sha256:a51e...b3f0                     admin,plan

Only hashes are stored, so a copy of the file (a backup, a config repository) does not hand out
working tokens. Tokens are long random strings, so an unsalted SHA-256 is enough: there is no
dictionary to try. ``python -m dispatch.security.tokens NAME SCOPES`` makes a new token and
prints the line to add.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from dispatch.security.principal import SCOPES, Principal
from dispatch.security.settings import SecurityConfigError

HASH_PREFIX = "sha256:"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@:/-]{0,127}")


def hash_token(token: str) -> str:
    """The token-file form of ``token``: ``sha256:`` and the hex digest of its UTF-8 bytes."""
    return HASH_PREFIX + hashlib.sha256(token.encode("utf-8")).hexdigest()


def _parse_line(text: str, where: str) -> tuple[str, Principal]:
    """(hash, principal) of one non-comment line; SecurityConfigError naming the line."""
    parts = text.split()
    if len(parts) != 3:
        raise SecurityConfigError(
            f"{where}: expected '<principal> sha256:<hex> <scope,scope>', got {len(parts)} fields"
        )
    name, digest, scope_text = parts
    if not _NAME.fullmatch(name):
        raise SecurityConfigError(f"{where}: principal {name!r} has characters not allowed")
    hex_part = digest.removeprefix(HASH_PREFIX).lower()
    if not digest.startswith(HASH_PREFIX) or not _HEX64.fullmatch(hex_part):
        raise SecurityConfigError(
            f"{where}: the token must be stored as sha256:<64 hex digits>, not in clear "
            "(make one with: python -m dispatch.security.tokens NAME SCOPES)"
        )
    scopes = frozenset(s for s in scope_text.split(",") if s)
    unknown = sorted(scopes - set(SCOPES))
    if unknown or not scopes:
        raise SecurityConfigError(
            f"{where}: scopes must be a comma-separated subset of {', '.join(SCOPES)}; "
            f"got {scope_text!r}"
        )
    return HASH_PREFIX + hex_part, Principal(name, scopes)


@dataclass(frozen=True)
class TokenTable:
    """The principals of a token file, keyed by token hash."""

    by_hash: dict[str, Principal]

    @classmethod
    def parse(cls, text: str, source: str = "token file") -> TokenTable:
        """Read the token-file format; SecurityConfigError names the first bad line."""
        table: dict[str, Principal] = {}
        for number, raw in enumerate(text.splitlines(), start=1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            where = f"{source}, line {number}"
            digest, principal = _parse_line(line, where)
            if digest in table:
                raise SecurityConfigError(f"{where}: the same token hash appears twice")
            table[digest] = principal
        if not table:
            raise SecurityConfigError(f"{source}: no tokens (every caller would be refused)")
        return cls(table)

    @classmethod
    def load(cls, path: str | Path) -> TokenTable:
        """Read a token file; SecurityConfigError when it is missing or malformed."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SecurityConfigError(f"cannot read the token file {path}: {exc}") from exc
        return cls.parse(text, str(path))

    def lookup(self, token: str) -> Principal | None:
        """The principal holding ``token``, or None for a token not in the file."""
        return self.by_hash.get(hash_token(token))


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m dispatch.security.tokens NAME SCOPES``: a fresh token and its file line."""
    args = list(sys.argv[1:] if argv is None else argv)
    if len(args) != 2:
        print("usage: python -m dispatch.security.tokens NAME SCOPE[,SCOPE]", file=sys.stderr)
        return 2
    token = "-"
    while token.startswith("-"):  # a leading '-' would read as a flag: `--token -x...`
        token = secrets.token_urlsafe(32)
    line = f"{args[0]} {hash_token(token)} {args[1]}"
    try:
        _parse_line(line, "new line")
    except SecurityConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"token (give it to the caller, it is not stored): {token}")
    print(f"line for the token file: {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
