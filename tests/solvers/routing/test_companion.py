"""The second-core companion process: answers, streams, honours deadlines, dies with its parent."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest
from checker_cases import problem, stop, vehicle

from solvers.budget import Deadline
from solvers.errors import SolverFailedError
from solvers.routing import companion
from solvers.routing.checker import evaluate
from solvers.routing.companion import Companion
from solvers.routing.problem import Break, TimeWindow
from solvers.status import SolverFamily

PYVRP, ORTOOLS = SolverFamily.PYVRP, SolverFamily.ORTOOLS
#: PyVRP companions end on iterations, not on the clock: a cold one imports OR-Tools and PyVRP
#: before it reads its job (seconds on a loaded machine), so the deadline is only a safety net.
SHORT = {"max_iterations": 200}
SAFETY = 60.0

pytest.importorskip("pyvrp")


@pytest.fixture
def warm():
    """Keep a standby companion for the test, and forget it (killed) afterwards."""
    companion.warm_up()
    yield
    companion._warm = False
    companion._standby.discard()


def _small_problem():
    return problem(tuple(stop(f"s{i}", i) for i in range(1, 6)), vehicles=(vehicle("a"),))


def test_companion_returns_a_checker_feasible_plan():
    """The plan computed in the child process arrives intact and passes the checker."""
    p = problem(tuple(stop(f"s{i}", i) for i in range(1, 6)), vehicles=(vehicle("a"),))
    deadline = Deadline.after(SAFETY)
    plan = Companion(p, deadline, PYVRP, 1, frozenset(), SHORT).result(deadline, grace=5.0).plan
    evaluation = evaluate(p, plan)
    assert evaluation.feasible
    assert evaluation.served == frozenset(range(5))


def test_companion_reports_a_declined_problem_as_solver_failure():
    """A problem PyVRP cannot model comes back as SolverFailedError, not as a wrong plan."""
    crews = (
        vehicle("a", breaks=(Break("b", TimeWindow(0, 9), 5),)),
        vehicle("b", breaks=(Break("b", TimeWindow(20, 29), 5),)),
    )
    p = problem((stop("s1", 2),), vehicles=crews)  # lunch windows differ: one clock cannot
    deadline = Deadline.after(SAFETY)  # it declines as soon as it has read the job
    with pytest.raises(SolverFailedError, match="breaks"):
        Companion(p, deadline, PYVRP, seed=1).result(deadline, grace=5.0)


def test_companion_dies_when_its_parent_is_killed(tmp_path):
    """A routing worker killed with SIGKILL (a cancel) takes its companion with it: the
    companion must not keep a core busy for the rest of a long budget."""
    pid_file = tmp_path / "companion.pid"
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import sys, time
                sys.path.insert(0, {os.path.dirname(__file__)!r})
                from checker_cases import problem, stop, vehicle
                from solvers.budget import Deadline
                from solvers.routing.companion import Companion
                from solvers.status import SolverFamily
                PYVRP = SolverFamily.PYVRP
                p = problem(tuple(stop(f"s{{i}}", i) for i in range(1, 8)), vehicles=(vehicle(),))
                c = Companion(p, Deadline.after(120), PYVRP, seed=1)
                open({str(pid_file)!r}, "w").write(str(c._child.pid))
                time.sleep(120)
                """
            ),
        ]
    )
    try:
        for _ in range(200):
            if pid_file.exists() and pid_file.read_text():
                break
            time.sleep(0.05)
        companion_pid = int(pid_file.read_text())
        time.sleep(1.0)  # let the companion read its job and arm the parent-death signal
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        for _ in range(100):
            try:
                os.kill(companion_pid, 0)
            except ProcessLookupError:
                return
            # a zombie child of init is gone for our purposes once it is no longer running
            try:
                with open(f"/proc/{companion_pid}/stat") as stat:
                    if stat.read().split()[2] == "Z":
                        return
            except FileNotFoundError:
                return
            time.sleep(0.05)
        pytest.fail("companion still running 5 s after its parent was killed")
    finally:
        if parent.poll() is None:
            parent.kill()


