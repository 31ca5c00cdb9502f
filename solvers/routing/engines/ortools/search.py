"""Searching the OR-Tools model: a warm start, first-solution strategies, then iterated local
search (ILS) or guided local search (GLS) until the budget ends.

Solver numbers are diagnostics only: the portfolio re-scores every plan with the checker.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from solvers.budget import Deadline
from solvers.errors import SolverFailedError
from solvers.routing.checker import evaluate, rank
from solvers.routing.engine import Improvement, PhaseTimer, SolutionSink
from solvers.routing.engines.construct import construct_best
from solvers.routing.engines.ortools.model import COST_SCALE, BuiltModel, build
from solvers.routing.engines.ortools.readback import current_plan, initial_routes, read_plan
from solvers.routing.plan import RoutingPlan, VisitKind
from solvers.routing.problem import RoutingProblem
from solvers.routing.reference_start import budgeted_start, has_reference
from solvers.routing.repair import constructed_repair_deadline, repair_skipped

#: Above this many stops (with facilities) only the constructed start is searched from.
CONSTRUCT_ONLY_ABOVE = 200

FIRST_SOLUTION = routing_enums_pb2.FirstSolutionStrategy
METAHEURISTIC = routing_enums_pb2.LocalSearchMetaheuristic
_BOOL_FALSE = 3  # OptionalBoolean.BOOL_FALSE in routing_parameters.proto
#: Seconds kept back from every search phase for OR-Tools to wind down in.
_RESERVE = 0.05
#: Share of the budget for the search from a reference start that leaves mandatory stops out
#: (the rest searches from scratch).
REFERENCE_WHEN_INCOMPLETE = 0.5
#: Share of the budget (and least seconds) for restoring a warm start into the model.
RESTORE_SHARE = 0.4
RESTORE_MIN_SECONDS = 0.05

# Slow operators that DESIGN.md measured as costing ~3x iterations for little gain.
_SLOW_OPERATORS = (
    "use_global_cheapest_insertion_path_lns",
    "use_local_cheapest_insertion_path_lns",
    "use_relocate_path_global_cheapest_insertion_insert_unperformed",
    "use_lin_kernighan",
    "use_relocate_expensive_chain",
)

#: OR-Tools overruns its time limit, more on bigger models: measured at a 10 s limit, 200-customer
#: Gehring-Homberger VRPTW (R1_2_1, C1_2_1) returned 0.05-0.64 s late (ILS and GLS), and DESIGN
#: has GLS on 400 customers 1.75 s late at 10 s and 1.2 s at 30 s. So each phase's limit is cut
#: by a share, a fixed part and a part per stop (capped: at 2000 stops nothing was measured).
OVERRUN_FRACTION = 0.05
OVERRUN_SECONDS = 0.2
OVERRUN_PER_STOP = 0.003
OVERRUN_STOPS_CAP = 2.0


@dataclass(frozen=True)
class OrtoolsSettings:
    """How to search.

    ``deterministic`` replaces the wall-clock limit by ``solution_limit`` accepted solutions (the
    deadline still applies as a safety net; a run cut by it is not reproducible). ``exclude``
    lists stops ruled out by the feasibility pre-check: they stay out of the model.
    ``plan_every``: improving solutions carry their plan at most this often (seconds), since
    reading one back costs time the search would otherwise have.
    """

    deterministic: bool = False
    solution_limit: int = 300
    initial: RoutingPlan | None = None
    exclude: frozenset[int] = frozenset()
    metaheuristic: str = "auto"  # "auto", "ils" or "gls"
    #: With facilities: "auto" (see solve), "insertion" or "construct" for the whole budget.
    start: str = "auto"
    gls_lambda: float = 0.5
    plan_every: float = 1.0
    #: A re-plan with a reference plan searches from it (``solvers.routing.reference_start``)
    #: unless ``initial`` is given; False searches from scratch (the portfolio's other core).
    reference_start: bool = True


@dataclass(frozen=True)
class OrtoolsResult:
    """A plan and what the search did to find it (solver numbers are diagnostics only)."""

    plan: RoutingPlan
    solver_objective: float
    strategy: str
    solutions: int
    warm_start_used: bool
    attempts: tuple[str, ...] = ()


@dataclass
class _Run:
    """One search on one model and how it went."""

    built: BuiltModel
    assignment: pywrapcp.Assignment | None = None
    strategy: str = ""
    attempts: list[str] = field(default_factory=list)
    warm: bool = False

    def record(self, strategy: str, assignment: pywrapcp.Assignment | None) -> None:
        """Keep an attempt's outcome (the last attempt's answer is the run's)."""
        self.assignment, self.strategy = assignment, strategy
        self.attempts.append(strategy if assignment is not None else f"{strategy}: nothing")


