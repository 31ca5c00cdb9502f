"""The routing portfolio: runs engines through the engine protocol and keeps the best checked plan.

Order (``solver`` AUTO): OR-Tools in this process, and on the second core a companion process
(PyVRP when it models the request, otherwise OR-Tools searching differently); then the MILP
fallback and the constructive heuristic when nothing usable came back. A caller may ask for one
family; the fallbacks still apply and the answer says why. Every plan an engine returns is
re-checked by the independent checker before it can win; objectives and terms are the checker's.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial

from solvers.budget import Deadline
from solvers.errors import PlanRejectedError, SolverFailedError
from solvers.routing import companion, feasibility
from solvers.routing.checker import evaluate, rank, skipped_mandatory
from solvers.routing.companion import Companion
from solvers.routing.engine import EngineOptions, EngineResult, Improvement
from solvers.routing.engine_choice import (
    engine_for,
    engine_order,
    ortools_companion,
    pyvrp_declines,
    reserve_seconds,
)
from solvers.routing.locks import declined_features
from solvers.routing.plan import PlanEvaluation, RoutingPlan, SkipReason
from solvers.routing.problem import RoutingProblem
from solvers.routing.repair import constructed_repair_deadline, repair_outcome
from solvers.routing.travel_periods import PLANNING_NOTE, timed_exactly
from solvers.status import SolveReport, SolverFamily, Status, relative_gap

log = logging.getLogger(__name__)

#: Run PyVRP on both cores (two seeds) when it models the request; see Portfolio._order.
PYVRP_ON_BOTH_CORES = True

#: on_progress(objective, vehicles_used, solutions_found) for each improving solution found.
ProgressCallback = Callable[[float, int, int], None]

#: Seconds between plans read back from the search in this process for checkpoints.
CHECKPOINT_SECONDS = 1.0


@dataclass(frozen=True)
class RoutingOptions:
    """What the caller asked for: engine family, seed, reproducibility, a warm start."""

    solver: SolverFamily = SolverFamily.AUTO
    seed: int = 0
    deterministic: bool = False
    initial: RoutingPlan | None = None


@dataclass(frozen=True)
class SolveOutcome:
    """A checked plan, the report about it and the checker's evaluation (for the answer)."""

    plan: RoutingPlan
    report: SolveReport
    evaluation: PlanEvaluation


