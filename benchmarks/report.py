"""``report DIR``: Markdown summary and PNG plots of a results folder (matplotlib, Agg backend).

Only rows whose plan passed both checkers count as solved; an unsolved row is a loss against a
solved one. Hierarchical conventions (SINTEF, Kim) compare vehicles first, then the objective.
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from itertools import combinations
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from benchmarks import machine
from benchmarks.harness import RUNS, read_rows

HIERARCHICAL = {"sintef", "kim"}
ALL = "all"
#: A gap at or below this (percent) counts as matching the BKS (DIMACS optima have 1 decimal).
AT_BKS_PERCENT = 0.005
LATENCY = "latency.jsonl"


def _fmt(value: float | None, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _mean(values: list[float]) -> float | None:
    return statistics.fmean(values) if values else None


def _merged(rows: list[dict[str, Any]]) -> dict[tuple, dict[str, Any]]:
    """One entry per (suite, budget, instance, solver): seeds averaged, solved only if all were."""
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        groups[(row["suite"], row["budget"], row["instance"], row["solver"])].append(row)
    merged = {}
    for key, group in groups.items():
        solved = [r for r in group if r.get("solved")]
        entry = dict(group[0])
        entry["runs"] = len(group)
        entry["solved"] = len(solved) == len(group)
        entry["objective"] = _mean([r["objective"] for r in solved]) if entry["solved"] else None
        entry["vehicles"] = _mean([r["vehicles"] for r in solved]) if entry["solved"] else None
        entry["gap_pct"] = _mean([r["gap_pct"] for r in solved if r.get("gap_pct") is not None])
        entry["wall_s"] = _mean([r["wall_s"] for r in group if r.get("wall_s") is not None])
        entry["peak_rss_mb"] = _mean([r["peak_rss_mb"] for r in group if r.get("peak_rss_mb")])
        entry["statuses"] = sorted({r["status"] for r in group})
        entry["over_budget"] = any(r.get("over_budget") for r in group)
        merged[key] = entry
    return merged


def compare(a: dict[str, Any], b: dict[str, Any], hierarchical: bool, tolerance: float) -> int:
    """+1 if a beats b, -1 if b beats a, 0 for a tie (objectives within ``tolerance`` percent)."""
    if a["solved"] != b["solved"]:
        return 1 if a["solved"] else -1
    if not a["solved"]:
        return 0
    if hierarchical and a["vehicles"] != b["vehicles"]:
        return 1 if a["vehicles"] < b["vehicles"] else -1
    scale = max(abs(a["objective"]), abs(b["objective"]), 1e-9)
    if abs(a["objective"] - b["objective"]) / scale * 100.0 <= tolerance:
        return 0
    return 1 if a["objective"] < b["objective"] else -1


def write_report(out: Path, tie_tolerance: float = 0.1, argv: list[str] | None = None) -> Path:
    """Write ``report.md`` (and PNG plots) into the results folder; returns the report path."""
    rows = read_rows(out)
    merged = _merged(rows)
    lines = ["# Benchmark report", ""]
    lines += _provenance(out, argv)
    sections = sorted({(k[0], k[1]) for k in merged})
    family_gaps: dict[tuple[str, str], dict[str, float]] = {}
    for suite, budget in sections:
        entries = {k: v for k, v in merged.items() if k[0] == suite and k[1] == budget}
        lines += _suite_section(suite, budget, entries, tie_tolerance, family_gaps)
    if family_gaps:
        lines += ["", "![gap by family](gap_by_family.png)", ""]
        _plot_gaps(family_gaps, out / "gap_by_family.png")
    latency = _read_latency(out)
    if latency:
        lines += _latency_section(latency, out)
    if (out / "assign").exists():
        lines += ["", "## Assignment (benchmarks.assign)", ""]
        lines += [f"- [{p.name}](assign/{p.name})" for p in sorted((out / "assign").glob("*.md"))]
    path = out / "report.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _provenance(out: Path, argv: list[str] | None) -> list[str]:
    lines = ["## How these numbers were made", ""]
    runs_path = out / RUNS
    runs = []
    if runs_path.exists():
        runs = [json.loads(x) for x in runs_path.read_text().splitlines() if x.strip()]
    for run in runs:
        versions = ", ".join(f"{k} {v}" for k, v in run.get("versions", {}).items())
        lines += [
            f"- `{run.get('command')}` at {run.get('date_utc')}, commit {run.get('git_commit')}",
            f"  - machine: {run.get('cpu')}, {run.get('cores')} cores, {run.get('platform')}",
            f"  - versions: {versions}",
        ]
    report_env = machine.environment(argv)
    lines += [
        f"- report written {report_env['date_utc']} by `{report_env['command']}`",
        "",
        "Objectives are recomputed from the instance files in each instance's own convention;"
        " a plan that fails the benchmark check or the service checker counts as no solution."
        " Wall time is the solve call only (process start and model building excluded); peak"
        " memory is the solving process's VmHWM.",
        "",
    ]
    return lines


def _family_cell(group: list[dict[str, Any]], hierarchical: bool) -> str:
    solved = [e for e in group if e["solved"]]
    gaps = [e["gap_pct"] for e in solved if e["gap_pct"] is not None]
    at_bks = sum(
        1
        for e in solved
        if e["gap_pct"] is not None
        and e["gap_pct"] <= AT_BKS_PERCENT
        and not (hierarchical and e["vehicles"] > (e.get("bks_vehicles") or 0))
    )
    text = f"{_fmt(_mean(gaps))} ({len(solved)}/{len(group)}, at BKS {at_bks}"
    if hierarchical:
        diffs = [
            e["vehicles"] - e["bks_vehicles"] for e in solved if e.get("bks_vehicles") is not None
        ]
        if diffs:
            text += f", veh {_fmt(_mean(diffs))}"
    return text + ")"


def _suite_section(
    suite: str,
    budget: float,
    entries: dict[tuple, dict[str, Any]],
    tolerance: float,
    family_gaps: dict[tuple[str, str], dict[str, float]],
) -> list[str]:
    solvers = list(dict.fromkeys(k[3] for k in entries))  # in --solvers order
    instances = sorted({k[2] for k in entries})
    first = next(iter(entries.values()))
    convention = first["convention"]
    hierarchical = convention in HIERARCHICAL
    lines = [f"## {suite} (convention {convention}, budget {budget:g} s)", ""]
    by_family: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for (_, _, _, solver), e in entries.items():
        by_family[e["family"]][solver].append(e)
    head = "| family | " + " | ".join(solvers) + " |"
    lines += ["### Average gap to BKS per family", "", head, "|" + "---|" * (len(solvers) + 1)]
    families = sorted(by_family)
    for family in [*families, ALL] if len(families) > 1 else families:
        cells = []
        for solver in solvers:
            if family == ALL:
                group = [e for f in families for e in by_family[f][solver]]
            else:
                group = by_family[family][solver]
            cells.append(_family_cell(group, hierarchical))
            gaps = [e["gap_pct"] for e in group if e["solved"] and e["gap_pct"] is not None]
            if gaps and family != ALL:
                family_gaps.setdefault((suite, family), {})[solver] = statistics.fmean(gaps)
        lines.append(f"| {family} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "Cells: mean gap % over solved instances (solved / instances; at BKS = objective within"
        f" {AT_BKS_PERCENT:g} % of the BKS"
        + ("; mean vehicles minus BKS vehicles" if hierarchical else "")
        + ").",
        "",
    ]
    lines += ["", "### Per instance", ""]
    head = "| instance | BKS | " + " | ".join(solvers) + " |"
    lines += [head, "|" + "---|" * (len(solvers) + 2)]
    for name in instances:
        any_entry = next(e for k, e in entries.items() if k[2] == name)
        bks = f"{any_entry.get('bks_vehicles') or '-'} / {_fmt(any_entry.get('bks_objective'))}"
        cells = []
        for solver in solvers:
            e = entries.get((suite, budget, name, solver))
            if e is None:
                cells.append("")
            elif not e["solved"]:
                failed = e["statuses"] in (["FEASIBLE"], ["OPTIMAL"])
                unserved = f", {e['unserved']} stops unserved" if e.get("unserved") else ""
                cells.append(
                    "/".join(e["statuses"]) + (f" (check failed{unserved})" if failed else "")
                )
            else:
                cells.append(
                    f"{_fmt(e['vehicles'], 0)} / {_fmt(e['objective'])} "
                    f"({_fmt(e['gap_pct'])}%, {_fmt(e['wall_s'], 1)} s, "
                    f"{_fmt(e['peak_rss_mb'], 0)} MB)"
                )
        lines.append(f"| {name} | {bks} | " + " | ".join(cells) + " |")
    lines += ["", "Cells: vehicles / objective (gap %, solve wall time, peak memory)."]
    if hierarchical:
        lines.append(
            "Hierarchical convention: fewer vehicles come first, so a negative distance gap with"
            " more vehicles than the BKS is not an improvement."
        )
    lines.append("")
    lines += ["| solver | solved | mean wall s | max wall s | over budget | mean peak MB |"]
    lines += ["|---|---|---|---|---|---|"]
    for solver in solvers:
        group = [e for k, e in entries.items() if k[3] == solver]
        walls = [e["wall_s"] for e in group if e.get("wall_s") is not None]
        over = sum(1 for e in group if e.get("over_budget"))
        mems = [e["peak_rss_mb"] for e in group if e.get("peak_rss_mb")]
        lines.append(
            f"| {solver} | {sum(1 for e in group if e['solved'])}/{len(group)} | "
            f"{_fmt(_mean(walls))} | {_fmt(max(walls) if walls else None)} | {over} | "
            f"{_fmt(_mean(mems), 0)} |"
        )
    lines.append("")
    if len(solvers) > 1:
        lines += [
            f"### Wins / ties / losses (tie: objectives within {tolerance:g} %"
            + ("; fewer vehicles wins first" if hierarchical else "")
            + ")",
            "",
            "| pair | wins | ties | losses |",
            "|---|---|---|---|",
        ]
        for a, b in combinations(solvers, 2):
            tally = [0, 0, 0]
            for name in instances:
                ea = entries.get((suite, budget, name, a))
                eb = entries.get((suite, budget, name, b))
                if ea is None or eb is None:
                    continue
                outcome = compare(ea, eb, hierarchical, tolerance)
                tally[{1: 0, 0: 1, -1: 2}[outcome]] += 1
            lines.append(f"| {a} vs {b} | {tally[0]} | {tally[1]} | {tally[2]} |")
        lines.append("")
    engines: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for e in entries.values():
        if e["solved"]:
            engines[e["solver"]][e.get("engine") or "?"] += 1
    lines.append(
        "Engines that produced the solved plans: "
        + "; ".join(
            f"{solver}: " + ", ".join(f"{eng} ({n})" for eng, n in sorted(engines[solver].items()))
            for solver in solvers
            if engines[solver]
        )
    )
    lines.append("")
    notes = sorted(
        {
            f"{e['solver']}: {e['note']}"
            for e in entries.values()
            if e.get("status") == "SKIPPED" and e.get("note")
        }
    )
    errors = sorted(
        {f"{e['solver']}: {e['error'][:160]}" for e in entries.values() if e.get("error")}
    )
    if notes or errors:
        lines += ["Notes:", ""] + [f"- {n}" for n in notes + errors] + [""]
    return lines


def _plot_gaps(family_gaps: dict[tuple[str, str], dict[str, float]], path: Path) -> None:
    groups = sorted(family_gaps)
    solvers = sorted({s for gaps in family_gaps.values() for s in gaps})
    width = 0.8 / max(len(solvers), 1)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(groups) + 2), 4))
    for i, solver in enumerate(solvers):
        xs = [g + i * width for g in range(len(groups))]
        ys = [family_gaps[key].get(solver, float("nan")) for key in groups]
        ax.bar(xs, ys, width=width, label=solver)
    ax.set_xticks([g + 0.4 - width / 2 for g in range(len(groups))])
    ax.set_xticklabels([f"{s}\n{f}" for s, f in groups], fontsize=8)
    ax.set_ylabel("mean gap to BKS (%)")
    ax.set_title("Gap by family (solved instances only)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _read_latency(out: Path) -> list[dict[str, Any]]:
    path = out / LATENCY
    if not path.exists():
        return []
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


def _latency_section(records: list[dict[str, Any]], out: Path) -> list[str]:
    lines = ["", "## AssignUnits latency over gRPC (loopback)", ""]
    lines += ["| condition | calls | p50 ms | p95 ms | p99 ms |", "|---|---|---|---|---|"]
    fig, ax = plt.subplots(figsize=(6, 4))
    for record in records:
        samples = sorted(record["samples_ms"])
        if not samples:
            continue
        q = statistics.quantiles(samples, n=100) if len(samples) > 1 else samples * 99
        lines.append(
            f"| {record['condition']} | {len(samples)} | {q[49]:.2f} | {q[94]:.2f} | {q[98]:.2f} |"
        )
        ax.hist(samples, bins=40, alpha=0.6, label=record["condition"])
    by = {r["condition"]: r for r in records}
    if "idle" in by and len(by["idle"]["samples_ms"]) > 1:
        idle = statistics.quantiles(by["idle"]["samples_ms"], n=100)
        lines.append("")
        for condition in ("routing_busy", "jobs_busy"):
            if condition not in by or len(by[condition]["samples_ms"]) < 2:
                continue
            busy = statistics.quantiles(by[condition]["samples_ms"], n=100)
            ratios = ", ".join(
                f"p{q + 1} {busy[q] / idle[q]:.2f}" for q in (49, 94, 98) if idle[q] > 0
            )
            lines.append(f"- Ratio {condition} / idle: {ratios}")
    for record in records:
        if record.get("note"):
            lines.append(f"- {record['condition']}: {record['note']}")
    ax.set_xlabel("AssignUnits latency (ms)")
    ax.set_ylabel("calls")
    ax.legend()
    fig.tight_layout()
    fig.savefig(out / "latency.png", dpi=110)
    plt.close(fig)
    lines += ["", "![latency](latency.png)", ""]
    return lines