class _Progress:
    """Improving solutions over every search of one solve (they compete for one best)."""

    def __init__(self, on_solution: SolutionSink | None, plan_every: float) -> None:
        self.best = math.inf
        self.found = 0
        self._on_solution = on_solution
        self._plan_every = plan_every
        self._plan_at = -math.inf

    def callback(self, built: BuiltModel) -> Callable[[], None]:
        """The at-solution callback for one model."""
        routing = built.routing
        n_vehicles = len(built.problem.vehicles)

        def report() -> None:
            value = routing.CostVar().Max()
            if value >= self.best:
                return
            self.best = value
            self.found += 1
            if self._on_solution is None:
                return
            used = sum(
                1
                for v in range(n_vehicles)
                if routing.NextVar(routing.Start(v)).Min() != routing.End(v)
            )
            plan = None
            now = time.monotonic()
            if now - self._plan_at >= self._plan_every:
                self._plan_at = now
                plan = current_plan(built)
            self._on_solution(Improvement(built.plain_objective(value, used), used, plan))

        return report


def solve(
    problem: RoutingProblem,
    deadline: Deadline,
    settings: OrtoolsSettings | None = None,
    on_solution: SolutionSink | None = None,
    timer: PhaseTimer | None = None,
) -> OrtoolsResult:
    """Solve with the OR-Tools routing library until ``deadline``.

    ``on_solution`` hears of each improving solution (objective in objective units: the
    solver's own figure without the penalties of mandatory stops not yet served). ``timer``
    collects the build, construct, search and readback phases. Raises SolverFailedError when
    no strategy finds any solution.

    With facilities, insertion heuristics keep every truck to one trip (they never insert a
    reload node on their own), while the constructed plan has the trips but a poorer order. Up
    to ``CONSTRUCT_ONLY_ABOVE`` stops both searches run (insertion 60% of the budget, the
    constructed start the rest) and the lower objective wins; above it only the constructed
    start is used (insertion then serves about a third of the stops). ``settings.start`` picks
    one of the two for the whole budget (the portfolio runs them on two cores).

    A re-plan whose problem has a reference plan and no ``settings.initial`` searches from the
    reference plan with the new stops inserted (``reference_start``), and answers that start
    itself when the checker ranks it better than what the search found. When the start leaves
    mandatory stops out, half the budget searches from scratch and the checker picks.
    """
    settings = settings or OrtoolsSettings()
    timer = timer or PhaseTimer()
    progress = _Progress(on_solution, settings.plan_every)
    initial, label = settings.initial, "warm_start"
    if initial is None and settings.reference_start and has_reference(problem):
        with timer("reference"):
            initial = budgeted_start(problem, settings.exclude, deadline, settings.deterministic)
            label = "reference"
    with timer("build"):
        built = build(problem, settings.exclude)
    n_stops = len(built.layout.node_stop)
    construct_only = settings.start == "construct" or (
        settings.start == "auto" and n_stops > CONSTRUCT_ONLY_ABOVE
    )
    if initial is not None or not built.layout.node_facility or (settings.start == "insertion"):
        with timer("search"):
            incomplete = initial is not None and _leaves_out(problem, initial, settings.exclude)
            if label == "reference" and incomplete:
                run = _reference_or_scratch(built, deadline, settings, initial, progress)
            else:
                rescue = label != "reference"  # the reference start is a clean plan already
                run = _search(built, deadline, settings, initial, progress, label, rescue)
    elif construct_only:
        start = _constructed(built, deadline, settings, timer)
        # No insertion rescue when the constructed start fails here: insertion leaves about
        # half of such a problem's stops out (Kim 2100_stop at 60 s: 1060 of 2092), and its
        # first phase ignores the time limit (that answer came 1.7 s late).
        with timer("search"):
            run = _search(built, deadline, settings, start, progress, "construct", rescue=False)
    else:
        run = _both_starts(built, deadline, settings, progress, timer)
    if run.assignment is None and label == "reference" and initial is not None:
        return _kept_as_found(problem, initial, run, "the search found nothing in time")
    if run.assignment is None:
        raise SolverFailedError(
            "ortools: no solution within the budget (" + "; ".join(run.attempts) + ")"
        )
    with timer("readback"):
        plan = read_plan(run.built, run.assignment)
    if label == "reference" and initial is not None and _checker_prefers(problem, initial, plan):
        return _kept_as_found(problem, initial, run, "no better plan by the checker")
    return OrtoolsResult(
        plan=plan,
        solver_objective=run.assignment.ObjectiveValue() / COST_SCALE,
        strategy=run.strategy,
        solutions=progress.found,
        warm_start_used=run.warm,
        attempts=tuple(run.attempts),
    )


