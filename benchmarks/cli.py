"""``python -m benchmarks list | run | report`` (the protocol is in benchmarks/README.md)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from benchmarks.runners import ALL_SOLVERS
from benchmarks.suites import OTHER_SUITES, REPO_ROOT, ROUTING_SUITES, default_bench_dir

DEFAULT_SOLVERS = "ortools,pyvrp,vroom"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    listing = sub.add_parser("list", help="suites, or the instances of the given suites")
    listing.add_argument("suites", nargs="*")
    listing.add_argument("--bench-dir", type=Path, default=None)

    run = sub.add_parser("run", help="solve suites with solvers; resumable")
    run.add_argument("suites", nargs="+", choices=[*ROUTING_SUITES, *OTHER_SUITES])
    run.add_argument("--budget", type=float, default=10.0, help="seconds per solve")
    run.add_argument("--solvers", default=DEFAULT_SOLVERS, help=f"comma list of {ALL_SOLVERS}")
    run.add_argument("--seed", type=int, required=True)
    run.add_argument("--instances", default=None, help="comma list of globs on instance names")
    run.add_argument("--out", type=Path, default=None, help="results folder (reuse to resume)")
    run.add_argument("--quick", action="store_true", help="a few instances, budget <= 1 s")
    run.add_argument("--bench-dir", type=Path, default=None)
    run.add_argument("--no-progress", action="store_true", help="no progress bar")

    report = sub.add_parser("report", help="Markdown + PNG report of a results folder")
    report.add_argument("out", type=Path)
    report.add_argument(
        "--tie-tolerance", type=float, default=0.1, help="objective tie tolerance in percent"
    )
    sub.add_parser(
        "load",
        add_help=False,
        help="the server under 8/32/64 concurrent callers (benchmarks.load; load --help)",
    )
    sub.add_parser(
        "dayreplay",
        add_help=False,
        help="a city day re-planned at every arrival, three policies (dayreplay --help)",
    )
    sub.add_parser(
        "rushhour",
        add_help=False,
        help="plans with rush-hour travel times vs one all-day matrix (rushhour --help)",
    )
    sub.add_parser(
        "bignight",
        add_help=False,
        help="2,000-20,000-stop nights decomposed on Ray vs one solve (bignight --help)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["load"]:  # its own options (levels, seconds, server flags)
        from benchmarks.load import main as load_main

        return load_main(argv[1:])
    if argv[:1] == ["dayreplay"]:  # its own options (instance, arrivals, budgets)
        from benchmarks.dayreplay import main as dayreplay_main

        return dayreplay_main(argv[1:])
    if argv[:1] == ["rushhour"]:  # its own options (instances, budget, rush factor)
        from benchmarks.rushhour import main as rushhour_main

        return rushhour_main(argv[1:])
    if argv[:1] == ["bignight"]:  # its own options (sizes, Ray address, workers)
        from benchmarks.bignight.run import main as bignight_main

        return bignight_main(argv[1:])
    args = _parser().parse_args(argv)
    if args.command == "list":
        return _list(args)
    if args.command == "run":
        return _run(args, argv)
    from benchmarks.report import write_report

    path = write_report(args.out, tie_tolerance=args.tie_tolerance, argv=argv)
    print(path)
    from benchmarks.city.report import write_city_report

    city = write_city_report(args.out)
    if city is not None:
        print(city)
    return 0


def _list(args: argparse.Namespace) -> int:
    bench_dir = args.bench_dir or default_bench_dir()
    if not args.suites:
        for name, suite in ROUTING_SUITES.items():
            count = len(suite.files(bench_dir))
            print(f"{name:18} {count:3} instances  {suite.description}")
        for name, description in OTHER_SUITES.items():
            print(f"{name:18}     -          {description}")
        print(f"instances from {bench_dir}")
        return 0
    for name in args.suites:
        if name == "city":
            from benchmarks.city.report import list_city

            list_city()
            continue
        suite = ROUTING_SUITES.get(name)
        if suite is None:
            print(f"{name}: not an instance suite", file=sys.stderr)
            return 2
        for instance in suite.instances(bench_dir):
            bks = f"{instance.bks_vehicles or '-'} / {instance.bks_objective}"
            print(
                f"{name:16} {instance.name:14} {instance.family:5} stops={instance.n_stops:5} "
                f"vehicles={len(instance.request.vehicles):4} bks={bks}"
            )
    return 0


def _summary(rows: list[dict]) -> None:
    """One line per solver for the rows solved by this call (the report has everything)."""
    by_solver: dict[str, list[dict]] = {}
    for row in rows:
        by_solver.setdefault(row["solver"], []).append(row)
    for solver, group in by_solver.items():
        gaps = [r["gap_pct"] for r in group if r.get("gap_pct") is not None]
        mean = f"{sum(gaps) / len(gaps):.2f} %" if gaps else "-"
        solved = sum(1 for r in group if r["solved"])
        print(f"{solver:14} solved {solved}/{len(group)}  mean gap {mean}", file=sys.stderr)


def _run(args: argparse.Namespace, argv: list[str]) -> int:
    solvers = [s.strip().lower() for s in args.solvers.split(",") if s.strip()]
    unknown = [s for s in solvers if s not in ALL_SOLVERS]
    if unknown:
        print(f"unknown solvers {unknown}; choose from {ALL_SOLVERS}", file=sys.stderr)
        return 2
    bench_dir = args.bench_dir or default_bench_dir()
    out = args.out or REPO_ROOT / "benchmarks" / "results" / (
        dt.datetime.now(dt.UTC).strftime("%Y-%m-%d-")
        + "+".join(args.suites)
        + ("-quick" if args.quick else "")
    )
    routing = [s for s in args.suites if s in ROUTING_SUITES]
    if routing:
        from benchmarks.harness import run_routing

        rows = run_routing(
            routing,
            solvers,
            args.budget,
            args.seed,
            out,
            bench_dir,
            instances=args.instances,
            quick=args.quick,
            progress=not args.no_progress,
            argv=argv,
        )
        _summary(rows)
    if "city" in args.suites:
        from benchmarks.city.run import run_city

        rows = run_city(
            solvers,
            args.budget,
            args.seed,
            out,
            instances=args.instances,
            quick=args.quick,
            progress=not args.no_progress,
            argv=argv,
        )
        _summary(rows)
    if "latency" in args.suites:
        from benchmarks import machine
        from benchmarks.harness import RUNS, _append
        from benchmarks.latency import run_latency

        out.mkdir(parents=True, exist_ok=True)
        _append(out / RUNS, {**machine.environment(argv), "suite": "latency", "seed": args.seed})
        run_latency(out, quick=args.quick, seed=args.seed, bench_dir=bench_dir)
    if "dispatchsim" in args.suites:
        from benchmarks.dispatchsim.run import run_dispatchsim

        run_dispatchsim(out, args.seed, args.quick, argv)
    if "assign" in args.suites:
        try:
            from benchmarks.assign import main as assign_main
        except ImportError as exc:
            print(f"assign suite not available: {exc}", file=sys.stderr)
            return 1
        argv = ["--out", str(out / "assign"), "--seed", str(args.seed)]
        assign_main([*argv, "--quick"] if args.quick else argv)
    print(out)
    print(f"report: python -m benchmarks report {out}", file=sys.stderr)
    return 0
