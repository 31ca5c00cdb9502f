"""Engine tests share the routing tests' case builders (``checker_cases`` one folder up)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
