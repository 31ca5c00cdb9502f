"""Small random assignment problems for property tests, and a brute-force optimum.

The brute force enumerates plans from the raw problem data and scores them with the checker
only, so it shares nothing with the solvers' arc construction.
"""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import strategies as st

from solvers.assignment import AssignmentPlan, AssignmentProblem, CoverageRule, UnitStatus
from solvers.assignment.checker import Evaluation, check_plan
from solvers.errors import PlanRejectedError


@st.composite
def problems(
    draw: st.DrawFn,
    coverage: bool | None = None,
    max_units: int = 6,
    max_incidents: int = 3,
    max_count: int = 2,
    crowded: bool = False,
) -> AssignmentProblem:
    """A problem with up to ``max_units`` units, ``max_incidents`` incidents, 2 capabilities,
    small times (ties are likely on purpose). ``crowded``: many capable units, few slots."""
    n_units = draw(st.integers(4 if crowded else 1, max_units))
    n_incidents = draw(st.integers(1, max_incidents))
    n_caps = 2
    has = st.sampled_from([True, True, True, False]) if crowded else st.booleans()
    caps = np.array([[draw(has) for _ in range(n_caps)] for _ in range(n_units)], dtype=bool)
    status = np.array(
        [draw(st.sampled_from([1, 1, 1, 2, 3])) for _ in range(n_units)], dtype=np.int64
    )
    commitment = np.full(n_units, -1, dtype=np.int64)
    for u in range(n_units):
        if status[u] == UnitStatus.EN_ROUTE or (
            status[u] == UnitStatus.BUSY and draw(st.booleans())
        ):
            commitment[u] = draw(st.integers(0, n_incidents - 1))
    requirements = np.array(
        [
            [
                draw(st.sampled_from([0, 0, 1]) if crowded else st.integers(0, max_count))
                for _ in range(n_caps)
            ]
            for _ in range(n_incidents)
        ],
        dtype=np.int64,
    )
    travel = np.array(
        [[draw(st.integers(1, 30)) * 10 for _ in range(n_incidents)] for _ in range(n_units)],
        dtype=np.int64,
    )
    priorities = np.array([draw(st.integers(1, 3)) for _ in range(n_incidents)], dtype=np.int64)
    targets = np.array([draw(st.sampled_from([0, 60, 150])) for _ in range(n_incidents)])
    with_coverage = draw(st.booleans()) if coverage is None else coverage
    district_ids: tuple[str, ...] = ()
    unit_to_district = None
    rules: tuple[CoverageRule, ...] = ()
    if with_coverage:
        n_districts = draw(st.integers(1, 2))
        district_ids = tuple(f"d{k}" for k in range(n_districts))
        unit_to_district = np.array(
            [[draw(st.integers(1, 30)) * 10 for _ in range(n_districts)] for _ in range(n_units)],
            dtype=np.int64,
        )
        rules = tuple(
            CoverageRule(
                district=draw(st.integers(0, n_districts - 1)),
                capability=draw(st.integers(0, n_caps - 1)),
                min_units=draw(st.integers(1, 2)),
                max_travel=draw(st.sampled_from([100, 200, 300])),
            )
            for _ in range(draw(st.integers(1, 3)))
        )
    return AssignmentProblem(
        unit_ids=tuple(f"u{u}" for u in range(n_units)),
        incident_ids=tuple(f"i{i}" for i in range(n_incidents)),
        capabilities=("a", "b"),
        unit_capabilities=caps,
        status=status,
        commitment=commitment,
        priorities=priorities,
        targets=targets.astype(np.int64),
        requirements=requirements,
        travel=travel,
        district_ids=district_ids,
        unit_to_district=unit_to_district,
        coverage_rules=rules,
        max_travel=draw(st.sampled_from([0, 0, 200])),
        allow_reassignment=draw(st.booleans()),
    )


def brute_force(problem: AssignmentProblem) -> Evaluation:
    """The lexicographically best valid plan's evaluation, by enumerating every plan."""
    options = []
    for u in range(problem.n_units):
        home = int(problem.commitment[u]) if problem.status[u] != UnitStatus.AVAILABLE else -1
        choices = [(home, -1)]
        for i in range(problem.n_incidents):
            for c in range(len(problem.capabilities)):
                if problem.unit_capabilities[u, c] and problem.requirements[i, c] > 0:
                    choices.append((i, c))
        options.append(choices)
    best: Evaluation | None = None
    for combo in itertools.product(*options):
        plan = AssignmentPlan(
            np.array([i for i, _ in combo], dtype=np.int64),
            np.array([c for _, c in combo], dtype=np.int64),
        )
        try:
            evaluation = check_plan(problem, plan)
        except PlanRejectedError:
            continue
        if best is None or evaluation.key() < best.key():
            best = evaluation
    assert best is not None  # committed units at home, nothing else dispatched, is valid
    return best
