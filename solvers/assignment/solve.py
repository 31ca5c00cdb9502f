"""The assignment portfolio: exact flows first (SciPy's sparse assignment where its arithmetic
is exact, OR-Tools' min-cost flow otherwise, or OR-Tools alone when asked for by name), MILP as
the fallback, greedy as the last resort.

Every plan passes the independent checker before it is returned; a solver that fails, finds
nothing or produces a rejected plan hands over to the next one, and ``fallback_reason`` says
why. The status is OPTIMAL only when a solver proved every level of the objective. An answer
from a fallback, or from an exact engine that could not prove it optimal, is flagged degraded.

Fault injection (documented for tests and drills): ``SolveSettings.faults`` names engines that
fail on purpose through the same exception path a real failure takes: ``"min_cost_flow"``
(the whole flow step, whichever engine solves its flows), ``"cp_sat"``, ``"milp"``.
``dispatch.emergency`` fills it from the ``DISPATCH_ASSIGN_FAULTS`` environment variable
(comma-separated).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from solvers.assignment.arcs import Arcs, build_arcs
from solvers.assignment.checker import Evaluation, check_plan
from solvers.assignment.cpsat import solve_stage_cpsat
from solvers.assignment.flow import FlowResult, face_before_churn, solve_flow
from solvers.assignment.greedy import solve_greedy
from solvers.assignment.levels import components
from solvers.assignment.linear import StageResult, stage_model
from solvers.assignment.matching import ENGINE as MATCHING
from solvers.assignment.milp import milp_engine, solve_stage_milp, solve_staged_milp
from solvers.assignment.model import FREE_NOW, AssignmentPlan, AssignmentProblem, status_in
from solvers.assignment.reasons import Unfilled, unfilled_slots
from solvers.assignment.stages import Restriction, restriction_of
from solvers.budget import Deadline
from solvers.errors import PlanRejectedError, SolverFailedError
from solvers.status import SolveReport, SolverFamily, Status

_log = logging.getLogger("solvers.assignment")

#: Rough seconds per unit x incident pair for the OR-Tools path (measured on the benchmark
#: machine: 200 x 2000 in ~0.1 s with one flow; the response-targets level made it two flows
#: and ~1.4x slower, measured interleaved, so the constant grew by that much to keep the same
#: margin); below this budget the portfolio goes straight to greedy.
_ORTOOLS_SECONDS_PER_PAIR = 3.5e-7
#: Without coverage rules the flows are priced (flow.py: about a ninth of the arcs at 200 x
#: 2000) and the solve took 0.55 to 0.6 of the time it took before, measured alternately with
#: the unpriced code (benchmarks/results/2026-12-06-assign-latency-2, phases); the same margin
#: on top.
_PRICED_SECONDS_PER_PAIR = 2.5e-7
_ORTOOLS_SECONDS_FIXED = 0.003
#: PuLP builds its model in Python before any time limit applies: ~130 us per arc over the
#: three or four stages (measured: 200 x 2000, 38k arcs, 5 s with HiGHS, 4 s with CBC; 50 x 300,
#: 2.5k arcs, 0.3 s), with a margin for a loaded machine: the one-stage coverage model.
_MILP_SECONDS_PER_ARC = 2e-4
_MILP_SECONDS_FIXED = 0.02
#: The staged MILP has one stage per objective component (fill, late slots of each priority
#: level, response, churn/coverage): ~35 us per arc and stage (200 x 2000 with 7 stages: 9.4 to
#: 11.3 s on a loaded machine), with a margin.
_MILP_SECONDS_PER_ARC_STAGE = 5e-5


@dataclass(frozen=True)
class SolveSettings:
    """Caller's choices for one solve."""

    family: SolverFamily = SolverFamily.AUTO
    seed: int = 0
    deterministic: bool = False
    milp_engine: str = "auto"  # "auto" (HiGHS if installed), "highs" or "cbc"
    faults: frozenset[str] = frozenset()
    reserve: float = 0.0  # seconds kept back for the caller's own work after the solve
    cp_sat_time_limit: float | None = None  # None: a share of the deadline
    cp_sat_workers: int = 1


@dataclass(frozen=True, eq=False)
class AssignmentResult:
    """A checked plan, its recomputed objective, unfilled slots with reasons, and the report."""

    plan: AssignmentPlan
    evaluation: Evaluation
    unfilled: list[Unfilled]
    report: SolveReport


