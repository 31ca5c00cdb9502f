"""results.md of a dispatchsim run: per policy and priority, summed over seeds, and per seed."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["summary", "write_markdown"]

POLICIES = ("closest", "assign", "assign+moveup")


def summary(runs: list[dict]) -> dict[str, dict]:
    """Per policy: late/calls per priority summed over seeds, mean of seed means and p90s."""
    out: dict[str, dict] = {}
    for policy in POLICIES:
        rows = [r for r in runs if r["policy"] == policy]
        if not rows:
            continue
        entry: dict = {"units_moved": sum(r["units_moved"] for r in rows)}
        for p in ("1", "2", "3"):
            cells = [r["by_priority"][p] for r in rows]
            calls = sum(c["calls"] for c in cells)
            late = sum(c["late"] for c in cells)
            entry[p] = {
                "calls": calls,
                "late": late,
                "share_late": late / calls if calls else 0.0,
                "mean_response": float(np.mean([c["mean_response"] for c in cells])),
                "p90_response": float(np.mean([c["p90_response"] for c in cells])),
            }
        out[policy] = entry
    return out


def _table(s: dict[str, dict]) -> list[str]:
    lines = [
        "| policy | P1 late | P2 late | P3 late | P1 mean / p90 s | P2 mean / p90 s"
        " | P3 mean / p90 s | units moved |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for policy, e in s.items():
        late = [f"{e[p]['late']}/{e[p]['calls']} ({100 * e[p]['share_late']:.1f}%)" for p in "123"]
        times = [f"{e[p]['mean_response']:.0f} / {e[p]['p90_response']:.0f}" for p in "123"]
        lines.append(
            f"| {policy} | {' | '.join(late)} | {' | '.join(times)} | {e['units_moved']} |"
        )
    return lines


def _per_seed(runs: list[dict]) -> list[str]:
    lines = [
        "| seed | policy | P1 late | P2 late | P3 late | units moved | wall s |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in runs:
        late = [f"{r['by_priority'][p]['late']}/{r['by_priority'][p]['calls']}" for p in "123"]
        lines.append(
            f"| {r['seed']} | {r['policy']} | {' | '.join(late)} | {r['units_moved']}"
            f" | {r['wall_seconds']:.0f} |"
        )
    return lines


def _timing(timing: dict) -> list[str]:
    lines = [
        "| state | not idle | states | p50 ms | p90 ms | max ms | within 200 ms | CPU p50 / p90 ms"
        " | status | mean moves |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for load, t in timing.items():
        status = ", ".join(f"{k} {v}" for k, v in sorted(t["status"].items()))
        cpu = f"{t['cpu_p50_ms']:.0f} / {t['cpu_p90_ms']:.0f}" if "cpu_p50_ms" in t else "-"
        lines.append(
            f"| {load} | {100 * t['share_not_idle']:.0f}% | {t['states']} | {t['p50_ms']:.0f}"
            f" | {t['p90_ms']:.0f} | {t['max_ms']:.0f} | {t['within_200ms']}/{t['states']}"
            f" | {cpu} | {status} | {t['mean_moves']:.1f} |"
        )
    return lines


def _simulation(runs: list[dict]) -> list[str]:
    """The summary table, the cut against closest-idle, and the per-seed table."""
    s = summary(runs)
    lines = ["", "## Summed over seeds", "", *_table(s)]
    base = s.get("closest")
    for policy in ("assign", "assign+moveup"):
        other = s.get(policy)
        if base and other and base["1"]["late"]:
            cut = 1 - other["1"]["late"] / base["1"]["late"]
            lines.append(
                f"\nP1 late arrivals, {policy} against closest on the same calls:"
                f" {100 * cut:.1f}% fewer (issue 14 goal for assign+moveup: at least 20% fewer)."
            )
    return [*lines, "", "## Per seed", "", *_per_seed(runs)]


def write_markdown(out: Path, result: dict) -> Path:
    """Write results.md beside results.json; returns its path."""
    lines = ["# Dispatch simulation: a day in the city"]
    if result["runs"]:
        lines += _simulation(result["runs"])
    if result["city_size_moveup"]:
        lines += ["", "## Move-up alone at city size (100 zones, 50 posts, 300 units)", ""]
        lines += _timing(result["city_size_moveup"])
    path = out / "results.md"
    path.write_text("\n".join(lines) + "\n")
    return path
