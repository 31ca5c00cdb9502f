"""The token file: hashes only, known scopes, and errors that name the line."""

from __future__ import annotations

import pytest

from dispatch.security.principal import Principal
from dispatch.security.settings import SecurityConfigError
from dispatch.security.tokens import TokenTable, hash_token, main


def test_lookup_finds_the_principal_by_token():
    """The token's hash in the file gives the principal and its scopes; comments are skipped."""
    table = TokenTable.parse(f"# comment\n\nops {hash_token('s3cret-token')} admin,plan  # ops\n")
    assert table.lookup("s3cret-token") == Principal("ops", frozenset({"admin", "plan"}))
    assert table.lookup("s3cret-token ") is None


def test_plain_token_in_the_file_is_refused():
    """A token stored in clear is an error that says how to store it."""
    with pytest.raises(SecurityConfigError, match=r"line 2.*sha256"):
        TokenTable.parse("# header\nops s3cret admin\n")


def test_unknown_scope_is_refused():
    """A scope the service does not know (a typo) stops the start instead of granting nothing."""
    with pytest.raises(SecurityConfigError, match=r"line 1.*scopes"):
        TokenTable.parse(f"ops {hash_token('t')} admn\n")


def test_wrong_field_count_is_refused():
    """Each line has exactly principal, hash and scopes."""
    with pytest.raises(SecurityConfigError, match=r"line 1: expected"):
        TokenTable.parse(f"ops {hash_token('t')}\n")


def test_duplicate_token_is_refused():
    """One token for two principals would make the caller ambiguous."""
    digest = hash_token("t")
    with pytest.raises(SecurityConfigError, match=r"line 2.*twice"):
        TokenTable.parse(f"a {digest} plan\nb {digest} admin\n")


def test_empty_file_is_refused():
    """A file without tokens would lock everyone out; it is a mistake, said at start."""
    with pytest.raises(SecurityConfigError, match="no tokens"):
        TokenTable.parse("# nothing yet\n")


def test_missing_file_names_the_path(tmp_path):
    """An unreadable token file is a clear error naming it."""
    with pytest.raises(SecurityConfigError, match="absent"):
        TokenTable.load(tmp_path / "absent")


def test_generator_prints_a_token_and_its_line(capsys):
    """``python -m dispatch.security.tokens NAME SCOPES`` prints a token and a line that the
    parser accepts for that token."""
    assert main(["night-shift", "dispatch,plan"]) == 0
    out = capsys.readouterr().out.splitlines()
    token = out[0].rsplit(" ", 1)[1]
    line = out[1].split(": ", 1)[1]
    principal = TokenTable.parse(line).lookup(token)
    assert principal == Principal("night-shift", frozenset({"dispatch", "plan"}))


def test_generator_refuses_an_unknown_scope(capsys):
    """The generator checks the scopes it is given."""
    assert main(["x", "root"]) == 2
    assert "scopes" in capsys.readouterr().err