def _kept_as_found(
    problem: RoutingProblem, start: RoutingPlan, run: _Run, why: str
) -> OrtoolsResult:
    """The reference start itself: when the search from it found nothing in time (on a busy
    machine a short budget can end before the restored start is scheduled), or nothing the
    checker ranks better. Every route of it is clean by the checker."""
    return OrtoolsResult(
        plan=start,
        solver_objective=evaluate(problem, start).cost,
        strategy="reference",
        solutions=0,
        warm_start_used=False,
        attempts=(*run.attempts, f"reference kept: {why}"),
    )


def _leaves_out(problem: RoutingProblem, start: RoutingPlan, exclude: frozenset[int]) -> bool:
    """True when ``start`` leaves out a mandatory stop the pre-check did not rule out."""
    served = {v.ref for r in start.routes for v in r.visits if v.kind is VisitKind.STOP}
    return any(
        not stop.optional and i not in served and i not in exclude
        for i, stop in enumerate(problem.stops)
    )


def _reference_or_scratch(
    built: BuiltModel,
    deadline: Deadline,
    settings: OrtoolsSettings,
    start: RoutingPlan,
    progress: _Progress,
) -> _Run:
    """A search from the reference start, then one from scratch on a fresh model; the run
    whose plan the checker ranks first.

    For a start that leaves a mandatory stop out: the insertion finds no place for a stop that
    needs other stops moved, and the search from the start kept it out too on the day replay
    (one order unserved all day) while a re-plan from scratch served it.
    """
    problem = built.problem
    share = Deadline.after(deadline.remaining() * REFERENCE_WHEN_INCOMPLETE)
    first = _search(built, share, settings, start, progress, "reference", rescue=False)
    second = _search(build(problem, settings.exclude), deadline, settings, None, progress)
    runs = [r for r in (first, second) if r.assignment is not None]
    if not runs:
        first.attempts.extend(second.attempts)
        return first

    def ranked(run: _Run) -> tuple:
        return rank(problem, evaluate(problem, read_plan(run.built, run.assignment)))

    best = min(runs, key=ranked)
    best.attempts = [*first.attempts, *second.attempts]
    return best


def _checker_prefers(problem: RoutingProblem, start: RoutingPlan, found: RoutingPlan) -> bool:
    """True when the checker ranks the start strictly better than the plan searched from it.

    The model prices ETA shifts on its own schedule of the visits, the checker on the
    answer's; measured on the day replay, 4 of 16 re-plans came back dearer by the checker
    than their start (1,474 against 1,287), though cheaper by the model."""
    return rank(problem, evaluate(problem, start)) < rank(problem, evaluate(problem, found))