@dataclass
class _Attempt:
    plan: AssignmentPlan
    evaluation: Evaluation
    engine: str
    family: SolverFamily
    status: Status
    notes: list[str] = field(default_factory=list)


def _fault(settings: SolveSettings, engine: str) -> None:
    if engine in settings.faults:
        raise SolverFailedError(f"{engine}: injected fault")


def estimated_ortools_seconds(problem: AssignmentProblem) -> float:
    """Expected time of the OR-Tools path, used to decide whether to try it at all."""
    pairs = problem.n_units * max(problem.n_incidents, 1)
    per_pair = _ORTOOLS_SECONDS_PER_PAIR if problem.coverage_rules else _PRICED_SECONDS_PER_PAIR
    return _ORTOOLS_SECONDS_FIXED + per_pair * pairs


def _coverage_stage(
    problem: AssignmentProblem,
    arcs: Arcs,
    used: np.ndarray,
    restriction: Restriction,
    deadline: Deadline,
    settings: SolveSettings,
    notes: list[str],
) -> tuple[StageResult, str, Arcs] | None:
    """Minimise coverage shortfall then churn among plans optimal for levels 1-3."""
    restricted = restriction.arcs
    sub = arcs.subset(restricted)
    max_churn = len(np.unique(sub.unit[sub.moved == 1]))
    model = stage_model(
        problem,
        sub,
        (),
        sub.moved,
        max_churn + 1,
        must_use_units=restriction.must_use_units,
        must_fill_groups=restriction.must_fill_groups,
        total=restriction.total,
        forced_arcs=np.flatnonzero(restriction.forced[restricted]),
    )
    hint = used[restricted]
    left = deadline.remaining() - settings.reserve
    limit = settings.cp_sat_time_limit
    if limit is None:
        limit = max(0.0, left * 0.6)
    try:
        _fault(settings, "cp_sat")
        result = solve_stage_cpsat(
            model,
            limit,
            hint=hint,
            seed=settings.seed,
            deterministic=settings.deterministic,
            workers=settings.cp_sat_workers,
        )
        if result.used is not None:
            return result, "ortools.cp_sat", sub
        notes.append(f"ortools.cp_sat: no solution within {limit:.3f} s")
    except SolverFailedError as exc:
        notes.append(str(exc))
    engine = "pulp.cbc"
    try:
        _fault(settings, "milp")
        engine = milp_engine(settings.milp_engine)
        left = deadline.remaining() - settings.reserve
        needed = _MILP_SECONDS_FIXED + _MILP_SECONDS_PER_ARC * sub.n_arcs
        if left < needed:
            notes.append(f"{engine}: skipped, {left:.3f} s left, ~{needed:.3f} s needed")
            return None
        result = solve_stage_milp(model, left, engine)
        if result.used is not None:
            return result, engine, sub
        notes.append(f"{engine}: no solution within {left:.3f} s")
    except SolverFailedError as exc:
        notes.append(str(exc))
    return None


def _coverage_can_improve(
    problem: AssignmentProblem,
    plan: AssignmentPlan,
    evaluation: Evaluation,
    restriction: Restriction,
) -> bool:
    """False when no plan optimal for levels 1-3 can have less shortfall than ``plan``.

    A short rule gains a unit only if one of its counted units that ``plan`` dispatches can stay
    free instead; a unit the face forces onto a slot is dispatched in every optimal plan. If
    every such unit is of that kind the shortfall is already minimal, and the flow's churn is
    minimal among all plans optimal for levels 1-3, so the plan is lexicographically optimal
    without running CP-SAT.
    """
    assert problem.unit_to_district is not None
    dispatched = status_in(problem.status, FREE_NOW) & (plan.incident >= 0)
    optional = dispatched.copy()
    optional[restriction.must_use_units] = False
    if not optional.any():
        return False
    for rule, result in zip(problem.coverage_rules, evaluation.coverage, strict=True):
        if result.shortfall == 0:
            continue
        counted = problem.unit_capabilities[:, rule.capability] & (
            problem.unit_to_district[:, rule.district] <= rule.max_travel
        )
        if (counted & optional).any():
            return True
    return False