@dataclass
class Portfolio:
    """One solve: the engines it ran, what each gave, and the best checked plan so far."""

    problem: RoutingProblem
    deadline: Deadline
    options: RoutingOptions = field(default_factory=RoutingOptions)
    on_progress: ProgressCallback | None = None
    #: Receives each checked plan better than the last one it received, while the solve runs,
    #: so that a caller holding the deadline can answer with it if the solve overruns.
    on_checkpoint: Callable[[SolveOutcome], None] | None = None
    excluded: dict[int, SkipReason] = field(init=False)
    failures: list[str] = field(init=False, default_factory=list)
    started: float = field(init=False, default_factory=time.monotonic)
    best: SolveOutcome | None = field(init=False, default=None)
    _found: int = field(init=False, default=0)
    _beside: Companion | None = field(init=False, default=None)
    _beside_seen: int = field(init=False, default=0)
    _beside_at: float = field(init=False, default=-math.inf)
    _checkpoint: SolveOutcome | None = field(init=False, default=None)
    #: The first checkpoint's construction, repaired while there was time (_first_checkpoint).
    _constructed: SolveOutcome | None = field(init=False, default=None)
    _pyvrp_declined: list[str] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.excluded = dict(feasibility.prefilter(self.problem))

    def run(self) -> SolveOutcome:
        """The best checked plan; the empty plan labelled NO_SOLUTION_FOUND if none passed."""
        beside = self._beside = self._start_second_core()
        try:
            self._first_checkpoint()
            for family in self._order(beside):
                if self._settled(family):
                    continue
                if self.deadline.expired() and self.failures and family is not SolverFamily.GREEDY:
                    self.failures.append(f"{family.value.lower()}: no time left")
                    continue
                self._offer(self._fallback_construction(family) or self._attempt(family))
                if beside is not None:
                    self._offer(self._collect(beside))
                    beside = self._beside = None
            self.best = repair_outcome(self.problem, self.best, self.deadline, self.excluded)
            return self._flagged(self.best or self._nothing_found())
        finally:
            if beside is not None:
                beside.cancel()
            companion.replenish()

    def _first_checkpoint(self) -> None:
        """Hand a checkpoint taker a constructed plan before any engine searches.

        PyVRP hands over nothing until it returns, and OR-Tools' first solution takes long on a
        big request: without this, a worker that overruns leaves the server to construct a plan
        itself after the deadline, which on a starved machine made the answer late. It is a
        checkpoint only; the answer is still chosen among the engines' plans.
        """
        if self.on_checkpoint is None:
            return
        # Deterministic mode: the construction ignores the clock, so this checkpoint is too.
        options = EngineOptions(
            exclude=frozenset(self.excluded), deterministic=self.options.deterministic
        )
        try:
            found = engine_for(SolverFamily.GREEDY).solve(self.problem, self.deadline, options)
        except SolverFailedError:
            return
        checked = self._checked(SolverFamily.GREEDY, found, fallback=False)
        # If this ends up the answer (the worker overran), mandatory stops the construction
        # left out would be a shortfall (on the 42-stop sanitation example it leaves 2 out
        # with 2 trucks idle): repair it now, while there is time, not after the deadline.
        budget = constructed_repair_deadline(self.deadline, self.options.deterministic)
        repaired = repair_outcome(self.problem, checked, budget, self.excluded)
        self._constructed = repaired
        self._offer_checkpoint(repaired)

    def _fallback_construction(self, family: SolverFamily) -> SolveOutcome | None:
        """The first checkpoint's repaired construction when the constructive fallback's turn
        comes: constructing again after the engines spent the time, with only the repair's
        minimum left, left mandatory stops out on a starved machine."""
        return self._constructed if family is SolverFamily.GREEDY else None

    def _order(self, beside: Companion | None) -> list[SolverFamily]:
        """Engines for this process, in order.

        When PyVRP models the request, it searches on this core too, from another seed, and
        OR-Tools becomes this core's fallback: on the city suite PyVRP's plans were 2-9 % shorter
        than OR-Tools' (see FORMULATION.md), so the better of two PyVRP runs beats one of each.
        """
        order = engine_order(self.options.solver)
        if beside is not None and beside.family is SolverFamily.PYVRP and PYVRP_ON_BOTH_CORES:
            return [SolverFamily.PYVRP, *order]
        return order

    def _settled(self, family: SolverFamily) -> bool:
        """True when ``family`` need not run because a plan is already in hand.

        Later engines are fallbacks; the constructive heuristic still runs when the plan in
        hand leaves out mandatory stops the pre-check did not rule out, since in milliseconds
        it may serve them.
        """
        if self.best is None:
            return False
        if family is SolverFamily.GREEDY:
            return not self._servable_skipped(self.best)
        return True

    def _engine_options(self, family: SolverFamily) -> EngineOptions:
        ortools = family is SolverFamily.ORTOOLS
        # The companion searches with the caller's seed; PyVRP here must not repeat its search.
        second_pyvrp = family is SolverFamily.PYVRP and self.options.solver is SolverFamily.AUTO
        return EngineOptions(
            seed=self.options.seed + 1 if second_pyvrp else self.options.seed,
            exclude=frozenset(self.excluded),
            start=self.options.initial if ortools else None,
            deterministic=self.options.deterministic,
            on_solution=partial(self._on_solution, family),
            # In this process an engine's plan counts only once it returns; plans read back
            # while it searches serve only as checkpoints, so without a taker none are read.
            settings={"plan_every": self._plan_every()} if ortools else {},
        )

    def _plan_every(self) -> float:
        return math.inf if self.on_checkpoint is None else CHECKPOINT_SECONDS

    def _on_solution(self, family: SolverFamily, improvement: Improvement) -> None:
        self._found += 1
        if self.on_progress is not None:
            self.on_progress(improvement.objective, improvement.vehicles, self._found)
        if self.on_checkpoint is None:
            return
        # OR-Tools holds the GIL while it searches: this callback is where this process gets
        # to look at what the search and the companion have found so far.
        if improvement.plan is not None:
            name = companion.ENGINE_NAMES.get(family, family.value.lower())
            found = EngineResult(improvement.plan, name, strategy="improving plan")
            self._offer_checkpoint(self._checked(family, found, fallback=False))
        beside, now = self._beside, time.monotonic()
        if beside is None or now - self._beside_at < CHECKPOINT_SECONDS:
            return
        if beside.plans_streamed() > self._beside_seen:
            self._beside_seen, self._beside_at = beside.plans_streamed(), now
            streamed = beside.latest()
            if streamed is not None:
                self._offer_checkpoint(self._checked(beside.family, streamed, fallback=False))

    def _offer_checkpoint(self, outcome: SolveOutcome | None) -> None:
        """Pass ``outcome`` on to the checkpoint taker when it beats the last one passed on."""
        if outcome is None or self.on_checkpoint is None:
            return
        last = self._checkpoint
        if last is not None and rank(self.problem, outcome.evaluation) >= rank(
            self.problem, last.evaluation
        ):
            return
        self._checkpoint = outcome
        self.on_checkpoint(outcome)

    def _engine_deadline(self, family: SolverFamily) -> Deadline:
        if family is SolverFamily.GREEDY:
            # ~0.1 s per constructed plan at 2000 stops; it runs even past the deadline, since
            # an answer slightly late beats none (the service keeps a margin for this).
            return self.deadline
        return Deadline(self.deadline.at - reserve_seconds(self.deadline, self.problem))

    def _attempt(self, family: SolverFamily) -> SolveOutcome | None:
        """One engine in this process, checked; None (and a failure line) if it gave nothing."""
        declined = declined_features(family, self.problem)
        if declined:  # a re-plan this engine would not keep exactly (solvers.routing.locks)
            self.failures.append(f"{family.value.lower()}: cannot model " + ", ".join(declined))
            return None
        try:
            engine = engine_for(family)
            result = engine.solve(
                self.problem, self._engine_deadline(family), self._engine_options(family)
            )
        except SolverFailedError as exc:
            self.failures.append(str(exc))
            return None
        except Exception as exc:  # an engine's bug must not take the service down
            log.exception("%s engine raised", family.value)
            self.failures.append(f"{family.value.lower()}: {type(exc).__name__}: {exc}")
            return None
        return self._checked(family, result)

    def _checked(
        self, family: SolverFamily, result: EngineResult, fallback: bool = True
    ) -> SolveOutcome | None:
        """The engine's plan with the pre-check's skips, verified by the checker.

        A rejected plan is logged; it is also a line of ``fallback_reason`` unless the engine
        was not on the fallback path (the second-core companion is extra).
        """
        skipped = dict(result.plan.skipped)
        for stop, reason in self.excluded.items():
            skipped.setdefault(stop, reason)
        plan = RoutingPlan(routes=result.plan.routes, skipped=skipped)
        if self.problem.travel_periods:  # planned on the approximation: the checker re-times
            plan, evaluation = timed_exactly(plan, partial(evaluate, self.problem))
        else:
            evaluation = evaluate(self.problem, plan)
        if not evaluation.feasible:
            error = PlanRejectedError([v.detail or v.type.value for v in evaluation.violations])
            log.error("%s plan rejected by the checker: %s", result.engine, error)
            if fallback:
                self.failures.append(
                    f"{family.value.lower()}: plan rejected by the checker ({error})"
                )
            return None
        return SolveOutcome(plan, self._report(family, result, evaluation), evaluation)

    def _report(
        self, family: SolverFamily, result: EngineResult, evaluation: PlanEvaluation
    ) -> SolveReport:
        cost = evaluation.cost
        bound, status = result.bound, result.status
        if self.problem.travel_periods:  # the engine's proof was about the approximation
            bound = None
            status = Status.FEASIBLE if status is Status.OPTIMAL else status
        return SolveReport(
            family=family,
            engine=result.engine,
            status=status,
            objective=cost,
            bound=bound,
            gap=relative_gap(cost, bound) if bound is not None else None,
            wall_time=time.monotonic() - self.started,
            fallback_reason=self._fallback_reason(result.engine),
            objective_terms=dict(evaluation.cost_terms),
            strategy=self._strategy(result),
            timings=dict(result.timings),
        )

    def _strategy(self, result: EngineResult) -> str:
        """The engine's strategy, why PyVRP, the stronger engine, was not run if it was not,
        and that the plan was made on approximate time-of-day travel and re-timed exactly."""
        declined = ""
        if self._pyvrp_declined:
            declined = "PyVRP not run (it cannot model " + "; ".join(self._pyvrp_declined) + ")"
        periods = PLANNING_NOTE if self.problem.travel_periods else ""
        return "; ".join(part for part in (result.strategy, declined, periods) if part)

    def _fallback_reason(self, engine: str) -> str:
        return "; ".join(self.failures) + (f"; used {engine}" if self.failures else "")

    def _offer(self, outcome: SolveOutcome | None) -> None:
        """Keep the better of the plan in hand and ``outcome`` (the one in hand on ties)."""
        if outcome is None:
            return
        self._offer_checkpoint(outcome)
        if self.best is None:
            self.best = outcome
            return
        if rank(self.problem, outcome.evaluation) < rank(self.problem, self.best.evaluation):
            if self._servable_skipped(self.best):
                dropped = len(skipped_mandatory(self.problem, self.best.evaluation))
                self.failures.append(f"{self.best.report.engine}: left {dropped} stops out")
                outcome = self._relabelled(outcome)
            self.best = outcome

    def _relabelled(self, outcome: SolveOutcome) -> SolveOutcome:
        """The outcome with the failures seen so far in its fallback reason."""
        reason = self._fallback_reason(outcome.report.engine)
        return replace(outcome, report=replace(outcome.report, fallback_reason=reason))

    def _flagged(self, outcome: SolveOutcome) -> SolveOutcome:
        """The outcome with every reason it is degraded stated, and logged as a WARNING.

        A plan from a fallback engine, or one that leaves out mandatory stops the pre-check did
        not prove impossible, is verified but weaker than the caller should expect: it says so
        in the answer, not only in ``fallback_reason``.
        """
        reasons = []
        if outcome.report.status is Status.NO_SOLUTION_FOUND:
            reasons.append("no engine found a plan in the time budget")
        elif outcome.report.family not in self._primary_families():
            reasons.append(f"answered by the fallback {outcome.report.engine}")
        servable = [
            i for i in skipped_mandatory(self.problem, outcome.evaluation) if i not in self.excluded
        ]
        if servable:
            reasons.append(
                f"{len(servable)} mandatory stops left out that no pre-check proved impossible"
            )
        if not reasons:
            return outcome
        reason = "; ".join(reasons)
        log.warning("degraded routing answer (%s): %s", self.problem.label or "-", reason)
        return replace(outcome, report=replace(outcome.report, degraded_reason=reason))

    def _primary_families(self) -> set[SolverFamily]:
        choice = self.options.solver
        if choice is SolverFamily.AUTO:
            return {SolverFamily.ORTOOLS, SolverFamily.PYVRP}
        return {choice}

    def _servable_skipped(self, outcome: SolveOutcome) -> list[int]:
        """Mandatory stops the plan skips that the pre-check did not rule out."""
        skipped = skipped_mandatory(self.problem, outcome.evaluation)
        return [i for i in skipped if i not in self.excluded]

    def _start_second_core(self) -> Companion | None:
        """Start the second-core solve when time allows.

        PyVRP when it models the request well (:func:`pyvrp_declines`), else a differently
        configured OR-Tools. Not in deterministic mode (both stop on the wall clock here) and
        not with a warm start (this process's OR-Tools reads it).
        """
        options = self.options
        if options.solver is not SolverFamily.AUTO or options.deterministic or options.initial:
            return None
        if self.deadline.remaining() < companion.MIN_SECONDS:
            return None
        deadline = Deadline(self.deadline.at - reserve_seconds(self.deadline, self.problem))
        exclude = frozenset(self.excluded)
        try:
            self._pyvrp_declined = pyvrp_declines(self.problem, exclude)
            if not self._pyvrp_declined:
                family, settings = SolverFamily.PYVRP, {}
            else:
                family = SolverFamily.ORTOOLS
                settings = ortools_companion(self.problem, self.excluded)
            return Companion(self.problem, deadline, family, options.seed, exclude, settings)
        except OSError:
            log.warning("companion did not start", exc_info=True)
            return None

    def _collect(self, handle: Companion) -> SolveOutcome | None:
        """The companion's plan, checked (None when it failed or was rejected)."""
        try:
            result = handle.result(self.deadline)
        except SolverFailedError as exc:
            log.info("%s companion: %s", handle.family.value, exc)
            return None
        return self._checked(handle.family, result, fallback=False)

    def rescue(self, why: str) -> SolveOutcome:
        """The constructive heuristic alone, for a caller whose solve gave nothing in time.

        Cheap (~0.25 s at 400 stops) and never OR-Tools, so a server process can afford it
        beside its real-time path; the answer is flagged as a fallback with ``why``.
        """
        self.failures.append(why)
        self._offer(self._attempt(SolverFamily.GREEDY))
        self.best = repair_outcome(self.problem, self.best, self.deadline, self.excluded)
        return self._flagged(self.best or self._nothing_found())

    def _nothing_found(self) -> SolveOutcome:
        """No engine produced a valid plan: answer the empty plan, honestly labelled.

        Every stop is reported as skipped (with its pre-check reason, or NO_CAPACITY_LEFT: no
        room was found in the time budget), so the answer is still data the checker accepts.
        """
        skipped = {i: SkipReason.NO_CAPACITY_LEFT for i in range(len(self.problem.stops))}
        skipped.update(self.excluded)
        plan = RoutingPlan(routes=(), skipped=skipped)
        evaluation = evaluate(self.problem, plan)
        solver = self.options.solver
        report = SolveReport(
            family=solver if solver is not SolverFamily.AUTO else SolverFamily.ORTOOLS,
            engine="none",
            status=Status.NO_SOLUTION_FOUND,
            objective=evaluation.cost,
            wall_time=time.monotonic() - self.started,
            fallback_reason="; ".join(self.failures),
            objective_terms=dict(evaluation.cost_terms),
        )
        return SolveOutcome(plan, report, evaluation)
