"""How the service reads the load it competes with (solvers.budget)."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from solvers import budget


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/loadavg")
def test_a_busy_process_counts_at_once() -> None:
    """A process spinning since a moment ago is in the load at once, before any average moves."""
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.3)
        # The spinner and this process are both runnable whenever /proc is read.
        assert max(budget.runnable_now() for _ in range(20)) >= 2
        assert budget.load_per_core() >= 1 / budget.usable_cores()
    finally:
        spinner.kill()
        spinner.wait()