def test_a_warm_companion_solves_in_the_waiting_process(warm):
    """After warm_up, a solve uses the process already waiting (imports done) and its plan
    passes the checker; the next standby is only started by replenish(), after the solve."""
    assert companion.wait_ready(30.0)
    standby = companion._standby.waiting()
    assert standby is not None and standby.alive()
    p = _small_problem()
    deadline = Deadline.after(SAFETY)
    handle = Companion(p, deadline, PYVRP, 1, frozenset(), SHORT)
    assert handle._child is standby
    assert companion._standby.waiting() is None
    assert evaluate(p, handle.result(deadline, grace=5.0).plan).feasible
    companion.replenish()
    assert companion._standby.waiting() not in (None, standby)


def test_a_dead_standby_is_replaced_by_a_fresh_companion(warm):
    """A standby that died meanwhile is never handed a job: a cold companion answers."""
    standby = companion._standby.waiting()
    standby.kill()
    p = _small_problem()
    deadline = Deadline.after(SAFETY)
    handle = Companion(p, deadline, PYVRP, 1, frozenset(), SHORT)
    assert handle._child is not standby
    assert evaluate(p, handle.result(deadline, grace=5.0).plan).feasible


def test_a_standby_without_a_job_exits_cleanly(warm):
    """Closing a waiting companion's input (the worker shutting down) ends it with status 0."""
    standby = companion._standby.take()
    standby.close_input()
    assert standby.wait(timeout=30) == 0


def test_an_ortools_companion_solves_what_pyvrp_cannot_model(warm):
    """A request with a driver break is solved by OR-Tools in the companion when asked for it,
    with the settings it was given, and its plan passes the checker. OR-Tools searches until
    its deadline, so the companion is a warm one (imports done): a cold one spent the whole
    budget importing when two test processes shared the 2 cores."""
    assert companion.wait_ready(SAFETY)
    brk = Break("lunch", TimeWindow(0, 100), 10)
    p = problem(tuple(stop(f"s{i}", i) for i in range(1, 6)), vehicles=(vehicle(breaks=(brk,)),))
    deadline = Deadline.after(3.0)
    handle = Companion(p, deadline, ORTOOLS, 1, frozenset(), {"metaheuristic": "gls"})
    evaluation = evaluate(p, handle.result(deadline, grace=5.0).plan)
    assert evaluation.feasible
    assert evaluation.served == frozenset(range(5))


def test_bad_ortools_settings_come_back_as_solver_failure():
    """A setting OrtoolsSettings does not know is reported as a failure, not a crash."""
    deadline = Deadline.after(1.0)
    handle = Companion(_small_problem(), deadline, ORTOOLS, 1, frozenset(), {"nonsense": 1})
    with pytest.raises(SolverFailedError, match="ortools"):
        handle.result(deadline, grace=5.0)


def test_an_overrunning_companion_still_gives_its_last_streamed_plan():
    """The parent stops waiting at the deadline and kills the child, yet keeps the improving
    plan the child had already streamed: a late engine never takes its plan down with it."""
    p = problem(tuple(stop(f"s{i}", 1 + i % 7) for i in range(30)), vehicles=(vehicle("a"),))
    handle = Companion(p, Deadline.after(60.0), ORTOOLS, 1, frozenset(), {"plan_every": 0.0})
    waited = Deadline.after(60.0)
    while handle.plans_streamed() == 0 and not waited.expired():
        time.sleep(0.05)
    result = handle.result(Deadline.after(0.0), grace=0.0)
    assert "last improving plan" in result.strategy
    assert evaluate(p, result.plan).feasible
    assert handle._child.exitcode is not None  # killed, not left running


def test_a_companion_killed_from_outside_is_reported_at_once():
    """A companion that dies (an OOM kill, a native crash) before any plan is a SolverFailedError
    naming its exit, and the parent learns it when it happens, not at the deadline."""
    handle = Companion(_small_problem(), Deadline.after(60.0), PYVRP, seed=1)
    os.kill(handle._child.pid, signal.SIGKILL)
    begin = time.monotonic()
    with pytest.raises(SolverFailedError, match="exit code -9"):
        handle.result(Deadline.after(60.0))
    assert time.monotonic() - begin < 30.0
