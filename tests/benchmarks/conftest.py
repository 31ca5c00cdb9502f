"""Fixtures of the benchmark tests: the shared instance folder (``bench_dir``) and helpers.

Tests read the real instance files of ../shared/bench (or DISPATCH_BENCH_DIR); they are skipped
only when that folder is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from benchmarks.suites import default_bench_dir


@pytest.fixture(scope="session")
def bench_dir() -> Path:
    """The benchmark instance folder; skips the test when it is not on this machine."""
    path = default_bench_dir()
    if not (path / "solomon").exists():
        pytest.skip(f"benchmark instances not found at {path}")
    return path
