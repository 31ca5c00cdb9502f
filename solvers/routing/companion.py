"""A second solve on the second core, beside the OR-Tools solve of the same request.

The companion runs PyVRP when PyVRP can model the request, otherwise OR-Tools configured
differently from the search in the worker (``solve.py`` picks the pair).

Why a separate process: OR-Tools' routing solve holds the GIL for its whole run (DESIGN), so a
PyVRP thread in the same process would not get to run. Why ``subprocess`` and not
``multiprocessing``: routing already runs inside daemonic worker processes, which may not have
multiprocessing children. The companion reads one job frame on stdin and writes frames on
stdout (``solvers.processes``): each improving plan as the engine finds it, then its result.
A companion that overruns is killed and its last streamed plan still counts, so a late engine
never takes a plan it had already found down with it. It asks the kernel to kill it if its
parent dies (a cancelled worker is SIGKILLed) and it stops at the shared deadline on its own,
so it never outlives the request. It runs at a lower CPU priority so the service's real-time
path keeps the cores it needs.

Start-up (interpreter, numpy, PyVRP and OR-Tools imports) costs about half a second, 5% of a 10 s
budget that PyVRP would otherwise spend searching. A long-lived process (a routing worker) calls
:func:`warm_up` once: from then on one companion is kept ready, imports done, blocked on its
stdin, and a solve takes it instead of starting a cold one; the next is started after the solve,
off its clock. Only the main thread keeps a standby, because the kernel's parent-death signal
follows the thread that started the child.
"""

from __future__ import annotations

import contextlib
import os
import select
import subprocess
import sys
import threading
from dataclasses import dataclass

from solvers.budget import Deadline
from solvers.errors import SolverFailedError
from solvers.processes import die_with_parent, lower_priority, read_frame, write_frame
from solvers.routing.engine import EngineOptions, EngineResult, Improvement
from solvers.routing.plan import RoutingPlan
from solvers.routing.problem import RoutingProblem
from solvers.status import SolverFamily

#: Start-up (interpreter, numpy, pyvrp imports) costs ~0.5 s; below this budget it is not worth it.
MIN_SECONDS = 1.5
#: What a companion can run.
FAMILIES = (SolverFamily.PYVRP, SolverFamily.ORTOOLS)
#: Extra CPU niceness of the companion (the routing workers' own priority is added to it).
NICENESS = 5
#: Engine names for a plan streamed before the engine returned.
_ENGINE_NAMES = {SolverFamily.PYVRP: "pyvrp", SolverFamily.ORTOOLS: "ortools.routing"}


@dataclass
class _Received:
    """What the reader thread has seen so far."""

    last_plan: RoutingPlan | None = None
    plans: int = 0
    final: tuple[str, object] | None = None


