"""The load suite end to end, tiny: a real server, two callers, short levels (no timings)."""

from __future__ import annotations

import json

from benchmarks.cli import main as benchmarks_main
from benchmarks.load.runner import percentile


def test_load_suite_writes_results_and_readme(tmp_path):
    """``python -m benchmarks load`` runs both scenarios against a real server and writes every
    status code, latencies, health probes and the exact command into results.json and README."""
    out = tmp_path / "load"
    argv = [
        "load",
        "--levels",
        "2",
        "--seconds",
        "1.5",
        "--routing-clients",
        "1",
        "--routing-budget",
        "1",
        "--out",
        str(out),
        "--server-flag=--max-inflight-assign=1",
    ]
    assert benchmarks_main(argv) == 0
    results = json.loads((out / "results.json").read_text())
    assert [(lv["scenario"], lv["clients"]) for lv in results["levels"]] == [
        ("assign", 2),
        ("assign+routing", 2),
    ]
    for level in results["levels"]:
        assign = level["assignunits"]
        assert assign["calls"] == sum(assign["codes"].values()) > 0
        assert all(code.isupper() for code in assign["codes"])  # gRPC status names
        assert level["health"]["codes"].get("OK", 0) > 0
        assert level["goals"]["deadline_misses"] == assign["codes"].get("DEADLINE_EXCEEDED", 0)
    assert results["levels"][1]["planroutes"]["calls"] > 0
    assert results["server_flags"] == ["--max-inflight-assign=1"]
    readme = (out / "README.md").read_text()
    assert "python -m benchmarks load --levels 2" in readme
    assert readme.count("| assign") == 2


def test_percentile_is_nearest_rank():
    """p50 and p99 of a known list, and None for no samples."""
    values = [float(v) for v in range(1, 101)]
    assert (percentile(values, 50), percentile(values, 99), percentile(values, 100)) == (
        50.0,
        99.0,
        100.0,
    )
    assert percentile([], 99) is None
