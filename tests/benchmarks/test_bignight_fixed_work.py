"""``bignight --fixed-work``: parts do a fixed search, so the plan does not depend on the time."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks.cli import main


def _row(out: Path, seconds: str) -> dict:
    args = ["bignight", "--sizes", "90", "--seconds", seconds, "--ray-address", "none"]
    args += ["--modes", "decomposed", "--max-part-stops", "40", "--fixed-work", "--out", str(out)]
    assert main(args) == 0
    return json.loads((out / "results.jsonl").read_text().splitlines()[-1])


def test_fixed_work_parts_give_the_same_plan_whatever_the_budget(tmp_path: Path) -> None:
    """Two fixed-work runs with different budgets give the same checked plan and no border
    rounds: the work per part is set by iterations, not by the clock."""
    first = _row(tmp_path / "a", "2")
    second = _row(tmp_path / "b", "30")
    assert first["mode"] == "inline-fixed" and first["feasible"] and first["parts"] >= 2
    assert first["border_jobs"] == 0
    assert (first["travel_hours"], first["vehicles"]) == (
        second["travel_hours"],
        second["vehicles"],
    )
