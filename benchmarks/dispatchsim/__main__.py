"""``python -m benchmarks.dispatchsim``: the simulation with its own knobs (sensitivity runs).

``python -m benchmarks run dispatchsim --seed S`` is the standard run; this entry point plays
chosen policies with other move-up settings, e.g. ``--policies assign+moveup --max-moves 1
--move-cost 0.2 --no-timing``.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path

from benchmarks.dispatchsim.policies import MoveUpSettings
from benchmarks.dispatchsim.report import POLICIES
from benchmarks.dispatchsim.run import CALLS_PER_DAY, SimOptions, run_with


def main(argv: list[str]) -> int:
    """Parse the knobs, run, print the results folder."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.dispatchsim")
    parser.add_argument("--seed", type=int, required=True, help="first seed")
    parser.add_argument("--seeds", type=int, default=5, help="how many seeds from --seed")
    parser.add_argument("--hours", type=int, default=24)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--policies", default=",".join(POLICIES))
    parser.add_argument("--move-cost", type=float, default=MoveUpSettings.move_cost)
    parser.add_argument("--max-moves", type=int, default=MoveUpSettings.max_moves)
    parser.add_argument("--max-move-seconds", type=int, default=MoveUpSettings.max_move_seconds)
    parser.add_argument("--no-timing", action="store_true", help="skip the city-size timing")
    args = parser.parse_args(argv)
    settings = MoveUpSettings(
        move_cost=args.move_cost,
        max_moves=args.max_moves,
        max_move_seconds=args.max_move_seconds,
        calls_per_day=CALLS_PER_DAY,
    )
    options = SimOptions(
        seeds=tuple(range(args.seed, args.seed + args.seeds)),
        hours=args.hours,
        move_up=settings,
        policies=tuple(p.strip() for p in args.policies.split(",") if p.strip()),
        timing=not args.no_timing,
    )
    command = shlex.join(["python", "-m", "benchmarks.dispatchsim", *argv])
    print(run_with(args.out, options, argv, command=command))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
