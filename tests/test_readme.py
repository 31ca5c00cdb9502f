"""The README's promises match the repository: the CI command and the documented flags."""

from __future__ import annotations

import re
from pathlib import Path

from dispatch.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SERVE_COMMAND = (
    "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/dispatch serve --examples"
)
TEST_COMMAND = (
    "python3 -m venv .venv && .venv/bin/pip install -e '.[test]'"
    " && .venv/bin/python -m pytest -n 2 --dist loadfile"
)


def test_quick_start_is_exactly_two_commands():
    """A newcomer copies two lines: serve the examples, run the tests."""
    blocks = re.findall(r"## Quick start\n(.*?)\n## ", README, flags=re.S)[0]
    commands = re.findall(r"```\n(.*?)\n```", blocks, flags=re.S)
    assert commands == [SERVE_COMMAND, TEST_COMMAND]


def test_ci_runs_the_readme_test_command():
    """CI and newcomers run the same thing, so a green CI means the README works."""
    lines = (ROOT / ".ci" / "run").read_text().strip().splitlines()
    assert "set -euo pipefail" in lines
    assert lines[-1] == TEST_COMMAND


def test_documented_serve_flags_exist():
    """Every flag in the configuration table is accepted by ``dispatch serve``."""
    table = README.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    flags = set(re.findall(r"`(--[a-z-]+)`", table))
    parser = build_parser()
    serve = parser._subparsers._group_actions[0].choices["serve"]  # argparse has no public API
    known = {option for action in serve._actions for option in action.option_strings}
    assert flags and flags <= known
