"""``python -m benchmarks bignight``: rows for each mode, and request files the server accepts."""

from __future__ import annotations

import json
from pathlib import Path

from google.protobuf import json_format

from benchmarks.bignight.generate import night
from benchmarks.cli import main
from dispatch._proto.dispatch.v1 import routing_pb2
from dispatch.wire.routing import problem_from_request


def test_a_small_night_gives_one_checked_row_per_mode(tmp_path: Path) -> None:
    """Decomposed (in process) and single rows, both feasible, every stop accounted for."""
    code = main(
        [
            "bignight",
            "--sizes", "120",
            "--seconds", "6",
            "--ray-address", "none",
            "--single-factor", "1",
            "--max-part-stops", "50",
            "--out", str(tmp_path),
        ]
    )  # fmt: skip
    rows = [json.loads(line) for line in (tmp_path / "results.jsonl").read_text().splitlines()]
    assert code == 0
    assert [r["mode"] for r in rows] == ["inline", "single-x1"]
    assert all(r["feasible"] and r["served"] + r["skipped"] == 120 for r in rows)
    assert rows[0]["parts"] >= 2
    assert (tmp_path / "environment-120.json").exists()


def test_the_written_request_is_the_generated_night(tmp_path: Path) -> None:
    """--write-request gives a request whose problem has the night's stops, trucks and tips."""
    path = tmp_path / "night.json"
    assert main(["bignight", "--sizes", "80", "--write-request", str(path)]) == 0
    request = json_format.Parse(path.read_text(), routing_pb2.PlanRoutesRequest())
    problem = problem_from_request(request)
    large = night(80)
    assert [s.id for s in problem.stops] == [s.id for s in large.stops]
    assert len(problem.vehicles) == len(large.vehicles)
    assert len(problem.facilities) == len(large.facilities)
