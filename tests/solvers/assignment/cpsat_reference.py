"""An independent reference optimum: CP-SAT, one objective level at a time, from the raw problem.

Shares no code with the solvers (no arcs, flows, packing, face restriction or checker
internals): every rule is restated from the contract (protos/dispatch/v1/emergency.proto) and
the objective is optimised lexicographically the plain way: solve level 1 (filled slots of the
most urgent priority), fix its optimum as a constraint, solve the next level, and so on through
filled slots per priority, slots within target per priority, weighted response, coverage
shortfall and churn. Work-limited (deterministic time, one worker), so it gives the same answer
on a loaded machine, only later; every stage must end OPTIMAL.

The unit lifecycle is restated here too: AVAILABLE and AT_POST units go from where they are,
TRANSPORTING / AT_HOSPITAL / RETURNING only with the soon-free switch on, OUT_OF_SERVICE never;
a unit sent from rest arrives after wait + travel + turnout. Each filled slot is judged on its
requirement's full-complement target; a requirement with a first-unit target F meets it when
``max over its units of [eta <= F]`` is 1 (a max-equality, not the solvers' lead/rest split).
Per priority, first-unit targets met come before slots within target.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
from ortools.sat.python import cp_model

from solvers.assignment import AssignmentPlan, AssignmentProblem, UnitStatus

#: Deterministic work per stage (CP-SAT's own units; tiny models need a small fraction of it).
WORK_LIMIT = 30.0


@dataclass(frozen=True)
class Reference:
    """The lexicographic optimum: its key (the shape of ``Evaluation.key()``) and one plan."""

    key: tuple[object, ...]
    plan: AssignmentPlan


@dataclass(frozen=True)
class _Option:
    unit: int
    incident: int
    capability: int
    eta: int
    moved: int


def _fits(caps: list[list[int]], slots: list[int]) -> bool:
    """Whether units with these capability lists can all hold distinct slots (brute force)."""
    for choice in itertools.product(*caps):
        if all(choice.count(c) <= slots[c] for c in set(choice)):
            return True
    return False


def must_fill(problem: AssignmentProblem) -> set[int]:
    """Committed units that count at their incident: BUSY first, then shorter ETA, then index,
    each kept when the kept units can still all hold a slot of a capability they have."""
    out: set[int] = set()
    for x in range(problem.n_incidents):
        slots = [int(v) for v in problem.requirements[x]]
        members = []
        for u in range(problem.n_units):
            committed = problem.status[u] in (UnitStatus.BUSY, UnitStatus.EN_ROUTE)
            if not committed or problem.commitment[u] != x:
                continue
            caps = [c for c, n in enumerate(slots) if n > 0 and problem.unit_capabilities[u, c]]
            if caps:
                busy = problem.status[u] == UnitStatus.BUSY
                eta = 0 if busy else int(problem.travel[u, x])
                members.append(((0 if busy else 1, eta, u), caps))
        kept: list[list[int]] = []
        for (_, _, u), caps in sorted(members):
            if _fits([*kept, caps], slots):
                kept.append(caps)
                out.add(u)
    return out


_FREE_NOW = (UnitStatus.AVAILABLE, UnitStatus.AT_POST)
_SOON = (UnitStatus.TRANSPORTING, UnitStatus.AT_HOSPITAL, UnitStatus.RETURNING)


def _options(problem: AssignmentProblem) -> list[_Option]:
    """Every (unit, incident, capability) the contract allows, with its ETA and churn."""
    out = []
    n_caps = len(problem.capabilities)
    for u in range(problem.n_units):
        status, home = int(problem.status[u]), int(problem.commitment[u])
        for i in range(problem.n_incidents):
            eta, moved = int(problem.travel[u, i]), 0
            reach = problem.max_travel == 0 or eta <= problem.max_travel
            if status in _FREE_NOW or (status in _SOON and problem.allow_soon_free):
                allowed = reach
                eta += int(problem.wait[u]) + int(problem.turnout[u])
            elif status in _SOON or status == UnitStatus.OUT_OF_SERVICE:
                allowed = False
            elif status == UnitStatus.BUSY:
                allowed, eta = i == home, 0
            elif home < 0 or home >= problem.n_incidents:
                allowed = False
            elif i == home:
                allowed = True
            else:
                allowed = problem.allow_reassignment and reach
                allowed = allowed and problem.priorities[i] < problem.priorities[home]
                moved = 1
            for c in range(n_caps):
                if allowed and problem.unit_capabilities[u, c] and problem.requirements[i, c] > 0:
                    out.append(_Option(u, i, c, eta, moved))
    return out


class _Lexicographic:
    """A CP-SAT model solved one level at a time, each optimum fixed before the next."""

    def __init__(self) -> None:
        self.model = cp_model.CpModel()
        self.solver = cp_model.CpSolver()
        self.solver.parameters.num_workers = 1
        self.solver.parameters.random_seed = 0
        self.solver.parameters.max_deterministic_time = WORK_LIMIT

    def minimise(self, expression: cp_model.LinearExprT) -> int:
        """Minimise, assert the proof, and fix the optimum for the levels that follow."""
        if isinstance(expression, int):  # an empty level (no such slots or rules)
            return expression
        self.model.minimize(expression)
        status = self.solver.solve(self.model)
        assert status == cp_model.OPTIMAL, self.solver.status_name(status)
        value = round(self.solver.objective_value)
        self.model.add(expression == value)
        return value


def reference(problem: AssignmentProblem) -> Reference:
    """The lexicographic optimum, level by level (see the module docstring)."""
    options = _options(problem)
    lex = _Lexicographic()
    x = [lex.model.new_bool_var(f"x{k}") for k in range(len(options))]
    forced = must_fill(problem)
    for u in range(problem.n_units):
        mine = [x[k] for k, o in enumerate(options) if o.unit == u]
        lex.model.add(sum(mine) == 1 if u in forced else sum(mine) <= 1)
    for i, c in zip(*np.nonzero(problem.requirements), strict=True):
        chosen = [x[k] for k, o in enumerate(options) if (o.incident, o.capability) == (i, c)]
        lex.model.add(sum(chosen) <= int(problem.requirements[i, c]))

    prio = problem.priorities
    needy = problem.requirements.sum(axis=1) > 0
    levels = sorted({int(p) for p in prio[needy]})
    unfilled = []
    filled_at = {}
    for p in levels:
        at = [x[k] for k, o in enumerate(options) if prio[o.incident] == p]
        required = int(problem.requirements[prio == p].sum())
        filled_at[p] = -lex.minimise(-sum(at))
        unfilled.append(required - filled_at[p])
    timely = []
    for p in levels:
        first, targets = _first_met(problem, options, x, lex.model, p)
        if targets:
            timely.append(targets + lex.minimise(-first))
        timely.append(filled_at[p] + lex.minimise(-_within(problem, options, x, p)))
    top = max((int(p) for p in prio), default=1)
    response = lex.minimise(
        sum((top + 1 - int(prio[o.incident])) * o.eta * x[k] for k, o in enumerate(options))
    )
    shortfall = lex.minimise(_shortfall(problem, options, x, lex.model))
    churn = lex.minimise(sum(o.moved * x[k] for k, o in enumerate(options)))
    key = (tuple(unfilled), tuple(timely), response, shortfall, churn)
    return Reference(key, _plan(problem, options, [lex.solver.boolean_value(v) for v in x]))


def _within(
    problem: AssignmentProblem, options: list[_Option], x: list, p: int
) -> cp_model.LinearExprT:
    """Filled slots of priority ``p`` reached within their full-complement target (0: none)."""
    chosen = []
    for k, o in enumerate(options):
        full = int(problem.requirement_targets[o.incident, o.capability])
        if problem.priorities[o.incident] == p and (full == 0 or o.eta <= full):
            chosen.append(x[k])
    return sum(chosen)


def _first_met(
    problem: AssignmentProblem, options: list[_Option], x: list, model: cp_model.CpModel, p: int
) -> tuple[cp_model.LinearExprT, int]:
    """Requirements of priority ``p`` whose first-unit target is met, and how many have one."""
    met: cp_model.LinearExprT = 0
    targets = 0
    for i, c in zip(*np.nonzero(problem.requirements), strict=True):
        first = int(problem.first_unit_targets[i, c])
        if problem.priorities[i] != p or first == 0:
            continue
        targets += 1
        fast = [
            x[k]
            for k, o in enumerate(options)
            if (o.incident, o.capability) == (i, c) and o.eta <= first
        ]
        met += _any(model, fast)
    return met, targets


def _any(model: cp_model.CpModel, chosen: list) -> cp_model.LinearExprT:
    """A bool equal to "some of ``chosen`` is used" (0 when there is none)."""
    if not chosen:
        return 0
    flag = model.new_bool_var("any")
    model.add_max_equality(flag, chosen)
    return flag


def _shortfall(
    problem: AssignmentProblem, options: list[_Option], x: list, model: cp_model.CpModel
) -> cp_model.LinearExprT:
    """Sum over rules of max(0, min_units - counted units still free after the dispatch)."""
    total = 0
    for rule in problem.coverage_rules:
        assert problem.unit_to_district is not None
        counted = [
            u
            for u in range(problem.n_units)
            if problem.status[u] in _FREE_NOW
            and problem.unit_capabilities[u, rule.capability]
            and problem.unit_to_district[u, rule.district] <= rule.max_travel
        ]
        sent = [x[k] for k, o in enumerate(options) if o.unit in counted]
        s = model.new_int_var(0, rule.min_units, "s")
        model.add(s >= rule.min_units - (len(counted) - sum(sent)))
        total += s
    return total


def _plan(problem: AssignmentProblem, options: list[_Option], chosen: list[bool]) -> AssignmentPlan:
    """Committed units stay put unless chosen elsewhere; free units go where chosen."""
    committed = np.isin(problem.status, (UnitStatus.BUSY, UnitStatus.EN_ROUTE))
    incident = np.where(committed, problem.commitment, -1)
    capability = np.full(problem.n_units, -1, dtype=np.int64)
    for option, used in zip(options, chosen, strict=True):
        if used:
            incident[option.unit], capability[option.unit] = option.incident, option.capability
    return AssignmentPlan(incident.astype(np.int64), capability)