def _stop(deadline: Deadline, settings: SolveSettings, share: float) -> float:
    """A ``time.perf_counter`` instant ``share`` of the way to the deadline (less the reserve)."""
    return time.perf_counter() + max(0.0, deadline.remaining() - settings.reserve) * share


def _flow_attempt(flow: FlowResult, evaluation: Evaluation) -> _Attempt:
    """The flow's plan, OPTIMAL when every per-arc level was optimised. Its engine names what
    solved the flows (the matching first); the family is SciPy only when it solved them all."""
    status = Status.OPTIMAL if flow.complete else Status.FEASIBLE
    engines = sorted(flow.engines, key=lambda name: name != MATCHING)
    family = SolverFamily.SCIPY if engines == [MATCHING] else SolverFamily.ORTOOLS
    attempt = _Attempt(flow.plan, evaluation, "+".join(engines), family, status)
    if flow.pending:
        pending = list(flow.pending)
        named = ", ".join(pending if len(pending) <= 4 else [*pending[:2], "...", pending[-1]])
        attempt.notes.append(
            f"min_cost_flow: optimal face not computed in time, {len(pending)} levels not "
            f"optimised ({named})"
        )
    return attempt


def _flows(problem: AssignmentProblem, deadline: Deadline, settings: SolveSettings) -> _Attempt:
    """The exact path: the lexicographic flows (as matchings unless OR-Tools was asked for by
    name), then coverage on their optimal face when the request has coverage rules."""
    arcs = build_arcs(problem)
    _fault(settings, "min_cost_flow")
    use_matching = settings.family is not SolverFamily.ORTOOLS
    flow = solve_flow(problem, arcs, stop=_stop(deadline, settings, 0.5), use_matching=use_matching)
    evaluation = check_plan(problem, flow.plan)
    attempt = _flow_attempt(flow, evaluation)
    if not problem.coverage_rules or evaluation.coverage_shortfall == 0 or not flow.complete:
        # Coverage is below response time in the order: zero shortfall is already optimal, and
        # an incomplete flow (FEASIBLE, said so) has no proven levels 1-3 to optimise it under.
        return attempt
    attempt.status = Status.FEASIBLE
    face = face_before_churn(flow, _stop(deadline, settings, 0.3))
    if face is None:
        attempt.notes.append("coverage not optimised: reduced costs not computed in time")
        return attempt
    restriction = restriction_of(face, arcs)
    if not _coverage_can_improve(problem, flow.plan, evaluation, restriction):
        attempt.status = Status.OPTIMAL
        return attempt
    stage = _coverage_stage(
        problem, arcs, flow.used, restriction, deadline, settings, attempt.notes
    )
    if stage is None:
        attempt.notes.append("kept the min-cost-flow plan (levels 1-3 optimal, coverage not)")
        return attempt
    result, engine, sub = stage
    assert result.used is not None
    plan = sub.plan(problem, result.used)
    try:
        stage_eval = check_plan(problem, plan)
    except PlanRejectedError as exc:
        attempt.notes.append(f"{engine} plan rejected: {exc}")
        return attempt
    if stage_eval.key() <= evaluation.key():
        attempt.plan, attempt.evaluation, attempt.engine = plan, stage_eval, engine
        attempt.status = result.status
        if engine.startswith("pulp"):
            attempt.family = SolverFamily.MILP
    return attempt


def _milp(problem: AssignmentProblem, deadline: Deadline, settings: SolveSettings) -> _Attempt:
    arcs = build_arcs(problem)
    _fault(settings, "milp")
    engine = milp_engine(settings.milp_engine)
    stages = len(components(arcs, problem.priority_levels()))
    needed = _MILP_SECONDS_FIXED + _MILP_SECONDS_PER_ARC_STAGE * arcs.n_arcs * stages
    left = deadline.remaining() - settings.reserve
    if left < needed:
        raise SolverFailedError(
            f"{engine}: skipped, {left:.3f} s left, ~{needed:.3f} s needed for {arcs.n_arcs} arcs"
            f" in {stages} stages"
        )
    staged = solve_staged_milp(problem, arcs, deadline, engine, reserve=settings.reserve)
    plan = arcs.plan(problem, staged.used)
    evaluation = check_plan(problem, plan)
    attempt = _Attempt(plan, evaluation, engine, SolverFamily.MILP, staged.status)
    if staged.status is not Status.OPTIMAL:
        attempt.notes.append(f"{engine}: {staged.stages_proven} objective stages proven")
    return attempt


