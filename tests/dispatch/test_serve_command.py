"""``dispatch serve``'s process settings (the command itself runs in test_cli and the README
tests)."""

from __future__ import annotations

import json
import subprocess
import sys

from dispatch.serve_command import YOUNG_COLLECTION_THRESHOLD

_PROBE = """
import gc, json
from dispatch.serve_command import settle_collector
before = gc.get_threshold()
settle_collector()
print(json.dumps({"before": before, "after": gc.get_threshold(), "frozen": gc.get_freeze_count()}))
"""


def test_settle_collector_freezes_the_loaded_heap_and_delays_young_collections():
    """In a fresh interpreter (freezing would pin this test process's garbage): what is loaded
    is frozen, young collections start at the server's threshold, older ones keep theirs."""
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True, timeout=120
    )
    seen = json.loads(out.stdout)
    assert seen["frozen"] > 1000
    assert seen["after"] == [YOUNG_COLLECTION_THRESHOLD, *seen["before"][1:]]
    assert seen["before"][0] < YOUNG_COLLECTION_THRESHOLD
