"""Small random problems with the unit lifecycle: every status, waits, turnouts, the soon-free
switch and per-requirement targets (first unit and full complement).

Built on ``assignment_cases.problems``: some free units are turned into AT_POST, soon-free
(TRANSPORTING, AT_HOSPITAL, RETURNING, with a wait) or OUT_OF_SERVICE units, and each
(incident, capability) may get its own full-complement target and a first-unit target at most
that large. Times are multiples of 10 so ties stay likely.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from assignment_cases import problems
from hypothesis import strategies as st

from solvers.assignment import AssignmentProblem, UnitStatus

_NEW_FREE_STATUSES = [
    UnitStatus.AVAILABLE,
    UnitStatus.AT_POST,
    UnitStatus.TRANSPORTING,
    UnitStatus.AT_HOSPITAL,
    UnitStatus.RETURNING,
    UnitStatus.OUT_OF_SERVICE,
]
_SOON = (UnitStatus.TRANSPORTING, UnitStatus.AT_HOSPITAL, UnitStatus.RETURNING)


@st.composite
def lifecycle_problems(draw: st.DrawFn, tight: bool = False, **kwargs: object) -> AssignmentProblem:
    """A ``problems(**kwargs)`` case with lifecycle statuses, waits, turnouts and targets.

    ``tight``: travel times from {20, 40, 60, 80} and first-unit targets of 50 s, so that which
    unit arrives first at a requirement decides its target often (random cases rarely do)."""
    base: AssignmentProblem = draw(problems(**kwargs))
    if tight:
        travel = np.array(
            [[draw(st.sampled_from([20, 40, 60, 80])) for _ in row] for row in base.travel],
            dtype=np.int64,
        )
        base = dataclasses.replace(base, travel=travel)
    status = base.status.copy()
    wait = np.zeros(base.n_units, dtype=np.int64)
    for u in np.flatnonzero(status == UnitStatus.AVAILABLE).tolist():
        status[u] = draw(st.sampled_from(_NEW_FREE_STATUSES))
        if status[u] in _SOON:
            wait[u] = draw(st.integers(0, 12)) * 10
    turnouts = [0] if tight else [0, 0, 20, 60]
    turnout = np.array(
        [draw(st.sampled_from(turnouts)) for _ in range(base.n_units)], dtype=np.int64
    )
    shape = base.requirements.shape
    full = np.repeat(base.targets.reshape(-1, 1), shape[1], axis=1).astype(np.int64)
    first = np.zeros(shape, dtype=np.int64)
    for i, c in np.ndindex(*shape):
        if draw(st.booleans()):
            full[i, c] = draw(st.sampled_from([0, 100, 200, 300]))
        # First-unit targets in the range of the ETAs, so that they bind often.
        first[i, c] = draw(st.sampled_from([0, 50] if tight else [0, 0, 50, 80, 120]))
        if full[i, c]:
            first[i, c] = min(first[i, c], full[i, c])
    return dataclasses.replace(
        base,
        status=status,
        wait=wait,
        turnout=turnout,
        allow_soon_free=draw(st.booleans()),
        requirement_targets=full,
        first_unit_targets=first,
    )
