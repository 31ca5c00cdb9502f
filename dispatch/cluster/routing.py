"""Plan jobs on Ray: a RoutingService that sends big requests through the decomposition.

:class:`ClusterRouting` wraps the job service's own RoutingService: a request with at least
``min_stops`` stops is decomposed (``solvers.routing.decompose``) and its parts run as Ray tasks;
smaller ones go to the worker pool as before. The job service calls ``plan_routes`` and
receives progress and the answer the same way. Progress is one :class:`PartProgress` per
finished part (a RoutingProgress that also names the part and counts the parts done and known;
``solutions_found`` counts the phase's finished parts, the objective is the driving seconds of
the first pass's parts so far): the job service records it in ``PlanJobProgress.parts_done``,
``parts_total`` and ``finished_parts`` and ``WatchPlanJob`` sends one PART_FINISHED per part.

The address ``inline`` solves the parts one after another in the server process, with no Ray:
for tests and trials only (a part's solve holds the GIL there, so other calls wait).

Travel comes in one of two forms. A request with a matrix (``travel``) is decoded whole and
sliced (``MatrixTravel``): what fits in one request fits here, up to the server's receive limit
and protobuf's 2 GB (about 16,000 locations with int32 bytes for seconds and metres). A request
with ``travel_estimate`` (positions and a road model, a few MB at 20,000 stops) is decomposed
through the model itself (``CoordinateTravel`` on the projected positions): no matrix of the
whole night is ever built, here or on a worker. Either way the stitched plan is checked before
the answer is written, as every plan is (a matrix request by the checker on the whole problem,
an estimate one route by route, ``evaluate_large``), and the answer is built from that check
exactly as for any other solve; a plan that breaks a rule fails the job instead of being
answered.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from dispatch._proto.dispatch.v1 import routing_pb2
from dispatch.cluster.ray_runner import RayRunner, connect, is_connected, shutdown
from dispatch.routing import RoutingProgress
from dispatch.wire.routing import fleet_and_work_from_request, problem_from_request
from dispatch.wire.routing_answer import response_from_outcome
from dispatch.wire.travel_estimate import estimate_model
from solvers.budget import Deadline
from solvers.errors import CancelledError, FieldProblem, InvalidProblemError, SolverFailedError
from solvers.routing.checker import evaluate
from solvers.routing.decompose import (
    DecomposeOptions,
    InlineRunner,
    LargeProblem,
    PartJob,
    PartResult,
    PartRunner,
    solve_decomposed,
)
from solvers.routing.decompose.global_routes import evaluate_large
from solvers.routing.decompose.split import MAX_PART_STOPS
from solvers.routing.plan import PlanEvaluation, RoutingPlan
from solvers.routing.problem import RoutingProblem
from solvers.routing.solve import SolveOutcome
from solvers.routing.travel_periods import PLANNING_NOTE, timed_exactly
from solvers.status import SolveReport, SolverFamily, Status

#: Requests with at least this many stops go to the cluster by default.
MIN_STOPS = 1_000
#: Share of the budget kept for the whole-plan check and the answer.
MARGIN = 0.05
#: ``--ray-address`` value that runs the parts in this process, without Ray (tests, trials).
INLINE = "inline"


@dataclass(frozen=True)
class PartProgress(RoutingProgress):
    """The progress report of one finished part of a decomposed solve."""

    #: The part's name (``PartResult.name``).
    part: str = ""
    #: Parts finished so far in this solve, all phases together.
    parts_done: int = 0
    #: Parts known so far: the first pass's, plus each border round's from its first result.
    parts_total: int = 0


class _InlineParts(InlineRunner):
    """Parts one after another here, stopping between parts once the job is cancelled."""

    def __init__(self, is_cancelled: Callable[[], bool]) -> None:
        super().__init__()
        self.is_cancelled = is_cancelled

    def finished(
        self, large: LargeProblem, jobs: Sequence[PartJob]
    ) -> Iterator[tuple[int, PartResult]]:
        """The inline runner's results, with a look at the cancel flag before each part."""
        for i, job in enumerate(jobs):
            if self.is_cancelled():
                raise CancelledError("the decomposed solve was cancelled")
            yield from ((i, result) for _, result in super().finished(large, [job]))


class ClusterRouting:
    """``plan_routes`` on Ray for big requests, on ``inner`` for the rest (see module doc)."""

    def __init__(
        self,
        inner: Any,
        address: str,
        min_stops: int = MIN_STOPS,
        part_stops: int = MAX_PART_STOPS,
        cpus: int | None = None,
    ) -> None:
        self.inner = inner
        self.address = address
        self.min_stops = min_stops
        self.part_stops = part_stops
        #: A local Ray this service started (and stops); one already running is left running.
        self.owns_ray = address == "local" and not is_connected()
        # ClusterUnavailableError: refuse to start.
        self.cpus = 1 if address == INLINE else connect(address, cpus)

    def __getattr__(self, name: str) -> Any:
        """Everything else (pool, evaluate_plan, ...) is the inner service's."""
        return getattr(self.inner, name)

    def decomposes(self, request: routing_pb2.PlanRoutesRequest) -> bool:
        """True for a request big enough to go to the cluster in parts (no full matrix is
        built for it); the rest go to the inner service whole."""
        return len(request.stops) >= self.min_stops

    def plan_routes(
        self, request: routing_pb2.PlanRoutesRequest, deadline: Deadline, **callbacks: Any
    ) -> routing_pb2.PlanRoutesResponse:
        """The inner service's answer, or the decomposed one for a big request.

        ``callbacks`` are the keyword callbacks of the inner ``RoutingService.plan_routes``,
        passed on as given, so that signature lives in one place; the decomposed path reads
        ``is_cancelled`` and ``on_progress`` (it has no checkpoint and no late answer: the
        stitched plan is the answer).
        """
        if not self.decomposes(request):
            return self.inner.plan_routes(request, deadline, **callbacks)
        is_cancelled = callbacks.get("is_cancelled", lambda: False)
        runner: PartRunner = (
            _InlineParts(is_cancelled)
            if self.address == INLINE
            else RayRunner(self.cpus, is_cancelled=is_cancelled)
        )
        on_progress = callbacks.get("on_progress")
        return solve_on_cluster(request, deadline, runner, self.part_stops, on_progress)

    def close(self) -> None:
        """Close the inner service; stop the local Ray it started."""
        self.inner.close()
        if self.owns_ray:
            shutdown()


