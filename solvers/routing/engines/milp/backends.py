"""The two PuLP back ends: HiGHS in process (with a warm start), CBC as a subprocess."""

from __future__ import annotations

import math

import pulp

#: Relative gap under which a solver's "optimal" is reported as OPTIMAL.
GAP_TOLERANCE = 1e-6
BACKENDS = ("pulp.highs", "pulp.cbc")

_banner_silenced = False


def available_engine() -> str:
    """``pulp.highs`` when highspy is importable, else ``pulp.cbc``."""
    return "pulp.highs" if "HiGHS" in pulp.listSolvers(onlyAvailable=True) else "pulp.cbc"


def make_solver(
    engine: str,
    time_limit: float,
    seed: int,
    start: dict[pulp.LpVariable, float] | None,
) -> pulp.LpSolver:
    """The PuLP solver for ``engine``, asked for a gap well under GAP_TOLERANCE."""
    if engine == "pulp.highs":
        _silence_highs_banner()
        return WarmHiGHS(
            start,
            msg=False,
            timeLimit=time_limit,
            gapRel=GAP_TOLERANCE / 10,
            threads=1,
            random_seed=int(seed) % (2**31 - 1),
        )
    # CBC takes whole seconds and has no warm start through PuLP's command line.
    return pulp.PULP_CBC_CMD(
        msg=False,
        timeLimit=max(1, math.ceil(time_limit)),
        gapRel=GAP_TOLERANCE / 10,
    )


def _silence_highs_banner() -> None:
    """Let HiGHS print its one-time copyright banner into /dev/null instead of stdout.

    HiGHS writes it from C on the first ``Highs()`` of a process, whatever ``output_flag`` says;
    on stdout it would corrupt ``dispatch solve``'s JSON answer. Runs once per process.
    """
    global _banner_silenced
    if _banner_silenced:
        return
    _banner_silenced = True
    try:
        import ctypes
        import os
        import sys

        import highspy
    except ImportError:
        return
    sys.stdout.flush()
    libc = ctypes.CDLL(None)
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as sink:
            os.dup2(sink.fileno(), 1)
            highspy.Highs()
            libc.fflush(None)
    finally:
        os.dup2(saved, 1)
        os.close(saved)


class WarmHiGHS(pulp.HiGHS):  # type: ignore[misc,valid-type]
    """PuLP's HiGHS interface plus a (partial) starting solution handed to HiGHS before it runs.

    PuLP's in-process HiGHS has no warm start; HiGHS itself accepts values for some columns and
    completes the rest by a sub-MIP, which is how the greedy plan's arcs are passed in.
    """

    def __init__(self, start: dict[pulp.LpVariable, float] | None, **options: object) -> None:
        super().__init__(**options)
        self._start = start

    def callSolver(self, lp: pulp.LpProblem) -> None:
        if self._start:
            import numpy as np

            index = np.array([var.index for var in self._start], dtype=np.int32)
            value = np.array(list(self._start.values()), dtype=np.float64)
            lp.solverModel.setSolution(len(index), index, value)
        lp.solverModel.run()
