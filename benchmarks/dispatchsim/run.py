"""Run the dispatch simulation over seeds and policies; write results.json and results.md.

``python -m benchmarks run dispatchsim --seed 1 --out DIR`` plays seeds 1..5 (``--quick``: one
seed, 6 hours) through the three policies on the same city and incident stream per seed, then
times move-up alone at city size (100 zones, 50 posts, 300 units).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from benchmarks import machine
from benchmarks.dispatchsim.city import TARGETS, generate_calls, generate_city
from benchmarks.dispatchsim.policies import AssignPolicy, ClosestIdle, MoveUpSettings
from benchmarks.dispatchsim.report import POLICIES, write_markdown
from benchmarks.dispatchsim.sim import Simulation
from benchmarks.dispatchsim.timing import time_city_size

__all__ = ["SimOptions", "run_dispatchsim", "run_seed", "run_with"]

#: Fleet and demand of the simulated city (documented in the results README).
N_UNITS = 45
ALS_SHARE = 0.35
CALLS_PER_DAY = 600.0


def _policies(settings: MoveUpSettings, names: tuple[str, ...]) -> list:
    every = {
        "closest": ClosestIdle,
        "assign": AssignPolicy,
        "assign+moveup": lambda: AssignPolicy(move_up=settings),
    }
    return [every[name]() for name in names]


def _stats(sim: Simulation, policy, wall: float) -> dict:
    by_priority = {}
    for p, target in TARGETS.items():
        times = np.array([t for q, t in sim.responses if q == p], dtype=np.float64)
        by_priority[str(p)] = {
            "calls": int(times.size),
            "late": int(np.sum(times > target)),
            "share_late": float(np.mean(times > target)) if times.size else 0.0,
            "mean_response": float(times.mean()) if times.size else 0.0,
            "p90_response": float(np.percentile(times, 90)) if times.size else 0.0,
        }
    row = {
        "policy": policy.name,
        "calls": len(sim.calls),
        "answered": len(sim.responses),
        "by_priority": by_priority,
        "units_moved": sim.relocations,
        "wall_seconds": wall,
    }
    for name in ("solve_seconds", "moveup_seconds"):
        values = getattr(policy, name, [])
        if values:
            row[name] = {
                "n": len(values),
                "p50": float(np.percentile(values, 50)),
                "p90": float(np.percentile(values, 90)),
                "max": float(np.max(values)),
            }
    if getattr(policy, "moveup_status", None):
        row["moveup_status"] = dict(policy.moveup_status)
    return row


@dataclass(frozen=True)
class SimOptions:
    """What one run plays: seeds, hours, move-up settings, policies, and whether to time."""

    seeds: tuple[int, ...]
    hours: int = 24
    move_up: MoveUpSettings = field(default_factory=MoveUpSettings)
    policies: tuple[str, ...] = POLICIES
    timing: bool = True


def run_seed(seed: int, hours: int, settings: MoveUpSettings, policies=POLICIES) -> list[dict]:
    """One city and one day of calls, played through each policy."""
    city = generate_city(seed)
    calls = generate_calls(city, seed, CALLS_PER_DAY, hours)
    rows = []
    for policy in _policies(settings, policies):
        sim = Simulation(city, calls, N_UNITS, ALS_SHARE, seed)
        start = time.perf_counter()
        sim.run(policy)
        rows.append({"seed": seed, **_stats(sim, policy, time.perf_counter() - start)})
    return rows


def run_dispatchsim(out: Path, seed: int, quick: bool, argv: list[str]) -> Path:
    """The suite as ``python -m benchmarks run dispatchsim`` runs it (5 seeds, or 1 and 6 h)."""
    seeds = (seed,) if quick else tuple(range(seed, seed + 5))
    return run_with(out, SimOptions(seeds, hours=6 if quick else 24), argv)


def run_with(out: Path, options: SimOptions, argv: list[str], command: str = "") -> Path:
    """All seeds and (if asked) the city-size timing; returns the results folder."""
    out.mkdir(parents=True, exist_ok=True)
    env = {**machine.environment(argv), "load_before": list(_loadavg())}
    if command:
        env["command"] = command
    rows = []
    for s in options.seeds:
        new = run_seed(s, options.hours, options.move_up, options.policies)
        rows.extend(new)
        for row in new:
            p1 = row["by_priority"]["1"]
            print(f"seed {s} {row['policy']:14} P1 late {p1['late']}/{p1['calls']}", flush=True)
    quick = options.hours < 24
    seeds = list(options.seeds)
    timing = time_city_size(seeds=seeds, repeats=10 if quick else 30) if options.timing else {}
    env["load_after"] = list(_loadavg())
    result = {
        "environment": env,
        "settings": {
            "units": N_UNITS,
            "als_share": ALS_SHARE,
            "calls_per_day": CALLS_PER_DAY,
            "hours": options.hours,
            "seeds": seeds,
            "move_up": asdict(options.move_up),
        },
        "runs": rows,
        "city_size_moveup": timing,
    }
    (out / "results.json").write_text(json.dumps(result, indent=1))
    write_markdown(out, result)
    return out


def _loadavg() -> tuple[float, float, float]:
    try:
        with open("/proc/loadavg") as f:
            a, b, c = f.read().split()[:3]
        return float(a), float(b), float(c)
    except OSError:
        return (0.0, 0.0, 0.0)
