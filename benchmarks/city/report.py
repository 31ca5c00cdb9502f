"""``report DIR`` for the city suite: ``DIR/city.md`` with the figures the suite exists for.

The generic report (benchmarks/report.py) compares objectives to a best known solution; the
city instances have none, so this one answers the suite's own questions at each budget: AUTO's
total travel against VROOM's and against OR-Tools alone, per instance and on average (only
where both plans pass the checker and serve every mandatory stop: a plan that leaves work out
is not cheaper, it is incomplete); the share of answers within budget + 0.5 s; answers that
never came (ERROR / TIMEOUT / CANCELLED); mandatory stops left out; engines that declined.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmarks.city import generate
from benchmarks.city.run import LATE_AFTER, SUITE
from benchmarks.harness import read_rows

NO_ANSWER = ("ERROR", "TIMEOUT", "CANCELLED")
#: Pairs the suite's goals name: (engine, reference).
PAIRS = (("auto", "vroom"), ("auto", "ortools"))


def list_city() -> None:
    """Print the generated instances (``python -m benchmarks list city``)."""
    for inst in generate.instances():
        r = inst.request
        two = sum(1 for s in r.stops if len(s.time_windows) == 2)
        skills = sorted({x for s in r.stops for x in s.required_skills})
        print(
            f"city             {inst.name:18} stops={inst.n_stops:4} vehicles={len(r.vehicles):3}"
            f" facilities={len(r.facilities)} two-window={two / inst.n_stops:.0%}"
            f" skills={len(skills)}"
        )


def _merged(rows: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """One entry per (instance, solver): seeds averaged; solved only if every seed was."""
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[(row["instance"], row["solver"])].append(row)
    merged = {}
    for key, group in groups.items():
        solved = [r for r in group if r.get("solved")]
        entry = dict(group[0])
        entry["solved"] = len(solved) == len(group)
        entry["travel_s"] = (
            statistics.fmean(r["travel_s"] for r in solved) if entry["solved"] else None
        )
        entry["statuses"] = "/".join(sorted({r["status"] for r in group}))
        entry["skipped"] = sum(r.get("mandatory_skipped") or 0 for r in group)
        merged[key] = entry
    return merged


def _diff(a: dict | None, b: dict | None) -> float | None:
    """(a - b) / b in percent of total travel, when both are complete valid plans."""
    if not a or not b or not a["solved"] or not b["solved"] or not b["travel_s"]:
        return None
    return (a["travel_s"] - b["travel_s"]) / b["travel_s"] * 100.0


def _cell(e: dict[str, Any] | None) -> str:
    if e is None:
        return ""
    if e["status"] == "SKIPPED":
        return e.get("note", "skipped")[:120]
    wall = f"{e['wall_s']:.1f} s" if e.get("wall_s") is not None else "-"
    if e.get("travel_s") is None:
        why = f", {e['skipped']} mandatory left out" if e["skipped"] else ""
        return f"{e['statuses']} (not valid{why}; {wall})"
    return f"{e['travel_s'] / 3600:.2f} h / {e.get('vehicles', '-')} veh ({wall})"


def _summary(rows: list[dict[str, Any]], solvers: list[str], budget: float) -> list[str]:
    lines = [
        "| solver | answered | complete & valid | within budget + 0.5 s | no answer |"
        " mandatory left out | declined | mean wall s | max wall s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for solver in solvers:
        group = [r for r in rows if r["solver"] == solver]
        answered = [r for r in group if r["status"] not in ("SKIPPED", *NO_ANSWER)]
        walls = [r["wall_s"] for r in answered if r.get("wall_s") is not None]
        within = sum(1 for w in walls if w <= budget + LATE_AFTER)
        lines.append(
            f"| {solver} | {len(answered)}/{len(group)} | "
            f"{sum(1 for r in group if r.get('solved'))} | {within}/{len(answered)} | "
            f"{sum(1 for r in group if r['status'] in NO_ANSWER)} | "
            f"{sum(r.get('mandatory_skipped') or 0 for r in group)} | "
            f"{sum(1 for r in group if r['status'] == 'SKIPPED')} | "
            f"{statistics.fmean(walls) if walls else 0:.2f} | {max(walls, default=0):.2f} |"
        )
    return lines


def _section(rows: list[dict[str, Any]], budget: float) -> list[str]:
    solvers = list(dict.fromkeys(r["solver"] for r in rows))
    merged = _merged(rows)
    grid = {n: i for i, n in enumerate(generate.names())}  # suite order; off-grid names last
    instances = sorted({k[0] for k in merged}, key=lambda n: (grid.get(n, len(grid)), n))
    pairs = [(a, b) for a, b in PAIRS if a in solvers and b in solvers]
    lines = [f"## city, budget {budget:g} s", "", *_summary(rows, solvers, budget), ""]
    for a, b in pairs:
        found = [_diff(merged.get((n, a)), merged.get((n, b))) for n in instances]
        diffs = [d for d in found if d is not None]
        mean = f"{statistics.fmean(diffs):+.2f} %" if diffs else "-"
        lines.append(
            f"- {a} vs {b}: mean travel difference {mean} over {len(diffs)} instances where both"
            f" are complete and valid; {a} shorter on {sum(1 for d in diffs if d < 0)}."
        )
    head = "| instance | " + " | ".join(solvers) + "".join(f" | {a} vs {b}" for a, b in pairs)
    lines += ["", head + " |", "|" + "---|" * (1 + len(solvers) + len(pairs))]
    for name in instances:
        cells = [_cell(merged.get((name, s))) for s in solvers]
        for a, b in pairs:
            d = _diff(merged.get((name, a)), merged.get((name, b)))
            cells.append("-" if d is None else f"{d:+.2f} %")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Cells: total travel time by the service's checker / vehicles used (solve wall time)."
        " Differences: (first - second) / second; negative = the first drives less.",
        "",
    ]
    return lines


def write_city_report(out: Path) -> Path | None:
    """Write ``out/city.md`` when the folder holds city rows; returns its path (else None)."""
    rows = [r for r in read_rows(out) if r.get("suite") == SUITE]
    if not rows:
        return None
    lines = ["# City suite report", "", f"Rows from {out}; commands in runs.jsonl.", ""]
    for budget in sorted({float(r["budget"]) for r in rows}):
        lines += _section([r for r in rows if float(r["budget"]) == budget], budget)
    path = out / "city.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
