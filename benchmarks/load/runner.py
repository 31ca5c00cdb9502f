"""One load level: N AssignUnits callers (and, in the ``assign+routing`` scenario, background
PlanRoutes callers) against a real server for a fixed time, with a health prober alongside."""

from __future__ import annotations

import math
import os
import threading
import time
from dataclasses import dataclass
from typing import Any

from google.protobuf.message import Message

from benchmarks.assign.requests import to_request
from benchmarks.assign.scenarios import city_problem
from benchmarks.load.clients import CallerSpec, Tally, run_caller
from benchmarks.load.processes import Group, caller_groups, run_groups
from dispatch import client
from dispatch.examples import read_text

SCENARIOS = ("assign", "assign+routing")
#: Statuses a refused caller may see; anything else from AssignUnits breaks the goal.
REFUSALS = frozenset({"RESOURCE_EXHAUSTED"})
#: Seconds the background solves run before the measured window opens.
ROUTING_HEAD_START = 1.0


@dataclass(frozen=True)
class LoadSettings:
    """What a run varies; every field is written beside the results."""

    seconds: float = 12.0
    deadline_seconds: float = 2.0
    incidents: int = 50
    units: int = 300
    routing_clients: int = 2
    routing_budget_seconds: float = 5.0
    health_timeout_seconds: float = 2.0
    honour_retry_info: bool = True
    seed: int = 1


def assign_request(settings: LoadSettings) -> Message:
    """A generated city (coverage rules on), bytes-encoded matrices, the default 1 s budget."""
    problem = city_problem(settings.incidents, settings.units, seed=settings.seed, coverage=True)
    return to_request(problem, request_id=f"load-{settings.incidents}x{settings.units}")


def plan_request(settings: LoadSettings) -> Message:
    """The bundled sanitation example with the run's routing budget."""
    request = client.parse_request("PlanRoutes", read_text("sanitation"))
    request.options.time_budget.FromMilliseconds(int(settings.routing_budget_seconds * 1000))
    return request


def percentile(values: list[float], q: float) -> float | None:
    """The nearest-rank q-th percentile (0 < q <= 100), or None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return round(ordered[rank - 1], 2)


def _summary(tally: Tally, seconds: float) -> dict[str, Any]:
    return {
        "calls": sum(tally.codes.values()),
        "codes": dict(sorted(tally.codes.items())),
        "ok_per_second": round(len(tally.ok_ms) / seconds, 2) if seconds > 0 else None,
        "ok_ms": {q: percentile(tally.ok_ms, n) for q, n in (("p50", 50), ("p99", 99))}
        | {"max": percentile(tally.ok_ms, 100)},
        "refused_ms": {q: percentile(tally.refused_ms, n) for q, n in (("p50", 50), ("p99", 99))},
        "other_ms": {"p50": percentile(tally.other_ms, 50), "max": percentile(tally.other_ms, 100)},
    }


def run_level(
    target: str,
    scenario: str,
    clients: int,
    settings: LoadSettings,
    requests: tuple[Message, Message],
) -> dict[str, Any]:
    """Run one level; the summary of every call it made, and whether it met the goals.

    Background PlanRoutes callers run as threads here (they mostly wait); the AssignUnits
    callers and the health prober run in client processes of their own (``processes``).
    """
    assign, plan = requests
    stop = threading.Event()
    routing_tally = Tally()
    routing: list[threading.Thread] = []
    if scenario == "assign+routing":
        spec = CallerSpec.of("PlanRoutes", plan, settings.routing_budget_seconds + 5.0)
        routing = [
            threading.Thread(target=run_caller, args=(target, spec, stop, routing_tally, 1000 + k))
            for k in range(settings.routing_clients)
        ]
        for thread in routing:
            thread.start()
        time.sleep(ROUTING_HEAD_START)
    spec = CallerSpec.of(
        "AssignUnits", assign, settings.deadline_seconds, settings.honour_retry_info
    )
    groups = caller_groups(spec, clients, settings.seed)
    groups.append(Group("Health", health_timeout=settings.health_timeout_seconds))
    load_before = os.getloadavg()[0]
    try:
        tallies = run_groups(target, groups, settings.seconds)
    finally:
        stop.set()
        for thread in routing:
            thread.join()
    tallies["PlanRoutes"] = routing_tally
    result = {
        "scenario": scenario,
        "clients": clients,
        "seconds": settings.seconds,
        "load_average_1min": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    for name in ("AssignUnits", "Health", "PlanRoutes"):
        result[name.lower()] = _summary(tallies.get(name, Tally()), settings.seconds)
    result["goals"] = goals(result, clients)
    return result


def goals(result: dict[str, Any], clients: int) -> dict[str, Any]:
    """The issue's goals for this level: no deadline miss among admitted calls, refusals only as
    RESOURCE_EXHAUSTED, and (at 64 clients) health p99 under 100 ms."""
    codes = result["assignunits"]["codes"]
    misses = codes.get("DEADLINE_EXCEEDED", 0)
    unexpected = {c: n for c, n in codes.items() if c != "OK" and c not in REFUSALS}
    health = result["health"]
    health_p99 = health["ok_ms"]["p99"]
    health_failed = sum(n for c, n in health["codes"].items() if c != "OK")
    met = misses == 0 and not unexpected and health_failed == 0
    if clients >= 64:
        met = met and health_p99 is not None and health_p99 < 100.0
    return {
        "deadline_misses": misses,
        "unexpected_codes": unexpected,
        "health_p99_ms": health_p99,
        "health_failures": health_failed,
        "met": met,
    }