def _constructed(
    built: BuiltModel, deadline: Deadline, settings: OrtoolsSettings, timer: PhaseTimer
) -> RoutingPlan:
    """The constructed multi-trip start over the model's eligibility and final facilities."""
    # Deterministic mode tries every construction setting, whatever the clock says.
    clock = None if settings.deterministic else deadline
    with timer("construct"):
        plan = construct_best(
            built.problem, built.eligible, list(built.layout.final_facility), clock
        )
    with timer("repair"):
        budget = constructed_repair_deadline(deadline, settings.deterministic)
        return repair_skipped(built.problem, plan, budget, settings.exclude)


def _both_starts(
    built: BuiltModel,
    deadline: Deadline,
    settings: OrtoolsSettings,
    progress: _Progress,
    timer: PhaseTimer,
) -> _Run:
    """Insertion for 60% of the budget, then the constructed start on a fresh model; the run
    with the lower objective."""
    half = Deadline.after(deadline.remaining() * 0.6)
    with timer("search"):
        first = _search(built, half, settings, None, progress)
    with timer("build"):
        other = build(built.problem, settings.exclude)
    start = _constructed(other, deadline, settings, timer)
    with timer("search"):
        second = _search(other, deadline, settings, start, progress, "construct")
    run = min(
        (r for r in (first, second) if r.assignment is not None),
        key=lambda r: r.assignment.ObjectiveValue(),
        default=second,
    )
    if run is second:
        run.attempts[:0] = first.attempts
    return run


def _search(
    built: BuiltModel,
    deadline: Deadline,
    settings: OrtoolsSettings,
    initial: RoutingPlan | None,
    progress: _Progress,
    start_label: str = "warm_start",
    rescue: bool = True,
) -> _Run:
    """One search on one model: from ``initial`` if given and accepted, else strategies
    (after a failed ``initial`` only when ``rescue``, on a fresh model: a model whose search
    from an assignment failed found nothing with any strategy afterwards, measured on re-plans
    with breaks and ETA-shift costs)."""
    built.routing.AddAtSolutionCallback(progress.callback(built))
    run = _Run(built)
    if initial is not None:
        _search_from(run, deadline, settings, initial, start_label)
        if run.assignment is not None or not rescue:
            return run
        fresh = build(built.problem, settings.exclude)
        fresh.routing.AddAtSolutionCallback(progress.callback(fresh))
        run = _Run(fresh, attempts=run.attempts)
    _first_solutions(run, deadline, settings)
    return run


def _search_from(
    run: _Run, deadline: Deadline, settings: OrtoolsSettings, initial: RoutingPlan, label: str
) -> None:
    """GLS from ``initial``, if the model accepts it (parts it cannot express are dropped)."""
    routing = run.built.routing
    routes = initial_routes(run.built, initial)
    gls = METAHEURISTIC.GUIDED_LOCAL_SEARCH
    # The restore below runs under these parameters' time limit (propagating breaks over
    # a few thousand nodes can take seconds), so it gets the whole budget; but a re-plan's
    # (breaks and ETA-shift soft bounds) may run to that limit however long it is (measured:
    # 0.3, 1 and 4 s for limits of 0.3, 1 and 4 s; its start as good at 0.3 s), leaving the
    # search nothing, so it gets a share, closed with greedy descent (closed with GLS it ran to
    # the limit more often). The search below runs GLS, from its own parameters.
    share, close = 1.0, gls
    if label == "reference":
        share, close = RESTORE_SHARE, METAHEURISTIC.GREEDY_DESCENT
    restore = max(RESTORE_MIN_SECONDS, _seconds(run.built, deadline, share))
    routing.CloseModelWithParameters(
        _parameters(settings, restore, FIRST_SOLUTION.AUTOMATIC, close, False)
    )
    restored = routing.ReadAssignmentFromRoutes(routes, True)
    if restored is None:
        run.attempts.append(f"{label}: plan rejected by the model")
        return
    params = _parameters(
        settings, _seconds(run.built, deadline, 1.0), FIRST_SOLUTION.AUTOMATIC, gls, False
    )
    run.record(f"{label}+gls", routing.SolveFromAssignmentWithParameters(restored, params))
    run.warm = run.assignment is not None and label == "warm_start"


