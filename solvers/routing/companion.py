"""A second solve on the second core, beside the OR-Tools solve of the same request.

The companion runs PyVRP when PyVRP can model the request, otherwise OR-Tools configured
differently from the search in the worker (``solve.py`` picks the pair).

Why a separate process: OR-Tools' routing solve holds the GIL for its whole run (DESIGN), so a
PyVRP thread in the same process would not get to run. The process is a ``solvers.processes``
child (a fresh interpreter, which a routing worker, itself such a child, may start): it is
sent one job and streams frames back, each improving plan as the engine finds it, then its
result. A companion that overruns is killed and its last streamed plan still counts, so a late
engine never takes a plan it had already found down with it. It dies with its parent (a
cancelled worker is SIGKILLed) and stops at the shared deadline on its own, so it never
outlives the request; it runs ``NICENESS`` below its parent so the service's real-time path
keeps the cores it needs.

Start-up (interpreter, numpy, PyVRP and OR-Tools imports) costs about half a second, 5% of a 10 s
budget that PyVRP would otherwise spend searching. A long-lived process (a routing worker) calls
:func:`warm_up` once: from then on one companion is kept ready (``solvers.processes.Standby``),
imports done, waiting for its job, and a solve takes it instead of starting a cold one; the
next is started by :func:`replenish` after the solve, off its clock.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass

from solvers.budget import Deadline
from solvers.errors import SolverFailedError
from solvers.processes import ChildExited, ChildSilent, ChildSpec, Parent, Standby, spawn
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
#: Engine names for a plan reported before the engine returned.
ENGINE_NAMES = {SolverFamily.PYVRP: "pyvrp", SolverFamily.ORTOOLS: "ortools.routing"}
#: How to start a companion: its stderr is dropped (engines' warnings are not the service's log).
_SPEC = ChildSpec("solvers.routing.companion:_start", niceness=NICENESS, quiet=True)
_standby = Standby(_SPEC)
_warm = False


@dataclass
class _Received:
    """What has come from the child so far."""

    last_plan: RoutingPlan | None = None
    plans: int = 0
    final: tuple[str, object] | None = None
    exited: ChildExited | None = None


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
        self._child = _standby.take() or spawn(_SPEC)
        self._received = _Received()
        try:
            # Written by the child handle's own thread: the caller gets on with its solve.
            self._child.send((family, problem, deadline.at, seed, exclude, dict(settings or {})))
            self._child.close_input()
        except BaseException:
            self._child.kill()
            raise

    def result(self, deadline: Deadline, grace: float = 0.5) -> EngineResult:
        """The companion's result; its last streamed plan if it overran ``deadline``.

        SolverFailedError when it failed, or overran without having streamed any plan.
        """
        self._take_in(until=time.monotonic() + deadline.remaining() + grace)
        final, exited = self._received.final, self._received.exited
        if final is None:
            self.cancel()
            why = "overran its deadline" if exited is None else f"{exited} without a result"
            return self._last_plan(why)
        kind, value = final
        if kind == "ok":
            assert isinstance(value, EngineResult)
            return value
        return self._last_plan(str(value))

    def plans_streamed(self) -> int:
        """How many plans have arrived so far (the final one included)."""
        self._take_in(until=None)
        return self._received.plans + (self._received.final is not None)

    def latest(self) -> EngineResult | None:
        """The newest plan in hand without waiting: the final result once it has come."""
        self._take_in(until=None)
        final = self._received.final
        if final is not None and final[0] == "ok":
            assert isinstance(final[1], EngineResult)
            return final[1]
        if self._received.last_plan is None:
            return None
        return self._last_plan("still searching")

    def cancel(self) -> None:
        """Kill the companion now (idempotent)."""
        self._child.kill()

    def _take_in(self, until: float | None) -> None:
        """Record the messages that arrive by ``until`` (None: those already here)."""
        received = self._received
        while received.final is None and received.exited is None:
            wait = 0.0 if until is None else until - time.monotonic()
            try:
                kind, value = self._child.receive(wait)
            except ChildSilent:
                return
            except ChildExited as exc:
                received.exited = exc
                return
            if kind == "plan":
                received.last_plan = value
                received.plans += 1
            else:
                received.final = (kind, value)

    def _last_plan(self, why: str) -> EngineResult:
        plan = self._received.last_plan
        if plan is None:
            raise SolverFailedError(f"{self.family.value.lower()} companion: {why}")
        return EngineResult(
            plan=plan,
            engine=ENGINE_NAMES[self.family],
            strategy=f"last improving plan streamed ({why})",
            solutions=self._received.plans,
        )


def warm_up() -> None:
    """Keep one companion started and waiting from now on (the routing workers' warm-up)."""
    global _warm
    _warm = True
    replenish()


def wait_ready(timeout: float) -> bool:
    """Block until the standby has finished its imports (for benchmarks that start a clock)."""
    return _standby.wait_ready(timeout)


def replenish() -> None:
    """Start the next waiting companion if this process keeps one and none is ready.

    Any thread may call it: ``solvers.processes`` starts children from one long-lived thread,
    so the kernel's parent-death signal does not follow the caller's thread.
    """
    if _warm:
        _standby.replenish()


def _start() -> Callable[[Parent], None]:
    """Child entry: import every engine before the job arrives, so that a standby is warm."""
    from solvers.routing.engine_choice import engine_for

    for family in FAMILIES:
        engine_for(family)
    with contextlib.suppress(ImportError):
        import pyvrp  # noqa: F401  (the engine may import it lazily; pay for it before the clock)
    return _solve


def _solve(parent: Parent) -> None:
    """Child body: solve the one job, streaming improving plans, then the result or failure."""
    from solvers.routing.engine_choice import engine_for  # imported already by _start

    try:
        job = parent.receive()
    except EOFError:  # the parent closed our input without a job (it is shutting down)
        return
    family, problem, deadline_at, seed, exclude, settings = job

    def stream(improvement: Improvement) -> None:
        if improvement.plan is not None:
            parent.send(("plan", improvement.plan))

    options = EngineOptions(seed=seed, exclude=exclude, on_solution=stream, settings=settings)
    try:
        answer = ("ok", engine_for(family).solve(problem, Deadline(deadline_at), options))
    except SolverFailedError as exc:
        answer = ("error", str(exc))
    except Exception as exc:  # report, never crash silently: the parent decides what to do
        answer = ("error", f"{family.value.lower()}: {type(exc).__name__}: {exc}")
    parent.send(answer)