def solve_on_cluster(
    request: routing_pb2.PlanRoutesRequest,
    deadline: Deadline,
    runner: PartRunner,
    part_stops: int = MAX_PART_STOPS,
    on_progress: Callable[[RoutingProgress], None] | None = None,
) -> routing_pb2.PlanRoutesResponse:
    """Decompose, solve the parts on ``runner``, check the stitched plan, write the answer."""
    started = time.monotonic()
    problem, large = _problems(request)
    travel = [0]
    totals: dict[str, int] = {}  # parts per phase, known from each phase's first result

    def part_done(phase: str, done: int, total: int, result: PartResult) -> None:
        travel[0] += result.travel_seconds if phase == "part" else 0
        totals[phase] = total
        if on_progress is not None:
            used = len(result.plan.routes)
            elapsed = time.monotonic() - started
            finished = sum(totals.values()) - total + done
            on_progress(
                PartProgress(
                    done, travel[0], used, elapsed, result.name, finished, sum(totals.values())
                )
            )

    seconds = deadline.remaining() * (1 - MARGIN)
    options = DecomposeOptions(max_part_stops=part_stops, seed=int(request.options.seed))
    outcome = solve_decomposed(large, seconds, runner, options, part_done)
    plan, evaluation = _checked(problem, large, outcome.plan)
    periods = problem is not None and bool(problem.travel_periods)
    engines = sorted({r.engine for r in outcome.results})
    where = "in process" if isinstance(runner, InlineRunner) else "on Ray"
    report = SolveReport(
        family=SolverFamily.PYVRP,
        engine=f"decomposed {where}: {len(outcome.parts)} parts ({', '.join(engines)})",
        status=Status.FEASIBLE,
        objective=evaluation.cost,
        wall_time=time.monotonic() - started,
        objective_terms=dict(evaluation.cost_terms),
        strategy="split by depot and clusters, parts in parallel, borders re-solved"
        + (f"; {PLANNING_NOTE}" if periods else ""),
        timings=dict(outcome.timings),
    )
    checked = SolveOutcome(plan, report, evaluation)
    # The answer reads ids (vehicles, stops, facilities, locations) and the evaluation only,
    # which a LargeProblem has under the same names as a RoutingProblem.
    named: Any = problem if problem is not None else large
    return response_from_outcome(request, named, checked, time.monotonic() - started)


def _problems(
    request: routing_pb2.PlanRoutesRequest,
) -> tuple[RoutingProblem | None, LargeProblem]:
    """(the whole RoutingProblem, None with an estimate) and the LargeProblem to decompose."""
    if request.HasField("travel_estimate"):
        return None, large_from_estimate(request)
    problem = problem_from_request(request)
    return problem, LargeProblem.from_problem(problem)


def _checked(
    problem: RoutingProblem | None, large: LargeProblem, plan: RoutingPlan
) -> tuple[RoutingPlan, PlanEvaluation]:
    """The stitched plan (re-timed under travel periods) and its check; SolverFailedError when
    it breaks a rule. Without a whole problem (an estimate) the check is route by route."""
    if problem is None:  # the routes in the night's own indices, for the answer
        evaluation: PlanEvaluation = evaluate_large(large, plan)
    elif problem.travel_periods:  # parts planned on the slowest period: re-time exactly
        plan, evaluation = timed_exactly(plan, partial(evaluate, problem))
    else:
        evaluation = evaluate(problem, plan)
    if not evaluation.feasible:
        first = "; ".join(v.detail for v in evaluation.violations[:3])
        raise SolverFailedError(
            f"the stitched plan broke {len(evaluation.violations)} rules: {first}"
        )
    return plan, evaluation


def large_from_estimate(request: routing_pb2.PlanRoutesRequest) -> LargeProblem:
    """A validated request with ``travel_estimate`` as a LargeProblem on its travel model.

    The projected positions double as the splitter's points. A re-plan (live state or a
    reference plan) is not decomposed, as ``LargeProblem.from_problem`` says for a matrix one.
    """
    for field in ("live_state", "reference_plan"):
        if request.HasField(field):
            why = "a re-plan is not decomposed: send it below the cluster size"
            raise InvalidProblemError(FieldProblem(field, why))
    travel, types = estimate_model(request)
    work = fleet_and_work_from_request(request, types)
    return LargeProblem(
        location_ids=tuple(request.location_ids), travel=travel, points=travel.points, **work
    )
