"""Print the markdown tables of results.json (the README's figures come from this)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

record = json.loads((Path(sys.argv[1]) / "results.json").read_text())
print(
    f"date {record['date_utc']}, {record['calls']} calls per size and server, seed {record['seed']}"
)
print(f"load average before {record['load_before']}, after {record['load_after']}\n")
print("| size | server | p50 ms | p95 ms | p99 ms | max ms | p99 / echo p99 | p99 - echo p99 |")
print("|---|---|---|---|---|---|---|---|")
for size, data in record["sizes"].items():
    for name in ("echo", "new", "base"):
        s = data["stats"][name]
        ratio = data["p99_ratio_to_echo"].get(name, 1.0)
        minus = data["p99_minus_echo_ms"].get(name, 0.0)
        print(
            f"| {size} | {name} | {s['p50_ms']:.1f} | {s['p95_ms']:.1f} | {s['p99_ms']:.1f} "
            f"| {s['max_ms']:.1f} | {ratio:.1f} | {minus:.1f} |"
        )
    print(f"\nengines {size}: {data['engines']}\n")
print("50 ms gRPC deadline at the largest size:", record["deadline_50ms"])
loads = [load for _, load in record.get("load_samples", [])]
if loads:
    print(f"1-minute load average every 5 s: min {min(loads):.1f}, max {max(loads):.1f}")
