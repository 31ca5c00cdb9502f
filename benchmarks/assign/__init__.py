"""AssignUnits benchmark suite: ``python -m benchmarks.assign [--quick] [--out DIR] [--seed N]``."""

from benchmarks.assign.runner import main as main

__all__ = ["main"]
