"""The AssignUnits benchmark's quick mode runs end to end and writes an honest report."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.assign import main


def test_quick_run_writes_markdown_and_raw_figures(tmp_path: Path) -> None:
    """--quick measures every section over a real server and records where it ran."""
    assert main(["--quick", "--out", str(tmp_path), "--calls", "4"]) == 0
    raw = json.loads((tmp_path / "quick.json").read_text())
    assert raw["environment"]["command"].startswith("python -m benchmarks.assign --quick")
    assert raw["environment"]["cores"] >= 1
    for size in raw["sizes"]:
        assert size["end_to_end"]["n"] == 4
        assert size["solver_only"]["n"] == 4
        assert all(row["not_worse_than_greedy"] for row in size["quality"])
    markdown = (tmp_path / "quick.md").read_text()
    assert "| 10x50 |" in markdown and "pulp.cbc" in markdown
