"""The decomposed solve: split, solve the parts, stitch, re-optimise borders, check the whole.

Budget. ``seconds`` is the wall time of the whole solve. A share (``border_share``) goes to the
border rounds, the rest to the parts; each phase's time is divided by the waves the runner
needs (parts / workers), since parts of one wave run side by side. Every part gets the same
time: parts are balanced by the splitter. The whole-plan check runs after and is fast (it reads
only the legs the routes drive); it is charged to the caller's margin.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from solvers.routing.decompose.borders import border_part, pair_rounds, replace_part
from solvers.routing.decompose.large import LargeProblem, Part
from solvers.routing.decompose.parts import PartJob, PartResult, PartRunner
from solvers.routing.decompose.split import MAX_PART_STOPS, split
from solvers.routing.decompose.whole_check import WholeEvaluation, check_whole
from solvers.routing.plan import RoutingPlan
from solvers.status import SolverFamily

#: Seconds a part costs beyond its solve: building its sub-matrix and problem, the checker,
#: shipping the plan back (measured ~0.5-1 s per 500-stop part on Ray; inline less).
PART_OVERHEAD = 1.0
#: A deterministic part's deadline: only a safety net, far above what a part's fixed search
#: needs (2,000 PyVRP iterations on 500 stops take well under a minute).
DETERMINISTIC_PART_SECONDS = 900.0
#: (phase, parts done in the phase, parts in the phase, the result just in)
PartProgress = Callable[[str, int, int, PartResult], None]


@dataclass(frozen=True)
class DecomposeOptions:
    """How to cut and solve: part size, engine per part, border rounds and their share."""

    max_part_stops: int = MAX_PART_STOPS
    solver: SolverFamily = SolverFamily.PYVRP
    border_solver: SolverFamily = SolverFamily.ORTOOLS
    border_rounds: int = 2
    border_share: float = 0.2
    seed: int = 0
    #: Every part does a fixed amount of search (the engines' deterministic mode: PyVRP stops
    #: after a set number of iterations) and the clock is only a safety net
    #: (``DETERMINISTIC_PART_SECONDS``): the plan no longer depends on the machine or the
    #: worker count, which is what a speed-up measurement needs.
    deterministic: bool = False


@dataclass
class DecomposedOutcome:
    """The stitched plan, its whole-plan check and what happened on the way."""

    plan: RoutingPlan
    evaluation: WholeEvaluation
    parts: list[Part]
    results: list[PartResult] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)


def solve_decomposed(
    large: LargeProblem,
    seconds: float,
    runner: PartRunner,
    options: DecomposeOptions | None = None,
    on_part: PartProgress | None = None,
) -> DecomposedOutcome:
    """A checked plan for ``large`` within about ``seconds`` (see the module docstring)."""
    options = options or DecomposeOptions()
    started = time.monotonic()
    parts = split(large, options.max_part_stops, options.seed)
    timings = {"split": time.monotonic() - started}
    home = [0] * len(large.stops)
    for p, part in enumerate(parts):
        for s in part.stops:
            home[s] = p
    rounds = pair_rounds(large, parts, options.border_rounds) if options.border_share > 0 else []
    part_seconds = seconds - timings["split"]
    if rounds:
        part_seconds *= 1 - options.border_share
    waves = math.ceil(len(parts) / max(1, runner.workers))
    per_part = max(1.0, part_seconds / waves - PART_OVERHEAD)
    if options.deterministic:
        per_part = DETERMINISTIC_PART_SECONDS
    jobs = [
        PartJob(
            part,
            per_part,
            options.solver,
            options.seed,
            phase="part",
            deterministic=options.deterministic,
        )
        for part in parts
        if part.stops
    ]
    results = runner.run(large, jobs, _reporter(on_part, "part", len(jobs)))
    plan = _stitch(results)
    timings["parts"] = time.monotonic() - started - timings["split"]
    for r, matching in enumerate(rounds):
        left = max(0.0, started + seconds - time.monotonic())
        waves = math.ceil(len(matching) / max(1, runner.workers))
        share = left / (len(rounds) - r) / waves - PART_OVERHEAD
        if share < 1.0:
            break
        border_jobs = [
            PartJob(
                border_part(large, plan, home, parts[a], parts[b], f"border{r}-{a}-{b}"),
                share,
                options.border_solver,
                options.seed + r + 1,
                initial=plan,
                phase="border",
                deterministic=options.deterministic,
            )
            for a, b in matching
        ]
        done = runner.run(large, border_jobs, _reporter(on_part, f"border{r}", len(border_jobs)))
        for job, result in zip(border_jobs, done, strict=True):
            if result.improved:
                plan = replace_part(plan, job.part, result.plan)
        results.extend(done)
    timings["borders"] = time.monotonic() - started - timings["split"] - timings["parts"]
    checked_at = time.monotonic()
    evaluation = check_whole(large, plan)
    timings["check"] = time.monotonic() - checked_at
    return DecomposedOutcome(plan, evaluation, parts, results, timings)


def _stitch(results: list[PartResult]) -> RoutingPlan:
    """One plan from the parts' plans (parts share no vehicle and no stop)."""
    routes = []
    skipped = {}
    for result in results:
        routes.extend(result.plan.routes)
        skipped.update(result.plan.skipped)
    return RoutingPlan(tuple(sorted(routes, key=lambda r: r.vehicle)), skipped)


def _reporter(on_part: PartProgress | None, phase: str, total: int) -> Callable[[PartResult], None]:
    """on_done for a runner: counts the phase's finished parts for ``on_part``."""
    done = [0]

    def report(result: PartResult) -> None:
        done[0] += 1
        if on_part is not None:
            on_part(phase, done[0], total, result)

    return report
