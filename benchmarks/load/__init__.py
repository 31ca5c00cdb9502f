"""``python -m benchmarks load``: the service under 8, 32 and 64 concurrent AssignUnits callers,
alone and beside routing solves (issue 15, Measured).

A real ``dispatch serve`` runs in its own process on 127.0.0.1; each level runs for a fixed time
and reports throughput, p50/p99 of admitted calls, every status code, deadline misses and
health-check latency, into ``benchmarks/results/<UTC date>-load/`` (results.json, README.md).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks import machine
from benchmarks.assign.server import server_process
from benchmarks.load import report
from benchmarks.load.runner import SCENARIOS, LoadSettings, assign_request, plan_request, run_level
from benchmarks.suites import REPO_ROOT

__all__ = ["main"]


def _levels(text: str) -> list[int]:
    try:
        levels = [int(part) for part in text.split(",") if part.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"levels must be integers: {text!r}") from exc
    if not levels or min(levels) < 1:
        raise argparse.ArgumentTypeError("levels must be positive integers")
    return levels


def _scenarios(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"scenarios are {', '.join(SCENARIOS)}; got {text!r}")
    return names


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks load", description=__doc__)
    defaults = LoadSettings()
    parser.add_argument("--levels", type=_levels, default=[8, 32, 64], help="client counts")
    parser.add_argument(
        "--scenarios", type=_scenarios, default=list(SCENARIOS), help=", ".join(SCENARIOS)
    )
    parser.add_argument("--seconds", type=float, default=defaults.seconds, help="seconds per level")
    parser.add_argument(
        "--deadline", type=float, default=defaults.deadline_seconds, help="AssignUnits deadline"
    )
    parser.add_argument("--incidents", type=int, default=defaults.incidents)
    parser.add_argument("--units", type=int, default=defaults.units)
    parser.add_argument("--routing-clients", type=int, default=defaults.routing_clients)
    parser.add_argument("--routing-budget", type=float, default=defaults.routing_budget_seconds)
    parser.add_argument(
        "--no-retry-info",
        action="store_true",
        help="refused callers retry at once instead of waiting the RetryInfo delay",
    )
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--out", default=None, help="results folder")
    parser.add_argument("--note", default="", help="a sentence for the README (e.g. the load)")
    parser.add_argument(
        "--server-flag",
        action="append",
        default=[],
        metavar="FLAG",
        help="passed to dispatch serve, e.g. --server-flag=--max-inflight-assign=8 (repeatable)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run every scenario at every level; write the results folder; print its README path."""
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    settings = LoadSettings(
        seconds=args.seconds,
        deadline_seconds=args.deadline,
        incidents=args.incidents,
        units=args.units,
        routing_clients=args.routing_clients,
        routing_budget_seconds=args.routing_budget,
        honour_retry_info=not args.no_retry_info,
        seed=args.seed,
    )
    out = (
        Path(args.out)
        if args.out
        else REPO_ROOT
        / "benchmarks"
        / "results"
        / (dt.datetime.now(dt.UTC).strftime("%Y-%m-%d-") + "load")
    )
    results: dict[str, Any] = {
        "environment": machine.environment(["load", *argv]),
        "settings": settings.__dict__,
        "server_flags": args.server_flag,
        "note": args.note,
        "load_average_before": [round(x, 2) for x in os.getloadavg()],
        "levels": [],
    }
    requests = (assign_request(settings), plan_request(settings))
    with server_process(args.server_flag) as target:
        for scenario in args.scenarios:
            for clients in args.levels:
                level = run_level(target, scenario, clients, settings, requests)
                results["levels"].append(level)
                print(report.row(level), file=sys.stderr, flush=True)
    path = report.write(Path(out), results)
    print(path)
    return 0
