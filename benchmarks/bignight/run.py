"""``python -m benchmarks bignight``: big generated nights, decomposed on Ray against one solve.

For each size: the decomposed solve on Ray for each worker count (a local Ray started here
with that many CPUs, or the cluster at ``--ray-address``), then one single-process solve of
the whole night with the same wall time and with ``--single-factor`` times it (PyVRP, one core;
it needs the full matrix, so it is skipped with the reason above ``--single-max-stops``).
Every plan is checked: decomposed ones route by route (``check_whole``), single ones by the
checker on the full problem. Progress prints as each part finishes; one JSON row per solve
goes to ``<out>/results.jsonl``, the machine to ``<out>/environment-<sizes>.json``.

``--fixed-work`` makes every part do the same search whatever the worker count
(``DecomposeOptions.deterministic``), so the wall times of ``--workers 1,2`` give the speed-up;
``--write-request`` writes a request file for ``dispatch jobs submit`` instead of solving
(``request``: matrices or an estimate).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import machine
from benchmarks.bignight.generate import night
from solvers.budget import Deadline
from solvers.routing.decompose import (
    DecomposeOptions,
    InlineRunner,
    LargeProblem,
    Part,
    PartResult,
    PartRunner,
    part_problem,
    solve_decomposed,
)
from solvers.routing.solve import RoutingOptions, solve_checked
from solvers.status import SolverFamily

#: Default wall seconds of the decomposed solve per size (the single solves get the same and
#: ``--single-factor`` times it).
DEFAULT_SECONDS = {2_000: 60.0, 5_000: 150.0, 10_000: 300.0, 20_000: 600.0}


def parser() -> argparse.ArgumentParser:
    """The command's options."""
    p = argparse.ArgumentParser(prog="python -m benchmarks bignight", description=__doc__)
    p.add_argument("--sizes", default="2000,5000", help="comma list of stop counts")
    p.add_argument("--index", type=int, default=1, help="which generated night of each size")
    p.add_argument("--seconds", type=float, default=None, help="decomposed wall time (all sizes)")
    p.add_argument(
        "--ray-address",
        default="local",
        help="'local' (start Ray here), HOST:PORT of a cluster, or 'none' (parts in this process)",
    )
    p.add_argument("--workers", default="2", help="comma list of local Ray CPU counts")
    p.add_argument("--modes", default="decomposed,single", help="decomposed and/or single")
    p.add_argument("--single-factor", type=float, default=4.0, help="longer single solve: x time")
    p.add_argument("--single-max-stops", type=int, default=10_000, help="full matrix limit")
    p.add_argument("--max-part-stops", type=int, default=500)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--fixed-work",
        action="store_true",
        help="each part does a fixed search (PyVRP, 2,000 iterations), no border rounds: "
        "the wall time of --workers 1,2 is a speed-up (budget ignored)",
    )
    p.add_argument("--out", type=Path, default=None, help="results folder (rows appended)")
    p.add_argument(
        "--write-request",
        type=Path,
        default=None,
        metavar="FILE",
        help="write the first size as a PlanRoutesRequest JSON for dispatch jobs submit; no solve",
    )
    p.add_argument(
        "--travel",
        choices=("matrix", "estimate"),
        default="matrix",
        help="--write-request travel form: full matrices, or positions + a travel estimate",
    )
    return p


def main(argv: list[str] | None = None) -> int:
    """Run the selected sizes and modes; exit code 1 if a plan broke a rule."""
    args = parser().parse_args(argv)
    if args.write_request is not None:
        return _write_request(args)
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        env = machine.environment(["bignight", *(argv if argv is not None else sys.argv[2:])])
        name = f"environment-{args.sizes.replace(',', '_')}.json"  # one per invocation
        (args.out / name).write_text(json.dumps(env, indent=2) + "\n")
    modes = {m.strip() for m in args.modes.split(",")}
    broken = False
    for size in (int(s) for s in args.sizes.split(",")):
        large = night(size, args.index)
        seconds = args.seconds or DEFAULT_SECONDS.get(size, size * 0.03)
        _say(f"{large.label}: {size} stops, {len(large.vehicles)} trucks, budget {seconds:.0f} s")
        rows = []
        if "decomposed" in modes:
            rows.extend(_decomposed_rows(large, seconds, args))
        if "single" in modes:
            for factor in sorted({1.0, args.single_factor}):
                rows.append(_single_row(large, seconds * factor, factor, args))
        for row in rows:
            row.update(size=size, instance=large.label, budget=seconds)
            broken |= row.get("feasible") is False
            _say(json.dumps(row, sort_keys=True))
            if args.out is not None:
                with (args.out / "results.jsonl").open("a") as handle:
                    handle.write(json.dumps(row, sort_keys=True) + "\n")
    return 1 if broken else 0