def _greedy(problem: AssignmentProblem, deadline: Deadline, settings: SolveSettings) -> _Attempt:
    plan = solve_greedy(problem)
    return _Attempt(plan, check_plan(problem, plan), "greedy", SolverFamily.GREEDY, Status.FEASIBLE)


_CHAINS = {
    SolverFamily.AUTO: (_flows, _milp, _greedy),
    SolverFamily.SCIPY: (_flows, _milp, _greedy),
    SolverFamily.ORTOOLS: (_flows, _milp, _greedy),
    SolverFamily.MILP: (_milp, _flows, _greedy),
    SolverFamily.GREEDY: (_greedy,),
}
_NAMES = {_flows: "flow", _milp: "milp", _greedy: "greedy"}
#: The chain step whose engines answer for each family (CP-SAT and HiGHS/CBC stages inside
#: ``_flows`` keep its family unless the MILP engine answered).
_FAMILY_STEP = {
    SolverFamily.SCIPY: "flow",
    SolverFamily.ORTOOLS: "flow",
    SolverFamily.MILP: "milp",
    SolverFamily.GREEDY: "greedy",
}


def _degraded_reason(
    first: Callable[[AssignmentProblem, Deadline, SolveSettings], _Attempt], attempt: _Attempt
) -> str:
    """Why the answer is weaker than the service normally gives (the contract's ``degraded``),
    or "": a fallback answered (e.g. greedy because the deadline left no room for the flow),
    or the chosen exact engine could not prove its plan optimal in time. Greedy asked for by
    name is never degraded: FEASIBLE is all it claims."""
    reasons = []
    if _NAMES[first] != _FAMILY_STEP.get(attempt.family):
        reasons.append(f"answered by the fallback {attempt.engine}")
    elif first is not _greedy and attempt.status is not Status.OPTIMAL:
        reasons.append(f"{attempt.engine} did not prove its plan optimal in time")
    return "; ".join(reasons)


def solve(
    problem: AssignmentProblem,
    deadline: Deadline,
    settings: SolveSettings | None = None,
) -> AssignmentResult:
    """Best checked plan before ``deadline``; raises PlanRejectedError only if even greedy fails."""
    settings = settings or SolveSettings()
    start = time.perf_counter()
    chain = _CHAINS.get(settings.family, _CHAINS[SolverFamily.AUTO])
    reasons: list[str] = []
    attempt: _Attempt | None = None
    for step in chain:
        if step is not _greedy:
            left = deadline.remaining() - settings.reserve
            needed = estimated_ortools_seconds(problem)
            if left < needed:
                reasons.append(
                    f"{_NAMES[step]}: skipped, {left * 1000:.0f} ms left, ~{needed * 1000:.0f} "
                    "ms needed"
                )
                continue
        try:
            attempt = step(problem, deadline, settings)
            break
        except (SolverFailedError, PlanRejectedError) as exc:
            reasons.append(f"{_NAMES[step]}: {exc}")
        except Exception as exc:  # an emergency answer beats a crash; the log keeps the trace
            _log.exception("assignment solver %s crashed", _NAMES[step])
            reasons.append(f"{_NAMES[step]}: crashed ({type(exc).__name__})")
    if attempt is None:
        raise PlanRejectedError(reasons or ["no solver produced a plan"])

    evaluation = attempt.evaluation
    objective = float(evaluation.weighted_response)
    optimal = attempt.status is Status.OPTIMAL
    fallback = "; ".join(reasons + attempt.notes)
    if fallback:
        fallback = f"{fallback}; used {attempt.engine}"
    degraded = _degraded_reason(chain[0], attempt)
    if degraded:
        _log.warning("degraded assignment answer (%s): %s", problem.label or "-", degraded)
    report = SolveReport(
        family=attempt.family,
        engine=attempt.engine,
        status=attempt.status,
        objective=objective,
        bound=objective if optimal else None,
        gap=0.0 if optimal else None,
        wall_time=time.perf_counter() - start,
        fallback_reason=fallback,
        objective_terms=evaluation.terms(),
        degraded_reason=degraded,
    )
    unfilled = unfilled_slots(problem, attempt.plan, evaluation.slots_filled)
    return AssignmentResult(attempt.plan, evaluation, unfilled, report)
