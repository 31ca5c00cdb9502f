"""A second solve on the second core, beside the OR-Tools solve of the same request.

The companion runs PyVRP when PyVRP can model the request, otherwise OR-Tools configured
differently from the search in the worker (``solve.py`` picks the pair).

Why a separate process: OR-Tools' routing solve holds the GIL for its whole run (DESIGN), so a
PyVRP thread in the same process would not get to run. Why ``subprocess`` and not
``multiprocessing``: routing already runs inside daemonic worker processes, which may not have
multiprocessing children. The companion reads one pickled job on stdin and writes one pickled
answer on stdout; it asks the kernel to kill it if its parent dies (a cancelled worker is
SIGKILLed) and it stops at the shared deadline on its own, so it never outlives the request.
It runs at a lower CPU priority so the service's real-time path keeps the cores it needs.

Start-up (interpreter, numpy, PyVRP and OR-Tools imports) costs about half a second, 5% of a 10 s
budget that PyVRP would otherwise spend searching. A long-lived process (a routing worker) calls
:func:`warm_up` once: from then on one companion is kept ready, imports done, blocked on its
stdin, and a solve takes it instead of starting a cold one; the next is started after the solve,
off its clock. Only the main thread keeps a standby, because the kernel's parent-death signal
follows the thread that started the child.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import pickle
import select
import signal
import subprocess
import sys
import threading

from solvers.budget import Deadline
from solvers.errors import SolverFailedError
from solvers.routing.plan import RoutingPlan
from solvers.routing.problem import RoutingProblem

#: Start-up (interpreter, numpy, pyvrp imports) costs ~0.5 s; below this budget it is not worth it.
MIN_SECONDS = 1.5
#: What a companion can run: PyVRP, or OR-Tools with ``OrtoolsSettings`` overrides.
ENGINES = ("pyvrp", "ortools")
#: Extra CPU niceness of the companion (the routing workers' own priority is added to it).
NICENESS = 5
_PR_SET_PDEATHSIG = 1


class Companion:
    """Handle to one PyVRP solve running in a child process."""

    def __init__(
        self,
        problem: RoutingProblem,
        deadline: Deadline,
        seed: int,
        exclude: frozenset[int],
        engine: str = "pyvrp",
        ortools_settings: dict[str, object] | None = None,
    ) -> None:
        if engine not in ENGINES:
            raise ValueError(f"unknown companion engine {engine!r}")
        self.engine = engine
        self._process = _take_standby() or _spawn()
        payload = pickle.dumps(
            (engine, problem, deadline.at, seed, exclude, dict(ortools_settings or {}))
        )
        # Write from a thread: a large problem fills the pipe before the child starts reading,
        # and the caller must get on with its own solve meanwhile.
        self._writer = threading.Thread(target=self._send, args=(payload,), daemon=True)
        self._writer.start()

    def _send(self, payload: bytes) -> None:
        assert self._process.stdin is not None
        with contextlib.suppress(BrokenPipeError, OSError):
            self._process.stdin.write(payload)
            self._process.stdin.close()

    def result(self, deadline: Deadline, grace: float = 0.5) -> RoutingPlan:
        """The companion's plan; SolverFailedError if it failed or overran ``deadline``."""
        self._writer.join(timeout=deadline.remaining() + grace)
        if self._writer.is_alive():
            self.cancel()
            raise SolverFailedError(f"{self.engine}: companion never read its job")
        self._process.stdin = None  # the writer closed it; communicate() must not flush it
        try:
            out, _ = self._process.communicate(timeout=deadline.remaining() + grace)
        except subprocess.TimeoutExpired as exc:
            self.cancel()
            raise SolverFailedError(f"{self.engine}: companion overran its deadline") from exc
        if self._process.returncode != 0 or not out:
            raise SolverFailedError(
                f"{self.engine}: companion exited with {self._process.returncode}"
            )
        if out[:1] == _READY:
            out = out[1:]
        if not out:
            raise SolverFailedError(f"{self.engine}: companion gave no answer")
        kind, value = pickle.loads(out)
        if kind != "ok":
            raise SolverFailedError(value)
        return value

    def cancel(self) -> None:
        """Kill the companion now (idempotent)."""
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()


#: Written by a companion once its imports are done (a pickle never starts with it).
_READY = b"\x01"
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
    return os.read(process.stdout.fileno(), 1) == _READY


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


def die_with_parent(parent_pid: int) -> None:
    """Linux: have the kernel SIGKILL us when the parent dies; elsewhere rely on the deadline."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)


def _main() -> int:
    die_with_parent(int(sys.argv[1]))
    with contextlib.suppress(OSError):
        os.nice(NICENESS)
    # Imported before the job arrives, so that a standby is warm.
    from solvers.routing import ortools_model
    from solvers.routing.engines import pyvrp as pyvrp_engine

    with contextlib.suppress(ImportError):
        import pyvrp  # noqa: F401  (the engine imports it lazily; pay for it before the clock)

    sys.stdout.buffer.write(_READY)
    sys.stdout.buffer.flush()
    job = sys.stdin.buffer.read()
    if not job:  # the parent closed our stdin without a job (it is shutting down)
        return 0
    engine, problem, deadline_at, seed, exclude, overrides = pickle.loads(job)
    try:
        if engine == "ortools":
            settings = ortools_model.OrtoolsSettings(exclude=exclude, **overrides)
            plan = ortools_model.solve(problem, Deadline(deadline_at), settings).plan
        else:
            plan, _ = pyvrp_engine.solve(problem, Deadline(deadline_at), seed=seed, exclude=exclude)
        answer = ("ok", plan)
    except SolverFailedError as exc:
        answer = ("error", str(exc))
    except Exception as exc:  # report, never crash silently: the parent decides what to do
        answer = ("error", f"{engine}: {type(exc).__name__}: {exc}")
    sys.stdout.buffer.write(pickle.dumps(answer))
    sys.stdout.buffer.flush()
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())
