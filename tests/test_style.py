"""The tree stays as ruff formats and lints it, so style never shows up in a review's diff."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _ruff(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ruff", *args], cwd=ROOT, capture_output=True, text=True
    )


def test_ruff_format_leaves_the_tree_unchanged() -> None:
    """`ruff format --check` finds nothing to reformat."""
    result = _ruff("format", "--check", ".")
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_check_finds_nothing() -> None:
    """`ruff check` reports no lint findings."""
    result = _ruff("check", ".")
    assert result.returncode == 0, result.stdout + result.stderr