def _first_solutions(run: _Run, deadline: Deadline, settings: OrtoolsSettings) -> None:
    """First-solution strategies in turn until one gives a solution or the time is gone.

    The first gets the whole budget and the chosen metaheuristic; later ones are rescue
    attempts with GLS, each on a slice, since the first-solution phase ignores the time limit
    while it runs (DESIGN).
    """
    routing = run.built.routing
    choices = _first_solution_order(bool(run.built.layout.node_facility))
    for n, first in enumerate(choices):
        if run.assignment is not None or deadline.remaining() <= _RESERVE:
            return
        name = FIRST_SOLUTION.Value.Name(first)
        ils = n == 0 and settings.metaheuristic != "gls"
        share = 1.0 if n in (0, len(choices) - 1) else 0.5
        meta = METAHEURISTIC.GREEDY_DESCENT if ils else METAHEURISTIC.GUIDED_LOCAL_SEARCH
        params = _parameters(settings, _seconds(run.built, deadline, share), first, meta, ils)
        if ils:
            run.record(f"{name}+ils", routing.SolveWithIteratedLocalSearch(params))
        else:
            run.record(f"{name}+gls", routing.SolveWithParameters(params))


def _first_solution_order(has_facilities: bool) -> list[int]:
    """Strategies to try in order. With facility copies path cheapest arc leads, since the
    insertion heuristics never insert a reload node on their own (see solve)."""
    pca, pci = FIRST_SOLUTION.PATH_CHEAPEST_ARC, FIRST_SOLUTION.PARALLEL_CHEAPEST_INSERTION
    return [
        *((pca, pci) if has_facilities else (pci, pca)),
        FIRST_SOLUTION.LOCAL_CHEAPEST_INSERTION,
        FIRST_SOLUTION.SAVINGS,
    ]


def _seconds(built: BuiltModel, deadline: Deadline, share: float) -> float:
    """OR-Tools' time limit for a phase taking ``share`` of what is left, shortened by the
    overrun it takes on a model this size, so that it returns by the deadline (at least 1 ms:
    the first solution comes whatever the limit)."""
    seconds = deadline.share(share, _RESERVE) * (1.0 - OVERRUN_FRACTION)
    per_stop = min(OVERRUN_STOPS_CAP, OVERRUN_PER_STOP * len(built.layout.node_stop))
    return seconds - OVERRUN_SECONDS - per_stop


def _parameters(
    settings: OrtoolsSettings, seconds: float, first: int, metaheuristic: int, ils: bool
) -> object:
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = first
    params.local_search_metaheuristic = metaheuristic
    for name in _SLOW_OPERATORS:
        setattr(params.local_search_operators, name, _BOOL_FALSE)
    params.time_limit.FromMilliseconds(max(1, int(seconds * 1000)))
    if settings.deterministic:
        params.solution_limit = settings.solution_limit
        # The 100 ms default bound on completing one LNS neighbour is wall-clock: on a loaded
        # machine the large Kim instances gave different plans from run to run. Deterministic
        # mode is bounded by work, so this bound may be as long as the whole solve.
        params.lns_time_limit.CopyFrom(params.time_limit)
    if metaheuristic == METAHEURISTIC.GUIDED_LOCAL_SEARCH:
        params.guided_local_search_lambda_coefficient = settings.gls_lambda
    if ils:
        _iterated_local_search(params)
    return params


def _iterated_local_search(params: object) -> None:
    """ILS as DESIGN measured it best: SISR ruin of ~15 visits, random-order local cheapest
    insertion to recreate."""
    rr = params.iterated_local_search_parameters.ruin_recreate_parameters
    del rr.ruin_strategies[:]
    sisr = rr.ruin_strategies.add().sisr
    sisr.max_removed_sequence_size = 10
    sisr.avg_num_removed_visits = 15
    sisr.bypass_factor = 0.01
    rr.recreate_strategy.heuristic = FIRST_SOLUTION.LOCAL_CHEAPEST_INSERTION
    lci = rr.recreate_strategy.parameters.local_cheapest_insertion
    lci.insertion_sorting_properties.append(8)  # SORTING_PROPERTY_RANDOM