def _decomposed_rows(large: LargeProblem, seconds: float, args: argparse.Namespace) -> list[dict]:
    """One decomposed solve per worker count (or one on the given cluster / in process)."""
    suffix = "-fixed" if args.fixed_work else ""
    if args.ray_address == "none":
        return [_decomposed(large, seconds, InlineRunner(), f"inline{suffix}", args)]
    from dispatch.cluster import RayRunner, connect
    from dispatch.cluster.ray_runner import shutdown

    counts = [int(w) for w in args.workers.split(",")] if args.ray_address == "local" else [0]
    rows = []
    for count in counts:
        cpus = connect(args.ray_address, count or None)
        try:
            runner = RayRunner(cpus)
            rows.append(_decomposed(large, seconds, runner, f"ray-{cpus}{suffix}", args))
        finally:
            shutdown()
    return rows


def _decomposed(
    large: LargeProblem, seconds: float, runner: PartRunner, mode: str, args: argparse.Namespace
) -> dict[str, Any]:
    started = time.monotonic()

    def progress(phase: str, done: int, total: int, r: PartResult) -> None:
        _say(
            f"[{time.monotonic() - started:7.1f} s] {mode} {phase} {done}/{total} {r.name}: "
            f"{r.stops} stops, {r.engine} {r.status}, travel {r.travel_seconds / 3600:.1f} h, "
            f"skipped {r.skipped}, {r.wall_seconds:.1f} s{'' if r.improved else ' (kept)'}"
        )

    options = DecomposeOptions(
        max_part_stops=args.max_part_stops,
        seed=args.seed,
        border_share=0.0 if args.fixed_work else DecomposeOptions.border_share,
        deterministic=args.fixed_work,
    )
    outcome = solve_decomposed(large, seconds, runner, options, on_part=progress)
    ev = outcome.evaluation
    borders = [r for r in outcome.results if r.phase == "border"]
    return {
        "mode": mode,
        "wall": round(time.monotonic() - started, 1),
        "parts": len([p for p in outcome.parts if p.stops]),
        "border_jobs": len(borders),
        "border_improved": sum(r.improved for r in borders),
        # Seconds the parts spent solving, summed: the search a run bought with its wall time.
        "part_seconds": round(sum(r.wall_seconds for r in outcome.results), 1),
        "feasible": ev.feasible,
        "violations": len(ev.violations),
        "travel_hours": round(ev.travel_seconds / 3600, 2),
        "cost": round(ev.cost, 2),
        "served": len(ev.served),
        "skipped": len(ev.skipped),
        "vehicles": len(ev.routes),
        "timings": {k: round(v, 1) for k, v in outcome.timings.items()},
    }


def _single_row(
    large: LargeProblem, seconds: float, factor: float, args: argparse.Namespace
) -> dict[str, Any]:
    """The whole night as one PyVRP solve (one core), on its full matrix."""
    mode = f"single-x{factor:g}"
    n = len(large.location_ids)
    if len(large.stops) > args.single_max_stops:
        gb = 2 * n * n * 8 / 1e9
        return {"mode": mode, "note": f"not run: full matrices need {gb:.1f} GB as int64"}
    started = time.monotonic()
    whole = Part("all", tuple(range(len(large.stops))), tuple(range(len(large.vehicles))))
    problem = part_problem(large, whole)
    built = time.monotonic() - started
    _say(f"[{built:7.1f} s] {mode}: full matrix {n}x{n} built, solving for {seconds:.0f} s")
    options = RoutingOptions(solver=SolverFamily.PYVRP, seed=args.seed)
    outcome = solve_checked(problem, Deadline.after(max(1.0, seconds - built)), options)
    ev = outcome.evaluation
    return {
        "mode": mode,
        "wall": round(time.monotonic() - started, 1),
        "engine": outcome.report.engine,
        "status": outcome.report.status.value,
        "fallback": outcome.report.fallback_reason[:300],
        "feasible": ev.feasible,
        "violations": len(ev.violations),
        "travel_hours": round(sum(r.travel_seconds for r in ev.routes) / 3600, 2),
        "cost": round(ev.cost, 2),
        "served": len(ev.served),
        "skipped": len(ev.skipped),
        "vehicles": len(ev.routes),
        "timings": {"matrix": round(built, 1)},
    }


def _say(line: str) -> None:
    print(line, flush=True)


def _write_request(args: argparse.Namespace) -> int:
    """The first size's night as a request file (canonical JSON), budget --seconds or default."""
    from google.protobuf import json_format

    from benchmarks.bignight.request import to_request

    size = int(args.sizes.split(",")[0])
    seconds = args.seconds or DEFAULT_SECONDS.get(size, size * 0.03)
    request = to_request(night(size, args.index), seconds, args.travel)
    args.write_request.write_text(json_format.MessageToJson(request) + "\n")
    mb = request.ByteSize() / 1e6
    _say(f"{args.write_request}: {size} stops, {args.travel}, {mb:.1f} MB as protobuf")
    return 0