class Companion:
    """Handle to one engine solve running in a child process."""

    def __init__(
        self,
        problem: RoutingProblem,
        deadline: Deadline,
        family: SolverFamily = SolverFamily.PYVRP,
        seed: int = 0,
        exclude: frozenset[int] = frozenset(),
        settings: dict[str, object] | None = None,
    ) -> None:
        if family not in FAMILIES:
            raise ValueError(f"no companion for {family.value}")
        self.family = family
        self._process = _take_standby() or _spawn()
        self._received = _Received()
        job = (family, problem, deadline.at, seed, exclude, dict(settings or {}))
        # Write from a thread: a large problem fills the pipe before the child starts reading,
        # and the caller must get on with its own solve meanwhile.
        self._writer = threading.Thread(target=self._send, args=(job,), daemon=True)
        self._writer.start()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _send(self, job: tuple) -> None:
        assert self._process.stdin is not None
        try:
            write_frame(self._process.stdin, job)
            self._process.stdin.close()
        except (BrokenPipeError, OSError):
            return

    def _read(self) -> None:
        assert self._process.stdout is not None
        while True:
            try:
                kind, value = read_frame(self._process.stdout)
            except (EOFError, OSError, ValueError):
                return
            if kind == "plan":
                self._received.last_plan = value
                self._received.plans += 1
            elif kind in ("ok", "error"):
                self._received.final = (kind, value)
                return

    def result(self, deadline: Deadline, grace: float = 0.5) -> EngineResult:
        """The companion's result; its last streamed plan if it overran ``deadline``.

        SolverFailedError when it failed, or overran without having streamed any plan.
        """
        self._reader.join(timeout=deadline.remaining() + grace)
        final = self._received.final
        if final is None:
            self.cancel()
            return self._last_plan("overran its deadline")
        kind, value = final
        if kind == "ok":
            assert isinstance(value, EngineResult)
            return value
        return self._last_plan(str(value))

    def plans_streamed(self) -> int:
        """How many plans have arrived so far (the final one included)."""
        return self._received.plans + (self._received.final is not None)

    def latest(self) -> EngineResult | None:
        """The newest plan in hand without waiting: the final result once it has come."""
        final = self._received.final
        if final is not None and final[0] == "ok":
            assert isinstance(final[1], EngineResult)
            return final[1]
        if self._received.last_plan is None:
            return None
        return self._last_plan("still searching")

    def _last_plan(self, why: str) -> EngineResult:
        plan = self._received.last_plan
        if plan is None:
            raise SolverFailedError(f"{self.family.value.lower()} companion: {why}")
        return EngineResult(
            plan=plan,
            engine=_ENGINE_NAMES[self.family],
            strategy=f"last improving plan streamed ({why})",
            solutions=self._received.plans,
        )

    def cancel(self) -> None:
        """Kill the companion now (idempotent)."""
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        if self._process.stdout is not None:
            self._process.stdout.close()


_standby: subprocess.Popen | None = None
_warm = False
_standby_lock = threading.Lock()


def _spawn() -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "solvers.routing.companion", str(os.getpid())],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )


def _take_standby() -> subprocess.Popen | None:
    """The ready companion, if this process keeps one and it is still alive."""
    global _standby
    with _standby_lock:
        process, _standby = _standby, None
    if process is not None and process.poll() is not None:
        return None
    return process


def warm_up() -> None:
    """Keep one companion started and waiting from now on (call from the main thread)."""
    global _warm
    _warm = True
    replenish()


def wait_ready(timeout: float) -> bool:
    """Block until the standby has finished its imports (for benchmarks that start a clock)."""
    with _standby_lock:
        process = _standby
    if process is None or process.stdout is None:
        return False
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    if not ready:
        return False
    try:
        return read_frame(process.stdout) == ("ready", None)
    except (EOFError, OSError):
        return False


def replenish() -> None:
    """Start the next waiting companion if this process keeps one and none is ready."""
    global _standby
    if not _warm or threading.current_thread() is not threading.main_thread():
        return
    with _standby_lock:
        if _standby is not None and _standby.poll() is None:
            return
        try:
            _standby = _spawn()
        except OSError:
            _standby = None


def _main() -> int:
    die_with_parent(int(sys.argv[1]))
    lower_priority(NICENESS)
    # Imported before the job arrives, so that a standby is warm.
    from solvers.routing.portfolio import engine_for

    for family in FAMILIES:
        engine_for(family)
    with contextlib.suppress(ImportError):
        import pyvrp  # noqa: F401  (the engine may import it lazily; pay for it before the clock)
    out = sys.stdout.buffer
    write_frame(out, ("ready", None))
    try:
        job = read_frame(sys.stdin.buffer)
    except EOFError:  # the parent closed our stdin without a job (it is shutting down)
        return 0
    family, problem, deadline_at, seed, exclude, settings = job

    def stream(improvement: Improvement) -> None:
        if improvement.plan is not None:
            write_frame(out, ("plan", improvement.plan))

    options = EngineOptions(seed=seed, exclude=exclude, on_solution=stream, settings=settings)
    try:
        answer = ("ok", engine_for(family).solve(problem, Deadline(deadline_at), options))
    except SolverFailedError as exc:
        answer = ("error", str(exc))
    except Exception as exc:  # report, never crash silently: the parent decides what to do
        answer = ("error", f"{family.value.lower()}: {type(exc).__name__}: {exc}")
    write_frame(out, answer)
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
