"""The load run's results folder: ``results.json`` (everything) and a README.md to read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _codes(codes: dict[str, int]) -> str:
    return ", ".join(f"{code} {count}" for code, count in codes.items()) or "-"


def row(level: dict[str, Any]) -> str:
    """One level as a Markdown table row (also printed as the run goes)."""
    assign, health, goals = level["assignunits"], level["health"], level["goals"]
    return (
        f"| {level['scenario']} | {level['clients']} | {assign['ok_per_second']} "
        f"| {_ms(assign['ok_ms']['p50'])} / {_ms(assign['ok_ms']['p99'])} "
        f"| {_codes(assign['codes'])} | {goals['deadline_misses']} "
        f"| {_ms(assign['refused_ms']['p50'])} / {_ms(assign['refused_ms']['p99'])} "
        f"| {_ms(health['ok_ms']['p50'])} / {_ms(health['ok_ms']['p99'])} "
        f"| {_codes(health['codes'])} | {_codes(level['planroutes']['codes'])} "
        f"| {' '.join(str(x) for x in level['load_average_1min'])} "
        f"| {'yes' if goals['met'] else 'NO'} |"
    )


def readme(results: dict[str, Any]) -> str:
    """The README of a results folder: command, machine, versions, settings, one row a level."""
    env, settings = results["environment"], results["settings"]
    versions = ", ".join(f"{k} {v}" for k, v in env["versions"].items())
    retry = (
        "wait the RetryInfo delay with jitter, doubled on each refusal in a row (at most 2 s)"
        if settings["honour_retry_info"]
        else "retry at once"
    )
    lines = [
        "# Load: AssignUnits alone and beside routing solves (issue 15, Measured)",
        "",
        f"- Command: `{env['command']}`",
        f"- Date (UTC): {env['date_utc']}; commit {env['git_commit']}",
        f"- Machine: {env['cpu']}, {env['cores']} cores, {env['platform']}",
        f"- Versions: {versions}",
        f"- Server: `dispatch serve` in its own process on 127.0.0.1, flags "
        f"`{' '.join(results['server_flags']) or '(defaults)'}`. AssignUnits callers run in up to "
        "4 client processes, the health prober in one of its own, PlanRoutes callers as threads "
        "of the benchmark: all on the same machine, sharing its cores with the server.",
        f"- Load: {settings['seconds']} s per level; AssignUnits of {settings['incidents']} "
        f"incidents x {settings['units']} units (coverage rules on, default 1 s budget) under a "
        f"{settings['deadline_seconds']} s gRPC deadline, closed loop, one channel per client; "
        f"refused callers {retry}; "
        f"`assign+routing` adds {settings['routing_clients']} PlanRoutes callers (sanitation "
        f"example, {settings['routing_budget_seconds']} s budget); one health check every 50 ms "
        f"({settings['health_timeout_seconds']} s timeout).",
        f"- Machine load average (1, 5, 15 min) before the run: "
        f"{results['load_average_before']}; the 1-minute one per level in the table (before / "
        "after).",
        *([f"- Note: {results['note']}"] if results.get("note") else []),
        "",
        "Latencies in ms. AssignUnits p50/p99 are over admitted calls that answered OK; "
        '"refused" is how long a RESOURCE_EXHAUSTED took to arrive. Deadline misses count '
        "every DEADLINE_EXCEEDED. Goals (issue 15): no deadline miss among admitted calls, "
        "refusals only as RESOURCE_EXHAUSTED, every health check SERVING, and at 64 clients "
        "health p99 under 100 ms.",
        "",
        "| scenario | clients | AssignUnits OK/s | p50 / p99 | AssignUnits codes "
        "| deadline misses | refused p50 / p99 | health p50 / p99 | health codes "
        "| PlanRoutes codes | load avg | goals met |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    lines += [row(level) for level in results["levels"]]
    met = sum(1 for level in results["levels"] if level["goals"]["met"])
    lines += ["", f"Goals met on {met} of {len(results['levels'])} levels.", ""]
    return "\n".join(lines)


def write(out: Path, results: dict[str, Any]) -> Path:
    """Write results.json and README.md into ``out``; returns the README's path."""
    out.mkdir(parents=True, exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    path = out / "README.md"
    path.write_text(readme(results))
    return path
